"""Exact derivative values of the elementwise family at its kinks, jumps and
singular points (DESIGN.md section 4). Every value here is a convention, so it
is compared with ``==`` (or ``isinf``), never with a tolerance."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1 / 0 = inf is the point here


def grad(f, x):
    return bc.grad(lambda v: bnp.sum(f(v)))(np.asarray(x, dtype=float))


def jvp(f, x, t=None):
    x = np.asarray(x, dtype=float)
    return bc.jvp(f, (x,), (np.ones_like(x) if t is None else t,))[1]


def exact(actual, expected):
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected, dtype=float))


# -- relu and maximum / minimum ties ------------------------------------------------

def test_relu_as_maximum_at_zero_is_half():
    # relu written as maximum(x, 0) passes half a gradient at 0: maximum's ties are 0.5 / 0.5.
    exact(grad(lambda x: bnp.maximum(x, 0.0), [0.0]), [0.5])
    exact(grad(lambda x: bnp.maximum(x, 0), [-1.0, 0.0, 2.0]), [0.0, 0.5, 1.0])
    exact(grad(lambda x: bnp.maximum(0.0, x), [0.0]), [0.5])
    exact(jvp(lambda x: bnp.maximum(x, 0.0), [-1.0, 0.0, 2.0]), [0.0, 0.5, 1.0])


def test_relu_as_maximum_through_backward():
    x = bc.tensor([-1.0, 0.0, 3.0], requires_grad=True)
    bnp.maximum(x, 0.0).sum().backward()
    exact(x.grad, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("op", [bnp.maximum, bnp.minimum, bnp.fmax, bnp.fmin])
def test_ties_split_half_half(op):
    gx, gy = bc.grad(lambda x, y: bnp.sum(op(x, y)), argnums=(0, 1))(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    exact(gx, [0.5, 0.5])
    exact(gy, [0.5, 0.5])


def test_fmax_fmin_ties_and_order():
    exact(grad(lambda x: bnp.fmax(x, 1.0), [0.0, 1.0, 2.0]), [0.0, 0.5, 1.0])
    exact(grad(lambda x: bnp.fmin(x, 1.0), [0.0, 1.0, 2.0]), [1.0, 0.5, 0.0])


@pytest.mark.parametrize("op", [bnp.fmax, bnp.fmin])
def test_fmax_fmin_nan_argument_gets_nothing(op):
    gx, gy = bc.grad(lambda x, y: bnp.sum(op(x, y)), argnums=(0, 1))(np.array([1.0, np.nan]), np.array([np.nan, 2.0]))
    exact(gx, [1.0, 0.0])
    exact(gy, [0.0, 1.0])


# -- abs, sign, copysign, heaviside --------------------------------------------------

def test_abs_at_zero_is_zero():
    exact(grad(bnp.abs, [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])
    exact(jvp(bnp.abs, [0.0]), [0.0])
    z = bc.grad(lambda z: bnp.abs(z))(0j)
    assert z == 0


def test_sign_derivative_is_zero_also_at_zero():
    exact(grad(bnp.sign, [-1.0, 0.0, 1.0]), [0.0, 0.0, 0.0])


def test_copysign_at_zero_magnitude_is_zero():
    exact(grad(lambda x: bnp.copysign(x, -1.0), [-2.0, 0.0, 2.0]), [1.0, 0.0, -1.0])
    exact(bc.grad(lambda y: bnp.sum(bnp.copysign(2.0, y)))(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 0.0])


def test_heaviside():
    exact(grad(lambda x: bnp.heaviside(x, 0.5), [-1.0, 0.0, 1.0]), [0.0, 0.0, 0.0])
    exact(bc.grad(lambda h: bnp.sum(bnp.heaviside(np.array([-1.0, 0.0, 1.0]), h)))(0.5), 1.0)


# -- clip ---------------------------------------------------------------------------

def test_clip_at_both_bounds_is_zero_inside_is_one():
    x = [-1.0, 0.0, 0.25, 0.5, 1.0, 2.0]
    exact(grad(lambda v: bnp.clip(v, 0.0, 1.0), x), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    exact(jvp(lambda v: bnp.clip(v, 0.0, 1.0), x), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    t = bc.tensor(x, requires_grad=True)
    t.clip(0.0, 1.0).sum().backward()
    exact(t.grad, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def test_clip_one_sided():
    exact(grad(lambda v: bnp.clip(v, None, 1.0), [-5.0, 1.0, 2.0]), [1.0, 0.0, 0.0])
    exact(grad(lambda v: bnp.clip(v, a_min=0.0), [-1.0, 0.0, 5.0]), [0.0, 0.0, 1.0])
    exact(grad(lambda v: bnp.clip(v, max=1.0), [-5.0, 1.0, 2.0]), [1.0, 0.0, 0.0])


def test_clip_array_bounds_are_differentiable_and_zero_at_ties():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo = np.zeros(5)
    hi = np.ones(5)
    gx, glo, ghi = bc.grad(lambda x, lo, hi: bnp.sum(bnp.clip(x, lo, hi)), argnums=(0, 1, 2))(x, lo, hi)
    exact(gx, [0.0, 0.0, 1.0, 0.0, 0.0])
    exact(glo, [1.0, 0.0, 0.0, 0.0, 0.0])
    exact(ghi, [0.0, 0.0, 0.0, 0.0, 1.0])
    # lo > hi: NumPy returns hi, and the whole derivative goes to hi.
    gx, glo, ghi = bc.grad(lambda x, lo, hi: bnp.clip(x, lo, hi), argnums=(0, 1, 2))(0.5, 2.0, 1.0)
    assert (gx, glo, ghi) == (0.0, 0.0, 1.0)


# -- rounding -----------------------------------------------------------------------

@pytest.mark.parametrize("op", [bnp.floor, bnp.ceil, bnp.round, bnp.around, bnp.rint, bnp.trunc, bnp.fix])
def test_rounding_derivative_is_zero_also_at_jumps(op):
    x = [-1.5, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 2.5]
    exact(grad(op, x), np.zeros(len(x)))
    exact(jvp(op, x), np.zeros(len(x)))


def test_rounding_records_a_node_so_backward_works():
    x = bc.tensor([0.5, 1.5], requires_grad=True)
    (bnp.floor(x) * x).sum().backward()
    exact(x.grad, [0.0, 1.0])  # d/dx floor(x) * x = floor(x), floor'(x) = 0


# -- remainders ---------------------------------------------------------------------

def test_fmod_remainder_derivatives_are_one_and_minus_quotient():
    x1 = np.array([7.5, -7.5, 7.5, -7.5])
    x2 = np.array([2.0, 2.0, -2.0, -2.0])
    g1, g2 = bc.grad(lambda a, b: bnp.sum(bnp.fmod(a, b)), argnums=(0, 1))(x1, x2)
    exact(g1, [1.0, 1.0, 1.0, 1.0])
    exact(g2, -np.trunc(x1 / x2))           # -[3, -3, -3, 3]
    g1, g2 = bc.grad(lambda a, b: bnp.sum(bnp.remainder(a, b)), argnums=(0, 1))(x1, x2)
    exact(g1, [1.0, 1.0, 1.0, 1.0])
    exact(g2, -np.floor(x1 / x2))           # -[3, -4, -4, 3]


def test_mod_operator_is_remainder():
    exact(grad(lambda x: x % 2.0, [-7.5, 7.5]), [1.0, 1.0])
    exact(bc.grad(lambda y: bnp.sum(np.array([-7.5, 7.5]) % y))(2.0), 4.0 - 3.0)


# -- infinite derivatives: the limit, never NaN ----------------------------------------

@pytest.mark.parametrize("op, x, sign", [
    (bnp.sqrt, 0.0, 1), (bnp.cbrt, 0.0, 1), (lambda x: x ** 0.5, 0.0, 1), (lambda x: x ** (1 / 3), 0.0, 1),
    (bnp.arcsin, 1.0, 1), (bnp.arcsin, -1.0, 1), (bnp.arccos, 1.0, -1), (bnp.arccos, -1.0, -1),
    (bnp.arccosh, 1.0, 1), (bnp.log, 0.0, 1),
])
def test_infinite_derivative_is_the_signed_limit(op, x, sign):
    d = bc.grad(op)(x)
    assert np.isinf(d) and np.sign(d) == sign, d
    t = bc.jvp(op, (x,), (1.0,))[1]
    assert np.isinf(t) and np.sign(t) == sign, t


def test_sqrt_at_zero_is_plus_inf_through_backward():
    x = bc.tensor([0.0, 4.0], requires_grad=True)
    bnp.sqrt(x).sum().backward()
    exact(x.grad, [np.inf, 0.25])


@pytest.mark.parametrize("op, good", [
    (bnp.sqrt, 0.5), (bnp.log, 0.5), (bnp.log2, 0.5), (bnp.log10, 0.5), (bnp.log1p, 0.5), (bnp.cbrt, 0.5),
    (bnp.arcsin, 0.5), (bnp.arccos, 0.5), (bnp.arccosh, 2.0), (bnp.arctanh, 0.5), (bnp.reciprocal, 0.5),
    (lambda x: x ** 0.5, 0.5), (lambda x: x ** -1.5, 0.5), (lambda x: bnp.float_power(x, 0.5), 0.5),
])
def test_branch_not_taken_leaks_no_nan(op, good):
    # The untaken branch sits where its derivative is inf (0, 1, -1) or NaN (-2, outside the domain).
    x = np.array([0.0, 1.0, -1.0, -2.0, good])
    f = lambda v: bnp.where(v == good, op(v), 0.0)  # noqa: E731
    d = grad(f, x)
    exact(d[:4], [0.0, 0.0, 0.0, 0.0])
    assert np.isfinite(d[4]) and d[4] != 0
    t = jvp(f, x)
    exact(t[:4], [0.0, 0.0, 0.0, 0.0])
    assert t[4] == d[4]


def test_zero_cotangent_times_infinite_derivative_is_zero():
    _, vjp_fn = bc.vjp(bnp.sqrt, np.array([0.0, 1.0]))
    exact(vjp_fn(np.array([0.0, 1.0]))[0], [0.0, 0.5])


# -- origin of hypot / arctan2, angle at 0, nan_to_num ------------------------------------

def test_hypot_at_origin_is_zero():
    gx, gy = bc.grad(lambda x, y: bnp.hypot(x, y), argnums=(0, 1))(0.0, 0.0)
    assert (gx, gy) == (0.0, 0.0)


def test_arctan2_at_origin_is_zero():
    gy, gx = bc.grad(lambda y, x: bnp.arctan2(y, x), argnums=(0, 1))(0.0, 0.0)
    assert (gy, gx) == (0.0, 0.0)


def test_angle_at_zero_and_on_reals_is_zero():
    assert bc.grad(bnp.angle)(0j) == 0
    exact(grad(bnp.angle, [-1.0, 0.0, 1.0]), [0.0, 0.0, 0.0])


def test_nan_to_num_replaced_values_get_zero():
    exact(grad(bnp.nan_to_num, [np.nan, np.inf, -np.inf, 1.5]), [0.0, 0.0, 0.0, 1.0])
    z = np.array([complex(np.nan, 1.0), complex(1.0, np.inf)])
    g = bc.grad(lambda v: bnp.sum(bnp.real(bnp.nan_to_num(v)) + bnp.imag(bnp.nan_to_num(v))))(z)
    # d/dx - i d/dy of Re + Im: the replaced part contributes 0.
    np.testing.assert_array_equal(g, [-1j, 1.0])


# -- power at negative bases ----------------------------------------------------------

def test_power_negative_base_integer_exponent():
    exact(grad(lambda x: x ** 3, [-2.0]), [12.0])
    exact(grad(lambda x: x ** 2, [-3.0, 0.0]), [-6.0, 0.0])
    exact(grad(lambda x: x ** -1, [-2.0]), [-0.25])
    exact(grad(lambda x: bnp.power(x, np.array([2.0, 3.0])), [-2.0, -2.0]), [-4.0, 12.0])
    exact(grad(lambda x: x ** 0, [0.0, -1.0]), [0.0, 0.0])


def test_power_exponent_derivative_undefined_for_negative_base():
    # x ** y is real only at integer y when x < 0, so d/dy does not exist there: NaN, documented.
    assert np.isnan(bc.grad(lambda y: (-2.0) ** y)(2.0))
    # At x = 0 the limit for y > 0: 0.
    assert bc.grad(lambda y: bnp.power(0.0, y))(2.0) == 0.0
