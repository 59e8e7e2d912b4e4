"""``backchain.scipy.stats``: log-densities and densities of common distributions, differentiable.

Each is a composite of ``backchain.numpy`` and ``backchain.scipy.special``
functions, differentiable in the point and in every parameter (``loc``,
``scale``, shapes), with SciPy's names and signatures. Called with no Tensor
argument, each calls SciPy directly.

>>> import backchain as bc
>>> from backchain.scipy.stats import norm
>>> float(bc.grad(norm.logpdf)(1.5))  # d/dx of -x^2/2
-1.5
"""
import numpy as np
import scipy.stats as _st

import backchain.numpy as bnp
from .._core.tensor import Tensor
from .._rules import special as sp
from .._rules.scipy_linalg import cholesky, solve_triangular

__all__ = ["norm", "t", "gamma", "beta", "dirichlet", "poisson", "multivariate_normal"]

_LOG_2PI = float(np.log(2 * np.pi))


def _traced(*xs):
    return any(isinstance(x, Tensor) for x in xs)


def _nan_outside(cond, value):
    """``value`` where ``cond`` holds (the support), else -inf as in SciPy; no gradient flows outside."""
    return bnp.where(cond, value, -np.inf)


def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _promote(*xs):
    """The Tensors among ``xs`` in SciPy's result dtype (float64 at least), so that a traced call
    gives the plain call's dtype (a float32 input gives SciPy's float64)."""
    dt = np.result_type(*[_data(x) for x in xs], np.float64)
    return tuple(bnp.astype(x, dt) if isinstance(x, Tensor) and x.dtype != dt else x for x in xs)


class _Dist:
    """A namespace of functions, printed like SciPy's distribution objects."""

    def __init__(self, name, **fns):
        self.name = name
        for k, v in fns.items():
            v.__name__ = v.__qualname__ = f"{name}.{k}"
            setattr(self, k, v)

    def __repr__(self):
        return f"<backchain.scipy.stats.{self.name}>"


# -- normal -------------------------------------------------------------------------------


def _norm_logpdf(x, loc=0, scale=1):
    if not _traced(x, loc, scale):
        return _st.norm.logpdf(x, loc, scale)
    x, loc, scale = _promote(x, loc, scale)
    z = (x - loc) / scale
    return -0.5 * z * z - bnp.log(scale) - 0.5 * _LOG_2PI


def _norm_pdf(x, loc=0, scale=1):
    if not _traced(x, loc, scale):
        return _st.norm.pdf(x, loc, scale)
    x, loc, scale = _promote(x, loc, scale)
    return bnp.exp(_norm_logpdf(x, loc, scale))


def _norm_cdf(x, loc=0, scale=1):
    if not _traced(x, loc, scale):
        return _st.norm.cdf(x, loc, scale)
    x, loc, scale = _promote(x, loc, scale)
    return sp.ndtr((x - loc) / scale)


def _norm_logcdf(x, loc=0, scale=1):
    if not _traced(x, loc, scale):
        return _st.norm.logcdf(x, loc, scale)
    x, loc, scale = _promote(x, loc, scale)
    return sp.log_ndtr((x - loc) / scale)


def _norm_sf(x, loc=0, scale=1):
    if not _traced(x, loc, scale):
        return _st.norm.sf(x, loc, scale)
    x, loc, scale = _promote(x, loc, scale)
    return sp.ndtr((loc - x) / scale)


def _norm_logsf(x, loc=0, scale=1):
    if not _traced(x, loc, scale):
        return _st.norm.logsf(x, loc, scale)
    x, loc, scale = _promote(x, loc, scale)
    return sp.log_ndtr((loc - x) / scale)


def _norm_ppf(q, loc=0, scale=1):
    if not _traced(q, loc, scale):
        return _st.norm.ppf(q, loc, scale)
    q, loc, scale = _promote(q, loc, scale)
    return loc + scale * sp.ndtri(q)


norm = _Dist("norm", logpdf=_norm_logpdf, pdf=_norm_pdf, cdf=_norm_cdf, logcdf=_norm_logcdf,
             sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf)

# -- Student's t ------------------------------------------------------------------------------


def _t_logpdf(x, df, loc=0, scale=1):
    if not _traced(x, df, loc, scale):
        return _st.t.logpdf(x, df, loc, scale)
    z = (x - loc) / scale
    half = 0.5 * (df + 1.0)
    return (sp.gammaln(half) - sp.gammaln(0.5 * df) - 0.5 * bnp.log(df * np.pi) - bnp.log(scale)
            - half * sp.log1p(z * z / df))


def _t_pdf(x, df, loc=0, scale=1):
    if not _traced(x, df, loc, scale):
        return _st.t.pdf(x, df, loc, scale)
    return bnp.exp(_t_logpdf(x, df, loc, scale))


t = _Dist("t", logpdf=_t_logpdf, pdf=_t_pdf)

# -- gamma and beta -------------------------------------------------------------------------------


def _gamma_logpdf(x, a, loc=0, scale=1):
    if not _traced(x, a, loc, scale):
        return _st.gamma.logpdf(x, a, loc, scale)
    z = (x - loc) / scale
    inside = z >= 0
    zs = bnp.where(inside, z, 1.0)
    return _nan_outside(inside, sp.xlogy(a - 1.0, zs) - zs - sp.gammaln(a) - bnp.log(scale))


def _gamma_pdf(x, a, loc=0, scale=1):
    if not _traced(x, a, loc, scale):
        return _st.gamma.pdf(x, a, loc, scale)
    return bnp.exp(_gamma_logpdf(x, a, loc, scale))


gamma = _Dist("gamma", logpdf=_gamma_logpdf, pdf=_gamma_pdf)


def _beta_logpdf(x, a, b, loc=0, scale=1):
    if not _traced(x, a, b, loc, scale):
        return _st.beta.logpdf(x, a, b, loc, scale)
    z = (x - loc) / scale
    inside = (z >= 0) & (z <= 1)
    zs = bnp.where(inside, z, 0.5)
    return _nan_outside(inside, sp.xlogy(a - 1.0, zs) + sp.xlog1py(b - 1.0, -zs) - sp.betaln(a, b)
                        - bnp.log(scale))


def _beta_pdf(x, a, b, loc=0, scale=1):
    if not _traced(x, a, b, loc, scale):
        return _st.beta.pdf(x, a, b, loc, scale)
    return bnp.exp(_beta_logpdf(x, a, b, loc, scale))


beta = _Dist("beta", logpdf=_beta_logpdf, pdf=_beta_pdf)

# -- Dirichlet -----------------------------------------------------------------------------------


def _dirichlet_logpdf(x, alpha):
    """Components along the first axis of ``x`` (SciPy's layout); ``x`` may omit the last one."""
    if not _traced(x, alpha):
        return _st.dirichlet.logpdf(x, alpha)
    k = np.shape(_data(alpha))
    if len(k) != 1:
        raise ValueError(f"dirichlet.logpdf: alpha must be 1-D, got shape {k}")
    k = k[0]
    xs = np.shape(_data(x))
    if not xs or xs[0] not in (k, k - 1):
        raise ValueError(f"dirichlet.logpdf: x of shape {xs} must have {k} or {k - 1} entries along its "
                         f"first axis to match alpha of shape ({k},)")
    a = bnp.reshape(alpha, (k,) + (1,) * (len(xs) - 1))
    if xs[0] == k:
        dens = bnp.sum(sp.xlogy(a - 1.0, x), axis=0)
    else:
        last = 1.0 - bnp.sum(x, axis=0)
        dens = bnp.sum(sp.xlogy(a[:-1] - 1.0, x), axis=0) + sp.xlogy(a[-1] - 1.0, last)
    log_b = bnp.sum(sp.gammaln(alpha)) - sp.gammaln(bnp.sum(alpha))
    return dens - log_b


def _dirichlet_pdf(x, alpha):
    if not _traced(x, alpha):
        return _st.dirichlet.pdf(x, alpha)
    return bnp.exp(_dirichlet_logpdf(x, alpha))


dirichlet = _Dist("dirichlet", logpdf=_dirichlet_logpdf, pdf=_dirichlet_pdf)

# -- Poisson ---------------------------------------------------------------------------------------


def _poisson_logpmf(k, mu, loc=0):
    """Differentiable in ``mu`` (``k`` is a count; non-integer ``k`` gives -inf as in SciPy)."""
    if not _traced(k, mu, loc):
        return _st.poisson.logpmf(k, mu, loc)
    kk = _data(k) - _data(loc)
    ok = (kk >= 0) & (kk == np.floor(kk))
    kk = np.where(ok, kk, 0.0)
    return _nan_outside(ok, sp.xlogy(kk, mu) - sp.gammaln(kk + 1.0) - mu)


def _poisson_pmf(k, mu, loc=0):
    if not _traced(k, mu, loc):
        return _st.poisson.pmf(k, mu, loc)
    return bnp.exp(_poisson_logpmf(k, mu, loc))


poisson = _Dist("poisson", logpmf=_poisson_logpmf, pmf=_poisson_pmf)

# -- multivariate normal -------------------------------------------------------------------------------


def _mvn_logpdf(x, mean=None, cov=1):
    """Points along the last axis of ``x``; ``cov`` a matrix, a vector (diagonal) or a scalar.

    Through a Cholesky factor (``backchain.scipy.linalg``): ``-|L^{-1}(x - mean)|^2 / 2
    - sum(log diag L) - d log(2 pi) / 2``.
    """
    if not _traced(x, mean, cov):
        return _st.multivariate_normal.logpdf(x, mean, cov)
    xs = np.shape(_data(x))
    d = xs[-1] if xs else 1
    if not xs:
        x = bnp.reshape(x, (1,))
    mean = np.zeros(d) if mean is None else mean
    c = _data(cov)
    if np.ndim(c) < 2:
        cov = cov * np.eye(d) if isinstance(cov, Tensor) else np.asarray(cov) * np.eye(d)
    if np.shape(_data(cov)) != (d, d):
        raise ValueError(f"multivariate_normal.logpdf: cov of shape {np.shape(c)} does not match points of "
                         f"dimension {d}")
    L = cholesky(cov, lower=True)
    r = x - mean
    flat = bnp.reshape(r, (-1, d))
    z = solve_triangular(L, bnp.transpose(flat), lower=True)
    maha = bnp.sum(z * z, axis=0)
    half_logdet = bnp.sum(bnp.log(L[np.arange(d), np.arange(d)]))
    out = -0.5 * maha - half_logdet - 0.5 * d * _LOG_2PI
    lead = np.shape(_data(r))[:-1]
    out = bnp.reshape(out, lead)
    return out


def _mvn_pdf(x, mean=None, cov=1):
    if not _traced(x, mean, cov):
        return _st.multivariate_normal.pdf(x, mean, cov)
    return bnp.exp(_mvn_logpdf(x, mean, cov))


multivariate_normal = _Dist("multivariate_normal", logpdf=_mvn_logpdf, pdf=_mvn_pdf)

from ..numpy._examples import attach as _attach  # noqa: E402
from ._examples import STATS as _EX, STATS_PREAMBLE as _PRE  # noqa: E402

_attach(globals(), _EX, _PRE)
del _EX
