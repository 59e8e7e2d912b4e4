"""Tensor: PyTorch-style API and NumPy interoperation."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def test_properties():
    x = bc.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn == "multiply"
    assert y.detach().requires_grad is False
    assert isinstance(x.numpy(), np.ndarray)
    assert bc.tensor(3.5).item() == 3.5
    assert len(x) == 2


def test_operators_and_their_gradients():
    a = bc.tensor([1.5, -2.0], requires_grad=True)
    b = bc.tensor([0.5, 4.0], requires_grad=True)
    out = (a + b) * (a - b) / b + (-a) + 2.0 ** a + a ** 2 - 1.0 / b
    out.sum().backward()
    av, bv = np.array([1.5, -2.0]), np.array([0.5, 4.0])
    ga = 2 * av / bv - 1 + np.log(2.0) * 2.0 ** av + 2 * av
    gb = (-2 * bv * bv - (av * av - bv * bv)) / bv ** 2 + 1.0 / bv ** 2
    np.testing.assert_allclose(a.grad, ga)
    np.testing.assert_allclose(b.grad, gb)


def test_matmul_operator():
    A = bc.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = np.array([1.0, 2.0, 3.0])
    (A @ v).sum().backward()
    np.testing.assert_allclose(A.grad, np.tile(v, (2, 1)))
    w = bc.tensor(np.ones(2), requires_grad=True)
    (w @ A.detach()).sum().backward()
    np.testing.assert_allclose(w.grad, A.data.sum(1))


def test_comparisons_return_boolean_arrays():
    x = bc.tensor([1.0, -1.0], requires_grad=True)
    m = x > 0
    assert m.dtype == np.bool_ and not isinstance(m, bc.Tensor)
    np.testing.assert_array_equal(m, [True, False])


def test_numpy_functions_on_tensors_return_tensors_and_record():
    x = bc.tensor([0.5, 1.0], requires_grad=True)
    y = np.sin(x)
    assert isinstance(y, bc.Tensor) and y.requires_grad
    z = np.sum(np.exp(x) * np.cos(y))
    assert isinstance(z, bc.Tensor)
    z.backward()
    xv = np.array([0.5, 1.0])
    expected = np.exp(xv) * np.cos(np.sin(xv)) - np.exp(xv) * np.sin(np.sin(xv)) * np.cos(xv)
    np.testing.assert_allclose(x.grad, expected)


def test_ndarray_on_the_left_dispatches_to_tensor():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, bc.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_unsupported_numpy_function_on_traced_tensor_names_it():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.bitwise_count|bitwise_count"):
        np.bitwise_count(x)
    with pytest.raises(TypeError, match="requires grad"):
        np.asarray(x)
    # untraced tensors may go anywhere
    assert np.asarray(bc.tensor([1.0])).shape == (1,)


def test_methods():
    x = bc.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.reshape(3, 2).transpose().reshape((6,))
    assert y.shape == (6,)
    s = x.sum(axis=0).mean()
    s.backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 1.0 / 3.0))
    assert x.astype(np.float32).dtype == np.float32


def test_getitem_gradient():
    x = bc.tensor(np.arange(5.0), requires_grad=True)
    (x[1:3] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 2, 2, 0, 0])


def test_grad_arrays_are_not_shared():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = bc.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad += 1.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_requires_grad_on_integers_is_an_error():
    with pytest.raises(TypeError, match="int64"):
        bc.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        bc.tensor([True], requires_grad=True)
    with pytest.raises(TypeError, match="dtype"):
        bc.Tensor(np.arange(3)).requires_grad_()


def test_backward_non_scalar_without_grad_names_the_shape():
    x = bc.tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        y.backward()
    y.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        bc.tensor(1.0).backward()


def test_shape_mismatch_names_operation_and_shapes():
    x = bc.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"add.*\[2, 3\].*\[4\]"):
        x + np.ones(4)
    with pytest.raises(ValueError, match=r"matmul.*\[2, 3\].*\[2, 3\]"):
        x @ x
    with pytest.raises(ValueError, match=r"multiply"):
        bnp.multiply(np.ones(2), np.ones(3))


def test_pickle_and_deepcopy_of_leaves_work_and_of_nodes_give_a_clear_error():
    import copy
    import pickle

    x = bc.tensor([1.0, 2.0], requires_grad=True)
    for back in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert back is not x and back.requires_grad and np.array_equal(back.data, x.data)
    y = bc.numpy.sin(x)
    for copier in (pickle.dumps, copy.deepcopy, copy.copy):
        with pytest.raises(TypeError, match=r"output of 'sin' in a recorded graph.*detach\(\)"):
            copier(y)
    assert np.array_equal(pickle.loads(pickle.dumps(y.detach())).data, np.sin([1.0, 2.0]))
