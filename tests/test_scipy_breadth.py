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


def test_gammainc_edges():
    # d/dx at x == 0: +inf for a < 1, 1 for a == 1, 0 for a > 1 (the limits); d/da there is 0 (P(a, 0) = 0)
    assert bc.grad(lambda x: S.gammainc(0.5, x))(0.0) == np.inf
    assert bc.grad(lambda x: S.gammainc(1.0, x))(0.0) == 1.0
    assert bc.grad(lambda x: S.gammainc(2.0, x))(0.0) == 0.0
    assert bc.grad(S.gammainc)(2.0, 0.0) == 0.0
    assert bc.grad(S.gammainc)(2.0, np.inf) == 0.0
    with pytest.raises(NotImplementedError, match="gammainc: no derivative with respect to a .* second order"):
        bc.grad(bc.grad(S.gammainc))(2.0, 1.5)


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
    for argnum, name in ((0, "a"), (1, "b")):
        with pytest.raises(NotImplementedError, match=f"betainc: no derivative with respect to {name}; only x"):
            bc.grad(S.betainc, argnum)(2.0, 3.0, 0.4)


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
