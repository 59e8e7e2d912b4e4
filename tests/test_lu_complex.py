"""LU factorisation of complex matrices (scipy.linalg.lu / lu_factor / lu_solve / solve_triangular and
backchain.torch.linalg's lu, lu_factor, lu_solve, lu_unpack): values against SciPy, derivatives against
JAX (same convention: the VJP is the bilinear transpose, the gradient of a real loss is dL/dx - i dL/dy),
PyTorch 2.13 (whose ``.grad`` is the conjugate of backchain's) and finite differences in complex128,
square, tall, wide and stacked, complex128 and complex64, to second order."""
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest
import scipy.linalg as sl
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.torch as bt
from backchain.scipy.linalg import lu, lu_factor, lu_solve, solve_triangular

RNG = np.random.default_rng(7)
SHAPES = [(4, 4), (5, 3), (3, 5), (1, 1), (2, 3, 3), (2, 4, 3)]
DTYPES = [np.complex128, np.complex64]
TOL = {np.complex128: dict(rtol=1e-10, atol=1e-12), np.complex64: dict(rtol=2e-4, atol=2e-5)}


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):  # JAX in float64 inside these tests only
        yield


def _c(shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _jlu(a):
    """jax.scipy.linalg.lu on one matrix or a stack (JAX's takes one matrix)."""
    return jsl.lu(a) if a.ndim == 2 else jax.vmap(jsl.lu)(a)


def _factor_shapes(shape):
    m, n = shape[-2:]
    k = min(m, n)
    return shape[:-2] + (m, k), shape[:-2] + (k, n)


def _loss(np_, wl, wu):
    """A real loss of (L, U) that is not holomorphic: |L|^2, Re(U) Im(U) and a complex weighting."""
    def f(l, u):
        return (np_.sum(np_.abs(l) ** 2) + np_.sum(np_.real(u) * np_.imag(u))
                + np_.real(np_.sum(l * wl)) + np_.imag(np_.sum(u * wu)))
    return f


def _close(got, want, dtype=np.complex128, scale=1.0):
    tol = TOL[dtype]
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=tol["rtol"], atol=tol["atol"] * scale)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_values_match_scipy(shape, dtype):
    a = _c(shape, dtype)
    p, l, u = lu(bc.tensor(a))
    if a.ndim == 2:
        want = sl.lu(a)
    else:
        parts = [sl.lu(x) for x in a]
        want = [np.stack([w[i] for w in parts]) for i in range(3)]
    for got, w in zip((p, l, u), want):
        assert np.asarray(got).dtype == w.dtype
        np.testing.assert_allclose(np.asarray(got), w, rtol=0, atol=0)
    assert np.asarray(l).dtype == dtype and np.asarray(u).dtype == dtype  # p: SciPy's dtype (real, but
    # complex for a 1 x 1 matrix), checked above
    pl, u2 = lu(bc.tensor(a), permute_l=True)
    np.testing.assert_allclose(np.asarray(pl) @ np.asarray(u2), a, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gradient_of_a_real_loss_matches_jax(shape, dtype):
    a = _c(shape, dtype)
    ls, us = _factor_shapes(shape)
    wl, wu = _c(ls), _c(us)
    g = bc.grad(lambda x: _loss(bnp, wl, wu)(*lu(x)[1:]))(a)
    gj = jax.grad(lambda x: _loss(jnp, wl, wu)(*_jlu(x)[1:]))(jnp.asarray(a))
    assert g.dtype == dtype and np.asarray(gj).dtype == dtype
    _close(g, gj, dtype, scale=float(np.abs(np.asarray(gj)).max()))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_vjp_and_jvp_match_jax(shape, dtype):
    a, t = _c(shape, dtype), _c(shape, dtype)
    ls, us = _factor_shapes(shape)
    gl, gu = _c(ls, dtype), _c(us, dtype)
    (_, l, u), vjp_fn = bc.vjp(lambda x: lu(x), a)
    (_, jl, ju), jvp_fn = jax.vjp(_jlu, jnp.asarray(a))
    p0 = np.zeros(shape[:-2] + (shape[-2], shape[-2]), np.finfo(dtype).dtype)
    (ga,) = vjp_fn((p0, gl, gu))
    (gj,) = jvp_fn((jnp.asarray(p0), jnp.asarray(gl), jnp.asarray(gu)))
    assert np.asarray(ga).dtype == dtype
    _close(ga, gj, dtype, scale=float(np.abs(np.asarray(gj)).max()))
    _, (tl, tu) = bc.jvp(lambda x: lu(x)[1:], (a,), (t,))
    _, (jtl, jtu) = jax.jvp(lambda x: _jlu(x)[1:], (jnp.asarray(a),), (jnp.asarray(t),))
    assert np.asarray(tl).dtype == dtype and np.asarray(tu).dtype == dtype
    _close(tl, jtl, dtype, scale=float(np.abs(np.asarray(jtl)).max()))
    _close(tu, jtu, dtype, scale=float(np.abs(np.asarray(jtu)).max()))


def test_jax_lax_lu_packed_factor_gradient():
    """jax.lax.linalg.lu's packed factor against lu_factor's, with a complex cotangent."""
    a, w = _c((4, 4)), _c((4, 4))
    g = bc.grad(lambda x: bnp.real(bnp.sum(lu_factor(x)[0] * w)))(a)
    gj = jax.grad(lambda x: jnp.real(jnp.sum(jax.lax.linalg.lu(x)[0] * w)))(jnp.asarray(a))
    _close(g, gj)
    assert np.array_equal(np.asarray(lu_factor(bc.tensor(a))[1]), np.asarray(jax.lax.linalg.lu(a)[1]))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)], ids=str)
def test_gradient_matches_finite_differences(shape):
    """dL/dx - i dL/dy by central differences on the real and imaginary part of every entry."""
    a = _c(shape)
    ls, us = _factor_shapes(shape)
    wl, wu = _c(ls), _c(us)

    def f(x):
        return float(_loss(np, wl, wu)(*sl.lu(x)[1:]))

    g = bc.grad(lambda x: _loss(bnp, wl, wu)(*lu(x)[1:]))(a)
    eps = 1e-6
    want = np.zeros(shape, complex)
    for idx in np.ndindex(*shape):
        e = np.zeros(shape, complex)
        e[idx] = eps
        dx = (f(a + e) - f(a - e)) / (2 * eps)
        dy = (f(a + 1j * e) - f(a - 1j * e)) / (2 * eps)
        want[idx] = dx - 1j * dy
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)], ids=str)
def test_second_order_matches_jax(shape):
    a, v = _c(shape), _c(shape)
    ls, us = _factor_shapes(shape)
    wl, wu = _c(ls), _c(us)
    gb = bc.grad(lambda x: _loss(bnp, wl, wu)(*lu(x)[1:]))
    gj = jax.grad(lambda x: _loss(jnp, wl, wu)(*jsl.lu(x)[1:]))
    hb = bc.jvp(gb, (a,), (v,))[1]  # forward over reverse
    hj = jax.jvp(gj, (jnp.asarray(a),), (jnp.asarray(v),))[1]
    _close(hb, hj, scale=float(np.abs(np.asarray(hj)).max()))
    rb = bc.grad(lambda x: bnp.real(bnp.sum(gb(x) * v)))(a)  # reverse over reverse
    rj = jax.grad(lambda x: jnp.real(jnp.sum(gj(x) * v)))(jnp.asarray(a))
    _close(rb, rj, scale=float(np.abs(np.asarray(rj)).max()))


def test_vmap_of_grad_matches_jax():
    a = _c((3, 4, 4))
    wl, wu = _c((4, 4)), _c((4, 4))
    g = bc.vmap(bc.grad(lambda x: _loss(bnp, wl, wu)(*lu(x)[1:])))(a)
    gj = jax.vmap(jax.grad(lambda x: _loss(jnp, wl, wu)(*jsl.lu(x)[1:])))(jnp.asarray(a))
    _close(g, gj, scale=float(np.abs(np.asarray(gj)).max()))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_factor_and_lu_solve_match_jax(trans, dtype):
    a, b, w = _c((4, 4), dtype), _c((4, 2), dtype), _c((4, 2))
    f, piv = lu_factor(bc.tensor(a))
    wf, wpiv = sl.lu_factor(a)
    np.testing.assert_array_equal(np.asarray(f), wf)
    np.testing.assert_array_equal(np.asarray(piv), wpiv)
    x = lu_solve(lu_factor(bc.tensor(a)), bc.tensor(b), trans=trans)
    assert np.asarray(x).dtype == dtype
    np.testing.assert_allclose(np.asarray(x), sl.lu_solve((wf, wpiv), b, trans=trans), **TOL[dtype])

    def loss(np_, fac, sol):
        return lambda a_, b_: np_.sum(np_.abs(sol(fac(a_), b_, trans=trans)) ** 2) + np_.real(
            np_.sum(sol(fac(a_), b_, trans=trans) * w))

    ga, gb = bc.grad(loss(bnp, lu_factor, lu_solve), argnums=(0, 1))(a, b)
    ja, jb = jax.grad(loss(jnp, jsl.lu_factor, jsl.lu_solve), argnums=(0, 1))(jnp.asarray(a), jnp.asarray(b))
    assert ga.dtype == dtype and gb.dtype == dtype
    _close(ga, ja, dtype, scale=float(np.abs(np.asarray(ja)).max()))
    _close(gb, jb, dtype, scale=float(np.abs(np.asarray(jb)).max()))


@pytest.mark.parametrize("trans", [0, 1, 2, "C"])
@pytest.mark.parametrize("lower", [True, False])
def test_solve_triangular_conjugate_transpose_matches_jax(trans, lower):
    a = _c((4, 4)) + 3.0 * np.eye(4)
    b, w = _c((4, 2)), _c((4, 2))
    x = solve_triangular(bc.tensor(a), bc.tensor(b), trans=trans, lower=lower)
    np.testing.assert_allclose(np.asarray(x), sl.solve_triangular(a, b, trans=trans, lower=lower), rtol=1e-12)

    def loss(np_, st):
        return lambda a_, b_: np_.real(np_.sum(st(a_, b_, trans=trans, lower=lower) * w))

    ga, gb = bc.grad(loss(bnp, solve_triangular), argnums=(0, 1))(a, b)
    ja, jb = jax.grad(loss(jnp, jsl.solve_triangular), argnums=(0, 1))(jnp.asarray(a), jnp.asarray(b))
    _close(ga, ja)
    _close(gb, jb)


def test_lu_solve_mixed_real_and_complex_operands():
    """A real operand's gradient stays real (the real part of the complex cotangent)."""
    a, b = RNG.standard_normal((4, 4)), _c((4,))
    ga = bc.grad(lambda a_: bnp.sum(bnp.abs(lu_solve(lu_factor(a_), b, trans=2)) ** 2))(a)
    ja = jax.grad(lambda a_: jnp.sum(jnp.abs(jsl.lu_solve(jsl.lu_factor(a_), b, trans=2)) ** 2))(jnp.asarray(a))
    assert ga.dtype == np.float64
    _close(ga, ja)
    c, r = _c((4, 4)), RNG.standard_normal(4)  # and a complex factor, a real right-hand side
    gr = bc.grad(lambda r_: bnp.sum(bnp.abs(lu_solve(lu_factor(c), r_, trans=2)) ** 2))(r)
    jr = jax.grad(lambda r_: jnp.sum(jnp.abs(jsl.lu_solve(jsl.lu_factor(c), r_, trans=2)) ** 2))(jnp.asarray(r))
    assert gr.dtype == np.float64
    _close(gr, jr)


def test_p_indices_of_a_complex_matrix():
    a = _c((4, 3))
    p, l, u = lu(bc.tensor(a), p_indices=True)
    np.testing.assert_array_equal(p, sl.lu(a, p_indices=True)[0])
    np.testing.assert_allclose(np.asarray(l)[p] @ np.asarray(u), a, rtol=1e-12, atol=1e-14)  # a = l[p] @ u


# -- backchain.torch against PyTorch 2.13 -------------------------------------------------------


def _torch_loss(L, U):
    return (L.abs() ** 2).sum() + (U.real * U.imag).sum()


@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64], ids=str)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)], ids=str)
def test_torch_linalg_lu_matches_torch(shape, dtype):
    a = torch.complex(torch.tensor(RNG.standard_normal(shape)), torch.tensor(RNG.standard_normal(shape))).to(dtype)
    x = a.clone().requires_grad_(True)
    P, L, U = torch.linalg.lu(x)
    _torch_loss(L, U).backward()
    y = bt.tensor(a.numpy(), requires_grad=True)
    bP, bL, bU = bt.linalg.lu(y)
    _torch_loss(bL, bU).backward()
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.complex128 else dict(rtol=2e-4, atol=2e-5)
    for got, want in zip((bP, bL, bU), (P, L, U)):
        assert str(got.dtype) == str(want.dtype)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **tol)
    assert str(y.grad.dtype) == str(dtype)
    scale = float(x.grad.abs().max())
    np.testing.assert_allclose(y.grad.numpy(), np.conj(x.grad.numpy()), rtol=tol["rtol"], atol=tol["atol"] * scale)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (2, 3, 3)], ids=str)
def test_torch_lu_factor_and_unpack_match_torch(shape):
    a = torch.complex(torch.tensor(RNG.standard_normal(shape)), torch.tensor(RNG.standard_normal(shape)))
    x = a.clone().requires_grad_(True)
    LU, piv = torch.linalg.lu_factor(x)
    P, L, U = torch.lu_unpack(LU, piv)
    (_torch_loss(L, U) + (LU.imag ** 2).sum()).backward()
    y = bt.tensor(a.numpy(), requires_grad=True)
    bLU, bpiv = bt.linalg.lu_factor(y)
    bP, bL, bU = bt.lu_unpack(bLU, bpiv)
    (_torch_loss(bL, bU) + (bLU.imag ** 2).sum()).backward()
    np.testing.assert_array_equal(bpiv.numpy(), piv.numpy())
    for got, want in zip((bLU, bP, bL, bU), (LU, P, L, U)):
        assert str(got.dtype) == str(want.dtype)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(y.grad.numpy(), np.conj(x.grad.numpy()), rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
def test_torch_lu_solve_matches_torch(left, adjoint, batch):
    def c(*shape):
        return torch.complex(torch.tensor(RNG.standard_normal(shape)), torch.tensor(RNG.standard_normal(shape)))
    a, b = c(*batch, 3, 3), c(*batch, 3, 2) if left else c(*batch, 2, 3)
    xa, xb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
    X = torch.linalg.lu_solve(*torch.linalg.lu_factor(xa), xb, left=left, adjoint=adjoint)
    ((X.abs() ** 2).sum() + X.real.sum()).backward()
    ya, yb = bt.tensor(a.numpy(), requires_grad=True), bt.tensor(b.numpy(), requires_grad=True)
    bX = bt.linalg.lu_solve(*bt.linalg.lu_factor(ya), yb, left=left, adjoint=adjoint)
    ((bX.abs() ** 2).sum() + bX.real.sum()).backward()
    np.testing.assert_allclose(bX.detach().numpy(), X.detach().resolve_conj().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ya.grad.numpy(), np.conj(xa.grad.resolve_conj().numpy()), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(yb.grad.numpy(), np.conj(xb.grad.resolve_conj().numpy()), rtol=1e-9, atol=1e-10)


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match=r"lu: expected a matrix \(or a stack of them\), got shape \(3,\)"):
        lu(bc.tensor(np.ones(3) * (1 + 1j)))
    with pytest.raises(ValueError, match=r"lu: expected a matrix \(or a stack of them\), got shape \(\)"):
        lu(bc.tensor(np.complex128(1 + 1j)))
    with pytest.raises(TypeError, match="lu: expected a real or complex matrix, got dtype <U1"):
        lu(bc.tensor(np.array([["a", "b"], ["c", "d"]])))
    with pytest.raises(ValueError, match="lu_factor: expected a 2-D matrix, got shape"):
        lu_factor(bc.tensor(_c((2, 3, 3))))
    with pytest.raises(ValueError, match=r"lu_solve: b of shape \(3,\) does not match the factor of shape \(2, 2\)"):
        lu_solve(lu_factor(bc.tensor(_c((2, 2)))), bc.tensor(_c((3,))), trans=2)
    with pytest.raises(ValueError, match=r"solve_triangular: expected a square 2-D matrix, got shape \(2, 3\)"):
        solve_triangular(bc.tensor(_c((2, 3))), _c((2,)), trans=2)


@pytest.mark.parametrize("trans", [0, 2])
def test_vmap_of_lu_solve_gradients_matches_jax(trans):
    """Inside vmap each example pivots its own rows (the batched-pivots path of lu_solve)."""
    a, b, w = _c((3, 4, 4)), _c((3, 4)), _c((4,))

    def loss(np_, fac, sol):
        return lambda a_, b_: np_.real(np_.sum(sol(fac(a_), b_, trans=trans) * w))

    x = bc.vmap(lambda a_, b_: lu_solve(lu_factor(a_), b_, trans=trans))(a, b)
    np.testing.assert_allclose(np.asarray(x), np.stack([sl.lu_solve(sl.lu_factor(ai), bi, trans=trans)
                                                        for ai, bi in zip(a, b)]), rtol=1e-12)
    ga, gb = bc.vmap(bc.grad(loss(bnp, lu_factor, lu_solve), argnums=(0, 1)))(a, b)
    ja, jb = jax.vmap(jax.grad(loss(jnp, jsl.lu_factor, jsl.lu_solve), argnums=(0, 1)))(jnp.asarray(a),
                                                                                        jnp.asarray(b))
    _close(ga, ja, scale=float(np.abs(np.asarray(ja)).max()))
    _close(gb, jb, scale=float(np.abs(np.asarray(jb)).max()))
