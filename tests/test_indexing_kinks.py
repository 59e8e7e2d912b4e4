"""Exact derivative values where indexing is not one-to-one: ties in sort, repeated indices."""
import numpy as np

import backchain as bc
import backchain.numpy as bnp


def test_sort_ties_route_gradient_in_stable_order():
    # sorted: [1 (index 1), 1 (index 2), 3 (index 0)]: output k's gradient w[k] goes to its source.
    x = np.array([3.0, 1.0, 1.0])
    w = np.array([10.0, 20.0, 30.0])
    g = bc.grad(lambda x: bnp.sum(bnp.sort(x) * w))(x)
    np.testing.assert_array_equal(g, [30.0, 10.0, 20.0])


def test_sort_all_equal_is_identity_permutation():
    x = np.full(4, 2.0)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(bc.grad(lambda x: bnp.sum(bnp.sort(x) * w))(x), w)


def test_sort_ties_along_axis0_and_jvp_agree():
    x = np.array([[1.0, 5.0], [0.0, 5.0], [1.0, 5.0]])
    w = np.arange(6.0).reshape(3, 2)
    g = bc.grad(lambda x: bnp.sum(bnp.sort(x, axis=0) * w))(x)
    # column 0 sorted sources: [1, 0, 2]; column 1 (all tied) stays in place.
    np.testing.assert_array_equal(g, [[2.0, 1.0], [0.0, 3.0], [4.0, 5.0]])
    t = np.arange(1.0, 7.0).reshape(3, 2)
    _, tangent = bc.jvp(lambda x: bnp.sort(x, axis=0), (x,), (t,))
    np.testing.assert_array_equal(tangent, [[3.0, 2.0], [1.0, 4.0], [5.0, 6.0]])


def test_repeated_advanced_index_accumulates():
    g = bc.grad(lambda x: bnp.sum(x[[0, 0, 1]]))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 1.0, 0.0])


def test_repeated_index_pairs_and_negative_indices_accumulate():
    x = np.zeros((2, 3))
    g = bc.grad(lambda x: bnp.sum(x[[0, 0, -2, 1], [1, -2, 1, 2]] * np.array([1.0, 2.0, 4.0, 8.0])))(x)
    np.testing.assert_array_equal(g, [[0.0, 7.0, 0.0], [0.0, 0.0, 8.0]])


def test_repeated_take_along_axis_and_take_accumulate():
    x = np.zeros((2, 3))
    g = bc.grad(lambda x: bnp.sum(bnp.take_along_axis(x, np.array([[2, 2, 2], [0, 1, 0]]), axis=1)))(x)
    np.testing.assert_array_equal(g, [[0.0, 0.0, 3.0], [2.0, 1.0, 0.0]])
    g = bc.grad(lambda x: bnp.sum(bnp.take(x, [4, -1, 0, 8], mode="wrap")))(np.zeros(4))
    np.testing.assert_array_equal(g, [3.0, 0.0, 0.0, 1.0])  # 4, 0, 8 -> 0; -1 -> 3


def test_tensor_backward_with_repeated_index():
    x = bc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x[[2, 2, 2, 0]] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 6.0])


def test_boolean_mask_gradient_is_exact_zero_elsewhere():
    x = np.array([[1.0, -1.0], [2.0, -2.0]])
    g = bc.grad(lambda x: bnp.sum(x[x > 0] ** 2))(x)
    np.testing.assert_array_equal(g, [[2.0, 0.0], [4.0, 0.0]])


def test_sort_ties_second_order_routes_in_stable_order():
    # f = sum(w * sort(x)**2); H = P^T diag(2w) P with P the stable sorting permutation [1, 2, 0].
    x = np.array([3.0, 1.0, 1.0])
    w = np.array([10.0, 20.0, 30.0])
    c = np.array([1.0, 2.0, 3.0])
    f = lambda x: bnp.sum(w * bnp.sort(x) ** 2)  # noqa: E731
    np.testing.assert_array_equal(bc.grad(f)(x), [180.0, 20.0, 40.0])
    hc = bc.grad(lambda x: bnp.sum(bc.grad(f)(x) * c))(x)
    np.testing.assert_array_equal(hc, [60.0, 40.0, 120.0])
