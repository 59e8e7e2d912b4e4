"""Elementwise primitives: arithmetic, powers, exponentials, trigonometry, comparisons.

Each row states the forward (a NumPy ufunc) and the partial derivatives with
respect to each input as a function of ``(ans, *args)``; the ``deriv=``
shorthand turns them into both the VJP (``g * d``) and the JVP (``t * d``).
Rules are written with ``backchain.numpy`` so that they can be differentiated
again. Kinks follow DESIGN.md section 4 and are stated where they are chosen.

Where a derivative is infinite at a point of the domain (``sqrt'(0)``,
``arcsin'(1)``, ``cbrt'(0)``, ``log'(0)``), the rule returns the limit (+inf or
-inf). Those rows use ``_safe`` rules: a zero cotangent (or tangent) times that
infinite derivative gives an exact 0, not NaN, so the branch of a ``where``
that was not taken leaks nothing into the gradient.

Complex inputs follow autograd/JAX: for a holomorphic function the VJP is
``g * f'(z)`` with no conjugation.
"""
import math
import operator

import numpy as np

import backchain.numpy as bnp
from ..kinks import _policy
from .. import _ld
from .._core.primitive import primitive, safe_times
from .._core.basic import real  # noqa: F401  (re-exported)
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked, stacked_each
from .._vmap import rules as R

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "positive", "power", "float_power",
    "square", "reciprocal", "sqrt", "cbrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "sinc", "deg2rad", "rad2deg", "degrees", "radians",
    "logaddexp", "logaddexp2", "abs", "absolute", "fabs", "sign", "copysign", "heaviside",
    "maximum", "minimum", "fmax", "fmin", "clip", "fmod", "remainder", "mod",
    "floor", "ceil", "rint", "trunc", "fix", "round", "around", "nan_to_num",
    "where", "real", "imag", "conj", "conjugate", "angle",
]


# -- helpers ---------------------------------------------------------------------

def _one(ans, *args, **params):
    return 1.0


def _g(g, ans, *args, **params):
    return g


def _minus_g(g, ans, *args, **params):
    return -g


def _zeros(g, ans, x, *rest, **params):
    """The cotangent (or tangent contribution) of a piecewise-constant op: exact zeros shaped like x."""
    return bnp.zeros_like(x)


def _zero(ans, *args, **params):
    return bnp.zeros_like(ans)


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _is_complex(x):
    return np.iscomplexobj(_data(x))


# ``g * d``, where a zero ``g`` gives an exact zero even if ``d`` is inf or NaN (DESIGN.md
# section 4, ``where``); the ``deriv=`` shorthand uses it too.
_times = safe_times


def _safe(*derivs):
    """``vjp=``, ``jvp=`` tuples from partial derivatives, as ``deriv=`` does, through ``_times``
    (and the elementwise batching that ``deriv=`` implies)."""
    def mk(d):
        rule = lambda g, ans, *args, **params: _times(g, d(ans, *args, **params))  # noqa: E731
        rule.deriv = d  # what the rule reads is what d reads (_core/versions.reads)
        return rule

    rules = tuple(None if d is None else mk(d) for d in derivs)
    return {"vjp": rules, "jvp": rules, "batch": R.ELEMENTWISE}


# -- arithmetic --------------------------------------------------------------------

# `fast=operator.*`: with a Tensor argument the data are arrays or NumPy scalars,
# for which the operator skips the ufunc machinery.
add = primitive("add", np.add, vjp=(_g, _g), jvp=(_g, _g), fast=operator.add, saves=False)
subtract = primitive("subtract", np.subtract, vjp=(_g, _minus_g), jvp=(_g, _minus_g), fast=operator.sub,
                     saves=False)
# multiply and divide multiply through `_times` (no NaN from the branch not taken): an operand
# of multiply may have overflowed to inf, and 1 / y is inf at y = 0 (where(x != 0, 1 / x, 0)).
# A finite Python number as derivative (x * 2.0) skips the check.
def _mul_dx(g, ans, x, y):
    return g * y if type(y) is float and y - y == 0.0 else _times(g, y)


def _mul_dy(g, ans, x, y):
    return g * x if type(x) is float and x - x == 0.0 else _times(g, x)


multiply = primitive("multiply", np.multiply, vjp=(_mul_dx, _mul_dy), jvp=(_mul_dx, _mul_dy), fast=operator.mul)
def _reciprocal_of(ans, x, y):
    # 1 / y. NOTE: a Python divisor gives a Python float (np.divide(1.0, 2.0) is a float64 scalar, which
    # would make a float32 tangent float64); a Python 0 gives inf, not ZeroDivisionError.
    if type(y) in (int, float):
        return 1.0 / y if y else math.copysign(math.inf, y)
    return divide(1.0, y)


divide = primitive("divide", np.divide, **_safe(_reciprocal_of, lambda ans, x, y: -ans / y), fast=operator.truediv)
true_divide = divide
negative = primitive("negative", np.negative, vjp=(_minus_g,), jvp=(_minus_g,), fast=operator.neg, saves=False)
positive = primitive("positive", np.positive, deriv=(_one,))
square = primitive("square", np.square, **_safe(lambda ans, x: 2 * x))
reciprocal = primitive("reciprocal", np.reciprocal, **_safe(lambda ans, x: -ans * ans))


# -- powers --------------------------------------------------------------------------

def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _power_dx_with(pow_fn):
    def dx(ans, x, y):
        # y * x ** (y - 1). Negative x with an integer-valued y is fine: x ** (y - 1) is real there.
        # At x = 0 with 0 < y < 1 the limit +inf; at y == 0 the product's exact 0 times x ** -1
        # (inf at x = 0) is 0 (`_times`: d/dx x**0 = 0, also at x = 0).
        if _is_number(y):  # x ** 2, x ** 0.5: the common case, with no masks
            if y == 0:
                return bnp.zeros_like(ans)
            if y == 1:
                return 1.0
            if y == 2:
                return 2 * x
            return y * pow_fn(x, y - 1)
        # NOTE: no where(y == 0, 0, ...): a constant there would drop d/dy (y x**(y-1)) = 1/x at
        # y = 0 from second derivatives. At x = 0, y is held constant (d/dy is 0 there, as for
        # the first derivative in `_power_dy`), which keeps the Hessian symmetric.
        if isinstance(y, Tensor):
            at_zero = (x._data if isinstance(x, Tensor) else np.asarray(x)) == 0
            if np.any(at_zero):
                y = bnp.where(at_zero, y._data, y)
        return _times(y, pow_fn(x, y - 1))
    return dx


def _power_dy(ans, x, y):
    # ans * log(x). At x == 0 the limit for y > 0, which is 0. For real x < 0 the derivative with
    # respect to y does not exist (x ** y is real only at integer y) and the result is NaN.
    if _is_number(x) and x > 0:
        return ans * math.log(x)
    safe_x = bnp.where(x == 0, 1.0, x)
    return bnp.where(x == 0, 0.0, ans * bnp.log(safe_x))


def _power_rules(pow_fn):
    dx = _power_dx_with(pow_fn)

    def rule_x(g, ans, x, y):
        d = dx(ans, x, y)
        if _is_number(y) and (y >= 1 or y == 0):  # d is finite wherever x is: no NaN check
            return g * d
        return _times(g, d)

    def rule_y(g, ans, x, y):
        return _times(g, _power_dy(ans, x, y))

    return {"vjp": (rule_x, rule_y), "jvp": (rule_x, rule_y)}


power = primitive(
    "power", np.power, **_power_rules(lambda x, y: power(x, y)),
    kinks="d/dx at x = 0 with 0 < y < 1: +inf; d/dy at x < 0: NaN (undefined)",
    doc="x ** y. d/dx is defined for x < 0 with integer y; d/dy is not (NaN) when x < 0.",
)
# float_power computes in float64 (complex128); so do its derivatives.
float_power = primitive("float_power", np.float_power, **_power_rules(lambda x, y: float_power(x, y)),
                        kinks="as power")

# sqrt'(0) = +inf: the one-sided limit (DESIGN.md section 4). Complex: the principal branch, whose
# derivative is 0.5 / sqrt(z) as well.
sqrt = primitive("sqrt", np.sqrt, **_safe(lambda ans, x: 0.5 / ans), kinks="sqrt'(0) = +inf")
# cbrt'(0) = +inf, the limit from both sides (real only, as in NumPy).
cbrt = primitive("cbrt", np.cbrt, **_safe(lambda ans, x: 1.0 / (3.0 * ans * ans)), kinks="cbrt'(0) = +inf")

# -- exponentials and logarithms -----------------------------------------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)

# exp, exp2, expm1, sinh, cosh, tan overflow to inf (where(x < 50, exp(x), 0) in float32): `_safe`.
exp = primitive("exp", np.exp, **_safe(lambda ans, x: ans))
exp2 = primitive("exp2", np.exp2, **_safe(lambda ans, x: ans * _LN2))
# exp(x), not ans + 1, which loses every digit where ans is close to -1.
expm1 = primitive("expm1", np.expm1, **_safe(lambda ans, x: exp(x)))
# log'(0) = +inf (the limit from the right).
log = primitive("log", np.log, **_safe(lambda ans, x: 1.0 / x))
log2 = primitive("log2", np.log2, **_safe(lambda ans, x: 1.0 / (x * _LN2)))
log10 = primitive("log10", np.log10, **_safe(lambda ans, x: 1.0 / (x * _LN10)))
log1p = primitive("log1p", np.log1p, **_safe(lambda ans, x: 1.0 / (1.0 + x)))
# d/dx log(e^x + e^y) = e^(x - ans): no overflow for large x. Where x = y = +-inf, x - ans is NaN;
# the derivative there is 1/2 for each argument, its value everywhere else on x = y (and the limit
# along it), so logaddexp(-inf, -inf) sends no NaN back (JAX's and PyTorch's give NaN).
def _logaddexp_deriv(power, which):
    def d(ans, x, y):
        xd, yd = _data(x), _data(y)
        tie = np.isinf(xd) & (xd == yd)
        z = x if which == 0 else y
        if not tie.any():
            return power(z - ans)
        with np.errstate(invalid="ignore"):
            e = power(z - ans)
        return where(tie, 0.5, e)
    return d


logaddexp = primitive("logaddexp", np.logaddexp,
                      deriv=(_logaddexp_deriv(exp, 0), _logaddexp_deriv(exp, 1)),
                      kinks="logaddexp(+-inf, +-inf): each argument's derivative is 1/2 (NaN by the formula)")
logaddexp2 = primitive("logaddexp2", np.logaddexp2,
                       deriv=(_logaddexp_deriv(exp2, 0), _logaddexp_deriv(exp2, 1)),
                       kinks="logaddexp2(+-inf, +-inf): each argument's derivative is 1/2 (NaN by the formula)")

# -- trigonometric and hyperbolic ------------------------------------------------------

sin = primitive("sin", np.sin, deriv=(lambda ans, x: cos(x),))
cos = primitive("cos", np.cos, deriv=(lambda ans, x: -sin(x),))
tan = primitive("tan", np.tan, **_safe(lambda ans, x: 1.0 + ans * ans))
# arcsin'(±1) = +inf and arccos'(±1) = -inf: the one-sided limits. Complex: principal branches.
arcsin = primitive("arcsin", np.arcsin, **_safe(lambda ans, x: 1.0 / sqrt(1.0 - x * x)),
                   kinks="arcsin'(±1) = +inf")
arccos = primitive("arccos", np.arccos, **_safe(lambda ans, x: -1.0 / sqrt(1.0 - x * x)),
                   kinks="arccos'(±1) = -inf")
arctan = primitive("arctan", np.arctan, deriv=(lambda ans, x: 1.0 / (1.0 + x * x),))
sinh = primitive("sinh", np.sinh, **_safe(lambda ans, x: cosh(x)))
cosh = primitive("cosh", np.cosh, **_safe(lambda ans, x: sinh(x)))
tanh = primitive("tanh", np.tanh, deriv=(lambda ans, x: 1.0 - ans * ans,))
arcsinh = primitive("arcsinh", np.arcsinh, deriv=(lambda ans, x: 1.0 / sqrt(x * x + 1.0),))


def _arccosh_d(ans, x):
    # 1 / sqrt(x^2 - 1) on the reals (+inf at x = 1). For complex z the principal branch needs
    # sqrt(z - 1) * sqrt(z + 1), which differs from sqrt(z^2 - 1) off the real axis.
    if _is_complex(x):
        return 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0))
    return 1.0 / sqrt((x - 1.0) * (x + 1.0))


arccosh = primitive("arccosh", np.arccosh, **_safe(_arccosh_d), kinks="arccosh'(1) = +inf")
arctanh = primitive("arctanh", np.arctanh, **_safe(lambda ans, x: 1.0 / (1.0 - x * x)),
                    kinks="arctanh'(±1) = +inf")


def _arctan2_r2(x1, x2):
    r2 = x1 * x1 + x2 * x2
    return bnp.where(r2 == 0, 1.0, r2)


# arctan2(x1, x2) = angle of (x2, x1). Not differentiable at the origin (it is not even
# continuous there): both partials are taken as 0 (min-norm). It jumps across x1 = 0, x2 < 0.
arctan2 = primitive(
    "arctan2", np.arctan2,
    deriv=(lambda ans, x1, x2: x2 / _arctan2_r2(x1, x2), lambda ans, x1, x2: -x1 / _arctan2_r2(x1, x2)),
    kinks="origin: 0 / 0; jump across x1 = 0 for x2 < 0",
)


def _hypot_d(ans, x, y):
    # x / hypot(x, y); at the origin 0 (min-norm subgradient of the norm, DESIGN.md section 4),
    # with second derivatives 0 there as vector_norm's (x / 1 would give the identity).
    at_origin = ans == 0
    return bnp.where(at_origin, 0.0, x / bnp.where(at_origin, 1.0, ans))


hypot = primitive("hypot", np.hypot, deriv=(_hypot_d, lambda ans, x, y: _hypot_d(ans, y, x)),
                  ld=_ld.HYPOT, kinks="origin: 0, 0")


def _sinc_d(ans, x):
    # (cos(pi x) - sinc(x)) / x, which cancels catastrophically near 0: there the Taylor series
    # -pi^2 x / 3 + pi^4 x^3 / 30 - pi^6 x^5 / 840 (truncation error < 1e-16 relative for |x| < 0.01).
    small = bnp.abs(x) < 0.01
    xs = bnp.where(small, 1.0, x)
    x2 = x * x
    series = x * (-math.pi ** 2 / 3 + x2 * (math.pi ** 4 / 30 - x2 * (math.pi ** 6 / 840)))
    return bnp.where(small, series, (cos(math.pi * xs) - ans) / xs)


sinc = primitive("sinc", np.sinc, deriv=(_sinc_d,))

_D2R = math.pi / 180.0
_R2D = 180.0 / math.pi
deg2rad = primitive("deg2rad", np.deg2rad, vjp=(lambda g, ans, x: g * _D2R,), linear=True)
rad2deg = primitive("rad2deg", np.rad2deg, vjp=(lambda g, ans, x: g * _R2D,), linear=True)
radians = deg2rad
degrees = rad2deg


# -- absolute value, sign and friends -------------------------------------------------

def _abs_vjp(g, ans, x):
    # abs'(0) = 0 (min-norm subgradient); for complex x the autograd convention g * conj(x) / |x|.
    if _is_complex(x):
        safe = bnp.where(ans == 0, 1.0, ans)
        return g * bnp.where(ans == 0, 0.0, conj(x) / safe)
    return g * bnp.sign(x)


def _abs_jvp(t, ans, x):
    if _is_complex(x):
        safe = bnp.where(ans == 0, 1.0, ans)
        return bnp.where(ans == 0, 0.0, real(conj(x) * t) / safe)
    return t * bnp.sign(x)


# sign'(x) = 0 everywhere, including at its jump (DESIGN.md section 4). For complex x, NumPy's
# sign is x / |x|, which moves with the phase: d sign = (dx - s Re(conj(s) dx)) / |x| (0 at x = 0).
def _sign_vjp(g, ans, x):
    if not _is_complex(x):
        return bnp.zeros_like(x)
    r = bnp.abs(x)
    safe = bnp.where(r == 0, 1.0, r)
    return bnp.where(r == 0, 0.0, (g - real(g * ans) * conj(ans)) / safe)


def _sign_jvp(t, ans, x):
    if not _is_complex(x):
        return bnp.zeros_like(ans)
    r = bnp.abs(x)
    safe = bnp.where(r == 0, 1.0, r)
    return bnp.where(r == 0, 0.0, (t - ans * real(conj(ans) * t)) / safe)


sign = primitive("sign", np.sign, vjp=(_sign_vjp,), jvp=(_sign_jvp,),
                 kinks="sign'(0) = 0; complex sign x / |x| has derivative 0 at x = 0")
abs = primitive("absolute", np.absolute, vjp=(_abs_vjp,), jvp=(_abs_jvp,), ld=_ld.ABS, kinks="abs'(0) = 0")
absolute = abs


def fabs(x, /):
    """``numpy.fabs``: the absolute value of real numbers (``abs``, with its convention abs'(0) = 0).

    >>> import backchain.numpy as bnp
    >>> bnp.fabs(bnp.array([-1.5, 2.0]))
    array([1.5, 2. ])
    """
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if np.iscomplexobj(x._data if isinstance(x, Tensor) else x):
        raise TypeError("fabs: complex input has no fabs; use abs")
    if not isinstance(x, Tensor):
        return np.fabs(x)
    return abs(x)

def _sign_of(x2):
    """±1 by the sign bit of ``x2``; a Python float for a Python ``x2`` (float32 stays float32)."""
    return math.copysign(1.0, x2) if type(x2) in (int, float) else copysign(1.0, x2)


# copysign(x1, x2) = |x1| * sign(x2): d/dx1 = sign(x1) * sign(x2), 0 at x1 = 0 (as abs'(0));
# d/dx2 = 0 (piecewise constant; a jump at x2 = 0).
copysign = primitive(
    "copysign", np.copysign,
    deriv=(lambda ans, x1, x2: bnp.sign(x1) * _sign_of(x2), _zero),
    kinks="d/dx1 at x1 = 0: 0; d/dx2: 0",
)
# heaviside(x1, x2) is x2 where x1 == 0, else 0 or 1: d/dx1 = 0 (step), d/dx2 = [x1 == 0].
heaviside = primitive(
    "heaviside", np.heaviside,
    deriv=(_zero, lambda ans, x1, x2: _indicator(ans, x1 == 0)),
    kinks="d/dx1 = 0 (also at 0)",
)


# -- maximum, minimum, clip -----------------------------------------------------------

# Ties x == y: the ties policy of backchain.kinks; by default 0.5 to each (min-norm of the
# subdifferential), "first" gives all to x, "last" all to y.
def _tie_x():
    t = _policy.ties
    return 0.5 if t == "split" else (1.0 if t == "first" else 0.0)


def _indicator(ans, mask, tie=None, share=0.0):
    """1 where ``mask``, ``share`` where ``tie``, else 0: a constant in the result's float dtype.

    Why: a float64 derivative would turn a float32 tangent (JVP) into float64.
    """
    d = np.where(mask, 1.0, 0.0 if tie is None else np.where(tie, share, 0.0))
    dtype = _data(ans).dtype
    return d.astype(dtype if dtype.kind == "f" else np.float64, copy=False)


def _max_dx(ans, x, y):
    return _indicator(ans, x > y, x == y, _tie_x())


def _max_dy(ans, x, y):
    return _indicator(ans, y > x, x == y, 1.0 - _tie_x())


def _min_dx(ans, x, y):
    return _indicator(ans, x < y, x == y, _tie_x())


def _min_dy(ans, x, y):
    return _indicator(ans, y < x, x == y, 1.0 - _tie_x())


maximum = primitive("maximum", np.maximum, deriv=(_max_dx, _max_dy), ld=_ld.MAXIMUM, kinks="x == y: the ties policy")
minimum = primitive("minimum", np.minimum, deriv=(_min_dx, _min_dy), ld=_ld.MINIMUM, kinks="x == y: the ties policy")


def _fmax_dx(ans, x, y):
    # As maximum (ties by policy), but a NaN loses: the other argument takes the whole derivative.
    return _indicator(ans, (x > y) | bnp.isnan(y), x == y, _tie_x())


def _fmin_dx(ans, x, y):
    return _indicator(ans, (x < y) | bnp.isnan(y), x == y, _tie_x())


fmax = primitive("fmax", np.fmax, deriv=(_fmax_dx, lambda ans, x, y: 1.0 - _fmax_dx(ans, x, y)),
                 ld=_ld.MAXIMUM, kinks="x == y: the ties policy; a NaN argument gets 0")
fmin = primitive("fmin", np.fmin, deriv=(_fmin_dx, lambda ans, x, y: 1.0 - _fmin_dx(ans, x, y)),
                 ld=_ld.MINIMUM, kinks="x == y: the ties policy; a NaN argument gets 0")


# clip(a, lo, hi) = minimum(maximum(a, lo), hi). Each partial is 1 strictly where that argument is
# the one returned and 0 on a tie (min-norm of [0, 1]: clip'(lo) = clip'(hi) = 0, as relu'(0) = 0).
# A bound given as None is absent. With lo > hi NumPy returns hi, and so do the masks.
def _clip_mask_a(a, lo, hi):
    m = True
    if lo is not None:
        m = a > lo
    if hi is not None:
        m = m & (a < hi)
    return m


def _clip_mask_lo(a, lo, hi):
    m = lo > a
    return m if hi is None else m & (lo < hi)


def _clip_mask_hi(a, lo, hi):
    m = hi < a
    return m if lo is None else m | (hi < lo)


def _masked(mask_fn):
    return lambda g, ans, a, lo, hi: bnp.where(mask_fn(a, lo, hi), g, 0.0)


def _clip_rule_a(g, ans, a, lo, hi):
    # At a bound, d/da is the policy's clip_at_bound (default 0); the bounds get 0 there.
    v = _policy.clip_at_bound
    inside = bnp.where(_clip_mask_a(a, lo, hi), g, 0.0)
    if v == 0.0:
        return inside
    at = False
    if lo is not None:
        at = a == lo
    if hi is not None:
        at = at | (a == hi)
    return bnp.where(at, g * v, inside)


_clip_rules = (_clip_rule_a, _masked(_clip_mask_lo), _masked(_clip_mask_hi))
_clip = primitive("clip", lambda a, lo, hi: np.clip(a, lo, hi), vjp=_clip_rules, jvp=_clip_rules,
                  ld=_ld.CLIP, kinks="at a == a_min or a == a_max: d/da = clip_at_bound (default 0), the bounds 0",
                  batch=R.ELEMENTWISE)

_NO_VALUE = object()


def clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE, max=_NO_VALUE):
    """``numpy.clip``: ``a`` limited to ``[a_min, a_max]``; the bounds may be arrays or None.

    The derivative is 1 strictly inside the interval and 0 outside *and at the
    bounds* (min-norm subgradient, like ``relu'(0) = 0``); a bound's derivative
    is 1 where that bound is returned strictly.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.clip(x, 0.0, 1.0).sum())(bnp.array([-1.0, 0.0, 0.5, 1.0]))
    array([0., 0., 1., 0.])
    """
    if min is not _NO_VALUE:
        a_min = min
    if max is not _NO_VALUE:
        a_max = max
    a_min = None if a_min is _NO_VALUE else a_min
    a_max = None if a_max is _NO_VALUE else a_max
    a, a_min, a_max = stacked_each((a, a_min, a_max))
    if not (isinstance(a, Tensor) or isinstance(a_min, Tensor) or isinstance(a_max, Tensor)):
        return np.clip(a, a_min, a_max, out=out)
    if out is not None:
        raise TypeError("clip: out= is not supported for differentiable arrays")
    if a_min is None and a_max is None:
        return positive(a)
    return _clip(a, a_min, a_max)


# -- remainders -----------------------------------------------------------------------

def _rem_dx2(ans, x1, x2):
    # x1 - q * x2 with q = trunc (fmod) or floor (remainder) of x1 / x2; q is read back from the
    # result ((x1 - ans) / x2 is an integer up to rounding), so it is the q NumPy used.
    # d/dx2 = -q; it jumps (by 1) where x1 / x2 crosses an integer, as the function does.
    return -rint((x1 - ans) / x2)


def _rem_rule_x2(g, ans, x1, x2):
    return g * _rem_dx2(ans, x1, x2)


_REM_RULES = {"vjp": (_g, _rem_rule_x2), "jvp": (_g, _rem_rule_x2), "kinks": "jumps where x1 / x2 is an integer"}
fmod = primitive("fmod", np.fmod, **_REM_RULES)
remainder = primitive("remainder", np.remainder, **_REM_RULES)
mod = remainder


# -- rounding: piecewise constant, derivative 0 (also at the jumps) --------------------

_ZERO_RULES = {"vjp": (_zeros,), "jvp": (_zeros,), "kinks": "derivative 0, also at the jumps"}
floor = primitive("floor", np.floor, **_ZERO_RULES)
ceil = primitive("ceil", np.ceil, **_ZERO_RULES)
rint = primitive("rint", np.rint, **_ZERO_RULES)
trunc = primitive("trunc", np.trunc, **_ZERO_RULES)
fix = primitive("fix", np.fix, **_ZERO_RULES, batch=R.ELEMENTWISE)
_round = primitive("round", lambda a, decimals: np.round(a, decimals), **_ZERO_RULES, batch=R.ELEMENTWISE)


def round(a, decimals=0, out=None):
    """``numpy.round`` (also ``around``): derivative 0, also at the half-way jumps."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.round(a, decimals, out=out)
    if out is not None:
        raise TypeError("round: out= is not supported for differentiable arrays")
    return _round(a, decimals=int(decimals))


around = round


# -- NaN and inf ----------------------------------------------------------------------

def _nan_to_num_rule(g, ans, x, nan, posinf, neginf):
    # 1 where x is finite, 0 where a constant replaced it; complex: the real and imaginary parts
    # separately (NumPy replaces them separately).
    if _is_complex(x):
        re = bnp.where(bnp.isfinite(real(x)), real(g), 0.0)
        im = bnp.where(bnp.isfinite(imag(x)), imag(g), 0.0)
        return re + 1j * im
    return bnp.where(bnp.isfinite(x), g, 0.0)


_nan_to_num = primitive(
    "nan_to_num", lambda x, nan, posinf, neginf: np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf),
    vjp=(_nan_to_num_rule,), jvp=(_nan_to_num_rule,),
    kinks="0 where a NaN or inf was replaced",
    batch=R.ELEMENTWISE,
)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``numpy.nan_to_num``: derivative 1 where ``x`` is finite, 0 where a value was replaced."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not isinstance(x, Tensor):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    return _nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


# -- where ----------------------------------------------------------------------------

_where = primitive(
    "where", np.where,
    vjp=(None,
         lambda g, ans, c, x, y: bnp.where(c, g, 0.0),
         lambda g, ans, c, x, y: bnp.where(c, 0.0, g)),
    jvp=(None,
         lambda t, ans, c, x, y: bnp.where(c, t, 0.0),
         lambda t, ans, c, x, y: bnp.where(c, 0.0, t)),
    kinks="the branch not selected receives an exact zero",
    batch=R.ELEMENTWISE,
)


def where(condition, x=None, y=None):
    """``numpy.where``: elements of ``x`` where ``condition`` holds, else of ``y``.

    The branch not selected receives an exact zero cotangent, so a NaN or inf
    in its derivative never leaks into the gradient.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.where(x > 0, x * x, -x).sum())(bnp.array([-1.0, 2.0]))
    array([-1.,  4.])
    """
    if x is None and y is None:
        return np.where(condition._data if isinstance(condition, Tensor) else condition)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    return _where(condition, x, y)


# -- complex parts ---------------------------------------------------------------------

conj = primitive("conjugate", np.conjugate, vjp=(lambda g, ans, x: conj(g),), linear=True)
conjugate = conj


def _imag_vjp(g, ans, x):
    # The transpose of z -> Im z under the pairing Re(sum(a * b)) is g -> -1j * g (autograd, JAX).
    if _is_complex(x):
        return g * -1j
    return bnp.zeros_like(x)


imag = primitive("imag", np.imag, vjp=(_imag_vjp,), linear=True, batch=R.ELEMENTWISE)


def _angle_scale(deg):
    return _R2D if deg else 1.0


def _angle_vjp(g, ans, z, deg):
    # angle(z) = Im log z, a real function of complex z: the gradient (d/dx - i d/dy) is -1j / z.
    # At z == 0 (no derivative) and for real z (piecewise constant: 0 or pi): 0.
    if not _is_complex(z):
        return bnp.zeros_like(z)
    safe = bnp.where(z == 0, 1.0, z)
    return bnp.where(z == 0, 0.0, g * (-1j * _angle_scale(deg)) / safe)


def _angle_jvp(t, ans, z, deg):
    if not _is_complex(z):
        return bnp.zeros_like(z)
    safe = bnp.where(z == 0, 1.0, z)
    return bnp.where(z == 0, 0.0, imag(t / safe) * _angle_scale(deg))


_angle = primitive("angle", lambda z, deg: np.angle(z, deg), vjp=(_angle_vjp,), jvp=(_angle_jvp,),
                   kinks="z == 0 and real z: 0", batch=R.ELEMENTWISE)


def angle(z, deg=False):
    """``numpy.angle``: the argument of complex ``z`` (0 or pi for real ``z``, derivative 0 there)."""
    if z.__class__ is list or z.__class__ is tuple:
        z = stacked(z)
    if not isinstance(z, Tensor):
        return np.angle(z, deg)
    return _angle(z, deg=bool(deg))
