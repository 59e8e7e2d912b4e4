"""``backchain.autograd.extend``: autograd's way of declaring primitives, over backchain's primitives.

``primitive(f)`` makes a plain-NumPy function ``f`` traceable; ``defvjp`` and
``defjvp`` (and their ``_argnum`` / ``_argnums`` forms, ``def_linear``) give
its rules with autograd's conventions: a VJP *maker* ``(ans, *args, **kwargs)
-> (g -> cotangent)``, a JVP ``(g, ans, *args, **kwargs) -> tangent``. The
rules run in backchain's engine: written with ``backchain.autograd.numpy``
they are differentiable again (any order), and a primitive with VJPs only gets
forward mode by transposing them (exact, since a VJP is linear in ``g``).

One difference of timing: autograd calls a VJP maker during the forward pass,
backchain during the backward pass (with the same arguments).

>>> import backchain.autograd as ag, backchain.autograd.numpy as np
>>> from backchain.autograd.extend import primitive, defvjp
>>> @primitive
... def square(x):
...     return x * x
>>> defvjp(square, lambda ans, x: lambda g: g * 2 * x)
>>> float(ag.grad(square)(3.0)), float(ag.grad(ag.grad(square))(3.0))
(6.0, 2.0)
"""
import functools
import itertools
import threading
import weakref

import numpy as np

from .. import transforms as _bc
from .._core.primitive import Joint
from .._core.primitive import primitive as _bc_primitive
from .._core.tensor import Tensor
from ._vspace import VSpace, vspace

__all__ = ["primitive", "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp", "defjvp_argnum", "defjvp_argnums",
           "def_linear", "notrace_primitive", "Box", "VSpace", "vspace"]


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _traced(x):
    return isinstance(x, Tensor) and x.requires_grad


class _Answers(threading.local):
    """The forward value of the primitive call in progress (computed once, before the node is made)."""

    def __init__(self):
        self.stack = []


_ANSWERS = _Answers()
# Every live primitive declared here: the keys of ``backchain.autograd.core.primitive_vjps``.
PRIMITIVES = weakref.WeakSet()


class _Pending:
    """The implementation in a primitive's node: the answer its call computed (``owner`` is the primitive)."""

    __slots__ = ("owner",)

    def __init__(self, owner):
        self.owner = owner

    def __call__(self, *args, **kwargs):
        return _ANSWERS.stack.pop()


class Primitive:
    """A function made traceable by :func:`primitive`; its rules are set by ``defvjp`` and ``defjvp``.

    Called with no traced argument, it is a plain call of ``fun``. Otherwise
    ``fun`` runs on the arguments' arrays and one node of backchain's graph
    records the call; its rules are looked up when they run, so rules given
    later apply to every later derivative.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import primitive, defvjp
    >>> cube = primitive(lambda x: x ** 3)
    >>> defvjp(cube, lambda ans, x: lambda g: 3 * x ** 2 * g)
    >>> float(ag.grad(cube)(2.0))
    12.0
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vjp_argnums = None  # autograd's form: (argnums, ans, args, kwargs) -> g -> cotangents
        self.jvp_argnums = None  # (argnums, gs, ans, args, kwargs) -> tangent
        self.name = getattr(fun, "__name__", "primitive")
        PRIMITIVES.add(self)
        what = f"primitive {self.name}"
        joint = Joint(self._vjps)
        pending = _Pending(self)
        self._one = _bc_primitive(what, pending, vjp=joint, jvp=self._jvp, variadic=True, register=False)
        self._many = _bc_primitive(what, pending, vjp=joint, jvp=self._jvp, variadic=True,
                                   multiple_results=True, register=False)

    def __call__(self, *args, **kwargs):
        if not any(_traced(a) for a in args):
            return self.fun(*[_data(a) for a in args], **kwargs)
        ans = self.fun(*[_data(a) for a in args], **kwargs)
        if isinstance(ans, dict):
            raise NotImplementedError(f"primitive {self.name}: a dict result cannot be traced by backchain "
                                      "(return a tuple or list of arrays)")
        many = isinstance(ans, (tuple, list))
        stack = _ANSWERS.stack
        depth = len(stack)
        stack.append(tuple(ans) if many else ans)
        try:
            out = (self._many if many else self._one)(*args, **kwargs)
        finally:
            del stack[depth:]  # the answer is taken by _Pending, unless the call failed before
        return type(ans)(out) if many else out

    def __get__(self, obj, objtype=None):  # a primitive used as a method binds like a function
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f"<backchain.autograd primitive {self.name}>"

    @staticmethod
    def _user_ans(ans, g):
        """The output and cotangent as the rules expect them: a tuple for a primitive with several results."""
        if isinstance(g, list):
            return tuple(ans), tuple(g)
        return ans, g

    def _vjps(self, needs, g, ans, *args, **kwargs):
        argnums = tuple(i for i, need in enumerate(needs) if need)
        if not argnums:
            return (None,) * len(args)
        if self.vjp_argnums is None:
            raise NotImplementedError(f"VJP of {self.name} wrt argnums {argnums} not defined "
                                      "(backchain.autograd.extend.defvjp)")
        ans, g = self._user_ans(ans, g)
        cts = list(self.vjp_argnums(argnums, ans, tuple(args), kwargs)(g))
        out = [None] * len(args)
        for i, c in zip(argnums, cts):
            out[i] = c
        return tuple(out)

    def _jvp(self, i, t, ans, *args, **kwargs):
        many = isinstance(t, list) or isinstance(ans, (tuple, list))
        if self.jvp_argnums is not None:
            user_ans = tuple(ans) if many else ans
            out = self.jvp_argnums((i,), (t,), user_ans, tuple(args), kwargs)
        elif self.vjp_argnums is not None:
            out = self._transposed_vjp(i, t, ans, args, kwargs)
        else:
            raise NotImplementedError(f"JVP of {self.name} wrt argnums {(i,)} not defined "
                                      "(backchain.autograd.extend.defjvp, or defvjp to transpose)")
        return list(out) if isinstance(out, (tuple, list)) else out

    def _transposed_vjp(self, i, t, ans, args, kwargs):
        """Forward mode from the VJP of argument ``i``: the transpose of the map ``g -> vjp_i(g)``."""
        many = isinstance(ans, (tuple, list)) or (isinstance(ans, Tensor) and isinstance(ans._data, tuple))
        outs = list(ans) if many else [ans]
        zeros = [np.zeros_like(np.asarray(_data(o))) for o in outs]

        def linear(*u):
            g = tuple(u) if many else u[0]
            c = list(self.vjp_argnums((i,), tuple(outs) if many else ans, tuple(args), kwargs)(g))[0]
            return np.zeros_like(np.asarray(_data(args[i]))) if c is None else c

        _, vjp_fn = _bc.vjp(linear, *zeros)
        cts = vjp_fn(t)
        return list(cts) if many else cts[0]


def primitive(f_raw):
    """Make ``f_raw`` (a function of plain arrays) traceable; give its derivatives with :func:`defvjp`.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> from backchain.autograd.extend import primitive, defvjp
    >>> @primitive
    ... def logsumexp(x):
    ...     m = np.max(x)
    ...     return m + np.log(np.sum(np.exp(x - m)))
    >>> defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
    >>> ag.grad(logsumexp)(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    return Primitive(f_raw)


def _check(fun, what):
    if not isinstance(fun, Primitive):
        raise TypeError(f"{what}: {getattr(fun, '__name__', fun)!r} is not a primitive; wrap it with "
                        "backchain.autograd.extend.primitive first")


def defvjp_argnums(fun, vjpmaker):
    """Set all VJPs of ``fun`` at once: ``vjpmaker(argnums, ans, args, kwargs)`` returns ``g -> cotangents``.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import primitive, defvjp_argnums
    >>> mul = primitive(lambda x, y: x * y)
    >>> defvjp_argnums(mul, lambda argnums, ans, args, kwargs: lambda g: [g * args[1 - i] for i in argnums])
    >>> ag.grad(mul, (0, 1))(2.0, 3.0)
    (np.float64(3.0), np.float64(2.0))
    """
    _check(fun, "defvjp_argnums")
    fun.vjp_argnums = vjpmaker


def defvjp_argnum(fun, vjpmaker):
    """Set the VJPs of ``fun`` by one maker ``vjpmaker(argnum, ans, args, kwargs) -> (g -> cotangent)``.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import primitive, defvjp_argnum
    >>> mul = primitive(lambda x, y: x * y)
    >>> defvjp_argnum(mul, lambda argnum, ans, args, kwargs: lambda g: g * args[1 - argnum])
    >>> float(ag.grad(mul, 1)(2.0, 3.0))
    2.0
    """
    def vjp_argnums(argnums, *args):
        vjps = [vjpmaker(argnum, *args) for argnum in argnums]
        return lambda g: [vjp(g) for vjp in vjps]

    defvjp_argnums(fun, vjp_argnums)


def defvjp(fun, *vjpmakers, **kwargs):
    """Set the VJP makers of ``fun``, one per argument: ``maker(ans, *args, **kwargs) -> (g -> cotangent)``.

    ``None`` marks an argument whose cotangent is zero; ``argnums=`` says which
    arguments the makers belong to (default 0, 1, 2, ...). The cotangent must
    have the argument's shape (undo broadcasting in the maker, as in autograd).

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import primitive, defvjp
    >>> mul = primitive(lambda x, y: x * y)
    >>> defvjp(mul, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x)
    >>> ag.grad(mul, (0, 1))(2.0, 3.0)
    (np.float64(3.0), np.float64(2.0))
    """
    argnums = kwargs.get("argnums", itertools.count())
    makers = {}
    for argnum, maker in zip(argnums, vjpmakers):
        if maker is not None and not callable(maker):
            raise TypeError(f"defvjp: bad VJP {maker!r} for {getattr(fun, '__name__', fun)}, argument {argnum}")
        makers[argnum] = maker

    def vjp_argnums(argnums, ans, args, kw):
        missing = [i for i in argnums if i not in makers]
        if missing:
            raise NotImplementedError(f"VJP of {getattr(fun, '__name__', fun)} wrt argnums {tuple(missing)} not "
                                      "defined")
        vjps = [None if makers[i] is None else makers[i](ans, *args, **kw) for i in argnums]
        return lambda g: [None if vjp is None else vjp(g) for vjp in vjps]

    defvjp_argnums(fun, vjp_argnums)


def defjvp_argnums(fun, jvpmaker):
    """Set the JVPs of ``fun`` at once: ``jvpmaker(argnums, gs, ans, args, kwargs)`` returns the output tangent.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import primitive, defjvp_argnums
    >>> sq = primitive(lambda x: x * x)
    >>> defjvp_argnums(sq, lambda argnums, gs, ans, args, kwargs: 2 * args[0] * gs[0])
    >>> float(ag.deriv(sq)(3.0))
    6.0
    """
    _check(fun, "defjvp_argnums")
    fun.jvp_argnums = jvpmaker


def defjvp_argnum(fun, jvpmaker):
    """Set the JVPs of ``fun`` by one function ``jvpmaker(argnum, g, ans, args, kwargs) -> tangent``.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import primitive, defjvp_argnum
    >>> mul = primitive(lambda x, y: x * y)
    >>> defjvp_argnum(mul, lambda argnum, g, ans, args, kwargs: g * args[1 - argnum])
    >>> ag.make_jvp(mul, 0)(2.0, 3.0)(1.0)
    (np.float64(6.0), np.float64(3.0))
    """
    def jvp_argnums(argnums, gs, ans, args, kwargs):
        return _sum(jvpmaker(argnum, g, ans, args, kwargs) for argnum, g in zip(argnums, gs))

    defjvp_argnums(fun, jvp_argnums)


def _sum(parts):
    total = None
    for p in parts:
        if total is None:
            total = p
        elif isinstance(p, (tuple, list)):
            total = type(p)(a + b for a, b in zip(total, p))
        else:
            total = total + p
    return total


def defjvp(fun, *jvpfuns, **kwargs):
    """Set the JVPs of ``fun``, one per argument: ``jvp(g, ans, *args, **kwargs) -> tangent``.

    ``None`` marks an argument with a zero tangent; ``"same"`` an argument in
    which ``fun`` is linear (its JVP is ``fun`` applied to the tangent).

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> from backchain.autograd.extend import primitive, defjvp
    >>> sin = primitive(np.sin)
    >>> defjvp(sin, lambda g, ans, x: g * np.cos(x))
    >>> float(ag.deriv(sin)(0.0))
    1.0
    """
    argnums = kwargs.get("argnums", itertools.count())
    jvps = {}
    for argnum, jvpfun in zip(argnums, jvpfuns):
        if jvpfun is None:
            jvps[argnum] = lambda g, ans, *a, **k: _zeros_like(ans)
        elif isinstance(jvpfun, str) and jvpfun == "same":
            jvps[argnum] = functools.partial(_same, fun, argnum)
        elif callable(jvpfun):
            jvps[argnum] = jvpfun
        else:
            raise TypeError(f"defjvp: bad JVP {jvpfun!r} for {getattr(fun, '__name__', fun)}, argument {argnum}")

    def jvp_argnums(argnums, gs, ans, args, kw):
        missing = [i for i in argnums if i not in jvps]
        if missing:
            raise NotImplementedError(f"JVP of {getattr(fun, '__name__', fun)} wrt argnums {tuple(missing)} not "
                                      "defined")
        return _sum(jvps[i](g, ans, *args, **kw) for i, g in zip(argnums, gs))

    defjvp_argnums(fun, jvp_argnums)


def _zeros_like(ans):
    if isinstance(ans, (tuple, list)):
        return type(ans)(_zeros_like(a) for a in ans)
    return np.zeros_like(np.asarray(_data(ans)))


def _same(fun, argnum, g, ans, *args, **kwargs):
    args = list(args)
    args[argnum] = g
    return fun(*args, **kwargs)


def def_linear(fun):
    """Declare ``fun`` linear in each argument: its JVP applies ``fun`` to the tangent (VJPs are still given).

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> from backchain.autograd.extend import primitive, def_linear
    >>> double = primitive(lambda x: 2.0 * x)
    >>> def_linear(double)
    >>> ag.make_jvp(double)(np.array([1.0, 2.0]))(np.array([1.0, 0.0]))
    (array([2., 4.]), array([2., 0.]))
    """
    defjvp_argnum(fun, lambda argnum, g, ans, args, kwargs: _same(fun, argnum, g, ans, *args, **kwargs))


def notrace_primitive(f_raw):
    """Wrap ``f_raw`` so that it runs on the arrays of its arguments and is never traced (no derivative).

    >>> import numpy as onp, backchain.autograd as ag
    >>> from backchain.autograd.extend import notrace_primitive
    >>> argmax = notrace_primitive(onp.argmax)
    >>> float(ag.grad(lambda x: x[argmax(x)] ** 2)(onp.array([1.0, 3.0, 2.0]))[1])
    6.0
    """
    @functools.wraps(f_raw)
    def f_wrapped(*args, **kwargs):
        return f_raw(*[_data(a) for a in args], **kwargs)

    f_wrapped._is_primitive = True
    return f_wrapped


class _BoxMeta(type):
    def __instancecheck__(cls, instance):
        return _traced(instance)


class Box(metaclass=_BoxMeta):
    """What autograd calls a Box: a traced value. In backchain that is a Tensor that requires grad.

    ``isinstance(x, Box)`` tells whether ``x`` is traced, as in autograd; new
    Box types cannot be registered (backchain traces arrays only).

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.extend import Box
    >>> ag.grad(lambda x: x * float(isinstance(x, Box)))(2.0), isinstance(2.0, Box)
    (np.float64(1.0), False)
    """

    def __new__(cls, *args, **kwargs):
        raise NotImplementedError("backchain.autograd.extend.Box: values are traced as backchain Tensors; "
                                  "a Box cannot be made by hand")

    @classmethod
    def register(cls, value_type):
        raise NotImplementedError(f"backchain.autograd.extend.Box.register: backchain traces arrays only; "
                                  f"values of type {getattr(value_type, '__name__', value_type)} cannot be traced")
