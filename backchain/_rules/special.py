"""SciPy special functions: elementwise primitives whose derivatives are special functions too.

Every derivative is written with the functions of this file (``gammaln' =
digamma``, ``digamma' = polygamma(1, .)``, ``i0' = i1``, ``j0' = -j1`` ...), so
derivatives of any order need no extra code. Primitive names carry the
``scipy.special.`` prefix (NumPy has an ``i0`` of its own).

This module imports SciPy: it is loaded by ``backchain.scipy.special``, never
by ``import backchain``.

Conventions at the special points (stated in ``kinks=``):

* ``xlogy(x, y)``, ``xlog1py(x, y)``: 0 wherever ``x == 0`` (SciPy's value, also
  at ``y == 0``), so the partial derivative in ``y`` there is exactly 0; the
  partial in ``x`` is ``log(y)`` (``log1p(y)``), which is ``-inf`` at ``y == 0``
  (``y == -1``): the one-sided limit, never a NaN; so is the partial in ``y``,
  ``x / y``, there (+-inf where ``x != 0``). At ``x == 0`` that partial is ``x / y``
  itself, so its derivative in ``x`` (``1 / y``) survives in second derivatives.
* ``i1'(0) = j1'(0) = i1e'(0) = 1/2``: the limit of ``i0 - i1/x`` (``j0 - j1/x``);
  for ``i1`` and ``j1`` through the Taylor series of ``i1/x`` (``j1/x``) at 0, so
  that higher derivatives at 0 are exact too.
* ``i0e'(0) = 0``: ``i0e = exp(-|x|) i0`` has a corner at 0 with one-sided
  slopes -1 and +1; the min-norm element of ``[-1, 1]`` is 0 (``ive(0, .)`` too).
* ``gammainc``, ``gammaincc``: d/dx is the gamma density, +-inf at ``x == 0`` for
  ``a < 1``; d/da (no closed form; SciPy has none, JAX has the first) sums the
  series and the continued fraction that compute P and Q, differentiated term by
  term, to second order (a third derivative in ``a`` raises, naming it).
* ``betainc``: d/dx is the beta density; d/da and d/db (neither SciPy nor JAX
  has them) differentiate the continued fraction that computes it, to second
  order; so does ``stdtr`` in ``df``.
* Arguments with no rule raise at differentiation, naming themselves: the order
  of ``jv``, ``iv``, ``ive`` (NotImplementedError) and ``yn`` (an integer:
  ValueError). Never a silent zero.
* ``rgamma`` is entire: its derivative is finite at the poles of gamma (the
  reflection formula for x < 1/2); ``gammasgn' = 0``; ``entr'(0) = +inf``.
"""
import numpy as np
import scipy.special as sc

import backchain.numpy as bnp
from .._core.primitive import primitive
from .elementwise import _safe as _safe_rules
from .._core.tensor import Tensor, UFUNCS
from .._vmap import rules as R

__all__ = [
    "erf", "erfc", "erfinv", "erfcinv", "ndtr", "log_ndtr", "ndtri", "expit", "logit", "log1p", "expm1",
    "gamma", "gammaln", "digamma", "psi", "polygamma", "beta", "betaln", "xlogy", "xlog1py",
    "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1", "logsumexp", "softmax", "log_softmax",
    "gammainc", "gammaincc", "betainc", "rgamma", "gammasgn", "multigammaln", "entr",
    "jv", "jn", "yn", "iv", "ive", "stdtr", "yv", "kv", "kve", "k0", "k1", "k0e", "k1e", "erfcx", "log_expit",
    "exp1", "expi", "rel_entr", "kl_div", "gammaincinv", "gammainccinv", "betaincinv", "stdtrit",
]

_SQRT_PI = float(np.sqrt(np.pi))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))


def _p(name, impl, *deriv, kinks=None):
    return primitive(f"scipy.special.{name}", impl, deriv=deriv, kinks=kinks)


# -- error function and the normal distribution --------------------------------------

erf = _p("erf", sc.erf, lambda ans, x: (2.0 / _SQRT_PI) * bnp.exp(-x * x))
erfc = _p("erfc", sc.erfc, lambda ans, x: (-2.0 / _SQRT_PI) * bnp.exp(-x * x))
erfinv = _p("erfinv", sc.erfinv, lambda ans, x: (0.5 * _SQRT_PI) * bnp.exp(ans * ans))
erfcinv = _p("erfcinv", sc.erfcinv, lambda ans, x: (-0.5 * _SQRT_PI) * bnp.exp(ans * ans))
ndtr = _p("ndtr", sc.ndtr, lambda ans, x: _INV_SQRT_2PI * bnp.exp(-0.5 * x * x))
# log_ndtr' = pdf / cdf, computed as exp(log pdf - log cdf): stable far in the left tail.
log_ndtr = _p("log_ndtr", sc.log_ndtr,
              lambda ans, x: bnp.exp(-0.5 * x * x - ans + float(np.log(_INV_SQRT_2PI))))
ndtri = _p("ndtri", sc.ndtri, lambda ans, x: (1.0 / _INV_SQRT_2PI) * bnp.exp(0.5 * ans * ans))

# -- logistic, logarithms ---------------------------------------------------------------

expit = _p("expit", sc.expit, lambda ans, x: ans * (1.0 - ans))
logit = _p("logit", sc.logit, lambda ans, x: 1.0 / (x * (1.0 - x)))
log1p = _p("log1p", sc.log1p, lambda ans, x: 1.0 / (1.0 + x))
expm1 = _p("expm1", sc.expm1, lambda ans, x: ans + 1.0)


def _x_over(x, d):
    """``x / d``: +-inf where ``d == 0`` and ``x != 0``; 0 where both are 0 (the function is
    identically 0 on the line x == 0). NOTE: no where(x == 0, 0, ...): that constant would drop
    the x-derivative 1 / d from second derivatives at x == 0."""
    both = (x._data if isinstance(x, Tensor) else np.asarray(x)) == 0
    both = both & ((d._data if isinstance(d, Tensor) else np.asarray(d)) == 0)
    with np.errstate(divide="ignore"):  # +-inf where d == 0 and x != 0: the limit, meant
        return x / (bnp.where(both, np.inf, d) if np.any(both) else d)


def _one(y):
    """1 in ``y``'s float dtype: ``xlogy(1.0, y)`` would make a float32 ``y``'s derivative float64."""
    dtype = (y._data if isinstance(y, Tensor) else np.asarray(y)).dtype
    return np.ones((), dtype if dtype.kind in "fc" else np.float64)


# d/dy can be +-inf (x / 0): the products go through safe_times (a zero cotangent gives 0). _like: with a
# Python x, SciPy's result is float64 for float32 y, and so is the tangent.
xlogy = primitive("scipy.special.xlogy", sc.xlogy,
                  **_safe_rules(lambda ans, x, y: xlogy(_one(y), y),  # log(y), -inf at 0 without a warning
                                lambda ans, x, y: _like(_x_over(x, y), ans)),
                  kinks="x == 0: value 0 and d/dy = 0; d/dx = log(y), -inf at y == 0; d/dy = x / y: +-inf")
xlog1py = primitive("scipy.special.xlog1py", sc.xlog1py,
                    **_safe_rules(lambda ans, x, y: xlog1py(_one(y), y),
                                  lambda ans, x, y: _like(_x_over(x, 1.0 + y), ans)),
                    kinks="x == 0: value 0 and d/dy = 0; d/dx = log1p(y), -inf at y == -1; d/dy +-inf there")

# -- gamma and friends ------------------------------------------------------------------


def _like(d, ans):
    """``d`` in ``ans``'s dtype."""
    dtype = (ans._data if isinstance(ans, Tensor) else np.asarray(ans)).dtype
    return d if d.dtype == dtype else bnp.astype(d, dtype)


def _polygamma_impl(n, x):
    return sc.polygamma(np.asarray(n).astype(np.int64) if np.ndim(n) else int(n), x)


polygamma_p = primitive("scipy.special.polygamma", _polygamma_impl,
                        deriv=(None, lambda ans, n, x: polygamma_p(n + 1, x)), batch=R.ELEMENTWISE)


def polygamma(n, x):
    """``scipy.special.polygamma(n, x)``, differentiable in ``x`` (the order ``n`` is an integer: a Tensor
    that requires grad there raises, naming it, rather than lose its gradient)."""
    if isinstance(n, Tensor):
        if n.requires_grad:
            raise ValueError("polygamma: no derivative with respect to n (the integer order); only x is "
                             "differentiable")
        n = n._data
    return polygamma_p(n, x)


# polygamma computes in float64 (SciPy's dtype): digamma's derivative keeps digamma's dtype.
digamma = _p("digamma", sc.digamma, lambda ans, x: _like(polygamma_p(1, x), ans))
psi = digamma
gammaln = _p("gammaln", sc.gammaln, lambda ans, x: digamma(x))
gamma = _p("gamma", sc.gamma, lambda ans, x: ans * digamma(x))
# _like: SciPy's betaln(float32, Python float) is float64, and so is its tangent
betaln = _p("betaln", sc.betaln,
            lambda ans, a, b: _like(digamma(a) - digamma(a + b), ans),
            lambda ans, a, b: _like(digamma(b) - digamma(a + b), ans))
beta = _p("beta", sc.beta,
          lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
          lambda ans, a, b: ans * (digamma(b) - digamma(a + b)))

# -- Bessel functions ---------------------------------------------------------------------


def _over_x(f, x, at_zero):
    """``f(x) / x`` for odd ``f``. ``at_zero``: its value at 0 (a constant), or a callable, its
    Taylor series at 0, used for |x| < 0.01: exact derivatives at 0 (a constant there would drop
    them from higher orders), and no cancellation in ``f(x) / x`` near 0."""
    near = bnp.abs(x) < 0.01 if callable(at_zero) else x == 0
    safe = bnp.where(near, 1.0, x)
    return bnp.where(near, at_zero(x) if callable(at_zero) else at_zero, f(safe) / safe)


def _i1_over_x(x, sign=1.0):
    # i1(x) / x = 1/2 + x^2/16 + x^4/384 + x^6/18432 + ... (j1(x) / x: sign = -1); the next
    # term is below 1e-22 for |x| < 0.01, and the derivatives at 0 are exact up to the seventh
    x2 = sign * x * x
    return 0.5 + x2 * (1.0 / 16 + x2 * (1.0 / 384 + x2 * (1.0 / 18432)))


i0 = _p("i0", sc.i0, lambda ans, x: i1(x))
# i1' = i0 - i1/x, whose limit at 0 is 1 - 1/2 = 1/2.
i1 = _p("i1", sc.i1, lambda ans, x: i0(x) - _over_x(i1, x, _i1_over_x),
        kinks="i1'(0) = 1/2 (the limit; higher orders from the Taylor series)")
# Scaled: i0e = exp(-|x|) i0, so i0e' = i1e - sign(x) i0e.
# i0e has a corner at 0 (one-sided slopes -1 and +1): sign(0) = 0 gives the min-norm value 0.
i0e = _p("i0e", sc.i0e, lambda ans, x: i1e(x) - bnp.sign(x) * ans, kinks="i0e'(0) = 0 (min-norm of [-1, 1])")
i1e = _p("i1e", sc.i1e, lambda ans, x: i0e(x) - _over_x(i1e, x, 0.5) - bnp.sign(x) * ans,
         kinks="i1e'(0) = 1/2 (the limit)")
j0 = _p("j0", sc.j0, lambda ans, x: -j1(x))
j1 = _p("j1", sc.j1, lambda ans, x: j0(x) - _over_x(j1, x, lambda x: _i1_over_x(x, -1.0)),
        kinks="j1'(0) = 1/2 (the limit; higher orders from the Taylor series)")
y0 = _p("y0", sc.y0, lambda ans, x: -y1(x))
y1 = _p("y1", sc.y1, lambda ans, x: y0(x) - y1(x) / x)


def _no_derivative(name, arg, why, error=NotImplementedError):
    """A rule that refuses: the derivative of ``name`` in ``arg`` (``why``) is not available."""
    def rule(ans, *args, **params):
        raise error(f"{name}: no derivative with respect to {arg}; {why}")
    return rule


# Bessel functions of any order: the order is an integer (jn, yn) or has no rule here (jv, iv, ive);
# d/dx by the recurrences, written with the same functions, so every order in x works.
_ORDER = "only x is differentiable (the order is a parameter)"
jv = _p("jv", sc.jv, _no_derivative("jv", "v (the order)", _ORDER),
        lambda ans, v, x: _like(0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)), ans))
jn = jv  # SciPy's jn is jv
yn = _p("yn", sc.yn, _no_derivative("yn", "n (the integer order)", _ORDER, ValueError),
        lambda ans, n, x: _like(0.5 * (yn(n - 1, x) - yn(n + 1, x)), ans))
iv = _p("iv", sc.iv, _no_derivative("iv", "v (the order)", _ORDER),
        lambda ans, v, x: _like(0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)), ans))
# ive = iv exp(-|x|): ive' = (ive(v-1) + ive(v+1)) / 2 - sign(x) ive; sign(0) = 0, the min-norm value of
# i0e's corner (see i0e), and the limit 1/2 for ive(1, .) (i1e)
ive = _p("ive", sc.ive, _no_derivative("ive", "v (the order)", _ORDER),
         lambda ans, v, x: _like(0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - bnp.sign(x) * ans, ans),
         kinks="x == 0: sign(0) = 0 in the derivative (for v == 0 the min-norm of [-1, 1], as i0e)")
yv = _p("yv", sc.yv, _no_derivative("yv", "v (the order)", _ORDER),
        lambda ans, v, x: _like(0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)), ans))
kv = _p("kv", sc.kv, _no_derivative("kv", "v (the order)", _ORDER),
        lambda ans, v, x: _like(-0.5 * (kv(v - 1.0, x) + kv(v + 1.0, x)), ans))
# kve = kv exp(x): kve' = kve - (kve(v-1) + kve(v+1)) / 2
kve = _p("kve", sc.kve, _no_derivative("kve", "v (the order)", _ORDER),
         lambda ans, v, x: _like(ans - 0.5 * (kve(v - 1.0, x) + kve(v + 1.0, x)), ans))


def _p_safe(name, impl, *deriv):
    """A row whose derivative is infinite somewhere (a pole at 0): products through safe_times."""
    return primitive(f"scipy.special.{name}", impl, **_safe_rules(*deriv))


def _div(n, d):
    """``n / d``, +-inf at the pole d == 0 (the limit, meant: no warning)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return n / d


# K0' = -K1, K1' = -K0 - K1/x (-inf at 0, the pole); the scaled ones carry exp(x): k0e' = k0e - k1e
k0 = _p_safe("k0", sc.k0, lambda ans, x: -k1(x))
k1 = _p_safe("k1", sc.k1, lambda ans, x: -k0(x) - _div(ans, x))
def _k0e_deriv(ans, x):
    """``k0e - k1e``; -inf at the pole x == 0 (inf - inf there otherwise)."""
    pole = (x._data if isinstance(x, Tensor) else np.asarray(x)) == 0
    if not np.any(pole):
        return ans - k1e(x)
    safe = bnp.where(pole, 1.0, x)
    return bnp.where(pole, -np.inf, k0e(safe) - k1e(safe))


k0e = _p_safe("k0e", sc.k0e, _k0e_deriv)
k1e = _p_safe("k1e", sc.k1e, lambda ans, x: ans * (1.0 - _div(1.0, x)) - k0e(x))  # -inf at 0, not inf - inf
# exponential integrals: E1' = -exp(-x)/x, Ei' = exp(x)/x (+-inf at 0)
exp1 = _p_safe("exp1", sc.exp1, lambda ans, x: -_div(bnp.exp(-x), x))
expi = _p_safe("expi", sc.expi, lambda ans, x: _div(bnp.exp(x), x))
# erfcx = exp(x^2) erfc(x): erfcx' = 2 x erfcx - 2/sqrt(pi); log_expit' = 1 - expit(x) = expit(-x)
def _erfcx_deriv(ans, x):
    """``2 x erfcx(x) - 2/sqrt(pi)``; beyond x = 50 (where the two terms cancel to about 1/x^2) its
    asymptotic series ``-(1 - 3/(2x^2) + 15/(4x^4) - 105/(8x^6) + 945/(16x^8)) / (sqrt(pi) x^2)``, whose next
    term is below 1e-15 of it there (and whose derivatives are those of the function, term by term)."""
    far = (x._data if isinstance(x, Tensor) else np.asarray(x)) > 50.0
    near = 2.0 * x * ans - 2.0 / _SQRT_PI
    if not np.any(far):
        return near
    u = 1.0 / bnp.where(far, x, 50.0) ** 2
    series = -u * (1.0 - u * (1.5 - u * (3.75 - u * (13.125 - u * 59.0625)))) / _SQRT_PI
    return bnp.where(far, series, near)


erfcx = _p("erfcx", sc.erfcx, _erfcx_deriv)
log_expit = _p("log_expit", sc.log_expit, lambda ans, x: expit(-x))


def _entropy_domain(d, ans):
    """``d`` where SciPy's rel_entr and kl_div are finite, else 0: the value is +inf there (outside x, y >= 0,
    and at y == 0 < x), a constant, as in JAX."""
    finite = np.isfinite(ans._data if isinstance(ans, Tensor) else np.asarray(ans))
    return d if finite.all() else bnp.where(finite, d, 0.0)


def _log_ratio(x, y):
    """``log(x) - log(y)`` without warnings: -inf at x == 0, +inf at y == 0 (NaN where both are 0 is
    never selected: d/dx there is taken as -inf, the one-sided limit in x)."""
    lx, ly = xlogy(_one(x), x), xlogy(_one(y), y)
    both = ((x._data if isinstance(x, Tensor) else np.asarray(x)) == 0) & (
        (y._data if isinstance(y, Tensor) else np.asarray(y)) == 0)
    return lx - ly if not both.any() else bnp.where(both, -np.inf, lx - bnp.where(both, 0.0, ly))


# rel_entr = x log(x / y) (0 at x == 0, y >= 0; +inf outside x, y >= 0), kl_div = rel_entr - x + y
_REL = ("x == 0: d/dx = -inf (the one-sided limit), d/dy = 0; where the value is +inf (outside x, y >= 0, "
        "and y == 0 < x): derivative 0")
rel_entr = primitive("scipy.special.rel_entr", sc.rel_entr,
                     **_safe_rules(lambda ans, x, y: _like(_entropy_domain(_log_ratio(x, y) + 1.0, ans), ans),
                                   lambda ans, x, y: _like(_entropy_domain(-_x_over(x, y), ans), ans)),
                     kinks=_REL)
kl_div = primitive("scipy.special.kl_div", sc.kl_div,
                   **_safe_rules(lambda ans, x, y: _like(_entropy_domain(_log_ratio(x, y), ans), ans),
                                 lambda ans, x, y: _like(_entropy_domain(1.0 - _x_over(x, y), ans), ans)),
                   kinks=_REL.replace("d/dy = 0", "d/dy = 1"))

# -- incomplete gamma and beta ----------------------------------------------------------------


def _gamma_density(a, x):
    """``x**(a-1) exp(-x) / gamma(a)``: d/dx of ``gammainc(a, x)`` (+inf at x == 0 for a < 1)."""
    return bnp.exp(xlogy(a - 1.0, x) - x - gammaln(a))


def _most(*sizes):
    """How many terms the series and fractions below may take: they need about sqrt(shape) terms."""
    return int(200 + 40 * np.sqrt(max(float(np.max(v, initial=0.0)) for v in sizes)))


def _dgammainc_series(a, x, eps=1e-17):
    """d/da of P(a, x) from its series ``exp(a log x - x) / gamma(a+1) * sum_n x^n / ((a+1)...(a+n))``,
    each term differentiated in ``a`` as it is summed (for x < a + 1, where the terms decrease). The
    elements that have converged leave the loop."""
    s, ds = np.ones_like(a), np.zeros_like(a)
    c, dc, live = s.copy(), ds.copy(), np.arange(a.size)
    most = _most(a, x)
    aa, xx = a, x
    for n in range(1, most):
        r = xx / (aa + n)
        dc = (dc - c / (aa + n)) * r
        c = c * r
        s[live] += c
        ds[live] += dc
        going = (c > eps * s[live]) | (np.abs(dc) > eps * (np.abs(ds[live]) + s[live]))
        if not going.all():
            live, c, dc, aa, xx = live[going], c[going], dc[going], aa[going], xx[going]
            if not live.size:
                break
    else:  # not converged (shapes beyond about 1e9): NaN, never a silently wrong number
        ds[live] = np.nan
    f = np.exp(a * np.log(x) - x - sc.gammaln(a + 1.0))
    return f * ((np.log(x) - sc.digamma(a + 1.0)) * s + ds)


def _dgammaincc_fraction(a, x, eps=1e-15):
    """d/da of Q(a, x) from Legendre's continued fraction ``Q = exp(a log x - x) / gamma(a) * 1/(x+1-a-
    1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...)))``: its convergents A/B and their derivatives in ``a`` by the
    three-term recurrence, rescaled each step (for x >= a + 1, where it converges fast). The elements
    that have converged leave the loop."""
    f, df, live = np.zeros_like(a), np.zeros_like(a), np.arange(a.size)
    aa, xx, most = a, x, _most(a, x)
    a_prev, a_cur, b_prev = np.ones_like(a), np.zeros_like(a), np.zeros_like(a)
    da_prev, da_cur, db_prev, db_cur = (np.zeros_like(a) for _ in range(4))
    for n in range(1, most):
        coef = np.ones_like(aa) if n == 1 else -(n - 1) * (n - 1 - aa)  # a_n (its a-derivative: n - 1)
        dcoef = 0.0 if n == 1 else float(n - 1)
        b = xx + 2 * n - 1 - aa  # b_n (its a-derivative: -1)
        a_new = b * a_cur + coef * a_prev
        b_new = b + coef * b_prev  # B_{n-1} is 1 after the rescaling
        da_new = -a_cur + b * da_cur + dcoef * a_prev + coef * da_prev
        db_new = -1.0 + b * db_cur + dcoef * b_prev + coef * db_prev
        scale = 1.0 / b_new
        a_prev, a_cur, b_prev = a_cur * scale, a_new * scale, scale
        da_prev, da_cur, db_prev, db_cur = da_cur * scale, da_new * scale, db_cur * scale, db_new * scale
        f_new, df_new = a_cur, da_cur - a_cur * db_cur  # A/B and (A'B - AB')/B^2 with B = 1
        going = ((np.abs(f_new - f[live]) > eps * np.abs(f_new))
                 | (np.abs(df_new - df[live]) > eps * (np.abs(df_new) + np.abs(f_new))) | (n < 3))
        f[live], df[live] = f_new, df_new
        if not going.all():
            live, aa, xx = live[going], aa[going], xx[going]
            a_prev, a_cur, b_prev = a_prev[going], a_cur[going], b_prev[going]
            da_prev, da_cur, db_prev, db_cur = da_prev[going], da_cur[going], db_prev[going], db_cur[going]
            if not live.size:
                break
    else:
        df[live] = np.nan
    g = np.exp(a * np.log(x) - x - sc.gammaln(a))
    return g * ((np.log(x) - sc.digamma(a)) * f + df)


def _by_series_or_fraction(a, x, series_fn, fraction_fn):
    """A shape derivative of P(a, x) from the series where x < a + 1 and the (negated) derivative of Q's
    continued fraction elsewhere; 0 at x == 0 and x == inf (where P is 0 and 1), NaN outside the domain."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    out = np.where((a > 0) & (x >= 0), 0.0, np.nan)
    inner = (a > 0) & (x > 0) & np.isfinite(x) & np.isfinite(a)
    series = inner & (x < a + 1.0)
    fraction = inner & ~series
    if np.any(series):
        out[series] = series_fn(a[series], x[series])
    if np.any(fraction):
        out[fraction] = -fraction_fn(a[fraction], x[fraction])
    return out if out.ndim else out[()]


def _dgammainc_da_impl(a, x):
    """d/da of the regularized lower incomplete gamma function P(a, x), accurate to about 1e-13
    (tested against mpmath and JAX): SciPy has none; this is the series and continued fraction
    that compute P and Q, differentiated term by term."""
    return _by_series_or_fraction(a, x, _dgammainc_series, _dgammaincc_fraction)


def _d2gammainc_series(a, x, eps=1e-17):
    """d2/da2 of P(a, x): the series of ``_dgammainc_series`` with the second derivative of each term."""
    s, ds, d2s = np.ones_like(a), np.zeros_like(a), np.zeros_like(a)
    c, dc, d2c, live = s.copy(), ds.copy(), d2s.copy(), np.arange(a.size)
    aa, xx, most = a, x, _most(a, x)
    for n in range(1, most):
        r = xx / (aa + n)
        dr, d2r = -r / (aa + n), 2.0 * r / ((aa + n) * (aa + n))
        c, dc, d2c = c * r, dc * r + c * dr, d2c * r + 2.0 * dc * dr + c * d2r
        s[live] += c
        ds[live] += dc
        d2s[live] += d2c
        going = ((c > eps * s[live]) | (np.abs(dc) > eps * (np.abs(ds[live]) + s[live]))
                 | (np.abs(d2c) > eps * (np.abs(d2s[live]) + np.abs(ds[live]) + s[live])))
        if not going.all():
            live, c, dc, d2c, aa, xx = live[going], c[going], dc[going], d2c[going], aa[going], xx[going]
            if not live.size:
                break
    else:
        d2s[live] = np.nan
    f = np.exp(a * np.log(x) - x - sc.gammaln(a + 1.0))
    dl, d2l = np.log(x) - sc.digamma(a + 1.0), -sc.polygamma(1, a + 1.0)
    return f * ((d2l + dl * dl) * s + 2.0 * dl * ds + d2s)


def _d2gammaincc_fraction(a, x, eps=1e-15):
    """d2/da2 of Q(a, x): the continued fraction of ``_dgammaincc_fraction`` with second derivatives
    (b_n is linear in a, a_n too: their second derivatives vanish)."""
    f, df, d2f, live = np.zeros_like(a), np.zeros_like(a), np.zeros_like(a), np.arange(a.size)
    aa, xx, most = a, x, _most(a, x)
    z = np.zeros_like(a)
    a_prev, a_cur, b_prev = np.ones_like(a), z.copy(), z.copy()
    da_prev, da_cur, db_prev, db_cur = z.copy(), z.copy(), z.copy(), z.copy()
    d2a_prev, d2a_cur, d2b_prev, d2b_cur = z.copy(), z.copy(), z.copy(), z.copy()
    for n in range(1, most):
        coef = np.ones_like(aa) if n == 1 else -(n - 1) * (n - 1 - aa)
        dcoef = 0.0 if n == 1 else float(n - 1)
        b = xx + 2 * n - 1 - aa
        a_new = b * a_cur + coef * a_prev
        b_new = b + coef * b_prev
        da_new = -a_cur + b * da_cur + dcoef * a_prev + coef * da_prev
        db_new = -1.0 + b * db_cur + dcoef * b_prev + coef * db_prev
        d2a_new = -2.0 * da_cur + b * d2a_cur + 2.0 * dcoef * da_prev + coef * d2a_prev
        d2b_new = -2.0 * db_cur + b * d2b_cur + 2.0 * dcoef * db_prev + coef * d2b_prev
        s = 1.0 / b_new
        a_prev, a_cur, b_prev = a_cur * s, a_new * s, s
        da_prev, da_cur, db_prev, db_cur = da_cur * s, da_new * s, db_cur * s, db_new * s
        d2a_prev, d2a_cur, d2b_prev, d2b_cur = d2a_cur * s, d2a_new * s, d2b_cur * s, d2b_new * s
        # f = A / B with B = 1: f' = A' - f B', f'' = A'' - 2 f' B' - f B''
        f_new = a_cur
        df_new = da_cur - f_new * db_cur
        d2f_new = d2a_cur - 2.0 * df_new * db_cur - f_new * d2b_cur
        scale = np.abs(f_new)
        going = ((np.abs(f_new - f[live]) > eps * scale) | (np.abs(df_new - df[live]) > eps * (np.abs(df_new) + scale))
                 | (np.abs(d2f_new - d2f[live]) > eps * (np.abs(d2f_new) + np.abs(df_new) + scale)) | (n < 3))
        f[live], df[live], d2f[live] = f_new, df_new, d2f_new
        if not going.all():
            keep = going
            live, aa, xx = live[keep], aa[keep], xx[keep]
            a_prev, a_cur, b_prev = a_prev[keep], a_cur[keep], b_prev[keep]
            da_prev, da_cur, db_prev, db_cur = da_prev[keep], da_cur[keep], db_prev[keep], db_cur[keep]
            d2a_prev, d2a_cur, d2b_prev, d2b_cur = d2a_prev[keep], d2a_cur[keep], d2b_prev[keep], d2b_cur[keep]
            if not live.size:
                break
    else:
        d2f[live] = np.nan
    g = np.exp(a * np.log(x) - x - sc.gammaln(a))
    dl, d2l = np.log(x) - sc.digamma(a), -sc.polygamma(1, a)
    return g * ((d2l + dl * dl) * f + 2.0 * dl * df + d2f)


def _d2gammainc_da2_impl(a, x):
    """d2/da2 of P(a, x), from the same series and continued fraction as the first derivative."""
    return _by_series_or_fraction(a, x, _d2gammainc_series, _d2gammaincc_fraction)


# d/dx of d2P/da2 is d2/da2 of the density: density ((log x - digamma(a))^2 - polygamma(1, a)); a third
# derivative in a has no rule.
_d2gammainc_da2 = primitive(
    "scipy.special.gammainc_da2", _d2gammainc_da2_impl,
    **_safe_rules(_no_derivative("gammainc", "a (the shape) to third order", "up to second order in a, any order "
                                 "in x"),
                  lambda ans, a, x: _gamma_density(a, x) * ((xlogy(_one(x), x) - digamma(a)) ** 2
                                                            - polygamma_p(1, a))))

# d/dx of dP/da is d/da of the density: density (log x - digamma(a)); d/da the series' second derivative.
_dgammainc_da = primitive(
    "scipy.special.gammainc_da", _dgammainc_da_impl,
    **_safe_rules(lambda ans, a, x: _like(_d2gammainc_da2(a, x), ans),
                  lambda ans, a, x: _gamma_density(a, x) * (xlogy(_one(x), x) - digamma(a))))

# P(a, x) = gammainc: d/dx the gamma density (+inf at x == 0 for a < 1: safe products), d/da above.
gammainc = primitive("scipy.special.gammainc", sc.gammainc,
                     **_safe_rules(lambda ans, a, x: _like(_dgammainc_da(a, x), ans),
                                   lambda ans, a, x: _like(_gamma_density(a, x), ans)),
                     kinks="d/dx at x == 0: +inf for a < 1 (the limit)")
gammaincc = primitive("scipy.special.gammaincc", sc.gammaincc,
                      **_safe_rules(lambda ans, a, x: _like(-_dgammainc_da(a, x), ans),
                                    lambda ans, a, x: _like(-_gamma_density(a, x), ans)),
                      kinks="d/dx at x == 0: -inf for a < 1 (the limit)")

def _dbetainc_fraction(p, q, y, eps=1e-15):
    """``(dI/dp, dI/dq)`` of ``I_y(p, q)`` from its continued fraction ``I = y^p (1-y)^q / (p B(p, q)) *
    1/(1+ d1/(1+ d2/(1+ ...)))`` (``d_2m+1 = -(p+m)(p+q+m) y / ((p+2m)(p+2m+1))``, ``d_2m = m(q-m) y /
    ((p+2m-1)(p+2m))``), its convergents and their derivatives in p and q by the three-term recurrence,
    rescaled each step; for y < (p+1)/(p+q+2), where it converges fast. Converged elements leave the loop."""
    f, fp, fq, live = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), np.arange(p.size)
    pp, qq, yy, most = p, q, y, _most(p, q)
    z = np.zeros_like(p)
    a_prev, a_cur, b_prev = np.zeros_like(p), np.ones_like(p), np.ones_like(p)  # A_0 = 0, A_1 = B_0 = B_1 = 1
    ap_prev, ap_cur, bp_prev, bp_cur = z.copy(), z.copy(), z.copy(), z.copy()
    aq_prev, aq_cur, bq_prev, bq_cur = z.copy(), z.copy(), z.copy(), z.copy()
    for k in range(1, most):
        m = k // 2
        if k % 2:  # d_2m+1
            num, den = (pp + m) * (pp + qq + m), (pp + 2 * m) * (pp + 2 * m + 1)
            d = -yy * num / den
            dp = -yy * (((pp + qq + m) + (pp + m)) * den - num * (2 * pp + 4 * m + 1)) / (den * den)
            dq = -yy * (pp + m) / den
        else:  # d_2m
            num, den = m * (qq - m), (pp + 2 * m - 1) * (pp + 2 * m)
            d = yy * num / den
            dp = -yy * num * (2 * pp + 4 * m - 1) / (den * den)
            dq = yy * m / den
        a_new = a_cur + d * a_prev
        b_new = 1.0 + d * b_prev  # B_k-1 is 1 after the rescaling
        ap_new = ap_cur + dp * a_prev + d * ap_prev
        bp_new = bp_cur + dp * b_prev + d * bp_prev
        aq_new = aq_cur + dq * a_prev + d * aq_prev
        bq_new = bq_cur + dq * b_prev + d * bq_prev
        s = 1.0 / b_new
        a_prev, a_cur, b_prev = a_cur * s, a_new * s, s
        ap_prev, ap_cur, bp_prev, bp_cur = ap_cur * s, ap_new * s, bp_cur * s, bp_new * s
        aq_prev, aq_cur, bq_prev, bq_cur = aq_cur * s, aq_new * s, bq_cur * s, bq_new * s
        f_new = a_cur  # A/B with B = 1; its derivatives A' - A B'
        fp_new, fq_new = ap_cur - a_cur * bp_cur, aq_cur - a_cur * bq_cur
        scale = np.abs(f_new)
        going = ((np.abs(f_new - f[live]) > eps * scale) | (np.abs(fp_new - fp[live]) > eps * (np.abs(fp_new) + scale))
                 | (np.abs(fq_new - fq[live]) > eps * (np.abs(fq_new) + scale)) | (k < 3))
        f[live], fp[live], fq[live] = f_new, fp_new, fq_new
        if not going.all():
            keep = going
            live, pp, qq, yy = live[keep], pp[keep], qq[keep], yy[keep]
            a_prev, a_cur, b_prev = a_prev[keep], a_cur[keep], b_prev[keep]
            ap_prev, ap_cur, bp_prev, bp_cur = ap_prev[keep], ap_cur[keep], bp_prev[keep], bp_cur[keep]
            aq_prev, aq_cur, bq_prev, bq_cur = aq_prev[keep], aq_cur[keep], bq_prev[keep], bq_cur[keep]
            if not live.size:
                break
    else:
        fp[live] = fq[live] = np.nan
    pre = np.exp(p * np.log(y) + q * np.log1p(-y) - np.log(p) - sc.betaln(p, q))
    both = sc.digamma(p + q)
    return (pre * ((np.log(y) - 1.0 / p - sc.digamma(p) + both) * f + fp),
            pre * ((np.log1p(-y) - sc.digamma(q) + both) * f + fq))


def _dbetainc_impl(a, b, x, wrt):
    """d/da (``wrt == 0``) or d/db (``wrt == 1``) of the regularized incomplete beta function I_x(a, b),
    accurate to about 1e-12 (tested against mpmath): its continued fraction differentiated term by term,
    through ``I_x(a, b) = 1 - I_{1-x}(b, a)`` beyond the switch point."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    out = np.where((a > 0) & (b > 0) & (x >= 0) & (x <= 1), 0.0, np.nan)  # 0 at x == 0 and x == 1
    inner = (a > 0) & (b > 0) & (x > 0) & (x < 1) & np.isfinite(a) & np.isfinite(b)
    direct = inner & (x < (a + 1.0) / (a + b + 2.0))
    flipped = inner & ~direct
    if np.any(direct):
        out[direct] = _dbetainc_fraction(a[direct], b[direct], x[direct])[wrt]
    if np.any(flipped):  # I_x(a, b) = 1 - I_{1-x}(b, a): d/da is minus the derivative in the second shape
        out[flipped] = -_dbetainc_fraction(b[flipped], a[flipped], 1.0 - x[flipped])[1 - wrt]
    return out if out.ndim else out[()]


def _d2betainc_fraction(p, q, y, eps=1e-15):
    """``(I_pp, I_pq, I_qq)`` of ``I_y(p, q)``: the continued fraction of ``_dbetainc_fraction`` carrying
    second derivatives too (for y < (p+1)/(p+q+2)). Converged elements leave the loop."""
    n_ch = 6  # the value, d/dp, d/dq, d2/dp2, d2/dpdq, d2/dq2 of the convergents' A and B
    f = np.zeros((n_ch, p.size))
    live, pp, qq, yy, most = np.arange(p.size), p, q, y, _most(p, q)
    a_prev, a_cur, b_prev = np.zeros((n_ch, p.size)), np.zeros((n_ch, p.size)), np.zeros((n_ch, p.size))
    a_cur[0], b_prev[0] = 1.0, 1.0  # A_0 = 0, A_1 = B_0 = B_1 = 1 (B_1 rescaled to 1 below, each step)
    b_cur = np.zeros((n_ch, p.size))
    b_cur[0] = 1.0
    for k in range(1, most):
        m = k // 2
        dd = np.empty((n_ch, pp.size))  # d_k and its derivatives: value, p, q, pp, pq, qq
        if k % 2:  # d = -y N / D, N = (p+m)(p+q+m), D = (p+2m)(p+2m+1)
            num, den = (pp + m) * (pp + qq + m), (pp + 2 * m) * (pp + 2 * m + 1)
            n_p, n_q, d_p = 2 * pp + qq + 2 * m, pp + m, 2 * pp + 4 * m + 1
            g = num / den
            g_p = n_p / den - num * d_p / den ** 2
            g_q = n_q / den
            g_pp = 2.0 / den - 2 * n_p * d_p / den ** 2 - 2 * num / den ** 2 + 2 * num * d_p ** 2 / den ** 3
            g_pq = 1.0 / den - n_q * d_p / den ** 2
            dd[:] = -yy * np.stack([g, g_p, g_q, g_pp, g_pq, np.zeros_like(g)])
        else:  # d = y N / D, N = m(q-m), D = (p+2m-1)(p+2m)
            num, den = m * (qq - m), (pp + 2 * m - 1) * (pp + 2 * m)
            d_p = 2 * pp + 4 * m - 1
            g = num / den
            dd[:] = yy * np.stack([g, -num * d_p / den ** 2, m / den,
                                   -2 * num / den ** 2 + 2 * num * d_p ** 2 / den ** 3, -m * d_p / den ** 2,
                                   np.zeros_like(g)])
        a_new, b_new = _cf_step(a_cur, a_prev, dd), _cf_step(b_cur, b_prev, dd)
        s = 1.0 / b_new[0]
        a_prev, a_cur, b_prev, b_cur = a_cur * s, a_new * s, b_cur * s, b_new * s
        f_new = _quotient(a_cur, b_cur)
        scale = np.abs(f_new[0])
        going = (np.abs(f_new - f[:, live]) > eps * (np.abs(f_new) + scale)).any(axis=0) | (k < 3)
        f[:, live] = f_new
        if not going.all():
            live, pp, qq, yy = live[going], pp[going], qq[going], yy[going]
            a_prev, a_cur, b_prev, b_cur = a_prev[:, going], a_cur[:, going], b_prev[:, going], b_cur[:, going]
            if not live.size:
                break
    else:
        f[3:, live] = np.nan
    both, both1 = sc.digamma(p + q), sc.polygamma(1, p + q)
    lp = np.log(y) - 1.0 / p - sc.digamma(p) + both
    lq = np.log1p(-y) - sc.digamma(q) + both
    lpp, lpq, lqq = 1.0 / (p * p) - sc.polygamma(1, p) + both1, both1, -sc.polygamma(1, q) + both1
    pre = np.exp(p * np.log(y) + q * np.log1p(-y) - np.log(p) - sc.betaln(p, q))
    val, fp, fq, fpp, fpq, fqq = f
    return (pre * ((lpp + lp * lp) * val + 2 * lp * fp + fpp),
            pre * ((lpq + lp * lq) * val + lp * fq + lq * fp + fpq),
            pre * ((lqq + lq * lq) * val + 2 * lq * fq + fqq))


def _cf_step(cur, prev, dd):
    """``cur + d prev`` with its first and second derivatives in (p, q) (channels as in
    ``_d2betainc_fraction``)."""
    v, p, q, pp, pq, qq = range(6)
    out = np.empty_like(cur)
    out[v] = cur[v] + dd[v] * prev[v]
    out[p] = cur[p] + dd[p] * prev[v] + dd[v] * prev[p]
    out[q] = cur[q] + dd[q] * prev[v] + dd[v] * prev[q]
    out[pp] = cur[pp] + dd[pp] * prev[v] + 2 * dd[p] * prev[p] + dd[v] * prev[pp]
    out[pq] = cur[pq] + dd[pq] * prev[v] + dd[p] * prev[q] + dd[q] * prev[p] + dd[v] * prev[pq]
    out[qq] = cur[qq] + dd[qq] * prev[v] + 2 * dd[q] * prev[q] + dd[v] * prev[qq]
    return out


def _quotient(a, b):
    """``A / B`` and its derivatives, where ``B == 1`` (rescaled)."""
    v, p, q, pp, pq, qq = range(6)
    f = np.empty_like(a)
    f[v] = a[v]
    f[p] = a[p] - a[v] * b[p]
    f[q] = a[q] - a[v] * b[q]
    f[pp] = a[pp] - 2 * a[p] * b[p] - a[v] * b[pp] + 2 * a[v] * b[p] * b[p]
    f[pq] = a[pq] - a[p] * b[q] - a[q] * b[p] - a[v] * b[pq] + 2 * a[v] * b[p] * b[q]
    f[qq] = a[qq] - 2 * a[q] * b[q] - a[v] * b[qq] + 2 * a[v] * b[q] * b[q]
    return f


def _d2betainc_impl(a, b, x, i, j):
    """d2/(d s_i d s_j) of I_x(a, b), with s_0 = a, s_1 = b; through I_x(a, b) = 1 - I_{1-x}(b, a)
    beyond the switch point (the roles of a and b swap there)."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    out = np.where((a > 0) & (b > 0) & (x >= 0) & (x <= 1), 0.0, np.nan)
    inner = (a > 0) & (b > 0) & (x > 0) & (x < 1) & np.isfinite(a) & np.isfinite(b)
    direct = inner & (x < (a + 1.0) / (a + b + 2.0))
    flipped = inner & ~direct
    which = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}
    if np.any(direct):
        out[direct] = _d2betainc_fraction(a[direct], b[direct], x[direct])[which[i, j]]
    if np.any(flipped):
        out[flipped] = -_d2betainc_fraction(b[flipped], a[flipped], 1.0 - x[flipped])[which[1 - i, 1 - j]]
    return out if out.ndim else out[()]


def _beta_density(a, b, x):
    """``x**(a-1) (1-x)**(b-1) / beta(a, b)``: d/dx of ``betainc(a, b, x)``."""
    return bnp.exp(xlogy(a - 1.0, x) + xlog1py(b - 1.0, -x) - betaln(a, b))


def _beta_log_density_d(a, b, x, i):
    """d/ds_i of the log beta density (s_0 = a, s_1 = b)."""
    side = xlogy(_one(x), x) if i == 0 else xlog1py(_one(x), -x)
    return side - digamma(a if i == 0 else b) + digamma(a + b)


def _dbetainc_dx(ans, a, b, x, wrt):
    # d/dx of dI/ds is d/ds of the density: density (log x - digamma(a) + digamma(a + b)) for s = a
    return _beta_density(a, b, x) * _beta_log_density_d(a, b, x, wrt)


def _d2betainc_dx(ans, a, b, x, i, j):
    # d/dx of d2I/ds_i ds_j: density (u_i u_j + u_ij), u the log density's derivatives
    u_ij = polygamma_p(1, a + b) - (polygamma_p(1, a if i == 0 else b) if i == j else 0.0)
    return _beta_density(a, b, x) * (_beta_log_density_d(a, b, x, i) * _beta_log_density_d(a, b, x, j) + u_ij)


_THIRD = "up to second order in a and b, any order in x"
_d2betainc = primitive("scipy.special.betainc_dab2", _d2betainc_impl,
                       **_safe_rules(_no_derivative("betainc", "a to third order", _THIRD),
                                     _no_derivative("betainc", "b to third order", _THIRD), _d2betainc_dx))
# dI/da (wrt=0) or dI/db (wrt=1); their derivatives in a and b from the fraction's second derivatives
_dbetainc = primitive("scipy.special.betainc_dab", _dbetainc_impl,
                      **_safe_rules(lambda ans, a, b, x, wrt: _like(_d2betainc(a, b, x, i=wrt, j=0), ans),
                                    lambda ans, a, b, x, wrt: _like(_d2betainc(a, b, x, i=wrt, j=1), ans),
                                    _dbetainc_dx))

# I_x(a, b) = betainc: d/dx the beta density; d/da and d/db (SciPy and JAX have none) by the continued
# fraction that computes I, differentiated term by term (to second order)
betainc = primitive("scipy.special.betainc", sc.betainc,
                    **_safe_rules(lambda ans, a, b, x: _like(_dbetainc(a, b, x, wrt=0), ans),
                                  lambda ans, a, b, x: _like(_dbetainc(a, b, x, wrt=1), ans),
                                  lambda ans, a, b, x: _like(_beta_density(a, b, x), ans)),
                    kinks="d/dx at x == 0 (x == 1): +inf for a < 1 (b < 1), the limit")


def _t_density(df, t):
    """Student's t density with ``df`` degrees of freedom: d/dt of ``stdtr(df, t)``."""
    half = 0.5 * (df + 1.0)
    return bnp.exp(gammaln(half) - gammaln(0.5 * df) - 0.5 * bnp.log(df * np.pi) - half * log1p(t * t / df))


# stdtr(df, t) = 1/2 + sign(t) I_w(1/2, df/2) / 2 with w = t^2 / (df + t^2) (computed as such: 1 - w would
# lose its digits near t == 0). Its derivative in df, D = sign(t) dI/db / 4 - t slope / 2, where
# ``slope = (1-w)^(df/2-1) (df+t^2)^(-3/2) / B(df/2, 1/2)`` (the w-term: sign(t) w^(-1/2) t^2 = |t| sign(t) = t,
# smooth through t == 0), is a primitive of its own so that its t-derivative is the closed form (the df-
# derivative of the t density), exact at t == 0 where sign(t) dI/db ~ t has no derivative that AD can see.


def _stdtr_parts(df, t):
    a, s = 0.5 * df, df + t * t
    w = t * t / s
    return a, s, w, bnp.exp(xlog1py(a - 1.0, -w) - 1.5 * bnp.log(s) - betaln(a, 0.5))


def _stdtr_ddf_impl(df, t):
    a, s, w, slope = _stdtr_parts(np.asarray(df, dtype=np.float64), np.asarray(t, dtype=np.float64))
    return 0.25 * np.sign(t) * _dbetainc_impl(0.5, a, w, 1) - 0.5 * t * slope


def _stdtr_ddf_ddf(ans, df, t):
    # d/ddf of D: sign(t) d2I/db2 / 8 - t slope (u_b / 4 + dlog(slope)/ddf / 2), u_b = d/db log density(1/2, b, w)
    a, s, w, slope = _stdtr_parts(df, t)
    u_b = xlog1py(_one(w), -w) - digamma(a) + digamma(a + 0.5)
    dlog_slope = 0.5 * xlog1py(_one(w), -w) + (a - 1.0) * t * t / (df * s) - 1.5 / s - 0.5 * (digamma(a)
                                                                                               - digamma(a + 0.5))
    return _like(0.125 * bnp.sign(t) * _d2betainc(0.5, a, w, i=1, j=1) - t * slope * (0.25 * u_b + 0.5 * dlog_slope),
                 ans)


def _stdtr_ddf_dt(ans, df, t):
    # d/dt of D is d/ddf of the t density: density (digamma((df+1)/2)/2 - digamma(df/2)/2 - 1/(2 df)
    # - log1p(t^2/df)/2 + (df+1) t^2 / (2 df (df + t^2)))
    half = 0.5 * (df + 1.0)
    return _like(_t_density(df, t) * (0.5 * digamma(half) - 0.5 * digamma(0.5 * df) - 0.5 / df
                                      - 0.5 * log1p(t * t / df) + half * t * t / (df * (df + t * t))), ans)


_stdtr_ddf = primitive("scipy.special.stdtr_ddf", _stdtr_ddf_impl,
                       **_safe_rules(_stdtr_ddf_ddf, _stdtr_ddf_dt),
                       doc="d/ddf of stdtr(df, t); its d/ddf is second order in betainc's shape (a third "
                           "derivative in df raises).")


# Student's t CDF: d/dt the density, d/ddf through betainc (the CDF is a betainc in df / 2)
stdtr = primitive("scipy.special.stdtr", sc.stdtr,
                  **_safe_rules(lambda ans, df, t: _like(_stdtr_ddf(df, t), ans),
                                lambda ans, df, t: _like(_t_density(df, t), ans)))


# -- inverses of the incomplete gamma and beta functions and of t's cdf --------------------------
# The implicit function theorem on F(s, x) = y: dx/dy = 1 / F_x, dx/ds = -F_s / F_x, with F_x the density and F_s
# the shape derivatives above; written with those functions (and the output x = ans), so the second order
# follows from theirs.

gammaincinv = primitive(
    "scipy.special.gammaincinv", sc.gammaincinv,
    **_safe_rules(lambda ans, a, y: _like(-_dgammainc_da(a, ans) / _gamma_density(a, ans), ans),
                  lambda ans, a, y: _like(1.0 / _gamma_density(a, ans), ans)))
# Q(a, x) = y: Q_x = -density, Q_a = -P_a
gammainccinv = primitive(
    "scipy.special.gammainccinv", sc.gammainccinv,
    **_safe_rules(lambda ans, a, y: _like(-_dgammainc_da(a, ans) / _gamma_density(a, ans), ans),
                  lambda ans, a, y: _like(-1.0 / _gamma_density(a, ans), ans)))
betaincinv = primitive(
    "scipy.special.betaincinv", sc.betaincinv,
    **_safe_rules(lambda ans, a, b, y: _like(-_dbetainc(a, b, ans, wrt=0) / _beta_density(a, b, ans), ans),
                  lambda ans, a, b, y: _like(-_dbetainc(a, b, ans, wrt=1) / _beta_density(a, b, ans), ans),
                  lambda ans, a, b, y: _like(1.0 / _beta_density(a, b, ans), ans)))
stdtrit = primitive(
    "scipy.special.stdtrit", sc.stdtrit,
    **_safe_rules(lambda ans, df, p: _like(-_stdtr_ddf(df, ans) / _t_density(df, ans), ans),
                  lambda ans, df, p: _like(1.0 / _t_density(df, ans), ans)))

# -- reciprocal gamma, its sign, the multivariate log-gamma, entropy -------------------------------


def _rgamma_deriv(ans, x):
    """``-digamma(x) / gamma(x)``, through the reflection ``1/gamma(x) = gamma(1-x) sin(pi x) / pi`` for
    x < 1/2: ``gamma(1-x) (cos(pi x) - digamma(1-x) sin(pi x) / pi)``, finite at the poles of gamma
    (there the derivative is the limit ``(-1)**n n!``) and written with differentiable functions."""
    left = x < 0.5
    xl = bnp.where(left, x, 0.0)
    xr = bnp.where(left, 1.0, x)
    reflected = gamma(1.0 - xl) * (bnp.cos(np.pi * xl) - digamma(1.0 - xl) * bnp.sin(np.pi * xl) / np.pi)
    return _like(bnp.where(left, reflected, -rgamma(xr) * digamma(xr)), ans)


rgamma = _p("rgamma", sc.rgamma, _rgamma_deriv)
# gammasgn is piecewise constant (+-1, jumping at the poles of gamma): derivative 0, as sign's
gammasgn = _p("gammasgn", sc.gammasgn, lambda ans, x: bnp.zeros_like(ans),
              kinks="gammasgn' = 0 (piecewise constant; it jumps at the poles x = 0, -1, -2, ...)")
# entr = -x log x: derivative -(log x + 1), +inf at 0 (the one-sided limit), 0 for x < 0 (entr is -inf there)
entr = primitive("scipy.special.entr", sc.entr,
                 **_safe_rules(lambda ans, x: bnp.where(x < 0, 0.0, -xlogy(_one(x), x) - 1.0)),
                 kinks="entr'(0) = +inf (the one-sided limit); 0 for x < 0, where entr is -inf")


def multigammaln(a, d):
    """``scipy.special.multigammaln(a, d)``: ``d (d-1)/4 log(pi) + sum_j gammaln(a - j/2)``, differentiable
    in ``a`` (composite of ``gammaln``; its derivative is ``sum_j digamma(a - j/2)``)."""
    if not _traced(a):
        return sc.multigammaln(a, d)
    d = np.asarray(d)[()]
    if not np.isscalar(d) or np.floor(d) != d or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer (the dimension), got {d!r}")
    d = int(d)
    if _data(a).dtype != np.float64:  # SciPy's result is float64 for any input (its loggam of a list)
        a = bnp.astype(a, np.float64)
    if np.any(_data(a) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: a must be greater than (d - 1) / 2 = {0.5 * (d - 1)} for d = {d}, "
                         f"got a with minimum {np.min(_data(a))}")
    out = d * (d - 1) * 0.25 * float(np.log(np.pi))
    for j in range(d):
        out = out + gammaln(a - 0.5 * j)
    return out


# -- log-sum-exp and softmax (composites) ----------------------------------------------------

def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axis) if ndim else ()


def _traced(*xs):
    return any(isinstance(x, Tensor) for x in xs)


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``scipy.special.logsumexp``, differentiable in ``a`` and ``b``.

    Composite: ``m + log(sum(b * exp(a - m)))`` with ``m`` the maximum of ``a``
    held constant (the result does not depend on ``m``, so the gradient is
    exact: the softmax weights), which keeps it stable for large inputs. With
    ``return_sign=True`` (real input; weights ``b`` of either sign) it returns
    ``(log |sum|, sign of the sum)``, the sign a plain array (piecewise constant).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> from backchain.scipy.special import logsumexp
    >>> bc.grad(logsumexp)(bnp.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    if not _traced(a, b):
        return sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    data = _data(a)
    if return_sign and (np.iscomplexobj(data) or (b is not None and np.iscomplexobj(_data(b)))):
        raise NotImplementedError("logsumexp: return_sign=True with complex input is not supported for "
                                  "differentiable arrays (real input is)")
    if b is not None:
        data = np.broadcast_to(data, np.broadcast_shapes(data.shape, np.shape(_data(b))))
        a = a + bnp.zeros_like(data)
    axes = _axes(axis, data.ndim)
    # the shift: the largest real part (as SciPy), so a complex result's imaginary part is the
    # principal one of the log
    m = np.max(data.real, axis=axes, keepdims=True) if data.size else np.zeros((1,) * data.ndim)
    m = np.where(np.isfinite(m), m, 0.0).astype(data.real.dtype)
    e = bnp.exp(a - m)
    if b is not None:
        e = e * b
    total = bnp.sum(e, axis=axes, keepdims=True)
    sign = None
    if return_sign:  # with weights of either sign: log |sum| and the sum's sign (piecewise constant)
        sign = np.sign(_data(total))
        total = total * sign
    with np.errstate(divide="ignore"):
        out = bnp.log(total) + m
    if not keepdims:
        keep = tuple(n for i, n in enumerate(np.shape(out)) if i not in axes)
        out = bnp.reshape(out, keep)
        sign = None if sign is None else np.reshape(sign, keep)
    return out if sign is None else (out, sign)


def log_softmax(x, axis=None):
    """``scipy.special.log_softmax``: ``x - logsumexp(x, axis, keepdims=True)``, differentiable."""
    if not _traced(x):
        return sc.log_softmax(x, axis=axis)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=None):
    """``scipy.special.softmax``: ``exp(log_softmax(x, axis))``, differentiable."""
    if not _traced(x):
        return sc.softmax(x, axis=axis)
    return bnp.exp(log_softmax(x, axis=axis))


def _register():
    """Route SciPy's own ufuncs, applied to Tensors, to the differentiable versions here."""
    for name in __all__:
        fn = getattr(sc, name, None)
        if isinstance(fn, np.ufunc) and name not in ("polygamma", "jn"):
            UFUNCS[fn] = globals()[name]


_register()
