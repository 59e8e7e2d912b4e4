"""``backchain.scipy.stats``: log-densities and densities of common distributions, differentiable.

Each is a composite of ``backchain.numpy`` and ``backchain.scipy.special``
functions, differentiable in the point and in every parameter (``loc``,
``scale``, shapes), with SciPy's names and signatures. Called with no Tensor
argument, each calls SciPy directly. The shapes inside an incomplete gamma or
beta function (``gamma.cdf``'s ``a``, ``chi2.cdf``'s ``df``, ``beta.cdf``'s ``a``
and ``b``, ``t.cdf``'s ``df``) are differentiable to second order; a third
derivative in them raises, naming it.

Every other method of SciPy's distribution (``rvs``, ``stats``, ``mean``, the
``ppf`` of the discrete ones, ...) passes through to SciPy: ``rvs`` takes the
data of Tensor arguments (its draws are constants, as in HIPS autograd); the
others serve plain values and raise a NotImplementedError naming themselves on a
Tensor that requires grad (never a silently cut gradient).

>>> import backchain as bc
>>> from backchain.scipy.stats import norm
>>> float(bc.grad(norm.logpdf)(1.5))  # d/dx of -x^2/2
-1.5
"""
import functools

import numpy as np
import scipy.stats as _st

import backchain.numpy as bnp
from .._core.tensor import Tensor
from .._rules import special as sp
from .._rules.scipy_linalg import cho_solve, cholesky, solve_triangular
from ..transforms import tree_flatten

__all__ = ["norm", "t", "gamma", "beta", "chi2", "dirichlet", "poisson", "multivariate_normal"]

_LOG_2PI = float(np.log(2 * np.pi))


def _traced(*xs):
    return any(isinstance(x, Tensor) for x in xs)


def _nan_outside(cond, value):
    """``value`` where ``cond`` holds (the support), else -inf as in SciPy; no gradient flows outside."""
    return bnp.where(cond, value, -np.inf)


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _log(p):
    """``log(p)``: -inf where p == 0 (a cdf or sf outside the support), as in SciPy, with no warning
    forward or backward (no gradient flows there: the log reads 1 in place of the 0)."""
    zero = _data(p) == 0
    if not zero.any():
        return bnp.log(p)
    return bnp.where(zero, -np.inf, bnp.log(bnp.where(zero, 1.0, p)))


def _promote(*xs):
    """The Tensors among ``xs`` in SciPy's result dtype (float64 at least), so that a traced call
    gives the plain call's dtype (a float32 input gives SciPy's float64)."""
    dt = np.result_type(*[_data(x) for x in xs], np.float64)
    return tuple(bnp.astype(x, dt) if isinstance(x, Tensor) and x.dtype != dt else x for x in xs)


class _Dist:
    """A namespace of functions, printed like SciPy's distribution objects; the methods it lacks are
    SciPy's (see the module docstring)."""

    def __init__(self, name, **fns):
        self.name = name
        for k, v in fns.items():
            v.__name__ = v.__qualname__ = f"{name}.{k}"
            setattr(self, k, v)

    def __repr__(self):
        return f"<backchain.scipy.stats.{self.name}>"

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        fn = getattr(getattr(_st, self.name), attr)  # AttributeError names SciPy's object
        if not callable(fn):
            return fn
        return functools.partial(_pass_through, f"{self.name}.{attr}", fn)


def _pass_through(what, fn, *args, **kwargs):
    """SciPy's ``fn``: on Tensors' data for ``rvs`` (draws are constants), refused on differentiable ones
    otherwise (backchain has no rule for it)."""
    leaves, rebuild = tree_flatten([list(args), kwargs])
    if not what.endswith(".rvs") and any(isinstance(v, Tensor) and v.requires_grad for v in leaves):
        raise NotImplementedError(f"{what}: backchain has no derivative rule for it; SciPy's is served on plain "
                                  "values only")
    args, kwargs = rebuild([v._data if isinstance(v, Tensor) else v for v in leaves])
    return fn(*args, **kwargs)


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


def _norm_isf(q, loc=0, scale=1):
    if not _traced(q, loc, scale):
        return _st.norm.isf(q, loc, scale)
    q, loc, scale = _promote(q, loc, scale)
    return loc - scale * sp.ndtri(q)


norm = _Dist("norm", logpdf=_norm_logpdf, pdf=_norm_pdf, cdf=_norm_cdf, logcdf=_norm_logcdf,
             sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf, isf=_norm_isf)

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


def _t_cdf(x, df, loc=0, scale=1):
    """``scipy.special.stdtr(df, (x - loc) / scale)``: differentiable in every argument (``df`` to second
    order, through ``betainc``)."""
    if not _traced(x, df, loc, scale):
        return _st.t.cdf(x, df, loc, scale)
    x, df, loc, scale = _promote(x, df, loc, scale)
    return sp.stdtr(df, (x - loc) / scale)


def _t_logcdf(x, df, loc=0, scale=1):
    if not _traced(x, df, loc, scale):
        return _st.t.logcdf(x, df, loc, scale)
    return _log(_t_cdf(x, df, loc, scale))


def _t_sf(x, df, loc=0, scale=1):
    if not _traced(x, df, loc, scale):
        return _st.t.sf(x, df, loc, scale)
    x, df, loc, scale = _promote(x, df, loc, scale)
    return sp.stdtr(df, (loc - x) / scale)


def _t_logsf(x, df, loc=0, scale=1):
    if not _traced(x, df, loc, scale):
        return _st.t.logsf(x, df, loc, scale)
    return _log(_t_sf(x, df, loc, scale))


def _t_ppf(q, df, loc=0, scale=1):
    """``loc + scale * stdtrit(df, q)``: differentiable in every argument (``df`` to second order)."""
    if not _traced(q, df, loc, scale):
        return _st.t.ppf(q, df, loc, scale)
    q, df, loc, scale = _promote(q, df, loc, scale)
    return loc + scale * sp.stdtrit(df, q)


def _t_isf(q, df, loc=0, scale=1):
    if not _traced(q, df, loc, scale):
        return _st.t.isf(q, df, loc, scale)
    q, df, loc, scale = _promote(q, df, loc, scale)
    return loc - scale * sp.stdtrit(df, q)


t = _Dist("t", logpdf=_t_logpdf, pdf=_t_pdf, cdf=_t_cdf, logcdf=_t_logcdf, sf=_t_sf, logsf=_t_logsf, ppf=_t_ppf,
          isf=_t_isf)

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


def _gamma_z(x, loc, scale):
    """``(x - loc) / scale`` clipped at 0 (where the cdf is 0 and the sf 1, in every parameter)."""
    z = (x - loc) / scale
    return bnp.where(z >= 0, z, 0.0)


def _gamma_cdf(x, a, loc=0, scale=1):
    """``gammainc(a, (x - loc) / scale)``: differentiable in every argument (``a`` to second order)."""
    if not _traced(x, a, loc, scale):
        return _st.gamma.cdf(x, a, loc, scale)
    x, a, loc, scale = _promote(x, a, loc, scale)
    return sp.gammainc(a, _gamma_z(x, loc, scale))


def _gamma_logcdf(x, a, loc=0, scale=1):
    if not _traced(x, a, loc, scale):
        return _st.gamma.logcdf(x, a, loc, scale)
    return _log(_gamma_cdf(x, a, loc, scale))


def _gamma_sf(x, a, loc=0, scale=1):
    if not _traced(x, a, loc, scale):
        return _st.gamma.sf(x, a, loc, scale)
    x, a, loc, scale = _promote(x, a, loc, scale)
    return sp.gammaincc(a, _gamma_z(x, loc, scale))


def _gamma_logsf(x, a, loc=0, scale=1):
    if not _traced(x, a, loc, scale):
        return _st.gamma.logsf(x, a, loc, scale)
    return _log(_gamma_sf(x, a, loc, scale))


def _gamma_ppf(q, a, loc=0, scale=1):
    """``loc + scale * gammaincinv(a, q)``: differentiable in every argument (``a`` to second order)."""
    if not _traced(q, a, loc, scale):
        return _st.gamma.ppf(q, a, loc, scale)
    q, a, loc, scale = _promote(q, a, loc, scale)
    return loc + scale * sp.gammaincinv(a, q)


def _gamma_isf(q, a, loc=0, scale=1):
    if not _traced(q, a, loc, scale):
        return _st.gamma.isf(q, a, loc, scale)
    q, a, loc, scale = _promote(q, a, loc, scale)
    return loc + scale * sp.gammainccinv(a, q)


gamma = _Dist("gamma", logpdf=_gamma_logpdf, pdf=_gamma_pdf, cdf=_gamma_cdf, logcdf=_gamma_logcdf, sf=_gamma_sf,
              logsf=_gamma_logsf, ppf=_gamma_ppf, isf=_gamma_isf)


# chi2(df, loc, scale) is gamma(df / 2, loc, 2 scale)
def _as_gamma(method, gamma_method):
    def fn(x, df, loc=0, scale=1):
        if not _traced(x, df, loc, scale):
            return getattr(_st.chi2, method)(x, df, loc, scale)
        return gamma_method(x, 0.5 * df, loc, 2.0 * scale)

    fn.__name__ = fn.__qualname__ = f"_chi2_{method}"
    return fn


chi2 = _Dist("chi2", **{m: _as_gamma(m, g) for m, g in (
    ("logpdf", _gamma_logpdf), ("pdf", _gamma_pdf), ("cdf", _gamma_cdf), ("logcdf", _gamma_logcdf),
    ("sf", _gamma_sf), ("logsf", _gamma_logsf), ("ppf", _gamma_ppf), ("isf", _gamma_isf))})


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


def _beta_z(x, loc, scale):
    z = (x - loc) / scale
    return bnp.where(z <= 0, 0.0, bnp.where(z >= 1, 1.0, z))


def _beta_cdf(x, a, b, loc=0, scale=1):
    """``betainc(a, b, (x - loc) / scale)``: differentiable in every argument (``a`` and ``b`` to second
    order)."""
    if not _traced(x, a, b, loc, scale):
        return _st.beta.cdf(x, a, b, loc, scale)
    x, a, b, loc, scale = _promote(x, a, b, loc, scale)
    return sp.betainc(a, b, _beta_z(x, loc, scale))


def _beta_logcdf(x, a, b, loc=0, scale=1):
    if not _traced(x, a, b, loc, scale):
        return _st.beta.logcdf(x, a, b, loc, scale)
    return _log(_beta_cdf(x, a, b, loc, scale))


def _beta_sf(x, a, b, loc=0, scale=1):
    """``betainc(b, a, 1 - z)`` (``1 - cdf`` would lose the digits of a small sf)."""
    if not _traced(x, a, b, loc, scale):
        return _st.beta.sf(x, a, b, loc, scale)
    x, a, b, loc, scale = _promote(x, a, b, loc, scale)
    return sp.betainc(b, a, 1.0 - _beta_z(x, loc, scale))


def _beta_logsf(x, a, b, loc=0, scale=1):
    if not _traced(x, a, b, loc, scale):
        return _st.beta.logsf(x, a, b, loc, scale)
    return _log(_beta_sf(x, a, b, loc, scale))


def _beta_ppf(q, a, b, loc=0, scale=1):
    """``loc + scale * betaincinv(a, b, q)``: differentiable in every argument (``a``, ``b`` to second order)."""
    if not _traced(q, a, b, loc, scale):
        return _st.beta.ppf(q, a, b, loc, scale)
    q, a, b, loc, scale = _promote(q, a, b, loc, scale)
    return loc + scale * sp.betaincinv(a, b, q)


def _beta_isf(q, a, b, loc=0, scale=1):
    """``loc + scale * (1 - betaincinv(b, a, q))`` (the sf is ``I_{1-x}(b, a)``)."""
    if not _traced(q, a, b, loc, scale):
        return _st.beta.isf(q, a, b, loc, scale)
    q, a, b, loc, scale = _promote(q, a, b, loc, scale)
    return loc + scale * (1.0 - sp.betaincinv(b, a, q))


beta = _Dist("beta", logpdf=_beta_logpdf, pdf=_beta_pdf, cdf=_beta_cdf, logcdf=_beta_logcdf, sf=_beta_sf,
             logsf=_beta_logsf, ppf=_beta_ppf, isf=_beta_isf)

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


def _poisson_count(k, loc):
    """``floor(k - loc)`` (a constant: the count), and where it is a count (>= 0)."""
    kk = np.floor(_data(k) - _data(loc))
    ok = kk >= 0
    return np.where(ok, kk, 0.0), ok


def _poisson_cdf(k, mu, loc=0):
    """``gammaincc(floor(k) + 1, mu)``: differentiable in ``mu`` (``-pmf(floor(k), mu)``); 0 below 0."""
    if not _traced(k, mu, loc):
        return _st.poisson.cdf(k, mu, loc)
    kk, ok = _poisson_count(k, loc)
    return bnp.where(ok, sp.gammaincc(kk + 1.0, mu), 0.0)


def _poisson_logcdf(k, mu, loc=0):
    if not _traced(k, mu, loc):
        return _st.poisson.logcdf(k, mu, loc)
    return _log(_poisson_cdf(k, mu, loc))


def _poisson_sf(k, mu, loc=0):
    """``gammainc(floor(k) + 1, mu)``, differentiable in ``mu``; 1 below 0."""
    if not _traced(k, mu, loc):
        return _st.poisson.sf(k, mu, loc)
    kk, ok = _poisson_count(k, loc)
    return bnp.where(ok, sp.gammainc(kk + 1.0, mu), 1.0)


def _poisson_logsf(k, mu, loc=0):
    if not _traced(k, mu, loc):
        return _st.poisson.logsf(k, mu, loc)
    return _log(_poisson_sf(k, mu, loc))


poisson = _Dist("poisson", logpmf=_poisson_logpmf, pmf=_poisson_pmf, cdf=_poisson_cdf, logcdf=_poisson_logcdf,
                sf=_poisson_sf, logsf=_poisson_logsf)

# -- multivariate normal -------------------------------------------------------------------------------


def _cov_matrix(what, cov, d):
    """``cov`` as a (d, d) matrix: a vector is its diagonal, a scalar a multiple of the identity."""
    c = _data(cov)
    if np.ndim(c) < 2:
        cov = cov * np.eye(d) if isinstance(cov, Tensor) else np.asarray(c) * np.eye(d)
    if np.shape(_data(cov)) != (d, d):
        raise ValueError(f"multivariate_normal.{what}: cov of shape {np.shape(c)} does not match points of "
                         f"dimension {d} (expected ({d}, {d}), ({d},) or a scalar)")
    return cov


class _OneByOne(Exception):
    """A batched cov that some example has singular: the density is computed one example at a time."""


class _PSD:
    """What the log-density needs of a positive semidefinite ``cov``, differentiable in it.

    SciPy's rule decides the rank: eigenvalues up to ``eps`` (1e6 machine epsilons of the largest;
    1e3 in float32) count as zero; the lower triangle is read. Full rank: through the Cholesky factor ``L``.
    Rank ``r < d`` (``allow_singular``): with ``U`` the eigenvectors kept (constants), ``V = C U`` spans
    the range of ``C`` near this point and ``C = V M^{-1} V^T`` with ``M = U^T C U``, so that
    ``log pdet(C) = log det(V^T V) - log det M`` and ``x^T C^+ x = y^T M y`` with ``V^T V y = V^T x``:
    exact to every order along the matrices of rank ``r`` (the only ones where the pseudo-determinant
    is continuous). Points off the support (``x - mean`` outside the range) have log-density -inf.
    """

    def __init__(self, what, cov, d, allow_singular):
        if getattr(cov, "_batched", False):  # inside vmap, one cov per example
            return self._init_batched(what, cov, d, allow_singular)
        c = np.asarray(_data(cov))
        s, u = np.linalg.eigh(c)
        dtype = s.dtype if s.dtype.kind == "f" and s.dtype.itemsize in (4, 8) else np.dtype(np.float64)
        eps = (1e3 if dtype.itemsize == 4 else 1e6) * np.finfo(dtype).eps * np.max(np.abs(s))  # SciPy's rule
        if np.min(s) < -eps:
            raise ValueError(f"multivariate_normal.{what}: cov must be symmetric positive semidefinite (its "
                             f"smallest eigenvalue is {np.min(s):.3g})")
        keep = s > eps
        self.rank = int(np.sum(keep))
        if self.rank == d:
            self.chol = cholesky(cov, lower=True)
            self.log_pdet = 2.0 * bnp.sum(bnp.log(self.chol[np.arange(d), np.arange(d)]))
            return
        if not allow_singular:
            raise np.linalg.LinAlgError(f"multivariate_normal.{what}: cov is singular (rank {self.rank} of {d}); "
                                        "pass allow_singular=True for the density on its support, as in SciPy")
        self.chol, self.null, self.tol = None, u[:, ~keep], 1e3 * eps
        lower = bnp.tril(cov)
        sym = lower + bnp.swapaxes(bnp.tril(cov, -1), 0, 1)
        self.v = bnp.matmul(sym, u[:, keep])
        self.m = bnp.matmul(u[:, keep].T, self.v)
        self.g = cholesky(bnp.matmul(bnp.swapaxes(self.v, 0, 1), self.v), lower=True)
        lm = cholesky(self.m, lower=True)
        r = np.arange(self.rank)
        self.log_pdet = 2.0 * (bnp.sum(bnp.log(self.g[r, r])) - bnp.sum(bnp.log(lm[r, r])))

    def _init_batched(self, what, cov, d, allow_singular):
        """SciPy's rank rule applied to each example's eigenvalues; every example must have full rank
        (the singular form keeps constant eigenvectors, which differ from one example to the next)."""
        from .._vmap.batched import any_example

        s = bnp.linalg.eigvalsh(cov)
        dtype = np.dtype(s.dtype) if s.dtype.kind == "f" and s.dtype.itemsize in (4, 8) else np.dtype(np.float64)
        eps = (1e3 if dtype.itemsize == 4 else 1e6) * np.finfo(dtype).eps * bnp.max(bnp.abs(s))
        if any_example(s < -eps):
            raise ValueError(f"multivariate_normal.{what}: cov must be symmetric positive semidefinite (an "
                             "example of the batch has a negative eigenvalue)")
        if any_example(s <= eps):  # singular: each example on its own (its own eigenvectors and rank)
            raise _OneByOne
        self.rank = d
        self.chol = cholesky(cov, lower=True)
        self.log_pdet = 2.0 * bnp.sum(bnp.log(self.chol[np.arange(d), np.arange(d)]))

    def maha(self, dev):
        """``dev_i^T C^+ dev_i`` for the rows of ``dev`` (n, d), and which rows lie in the support."""
        if self.chol is not None:
            z = solve_triangular(self.chol, bnp.swapaxes(dev, 0, 1), lower=True)
            return bnp.sum(z * z, axis=0), None
        y = cho_solve((self.g, True), bnp.matmul(bnp.swapaxes(self.v, 0, 1), bnp.swapaxes(dev, 0, 1)))
        if getattr(dev, "_batched", False):  # inside vmap: which points lie in the support, per example
            inside = bnp.linalg.norm(bnp.matmul(dev.detach(), self.null), axis=-1) < self.tol
        else:
            inside = np.linalg.norm(np.asarray(_data(dev)) @ self.null, axis=-1) < self.tol
        return bnp.sum(y * bnp.matmul(self.m, y), axis=0), inside


def _mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
    """Points along the last axis of ``x``; ``cov`` a matrix, a vector (diagonal) or a scalar.

    Through a Cholesky factor (``backchain.scipy.linalg``): ``-|L^{-1}(x - mean)|^2 / 2
    - sum(log diag L) - d log(2 pi) / 2``. With ``allow_singular=True`` a singular ``cov`` gives SciPy's
    density on its support (pseudo-inverse and pseudo-determinant), differentiable in ``x``, ``mean``
    and ``cov`` (along the matrices of its rank).
    """
    if not _traced(x, mean, cov):
        return _st.multivariate_normal.logpdf(x, mean, cov, allow_singular=allow_singular)
    xs = np.shape(_data(x))
    d = xs[-1] if xs else 1
    if not xs:
        x = bnp.reshape(x, (1,))
    mean = np.zeros(d) if mean is None else mean
    try:
        psd = _PSD("logpdf", _cov_matrix("logpdf", cov, d), d, allow_singular)
    except _OneByOne:
        from .._vmap.batched import per_example

        return per_example(lambda x, mean, cov: _mvn_logpdf(x, mean, cov, allow_singular), (x, mean, cov),
                           "multivariate_normal.logpdf with a singular cov")
    r = x - mean
    maha, inside = psd.maha(bnp.reshape(r, (-1, d)))
    out = -0.5 * (maha + psd.log_pdet + psd.rank * _LOG_2PI)
    if inside is not None:
        out = bnp.where(inside, out, -np.inf)
    return bnp.reshape(out, np.shape(_data(r))[:-1])


def _mvn_pdf(x, mean=None, cov=1, allow_singular=False):
    if not _traced(x, mean, cov):
        return _st.multivariate_normal.pdf(x, mean, cov, allow_singular=allow_singular)
    return bnp.exp(_mvn_logpdf(x, mean, cov, allow_singular))


def _mvn_entropy(mean=None, cov=1):
    """``(rank (log(2 pi) + 1) + log pdet(cov)) / 2``, differentiable in ``cov``; a singular ``cov`` is
    allowed, as in SciPy."""
    if not _traced(mean, cov):
        return _st.multivariate_normal.entropy(mean, cov)
    c = _data(cov)
    d = np.shape(_data(mean))[-1] if mean is not None and np.ndim(_data(mean)) else (np.shape(c)[-1] if np.ndim(c)
                                                                                      else 1)
    try:
        psd = _PSD("entropy", _cov_matrix("entropy", cov, d), d, True)
    except _OneByOne:
        from .._vmap.batched import per_example

        return per_example(_mvn_entropy, (mean, cov), "multivariate_normal.entropy with a singular cov")
    return 0.5 * (psd.rank * (_LOG_2PI + 1.0) + psd.log_pdet)


multivariate_normal = _Dist("multivariate_normal", logpdf=_mvn_logpdf, pdf=_mvn_pdf, entropy=_mvn_entropy)

from ..numpy._examples import attach as _attach  # noqa: E402
from ._examples import STATS as _EX, STATS_PREAMBLE as _PRE  # noqa: E402

_attach(globals(), _EX, _PRE)
del _EX
