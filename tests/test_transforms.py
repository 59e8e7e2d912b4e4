"""grad, value_and_grad, elementwise_grad, vjp, jvp: against analytic results."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def test_grad_polynomial_and_argnums():
    f = lambda x, y: x ** 3 * y + 2.0 * y
    assert bc.grad(f)(2.0, 5.0) == pytest.approx(3 * 4 * 5)
    assert bc.grad(f, argnums=1)(2.0, 5.0) == pytest.approx(8 + 2)
    assert bc.grad(f, argnum=1)(2.0, 5.0) == pytest.approx(10)
    gx, gy = bc.grad(f, argnums=(0, 1))(2.0, 5.0)
    assert (gx, gy) == (pytest.approx(60.0), pytest.approx(10.0))


def test_grad_types_shapes_dtypes():
    g = bc.grad(lambda x: bnp.sum(x ** 2))(np.ones((2, 3), dtype=np.float32))
    assert isinstance(g, np.ndarray) and g.shape == (2, 3) and g.dtype == np.float32
    g = bc.grad(lambda x: x * x)(3.0)
    assert isinstance(g, float) and g == 6.0
    g = bc.grad(lambda x: bnp.sum(x * x))(bc.tensor([1.0, 2.0]))
    assert isinstance(g, bc.Tensor)


def test_grad_containers():
    def loss(params, x):
        return bnp.sum((x @ params["w"] + params["b"]) ** 2) + params["extra"][0] * 3.0
    params = {"w": np.ones((3, 2)), "b": np.zeros(2), "extra": [2.0, 1.0]}
    x = np.arange(6.0).reshape(2, 3)
    g = bc.grad(loss)(params, x)
    assert set(g) == {"w", "b", "extra"} and isinstance(g["extra"], list)
    pred = x @ params["w"]
    np.testing.assert_allclose(g["w"], x.T @ (2 * pred))
    np.testing.assert_allclose(g["b"], (2 * pred).sum(0))
    assert g["extra"][0] == 3.0 and g["extra"][1] == 0.0


def test_grad_requires_scalar_output():
    with pytest.raises(TypeError, match="scalar"):
        bc.grad(lambda x: x * 2)(np.ones(3))


def test_grad_of_integer_argument_is_an_error():
    with pytest.raises(TypeError, match="floating"):
        bc.grad(lambda x: x * 2)(3)


def test_value_and_grad_and_aux():
    v, g = bc.value_and_grad(lambda x: bnp.sum(bnp.tanh(x)))(np.array([0.0, 1.0]))
    assert v == pytest.approx(np.tanh(1.0))
    np.testing.assert_allclose(g, 1 - np.tanh([0.0, 1.0]) ** 2)
    (v, aux), g = bc.value_and_grad(lambda x: (x * x, "aux"), has_aux=True)(3.0)
    assert (v, aux, g) == (9.0, "aux", 6.0)
    g, aux = bc.grad(lambda x: (x * x, {"k": 1}), has_aux=True)(3.0)
    assert g == 6.0 and aux == {"k": 1}


def test_elementwise_grad():
    x = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(bc.elementwise_grad(bnp.tanh)(x), 1 - np.tanh(x) ** 2)


def test_vjp_matches_transpose_jacobian():
    A = np.arange(6.0).reshape(2, 3)
    out, vjp_fn = bc.vjp(lambda x: A @ x, np.ones(3))
    np.testing.assert_allclose(out, A @ np.ones(3))
    (ct,) = vjp_fn(np.array([1.0, -1.0]))
    np.testing.assert_allclose(ct, A.T @ [1.0, -1.0])
    (ct2,) = vjp_fn(np.array([0.0, 2.0]))  # reusable
    np.testing.assert_allclose(ct2, A.T @ [0.0, 2.0])


def test_vjp_tuple_outputs():
    out, vjp_fn = bc.vjp(lambda x, y: (x * y, x + y), 2.0, 3.0)
    assert out == (6.0, 5.0)
    gx, gy = vjp_fn((1.0, 1.0))
    assert (gx, gy) == (4.0, 3.0)


def test_jvp_matches_jacobian_product():
    A = np.arange(6.0).reshape(2, 3)
    out, t = bc.jvp(lambda x: bnp.tanh(A @ x), (np.ones(3) * 0.1,), (np.array([1.0, 0.0, -1.0]),))
    x = np.ones(3) * 0.1
    np.testing.assert_allclose(t, (1 - np.tanh(A @ x) ** 2) * (A @ [1.0, 0.0, -1.0]))
    _, t = bc.jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    assert t == 3.0


def test_jvp_identity_and_constant_outputs():
    assert bc.jvp(lambda x: x, (2.0,), (5.0,)) == (2.0, 5.0)
    out, t = bc.jvp(lambda x: np.ones(2), (2.0,), (5.0,))
    np.testing.assert_array_equal(t, [0.0, 0.0])


def test_nested_no_perturbation_confusion():
    assert bc.grad(lambda x: x * bc.grad(lambda y: x * y)(2.0))(3.0) == pytest.approx(6.0)
    # the inner function closes over x and also takes x as its argument
    f = lambda x: bc.grad(lambda y: x * y * y)(x)  # 2 x^2
    assert bc.grad(f)(3.0) == pytest.approx(12.0)


def test_higher_order_grad():
    d1 = bc.grad(bnp.tanh)
    d2 = bc.grad(d1)
    d3 = bc.grad(d2)
    x = 0.3
    t = np.tanh(x)
    assert d2(x) == pytest.approx(-2 * t * (1 - t * t))
    assert d3(x) == pytest.approx((1 - t * t) * (6 * t * t - 2))


def test_forward_over_reverse_hvp():
    f = lambda x: bnp.sum(bnp.sin(x) * x)
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    _, hv = bc.jvp(bc.grad(f), (x,), (v,))
    H = np.diag(2 * np.cos(x) - x * np.sin(x))
    np.testing.assert_allclose(hv, H @ v)


def test_reverse_over_forward():
    f = lambda x: bnp.sum(bnp.exp(x) * x)
    x, v = np.array([0.5, -0.5]), np.array([1.0, 2.0])
    g = bc.grad(lambda x: bc.jvp(f, (x,), (v,))[1])(x)
    H = np.diag(np.exp(x) * (x + 2))
    np.testing.assert_allclose(g, H @ v)


def test_forward_over_forward():
    second = lambda x: bc.jvp(lambda y: bc.jvp(bnp.sin, (y,), (1.0,))[1], (x,), (1.0,))[1]
    assert second(0.4) == pytest.approx(-np.sin(0.4))


def test_grad_inside_tensor_graph():
    w = bc.tensor(2.0, requires_grad=True)
    g = bc.grad(lambda x: w * x * x)(3.0)  # 2 w x, depends on w
    assert isinstance(g, bc.Tensor) and g.requires_grad
    g.backward()
    assert w.grad == pytest.approx(6.0)


def test_transforms_work_under_no_grad():
    with bc.no_grad():
        assert bc.grad(lambda x: x * x)(3.0) == 6.0
