"""backchain.autograd.misc and .test_util against autograd's."""
import importlib

import numpy as onp
import pytest

from ._oracle import assert_same, check, modules

rng = onp.random.default_rng(3)
X = rng.standard_normal(3)
M = rng.standard_normal((2, 3))
A = 0.3 * rng.standard_normal((3, 3))
TREE = {"w": M, "layers": [X, (1.5, onp.ones((2, 2)))], "b": onp.array(0.5)}


def sub(ag, name):
    return importlib.import_module(f"{ag.__name__}.{name}")


def flatten_program(ag, np):
    flatten = sub(ag, "misc").flatten
    flat, unflatten = flatten(TREE)
    back = unflatten(flat * 2.0)
    # differentiable both ways: through flatten and through unflatten
    g1 = ag.grad(lambda t: np.sum(flatten(t)[0] ** 2))(TREE)
    g2 = ag.grad(lambda v: np.sum(unflatten(v)["layers"][1][1] * 3.0) + unflatten(v)["layers"][1][0] ** 2)(flat)
    return flat, back, g1, g2


def flatten_func_program(ag, np):
    flatten_func = sub(ag, "misc.flatten").flatten_func
    f, unflatten, x = flatten_func(lambda p, s: {"a": p[0] * s, "b": np.sin(p[1])}, [X, M])
    return f(x, 2.0), unflatten(x)


def quadratic_grad(target):
    return lambda p, i: {"w": 2 * (p["w"] - target) * (1 + 0.1 * i % 3), "v": [p["v"][0] * 0.5]}


def optimizer_program(name, **kw):
    def program(ag, np):
        opt = getattr(sub(ag, "misc.optimizers"), name)
        trail = []
        x0 = {"w": M, "v": [X]}
        out = opt(quadratic_grad(onp.ones((2, 3))), x0, callback=lambda x, i, g: trail.append((x, i, g)), **kw)
        return out, trail
    return program


def meta_program(ag, np):
    """The optimizers are differentiable: the gradient of the final loss in the step size."""
    sgd = sub(ag, "misc.optimizers").sgd

    def final_loss(step):
        x = sgd(lambda x, i: 2 * (x - 3.0), onp.zeros(2), num_iters=20, step_size=step)
        return np.sum((x - 3.0) ** 2)

    return ag.grad(final_loss)(0.1)


def fixed_point_program(ag, np):
    fixed_point = sub(ag, "misc.fixed_points").fixed_point
    newton_sqrt = lambda a: lambda x: 0.5 * (x + a / x)  # noqa: E731
    dist = lambda x, y: np.abs(x - y)  # noqa: E731
    f = lambda a: fixed_point(newton_sqrt, a, 1.0, dist, 1e-13)  # noqa: E731
    contraction = lambda a: lambda x: np.tanh(np.dot(a, x)) + 0.5  # noqa: E731
    g = lambda a: np.sum(fixed_point(contraction, a, onp.zeros(3), lambda x, y: np.max(np.abs(x - y)), 1e-14))  # noqa
    return f(2.0), ag.grad(f)(2.0), ag.grad(g)(A)


PROGRAMS = {
    "flatten": flatten_program,
    "flatten_func": flatten_func_program,
    "sgd": optimizer_program("sgd", num_iters=30, step_size=0.05, mass=0.8),
    "rmsprop": optimizer_program("rmsprop", num_iters=30, step_size=0.05),
    "adam": optimizer_program("adam", num_iters=30, step_size=0.05),
    "adam defaults": optimizer_program("adam"),
    "optimizer meta-gradient": meta_program,
    "fixed_point": fixed_point_program,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_same_as_autograd(name):
    check(PROGRAMS[name])


def test_const_graph_gives_the_same_values():
    def program(ag, np):
        f = sub(ag, "misc").const_graph(lambda x: np.sum(np.sin(x) * x))
        return [f(X), f(X * 2.0)]

    check(program)


def const_graph_program(ag, np):
    """Replays: values, how often the function and a primitive of the user's run, a nested grad inside,
    a primitive with two results, a bound argument, and the gradient of a replay."""
    extend = sub(ag, "extend")
    const_graph = sub(ag, "misc").const_graph
    calls, seen = [], []

    @extend.primitive
    def tag(v, name):
        seen.append(name)
        return v

    extend.defvjp(tag, lambda ans, v, name: lambda g: g)

    @extend.primitive
    def split(v):
        return v * 2.0, onp.sum(v)

    extend.defvjp(split, lambda ans, v: lambda g: g[0] * 2.0 + g[1] * onp.ones_like(v))

    def f(x, y, scale):
        calls.append(None)
        x, y = tag(x, "x"), tag(y, "y")
        inner = ag.grad(lambda u: np.sum(np.sin(u) * u))(x * y)
        a, b = split(np.tanh(x) * scale)
        return np.sum(inner * a) + b * np.sum(y ** 2)

    g = const_graph(f, scale=1.5)
    x1, y1 = M[0], M[1]
    x2, y2 = M[1] * 0.5, M[0] - 1.0
    values = [g(x1, y1), g(x2, y2), g(x2 * 3.0, y1)]
    direct = [f(x2, y2, 1.5)]
    grads = ag.grad(lambda x, y: g(x, y) ** 2, (0, 1))(x2, y2)
    return values, direct, grads, len(calls), seen


def const_graph_first_traced_program(ag, np):
    """The first call inside a gradient (its graph is freed by that backward pass), then replays."""
    g = sub(ag, "misc").const_graph(lambda x, y: np.sum(np.tanh(x * y) ** 2) + np.sum(np.exp(-x)))
    first = ag.grad(g, (0, 1))(M[0], M[1])
    return first, g(M[1], M[0]), ag.grad(g)(M[0] * 0.5, M[1]), ag.grad(g, 1)(M[1], M[0] + 1.0)


def test_const_graph_first_call_traced_as_autograd():
    check(const_graph_first_traced_program)


def test_const_graph_replays_as_autograd():
    _, _, _, ncalls, seen = check(const_graph_program)
    assert ncalls == 2 and seen == ["x", "y", "x", "y", "x", "y", "x", "y", "x", "y"]


def test_const_graph_errors():
    import backchain.autograd.numpy as np
    from backchain.autograd.misc import const_graph

    with pytest.raises(ValueError, match="const_graph: the output of <lambda> is independent of its input"):
        const_graph(lambda x: np.ones(2))(X)
    with pytest.raises(TypeError, match="const_graph: argument 0 is int64 .shape .3,..; only float and complex"):
        const_graph(lambda x: x * 2.0)(onp.arange(3))
    g = const_graph(lambda x, y: x * y)
    g(1.0, 2.0)
    with pytest.raises(TypeError, match="const_graph: <lambda> was recorded with 2 argument.s., called with 1"):
        g(1.0)


@pytest.mark.parametrize("which", ["autograd", "backchain"])
def test_check_grads_passes_and_fails_as_autograd(which):
    ag, np = modules(which)
    e = sub(ag, "extend")
    check_grads = sub(ag, "test_util").check_grads
    check_grads(lambda x, y: np.sum(np.tanh(x) * y ** 2), modes=["rev"], order=2)(X, M[:, 0:1])
    check_grads(lambda x: np.sum(np.exp(x) * np.sin(x)))(X)
    check_grads(lambda x, y: np.sum(x * np.cos(y)), (0, 1), modes=["fwd", "rev"], order=1)(X, X[::-1])

    wrong = e.primitive(lambda x: x ** 2)
    e.defvjp(wrong, lambda ans, x: lambda g: g * 3 * x)  # should be 2 x
    e.defjvp(wrong, lambda g, ans, x: g * 3 * x)
    for modes in (["rev"], ["fwd"]):
        with pytest.raises(AssertionError):
            check_grads(lambda x: np.sum(wrong(x)), modes=modes, order=1)(X)


@pytest.mark.parametrize("which", ["autograd", "backchain"])
def test_check_grads_names_the_failing_order(which):
    """A wrong VJP of a function used inside another primitive's VJP is caught at second order, by name."""
    ag, np = modules(which)
    e = sub(ag, "extend")
    check_grads = sub(ag, "test_util").check_grads

    @e.primitive
    def scaled(x):
        return x * 2.0

    @e.primitive
    def inner(x):
        return x

    e.defvjp(scaled, lambda ans, x: lambda g: inner(g) * 2)
    e.defvjp(inner, lambda ans, x: lambda g: g * 1.001)
    check_grads(scaled, modes=["rev"], order=1)(1.0)
    with pytest.raises(AssertionError, match=r"\(VJP\) check of vjp_scaled failed"):
        check_grads(scaled, modes=["rev"])(1.0)
    e.defvjp(scaled, lambda ans, x: lambda g: g * 2.001)
    with pytest.raises(AssertionError, match=r"\(VJP\) check of scaled failed"):
        check_grads(scaled, modes=["rev"])(1.0)


@pytest.mark.parametrize("which", ["autograd", "backchain"])
def test_check_grads_of_containers_and_third_order(which):
    ag, np = modules(which)
    check_grads = sub(ag, "test_util").check_grads
    modes = ["rev"] if which == "autograd" else ["fwd", "rev"]  # autograd has no JVP of eigh
    check_grads(lambda a: ag.tuple(np.linalg.eigh(a)), modes=modes)(M.T @ M + onp.diag([1.0, 2.0, 3.0]))
    # autograd has no JVP of its dict and list constructors
    check_grads(lambda x: ag.dict(a=np.sin(x), b=ag.list([x ** 2, np.sum(x)])), modes=["rev"])(X)
    check_grads(lambda x, y: np.dot(x, y), (0, 1), order=3)(X, M.T)


def test_scalar_close_and_check_equivalent():
    import autograd.test_util as theirs
    from backchain.autograd import test_util as mine

    for a, b in ((1.0, 1.0 + 1e-8), (1.0, 1.1), (0.0, 1e-7), (1e9, 1e9 + 10.0)):
        assert mine.scalar_close(a, b) == theirs.scalar_close(a, b)
    mine.check_equivalent([X, {"a": 2.0}], [X.copy(), {"a": 2.0}])
    with pytest.raises(AssertionError, match="VSpace mismatch"):
        mine.check_equivalent(X, M)
    with pytest.raises(AssertionError, match="Value mismatch"):
        mine.check_equivalent(X, X + 1.0)


def test_combo_check():
    ag, np = modules("backchain")
    combo_check = sub(ag, "test_util").combo_check
    seen = []
    combo_check(lambda x, k=1.0: seen.append(k) or np.sin(x) * k, [0], modes=["rev"], order=1)([0.5, 1.0], k=[2.0, 3.0])
    assert sorted(set(seen)) == [2.0, 3.0]
    with pytest.raises(ValueError, match="check_grads: modes must be a list"):
        sub(ag, "test_util").check_grads(np.sin, modes="rev")(1.0)


def test_const_graph_keeps_the_steps_not_the_arrays_of_the_first_call():
    import gc
    import tracemalloc

    import backchain.autograd.numpy as np
    from backchain.autograd.misc import const_graph

    x = onp.linspace(0.0, 1.0, 200_000)  # 1.6 MB; the first call makes four arrays of that size
    g = const_graph(lambda v: np.sum(np.sin(np.exp(v) * 2.0) ** 2))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        first = g(x)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 400_000, f"const_graph keeps {kept} bytes after its first call"
    assert onp.isclose(g(x), first, rtol=1e-14) and onp.isclose(first, onp.sum(onp.sin(onp.exp(x) * 2.0) ** 2))
