"""Exact derivatives of the reductions at their kinks and special points (DESIGN.md section 4):
ties of max/min, median's middle elements and ties, prod and cumprod at zeros, std at zero variance."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import backchain as bc
import backchain.numpy as bnp


def grad_of(f, x):
    return bc.grad(lambda v: bnp.sum(f(v)))(np.asarray(x, dtype=np.float64))


def hessian(f, x):
    """Rows d/dx (df/dx_i), by nested reverse mode."""
    x = np.asarray(x, dtype=np.float64)
    rows = [bc.grad(lambda v, i=i: bc.grad(f)(v)[i])(x) for i in range(x.size)]
    return np.array(rows)


# -- max / min: ties split evenly --------------------------------------------

@pytest.mark.parametrize("fn", [bnp.max, bnp.amax])
def test_max_tie_split(fn):
    assert_array_equal(grad_of(fn, [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])


@pytest.mark.parametrize("fn", [bnp.min, bnp.amin])
def test_min_tie_split(fn):
    assert_array_equal(grad_of(fn, [3.0, 1.0, 1.0]), [0.0, 0.5, 0.5])


def test_max_three_way_tie():
    assert_array_equal(grad_of(bnp.max, [2.0, 2.0, 2.0]), np.full(3, 1 / 3))


def test_max_axis_keepdims_ties():
    x = [[1.0, 2.0, 2.0], [5.0, 5.0, 5.0], [0.0, -1.0, 4.0]]
    g = grad_of(lambda v: bnp.max(v, axis=1, keepdims=True), x)
    assert_array_equal(g, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0]])


def test_min_negative_axis_ties():
    x = [[1.0, 4.0], [1.0, 3.0], [2.0, 3.0]]
    g = grad_of(lambda v: bnp.min(v, axis=-2), x)
    assert_array_equal(g, [[0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])


def test_max_tuple_axis_ties_weighted_cotangent():
    x = np.array([[[1.0, 7.0], [7.0, 0.0]], [[3.0, 3.0], [1.0, 2.0]]])
    _, vjp_fn = bc.vjp(lambda v: bnp.amax(v, axis=(1, 2)), x)
    (g,) = vjp_fn(np.array([2.0, 4.0]))
    assert_array_equal(g, [[[0.0, 1.0], [1.0, 0.0]], [[2.0, 2.0], [0.0, 0.0]]])


def test_max_tie_jvp_is_mean_of_tied_tangents():
    _, t = bc.jvp(bnp.max, (np.array([1.0, 3.0, 3.0]),), (np.array([5.0, 1.0, 3.0]),))
    assert t == 2.0


def test_tensor_max_method_backward_ties():
    x = bc.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])


def test_max_nan_gets_the_gradient():
    # NumPy's max propagates NaN: the NaN element is the one the result came from.
    assert_array_equal(grad_of(bnp.max, [1.0, np.nan, 3.0]), [0.0, 1.0, 0.0])


def test_ptp_ties():
    assert_array_equal(grad_of(bnp.ptp, [1.0, 1.0, 3.0]), [-0.5, -0.5, 1.0])


def test_nanmax_ties_ignore_nan():
    assert_array_equal(grad_of(bnp.nanmax, [np.nan, 3.0, 3.0]), [0.0, 0.5, 0.5])
    assert_array_equal(grad_of(bnp.nanmin, [1.0, np.nan, 1.0]), [0.5, 0.0, 0.5])


# -- median: middle elements, stable ties ------------------------------------

def test_median_odd_count():
    assert_array_equal(grad_of(bnp.median, [3.0, 1.0, 2.0]), [0.0, 0.0, 1.0])


def test_median_even_count_splits_between_middle_values():
    assert_array_equal(grad_of(bnp.median, [4.0, 1.0, 3.0, 2.0]), [0.0, 0.0, 0.5, 0.5])


def test_median_ties_stable():
    # stable sort of [2, 2, 2]: the middle output is taken from index 1
    assert_array_equal(grad_of(bnp.median, [2.0, 2.0, 2.0]), [0.0, 1.0, 0.0])
    # stable sort of [5, 2, 2] is x[1], x[2], x[0]: the middle comes from index 2
    assert_array_equal(grad_of(bnp.median, [5.0, 2.0, 2.0]), [0.0, 0.0, 1.0])
    # stable sort of [2, 1, 2, 2] is x[1], x[0], x[2], x[3]: middle two are x[0] and x[2]
    assert_array_equal(grad_of(bnp.median, [2.0, 1.0, 2.0, 2.0]), [0.5, 0.0, 0.5, 0.0])


def test_median_axis_keepdims():
    x = [[4.0, 1.0, 3.0, 2.0], [1.0, 1.0, 0.0, 9.0]]
    g = grad_of(lambda v: bnp.median(v, axis=1, keepdims=True), x)
    assert_array_equal(g, [[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0]])


# -- prod: zeros ---------------------------------------------------------------

def test_prod_one_zero():
    assert_array_equal(grad_of(bnp.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])


def test_prod_two_zeros():
    assert_array_equal(grad_of(bnp.prod, [2.0, 0.0, 0.0, 5.0]), [0.0, 0.0, 0.0, 0.0])


def test_prod_all_zero():
    assert_array_equal(grad_of(bnp.prod, [0.0]), [1.0])
    assert_array_equal(grad_of(bnp.prod, [0.0, 0.0]), [0.0, 0.0])


def test_prod_axis_with_zeros():
    x = [[2.0, 0.0, 4.0], [1.0, 2.0, 3.0], [0.0, 0.0, 7.0]]
    g = grad_of(lambda v: bnp.prod(v, axis=1), x)
    assert_array_equal(g, [[0.0, 8.0, 0.0], [6.0, 3.0, 2.0], [0.0, 0.0, 0.0]])


def test_prod_jvp_with_zero():
    _, t = bc.jvp(bnp.prod, (np.array([2.0, 0.0, 3.0]),), (np.array([1.0, 1.0, 1.0]),))
    assert t == 6.0


def test_prod_hessian_at_zeros():
    # d2/dxi dxj prod(x) = product of the elements other than i and j (0 on the diagonal)
    assert_array_equal(hessian(bnp.prod, [2.0, 0.0, 3.0]), [[0, 3, 0], [3, 0, 2], [0, 2, 0]])
    assert_array_equal(hessian(bnp.prod, [2.0, 0.0, 0.0]), [[0, 0, 0], [0, 0, 2], [0, 2, 0]])


# -- cumprod: zeros -------------------------------------------------------------

def test_cumprod_with_zeros():
    # sum(cumprod(x)) = x0 + x0 x1 + x0 x1 x2 + ...; at x1 = x3 = 0 only the first two terms move
    assert_array_equal(grad_of(bnp.cumprod, [2.0, 0.0, 3.0, 0.0, 5.0]), [1.0, 8.0, 0.0, 0.0, 0.0])


def test_cumprod_zero_first_and_axis0():
    x = np.array([[0.0, 2.0], [3.0, 0.0], [4.0, 5.0]])
    g = grad_of(lambda v: bnp.cumprod(v, axis=0), x)
    # column 0: x00 = 0 -> d/dx00 = 1 + x10 + x10 x20 = 16; column 1: d/dx01 = 1 (x11 = 0), d/dx11 = 2 + 2*5
    assert_array_equal(g, [[16.0, 1.0], [0.0, 12.0], [0.0, 0.0]])


def test_cumprod_jvp_with_zeros():
    _, t = bc.jvp(bnp.cumprod, (np.array([2.0, 0.0, 3.0]),), (np.array([1.0, 1.0, 1.0]),))
    # d(x0) = 1; d(x0 x1) = x1 + x0 = 2; d(x0 x1 x2) = x1 x2 + x0 x2 + x0 x1 = 6
    assert_array_equal(t, [1.0, 2.0, 6.0])


def test_cumprod_hessian_at_zero():
    f = lambda v: bnp.sum(bnp.cumprod(v))  # noqa: E731  x0 + x0 x1 + x0 x1 x2
    assert_array_equal(hessian(f, [2.0, 0.0, 3.0]), [[0, 4, 0], [4, 0, 2], [0, 2, 0]])


# -- std at zero variance: 0 (min-norm), never NaN --------------------------------

def test_std_constant_input_zero_gradient():
    assert_array_equal(grad_of(bnp.std, [2.0, 2.0, 2.0]), [0.0, 0.0, 0.0])
    assert_array_equal(grad_of(lambda v: bnp.std(v, ddof=1), [-1.5, -1.5]), [0.0, 0.0])


def test_std_constant_row_along_axis():
    x = [[1.0, 1.0], [0.0, 2.0]]
    g = grad_of(lambda v: bnp.std(v, axis=1), x)
    # row 0 is constant: 0; row 1: (x - mean) / (n std) = [-1, 1] / (2 * 1)
    assert_array_equal(g, [[0.0, 0.0], [-0.5, 0.5]])


def test_std_constant_jvp_zero():
    _, t = bc.jvp(bnp.std, (np.array([3.0, 3.0]),), (np.array([1.0, -2.0]),))
    assert t == 0.0


def test_nanstd_constant_zero_gradient():
    assert_array_equal(grad_of(bnp.nanstd, [4.0, np.nan, 4.0]), [0.0, 0.0, 0.0])


# -- NaN-ignoring reductions: NaN entries get a zero gradient ----------------------

def test_nansum_nanmean_zero_gradient_at_nan():
    assert_array_equal(grad_of(bnp.nansum, [1.0, np.nan, 2.0]), [1.0, 0.0, 1.0])
    assert_array_equal(grad_of(bnp.nanmean, [1.0, np.nan, 2.0, 3.0, 4.0]), [0.25, 0.0, 0.25, 0.25, 0.25])
