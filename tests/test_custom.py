"""User rules, each way, under grad, jvp, jacobian, hessian and nesting, against analytic results."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def make_custom_vjp():
    @bc.custom_vjp
    def f(x, y):
        return bnp.sin(x) * y

    def fwd(x, y):
        return f(x, y), (x, y)

    def bwd(res, g):
        x, y = res
        return g * bnp.cos(x) * y, g * bnp.sin(x)

    f.defvjp(fwd, bwd)
    return f


def make_custom_jvp():
    @bc.custom_jvp
    def f(x, y):
        return bnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(x, y), bnp.cos(x) * y * tx + bnp.sin(x) * ty

    return f


class SinTimes(bc.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.sin(x) * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * bnp.cos(x) * y, g * bnp.sin(x)


def function_way(x, y):
    return SinTimes.apply(x, y)


WAYS = {"custom_vjp": make_custom_vjp(), "custom_jvp": make_custom_jvp(), "Function": function_way}


@pytest.mark.parametrize("way", list(WAYS))
def test_first_and_second_order(way):
    f = WAYS[way]
    x, y = 0.7, 1.3
    assert bc.grad(f)(x, y) == pytest.approx(np.cos(x) * y)
    assert bc.grad(f, argnums=1)(x, y) == pytest.approx(np.sin(x))
    assert bc.grad(bc.grad(f))(x, y) == pytest.approx(-np.sin(x) * y)
    assert bc.grad(bc.grad(f), argnums=1)(x, y) == pytest.approx(np.cos(x))
    assert bc.grad(bc.grad(bc.grad(f)))(x, y) == pytest.approx(-np.cos(x) * y)


@pytest.mark.parametrize("way", list(WAYS))
def test_forward_mode_jacobian_hessian(way):
    f = WAYS[way]
    x = np.array([0.1, 0.5, 0.9])
    y = np.array([2.0, -1.0, 0.5])
    _, t = bc.jvp(lambda x: f(x, y), (x,), (np.ones(3),))
    np.testing.assert_allclose(t, np.cos(x) * y)
    for mode in ("rev", "fwd"):
        J = bc.jacobian(lambda x: f(x, y), mode=mode)(x)
        np.testing.assert_allclose(J, np.diag(np.cos(x) * y))
    H = bc.hessian(lambda x: bnp.sum(f(x, y)))(x)
    np.testing.assert_allclose(H, np.diag(-np.sin(x) * y))


@pytest.mark.parametrize("way", list(WAYS))
def test_tensor_backward_and_nesting(way):
    f = WAYS[way]
    x = bc.tensor(np.array([0.3, 0.6]), requires_grad=True)
    f(x, np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(x.grad, np.cos([0.3, 0.6]) * [1.0, 2.0])
    # closure over the outer variable inside a custom rule
    g = bc.grad(lambda a: bc.grad(lambda b: f(b, a))(0.4) * a)(1.5)
    assert g == pytest.approx(2 * np.cos(0.4) * 1.5)


def test_custom_vjp_overrides_the_derivative():
    @bc.custom_vjp
    def clip_gradient(x):
        return x
    clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (bnp.clip(g, -1.0, 1.0),))
    assert bc.grad(lambda x: 5.0 * clip_gradient(x))(2.0) == 1.0
    assert clip_gradient(3.0) == 3.0  # plain call outside any trace


def test_custom_vjp_nondiff_argnums():
    @bc.custom_vjp
    def scale(k, x):
        return x * k

    scale.__init__(scale.fun, nondiff_argnums=(0,))
    scale.defvjp(lambda k, x: (x * k, None), lambda k, res, g: (g * k,))
    assert bc.grad(lambda x: scale(3.0, x), argnums=0)(2.0) == 3.0


def test_custom_vjp_wrong_structure_names_argument():
    @bc.custom_vjp
    def f(x, y):
        return x * y
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    with pytest.raises(ValueError, match="1 cotangent.*2 differentiable argument.*x, y"):
        bc.grad(f)(1.0, 2.0)

    @bc.custom_vjp
    def h(x, y):
        return x * y
    h.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (np.ones(3), g))
    with pytest.raises(ValueError, match="shape \\(3,\\) for argument 'x'"):
        bc.grad(h)(np.ones(2), np.ones(2)) if False else bc.grad(lambda a: bnp.sum(h(a, np.ones(2))))(np.ones(2))


def test_custom_vjp_without_rule():
    @bc.custom_vjp
    def f(x):
        return x
    with pytest.raises(TypeError, match="defvjp"):
        f(bc.tensor(1.0, requires_grad=True))


def test_function_needs_input_grad_and_static_args():
    seen = {}

    class Scale(bc.Function):
        @staticmethod
        def forward(ctx, x, k):
            seen["needs"] = ctx.needs_input_grad
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = bc.tensor(np.ones(2), requires_grad=True)
    Scale.apply(x, 4.0).sum().backward()
    assert seen["needs"] == (True, False)
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])


def test_function_backward_wrong_count():
    class Bad(bc.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(ValueError, match="returned 2 gradient"):
        bc.grad(lambda x: Bad.apply(x))(1.0)


def test_elementwise_map_table_style():
    @bc.elementwise(derivative=lambda x, y: y * (1.0 - y))
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    x = np.linspace(-2, 2, 5)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(bc.elementwise_grad(sigmoid)(x), s * (1 - s))
    # higher order: the derivative is written with differentiable operations
    np.testing.assert_allclose(bc.elementwise_grad(bc.elementwise_grad(sigmoid))(x), s * (1 - s) * (1 - 2 * s))
    # on Tensors, with broadcasting in the surrounding code
    t = bc.tensor(x, requires_grad=True)
    (sigmoid(t) * np.ones((2, 1))).sum().backward()
    np.testing.assert_allclose(t.grad, 2 * s * (1 - s))
    assert bc.gradcheck(lambda v: bnp.sum(sigmoid(v)), x)


def test_defprimitive_exports_to_namespace():
    fn = bc.defprimitive("cube_test_prim", lambda x: x ** 3, deriv=(lambda ans, x: 3.0 * x * x,))
    assert bnp.cube_test_prim is fn
    assert bc.grad(bnp.cube_test_prim)(2.0) == 12.0
    assert bc.grad(bc.grad(bnp.cube_test_prim))(2.0) == 12.0
    assert bc.gradcheck(lambda x: bnp.sum(bnp.cube_test_prim(x)), np.array([0.5, -1.0]))


# -- rules that close over a value an enclosing computation traces (JAX as the oracle) ----------------

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _scaled_product(y, way, lib):
    """``x -> x * y`` with a hand-written rule that closes over ``y`` (``lib``: bc or jax)."""
    if way == "custom_vjp":
        f = (bc if lib == "bc" else jax).custom_vjp(lambda x: x * y)
        f.defvjp(lambda x: (x * y, None), lambda res, g: (g * y,))
        return f
    if way == "custom_jvp":
        f = (bc if lib == "bc" else jax).custom_jvp(lambda x: x * y)
        f.defjvp(lambda primals, tangents: (primals[0] * y, tangents[0] * y))
        return f

    class Scaled(bc.Function):
        @staticmethod
        def forward(ctx, x):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g * y
    return Scaled.apply


def _scale_gradient(y, lib):
    """The identity, whose rule multiplies the cotangent by ``y``: the closure is in the rule only."""
    f = (bc if lib == "bc" else jax).custom_vjp(lambda x: x)
    f.defvjp(lambda x: (x, None), lambda res, g: (g * y,))
    return f


@pytest.mark.parametrize("way", ["custom_vjp", "custom_jvp", "Function"])
def test_rule_closing_over_an_outer_variable_second_derivative(way):
    # d/dy of (d/dx x * y) = 1 (was 0: the inner derivative did not record its dependence on y)
    inner = lambda lib: (lambda y: (bc if lib == "bc" else jax).grad(_scaled_product(y, way, lib))(2.0))
    expected = jax.grad(inner("jax"))(3.0) if way != "Function" else 1.0
    assert expected == 1.0
    assert bc.grad(inner("bc"))(3.0) == expected
    # forward over reverse, and reverse with the Tensor API
    assert bc.jvp(inner("bc"), (3.0,), (1.0,))[1] == 1.0
    y = bc.tensor(3.0, requires_grad=True)
    g = inner("bc")(y)
    assert isinstance(g, bc.Tensor) and g.data == 3.0
    g.backward()
    assert y.grad == 1.0
    # at top level the derivative is a plain value
    assert type(bc.grad(_scaled_product(3.0, way, "bc"))(2.0)) is not bc.Tensor


def test_rule_closure_only_in_the_backward_rule():
    outer_bc = lambda y: bc.grad(lambda x: _scale_gradient(y, "bc")(x) * x)(2.0)   # 2 x y... at x = 2: 2y
    outer_jx = lambda y: jax.grad(lambda x: _scale_gradient(y, "jax")(x) * x)(2.0)
    assert bc.grad(outer_bc)(3.0) == pytest.approx(float(jax.grad(outer_jx)(3.0)))
    with jax.enable_x64(True):
        h_bc = bc.hessian(lambda y: bnp.sum(bc.grad(lambda x: bnp.sum(_scale_gradient(y, "bc")(x) ** 2))(
            np.array([1.0, 2.0])) ** 2))(np.array([0.5, -1.5]))
        h_jx = jax.hessian(lambda y: jnp.sum(jax.grad(lambda x: jnp.sum(_scale_gradient(y, "jax")(x) ** 2))(
            jnp.array([1.0, 2.0])) ** 2))(jnp.array([0.5, -1.5]))
    np.testing.assert_allclose(h_bc, h_jx, rtol=1e-12)
    np.testing.assert_allclose(h_bc, np.diag([8.0, 32.0]))


@pytest.mark.parametrize("way", ["custom_vjp", "custom_jvp"])
def test_rule_closing_over_an_outer_variable_forward_value(way):
    # the value of an inner value_and_grad depends on y through the closure: d/dy (2 y) = 2 (was 0)
    value = lambda lib: (lambda y: (bc if lib == "bc" else jax).value_and_grad(_scaled_product(y, way, lib))(2.0)[0])
    expected = float(jax.grad(value("jax"))(3.0))
    assert expected == 2.0 and bc.grad(value("bc"))(3.0) == expected
    # argument and closure traced by the same transform: f(2 y) = 2 y^2, derivative 4 y = 12 (was 6; JAX
    # raises UnexpectedTracerError): the rule gives d/dx, the function itself d/dy at fixed x
    assert bc.grad(lambda y: _scaled_product(y, way, "bc")(y * 2.0))(3.0) == 12.0
    assert bc.jvp(lambda y: _scaled_product(y, way, "bc")(y * 2.0), (3.0,), (1.0,))[1] == 12.0
    # a closure over a constant records nothing extra
    x = bc.tensor(2.0, requires_grad=True)
    out = _scaled_product(3.0, way, "bc")(x)
    assert out.grad_fn == "tuple_get"


# -- arguments that are containers (JAX's pytrees) ----------------------------------------------------

def _layer(lib, xp):
    """``tanh(p["w"] * x + p["b"][0])`` whose custom rule doubles the true derivative (so it is seen)."""
    f = lib.custom_vjp(lambda p, x: xp.tanh(p["w"] * x + p["b"][0]))

    def fwd(p, x):
        y = xp.tanh(p["w"] * x + p["b"][0])
        return y, (p, x, y)

    def bwd(res, g):
        p, x, y = res
        d = 2.0 * g * (1 - y * y)
        return {"w": d * x, "b": (xp.sum(d),)}, d * p["w"]
    f.defvjp(fwd, bwd)
    return f


def _layer_jvp(lib, xp):
    f = lib.custom_jvp(lambda p, x: xp.sin(p["w"]) * x)

    def rule(primals, tangents):
        (p, x), (tp, tx) = primals, tangents
        return xp.sin(p["w"]) * x, 3.0 * (xp.cos(p["w"]) * tp["w"] * x + xp.sin(p["w"]) * tx)
    f.defjvp(rule)
    return f


def test_custom_vjp_with_a_dict_argument_like_jax():
    p, x = {"w": np.array([0.5, -1.0]), "b": (np.array(0.25),)}, np.array([1.0, 2.0])
    loss_bc = lambda p, x: bnp.sum(_layer(bc, bnp)(p, x) ** 2)
    loss_jx = lambda p, x: jnp.sum(_layer(jax, jnp)(p, x) ** 2)
    g = bc.grad(loss_bc, argnums=(0, 1))(p, x)
    with jax.enable_x64(True):
        gj = jax.grad(loss_jx, argnums=(0, 1))(p, x)
    assert jax.tree_util.tree_structure(g) == jax.tree_util.tree_structure(gj)
    for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(gj)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # forward mode transposes the rule
    tp = {"w": np.array([1.0, 0.0]), "b": (np.array(1.0),)}
    _, t = bc.jvp(lambda p: _layer(bc, bnp)(p, x), (p,), (tp,))
    y = np.tanh(p["w"] * x + 0.25)
    np.testing.assert_allclose(t, 2.0 * (1 - y * y) * (tp["w"] * x + 1.0), rtol=1e-12)


def test_custom_jvp_with_a_dict_argument_like_jax():
    p, x = {"w": np.array([0.5, -1.0])}, np.array([1.0, 2.0])
    g = bc.grad(lambda p: bnp.sum(_layer_jvp(bc, bnp)(p, x)))(p)
    with jax.enable_x64(True):
        gj = jax.grad(lambda p: jnp.sum(_layer_jvp(jax, jnp)(p, x)))(p)
    np.testing.assert_allclose(g["w"], gj["w"], rtol=1e-12)
    np.testing.assert_allclose(g["w"], 3.0 * np.cos(p["w"]) * x, rtol=1e-12)


def test_custom_vjp_cotangent_of_the_wrong_structure_is_named():
    f = bc.custom_vjp(lambda p: p["w"] * 2.0)
    f.defvjp(lambda p: (p["w"] * 2.0, None), lambda res, g: ([g * 2.0],))
    with pytest.raises(ValueError, match=r"cotangent of structure list of 1 for argument 'p' of structure dict\(w\)"):
        bc.grad(lambda w: bnp.sum(f({"w": w})))(np.ones(2))


def test_function_forward_runs_without_recording_like_torch():
    # PyTorch runs Function.forward under no_grad: a value it closes over gets no gradient through the
    # forward value, only through what backward computes (recorded under create_graph)
    import torch

    class TorchScaled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * yt

        @staticmethod
        def backward(ctx, g):
            return g * yt

    yt = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    out_t = TorchScaled.apply(xt)
    (gx_t,) = torch.autograd.grad(out_t, xt, create_graph=True)
    (out_t + gx_t).backward()

    y = bc.tensor(3.0, requires_grad=True)
    x = bc.tensor(2.0, requires_grad=True)
    out = _scaled_product(y, "Function", "bc")(x)
    gx = bc.grad(lambda x: _scaled_product(y, "Function", "bc")(x))(x)
    (out + gx).backward()
    assert float(gx.data) == gx_t.item() and y.grad == yt.grad.item() == 1.0
