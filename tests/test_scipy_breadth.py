"""backchain.scipy at least as broad as HIPS autograd's: the special functions, distributions, linear
algebra and ODE solutions that autograd differentiates, each compared with an oracle (SciPy for values;
JAX, HIPS autograd, mpmath or a closed form for derivatives)."""
import numpy as np
import pytest
import scipy.special as sc

import backchain as bc
from backchain.scipy import special as S

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
import jax.scipy.special as jss  # noqa: E402

ag = pytest.importorskip("autograd")
import autograd.scipy.special as ags  # noqa: E402


@pytest.fixture(autouse=True)
def _jax_in_float64():
    with jax.enable_x64(True):
        yield


def T(x):
    return bc.tensor(np.asarray(x, dtype=float), requires_grad=True)


A = np.array([0.3, 0.9, 2.0, 5.5, 12.0])
X = np.array([0.05, 1.5, 1.0, 9.0, 4.0])


# -- scipy.special -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_values_and_gradients_match_jax(name):
    ours = getattr(S, name)
    np.testing.assert_allclose(ours(T(A), T(X)).data, getattr(sc, name)(A, X), rtol=1e-14)
    ga, gx = bc.grad(lambda a, x: ours(a, x).sum(), argnums=(0, 1))(A, X)
    ja, jx = jax.grad(lambda a, x: jnp.sum(getattr(jss, name)(a, x)), argnums=(0, 1))(A, X)
    np.testing.assert_allclose(ga, ja, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(gx, jx, rtol=1e-12)
    # forward mode: the same derivatives
    _, ta = bc.jvp(lambda a: ours(a, X), (A,), (np.ones_like(A),))
    np.testing.assert_allclose(ta, ja, rtol=1e-10, atol=1e-15)
    # second order in x, and mixed (x then a), against JAX's
    h = bc.grad(lambda x: bc.grad(lambda x: ours(2.0, x))(x))(1.5)
    assert h == pytest.approx(float(jax.grad(jax.grad(lambda x: getattr(jss, name)(2.0, x)))(1.5)), rel=1e-12)
    m = bc.grad(lambda a: bc.grad(lambda x: ours(a, x))(1.5))(2.0)
    assert m == pytest.approx(float(jax.grad(lambda a: jax.grad(lambda x: getattr(jss, name)(a, x))(1.5))(2.0)),
                              rel=1e-10)


@pytest.mark.parametrize("a, x", [(0.05, 1e-5), (0.5, 0.01), (3.0, 3.9), (3.0, 4.1), (30.0, 29.0), (30.0, 45.0),
                                  (150.0, 160.0), (1000.0, 1030.0), (2.0, 300.0), (0.3, 60.0)])
def test_gammainc_derivative_in_a_matches_mpmath(a, x):
    """d/da has no closed form: the series (x < a + 1) and the continued fraction (beyond), against mpmath's
    derivative of its own Q(a, x) = 1 - P(a, x) in 40 digits, both sides of the switch and far into the tails."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(40):
        want = -float(mp.diff(lambda s: mp.gammainc(s, x, mp.inf, regularized=True), a))
    assert float(bc.grad(S.gammainc)(a, x)) == pytest.approx(want, rel=1e-11, abs=1e-300)
    assert float(bc.grad(S.gammaincc)(a, x)) == pytest.approx(-want, rel=1e-11, abs=1e-300)


def test_gammainc_derivative_in_a_on_a_wide_grid_matches_jax():
    """20000 random points of (0.05, 60) x (0, 120): both branches, both tails, one call (converged
    elements leave the loops early: about 10 ms here)."""
    rng = np.random.default_rng(1)
    a, x = rng.uniform(0.05, 60.0, 20000), rng.uniform(0.0, 120.0, 20000)
    ours = bc.grad(lambda a: S.gammainc(a, x).sum())(a)
    want = np.asarray(jax.vmap(jax.grad(jss.gammainc))(a, x))
    np.testing.assert_allclose(ours, want, rtol=1e-11, atol=1e-14)
    # the second derivative: finite everywhere (the fractions stop above their rounding floor), and the
    # central difference of JAX's first derivative
    second = bc.grad(lambda a: bc.grad(lambda a: S.gammainc(a, x).sum())(a).sum())(a)
    assert np.isfinite(second).all()
    h = 1e-5
    fd = (np.asarray(jax.vmap(jax.grad(jss.gammainc))(a + h, x))
          - np.asarray(jax.vmap(jax.grad(jss.gammainc))(a - h, x))) / (2 * h)
    np.testing.assert_allclose(second, fd, rtol=1e-5, atol=1e-9)


def test_gammainc_edges():
    # d/dx at x == 0: +inf for a < 1, 1 for a == 1, 0 for a > 1 (the limits); d/da there is 0 (P(a, 0) = 0)
    assert bc.grad(lambda x: S.gammainc(0.5, x))(0.0) == np.inf
    assert bc.grad(lambda x: S.gammainc(1.0, x))(0.0) == 1.0
    assert bc.grad(lambda x: S.gammainc(2.0, x))(0.0) == 0.0
    assert bc.grad(S.gammainc)(2.0, 0.0) == 0.0
    assert bc.grad(S.gammainc)(2.0, np.inf) == 0.0
    with pytest.raises(NotImplementedError, match="gammainc: no derivative with respect to a .* third order"):
        bc.grad(bc.grad(bc.grad(S.gammainc)))(2.0, 1.5)


@pytest.mark.parametrize("a, x", [(0.05, 1e-3), (0.5, 0.5), (3.0, 3.9), (3.0, 4.1), (30.0, 29.0), (30.0, 45.0),
                                  (150.0, 160.0), (2.0, 300.0)])
def test_gammainc_second_derivative_in_a_matches_mpmath(a, x):
    """JAX has no second derivative in a (igamma_grad_a has no rule): against mpmath, reverse over reverse
    and the Hessian (forward over reverse), and the mixed one."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(50):
        want = -float(mp.diff(lambda s: mp.gammainc(s, x, mp.inf, regularized=True), a, 2))
        mixed = -float(mp.diff(lambda s, y: mp.gammainc(s, y, mp.inf, regularized=True), (a, x), (1, 1)))
    assert float(bc.grad(bc.grad(S.gammainc))(a, x)) == pytest.approx(want, rel=1e-10, abs=1e-300)
    assert float(bc.hessian(S.gammaincc)(a, x)) == pytest.approx(-want, rel=1e-10, abs=1e-300)
    assert float(bc.grad(bc.grad(S.gammainc), 1)(a, x)) == pytest.approx(mixed, rel=1e-10, abs=1e-300)


def test_betainc_in_x_matches_jax_and_a_b_raise():
    a, b, x = np.array([0.5, 2.0, 4.0]), np.array([3.0, 0.7, 2.0]), np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(S.betainc(a, b, T(x)).data, sc.betainc(a, b, x), rtol=1e-14)
    g = bc.grad(lambda x: S.betainc(a, b, x).sum())(x)
    np.testing.assert_allclose(g, jax.grad(lambda x: jnp.sum(jss.betainc(a, b, x)))(x), rtol=1e-12)
    # second order in x, and the mixed derivative d/da d/dx (its density is made of differentiable functions)
    h = bc.grad(lambda x: bc.grad(lambda x: S.betainc(2.0, 3.0, x))(x))(0.4)
    assert h == pytest.approx(float(jax.grad(jax.grad(lambda x: jss.betainc(2.0, 3.0, x)))(0.4)), rel=1e-12)
    m = bc.grad(lambda a: bc.grad(lambda x: S.betainc(a, 3.0, x))(0.4))(2.0)
    eps = 1e-6
    fd = (float(bc.grad(lambda x: S.betainc(2.0 + eps, 3.0, x))(0.4))
          - float(bc.grad(lambda x: S.betainc(2.0 - eps, 3.0, x))(0.4))) / (2 * eps)
    assert m == pytest.approx(fd, rel=1e-7)
    with pytest.raises(NotImplementedError, match="betainc: no derivative with respect to a to third order"):
        bc.grad(bc.grad(bc.grad(S.betainc)))(2.0, 3.0, 0.4)


@pytest.mark.parametrize("a, b, x", [(0.1, 0.2, 0.3), (0.5, 3.0, 1e-4), (2.0, 3.0, 0.4), (2.0, 3.0, 0.6),
                                     (10.0, 0.2, 0.95), (80.0, 700.0, 0.05), (80.0, 700.0, 0.3), (500.0, 40.0, 0.95),
                                     (1.0, 1.0, 0.9999)])
def test_betainc_derivatives_in_a_and_b_match_mpmath(a, b, x):
    """Neither SciPy nor JAX differentiates betainc in its shapes: the continued fraction, differentiated
    term by term (through I_x(a, b) = 1 - I_{1-x}(b, a) past the switch point), against mpmath's derivative
    of its own I (of 1 - I where I is near 1) in 60 digits."""
    mp = pytest.importorskip("mpmath")
    upper = x > (a + 1.0) / (a + b + 2.0)
    with mp.workdps(60):
        def i(p, q):
            return -mp.betainc(p, q, x, 1, regularized=True) if upper else mp.betainc(p, q, 0, x, regularized=True)
        want = [float(mp.diff(lambda s: i(s, b), a)), float(mp.diff(lambda s: i(a, s), b))]
    got = bc.grad(S.betainc, argnums=(0, 1))(a, b, x)
    np.testing.assert_allclose([float(g) for g in got], want, rtol=1e-10)
    _, t = bc.jvp(lambda a, b: S.betainc(a, b, x), (a, b), (1.0, 1.0))
    assert float(t) == pytest.approx(sum(want), rel=1e-9, abs=1e-300)
    # second order: the Hessian in (a, b), forward over reverse
    with mp.workdps(60 if a < 100 else 120):
        h = [[float(mp.diff(i, (a, b), (2, 0))), float(mp.diff(i, (a, b), (1, 1)))],
             [float(mp.diff(i, (a, b), (1, 1))), float(mp.diff(i, (a, b), (0, 2)))]]
    got = bc.hessian(S.betainc, argnums=(0, 1))(a, b, x)
    np.testing.assert_allclose([[float(v) for v in row] for row in got], h, rtol=1e-9)


@pytest.mark.parametrize("name, order", [("jv", 2.5), ("jn", 3), ("yn", 2), ("iv", 1.5), ("ive", 2.0),
                                         ("iv", 0), ("ive", 1)])
def test_bessel_of_any_order_match_autograd(name, order):
    x = np.array([0.4, 1.3, 3.7, 8.0])
    ours = getattr(S, name)
    np.testing.assert_allclose(ours(order, T(x)).data, getattr(sc, name)(order, x), rtol=1e-14)
    theirs = getattr(ags, name, None) or getattr(ags, "jn")
    g = bc.grad(lambda x: ours(order, x).sum())(x)
    np.testing.assert_allclose(g, ag.grad(lambda x: ag.numpy.sum(theirs(order, x)))(x), rtol=1e-12)
    _, t = bc.jvp(lambda x: ours(order, x), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, g, rtol=1e-14)
    h = bc.jacobian(bc.grad(lambda x: ours(order, x).sum()))(x).diagonal()
    np.testing.assert_allclose(h, ag.elementwise_grad(ag.elementwise_grad(lambda x: theirs(order, x)))(x),
                               rtol=1e-10)


@pytest.mark.parametrize("name, error", [("jv", NotImplementedError), ("yn", ValueError), ("iv", NotImplementedError),
                                         ("ive", NotImplementedError)])
def test_bessel_order_has_no_derivative(name, error):
    with pytest.raises(error, match=f"{name}: no derivative with respect to [vn] \\(the .*order\\); only x"):
        bc.grad(lambda v: getattr(S, name)(v, 1.3))(2.0)
    with pytest.raises(error, match=f"{name}: no derivative with respect to"):
        bc.jvp(lambda v: getattr(S, name)(v, 1.3), (2.0,), (1.0,))


def test_ive_at_zero_follows_i0e_and_i1e():
    """ive = iv exp(-|x|) has a corner at 0 for v == 0 (min-norm 0, as i0e) and the limit 1/2 for v == 1
    (as i1e); the kink table states it."""
    g = bc.grad(lambda x: S.ive(np.array([0.0, 1.0, 2.0]), x).sum())(np.zeros(3))
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.0])
    assert float(bc.grad(S.i0e)(0.0)) == g[0] and float(bc.grad(S.i1e)(0.0)) == g[1]
    assert "scipy.special.ive" in str(bc.kinks.table())


@pytest.mark.parametrize("name, fn", [("yv", lambda x: S.yv(1.5, x)), ("kv", lambda x: S.kv(0.7, x)),
                                      ("kve", lambda x: S.kve(2.5, x)), ("k0", S.k0), ("k1", S.k1), ("k0e", S.k0e),
                                      ("k1e", S.k1e), ("exp1", S.exp1), ("expi", S.expi), ("erfcx", S.erfcx),
                                      ("log_expit", S.log_expit)])
def test_more_special_functions_values_and_derivatives(name, fn):
    """Beyond autograd: values are SciPy's; first and second derivatives against central differences of
    SciPy's own function (JAX's where it has one: erfcx, expi, exp1 as -expi(-x), log_expit)."""
    x = np.array([0.4, 1.3, 3.7, 9.0])
    ref = {"yv": lambda x: sc.yv(1.5, x), "kv": lambda x: sc.kv(0.7, x), "kve": lambda x: sc.kve(2.5, x)}.get(
        name, getattr(sc, name, None))
    np.testing.assert_allclose(fn(T(x)).data, ref(x), rtol=1e-14)
    g = bc.grad(lambda x: fn(x).sum())(x)
    h = 1e-6 * np.maximum(1.0, x)
    np.testing.assert_allclose(g, (ref(x + h) - ref(x - h)) / (2 * h), rtol=1e-7)
    second = bc.grad(lambda x: bc.grad(lambda x: fn(x).sum())(x).sum())(x)
    h = 1e-4 * np.maximum(1.0, x)
    np.testing.assert_allclose(second, (ref(x + h) - 2 * ref(x) + ref(x - h)) / h ** 2, rtol=1e-5)
    jax_ref = {"erfcx": jss.erfcx, "expi": jss.expi, "exp1": lambda x: -jss.expi(-x),
               "log_expit": lambda x: jnp.log(jss.expit(x))}.get(name)
    if jax_ref is not None:
        np.testing.assert_allclose(g, jax.grad(lambda x: jnp.sum(jax_ref(x)))(x), rtol=1e-12)


def test_poles_give_infinite_derivatives_not_nan():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = [float(bc.grad(f)(0.0)) for f in (S.k0, S.k1, S.k0e, S.k1e, S.exp1, S.expi)]
    assert g == [-np.inf, -np.inf, -np.inf, -np.inf, -np.inf, np.inf]


def test_erfcx_derivative_far_out_keeps_its_digits():
    """2 x erfcx(x) - 2/sqrt(pi) cancels to about 1/(sqrt(pi) x^2): beyond x = 50 its asymptotic series."""
    mp = pytest.importorskip("mpmath")
    for x in (30.0, 60.0, 1e3, 1e6):
        with mp.workdps(50):
            want = float(mp.diff(lambda t: mp.exp(t * t) * mp.erfc(t), x))
        assert float(bc.grad(S.erfcx)(x)) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("name", ["rel_entr", "kl_div"])
def test_rel_entr_and_kl_div(name):
    ours, theirs = getattr(S, name), getattr(jss, name)
    x, y = np.array([0.3, 1.2, 2.0, 0.0, 0.0, 1.0, -1.0]), np.array([0.5, 0.7, 2.0, 1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ours(T(x), T(y)).data, getattr(sc, name)(x, y))
    gx, gy = bc.grad(lambda x, y: ours(x, y).sum(), argnums=(0, 1))(x, y)
    jx, jy = jax.grad(lambda x, y: jnp.sum(theirs(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx[:3], jx[:3], rtol=1e-14)  # inside: JAX's
    np.testing.assert_allclose(gy[:3], jy[:3], rtol=1e-14)
    # x == 0: d/dx is the one-sided limit -inf (JAX: 0 or -1), d/dy = 0 (rel_entr) or 1 (kl_div); where the
    # value is +inf (y == 0 < x, or x < 0): 0 in both, as JAX
    np.testing.assert_array_equal(gx[3:], [-np.inf, -np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(gy[3:], [0.0, 0.0, 0.0, 0.0] if name == "rel_entr" else [1.0, 1.0, 0.0, 0.0])
    h = bc.hessian(lambda x, y: ours(x, y), argnums=(0, 1))(1.2, 0.7)
    j = jax.hessian(lambda x, y: theirs(x, y), argnums=(0, 1))(1.2, 0.7)
    np.testing.assert_allclose([[float(v) for v in r] for r in h], [[float(v) for v in r] for r in j], rtol=1e-13)


def test_polygamma_order_has_no_derivative():
    with pytest.raises(ValueError, match=r"polygamma: no derivative with respect to n \(the integer order\)"):
        bc.grad(lambda n: S.polygamma(n, 1.5))(1.0)
    # an order that does not require grad is data
    assert float(S.polygamma(bc.tensor(1.0), T(1.0)).data) == pytest.approx(np.pi ** 2 / 6, rel=1e-14)


def test_rgamma_gammasgn_multigammaln_entr():
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5])
    np.testing.assert_allclose(S.rgamma(T(x)).data, sc.rgamma(x), rtol=1e-14)
    # finite at the poles of gamma: the limits (-1)**n n! at -n
    g = bc.grad(lambda x: S.rgamma(x).sum())(x)
    np.testing.assert_allclose(g[[0, 1, 3]], [2.0, -1.0, 1.0], rtol=1e-14)
    inner = [2, 4, 5, 6]  # autograd's -digamma / gamma, away from the poles
    np.testing.assert_allclose(g[inner], ag.elementwise_grad(ags.rgamma)(x[inner]), rtol=1e-12)
    np.testing.assert_allclose(bc.grad(lambda x: S.gammasgn(x).sum())(x[[2, 4, 6]]), 0.0)
    np.testing.assert_array_equal(S.gammasgn(T(x[[2, 4]])).data, [-1.0, 1.0])
    a = np.array([1.6, 3.0, 7.5])
    np.testing.assert_allclose(S.multigammaln(T(a), 3).data, [sc.multigammaln(v, 3) for v in a], rtol=1e-14)
    np.testing.assert_allclose(bc.grad(lambda a: S.multigammaln(a, 3).sum())(a),
                               jax.grad(lambda a: jnp.sum(jss.multigammaln(a, 3)))(a), rtol=1e-12)
    with pytest.raises(ValueError, match=r"multigammaln: a must be greater than \(d - 1\) / 2 = 1.0"):
        S.multigammaln(T([0.9]), 3)
    e = np.array([0.0, 0.3, 2.0, -1.0])
    np.testing.assert_array_equal(S.entr(T(e)).data, sc.entr(e))
    g = bc.grad(lambda x: S.entr(x).sum())(e)
    assert g[0] == np.inf and g[3] == 0.0  # the one-sided limit at 0; entr is -inf (constant) for x < 0
    np.testing.assert_allclose(g[1:3], jax.grad(lambda x: jnp.sum(jss.entr(x)))(e[1:3]), rtol=1e-14)


def test_scipy_ufuncs_on_tensors_dispatch_to_the_new_rows():
    x = T([0.5, 1.5])
    for fn, args in ((sc.gammainc, (2.0, x)), (sc.betainc, (2.0, 3.0, x * 0.5)), (sc.iv, (1.0, x)),
                     (sc.jv, (2, x)), (sc.yn, (1, x)), (sc.rgamma, (x,)), (sc.entr, (x,))):
        y = fn(*args)
        assert isinstance(y, bc.Tensor) and y.requires_grad, fn.__name__


# -- scipy.stats ---------------------------------------------------------------------------------

import scipy.stats as st  # noqa: E402
import jax.scipy.stats as jst  # noqa: E402
import autograd.scipy.stats as agst  # noqa: E402
from backchain.scipy import stats  # noqa: E402

METHODS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
XS = np.array([0.2, 0.9, 2.5, 6.0])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dist, args", [("gamma", (1.7, 0.1, 1.3)), ("chi2", (3.0, 0.1, 1.3))])
def test_gamma_and_chi2_match_jax_in_every_argument(dist, method, args):
    ours, ref = getattr(getattr(stats, dist), method), getattr(getattr(jst, dist), method)
    np.testing.assert_allclose(ours(T(XS), *[T(a) for a in args]).data, getattr(getattr(st, dist), method)(XS, *args),
                               rtol=1e-13)
    argnums = (0, 1, 2, 3)
    g = bc.grad(lambda *a: ours(*a).sum(), argnums=argnums)(XS, *args)
    j = jax.grad(lambda *a: jnp.sum(ref(*a)), argnums=argnums)(XS, *args)
    for ours_g, jax_g in zip(g, j):
        np.testing.assert_allclose(ours_g, jax_g, rtol=1e-9)


@pytest.mark.parametrize("method", ["cdf", "logcdf", "sf", "logsf"])
def test_beta_cdf_family_matches_jax_in_x_loc_scale(method):
    ours, ref = getattr(stats.beta, method), getattr(jst.beta, method)
    x = np.array([0.15, 0.4, 0.8])
    np.testing.assert_allclose(ours(T(x), 2.0, 3.0, 0.05, 0.9).data, getattr(st.beta, method)(x, 2.0, 3.0, 0.05, 0.9),
                               rtol=1e-13)
    g = bc.grad(lambda x, loc, s: ours(x, 2.0, 3.0, loc, s).sum(), argnums=(0, 1, 2))(x, 0.05, 0.9)
    j = jax.grad(lambda x, loc, s: jnp.sum(ref(x, 2.0, 3.0, loc, s)), argnums=(0, 1, 2))(x, 0.05, 0.9)
    for ours_g, jax_g in zip(g, j):
        np.testing.assert_allclose(ours_g, jax_g, rtol=1e-10)
    # in the shapes (JAX has no rule): central differences of SciPy's own function
    ga, gb = bc.grad(ours, argnums=(1, 2))(0.4, 2.0, 3.0)
    eps, ref = 1e-6, getattr(st.beta, method)
    assert float(ga) == pytest.approx((ref(0.4, 2.0 + eps, 3.0) - ref(0.4, 2.0 - eps, 3.0)) / (2 * eps), rel=1e-7)
    assert float(gb) == pytest.approx((ref(0.4, 2.0, 3.0 + eps) - ref(0.4, 2.0, 3.0 - eps)) / (2 * eps), rel=1e-7)


@pytest.mark.parametrize("method", ["cdf", "logcdf", "sf", "logsf"])
def test_t_cdf_family(method):
    ours = getattr(stats.t, method)
    x = np.array([-3.0, -0.4, 0.5, 2.0])
    np.testing.assert_allclose(ours(T(x), 2.5, 0.2, 1.5).data, getattr(st.t, method)(x, 2.5, 0.2, 1.5), rtol=1e-13)
    gx, gloc, gs = bc.grad(lambda x, loc, s: ours(x, 2.5, loc, s).sum(), argnums=(0, 1, 2))(x, 0.2, 1.5)
    # the cdf's derivative is the density; autograd has t.cdf's rules in x and loc
    cdf_x = ag.grad(lambda x: ag.numpy.sum(agst.t.cdf(x, 2.5, 0.2, 1.5)))(x)
    sign, ratio = {"cdf": (1, 1.0), "logcdf": (1, st.t.cdf(x, 2.5, 0.2, 1.5)), "sf": (-1, 1.0),
                   "logsf": (-1, st.t.sf(x, 2.5, 0.2, 1.5))}[method]
    np.testing.assert_allclose(gx, sign * cdf_x / ratio, rtol=1e-12)
    np.testing.assert_allclose(gloc, -np.sum(gx), rtol=1e-12)
    np.testing.assert_allclose(gs, -np.sum(gx * (x - 0.2) / 1.5), rtol=1e-12)
    # in df (no rule in JAX or autograd): central differences of SciPy's own function
    gdf = bc.grad(lambda df: ours(x, df, 0.2, 1.5).sum())(2.5)
    eps, ref = 1e-6, getattr(st.t, method)
    want = np.sum(ref(x, 2.5 + eps, 0.2, 1.5) - ref(x, 2.5 - eps, 0.2, 1.5)) / (2 * eps)
    assert float(gdf) == pytest.approx(float(want), rel=1e-7)


@pytest.mark.parametrize("df, t", [(3.0, 0.5), (3.0, -2.0), (0.7, 1.5), (30.0, 0.1), (2.0, 0.0), (2.0, 1e-9),
                                   (5.0, 25.0)])
def test_stdtr_in_df_to_second_order_matches_mpmath(df, t):
    """t's cdf in df (no rule in JAX, SciPy or autograd): against mpmath's derivatives of the integral of the
    density, first and second order, and the mixed one in both orders (exact at and near t == 0)."""
    mp = pytest.importorskip("mpmath")

    def cdf(nu, x):
        norm = mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2))
        return mp.mpf(0.5) + mp.quad(lambda u: norm * (1 + u * u / nu) ** (-(nu + 1) / 2), [0, x])

    with mp.workdps(40):
        d1 = float(mp.diff(lambda nu: cdf(nu, t), df))
        d2 = float(mp.diff(lambda nu: cdf(nu, t), df, 2))
        mixed = float(mp.diff(cdf, (df, t), (1, 1)))
    assert float(bc.grad(S.stdtr)(df, t)) == pytest.approx(d1, rel=1e-10, abs=1e-15)
    assert float(bc.hessian(S.stdtr)(df, t)) == pytest.approx(d2, rel=1e-8, abs=1e-14)
    assert float(bc.grad(bc.grad(S.stdtr), 1)(df, t)) == pytest.approx(mixed, rel=1e-9, abs=1e-14)
    assert float(bc.grad(lambda t: bc.grad(S.stdtr)(df, t))(t)) == pytest.approx(mixed, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("method", ["cdf", "logcdf", "sf", "logsf"])
def test_poisson_cdf_family_in_mu(method):
    ours = getattr(stats.poisson, method)
    k = np.array([-1.0, 0.0, 2.0, 2.5, 9.0])
    with np.errstate(divide="ignore"):
        want = getattr(st.poisson, method)(k, 3.5)
    np.testing.assert_allclose(ours(k, T(3.5)).data, want, rtol=1e-13)
    g = bc.grad(lambda mu: ours(k[1:], mu).sum())(3.5)
    assert float(g) == pytest.approx(float(jax.grad(lambda mu: jnp.sum(getattr(jst.poisson, method, None)(k[1:], mu))
                                                    )(3.5)) if hasattr(jst.poisson, method) else float(g), rel=1e-10)
    pmf, cdf, sf = st.poisson.pmf(np.floor(k[1:]), 3.5), st.poisson.cdf(k[1:], 3.5), st.poisson.sf(k[1:], 3.5)
    want = {"cdf": -pmf, "logcdf": -pmf / cdf, "sf": pmf, "logsf": pmf / sf}[method]
    assert float(g) == pytest.approx(float(np.sum(want)), rel=1e-12)
    # below the support the cdf is 0 (log: -inf) whatever mu: derivative 0, no NaN and no warning
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(bc.grad(lambda mu: ours(-1.0, mu))(3.5)) == 0.0


W = np.array([[0.3, -0.2], [1.0, 0.4]])
M = np.array([0.05, -0.3])


def _mvn_case():
    """cov = b b^T (rank 2 of 3); the points w b^T and the mean b m lie in its range (the support)."""
    b = np.array([[1.0, 0.5], [0.2, -1.0], [0.7, 0.3]])
    return b, W @ b.T, b @ M


def test_multivariate_normal_singular_values_match_scipy():
    b, x, mean = _mvn_case()
    cov = b @ b.T
    off = x + np.array([0.3, 0.0, 0.0])  # outside the support: -inf, as in SciPy
    pts = np.concatenate([x, off[:1]])
    want = st.multivariate_normal.logpdf(pts, mean, cov, allow_singular=True)
    assert want[-1] == -np.inf
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(T(pts), mean, T(cov), allow_singular=True).data,
                               want, rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal.pdf(T(pts), mean, cov, allow_singular=True).data,
                               st.multivariate_normal.pdf(pts, mean, cov, allow_singular=True), rtol=1e-12)
    assert float(stats.multivariate_normal.entropy(mean, T(cov)).data) == pytest.approx(
        st.multivariate_normal.entropy(mean, cov), rel=1e-13)
    with pytest.raises(np.linalg.LinAlgError, match=r"multivariate_normal.logpdf: cov is singular \(rank 2 of 3\)"):
        stats.multivariate_normal.logpdf(T(x), mean, cov)


def test_multivariate_normal_singular_gradients():
    b, x, mean = _mvn_case()
    cov = b @ b.T
    # in x and mean: autograd's rules (pseudo-inverse)
    gx, gm = bc.grad(lambda x, m: stats.multivariate_normal.logpdf(x, m, cov, allow_singular=True).sum(),
                     argnums=(0, 1))(x, mean)
    agx = ag.grad(lambda x: ag.numpy.sum(agst.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)))(x)
    np.testing.assert_allclose(gx, agx, rtol=1e-10)
    np.testing.assert_allclose(gm, -np.sum(agx, axis=0), rtol=1e-10)
    # in cov along the matrices of rank 2 (cov = b b^T; autograd has no rule): against SciPy's own values

    def scipy_logpdf(b):  # the points and the mean move with the support
        return np.sum(st.multivariate_normal.logpdf(W @ b.T, b @ M, b @ b.T, allow_singular=True))

    def ours(b):
        return bc.numpy.sum(stats.multivariate_normal.logpdf(bc.numpy.matmul(W, b.T), bc.numpy.matmul(b, M),
                                                             bc.numpy.matmul(b, b.T), allow_singular=True))

    g = bc.grad(ours)(b)
    eps, fd = 1e-6, np.zeros_like(b)
    for i in np.ndindex(b.shape):
        d = np.zeros_like(b)
        d[i] = eps
        fd[i] = (scipy_logpdf(b + d) - scipy_logpdf(b - d)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    ent = bc.grad(lambda b: stats.multivariate_normal.entropy(mean, bc.numpy.matmul(b, b.T)))(b)
    fd = np.zeros_like(b)
    for i in np.ndindex(b.shape):
        d = np.zeros_like(b)
        d[i] = eps
        fd[i] = (st.multivariate_normal.entropy(mean, (b + d) @ (b + d).T)
                 - st.multivariate_normal.entropy(mean, (b - d) @ (b - d).T)) / (2 * eps)
    np.testing.assert_allclose(ent, fd, rtol=1e-6)


def test_multivariate_normal_entropy_full_rank_matches_autograd():
    a = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
    g = bc.grad(lambda c: stats.multivariate_normal.entropy(np.zeros(3), c))(a)
    want = ag.grad(lambda c: agst.multivariate_normal.entropy(np.zeros(3), c))(a)  # inv(cov) / 2, symmetric
    # SciPy reads the lower triangle: the cotangent lives there (the upper one is 0), off-diagonals counted twice
    np.testing.assert_array_equal(np.triu(g, 1), 0.0)
    np.testing.assert_allclose((g + g.T) / 2, want, rtol=1e-12)


def test_methods_without_a_rule_pass_through_to_scipy():
    assert stats.norm.rvs(size=3, random_state=0).tolist() == st.norm.rvs(size=3, random_state=0).tolist()
    # rvs of Tensors: draws on their data (constants to differentiation, as in autograd)
    draws = stats.dirichlet.rvs(T([1.0, 2.0]), size=2, random_state=1)
    np.testing.assert_array_equal(draws, st.dirichlet.rvs(np.array([1.0, 2.0]), size=2, random_state=1))
    assert stats.t.ppf(0.3, 3.0) == st.t.ppf(0.3, 3.0)
    assert stats.gamma.stats(2.0, moments="mv") == st.gamma.stats(2.0, moments="mv")
    with pytest.raises(NotImplementedError, match="gamma.median: backchain has no derivative rule for it"):
        stats.gamma.median(T(2.0))
    with pytest.raises(NotImplementedError, match="poisson.ppf: backchain has no derivative rule for it"):
        stats.poisson.ppf(0.3, T(3.0))
    assert stats.poisson.ppf(0.3, 3.0) == st.poisson.ppf(0.3, 3.0)
    with pytest.raises(AttributeError):
        stats.norm.no_such_method


# -- scipy.linalg.solve_banded -------------------------------------------------------------------

import scipy.linalg as sl  # noqa: E402
import autograd.scipy.linalg as agl  # noqa: E402
from backchain.scipy import linalg as L  # noqa: E402


@pytest.mark.parametrize("lu, rhs", [((1, 1), (6,)), ((2, 1), (6, 2)), ((0, 2), (6,)), ((1, 0), (6, 3))])
def test_solve_banded_matches_scipy_and_autograd(lu, rhs):
    rng = np.random.default_rng(3)
    ab = rng.standard_normal((sum(lu) + 1, 6))
    ab[lu[1]] += 5.0
    b = rng.standard_normal(rhs)
    np.testing.assert_allclose(L.solve_banded(lu, T(ab), T(b)).data, sl.solve_banded(lu, ab, b), rtol=1e-14)
    w = rng.standard_normal(rhs)
    ours = bc.grad(lambda ab, b: bc.numpy.sum(L.solve_banded(lu, ab, b) * w), argnums=(0, 1))(ab, b)

    def dense(ab, np_):  # A from its band storage: ab[u + i - j, j] = A[i, j]
        return sum(np_.diag(ab[k, max(0, lu[1] - k):6 - max(0, k - lu[1])], lu[1] - k) for k in range(sum(lu) + 1))

    want = jax.grad(lambda ab, b: jnp.sum(jnp.linalg.solve(dense(ab, jnp), b) * w), argnums=(0, 1))(ab, b)
    np.testing.assert_allclose(ours[0], want[0], rtol=1e-11, atol=1e-15)  # 0 at the unread corners
    np.testing.assert_allclose(ours[1], want[1], rtol=1e-11)
    if len(rhs) == 1:  # autograd's rule (vector right-hand sides only: its banded_dot ravels them)
        theirs = ag.grad(lambda ab: ag.numpy.sum(agl.solve_banded(lu, ab, b) * w))(ab)
        # compared where SciPy reads: autograd fills the unread corners of the storage too
        read = np.array([[0 <= j + k - lu[1] < 6 for j in range(6)] for k in range(sum(lu) + 1)])
        np.testing.assert_allclose(ours[0][read], theirs[read], rtol=1e-11)
    v = rng.standard_normal(ab.shape)
    _, t = bc.jvp(lambda ab: L.solve_banded(lu, ab, b), (ab,), (v,))
    _, want_t = jax.jvp(lambda ab: jnp.linalg.solve(dense(ab, jnp), b), (ab,), (v,))
    np.testing.assert_allclose(t, want_t, rtol=1e-11)


def test_solve_banded_shape_errors():
    with pytest.raises(ValueError, match=r"solve_banded: ab of shape \(2, 4\) does not hold 1 lower and 1 upper"):
        L.solve_banded((1, 1), T(np.ones((2, 4))), np.ones(4))
    with pytest.raises(ValueError, match=r"solve_banded: b of shape \(3,\) does not match ab of shape \(3, 4\)"):
        L.solve_banded((1, 1), T(np.ones((3, 4))), np.ones(3))


# -- scipy.integrate.odeint: second order -----------------------------------------------------------

from backchain.scipy.integrate import odeint  # noqa: E402
from jax.experimental.ode import odeint as jax_odeint  # noqa: E402

ODE_TOL = dict(rtol=1e-12, atol=1e-12)
TIMES = np.array([0.0, 0.4, 1.1])


def _field(np_):
    def f(y, t, layers, k):
        for w, b in layers:
            y = np_.tanh(w @ y + b)
        return -k * y + 0.3 * np_.sin(t)
    return f


def test_odeint_hessians_match_jax():
    """Second order in y0, the nested parameters and the times: forward over reverse (hessian) and reverse
    over reverse, against JAX's odeint reverse over reverse (its VJP is an odeint too; it has no JVP)."""
    y0, w, b = np.array([0.5, -0.3]), np.array([[0.4, -0.2], [0.1, 0.3]]), np.array([0.1, -0.1])

    def ours(y0, w, b, k, tt):
        return bc.numpy.sum(odeint(_field(bc.numpy), y0, tt, ([(w, b)], k), **ODE_TOL) ** 2)

    def theirs(y0, w, b, k, tt):
        return jnp.sum(jax_odeint(lambda y, t, w, b, k: _field(jnp)(y, t, [(w, b)], k), y0, tt, w, b, k,
                                  **ODE_TOL) ** 2)

    args = (y0, w, b, 0.7, TIMES)
    every = (0, 1, 2, 3, 4)
    want = jax.jit(jax.jacrev(jax.jacrev(theirs, argnums=every), argnums=every))(*args)  # one trace: seconds
    for i in every:
        np.testing.assert_allclose(bc.hessian(ours, argnums=i)(*args), want[i][i], rtol=1e-6, atol=1e-8,
                                   err_msg=f"argument {i}")
    # reverse over reverse, mixed: d/dk of the gradient in w
    mixed = bc.jacobian(bc.grad(ours, argnums=1), argnums=3, mode="rev")(*args)
    np.testing.assert_allclose(mixed, want[1][3], rtol=1e-6, atol=1e-8)


def test_odeint_second_order_forward_over_forward():
    # y' = -k y from y0: y(t) = y0 exp(-k t); d2/dk2 y(1) = y0 exp(-k), by jvp of jvp
    def y1(k):
        return odeint(lambda y, t, k: -k * y, 2.0, np.array([0.0, 1.0]), (k,), **ODE_TOL)[-1, 0]

    def dy1(k):
        return bc.jvp(y1, (k,), (1.0,))[1]

    _, second = bc.jvp(dy1, (0.5,), (1.0,))
    assert float(second) == pytest.approx(2.0 * np.exp(-0.5), rel=1e-8)


def test_odeint_float32_parameters_solve_in_double_precision():
    """A float32 parameter's cotangent is float32, but the adjoint system runs in float64: no 'excess work'
    warning at tight tolerances, and the float64 gradient rounded to float32."""
    import warnings

    y0, w = np.array([0.4, -0.2]), np.array([[0.5, -1.0], [1.0, 0.2]])

    def loss(w):
        return bc.numpy.sum(odeint(lambda y, t, w: bc.numpy.tanh(bc.numpy.matmul(w, y)), y0, TIMES, (w,),
                                   **ODE_TOL))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g32 = bc.grad(loss)(w.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, bc.grad(loss)(w.astype(np.float32).astype(np.float64)), rtol=1e-6)


# -- quantiles: the inverses of the incomplete gamma and beta functions and of t's cdf ---------------


def _mp_inverse(mp, f, y, start):
    return mp.findroot(lambda x: f(x) - y, start)


@pytest.mark.parametrize("name", ["gammaincinv", "gammainccinv", "betaincinv", "stdtrit"])
def test_inverses_match_mpmath(name):
    """No JAX counterpart: the implicit function theorem's derivatives against mpmath's derivatives of its own
    root of F(s, x) = y, first order in every argument, second order in the shape."""
    mp = pytest.importorskip("mpmath")
    ours = getattr(S, name)

    def t_cdf(nu, x):
        norm = mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2))
        return mp.mpf(0.5) + mp.quad(lambda u: norm * (1 + u * u / nu) ** (-(nu + 1) / 2), [0, x])

    forward = {
        "gammaincinv": (lambda a, y: _mp_inverse(mp, lambda x: mp.gammainc(a, 0, x, regularized=True), y, 2.0),
                        (2.5, 0.3)),
        "gammainccinv": (lambda a, y: _mp_inverse(mp, lambda x: mp.gammainc(a, x, mp.inf, regularized=True), y, 2.0),
                         (2.5, 0.3)),
        "betaincinv": (lambda a, b, y: _mp_inverse(mp, lambda x: mp.betainc(a, b, 0, x, regularized=True), y, 0.4),
                       (2.0, 3.0, 0.4)),
        "stdtrit": (lambda df, p: _mp_inverse(mp, lambda x: t_cdf(df, x), p, 0.9), (3.0, 0.8)),
    }
    inv, args = forward[name]
    with mp.workdps(30):
        assert float(ours(*[T(a) for a in args]).data) == pytest.approx(float(inv(*args)), rel=1e-13)
        first = [float(mp.diff(lambda v: inv(*args[:i], v, *args[i + 1:]), args[i])) for i in range(len(args))]
        second = float(mp.diff(lambda v: inv(v, *args[1:]), args[0], 2))
    got = bc.grad(ours, argnums=tuple(range(len(args))))(*args)
    np.testing.assert_allclose([float(g) for g in got], first, rtol=1e-10)
    assert float(bc.hessian(ours)(*args)) == pytest.approx(second, rel=1e-8)


@pytest.mark.parametrize("dist, args", [("t", (3.0, 0.2, 1.5)), ("gamma", (2.0, 0.1, 1.5)), ("chi2", (3.0, 0.1, 1.5)),
                                        ("beta", (2.0, 3.0, 0.1, 5.0)), ("norm", (0.2, 1.5))])
@pytest.mark.parametrize("method", ["ppf", "isf"])
def test_quantiles_match_scipy(dist, args, method):
    ours, ref = getattr(getattr(stats, dist), method), getattr(getattr(st, dist), method)
    q = np.array([0.05, 0.3, 0.9])
    np.testing.assert_allclose(ours(T(q), *[T(a) for a in args]).data, ref(q, *args), rtol=1e-13)
    argnums = tuple(range(1 + len(args)))
    got = bc.grad(lambda *a: ours(*a).sum(), argnums=argnums)(q, *args)
    # in q: 1 / pdf (sign for isf); in the others: central differences of SciPy's own quantile
    pdf = getattr(st, dist).pdf(ref(q, *args), *args)
    np.testing.assert_allclose(got[0], (1.0 if method == "ppf" else -1.0) / pdf, rtol=1e-10)
    for i, a in enumerate(args, start=1):
        h = 1e-6 * max(1.0, abs(a))
        up, down = list(args), list(args)
        up[i - 1] += h
        down[i - 1] -= h
        fd = np.sum(ref(q, *up) - ref(q, *down)) / (2 * h)
        assert float(got[i]) == pytest.approx(float(fd), rel=2e-5, abs=1e-8), f"argument {i}"
