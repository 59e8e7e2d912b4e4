"""LU factorisation (scipy.linalg.lu / lu_factor / lu_solve): values against SciPy, derivatives against
JAX and finite differences, square, tall, wide and stacked, to second order."""
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest
import scipy.linalg as sl

import backchain as bc
import backchain.numpy as bnp
from backchain.scipy.linalg import lu, lu_factor, lu_solve

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):  # JAX in float64 inside these tests only
        yield


SHAPES = [(4, 4), (5, 3), (3, 5), (1, 1), (2, 3, 3)]


def _weights(shape):
    p, l, u = sl.lu(np.ones(shape) + np.eye(*shape[-2:]))
    return RNG.standard_normal(l.shape), RNG.standard_normal(u.shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_values_and_gradients_match_scipy_and_jax(shape):
    a = RNG.standard_normal(shape)
    p, l, u = (np.asarray(t) for t in lu(bc.tensor(a)))
    want = sl.lu(a)
    for got, w in zip((p, l, u), want):
        np.testing.assert_allclose(got, w, atol=1e-14)
    wl, wu = _weights(shape)

    def f(x, lib):
        _, l_, u_ = lib(x)
        return (l_ * wl).sum() + (u_ * wu).sum()

    jlu = jsl.lu if a.ndim == 2 else jax.vmap(jsl.lu)  # JAX's takes one matrix
    g = bc.grad(lambda x: f(x, lu))(a)
    gj = jax.grad(lambda x: f(x, jlu))(jnp.asarray(a))
    np.testing.assert_allclose(g, np.asarray(gj), rtol=1e-10, atol=1e-12)
    v = RNG.standard_normal(shape)
    _, (tl, tu) = bc.jvp(lambda x: lu(x)[1:], (a,), (v,))
    _, (jl, ju) = jax.jvp(lambda x: jlu(x)[1:], (jnp.asarray(a),), (jnp.asarray(v),))
    np.testing.assert_allclose(tl, np.asarray(jl), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tu, np.asarray(ju), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)], ids=str)
def test_second_order_matches_jax(shape):
    a = RNG.standard_normal(shape)
    wl, wu = _weights(shape)

    def f(x, lib, np_):
        _, l_, u_ = lib(x)
        return np_.sum(np_.sin(l_) * wl) + np_.sum(u_ ** 2 * wu)

    h = bc.hessian(lambda x: f(x, lu, bnp))(a)
    hj = jax.hessian(lambda x: f(x, jsl.lu, jnp))(jnp.asarray(a))
    np.testing.assert_allclose(h, np.asarray(hj), rtol=1e-8, atol=1e-10)


def test_permute_l_and_p_indices_follow_scipy():
    a = RNG.standard_normal((4, 3))
    pl, u = lu(bc.tensor(a), permute_l=True)
    spl, su = sl.lu(a, permute_l=True)
    np.testing.assert_allclose(np.asarray(pl), spl, atol=1e-14)
    p, l, u = lu(bc.tensor(a), p_indices=True)
    np.testing.assert_array_equal(p, sl.lu(a, p_indices=True)[0])
    g = bc.grad(lambda x: lu(x, permute_l=True)[0].sum())(a)
    gj = jax.grad(lambda x: (jsl.lu(x)[0] @ jsl.lu(x)[1]).sum())(jnp.asarray(a))
    np.testing.assert_allclose(g, np.asarray(gj), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)], ids=str)
def test_lu_factor_matches_scipy_and_jax(shape):
    a = RNG.standard_normal(shape)
    f, piv = lu_factor(bc.tensor(a))
    sf, spiv = sl.lu_factor(a)
    np.testing.assert_allclose(np.asarray(f), sf, atol=1e-14)
    np.testing.assert_array_equal(piv, spiv)
    w = RNG.standard_normal(shape)
    g = bc.grad(lambda x: (lu_factor(x)[0] * w).sum())(a)
    gj = jax.grad(lambda x: (jsl.lu_factor(x)[0] * w).sum())(jnp.asarray(a))
    np.testing.assert_allclose(g, np.asarray(gj), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("trans", [0, 1])
def test_lu_solve_values_and_gradients(trans):
    a, b = RNG.standard_normal((4, 4)), RNG.standard_normal((4, 2))
    x = lu_solve(lu_factor(bc.tensor(a)), bc.tensor(b), trans=trans)
    np.testing.assert_allclose(np.asarray(x), sl.lu_solve(sl.lu_factor(a), b, trans=trans), rtol=1e-12)
    w = RNG.standard_normal((4, 2))
    ga, gb = bc.grad(lambda a_, b_: (lu_solve(lu_factor(a_), b_, trans=trans) * w).sum(), argnums=(0, 1))(a, b)
    ja, jb = jax.grad(lambda a_, b_: (jsl.lu_solve(jsl.lu_factor(a_), b_, trans=trans) * w).sum(),
                      argnums=(0, 1))(jnp.asarray(a), jnp.asarray(b))
    np.testing.assert_allclose(ga, np.asarray(ja), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, np.asarray(jb), rtol=1e-10, atol=1e-12)


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="lu: expected a matrix"):
        lu(bc.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="lu_factor: expected a matrix"):
        lu_factor(bc.tensor(np.ones(3) * (1 + 1j)))
    with pytest.raises(ValueError, match="lu_solve: b of shape \\(3,\\)"):
        lu_solve(lu_factor(bc.tensor(np.eye(2))), bc.tensor(np.ones(3)))
