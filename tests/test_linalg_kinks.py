"""Exact derivative values of the linear algebra family at its kinks (DESIGN.md section 4)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.numpy.linalg as bla


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_norm_at_zero_is_zero(shape):
    # vector 2-norm (or Frobenius for a matrix) at 0: the min-norm subgradient 0, never NaN
    g = bc.grad(lambda x: bla.norm(x))(np.zeros(shape))
    assert np.array_equal(g, np.zeros(shape))


def test_frobenius_at_zero_is_zero():
    g = bc.grad(lambda x: bla.norm(x, "fro"))(np.zeros((2, 2)))
    assert np.array_equal(g, np.zeros((2, 2)))


def test_vector_norm_zero_rows_only():
    # rows that are zero get 0; the other rows get x / |x| exactly
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    g = bc.grad(lambda x: bnp.sum(bla.norm(x, axis=1)))(x)
    assert np.array_equal(g, np.array([[0.0, 0.0], [0.6, 0.8]]))


def test_norm_at_zero_forward_mode():
    _, t = bc.jvp(lambda x: bla.norm(x), (np.zeros(3),), (np.ones(3),))
    assert t == 0.0


def test_one_norm_zero_component():
    g = bc.grad(lambda x: bla.norm(x, 1))(np.array([0.0, -2.0, 3.0]))
    assert np.array_equal(g, np.array([0.0, -1.0, 1.0]))


@pytest.mark.parametrize("ord", [np.inf, 3.0, 0.5])
def test_other_norms_at_zero_are_zero(ord):
    g = bc.grad(lambda x: bla.norm(x, ord))(np.zeros(3))
    assert np.array_equal(g, np.zeros(3))


def test_inf_norm_ties_split_evenly():
    g = bc.grad(lambda x: bla.norm(x, np.inf))(np.array([2.0, -2.0, 1.0]))
    assert np.array_equal(g, np.array([0.5, -0.5, 0.0]))


def test_minus_inf_norm_ties_split_evenly():
    g = bc.grad(lambda x: bla.norm(x, -np.inf))(np.array([1.0, -1.0, 3.0]))
    assert np.array_equal(g, np.array([0.5, -0.5, 0.0]))


def test_zero_norm_has_derivative_zero():
    g = bc.grad(lambda x: bla.norm(x, 0))(np.array([1.0, 0.0, 2.0]))
    assert np.array_equal(g, np.zeros(3))


def test_matrix_one_norm_tied_columns():
    # two columns with the same absolute sum share the gradient
    x = np.array([[1.0, -2.0], [1.0, 0.0]])
    g = bc.grad(lambda x: bla.norm(x, 1))(x)
    assert np.array_equal(g, np.array([[0.5, -0.5], [0.5, 0.0]]))


def test_slogdet_sign_has_derivative_zero():
    a = np.array([[2.0, 1.0], [0.5, -3.0]])
    g = bc.grad(lambda a: bla.slogdet(a)[0])(a)
    assert np.array_equal(g, np.zeros((2, 2)))


def test_cholesky_gradient_on_lower_triangle_only():
    # NumPy reads only the lower triangle: the upper triangle's gradient is exactly 0
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    g = bc.grad(lambda a: bnp.sum(bla.cholesky(a)))(a)
    assert np.array_equal(np.triu(g, 1), np.zeros((3, 3)))
    assert np.all(np.tril(g, -1)[np.tril_indices(3, -1)] != 0)


def test_eigh_gradient_on_read_triangle_only():
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    gl = bc.grad(lambda a: bla.eigvalsh(a)[-1])(a)
    gu = bc.grad(lambda a: bla.eigvalsh(a, "U")[-1])(a)
    assert np.array_equal(np.triu(gl, 1), np.zeros((3, 3)))
    assert np.array_equal(np.tril(gu, -1), np.zeros((3, 3)))
    # d w_max / dA = v v^T, read through one triangle: 2 v_i v_j off the diagonal
    v = np.linalg.eigh(a)[1][:, -1]
    vv = np.outer(v, v)
    np.testing.assert_allclose(gl, np.tril(2 * vv - np.diag(np.diag(vv))), rtol=1e-12, atol=1e-14)
