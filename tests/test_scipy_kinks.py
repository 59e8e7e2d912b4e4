"""Exact derivative values at the special points of backchain.scipy (the conventions in the rule files)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.scipy import special as S
from backchain.scipy import linalg as L
from backchain.scipy import stats


def test_xlogy_at_x_zero():
    # Value 0 (SciPy's), d/dy exactly 0 on the line x == 0 (also at y == 0), d/dx = log(y) = -inf at y == 0.
    x, y = np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 0.5])
    assert S.xlogy(bc.tensor(x), bc.tensor(y)).data.tolist() == [0.0, 0.0, 2.0 * np.log(0.5)]
    gx, gy = bc.grad(lambda x, y: bnp.sum(S.xlogy(x, y)), argnums=(0, 1))(x, y)
    assert gy.tolist() == [0.0, 0.0, 4.0]
    assert gx[0] == -np.inf and gx[1] == np.log(3.0) and gx[2] == np.log(0.5)


def test_xlog1py_at_x_zero():
    x, y = np.array([0.0, 0.0]), np.array([-1.0, 1.0])
    gx, gy = bc.grad(lambda x, y: bnp.sum(S.xlog1py(x, y)), argnums=(0, 1))(x, y)
    assert gy.tolist() == [0.0, 0.0]
    assert gx[0] == -np.inf and gx[1] == np.log(2.0)


@pytest.mark.parametrize("fn,value", [(S.i1, 0.5), (S.j1, 0.5), (S.i1e, 0.5), (S.i0e, 0.0), (S.i0, 0.0), (S.j0, 0.0)])
def test_bessel_derivatives_at_zero(fn, value):
    assert bc.grad(fn)(0.0) == value


def test_bessel_second_derivative_through_the_limit():
    # i0'' (0) = i1'(0) = 1/2 exactly, and j0''(0) = -j1'(0) = -1/2.
    assert bc.grad(bc.grad(S.i0))(0.0) == 0.5
    assert bc.grad(bc.grad(S.j0))(0.0) == -0.5


def test_logsumexp_tie_splits_evenly():
    g = bc.grad(S.logsumexp)(np.array([1.0, 1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(g, [0.25, 0.25, 0.25, 0.25])
    g = bc.grad(S.logsumexp)(np.array([1e300, 1e300]))  # stable: no overflow
    np.testing.assert_array_equal(g, [0.5, 0.5])


def test_solve_triangular_unread_triangle_gets_zero():
    a = np.array([[2.0, 7.0, 7.0], [1.0, 3.0, 7.0], [0.5, -1.0, 4.0]])
    b = np.array([1.0, 2.0, 3.0])
    ga = bc.grad(lambda a: bnp.sum(L.solve_triangular(a, b, lower=True)))(a)
    assert np.all(np.triu(ga, 1) == 0.0) and np.all(ga[np.tril_indices(3)] != 0.0)
    ga = bc.grad(lambda a: bnp.sum(L.solve_triangular(a, b, lower=True, unit_diagonal=True)))(a)
    assert np.all(np.triu(ga) == 0.0) and np.all(ga[np.tril_indices(3, -1)] != 0.0)
    ga = bc.grad(lambda a: bnp.sum(L.solve_triangular(a.T, b, lower=False, trans=1)))(a)
    assert np.all(np.triu(ga, 1) == 0.0)


def test_cholesky_unread_triangle_gets_zero():
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    gl = bc.grad(lambda a: bnp.sum(L.cholesky(a, lower=True) ** 2))(a)
    gu = bc.grad(lambda a: bnp.sum(L.cholesky(a) ** 2))(a)
    assert np.all(np.triu(gl, 1) == 0.0) and np.all(np.tril(gu, -1) == 0.0)
    np.testing.assert_allclose(gl, gu.T, rtol=1e-13)  # the same function of the same numbers


def test_density_outside_support_has_zero_gradient():
    x = np.array([-0.5, 1.0])
    val = stats.gamma.logpdf(bc.tensor(x, requires_grad=True), 2.0).data
    assert val[0] == -np.inf
    g = bc.grad(lambda x: bnp.sum(bnp.exp(stats.gamma.logpdf(x, 2.0))))(x)
    assert g[0] == 0.0 and np.isfinite(g[1])
    g = bc.grad(lambda x: bnp.sum(bnp.exp(stats.beta.logpdf(x, 2.0, 3.0))))(np.array([1.5, 0.5]))
    assert g[0] == 0.0 and g[1] != 0.0
