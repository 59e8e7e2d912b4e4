"""Forward values of the shape and joining functions on Tensors equal NumPy's."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

RNG = np.random.default_rng(0)
A23 = RNG.standard_normal((2, 3))
A234 = RNG.standard_normal((2, 3, 4))
V3 = RNG.standard_normal(3)
V5 = RNG.standard_normal(5)
B13 = RNG.standard_normal((1, 3))
S = np.float64(1.5)

# (id, function applied to (module, *arrays), arrays): run once with numpy, once with backchain.numpy on Tensors.
CASES = [
    ("reshape", lambda m, a: m.reshape(a, (3, 2)), [A23]),
    ("reshape_minus1", lambda m, a: m.reshape(a, (-1, 4)), [A234]),
    ("transpose", lambda m, a: m.transpose(a), [A234]),
    ("transpose_axes", lambda m, a: m.transpose(a, (2, 0, 1)), [A234]),
    ("transpose_negative", lambda m, a: m.transpose(a, (-1, 0, 1)), [A234]),
    ("ravel", lambda m, a: m.ravel(a), [A234]),
    ("moveaxis", lambda m, a: m.moveaxis(a, 0, -1), [A234]),
    ("moveaxis_multi", lambda m, a: m.moveaxis(a, (0, 2), (1, 0)), [A234]),
    ("squeeze", lambda m, a: m.squeeze(a), [B13]),
    ("squeeze_axis", lambda m, a: m.squeeze(a, axis=0), [B13]),
    ("expand_dims", lambda m, a: m.expand_dims(a, (0, -1)), [A23]),
    ("swapaxes", lambda m, a: m.swapaxes(a, 0, 2), [A234]),
    ("atleast_1d", lambda m, a: m.atleast_1d(a), [S]),
    ("atleast_2d", lambda m, a: m.atleast_2d(a), [V3]),
    ("atleast_3d_1d", lambda m, a: m.atleast_3d(a), [V3]),
    ("atleast_3d_2d", lambda m, a: m.atleast_3d(a), [A23]),
    ("atleast_2d_many", lambda m, a, b: m.atleast_2d(a, b)[1], [S, V3]),
    ("broadcast_to", lambda m, a: m.broadcast_to(a, (4, 1, 3)), [B13]),
    ("broadcast_arrays", lambda m, a, b: m.broadcast_arrays(a, b)[0], [V3, A23[:, :1]]),
    ("copy", lambda m, a: m.copy(a), [A23]),
    ("concatenate", lambda m, a, b: m.concatenate([a, b]), [A23, B13]),
    ("concatenate_axis1", lambda m, a, b: m.concatenate([a, b, a], axis=-1), [A23, A23[:, :1]]),
    ("concatenate_none", lambda m, a, b: m.concatenate([a, b], axis=None), [A23, V5]),
    ("stack", lambda m, a, b: m.stack([a, b]), [A23, A23 * 2]),
    ("stack_last", lambda m, a, b: m.stack([a, b], axis=-1), [A23, A23 * 2]),
    ("stack_scalars", lambda m, a, b: m.stack([a, b, 3.0]), [S, S * 2]),
    ("hstack_1d", lambda m, a, b: m.hstack([a, b]), [V3, V5]),
    ("hstack_2d", lambda m, a, b: m.hstack([a, b]), [A23, A23[:, :2]]),
    ("vstack", lambda m, a, b: m.vstack([a, b]), [A23, V3]),
    ("dstack", lambda m, a, b: m.dstack([a, b]), [A23, A23]),
    ("dstack_1d", lambda m, a, b: m.dstack([a, b]), [V3, V3]),
    ("column_stack", lambda m, a, b: m.column_stack([a, b]), [V3, A23.T]),
    ("append", lambda m, a, b: m.append(a, b), [A23, V5]),
    ("append_axis", lambda m, a, b: m.append(a, b, axis=0), [A23, B13]),
    ("split", lambda m, a: m.split(a, 3, axis=1)[2], [A23]),
    ("split_indices", lambda m, a: m.split(a, [1, 3], axis=2)[1], [A234]),
    ("split_past_end", lambda m, a: m.split(a, [2, 9])[2], [V5]),
    ("array_split", lambda m, a: m.array_split(a, 3)[0], [V5]),
    ("array_split_last", lambda m, a: m.array_split(a, 3)[2], [V5]),
    ("hsplit", lambda m, a: m.hsplit(a, 3)[1], [A234]),
    ("vsplit", lambda m, a: m.vsplit(a, [1])[1], [A234]),
    ("dsplit", lambda m, a: m.dsplit(a, 2)[0], [A234]),
    ("unstack", lambda m, a: m.unstack(a, axis=1)[2], [A234]),
    ("tile", lambda m, a: m.tile(a, 3), [V3]),
    ("tile_nd", lambda m, a: m.tile(a, (2, 1, 2)), [A23]),
    ("tile_short_reps", lambda m, a: m.tile(a, 2), [A234]),
    ("repeat", lambda m, a: m.repeat(a, 2), [A23]),
    ("repeat_axis", lambda m, a: m.repeat(a, 3, axis=-1), [A23]),
    ("repeat_array", lambda m, a: m.repeat(a, [1, 0, 2], axis=1), [A23]),
    ("flip", lambda m, a: m.flip(a), [A234]),
    ("flip_axes", lambda m, a: m.flip(a, (0, 2)), [A234]),
    ("fliplr", lambda m, a: m.fliplr(a), [A23]),
    ("flipud", lambda m, a: m.flipud(a), [A23]),
    ("roll", lambda m, a: m.roll(a, 4), [A23]),
    ("roll_axis", lambda m, a: m.roll(a, -1, axis=1), [A23]),
    ("roll_axes", lambda m, a: m.roll(a, (1, 5), axis=(0, 2)), [A234]),
    ("roll_broadcast_shift", lambda m, a: m.roll(a, 2, axis=(1, 2)), [A234]),
    ("rot90", lambda m, a: m.rot90(a), [A23]),
    ("rot90_k2", lambda m, a: m.rot90(a, 2), [A23]),
    ("rot90_k3", lambda m, a: m.rot90(a, 3, axes=(2, 0)), [A234]),
    ("pad_int", lambda m, a: m.pad(a, 2), [A23]),
    ("pad_constant_values", lambda m, a: m.pad(a, ((1, 2), (0, 1)), constant_values=7.0), [A23]),
    ("pad_edge", lambda m, a: m.pad(a, (2, 3), mode="edge"), [A23]),
    ("pad_reflect", lambda m, a: m.pad(a, ((4, 1), (5, 2)), mode="reflect"), [A23]),
    ("pad_symmetric", lambda m, a: m.pad(a, ((4, 1), (5, 7)), mode="symmetric"), [A23]),
    ("pad_wrap", lambda m, a: m.pad(a, ((3, 1), (7, 2)), mode="wrap"), [A23]),
    ("pad_reflect_3d", lambda m, a: m.pad(a, ((0, 0), (2, 2), (1, 3)), mode="reflect"), [A234]),
    ("triu", lambda m, a: m.triu(a), [A234]),
    ("triu_1d", lambda m, a: m.triu(a, -1), [V3]),
    ("tril", lambda m, a: m.tril(a, 1), [A23]),
]


@pytest.mark.parametrize("fn, arrays", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_matches_numpy(fn, arrays):
    expected = fn(np, *arrays)
    tensors = [bc.tensor(a, requires_grad=True) for a in arrays]
    got = fn(bnp, *tensors)
    assert isinstance(got, bc.Tensor) and got.requires_grad
    assert got.shape == np.shape(expected)
    assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got.data, expected)


def test_split_returns_list_of_tensors():
    x = bc.tensor(A23, requires_grad=True)
    pieces = bnp.array_split(x, 2, axis=1)
    assert isinstance(pieces, list) and len(pieces) == 2
    assert [p.shape for p in pieces] == [(2, 2), (2, 1)]


def test_float32_stays_float32():
    x = bc.tensor(A23.astype(np.float32), requires_grad=True)
    g = bc.grad(lambda x: bnp.sum(bnp.pad(bnp.concatenate([x, x], axis=1), 1, mode="reflect") ** 2))(x)
    assert g.dtype == np.float32


def test_numpy_functions_dispatch_to_tensors():
    x = bc.tensor(A23, requires_grad=True)
    y = np.concatenate([x, x])
    assert isinstance(y, bc.Tensor) and y.requires_grad
    np.testing.assert_array_equal(np.flip(x).data, np.flip(A23))
    np.testing.assert_array_equal(np.pad(x, 1, mode="wrap").data, np.pad(A23, 1, mode="wrap"))


def test_pad_gradient_counts_copies():
    # Each input element's gradient of sum(pad(x)) is the number of its copies in the output.
    x = np.arange(4.0)
    for mode in ("edge", "reflect", "symmetric", "wrap"):
        g = bc.grad(lambda x: bnp.sum(bnp.pad(x, (5, 6), mode=mode) * 1.0))(x)
        padded = np.pad(x, (5, 6), mode=mode)
        np.testing.assert_array_equal(g, [np.count_nonzero(padded == v) for v in x], err_msg=mode)


def test_tile_and_repeat_gradients_count_copies():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(bc.grad(lambda x: bnp.sum(bnp.tile(x, (2, 2))))(x), [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(bc.grad(lambda x: bnp.sum(bnp.repeat(x, [3, 0, 1])))(x), [3.0, 0.0, 1.0])


@pytest.mark.parametrize("call, match", [
    (lambda x: bnp.concatenate([x, bnp.ones((3, 2))]), "concatenate"),
    (lambda x: bnp.stack([x, x[:1]]), "stack"),
    (lambda x: bnp.split(x, 4, axis=1), "split"),
    (lambda x: bnp.squeeze(x, axis=0), "squeeze"),
    (lambda x: bnp.pad(x, 1, mode="median"), "pad"),
    (lambda x: bnp.transpose(x, (0, 0)), "transpose"),
    (lambda x: bnp.moveaxis(x, 0, 5), "moveaxis"),
])
def test_errors_name_the_operation(call, match):
    x = bc.tensor(A23, requires_grad=True)
    with pytest.raises((ValueError, NotImplementedError, np.exceptions.AxisError), match=match):
        call(x)


def test_plain_arrays_take_the_fast_path():
    assert type(bnp.concatenate([A23, A23])) is np.ndarray
    assert type(bnp.pad(A23, 1, mode="reflect")) is np.ndarray
    assert type(bnp.split(A23, 3, axis=1)[0]) is np.ndarray


def test_reshape_and_ravel_orders_match_numpy_on_every_layout():
    # Fortran and memory ('K') orders on transposed, strided, reversed and Fortran-ordered data
    rng = np.random.default_rng(0)
    for _ in range(300):
        nd = int(rng.integers(1, 5))
        shape = tuple(int(s) for s in rng.integers(1, 5, nd))
        x = rng.standard_normal(tuple(2 * s for s in shape))
        x = np.transpose(x[tuple(slice(None, None, int(rng.choice([1, 2, -1, -2]))) for _ in range(nd))],
                         rng.permutation(nd))
        if rng.random() < 0.3:
            x = np.asfortranarray(x)
        t = bc.tensor(np.zeros(1), requires_grad=True)
        t.data = x  # this exact layout
        for order in "CFAK":
            np.testing.assert_array_equal(bnp.ravel(t, order=order).data, np.ravel(x, order=order))
            np.testing.assert_array_equal(t.ravel(order).data, x.ravel(order))
        new = (-1, x.shape[0])
        for order in "CFA":
            np.testing.assert_array_equal(bnp.reshape(t, new, order=order).data, np.reshape(x, new, order=order))
    with pytest.raises(ValueError, match="reshape: order must be"):
        bnp.reshape(bc.tensor(np.ones((2, 2)), requires_grad=True), (4,), order="X")
