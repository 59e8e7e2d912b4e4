"""odeint with parameters in nested containers: every array in ``args`` is an input (JAX's odeint as the oracle)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.scipy.integrate import odeint

jax = pytest.importorskip("jax")
jnp = jax.numpy
from jax.experimental.ode import odeint as jax_odeint  # noqa: E402

TOL = dict(rtol=1e-11, atol=1e-11)
Y0, T = np.array([1.0, 0.5]), np.array([0.0, 0.5, 1.0])
PARAMS = [(np.array([[0.1, 0.2], [0.3, -0.1]]), np.array([0.1, -0.2])),
          (np.array([[-0.2, 0.4], [0.1, 0.3]]), np.array([0.0, 0.05]))]


def field(np_):
    def f(y, t, layers, extra):
        for W, b in layers:
            y = np_.tanh(W @ y + b)
        return y * extra["scale"] - 0.1 * t
    return f


def test_nested_args_gradient_matches_flat_args_and_jax():
    def loss(params, scale):
        return bnp.sum(odeint(field(bnp), Y0, T, (params, {"scale": scale}), **TOL))
    g, gs = bc.grad(loss, argnums=(0, 1))(PARAMS, 0.8)
    assert isinstance(g, list) and isinstance(g[0], tuple) and g[1][1].shape == (2,)
    assert np.abs(g[0][0]).max() > 1e-3  # was exactly zero

    # the same parameters passed flat give the same numbers
    def flat(y, t, W0, b0, W1, b1, s):
        return field(bnp)(y, t, [(W0, b0), (W1, b1)], {"s": None, "scale": s})
    leaves = [PARAMS[0][0], PARAMS[0][1], PARAMS[1][0], PARAMS[1][1], 0.8]
    gflat = bc.grad(lambda *a: bnp.sum(odeint(flat, Y0, T, tuple(a), **TOL)), argnums=tuple(range(5)))(*leaves)
    for a, b in zip([g[0][0], g[0][1], g[1][0], g[1][1], gs], gflat):
        np.testing.assert_array_equal(a, b)

    with jax.enable_x64(True):
        def jloss(params, scale):
            fj = lambda y, t, params, extra: field(jnp)(y, t, params, extra)
            return jnp.sum(jax_odeint(fj, jnp.asarray(Y0), jnp.asarray(T), params, {"scale": scale}, **TOL))
        gj, gsj = jax.grad(jloss, argnums=(0, 1))([tuple(map(jnp.asarray, p)) for p in PARAMS], 0.8)
    for (W, b), (Wj, bj) in zip(g, gj):
        np.testing.assert_allclose(W, Wj, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(b, bj, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gs, gsj, rtol=1e-6)


def test_nested_args_forward_value_and_constants():
    out = odeint(field(np), Y0, T, (PARAMS, {"scale": 0.8, "name": "unused"}), **TOL)
    ref = odeint(lambda y, t: field(np)(y, t, PARAMS, {"scale": 0.8}), Y0, T, **TOL)
    np.testing.assert_array_equal(out, ref)
    # forward mode through a nested parameter
    _, t_out = bc.jvp(lambda s: odeint(field(bnp), Y0, T, (PARAMS, {"scale": s}), **TOL), (0.8,), (1.0,))
    eps = 1e-6
    fd = (odeint(field(np), Y0, T, (PARAMS, {"scale": 0.8 + eps}), **TOL)
          - odeint(field(np), Y0, T, (PARAMS, {"scale": 0.8 - eps}), **TOL)) / (2 * eps)
    np.testing.assert_allclose(t_out, fd, rtol=1e-5, atol=1e-8)
