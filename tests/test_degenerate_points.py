"""Degenerate points of linear algebra and special points guarded by ``where`` in the rules, at
first and second order: exact values, against JAX and PyTorch where they give one (issue #16,
sections 4 and 6)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.numpy.linalg as bla
from backchain._core.primitive import REGISTRY

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
import jax.numpy as jnp  # noqa: E402
import jax.scipy.special as jss  # noqa: E402


@pytest.fixture(autouse=True)
def _jax_in_float64():
    """JAX in float64 for this module's tests only (the oracle suite checks that it stays scoped)."""
    with jax.enable_x64(True):
        yield

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1 / 0, 0 * inf: the point here

SINGULAR_2 = np.array([[1.0, 2.0], [2.0, 4.0]])
RANK2_3 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])   # rank n - 1
RANK1_3 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]])   # rank n - 2
ARANGE_3 = np.arange(9.0).reshape(3, 3)                                    # rank n - 1
RANK3_4 = np.array([[1.0, 2, 3, 4], [2, 4, 6, 8], [1, 1, 1, 1], [0, 1, 0, 2]])    # rank n - 1
RANK2_4 = np.array([[1.0, 2, 3, 4], [2, 4, 6, 8], [3, 6, 9, 12], [0, 1, 0, 2]])   # rank n - 2


def _int_det(m):
    """Exact determinant of a small integer matrix (Laplace expansion on Python ints)."""
    m = [[int(v) for v in row] for row in m]
    if len(m) == 1:
        return m[0][0]
    return sum((-1) ** j * m[0][j] * _int_det([row[:j] + row[j + 1:] for row in m[1:]]) for j in range(len(m)))


def _exact_cofactor(a):
    n = len(a)
    return np.array([[(-1) ** (i + j) * _int_det(np.delete(np.delete(a, i, 0), j, 1)) if n > 1 else 1
                      for j in range(n)] for i in range(n)], dtype=float)


def _exact_det_hessian(a):
    """d2 det / dA_ij dA_kl: the signed (n-2) minor without rows i, k and columns j, l (det is
    affine in each entry, so d2 det = det(A + E_ij + E_kl) - det(A + E_ij) - det(A + E_kl) + det(A))."""
    n = len(a)
    h = np.zeros((n, n, n, n))
    for i, j, k, l in np.ndindex(n, n, n, n):
        if i != k and j != l:
            e1, e2 = np.zeros((n, n)), np.zeros((n, n))
            e1[i, j] = e2[k, l] = 1
            h[i, j, k, l] = (_int_det(a + e1 + e2) - _int_det(a + e1) - _int_det(a + e2) + _int_det(a))
    return h


# -- eigenvalues alone at repeated eigenvalues -----------------------------------------------

def test_eigvalsh_sum_at_identity_is_identity():
    # sum(eigvalsh(A)) = trace(A): the unused eigenvector cotangent contributes nothing (no 0 * inf)
    g = bc.grad(lambda a: bnp.sum(bla.eigvalsh(a)))(np.eye(3))
    assert np.array_equal(g, np.eye(3))
    assert np.array_equal(g, np.asarray(jax.grad(lambda a: jnp.sum(jnp.linalg.eigvalsh(a)))(np.eye(3))))
    t = torch.eye(3, dtype=torch.float64, requires_grad=True)
    torch.linalg.eigvalsh(t).sum().backward()
    assert np.array_equal(g, t.grad.numpy())


@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh_values_only_at_repeated_eigenvalues(UPLO):
    g = bc.grad(lambda a: bnp.sum(bla.eigh(a, UPLO)[0]))(np.eye(2))
    assert np.array_equal(g, np.eye(2))
    # a weighted sum at a matrix with a double eigenvalue (symmetric input: JAX's convention)
    q, _ = np.linalg.qr(np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [1.5, 0.2, 1.0]]))
    a = q @ np.diag([1.0, 1.0, 3.0]) @ q.T
    got = bc.grad(lambda a: bnp.sum(bla.eigvalsh(a + a.T, UPLO) ** 2))(a)
    want = jax.grad(lambda a: jnp.sum(jnp.linalg.eigvalsh(a + a.T, UPLO) ** 2))(a)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(got))


def test_eigvalsh_batched_with_repeated_eigenvalues():
    # symmetric functions of the eigenvalues (one eigenvalue of a repeated group alone has no
    # derivative): sum(w ** 2) = tr(A^2) has gradient 2 A
    a = np.stack([np.eye(3), np.diag([1.0, 2.0, 3.0]), np.diag([2.0, 5.0, 2.0])])
    g = bc.grad(lambda a: bnp.sum(bla.eigvalsh(a) ** 2))(a)
    np.testing.assert_allclose(g, 2 * a, rtol=1e-15, atol=1e-15)
    want = jax.grad(lambda a: jnp.sum(jnp.linalg.eigvalsh(a) ** 2))(a)
    np.testing.assert_allclose(g, want, rtol=1e-15, atol=1e-15)


def test_eigvalsh_jvp_at_repeated_eigenvalues():
    t = np.array([[1.0, 2.0, 0.0], [2.0, -3.0, 1.0], [0.0, 1.0, 5.0]])
    _, dw = bc.jvp(lambda a: bnp.sum(bla.eigvalsh(a)), (np.eye(3),), (t,))
    assert dw == 3.0  # trace(t)


def test_eigvals_of_a_diagonal_matrix_with_repeated_eigenvalues():
    d = np.diag([2.0, 2.0, 3.0])
    g = bc.grad(lambda a: bnp.sum(bnp.real(bla.eigvals(a))))(d)
    assert np.array_equal(g, np.eye(3))
    assert np.array_equal(g, np.asarray(jax.grad(lambda a: jnp.sum(jnp.real(jnp.linalg.eigvals(a))))(d)))
    t = torch.tensor(d, requires_grad=True)
    torch.linalg.eigvals(t).real.sum().backward()
    assert np.array_equal(g, t.grad.numpy())
    w = np.array([1.0, 5.0, 7.0])  # weights on the sorted eigenvalues 2, 2, 3 (LAPACK's order here)
    g = bc.grad(lambda a: bnp.sum(bnp.real(bla.eigvals(a)) * w))(d)
    assert np.array_equal(g, np.diag(w))


# -- det and slogdet at singular matrices ---------------------------------------------------

@pytest.mark.parametrize("a", [SINGULAR_2, RANK2_3, RANK1_3, ARANGE_3, RANK3_4, RANK2_4],
                         ids=["2x2", "3x3-rank2", "3x3-rank1", "arange", "4x4-rank3", "4x4-rank2"])
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(a):
    assert np.linalg.det(a) == 0.0
    g = bc.grad(bla.det)(a)
    assert np.array_equal(g, _exact_cofactor(a))
    assert np.array_equal(g, np.asarray(jax.grad(jnp.linalg.det)(a)))
    _, t = bc.jvp(bla.det, (a,), (np.ones_like(a),))
    assert t == _exact_cofactor(a).sum()


def test_det_gradient_examples():
    assert np.array_equal(bc.grad(bla.det)(SINGULAR_2), np.array([[4.0, -2.0], [-2.0, 1.0]]))
    assert np.array_equal(bc.grad(bla.det)(RANK1_3), np.zeros((3, 3)))  # adjugate of rank n - 2: 0
    assert np.array_equal(bc.grad(bla.det)(np.zeros((1, 1))), np.ones((1, 1)))


@pytest.mark.parametrize("a", [SINGULAR_2, RANK2_3, RANK1_3, ARANGE_3, RANK3_4, RANK2_4],
                         ids=["2x2", "3x3-rank2", "3x3-rank1", "arange", "4x4-rank3", "4x4-rank2"])
def test_det_hessian_at_singular_matrices(a):
    h = bc.hessian(bla.det)(a)
    assert np.array_equal(h, _exact_det_hessian(a))
    ht = torch.autograd.functional.hessian(torch.linalg.det, torch.tensor(a)).numpy()
    np.testing.assert_allclose(h, ht, atol=1e-12)
    if a.shape[0] < 4:  # JAX's Hessian is exact there; at these 4 x 4 it has NaN (rank 3) or misses terms (rank 2)
        assert np.array_equal(h, np.asarray(jax.hessian(jnp.linalg.det)(a)))


def test_det_stack_of_singular_and_regular_matrices():
    a = np.stack([SINGULAR_2, np.array([[2.0, 1.0], [1.0, 3.0]]), np.zeros((2, 2))])
    f, fj = (lambda a: bnp.sum(bla.det(a) * np.array([1.0, 2.0, 3.0]))), \
        (lambda a: jnp.sum(jnp.linalg.det(a) * jnp.array([1.0, 2.0, 3.0])))
    g = bc.grad(f)(a)
    assert np.array_equal(g[0], [[4.0, -2.0], [-2.0, 1.0]]) and np.array_equal(g[2], np.zeros((2, 2)))
    np.testing.assert_allclose(g, jax.grad(fj)(a), rtol=1e-15)
    np.testing.assert_allclose(bc.hessian(f)(a), jax.hessian(fj)(a), rtol=1e-14, atol=1e-14)


def test_det_gradient_at_a_large_singular_matrix_uses_the_svd():
    rng = np.random.default_rng(0)
    m = rng.integers(-3, 4, (17, 16)).astype(float)
    a = m @ m.T  # 17 x 17 of rank 16
    assert np.linalg.det(a) == 0.0
    g = bc.grad(bla.det)(a)
    want = np.asarray(jax.grad(jnp.linalg.det)(a))
    np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())


def test_det_singular_float32_and_complex():
    g = bc.grad(bla.det)(SINGULAR_2.astype(np.float32))
    assert g.dtype == np.float32 and np.array_equal(g, np.array([[4.0, -2.0], [-2.0, 1.0]], np.float32))
    z = np.array([[1.0 + 1j, 2.0], [1.0 + 1j, 2.0]])  # equal rows
    g = bc.vjp(bla.det, z)[1](1.0 + 0j)[0]
    assert np.array_equal(g, np.array([[2.0, -1.0 - 1j], [-2.0, 1.0 + 1j]]))
    assert np.array_equal(g, np.asarray(jax.vjp(jnp.linalg.det, z)[1](1.0 + 0j)[0]))


def test_slogdet_at_a_singular_matrix():
    # log|det| is -inf there with no derivative: the gradient A^-T = cofactor / det is taken with
    # det = +0, i.e. the limit from the side det > 0 (along the cofactor): +-inf with the
    # cofactor's sign, NaN where the cofactor is 0 (0 / 0). JAX agrees on this 2 x 2 (PyTorch
    # gives the opposite signs); on larger ones they follow their LU's signed zero pivot.
    g = bc.grad(lambda a: bla.slogdet(a)[1])(SINGULAR_2)
    assert np.array_equal(g, np.array([[np.inf, -np.inf], [-np.inf, np.inf]]))
    assert np.array_equal(g, np.asarray(jax.grad(lambda a: jnp.linalg.slogdet(a)[1])(SINGULAR_2)))
    g = bc.grad(lambda a: bla.slogdet(a)[1])(RANK2_3)
    cof = _exact_cofactor(RANK2_3)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.array_equal(g, cof / 0.0, equal_nan=True)
    assert np.isnan(bc.grad(lambda a: bla.slogdet(a)[1])(RANK1_3)).all()  # rank n - 2: cofactor 0
    assert np.array_equal(bc.grad(lambda a: bla.slogdet(a)[0])(SINGULAR_2), np.zeros((2, 2)))
    _, t = bc.jvp(lambda a: bla.slogdet(a)[1], (SINGULAR_2,), (np.eye(2),))
    assert t == np.inf  # tr(cof^T I) / +0 = 5 / +0
    # a stack: the regular matrix keeps its exact gradient
    a = np.stack([SINGULAR_2, np.array([[2.0, 1.0], [1.0, 3.0]])])
    g = bc.grad(lambda a: bnp.sum(bla.slogdet(a)[1]))(a)
    np.testing.assert_allclose(g[1], np.linalg.inv(a[1]).T, rtol=1e-15)
    assert np.isinf(g[0]).all()


# -- zero singular values -------------------------------------------------------------------

@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_matrix_norms_at_zero_are_min_norm(ord):
    g = bc.grad(lambda a: bla.norm(a, ord))(np.zeros((2, 3)))
    assert np.array_equal(g, np.zeros((2, 3)))
    _, t = bc.jvp(lambda a: bla.norm(a, ord), (np.zeros((2, 3)),), (np.ones((2, 3)),))
    assert t == 0.0


def test_nuclear_norm_of_a_rank_deficient_matrix():
    # the min-norm subgradient U_r V_r^T over the non-zero singular values
    a = np.array([[3.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    g = bc.grad(lambda a: bla.norm(a, "nuc"))(a)
    assert np.array_equal(g, np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    g = bc.grad(lambda a: bla.norm(a, -2))(np.diag([2.0, 0.0]))  # the smallest singular value, at 0
    assert np.array_equal(g, np.zeros((2, 2)))
    # away from zero singular values, unchanged (JAX's value)
    b = np.array([[3.0, 1.0, 0.0], [0.5, 2.0, 1.0]])
    np.testing.assert_allclose(bc.grad(lambda a: bla.norm(a, "nuc"))(b),
                               jax.grad(lambda a: jnp.linalg.norm(a, "nuc"))(b), rtol=1e-13)


# -- power at exponent 0 and base 0 ---------------------------------------------------------

def test_power_mixed_second_derivative_at_exponent_zero():
    f = lambda b: bc.grad(lambda x: x ** b)(2.0)  # noqa: E731
    assert bc.grad(f)(0.0) == 0.5  # d/db (b x^(b-1)) = 1/x at b = 0
    assert float(jax.grad(lambda b: jax.grad(lambda x: x ** b)(2.0))(0.0)) == 0.5


@pytest.mark.parametrize("fn,jfn", [(lambda p: p[0] ** p[1], lambda p: p[0] ** p[1]),
                                    (lambda p: bnp.float_power(p[0], p[1]), lambda p: p[0] ** p[1])],
                         ids=["power", "float_power"])
def test_power_hessian_at_exponent_zero_is_symmetric(fn, jfn):
    h = bc.hessian(fn)(np.array([2.0, 0.0]))
    assert h[0, 1] == h[1, 0] == 0.5 and h[0, 0] == 0.0
    assert h[1, 1] == np.log(2.0) ** 2
    np.testing.assert_allclose(h, jax.hessian(jfn)(jnp.array([2.0, 0.0])), rtol=1e-15)
    # forward over reverse gives the same
    _, col = bc.jvp(bc.grad(fn), (np.array([2.0, 0.0]),), (np.array([0.0, 1.0]),))
    assert np.array_equal(col, h[:, 1])


def test_power_hessian_with_array_exponents():
    x, y = np.array([2.0, 3.0, 0.5]), np.array([0.0, 1.0, 0.0])
    f = lambda x, y: bnp.sum(x ** y)  # noqa: E731
    got = bc.jacobian(bc.grad(f, argnums=1), argnums=0)(x, y)
    want = jax.jacobian(jax.grad(lambda x, y: jnp.sum(x ** y), argnums=1), argnums=0)(x, y)
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert np.array_equal(np.diag(got)[[0, 2]], [0.5, 2.0])


def test_weibull_loglik_hessian_at_shape_one():
    # a survival model's usual start point: shape k = 1 puts an exponent k - 1 = 0 in the hazard
    t = np.array([0.5, 1.2, 2.0, 3.5])

    def loglik(p, np_=bnp):
        k, lam = p[0], p[1]
        z = t / lam
        return np_.sum(np_.log(k / lam * z ** (k - 1)) - z ** k)

    p = np.array([1.0, 1.5])
    np.testing.assert_allclose(bc.hessian(loglik)(p), jax.hessian(lambda p: loglik(p, jnp))(p), rtol=1e-13)


@pytest.mark.parametrize("y,grad,hess", [(0.0, [0.0, 0.0], [[0.0, 0.0], [0.0, 0.0]]),
                                         (1.0, [1.0, 0.0], [[0.0, 0.0], [0.0, 0.0]]),
                                         (2.0, [0.0, 0.0], [[2.0, 0.0], [0.0, 0.0]])])
def test_power_at_base_zero(y, grad, hess):
    # d/dx x^0 = 0 also at x = 0 (PyTorch; JAX gives NaN); at x = 0 every derivative in y is 0
    # (the one-sided limits are 0 for y = 2, -inf for the mixed one at y = 1: a convention there)
    p = np.array([0.0, y])
    assert np.array_equal(bc.grad(lambda p: p[0] ** p[1])(p), grad)
    pt = torch.tensor(p, requires_grad=True)
    (pt[0] ** pt[1]).backward()
    assert np.array_equal(pt.grad.numpy(), grad)
    h = bc.hessian(lambda p: p[0] ** p[1])(p)
    assert np.array_equal(h, hess)
    if y == 2.0:
        assert np.array_equal(h, np.asarray(jax.hessian(lambda p: p[0] ** p[1])(jnp.asarray(p))))


def test_power_first_derivatives_unchanged_elsewhere():
    x, y = np.array([0.0, 0.0, 2.0, -2.0, 0.0]), np.array([0.5, -1.0, 0.0, 2.0, 3.0])
    gx, gy = bc.grad(lambda x, y: bnp.sum(x ** y), argnums=(0, 1))(x, y)
    assert np.array_equal(gx, [np.inf, -np.inf, 0.0, -4.0, 0.0])
    assert np.array_equal(gy[[0, 1, 2, 4]], [0.0, 0.0, np.log(2.0), 0.0]) and np.isnan(gy[3])


# -- other rules guarded by where: second derivatives ----------------------------------------

def test_xlogy_partial_in_y_at_y_zero_is_infinite():
    from backchain.scipy.special import xlog1py, xlogy
    assert bc.grad(xlogy, argnums=1)(2.0, 0.0) == np.inf  # x / y, not x / 1
    assert float(jax.grad(jss.xlogy, argnums=1)(2.0, 0.0)) == np.inf
    assert bc.grad(xlog1py, argnums=1)(-2.0, -1.0) == -np.inf
    assert bc.grad(xlogy, argnums=1)(0.0, 0.0) == 0.0  # identically 0 on x == 0
    assert bc.grad(lambda y: bnp.where(y > 0, xlogy(2.0, y), 0.0))(0.0) == 0.0  # no NaN from 0 * inf


@pytest.mark.parametrize("name,point", [("xlogy", [0.0, 2.0]), ("xlogy", [2.0, 3.0]),
                                        ("xlog1py", [0.0, 1.0]), ("xlog1py", [1.5, 0.5])])
def test_xlogy_hessian_is_symmetric_at_x_zero(name, point):
    import backchain.scipy.special as bss
    f, jf = getattr(bss, name), getattr(jss, name)
    h = bc.hessian(lambda p: f(p[0], p[1]))(np.array(point))
    hj = jax.hessian(lambda p: jf(p[0], p[1]))(jnp.array(point))
    np.testing.assert_allclose(h, hj, rtol=1e-15)
    assert h[0, 1] == h[1, 0]


@pytest.mark.parametrize("name,sign", [("i1", 1.0), ("j1", -1.0)])
def test_bessel_higher_derivatives_at_zero(name, sign):
    # i1 = x/2 + x^3/16 + x^5/384 + ...: i1'''(0) = 3/8, i1^(5)(0) = 5/16 (j1: -3/8, 5/16);
    # the constant 1/2 for i1(x)/x at 0 dropped them (JAX's third derivative is 1.5)
    import backchain.scipy.special as bss
    f = getattr(bss, name)
    d = [f]
    for _ in range(5):
        d.append(bc.grad(d[-1]))
    assert [float(d[k](0.0)) for k in (1, 2, 3, 4)] == [0.5, 0.0, sign * 0.375, 0.0]
    np.testing.assert_allclose(float(d[5](0.0)), 0.3125, rtol=1e-15)
    # continuous with the values just off 0: the series' 3/8 + 60 x^2 / 384 (j1: -3/8 + ...)
    np.testing.assert_allclose(float(d[3](1e-3)), sign * 0.375 + 60e-6 / 384, rtol=1e-13)
    if name == "i1":  # JAX's agrees off 0 (at 0 it gives 1.5)
        jd = jss.i1
        for _ in range(3):
            jd = jax.grad(jd)
        np.testing.assert_allclose(float(d[3](0.02)), float(jd(0.02)), rtol=1e-9)


def test_hypot_second_derivative_at_the_origin_matches_norm():
    h = bc.hessian(lambda p: bnp.hypot(p[0], p[1]))(np.zeros(2))
    assert np.array_equal(h, bc.hessian(bla.norm)(np.zeros(2)))
    assert np.array_equal(h, np.zeros((2, 2)))
    p = np.array([3.0, 4.0])
    np.testing.assert_allclose(bc.hessian(lambda p: bnp.hypot(p[0], p[1]))(p),
                               jax.hessian(lambda p: jnp.hypot(p[0], p[1]))(p), rtol=1e-15)


# -- float32 stays float32 ------------------------------------------------------------------

A32 = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]], np.float32)
FLOAT32_CASES = {
    "eigvalsh": (bla.eigvalsh, torch.linalg.eigvalsh),
    "eigh_vectors": (lambda a: bla.eigh(a)[1] ** 2, lambda a: torch.linalg.eigh(a)[1] ** 2),
    "cholesky": (bla.cholesky, torch.linalg.cholesky),
    "cholesky_upper": (lambda a: bla.cholesky(a, upper=True), lambda a: torch.linalg.cholesky(a, upper=True)),
    "qr_r": (lambda a: bla.qr(a)[1], lambda a: torch.linalg.qr(a)[1]),
    "qr_q": (lambda a: bla.qr(a)[0], lambda a: torch.linalg.qr(a)[0]),
    "norm_2": (lambda a: bla.norm(a, 2), lambda a: torch.linalg.matrix_norm(a, 2)),
    "vector_norm_inf": (lambda a: bla.norm(a[0], np.inf), lambda a: torch.linalg.vector_norm(a[0], float("inf"))),
}


@pytest.mark.parametrize("name", list(FLOAT32_CASES))
def test_float32_tangents_and_cotangents(name):
    fn, tfn = FLOAT32_CASES[name]
    t = np.array([[1.0, 0.5, -0.25], [0.5, 2.0, 0.0], [-0.25, 0.0, 1.0]], np.float32)
    out, tan = bc.jvp(fn, (A32,), (t,))
    _, ttan = torch.func.jvp(tfn, (torch.tensor(A32),), (torch.tensor(t),))
    assert np.asarray(tan).dtype == np.float32 == ttan.numpy().dtype
    np.testing.assert_allclose(tan, ttan.numpy(), rtol=2e-4, atol=2e-5)
    out, vjp_fn = bc.vjp(fn, A32)
    (ct,) = vjp_fn(np.ones_like(np.asarray(out)))
    assert ct.dtype == np.float32


def test_float32_rules_compute_in_float32():
    # the rules' own results, before the engine casts anything
    w, v = np.linalg.eigh(A32)
    eigh = REGISTRY["eigh"].vjps.fn
    assert eigh((True,), [np.ones_like(w), None], (w, v), A32, UPLO="L")[0].dtype == np.float32
    assert eigh((True,), [None, np.ones_like(v)], (w, v), A32, UPLO="U")[0].dtype == np.float32
    assert REGISTRY["eigh"].jvps[0](A32, (w, v), A32, UPLO="L")[0].dtype == np.float32
    chol = np.linalg.cholesky(A32)
    assert REGISTRY["cholesky"].vjps[0](np.ones_like(chol), chol, A32).dtype == np.float32
    assert REGISTRY["cholesky"].jvps[0](A32, chol, A32).dtype == np.float32
    q, r = np.linalg.qr(A32)
    assert REGISTRY["qr"].vjps[0]([np.ones_like(q), np.ones_like(r)], (q, r), A32).dtype == np.float32
    assert all(x.dtype == np.float32 for x in REGISTRY["qr"].jvps[0](A32, (q, r), A32))
    s = np.linalg.svd(A32, compute_uv=False)
    n = np.linalg.vector_norm(s, ord=np.inf)
    kw = dict(ord=np.inf, axis=(0,), keepdims=False)
    assert REGISTRY["vector_norm"].vjps[0](np.float32(1), n, s, **kw).dtype == np.float32
    assert REGISTRY["vector_norm"].jvps[0](s, n, s, **kw).dtype == np.float32


# -- clear errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["svd", "qr"])
def test_svd_and_qr_of_a_vector_name_the_expected_shape(op):
    x = bc.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(np.linalg.LinAlgError, match=rf"^{op}: expected an array of shape \(\.\.\., M, N\).*"
                                                      r"got shape \(3,\)"):
        getattr(bla, op)(x)
    with pytest.raises(np.linalg.LinAlgError):  # NumPy's own error on plain arrays
        getattr(bla, op)(np.ones(3))
