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


def test_jacobian_shapes_and_modes():
    A = np.arange(12.0).reshape(3, 4)
    f = lambda X: bnp.tanh(X) * 2.0
    for mode in ("rev", "fwd"):
        J = bc.jacobian(f, mode=mode)(A / 10)
        assert J.shape == (3, 4, 3, 4)
        np.testing.assert_allclose(J.reshape(12, 12), np.diag((2 * (1 - np.tanh(A / 10) ** 2)).ravel()))
    g = lambda x, y: x * y
    Jx, Jy = bc.jacobian(g, argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_allclose(Jx, np.diag([3.0, 4.0]))
    np.testing.assert_allclose(Jy, np.diag([1.0, 2.0]))


def test_hessian_of_quadratic_and_softmax_logsumexp():
    Q = np.array([[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(bc.hessian(lambda x: 0.5 * x @ Q @ x)(np.ones(2)), Q)
    def lse(x):
        m = bnp.max(x)
        return m + bnp.log(bnp.sum(bnp.exp(x - m)))
    x = np.array([0.1, 0.5, -0.3])
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(bc.grad(lse)(x), p)
    np.testing.assert_allclose(bc.hessian(lse)(x), np.diag(p) - np.outer(p, p), atol=1e-12)


def test_hvp_without_dense_hessian():
    f = lambda x: bnp.sum(x ** 4) + x[0] * x[1]
    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    H = np.diag(12 * x ** 2) + np.array([[0, 1.0], [1.0, 0]])
    np.testing.assert_allclose(bc.hvp(f, x, v), H @ v)


def test_third_order_polynomial():
    f = lambda x: x ** 4
    assert bc.grad(bc.grad(bc.grad(f)))(2.0) == pytest.approx(48.0)


def test_matrix_function_gradient():
    A = np.array([[2.0, 0.5], [0.3, 1.0]])
    f = lambda M: bnp.sum(M @ M @ M)  # d/dM sum(M^3) = (M^2)^T 1 + ...
    g = bc.grad(f)(A)
    ones = np.ones((2, 2))
    expected = ones @ (A @ A).T + A.T @ ones @ A.T + (A @ A).T @ ones
    np.testing.assert_allclose(g, expected)


def test_stop_gradient():
    assert bc.grad(lambda x: x * bc.stop_gradient(x))(3.0) == 3.0
    assert bc.jvp(lambda x: x * bc.stop_gradient(x), (3.0,), (1.0,))[1] == 3.0


def test_checkpoint_gradients_match_and_recompute():
    calls = []

    def block(x):
        calls.append(1)
        return bnp.tanh(bnp.sin(x) * 2.0)

    ck = bc.checkpoint(block)
    x = np.array([0.1, 0.7])
    np.testing.assert_allclose(bc.grad(lambda v: bnp.sum(ck(v)))(x), bc.grad(lambda v: bnp.sum(block(v)))(x))
    calls.clear()
    bc.grad(lambda v: bnp.sum(ck(v)))(x)
    assert len(calls) == 2  # forward without recording, then the recomputation in backward
    np.testing.assert_allclose(bc.hessian(lambda v: bnp.sum(ck(v)))(x), bc.hessian(lambda v: bnp.sum(block(v)))(x))
    _, t = bc.jvp(ck, (x,), (np.ones(2),))
    _, t2 = bc.jvp(block, (x,), (np.ones(2),))
    np.testing.assert_allclose(t, t2)


def test_checkpoint_stores_only_inputs():
    big = []
    ck = bc.checkpoint(lambda x: bnp.tanh(bnp.tanh(bnp.tanh(x))))
    x = bc.tensor(np.ones(10), requires_grad=True)
    y = ck(x)
    # the graph is: input -> checkpoint node -> tuple_get; no tanh nodes are kept
    assert y.grad_fn == "tuple_get" and y._inputs[0].grad_fn == "checkpoint"


def test_gradient_penalty_trains():
    # loss + |d loss / d x|^2: the penalty's gradient w.r.t. the weights needs create_graph
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3))
    w = bc.tensor(rng.standard_normal(3), requires_grad=True)
    def total():
        x = bc.tensor(X, requires_grad=True)
        out = bnp.sum(bnp.tanh(x @ w))
        (gx,) = bc.vjp(lambda xx: bnp.sum(bnp.tanh(xx @ w)), x)[1](1.0)
        return out * 0.0 + bnp.sum(gx ** 2)
    first = float(total().data)
    for _ in range(100):
        w.grad = None
        loss = total()
        loss.backward()
        w.data = w.data - 0.01 * w.grad
    assert float(total().data) < 0.5 * first


def test_create_graph_gradient_penalty_with_backward():
    x = bc.tensor(np.array([0.5, -0.3]), requires_grad=True)
    y = bnp.sum(bnp.sin(x) ** 2)
    y.backward(create_graph=True)
    penalty = bnp.sum(x.grad ** 2)
    x.grad = None
    penalty.backward()
    # d/dx sum((2 sin cos)^2) = d/dx sum(sin(2x)^2) = 2 sin(2x) cos(2x) 2
    np.testing.assert_allclose(x.grad, 4 * np.sin(2 * x.data) * np.cos(2 * x.data))


# -- containers, layouts and edge cases, against JAX (float64 inside jax.enable_x64 only) -------------

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _close(a, b):
    """bc's result ``a`` and JAX's ``b``: the same pytree structure, shapes and values."""
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    assert ta == tb
    for x, y in zip(la, lb):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-12)


def test_hessian_argnums_layout_like_jax_for_different_shapes():
    f_bc = lambda x, y: bnp.sum(bnp.sin(x)) * bnp.sum(y ** 3) + x[0] * y[1]
    f_jx = lambda x, y: jnp.sum(jnp.sin(x)) * jnp.sum(y ** 3) + x[0] * y[1]
    x, y = np.array([0.3, -0.7]), np.array([0.5, 1.5, -1.0])
    H = bc.hessian(f_bc, argnums=(0, 1))(x, y)
    with jax.enable_x64(True):
        Hj = jax.hessian(f_jx, argnums=(0, 1))(x, y)
        _close(H, Hj)
    assert H[0][1].shape == (2, 3) and H[1][0].shape == (3, 2)
    # same shapes: a tuple of tuples too (was one stacked array)
    H = bc.hessian(lambda x, y: bnp.sum(x ** 2 * y), argnums=(0, 1))(x, x)
    with jax.enable_x64(True):
        _close(H, jax.hessian(lambda x, y: jnp.sum(x ** 2 * y), argnums=(0, 1))(x, x))


def test_hessian_of_a_vector_output_and_of_a_dict():
    f_bc = lambda p: bnp.tanh(p["w"] * p["b"])
    f_jx = lambda p: jnp.tanh(p["w"] * p["b"])
    p = {"w": np.array([0.2, -0.4]), "b": np.array(0.7)}
    H = bc.hessian(f_bc)(p)
    with jax.enable_x64(True):
        _close(H, jax.hessian(f_jx)(p))
    assert H["w"]["b"].shape == (2, 2)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_dict_argument_and_tuple_output_like_jax(mode):
    f_bc = lambda d, z: (d["a"] * z, {"s": bnp.sum(d["b"] ** 2) * z})
    f_jx = lambda d, z: (d["a"] * z, {"s": jnp.sum(d["b"] ** 2) * z})
    d, z = {"a": np.array([1.0, 2.0]), "b": np.array([[0.5], [-1.0]])}, 1.5
    J = bc.jacobian(f_bc, argnums=(0, 1), mode=mode)(d, z)
    jac = jax.jacrev if mode == "rev" else jax.jacfwd
    with jax.enable_x64(True):
        _close(J, jac(f_jx, argnums=(0, 1))(d, z))
    J = bc.jacobian(f_bc, mode=mode)(d, z)  # one argument: no tuple over argnums
    assert isinstance(J[0], dict) and J[1]["s"]["b"].shape == (2, 1)


def test_jacobian_of_empty_input_and_output():
    J = bc.jacobian(lambda x: x * 2.0)(np.zeros(0))
    assert J.shape == (0, 0)
    Jf = bc.jacobian(lambda x: bnp.sum(x) * np.ones(2), mode="fwd")(np.zeros(0))
    assert Jf.shape == (2, 0)


def test_vjp_of_a_pullback_returns_plain_arrays():
    # autograd's make_jvp_reversemode: the JVP as the VJP of the pullback
    f = lambda x: bnp.sin(x) * x
    x, v = np.array([0.5, 1.0]), np.array([1.0, 2.0])
    out, pb = bc.vjp(f, x)
    _, pbpb = bc.vjp(pb, np.zeros_like(out))
    (jv,) = pbpb((v,))
    assert type(jv) is np.ndarray
    with jax.enable_x64(True):
        _, jv_jax = jax.jvp(lambda x: jnp.sin(x) * x, (x,), (v,))
    np.testing.assert_allclose(jv, jv_jax, rtol=1e-12)
    # the same inside an enclosing grad: still differentiable through the enclosing variable
    g = bc.grad(lambda s: bnp.sum(bc.vjp(bc.vjp(lambda x: bnp.sin(x) * s, x)[1], np.zeros(2))[1]((v,))[0]))(2.0)
    assert g == pytest.approx(np.sum(np.cos(x) * v))


def test_aux_is_plain_values():
    g, aux = bc.grad(lambda x: (x * x, {"y": x * 3.0, "n": 1}), has_aux=True)(2.0)
    assert g == 4.0 and aux == {"y": 6.0, "n": 1} and not isinstance(aux["y"], bc.Tensor)
    (v, aux), g = bc.value_and_grad(lambda x: (bnp.sum(x ** 2), [x * 2.0]), has_aux=True)(np.ones(2))
    assert type(aux[0]) is np.ndarray
    # inside an enclosing transform, an aux that depends on its variable stays differentiable
    outer = bc.grad(lambda s: bc.grad(lambda x: (x * s, x * s * s), has_aux=True)(1.0)[1])(3.0)
    assert outer == 6.0


@pytest.mark.parametrize("out, words", [
    (None, "NoneType None"), ("loss", "str 'loss'"), (True, "bool True"), ([1.0], "list of 1"),
    (np.array([True]), "dtype bool"), (3, "dtype int64"), (1j, "dtype complex128")])
def test_grad_of_a_non_real_scalar_output_raises(out, words):
    with pytest.raises(TypeError, match="grad: the function must return a real") as e:
        bc.grad(lambda x: out)(1.0)
    assert words in str(e.value)
    with pytest.raises(TypeError, match="grad requires real-valued outputs|not a valid JAX type|Gradient only"):
        jax.grad(lambda x: out)(1.0)


def test_grad_of_a_complex_output_raises_like_autograd():
    import autograd
    with pytest.raises(TypeError, match="complex"):
        bc.grad(lambda z: z * z)(1.0 + 1.0j)
    with pytest.raises(TypeError):
        autograd.grad(lambda z: z * z)(1.0 + 1.0j)
    # a real function of a complex argument is fine
    assert bc.grad(lambda z: bnp.real(z * bnp.conj(z)))(1.0 + 2.0j) == 2.0 - 4.0j


def test_jvp_with_none_tangent_raises():
    with pytest.raises(TypeError, match=r"jvp: tangent 1 is None, for a primal of shape \(2,\)"):
        bc.jvp(lambda x, y: x * y, (1.0, np.ones(2)), (1.0, None))
    with pytest.raises(ValueError, match="structure"):
        bc.jvp(lambda p: p["a"], ({"a": 1.0},), ([1.0],))
    with jax.enable_x64(True), pytest.raises((TypeError, ValueError)):
        jax.jvp(lambda x, y: x * y, (1.0, jnp.ones(2)), (1.0, None))


# -- checkpoint: random state, arguments and outputs of any structure --------------------------------

def _dropout_block(x, gen=None):
    F = bc.nn.functional
    return bnp.tanh(F.dropout(x, p=0.5, generator=gen)) * x


@pytest.mark.parametrize("explicit", [False, True])
def test_checkpoint_recomputes_with_the_same_dropout_mask(explicit):
    x = np.linspace(0.1, 1.0, 40)
    gen = (lambda: np.random.default_rng(5)) if explicit else (lambda: None)
    bc.manual_seed(3)
    g0 = gen()
    expected = bc.grad(lambda v: bnp.sum(_dropout_block(v, g0)))(x)
    after_plain = (g0 or bc.random.default_generator()).bit_generator.state
    bc.manual_seed(3)
    g1 = gen()
    got = bc.grad(lambda v: bnp.sum(bc.checkpoint(_dropout_block)(v, g1)))(x)
    np.testing.assert_array_equal(got, expected)
    assert 0 < np.sum(got == 0) < x.size  # some elements were dropped
    # the recomputation leaves the generator where the forward pass left it
    assert (g1 or bc.random.default_generator()).bit_generator.state == after_plain
    # forward mode recomputes with the same mask too
    bc.manual_seed(3)
    g2 = gen()
    _, t = bc.jvp(lambda v: bc.checkpoint(_dropout_block)(v, g2), (x,), (np.ones_like(x),))
    bc.manual_seed(3)
    g3 = gen()
    _, t_plain = bc.jvp(lambda v: _dropout_block(v, g3), (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(t, t_plain)


def test_checkpoint_constant_and_keyword_arguments():
    def block(x, n, scale=1.0, *, name=None, opts=None):
        assert name == "blk" and opts["mode"] in ("a", "b")
        return x ** n * scale
    ck = bc.checkpoint(block)
    g = bc.grad(lambda x: ck(x, 3, scale=2.0, name="blk", opts={"mode": "a", "eps": None}))(2.0)
    assert g == 24.0
    # a traced keyword argument is differentiated
    gs = bc.grad(lambda s: ck(2.0, 3, scale=s, name="blk", opts={"mode": "b"}), argnums=0)(1.5)
    assert gs == 8.0
    with jax.enable_x64(True):
        jck = jax.checkpoint(lambda x, s: x ** 3 * s)
        assert jax.grad(jck, argnums=(0, 1))(2.0, 2.0) == (24.0, 8.0)


def test_checkpoint_keeps_the_output_structure():
    def block(p, x):
        h = bnp.tanh(p["w"] * x)
        return {"h": h, "pair": (h * 2.0, [bnp.sum(h)]), "n": 3, "tag": None}
    def block_jax(p, x):
        h = jnp.tanh(p["w"] * x)
        return {"h": h, "pair": (h * 2.0, [jnp.sum(h)])}
    p, x = {"w": np.array([0.5, -1.0])}, np.array([1.0, 2.0])
    ck = bc.checkpoint(block)

    def loss(p):
        out = ck(p, x)
        assert out["n"] == 3 and out["tag"] is None and isinstance(out["pair"][1], list)
        return bnp.sum(out["h"]) + bnp.sum(out["pair"][0]) + out["pair"][1][0]

    with jax.enable_x64(True):
        def loss_jax(p):
            out = jax.checkpoint(block_jax)(p, x)
            return jnp.sum(out["h"]) + jnp.sum(out["pair"][0]) + out["pair"][1][0]
        _close(bc.grad(loss)(p), jax.grad(loss_jax)(p))
    out = ck({"w": bc.tensor(p["w"], requires_grad=True)}, x)  # the Tensor API: a dict, not a tuple of keys
    assert set(out) == {"h", "pair", "n", "tag"} and isinstance(out["pair"], tuple)
    assert out["h"].grad_fn == "tuple_get" and out["pair"][1][0].grad_fn == "tuple_get"


def test_checkpoint_of_a_module_gives_its_parameters_gradients_like_torch():
    import torch

    model = bc.nn.Sequential(bc.nn.Linear(3, 4), bc.nn.Tanh(), bc.nn.Linear(4, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for (_, p), (_, q) in zip(model.named_parameters(), tm.named_parameters()):
            q.copy_(torch.from_numpy(p.data))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    xb = bc.tensor(x, requires_grad=True)
    bnp.sum(bc.checkpoint(model)(xb) ** 2).backward()
    xt = torch.tensor(x, requires_grad=True)
    (torch.utils.checkpoint.checkpoint(tm, xt, use_reentrant=False) ** 2).sum().backward()
    for (name, p), (_, q) in zip(model.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(xb.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_of_a_function_closing_over_parameters_matches_torch():
    import torch
    from torch.utils.checkpoint import checkpoint as torch_checkpoint

    rng = np.random.default_rng(0)
    W, b, x0 = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((4, 3))
    w, bb, x = (bc.tensor(a, requires_grad=True) for a in (W, b, x0))
    bnp.sum(bc.checkpoint(lambda h: bnp.tanh(h @ w + bb))(x) ** 2).backward()
    tw, tb, tx = (torch.tensor(a, requires_grad=True) for a in (W, b, x0))
    (torch_checkpoint(lambda h: torch.tanh(h @ tw + tb), tx, use_reentrant=False) ** 2).sum().backward()
    for mine, theirs in ((w, tw), (bb, tb), (x, tx)):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12)
    layer = bc.nn.Linear(3, 2)  # a layer closed over, its parameters float32
    xl = bc.tensor(np.ones((1, 3), np.float32), requires_grad=True)
    bnp.sum(bc.checkpoint(lambda h: layer(h))(xl)).backward()
    np.testing.assert_array_equal(layer.weight.grad, np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(layer.bias.grad, np.ones(2, np.float32))


def test_checkpoint_closing_over_a_traced_value_in_every_mode():
    rng = np.random.default_rng(1)
    W, x0 = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))

    def plain(W_):
        return bnp.sin(x0 @ W_)

    def checked(W_):
        return bc.checkpoint(lambda h: bnp.sin(h @ W_))(x0)

    np.testing.assert_allclose(bc.grad(lambda v: bnp.sum(checked(v)))(W), bc.grad(lambda v: bnp.sum(plain(v)))(W))
    np.testing.assert_allclose(bc.hessian(lambda v: bnp.sum(checked(v)))(W),
                               bc.hessian(lambda v: bnp.sum(plain(v)))(W), atol=1e-14)
    t = np.ones_like(W)
    np.testing.assert_allclose(bc.jvp(checked, (W,), (t,))[1], bc.jvp(plain, (W,), (t,))[1])


def test_stop_gradient_of_a_container():
    def f(p):
        q = bc.stop_gradient(p)
        assert isinstance(q, dict) and isinstance(q["b"], tuple)
        return bnp.sum(p["a"] * q["a"]) + q["b"][0] * p["b"][0]
    p = {"a": np.array([1.0, 2.0]), "b": (3.0,)}
    g = bc.grad(f)(p)
    with jax.enable_x64(True):
        gj = jax.grad(lambda p: jnp.sum(p["a"] * jax.lax.stop_gradient(p)["a"])
                      + jax.lax.stop_gradient(p)["b"][0] * p["b"][0])(p)
    _close(g, gj)


def test_dicts_with_keys_in_another_order_line_up_like_jax():
    p = {"b": np.array([1.0, 2.0]), "a": np.array(3.0)}
    t = {"a": np.array(1.0), "b": np.array([0.0, 0.0])}   # the same keys, another order
    f = lambda p: bnp.sum(p["b"]) * p["a"] ** 2
    out, tan = bc.jvp(f, (p,), (t,))
    assert tan == 2 * 3.0 * 3.0
    with jax.enable_x64(True):
        _, tan_j = jax.jvp(lambda p: jnp.sum(p["b"]) * p["a"] ** 2, (p,), (t,))
    assert tan == float(tan_j)
    g = bc.grad(f)(p)
    assert list(g) == ["b", "a"]  # the argument's own key order
    out, vjp_fn = bc.vjp(lambda p: {"y": p["a"] * 2.0, "x": p["b"]}, p)
    (ct,) = vjp_fn({"x": np.ones(2), "y": np.array(1.0)})
    assert ct["a"] == 2.0 and np.array_equal(ct["b"], np.ones(2))
