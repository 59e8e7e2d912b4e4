"""Forward values of backchain.scipy equal SciPy's, on plain arrays (the fast path) and on traced tensors."""
import sys
import subprocess

import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl
import scipy.signal as ss
import scipy.special as sc
import scipy.stats as st

import backchain as bc
from backchain.scipy import special as S, stats, linalg as L, signal, integrate

RNG = np.random.default_rng(0)
X = RNG.uniform(0.2, 0.9, (2, 3))
Y = RNG.uniform(0.5, 2.0, (2, 3))


def T(x):
    return bc.tensor(np.asarray(x, dtype=float), requires_grad=True)


def check(ours, ref, args, rtol=1e-12):
    expected = ref(*args)
    atol = 1e-13 * max(1.0, float(np.max(np.abs(expected), initial=0.0, where=np.isfinite(expected))))
    np.testing.assert_allclose(ours(*args), expected, rtol=rtol, atol=atol)
    traced = ours(*[T(a) for a in args])
    assert isinstance(traced, bc.Tensor) and traced.requires_grad
    np.testing.assert_allclose(traced.data, expected, rtol=rtol, atol=atol)


UNARY = ["erf", "erfc", "erfinv", "erfcinv", "ndtr", "log_ndtr", "ndtri", "expit", "logit", "log1p", "expm1",
         "gamma", "gammaln", "digamma", "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1"]


@pytest.mark.parametrize("name", UNARY)
def test_special_unary(name):
    check(getattr(S, name), getattr(sc, name), [X])


@pytest.mark.parametrize("name", ["beta", "betaln", "xlogy", "xlog1py"])
def test_special_binary(name):
    check(getattr(S, name), getattr(sc, name), [X, Y])


def test_polygamma_and_softmax_family():
    n = np.array([0, 1, 3])
    np.testing.assert_allclose(S.polygamma(n, T(Y[0])).data, sc.polygamma(n, Y[0]), rtol=1e-12)
    a = Y * 100.0
    for kw in ({}, {"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": -1, "b": X}):
        check(lambda a: S.logsumexp(a, **kw), lambda a: sc.logsumexp(a, **kw), [a])
    for axis in (None, 0, 1):
        check(lambda a: S.softmax(a, axis=axis), lambda a: sc.softmax(a, axis=axis), [a])
        check(lambda a: S.log_softmax(a, axis=axis), lambda a: sc.log_softmax(a, axis=axis), [a])


def test_scipy_ufunc_on_a_tensor_dispatches():
    y = sc.gammaln(T(Y))
    assert isinstance(y, bc.Tensor) and y.requires_grad
    np.testing.assert_allclose(bc.grad(lambda y: sc.gammaln(y).sum())(Y), sc.digamma(Y), rtol=1e-13)


STATS = [
    ("norm", "logpdf", [X, Y, Y]), ("norm", "pdf", [X, Y, Y]), ("norm", "cdf", [X, Y, Y]),
    ("norm", "logcdf", [X - 5, Y, Y]), ("norm", "sf", [X, Y, Y]), ("norm", "logsf", [X, Y, Y]),
    ("norm", "ppf", [X, Y, Y]), ("t", "logpdf", [X, Y, Y, Y]), ("t", "pdf", [X, Y]),
    ("gamma", "logpdf", [Y, X, X * 0, Y]), ("gamma", "pdf", [Y, X]), ("beta", "logpdf", [X, Y, Y]),
    ("beta", "pdf", [X, Y, X]),
]


@pytest.mark.parametrize("dist,method,args", STATS, ids=[f"{d}.{m}" for d, m, _ in STATS])
def test_stats(dist, method, args):
    check(getattr(getattr(stats, dist), method), getattr(getattr(st, dist), method), args, rtol=1e-11)


def test_discrete_and_multivariate():
    k = np.array([0.0, 1.0, 4.0, 2.5])
    check(lambda mu: stats.poisson.logpmf(k, mu), lambda mu: st.poisson.logpmf(k, mu), [np.array(1.7)])
    check(lambda mu: stats.poisson.pmf(k, mu), lambda mu: st.poisson.pmf(k, mu), [np.array(1.7)])
    x = np.array([[0.2, 0.3, 0.1], [0.3, 0.1, 0.6], [0.5, 0.6, 0.3]])
    alpha = np.array([1.5, 2.0, 0.7])
    check(stats.dirichlet.logpdf, st.dirichlet.logpdf, [x, alpha])
    check(stats.dirichlet.pdf, st.dirichlet.pdf, [x[:2], alpha])
    cov = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
    pts = RNG.standard_normal((4, 3))
    check(stats.multivariate_normal.logpdf, st.multivariate_normal.logpdf, [pts, X[0], cov])
    check(stats.multivariate_normal.pdf, st.multivariate_normal.pdf, [pts[0], X[0], Y[0]])


def test_linalg():
    a = np.tril(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    for kw in ({"lower": True}, {"lower": True, "trans": 1}, {"lower": True, "unit_diagonal": True}, {"trans": "T"}):
        aa = a if kw.get("lower") else a.T
        check(lambda a, b: L.solve_triangular(a, b, **kw), lambda a, b: sl.solve_triangular(a, b, **kw), [aa, b])
    spd = a @ a.T
    check(lambda a: L.cholesky(a, lower=True), lambda a: sl.cholesky(a, lower=True), [spd])
    check(L.cholesky, sl.cholesky, [spd])
    for lower in (True, False):
        check(lambda a, b: L.cho_solve(L.cho_factor(a, lower=lower), b),
              lambda a, b: sl.cho_solve(sl.cho_factor(a, lower=lower), b), [spd, b], rtol=1e-10)
    check(L.solve_sylvester, sl.solve_sylvester, [a, a.T, b @ b.T], rtol=1e-10)
    check(L.sqrtm, sl.sqrtm, [spd], rtol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [((6,), (3,)), ((3,), (5,)), ((4, 5), (2, 3))])
def test_signal(mode, shapes):
    a, b = RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1])
    check(lambda a, b: signal.convolve(a, b, mode), lambda a, b: ss.convolve(a, b, mode), [a, b])
    check(lambda a, b: signal.correlate(a, b, mode), lambda a, b: ss.correlate(a, b, mode), [a, b])
    check(lambda a, b: signal.fftconvolve(a, b, mode), lambda a, b: ss.fftconvolve(a, b, mode), [a, b])


def test_odeint():
    import backchain.numpy as bnp
    t = np.linspace(0.0, 2.0, 5)

    def ours(y, t, k):
        return -k * y + bnp.sin(t)

    def ref(y, t, k):
        return -k * y + np.sin(t)

    y0 = np.array([1.0, -0.5])
    expected = si.odeint(ref, y0, t, args=(0.7,), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(integrate.odeint(ours, y0, t, (0.7,), rtol=1e-10, atol=1e-10), expected, rtol=1e-12)
    traced = integrate.odeint(ours, T(y0), t, (T(0.7),), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(traced.data, expected, rtol=1e-12)
    # d y(t)/d k for y' = -k y (y0 = 1): -t exp(-k t).
    g = bc.grad(lambda k: integrate.odeint(lambda y, t, k: -k * y, 1.0, t, (k,), rtol=1e-11, atol=1e-11)[-1, 0])(0.7)
    np.testing.assert_allclose(g, -2.0 * np.exp(-1.4), rtol=1e-7)


def test_odeint_second_order_matches_the_closed_form():
    # y' = -k y, y(1) = exp(-k): d2/dk2 = exp(-k), reverse over reverse and the Hessian (forward over reverse)
    def f(k):
        return integrate.odeint(lambda y, t, k: -k * y, 1.0, np.array([0.0, 1.0]), (k,), rtol=1e-12, atol=1e-12)[-1, 0]
    assert float(bc.grad(bc.grad(f))(0.5)) == pytest.approx(np.exp(-0.5), rel=1e-8)
    assert float(bc.hessian(f)(0.5)) == pytest.approx(np.exp(-0.5), rel=1e-8)


def test_import_backchain_does_not_load_scipy():
    code = "import sys, backchain, backchain.numpy, backchain.scipy; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_cho_factor_same_factor_for_arrays_and_tensors():
    from backchain.scipy import linalg

    a = np.array([[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]])
    for lower in (True, False):
        c, low = linalg.cho_factor(a, lower=lower)
        ct, lowt = linalg.cho_factor(bc.tensor(a), lower=lower)
        np.testing.assert_allclose(c, ct.data, atol=1e-12)
        assert low == lowt == lower
        np.testing.assert_allclose(c @ c.T if lower else c.T @ c, a, atol=1e-12)


def test_logsumexp_return_sign_matches_scipy():
    import scipy.special as sc
    from backchain.scipy.special import logsumexp

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for axis, keepdims in [(None, False), (1, False), (0, True), ((0, 1), False)]:
        out, sign = logsumexp(bc.tensor(a, requires_grad=True), axis=axis, b=b, keepdims=keepdims, return_sign=True)
        ref, ref_sign = sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
        np.testing.assert_allclose(out.data, ref, rtol=1e-12)
        np.testing.assert_array_equal(sign, ref_sign)


def test_odeint_refuses_a_complex_traced_state():
    from backchain.scipy.integrate import odeint

    with pytest.raises(TypeError, match="odeint: complex states are not supported"):
        odeint(lambda y, t: -y, bc.tensor(np.array([1.0 + 1j]), requires_grad=True), np.array([0.0, 1.0]))


def test_complex_logsumexp_takes_the_principal_branch_like_scipy():
    from backchain.scipy.special import logsumexp

    x = np.array([-250.0 + 300.0j, 100.0 - 200.0j, 400.0 + 17.0j])
    got = logsumexp(bc.tensor(x, requires_grad=True), axis=0)
    np.testing.assert_allclose(got.data, sc.logsumexp(x, axis=0))
