"""Forward values of the indexing functions on Tensors equal NumPy's."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

RNG = np.random.default_rng(0)
A23 = RNG.standard_normal((2, 3))
A234 = RNG.standard_normal((2, 3, 4))
V6 = RNG.standard_normal(6)
MASK = A23 > 0
IDX = np.array([[0, 2, 2], [1, 0, 1]])

INDICES = [
    ("int", 1),
    ("negative_int", -1),
    ("tuple_ints", (1, -2)),
    ("slice_step", (slice(None), slice(None, None, -2))),
    ("none_ellipsis", (None, Ellipsis, 0)),
    ("empty_tuple", ()),
    ("int_list_repeated", [0, 0, 1]),
    ("int_array_2d", np.array([[1, 0], [1, 1]])),
    ("negative_array", np.array([-1, -2, -1])),
    ("pairs", (np.array([0, 1, 1]), np.array([2, 0, 2]))),
    ("bool_mask_full", MASK),
    ("bool_mask_axis", (slice(None), np.array([True, False, True]))),
    ("advanced_split_by_slice", ([1, 0], slice(None), [3, 3])),
    ("advanced_with_none", (None, [1, 1], Ellipsis, 2)),
    ("mask_and_int", (np.array([True, False]), 2)),
]


@pytest.mark.parametrize("index", [i[1] for i in INDICES], ids=[i[0] for i in INDICES])
def test_getitem_matches_numpy(index):
    a = A234 if not (isinstance(index, np.ndarray) and index.dtype == bool) else A23
    x = bc.tensor(a, requires_grad=True)
    got = x[index]
    assert isinstance(got, bc.Tensor) and got.requires_grad
    np.testing.assert_array_equal(got.data, a[index])


def test_tensor_indices_use_their_values():
    x = bc.tensor(A23, requires_grad=True)
    np.testing.assert_array_equal(x[bc.tensor([1, 1, 0])].data, A23[[1, 1, 0]])
    np.testing.assert_array_equal(x[bc.tensor(MASK)].data, A23[MASK])
    np.testing.assert_array_equal(x[bc.tensor(1), bc.tensor([2, 0])].data, A23[1, [2, 0]])


CASES = [
    ("take_flat", lambda m, a: m.take(a, [5, 0, -1]), A23),
    ("take_axis", lambda m, a: m.take(a, IDX, axis=1), A23),
    ("take_wrap", lambda m, a: m.take(a, [-7, 8, 2], axis=-1, mode="wrap"), A234),
    ("take_clip", lambda m, a: m.take(a, [-7, 8, 2], mode="clip"), V6),
    ("take_along_axis", lambda m, a: m.take_along_axis(a, IDX, axis=1), A23),
    ("take_along_axis_0", lambda m, a: m.take_along_axis(a, np.array([[1, 0, 1]]), axis=0), A23),
    ("take_along_axis_argsort", lambda m, a: m.take_along_axis(a, np.argsort(A234, axis=1), axis=1), A234),
    ("take_along_axis_none", lambda m, a: m.take_along_axis(a, np.array([5, 5, 0]), axis=None), A23),
    ("compress", lambda m, a: m.compress([False, True, True], a, axis=1), A23),
    ("compress_short", lambda m, a: m.compress([True, False], a), A23),
    ("extract", lambda m, a: m.extract(MASK, a), A23),
    ("sort", lambda m, a: m.sort(a), A234),
    ("sort_axis0", lambda m, a: m.sort(a, axis=0), A234),
    ("sort_none", lambda m, a: m.sort(a, axis=None), A234),
    ("sort_ties", lambda m, a: m.sort(a), np.array([2.0, 1.0, 2.0, 1.0, 0.5])),
    ("select", lambda m, a: m.select([a > 1, a < 0], [a * 2, a], default=-5.0), A234),
    ("select_broadcast", lambda m, a: m.select([MASK, a[0] > 0], [a[0], a[:, :1]], 0.5), A23),
    ("choose", lambda m, a: m.choose(np.array([[0, 1, 2], [2, 1, 0]]), [a, a * 2, a[0]]), A23),
    ("choose_wrap", lambda m, a: m.choose(np.array([3, -1, 1]), [a[0], a[1]], mode="wrap"), A23),
    ("choose_clip", lambda m, a: m.choose(np.array([3, -1, 1]), [a[0], a[1]], mode="clip"), A23),
]


@pytest.mark.parametrize("fn, a", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_matches_numpy(fn, a):
    expected = fn(np, a)
    got = fn(bnp, bc.tensor(a, requires_grad=True))
    assert isinstance(got, bc.Tensor) and got.requires_grad
    assert got.shape == np.shape(expected) and got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("kth, axis", [(2, -1), ((0, 3), -1), (1, 0), (4, None)])
def test_partition_matches_numpy_at_kth(kth, axis):
    a = RNG.standard_normal((3, 5))
    got = bnp.partition(bc.tensor(a, requires_grad=True), kth, axis=axis).data
    expected = np.partition(a, kth, axis=axis)
    ax = -1 if axis is None else axis
    k = np.atleast_1d(kth)
    np.testing.assert_array_equal(np.take(got, k, axis=ax), np.take(expected, k, axis=ax))
    # the same elements, only in another order on either side of kth
    np.testing.assert_array_equal(np.sort(got, axis=ax), np.sort(expected, axis=ax))


def test_sort_method_and_numpy_dispatch():
    x = bc.tensor(A23, requires_grad=True)
    np.testing.assert_array_equal(x.sort(axis=0).data, np.sort(A23, axis=0))
    y = np.sort(x)
    assert isinstance(y, bc.Tensor) and y.requires_grad
    np.testing.assert_array_equal(np.take(x, [1, 1]).data, np.take(A23, [1, 1]))


def test_take_raises_out_of_range():
    x = bc.tensor(V6, requires_grad=True)
    with pytest.raises(IndexError, match="take"):
        bnp.take(x, [6])


def test_select_needs_boolean_conditions():
    x = bc.tensor(V6, requires_grad=True)
    with pytest.raises(TypeError, match="select"):
        bnp.select([np.ones(6)], [x])


def test_getitem_error_names_operation():
    x = bc.tensor(A23, requires_grad=True)
    with pytest.raises(IndexError, match="getitem"):
        x[5]
