"""backchain.autograd.extend: primitives declared with autograd's conventions, against autograd itself."""
import importlib

import numpy as onp
import pytest

from ._oracle import assert_same, check, modules

rng = onp.random.default_rng(2)
X = rng.standard_normal(3)
Y = rng.standard_normal(3)
M = rng.standard_normal((2, 3))


def ext(ag):
    return importlib.import_module(ag.__name__ + ".extend")


def square(ag, np):
    e = ext(ag)

    @e.primitive
    def f(x):
        return x * x

    e.defvjp(f, lambda ans, x: lambda g: g * 2 * x)
    return f


def logsumexp(ag, np):
    e = ext(ag)

    @e.primitive
    def lse(x, axis=None):
        m = onp.max(x, axis=axis, keepdims=True)
        return onp.squeeze(m, axis=axis) + onp.log(onp.sum(onp.exp(x - m), axis=axis))

    def lse_vjp(ans, x, axis=None):
        shape = [1] * onp.ndim(x) if axis is None else list(onp.shape(x))
        if axis is not None:
            shape[axis] = 1
        return lambda g: np.reshape(g, shape) * np.exp(x - np.reshape(ans, shape))

    e.defvjp(lse, lse_vjp)
    return lse


def mul(ag, np):
    """Two arguments that broadcast: the makers undo broadcasting, as autograd requires."""
    e = ext(ag)

    @e.primitive
    def f(x, y):
        return x * y

    def unbroadcast(target, g):
        while np.ndim(g) > np.ndim(target):
            g = np.sum(g, axis=0)
        return g

    e.defvjp(f, lambda ans, x, y: lambda g: unbroadcast(x, g * y), lambda ans, x, y: lambda g: unbroadcast(y, g * x))
    return f


def sincos(ag, np):
    """Two results: the VJP gets a tuple of cotangents."""
    e = ext(ag)

    @e.primitive
    def f(x):
        return onp.sin(x), onp.cos(x)

    e.defvjp(f, lambda ans, x: lambda g: g[0] * np.cos(x) - g[1] * np.sin(x))
    return f


def scaled(ag, np):
    """Non-array arguments (a callable, a number, a keyword), and argnums= for the differentiable one."""
    e = ext(ag)

    @e.primitive
    def f(fn, x, k, power=2):
        return fn(x) * k ** power

    e.defvjp(f, lambda ans, fn, x, k, power=2: lambda g: g * np.cos(x) * k ** power, argnums=(1,))
    return f


PROGRAMS = {
    "defvjp 1st": lambda ag, np: ag.grad(square(ag, np))(3.0),
    "defvjp 2nd": lambda ag, np: ag.grad(ag.grad(square(ag, np)))(3.0),
    "defvjp 3rd": lambda ag, np: ag.grad(ag.grad(ag.grad(lambda x: square(ag, np)(x) * x)))(1.5),
    "defvjp elementwise": lambda ag, np: ag.elementwise_grad(lambda x: square(ag, np)(np.sin(x)))(X),
    "defvjp hessian": lambda ag, np: ag.hessian(lambda x: np.sum(square(ag, np)(x) * np.tanh(x)))(X),
    "defvjp in a closure": lambda ag, np: ag.grad(lambda x: ag.grad(lambda y: square(ag, np)(x * y))(2.0))(0.7),
    "logsumexp": lambda ag, np: ag.grad(lambda x: logsumexp(ag, np)(x) * 2.0)(X),
    "logsumexp axis kw": lambda ag, np: ag.grad(lambda a: np.sum(logsumexp(ag, np)(a, axis=1) ** 2))(M),
    "logsumexp hessian": lambda ag, np: ag.hessian(lambda x: logsumexp(ag, np)(x))(X),
    "logsumexp make_hvp": lambda ag, np: ag.make_hvp(lambda x: logsumexp(ag, np)(x * x))(X)[0](Y),
    "two args broadcasting": lambda ag, np: ag.grad(lambda a, x: np.sum(np.sin(mul(ag, np)(a, x))), (0, 1))(M, X),
    "two args 2nd order": lambda ag, np: ag.hessian(lambda x: np.sum(mul(ag, np)(x, np.exp(x))))(X),
    "two results": lambda ag, np: ag.grad(lambda x: np.sum(sincos(ag, np)(x)[0] * 3.0 + sincos(ag, np)(x)[1]))(X),
    "two results one used": lambda ag, np: ag.grad(lambda x: np.sum(sincos(ag, np)(x)[1] ** 2))(X),
    "two results 2nd order": lambda ag, np: ag.hessian(lambda x: np.sum(sincos(ag, np)(x)[0] * X))(X),
    "argnums and non-arrays": lambda ag, np: ag.grad(lambda x: scaled(ag, np)(onp.sin, x, 3.0, power=3))(0.4),
    "argnums 2nd order": lambda ag, np: ag.grad(ag.grad(lambda x: scaled(ag, np)(onp.sin, x, 3.0)))(0.4),
}


def argnum_makers(ag, np):
    e = ext(ag)
    f = e.primitive(lambda x, y: onp.sin(x) * y)
    e.defvjp_argnum(f, lambda argnum, ans, args, kwargs: (
        (lambda g: g * np.cos(args[0]) * args[1]) if argnum == 0 else (lambda g: g * np.sin(args[0]))))
    h = e.primitive(lambda x, y: onp.sin(x) * y)
    e.defvjp_argnums(h, lambda argnums, ans, args, kwargs: lambda g: [
        g * np.cos(args[0]) * args[1] if i == 0 else g * np.sin(args[0]) for i in argnums])
    return [ag.grad(f, (0, 1))(0.3, 2.0), ag.grad(h, (0, 1))(0.3, 2.0), ag.grad(ag.grad(h, 0), 1)(0.3, 2.0),
            ag.grad(ag.grad(f))(0.3, 2.0)]


def jvps(ag, np):
    e = ext(ag)
    f = e.primitive(lambda x: onp.exp(x) * 2.0)
    e.defjvp(f, lambda g, ans, x: g * ans)
    e.defvjp(f, lambda ans, x: lambda g: g * ans)
    lin = e.primitive(lambda x, y: 3.0 * x - y)
    e.defjvp(lin, "same", "same")
    e.defvjp(lin, lambda ans, x, y: lambda g: 3.0 * g, lambda ans, x, y: lambda g: -g)
    tr = e.primitive(lambda a: onp.transpose(a))
    e.def_linear(tr)
    e.defvjp(tr, lambda ans, a: lambda g: np.transpose(g))
    k = e.primitive(lambda x, y: x * onp.sin(y))
    e.defjvp_argnum(k, lambda argnum, g, ans, args, kwargs: g * np.sin(args[1]) if argnum == 0
                    else g * args[0] * np.cos(args[1]))
    return [ag.make_jvp(f)(X)(Y), ag.deriv(f)(0.5), ag.make_jvp(lin, (0, 1))(X, Y)((Y, X)),
            ag.make_jvp(tr)(M)(M * 2.0), ag.make_jvp(k, (0, 1))(0.5, 0.2)((1.0, 2.0)),
            ag.make_jvp(lambda x: np.sum(f(x) * lin(x, x)))(X)(Y),
            ag.grad(lambda x: np.sum(tr(x) ** 2))(M)]


def notrace(ag, np):
    e = ext(ag)
    argmax = e.notrace_primitive(onp.argmax)
    return ag.grad(lambda x: x[argmax(x)] ** 2 + np.sum(x))(X)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_same_as_autograd(name):
    check(PROGRAMS[name])


@pytest.mark.parametrize("program", [argnum_makers, jvps, notrace])
def test_makers_same_as_autograd(program):
    check(program)


def test_forward_mode_from_the_vjp_alone():
    """autograd has no JVP for a primitive given VJPs only; backchain transposes them (the same Jacobian)."""
    import autograd

    ag, np = modules("backchain")
    bx = logsumexp(ag, np)
    with pytest.raises(NotImplementedError, match="JVP of lse"):
        autograd.make_jvp(logsumexp(autograd, importlib.import_module("autograd.numpy")))(X)(Y)
    want = autograd.jacobian(lambda a: logsumexp(autograd, importlib.import_module("autograd.numpy"))(a, axis=1))(M)
    for m in range(2):
        for n in range(3):
            e = onp.zeros_like(M)
            e[m, n] = 1.0
            assert_same(ag.make_jvp(lambda a: bx(a, axis=1))(M)(e)[1], want[:, m, n])
    got = ag.make_jvp(sincos(ag, np))(X)(Y)
    assert_same(got, ((onp.sin(X), onp.cos(X)), (onp.cos(X) * Y, -onp.sin(X) * Y)))
    assert_same(ag.deriv(ag.grad(square(ag, np)))(3.0), 2.0)  # forward over reverse


def test_rules_set_after_use_apply():
    ag, np = modules("backchain")
    e = ext(ag)
    f = e.primitive(lambda x: x * 3.0)
    with pytest.raises(NotImplementedError, match=r"VJP of <lambda> wrt argnums \(0,\) not defined"):
        ag.grad(f)(1.0)
    e.defvjp(f, lambda ans, x: lambda g: 3.0 * g)
    assert_same(ag.grad(f)(1.0), 3.0)
    e.defvjp(f, lambda ans, x: lambda g: 4.0 * g)  # redefined, as autograd allows
    assert_same(ag.grad(f)(1.0), 4.0)


def test_missing_vjp_for_an_argument_is_refused_as_in_autograd():
    for which in ("autograd", "backchain"):
        ag, np = modules(which)
        e = ext(ag)
        f = e.primitive(lambda x, y: x * y)
        e.defvjp(f, lambda ans, x, y: lambda g: g * y)
        with pytest.raises(NotImplementedError, match=r"VJP of <lambda> wrt argnum"):
            ag.grad(f, 1)(2.0, 3.0)


def test_primitive_plain_call_and_errors():
    ag, np = modules("backchain")
    e = ext(ag)
    f = square(ag, np)
    assert f(3.0) == 9.0 and f.fun(2.0) == 4.0 and f.__name__ == "f"
    with pytest.raises(TypeError, match="defvjp_argnums: 'sin' is not a primitive"):
        e.defvjp(onp.sin, lambda ans, x: lambda g: g)
    with pytest.raises(TypeError, match="defvjp: bad VJP 3"):
        e.defvjp(f, 3)
    d = e.primitive(lambda x: {"a": x})
    with pytest.raises(NotImplementedError, match="a dict result cannot be traced"):
        ag.grad(lambda x: d(x)["a"])(1.0)


def test_box_and_vspace():
    import autograd.extend as aext

    ag, np = modules("backchain")
    e = ext(ag)
    seen = []
    ag.grad(lambda x: seen.append(isinstance(x, e.Box)) or x * 2.0)(1.0)
    assert seen == [True] and not isinstance(1.0, e.Box) and not isinstance(X, e.Box)
    with pytest.raises(NotImplementedError, match="Box.register: backchain traces arrays only"):
        e.Box.register(dict)
    with pytest.raises(NotImplementedError, match="VSpace.register"):
        e.VSpace.register(set)
    for value in (X, 1.5, 1.0 + 2.0j, M.astype(onp.complex128), [X, (1.0, M)], {"a": X, "b": 2.0}):
        mine, theirs = e.vspace(value), aext.vspace(value)
        assert mine.size == theirs.size and mine.iscomplex == theirs.iscomplex
        assert_same(mine.zeros(), theirs.zeros())
        assert_same(mine.ones(), theirs.ones())
        assert_same(list(mine.standard_basis()), list(theirs.standard_basis()))
        assert_same(mine.inner_prod(mine.ones(), value), theirs.inner_prod(theirs.ones(), value))
        onp.random.seed(0)
        a = mine.randn()
        onp.random.seed(0)
        assert_same(a, theirs.randn())
    assert e.vspace(X) == e.vspace(Y) and e.vspace(X) != e.vspace(M)
    with pytest.raises(TypeError, match="vspace: can't find a vector space for a value of type str"):
        e.vspace("x")


def _deprecated_methods_program(ag, np):
    import warnings
    core = importlib.import_module(ag.__name__ + ".core")
    a, b = onp.array([[1.0, -2.0], [0.5, 3.0]]), onp.array([[2.0, 1.0], [-1.0, 0.25]])
    mul = core.primitive(lambda x, y: x * y)
    mul2 = core.primitive(lambda x, y: x * y)
    zero = core.primitive(lambda x, y: 0.0 * x * y)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        mul.defgrad(lambda ans, x, y: lambda g: y * g)
        mul.defgrad(lambda ans, x, y: lambda g: x * g, argnum=1)
        mul2.defvjp(lambda g, ans, vs, gvs, x, y: y * g * vs.size)   # vs: x's vector space, gvs: g's
        mul2.defvjp(lambda g, ans, vs, gvs, x, y: x * g * gvs.size, argnum=1)
        zero.defvjp_is_zero([0, 1])
    texts = sorted({str(m.message).split("method")[0].strip() for m in w})
    loss = lambda f: lambda x, y: np.sum(np.sin(f(x, y)))  # noqa: E731
    return (texts, ag.grad(loss(mul), (0, 1))(a, b), ag.grad(loss(mul2), (0, 1))(a, b),
            ag.grad(loss(zero), (0, 1))(a, b))


def _primitive_vjps_program(ag, np):
    core = importlib.import_module(ag.__name__ + ".core")
    extend = importlib.import_module(ag.__name__ + ".extend")
    cube = extend.primitive(lambda x: x ** 3)
    before = cube in core.primitive_vjps
    core.primitive_vjps[cube] = lambda argnums, ans, args, kwargs: lambda g: [3 * args[0] ** 2 * g]
    g1 = ag.grad(cube)(2.0)
    maker = core.primitive_vjps.pop(cube)
    missing = core.primitive_vjps.pop(cube, None)
    try:
        ag.grad(cube)(2.0)
        refused = False
    except NotImplementedError:
        refused = True
    core.primitive_vjps[cube] = maker
    return before, g1, missing, refused, ag.grad(cube)(3.0), core.primitive_vjps.pop(np.iscomplex, None)


def _quick_grad_check_program(ag, np):
    import warnings
    util = importlib.import_module(ag.__name__ + ".util")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        util.quick_grad_check(lambda x, y: np.sum(np.sin(x) * y), onp.array([0.5, 1.5]), (2.0,))
        try:
            util.quick_grad_check(_wrong_sin(ag), onp.array([0.5, 1.5]))
            caught = "no error"
        except AssertionError:
            caught = "AssertionError"
    return util.subvals((1, 2, 3), [(0, 9)]), util.subval((1, 2), 1, 0), caught, \
        sorted({str(m.message).split("function")[0].strip() for m in w})


def _wrong_sin(ag):
    extend = importlib.import_module(ag.__name__ + ".extend")
    f = extend.primitive(onp.sin)
    extend.defvjp(f, lambda ans, x: lambda g: 2.0 * g * onp.cos(x))  # wrong by a factor 2
    return f


@pytest.mark.parametrize("program", [_deprecated_methods_program, _primitive_vjps_program, _quick_grad_check_program])
def test_autograd_core_deprecated_and_tables_same_as_autograd(program):
    check(program)


def test_primitive_vjps_lists_primitives_with_vjps():
    import backchain.autograd.extend as extend
    from backchain.autograd.core import primitive_vjps

    f = extend.primitive(lambda x: 2.0 * x)
    assert f not in primitive_vjps and f not in list(primitive_vjps)
    extend.defvjp(f, lambda ans, x: lambda g: 2.0 * g)
    assert f in list(primitive_vjps) and primitive_vjps[f] is f.vjp_argnums
    del primitive_vjps[f]
    assert f not in primitive_vjps
    with pytest.raises(KeyError):
        del primitive_vjps[f]
