"""backchain.autograd.numpy and .scipy against autograd's: the same programs, the same numbers."""
import importlib

import numpy as onp
import pytest

from ._oracle import check, modules

rng = onp.random.default_rng(1)
X = rng.standard_normal(4)
P = rng.uniform(0.2, 0.8, 4)
A = rng.standard_normal((3, 3))
SPD = A @ A.T + 3 * onp.eye(3)


def sp(np, sub):
    """``<root>.scipy.<sub>`` next to the numpy namespace ``np``."""
    return importlib.import_module(np.__name__.replace(".numpy", f".scipy.{sub}"))


def sym(g):
    """The symmetric part of a gradient w.r.t. a symmetric matrix: what acts on symmetric directions."""
    return (g + g.T) / 2


NUMPY = {
    "linalg": lambda ag, np: ag.grad(lambda a: np.sum(np.linalg.inv(a)) + np.linalg.det(a)
                                     + np.sum(np.linalg.solve(a, X[:3])))(SPD),
    # autograd and backchain give different gradients w.r.t. a symmetric matrix (both right on symmetric
    # directions: autograd's is symmetric, backchain's lower triangular); their symmetric parts agree
    "linalg eigh cholesky": lambda ag, np: sym(ag.grad(
        lambda a: np.sum(np.linalg.eigh(a)[0] ** 2) + np.sum(np.linalg.cholesky(a)))(SPD)),
    "linalg norm slogdet": lambda ag, np: ag.grad(lambda a: np.linalg.norm(a) + np.linalg.slogdet(a)[1])(SPD),
    "fft": lambda ag, np: ag.grad(lambda x: np.sum(np.abs(np.fft.fft(x)) ** 2) + np.sum(np.real(np.fft.rfft(x))))(X),
    "fft2 ifft": lambda ag, np: ag.grad(lambda a: np.sum(np.real(np.fft.ifft(np.fft.fft2(a))) * a))(A),
    "make_diagonal": lambda ag, np: ag.jacobian(lambda x: np.make_diagonal(x, axis1=-1, axis2=-2))(X),
    "shape ops": lambda ag, np: ag.grad(lambda a: np.sum(np.concatenate([a, a.T], axis=0)[1:, ::2] ** 2)
                                        + np.sum(np.stack([a, a]).reshape(-1)[:5]) + np.trace(a))(A),
    "array from traced": lambda ag, np: ag.grad(lambda x: np.sum(np.array([x[0] * x[1], x[2], 2.0]) ** 2))(X),
    "reductions": lambda ag, np: ag.grad(lambda a: np.max(a) + np.mean(a, axis=0)[1] + np.prod(a[0])
                                         + np.var(a) + np.std(a[1]))(A),
    "where clip": lambda ag, np: ag.grad(lambda x: np.sum(np.where(x > 0, x ** 2, np.exp(x))
                                                            + np.clip(x, -0.5, 0.5)))(X),
    "einsum outer": lambda ag, np: ag.grad(lambda a: np.einsum("ij,jk->", a, a) + np.sum(np.outer(a[0], a[1])))(A),
    "random is numpy's": lambda ag, np: np.random.RandomState(0).randn(3),
}

SCIPY = {
    "special": lambda ag, np: ag.grad(lambda x: np.sum(sp(np, "special").gammaln(x + 2)
                                                        + sp(np, "special").digamma(x + 2)
                                                        + sp(np, "special").erf(x)
                                                        + sp(np, "special").expit(x)))(X),
    "logsumexp": lambda ag, np: ag.grad(lambda a: sp(np, "special").logsumexp(a, axis=1).sum())(A),
    "norm": lambda ag, np: [ag.grad(getattr(sp(np, "stats.norm"), f), k)(0.3, 0.1, 1.4)
                            for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf") for k in (0, 1, 2)],
    "t": lambda ag, np: [ag.grad(getattr(sp(np, "stats.t"), f), k)(0.3, 4.0, 0.1, 1.4)
                         for f in ("logpdf", "pdf") for k in (0, 1, 2, 3)],
    "gamma": lambda ag, np: [ag.grad(getattr(sp(np, "stats.gamma"), f), k)(1.3, 2.5)
                             for f in ("logpdf", "pdf") for k in (0, 1)],
    "beta": lambda ag, np: [ag.grad(getattr(sp(np, "stats.beta"), f), k)(0.3, 2.5, 1.5)
                            for f in ("logpdf", "pdf") for k in (0, 1, 2)],
    "chi2": lambda ag, np: [ag.grad(getattr(sp(np, "stats.chi2"), f))(1.3, 3.0) for f in ("logpdf", "pdf")],
    "chi2 values": lambda ag, np: [getattr(sp(np, "stats.chi2"), f)(P * 3, 3.0) for f in ("logpdf", "pdf", "cdf")],
    "poisson": lambda ag, np: [ag.grad(getattr(sp(np, "stats.poisson"), f), 1)(3.0, 2.5) for f in ("logpmf", "pmf")],
    "cdf values": lambda ag, np: [sp(np, "stats.t").cdf(P, 3.0), sp(np, "stats.gamma").cdf(P, 2.0),
                                  sp(np, "stats.beta").cdf(P, 2.0, 3.0), sp(np, "stats.poisson").cdf(2.0, P * 3)],
    "dirichlet": lambda ag, np: [ag.grad(sp(np, "stats.dirichlet").logpdf, k)(P / P.sum(), P + 1.0) for k in (0, 1)],
    "multivariate_normal": lambda ag, np: [ag.grad(sp(np, "stats.multivariate_normal").logpdf, k)(X[:3], X[1:], SPD)
                                           for k in (0, 1)],
    "multivariate_normal cov": lambda ag, np: sym(ag.grad(sp(np, "stats.multivariate_normal").logpdf, 2)(
        X[:3], X[1:], SPD)),
    "multivariate_normal allow_singular=False": lambda ag, np: [
        ag.grad(getattr(sp(np, "stats.multivariate_normal"), f), k)(X[:3], X[1:], SPD, allow_singular=False)
        for f in ("logpdf", "pdf") for k in (0, 1)],
    "multivariate_normal allow_singular plain": lambda ag, np: sp(np, "stats.multivariate_normal").pdf(
        X[:3], X[1:], onp.diag([1.0, 1.0, 0.0]), allow_singular=True),
    "multivariate_normal entropy": lambda ag, np: ag.value_and_grad(sp(np, "stats.multivariate_normal").entropy, 1)(
        X[:3], SPD),
    "linalg": lambda ag, np: ag.grad(lambda a: np.sum(sp(np, "linalg").solve_triangular(a, X[:3], lower=True))
                                     + np.sum(sp(np, "linalg").sqrtm(a)))(onp.tril(SPD)),
    "signal convolve": lambda ag, np: ag.grad(lambda a, b: np.sum(sp(np, "signal").convolve(a, b) ** 2), (0, 1))(
        X, P[:2]),
    "signal convolve 2d valid": lambda ag, np: ag.grad(
        lambda a: np.sum(sp(np, "signal").convolve(a, A[:2, :2], mode="valid") ** 2))(A),
}


@pytest.mark.parametrize("name", list(NUMPY))
def test_numpy_same_as_autograd(name):
    check(NUMPY[name])


@pytest.mark.parametrize("name", list(SCIPY))
def test_scipy_same_as_autograd(name):
    check(SCIPY[name])


def test_scipy_misc_logsumexp():
    from backchain.autograd.scipy.misc import logsumexp
    from autograd.scipy.special import logsumexp as want

    assert onp.allclose(logsumexp(A, axis=0), want(A, axis=0), rtol=0, atol=1e-12)


def test_numpy_own_names_refuse_traced_values():
    ag, np = modules("backchain")
    assert np.isscalar(1.0) and np.double is onp.double
    with pytest.raises(TypeError, match="histogramdd has no derivative rule in backchain"):
        ag.grad(lambda a: np.sum(np.histogramdd(a)[0]))(A)
    with pytest.raises(AttributeError, match="backchain.autograd.numpy' has no attribute 'no_such_name'"):
        np.no_such_name


def test_singular_multivariate_normal_as_autograd():
    """allow_singular=True: autograd's gradient in x (pseudo-inverse), on the support of a singular cov."""
    x, mean, cov = onp.array([X[0], X[1], X[3]]), X[1:], onp.diag([1.0, 2.0, 0.0])
    got, want = (ag.grad(sp(np, "stats").multivariate_normal.logpdf)(x, mean, cov, allow_singular=True)
                 for ag, np in (modules("backchain"), modules("autograd")))
    assert onp.allclose(got, want, rtol=1e-12, atol=0)


def test_cdfs_as_autograd():
    """The cdfs that autograd differentiates: in x (t, gamma, beta, chi2) and in mu (poisson)."""
    for name, args, argnum in (("t", (3.0,), 0), ("gamma", (2.0,), 0), ("beta", (2.0, 3.0), 0),
                               ("chi2", (3.0,), 0), ("poisson", (3.0,), 1)):
        got, want = (ag.grad(getattr(sp(np, "stats"), name).cdf, argnum)(0.5 if argnum == 0 else 2.0, *args)
                     for ag, np in (modules("backchain"), modules("autograd")))
        assert onp.allclose(got, want, rtol=1e-12, atol=0), name


def test_make_diagonal_other_axes_refused_as_autograd():
    import autograd.numpy as anp
    _, np = modules("backchain")
    for m in (anp, np):
        with pytest.raises(NotImplementedError, match="only supports|only offset=0"):
            m.make_diagonal(X)


CONV_CASES = [  # (A shape, B shape, axes, dot_axes, mode)
    ((5, 2, 6, 6), (2, 3, 3, 3), ([2, 3], [2, 3]), ([1], [0]), "valid"),   # autograd's convnet layer
    ((2, 7), (3,), ([1], [0]), ((), ()), "full"),
    ((2, 7), (3,), ([1], [0]), ((), ()), "same"),
    ((4, 3), (2, 4), ([0], [1]), ((), ()), "same"),
    ((3, 4, 2), (2, 5), ([1], [1]), ([2], [0]), "full"),
    ((3, 4), (3, 6, 2), ([1], [1]), ([0], [0]), "valid"),                 # B larger along the convolved axis
    ((4, 5), (2, 3), None, ((), ()), "valid"),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[f"{c[0]}*{c[1]} {c[4]}" for c in CONV_CASES])
def test_convolve_axes_same_as_autograd(case):
    sa, sb, axes, dot_axes, mode = case
    A, B = rng.standard_normal(sa), rng.standard_normal(sb)

    def program(ag, np):
        conv = sp(np, "signal").convolve
        out = conv(A, B, axes=axes, dot_axes=dot_axes, mode=mode)
        weights = onp.cos(onp.arange(out.size)).reshape(out.shape)
        return out, ag.grad(lambda a, b: np.sum(conv(a, b, axes=axes, dot_axes=dot_axes, mode=mode) * weights),
                            (0, 1))(A, B)

    check(program)


def test_convolve_errors():
    from backchain.autograd.scipy.signal import convolve

    with pytest.raises(ValueError, match="one array must be larger than the other along all convolved axes"):
        convolve(onp.ones((3, 2)), onp.ones((2, 3)), mode="valid", axes=([0, 1], [0, 1]))
    with pytest.raises(ValueError, match="convolve: mode must be"):
        convolve(onp.ones(3), onp.ones(2), mode="circular")


def test_symmetric_matrix_gradients_differ_from_autograd_only_off_the_symmetric_directions():
    """A documented difference (docs/coming-from/autograd.md): pinned so that a change is noticed."""
    ag, np = modules("backchain")
    import autograd
    import autograd.numpy as anp

    mine = ag.grad(lambda a: np.sum(np.linalg.cholesky(a)))(SPD)
    theirs = autograd.grad(lambda a: anp.sum(anp.linalg.cholesky(a)))(SPD)
    assert onp.allclose(onp.triu(mine, 1), 0) and not onp.allclose(mine, theirs)
    assert onp.allclose(sym(mine), sym(theirs), rtol=0, atol=1e-10)


def test_odeint_same_as_autograd_and_the_closed_form():
    """dy/dt = -k y: y0 exp(-k t). autograd traces the ODE's arguments only in its own tuple (ag.tuple);
    backchain traces a plain tuple as well."""
    t = onp.linspace(0, 1, 5)
    y0, k = onp.array([1.0, 2.0]), onp.array([0.7])

    def program(ag, np):
        odeint = sp(np, "integrate").odeint
        f = lambda y0, k: np.sum(odeint(lambda y, t, k: -k * y, y0, t, ag.tuple((k,)), rtol=1e-12,  # noqa: E731
                                        atol=1e-12))
        return ag.grad(f, (0, 1))(y0, k)

    g_y0, g_k = check(program)
    e = onp.exp(-k * t)
    assert onp.allclose(g_y0, onp.sum(e) * onp.ones(2), rtol=1e-8, atol=0)
    assert onp.allclose(g_k, -onp.sum(t * e) * onp.sum(y0), rtol=1e-8, atol=0)
    ag, np = modules("backchain")
    odeint = sp(np, "integrate").odeint
    plain = ag.grad(lambda k: np.sum(odeint(lambda y, t, k: -k * y, y0, t, (k,), rtol=1e-12, atol=1e-12)))(k)
    assert onp.allclose(plain, g_k, rtol=1e-10, atol=0)


def test_rfftn_odd_length_gradient_same_as_jax():
    # autograd raises NotImplementedError for an odd last length (its own suite asserts that); backchain
    # differentiates it: compared with JAX, reverse and forward mode
    import jax
    import jax.numpy as jnp

    ag, np = modules("backchain")
    x = rng.standard_normal((5, 4, 5))
    w = rng.standard_normal((5, 4, 3)) + 1j * rng.standard_normal((5, 4, 3))

    def loss(np):
        return lambda a: np.sum(np.real(np.fft.rfftn(a) * w)) + np.sum(np.abs(np.fft.rfftn(a, axes=(0, 2))) ** 2)

    with jax.enable_x64(True):
        want = onp.asarray(jax.grad(loss(jnp))(jnp.asarray(x)))
        want_d = float(jax.jvp(loss(jnp), (jnp.asarray(x),), (jnp.asarray(w.real[:, :, :1] * x),))[1])
    assert onp.allclose(ag.grad(loss(np))(x), want, rtol=1e-10, atol=1e-10)
    assert onp.isclose(ag.make_jvp(loss(np))(x)(w.real[:, :, :1] * x)[1], want_d, rtol=1e-10)


def _where_program(ag, np):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = [np.where(True, 1, 2), np.where(False, 1, 2.0), np.where([True, False], [1, 2], [3, 4]),
                 np.where(condition=[True, False], x=[1.5, 2.5], y=[3.5, 4.5])]
    arrays = [np.where(onp.array([True, False]), 1, 2), np.where(True, onp.float32(1.0), 2.0), np.where([1, 0])]
    g = ag.grad(lambda x: np.sum(np.where(x > 0, x ** 2, 3.0 * x)))(onp.array([-1.0, 2.0]))
    return [(type(v).__name__, v) for v in plain], [(type(v).__name__, v) for v in arrays], g


W54 = rng.standard_normal((5, 4))
X243 = rng.standard_normal((2, 4, 3))


def _int_cast_program(ag, np):
    inds = np.ones(5)[:, None]
    w = W54

    def fun(W):
        glued = np.concatenate((W, inds), axis=1)
        new_inds = np.int64(glued[:, -1] * 2)
        return np.sum(np.sin(W[:, :-1][new_inds])) * 1.0, str(new_inds.dtype), new_inds.dtype == np.int64

    return ag.grad(lambda W: fun(W)[0])(w), fun(w)[1:], np.int32(7) + 1, onp.zeros(2).astype(np.int16).dtype.name


def _linalg_helpers_program(ag, np):
    x = X243
    f = lambda a: np.sum(np.linalg.pinv(np.linalg._dot(np.linalg.T(a), a)) ** 2)  # noqa: E731
    return np.linalg.T(x).shape, f(x), ag.grad(f)(x)


def _operator_names_program(ag, np):
    def foo(x):
        pass

    return (ag.grad.__name__, ag.grad.__doc__.lstrip().startswith("Returns a function which"),
            ag.grad(foo, 1).__name__, ag.grad(foo, 1).__doc__, ag.jacobian(foo, (0, 1)).__name__)


@pytest.mark.parametrize("program", [_where_program, _int_cast_program, _linalg_helpers_program,
                                     _operator_names_program])
def test_autograd_specific_helpers_same_as_autograd(program):
    check(program)


def test_int_types_take_numpys_values_as_their_own():
    # autograd's integer types are subclasses that NumPy's own values are not instances of (autograd:
    # np.issubdtype(int64 array's dtype, anp.int64) is False); backchain.autograd's are, and still cast traced values
    _, np = modules("backchain")
    a = onp.zeros(2, dtype=onp.int64)
    assert np.issubdtype(a.dtype, np.int64) and isinstance(onp.int64(1), np.int64) and issubclass(onp.int64, np.int64)
    assert not isinstance(onp.int32(1), np.int64) and np.dtype(np.int32) == onp.int32 and np.int_ is np.int64
    assert np.iinfo(np.int16).max == 32767 and np.arange(3, dtype=np.intp).dtype == onp.intp
    assert isinstance(np.int64(3), onp.int64) and np.int8(onp.array([1.7, -2.2])).tolist() == [1, -2]
