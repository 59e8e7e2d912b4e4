"""backchain.autograd's differential operators against HIPS autograd on the same programs."""
import sys

import numpy as onp
import pytest

import backchain.autograd as bag
from ._oracle import assert_same, check

rng = onp.random.default_rng(0)
X = rng.standard_normal(3)
Y = rng.standard_normal(3)
A = rng.standard_normal((3, 3))
W = rng.standard_normal((2, 3))


def loss(np):
    def f(w, x, y):
        return np.sum((np.tanh(np.dot(w, x)) - y[:2]) ** 2)
    return f


PROGRAMS = {
    # grad: scalar and array arguments, argnum int and tuple, currying, kwargs
    "grad scalar": lambda ag, np: ag.grad(np.sin)(0.7),
    "grad array": lambda ag, np: ag.grad(lambda x: np.sum(np.exp(x) * x))(X),
    "grad argnum": lambda ag, np: ag.grad(loss(np), 1)(W, X, Y),
    "grad argnum tuple": lambda ag, np: ag.grad(loss(np), (0, 2))(W, X, Y),
    "grad argnum list": lambda ag, np: ag.grad(loss(np), [1, 0])(W, X, Y),
    "grad kwargs": lambda ag, np: ag.grad(lambda x, p=2.0: np.sum(x ** p))(X, p=3.0),
    "grad list arg": lambda ag, np: ag.grad(lambda xs: np.sum(xs[0] * xs[1]) + xs[2] ** 2)([X, Y, 1.5]),
    "grad tuple arg": lambda ag, np: ag.grad(lambda xs: np.sum(np.sin(xs[0])) * xs[1])((X, 2.0)),
    "grad dict arg": lambda ag, np: ag.grad(lambda d: np.sum(d["w"] @ d["x"]) * d["s"])(
        {"w": W, "x": X, "s": 0.5}),
    "grad nested containers": lambda ag, np: ag.grad(
        lambda p: np.sum(p["layers"][0][0] ** 2) + np.sum(p["layers"][1][1] * p["b"]))(
        {"layers": [(W, X), (Y, X)], "b": Y}),
    "grad of grad": lambda ag, np: ag.grad(ag.grad(np.tanh))(0.3),
    "grad 3rd order": lambda ag, np: ag.grad(ag.grad(ag.grad(lambda x: np.sin(x) * x ** 3)))(0.4),
    "grad closure over outer": lambda ag, np: ag.grad(lambda x: x * ag.grad(lambda y: x * y ** 2)(2.0))(3.0),
    "grad integer array": lambda ag, np: ag.elementwise_grad(lambda t: t ** 2 + 1.0)(onp.array([1, 2, 3])),
    "grad integer argnum 1": lambda ag, np: ag.elementwise_grad(lambda p, t: np.exp(-p * t), argnum=1)(
        0.5, onp.arange(4)),
    "grad complex": lambda ag, np: ag.grad(lambda z: np.abs(z) ** 2)(1.0 + 2.0j),
    "grad float32": lambda ag, np: ag.grad(lambda x: np.sum(x ** 2))(onp.float32([1.0, 2.0])),
    # value_and_grad, grad_and_aux, grad_named, multigrad handled below
    "value_and_grad": lambda ag, np: ag.value_and_grad(loss(np))(W, X, Y),
    "value_and_grad tuple": lambda ag, np: ag.value_and_grad(loss(np), (0, 1))(W, X, Y),
    "grad_and_aux": lambda ag, np: ag.grad_and_aux(lambda x: (np.sum(x ** 2), np.cos(x)))(X),
    "grad_named": lambda ag, np: ag.grad_named(lambda w, x, y: np.sum(np.dot(w, x) * y[:2]), "x")(W, X, Y),
    # elementwise_grad, deriv, holomorphic_grad
    "elementwise_grad": lambda ag, np: ag.elementwise_grad(np.tanh)(A),
    "elementwise_grad 2nd": lambda ag, np: ag.elementwise_grad(ag.elementwise_grad(np.sin))(X),
    "deriv": lambda ag, np: ag.deriv(lambda x: np.sin(x) * x)(0.8),
    "deriv array": lambda ag, np: ag.deriv(lambda x: np.cumsum(x ** 2))(X),
    "holomorphic_grad": lambda ag, np: ag.holomorphic_grad(lambda z: np.exp(z) * z ** 2)(0.3 + 0.4j),
    # jacobian, hessian
    "jacobian": lambda ag, np: ag.jacobian(lambda x: np.tanh(np.dot(A, x)))(X),
    "jacobian matrix in": lambda ag, np: ag.jacobian(lambda w: np.dot(w, X))(W),
    "jacobian argnum": lambda ag, np: ag.jacobian(lambda w, x: np.sin(np.dot(w, x)), 1)(W, X),
    "jacobian scalar": lambda ag, np: ag.jacobian(lambda x: x ** 3)(2.0),
    "jacobian of jacobian": lambda ag, np: ag.jacobian(ag.jacobian(lambda x: np.sin(x) * np.sum(x)))(X),
    "hessian": lambda ag, np: ag.hessian(lambda x: np.sum(np.sin(x) * x ** 2) + np.dot(x, np.dot(A, x)))(X),
    "hessian argnum": lambda ag, np: ag.hessian(loss(np), 1)(W, X, Y),
    "hessian matrix": lambda ag, np: ag.hessian(lambda w: np.sum(np.tanh(np.dot(w, X)) ** 2))(W),
    # make_vjp, make_jvp
    "make_vjp": lambda ag, np: (lambda vjp_ans: (vjp_ans[0](Y), vjp_ans[1]))(
        ag.make_vjp(lambda x: np.sin(x) * np.sum(x))(X)),
    "make_vjp argnum": lambda ag, np: (lambda vjp_ans: (vjp_ans[0](onp.ones(2)), vjp_ans[1]))(
        ag.make_vjp(lambda w, x: np.dot(w, x), 1)(W, X)),
    "make_vjp argnum tuple": lambda ag, np: ag.make_vjp(lambda w, x: np.dot(w, x), (0, 1))(W, X)[0](
        onp.array([1.0, -2.0])),
    "make_jvp": lambda ag, np: ag.make_jvp(lambda x: np.sin(x) * np.sum(x))(X)(Y),
    "make_jvp argnum": lambda ag, np: ag.make_jvp(lambda w, x: np.tanh(np.dot(w, x)), 0)(W, X)(W * 0.5),
    "make_jvp_reversemode": lambda ag, np: __import__(ag.__name__ + ".differential_operators", fromlist=["x"])
    .make_jvp_reversemode(lambda x: np.tanh(np.dot(A, x)))(X)(Y),
    # Hessian products, GGN
    "make_hvp": lambda ag, np: (lambda h: (h[0](Y), h[1]))(
        ag.make_hvp(lambda x: np.sum(np.sin(x) ** 2) * np.sum(x))(X)),
    "make_hvp argnum": lambda ag, np: ag.make_hvp(loss(np), 0)(W, X, Y)[0](W),
    "hessian_tensor_product": lambda ag, np: ag.hessian_tensor_product(lambda x: np.sum(np.exp(x) * x ** 2))(X, Y),
    "hessian_vector_product argnum": lambda ag, np: ag.hessian_vector_product(loss(np), 1)(W, X, Y, X),
    "hessian_tensor_product matrix": lambda ag, np: ag.hessian_tensor_product(
        lambda w: np.sum(np.tanh(np.dot(w, X)) ** 2))(W, W),
    "tensor_jacobian_product": lambda ag, np: ag.tensor_jacobian_product(lambda x: np.tanh(np.dot(A, x)))(X, Y),
    "vector_jacobian_product argnum": lambda ag, np: ag.vector_jacobian_product(
        lambda w, x: np.sin(np.dot(w, x)), 0)(W, X, onp.array([1.0, 2.0])),
    "make_ggnvp": lambda ag, np: ag.make_ggnvp(lambda x: np.tanh(np.dot(A, x)))(X)(Y),
    "make_ggnvp g and argnum": lambda ag, np: ag.make_ggnvp(
        lambda w, x: np.dot(w, x), lambda z: np.sum(np.exp(z)), 0)(W, X)(W),
    # checkpoint
    "checkpoint": lambda ag, np: ag.grad(lambda x: np.sum(ag.checkpoint(lambda y: np.tanh(np.sin(y) * y))(x)))(X),
    "checkpoint two args": lambda ag, np: ag.grad(
        lambda w, x: np.sum(ag.checkpoint(lambda a, b: np.tanh(np.dot(a, b)))(w, x) ** 2), (0, 1))(W, X),
    "checkpoint second order": lambda ag, np: ag.grad(ag.grad(lambda x: ag.checkpoint(np.sin)(x) * x))(0.6),
    # differentiable containers and type queries
    "builtins tuple": lambda ag, np: ag.grad(lambda x: np.sum(ag.tuple((x, x * 2))[1]))(X),
    "builtins list dict": lambda ag, np: ag.grad(
        lambda x: np.sum(ag.dict(a=x, b=ag.list([x, x ** 2]))["b"][1]))(X),
    "builtins isinstance type": lambda ag, np: ag.grad(
        lambda x: (2.0 if ag.isinstance(x, onp.ndarray) and ag.type(x) is onp.ndarray else 3.0) * np.sum(x))(X),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_same_as_autograd(name):
    check(PROGRAMS[name])


def test_multigrad_dict(monkeypatch):
    import inspect

    monkeypatch.setitem(sys.modules, "funcsigs", inspect)  # autograd imports funcsigs, not installed here

    def program(ag, np):
        def f(w, x, *rest, scale=2.0, **kw):
            return np.sum(np.dot(w, x)) * scale + sum(r ** 2 for r in rest) + kw["b"] * 3.0
        out = ag.multigrad_dict(f)(W, X, 1.0, 2.0, b=0.5)
        return list(out.keys()), dict(out)

    check(program)


def test_results_are_plain_arrays():
    import backchain.autograd.numpy as np

    g = bag.grad(lambda x: np.sum(x ** 2))(X)
    assert type(g) is onp.ndarray
    vjp, ans = bag.make_vjp(np.sin)(X)
    assert type(ans) is onp.ndarray and type(vjp(Y)) is onp.ndarray
    assert type(bag.hessian(lambda x: np.sum(x ** 3))(X)) is onp.ndarray


def test_operator_names_follow_autograd():
    import autograd

    f = lambda x, y: x * y  # noqa: E731
    assert bag.grad(f, 1).__name__ == autograd.grad(f, 1).__name__ == "grad_of_<lambda>_wrt_argnum_1"
    assert bag.jacobian.__name__ == "jacobian" and bag.make_vjp.__name__ == "make_vjp"


def test_argnum_errors():
    with pytest.raises(TypeError, match=r"grad: argnum must be an int or a tuple"):
        bag.grad(lambda x: x, "x")
    with pytest.raises(ValueError, match=r"grad: argnum=3 but <lambda> was called with 2 positional"):
        bag.grad(lambda x, y: x * y, 3)(1.0, 2.0)
    with pytest.raises(ValueError, match=r"grad_named: .* has no argument named 'z'"):
        bag.grad_named(lambda x, y: x * y, "z")


def test_grad_refuses_what_autograd_refuses():
    import autograd
    import backchain.autograd.numpy as np

    for ag in (autograd, bag):  # a non-scalar output, a Python int argument
        with pytest.raises(TypeError):
            ag.grad(lambda x: x ** 2)(X)
        with pytest.raises(TypeError):
            ag.grad(lambda x: x ** 2)(3)
    with pytest.raises(TypeError, match=r"grad: can't differentiate with respect to int 3 \(as autograd\)"):
        bag.grad(lambda x: x ** 2)(3)
    with pytest.raises(TypeError, match=r"make_jvp: can't differentiate with respect to bool True"):
        bag.make_jvp(lambda x: x)(True)
    with pytest.raises(TypeError, match=r"deriv: can't differentiate with respect to int64 np.int64\(2\)"):
        bag.deriv(lambda x: x)(onp.int64(2))
    with pytest.raises(TypeError, match="grad: only applies to real scalar-output functions"):
        bag.grad(lambda x: np.sin(x))(X)
    with pytest.raises(TypeError, match="elementwise_grad: only applies to real-output"):
        bag.elementwise_grad(lambda x: x * 1j)(X)
    with pytest.raises(TypeError, match="grad_and_aux: .* must return a pair"):
        bag.grad_and_aux(lambda x: x ** 2)(1.0)


def test_holomorphic_grad_warns_on_real_input():
    import autograd

    for ag in (autograd, bag):
        with pytest.warns(UserWarning, match="not complex"):
            ag.holomorphic_grad(lambda z: z ** 2)(1.0)


def test_checked_against_an_independent_computation():
    # the oracle is autograd; this pins one value by hand so a shared mistake cannot pass
    assert_same(bag.grad(lambda x: x ** 3)(2.0), 12.0)
    assert_same(bag.hessian(lambda x: x[0] ** 2 * x[1])(onp.array([1.0, 2.0])),
                onp.array([[4.0, 2.0], [2.0, 0.0]]))


def test_module_names_that_libraries_import():
    """Modules of autograd's that libraries import directly (lifelines, py_wake): the same names here."""
    import autograd.numpy as anp
    from autograd.numpy.numpy_vjps import unbroadcast_f as their_unbroadcast_f

    from backchain.autograd.core import defvjp, make_vjp, primitive  # noqa: F401
    from backchain.autograd.differential_operators import elementwise_grad, make_jvp_reversemode  # noqa: F401
    from backchain.autograd.numpy.numpy_boxes import ArrayBox
    from backchain.autograd.numpy.numpy_vjps import unbroadcast_f
    from backchain.autograd.tracer import getval, isbox
    import backchain.autograd.numpy as np

    g = onp.arange(6.0).reshape(2, 3) + 1.0
    for target in (onp.ones(3), onp.ones((1, 3)), onp.ones((2, 1)), 2.0):
        assert_same(unbroadcast_f(target, lambda g: g * 2.0)(g), their_unbroadcast_f(target, lambda g: g * 2.0)(g))
    seen = []
    bag.grad(lambda x: seen.append((isinstance(x, ArrayBox), isbox(x), type(getval(x)))) or np.sum(x))(X)
    assert seen == [(True, True, onp.ndarray)]
    vjp, ans = make_vjp(np.sin, X)
    assert_same(vjp(Y), onp.cos(X) * Y)
    p = primitive(lambda x, y: x * y)
    defvjp(p, lambda ans, x, y: unbroadcast_f(x, lambda g: g * y), lambda ans, x, y: unbroadcast_f(y, lambda g: g * x))
    assert_same(bag.grad(lambda a, b: np.sum(p(a, b)), (0, 1))(A, X), (onp.ones((3, 3)) * X, onp.sum(A, axis=0)))
    assert anp is not np
