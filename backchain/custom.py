"""Your own derivative rules, four ways, each composing with every transform:

* ``custom_vjp`` / ``custom_jvp`` (JAX style): a function with a hand-written
  reverse- or forward-mode rule;
* ``Function`` (PyTorch style): a class with ``forward(ctx, ...)`` and
  ``backward(ctx, *grads)``;
* ``elementwise(derivative=...)``: a plain-NumPy elementwise function and its
  derivative as a function of ``(x, y)``;
* ``defprimitive``: the same one-row declaration the library uses for its own
  primitives, exported into ``backchain.numpy``.

A hand-written rule gives one mode; the other is derived by transposition,
which is exact when the rule is written with ``backchain.numpy`` (it is linear
in the cotangent or tangent): the JVP of a ``custom_vjp`` is the transpose of
its ``bwd``, the VJP of a ``custom_jvp`` the transpose of its JVP. Under higher
order, rules receive Tensors and are recorded like any other code.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np

from ._core.primitive import LOOP, REGISTRY, Joint, primitive
from ._core.tensor import Tensor, _seq, _state
from .transforms import RULES, tree_flatten, tree_structure

__all__ = ["custom_vjp", "custom_jvp", "Function", "FunctionCtx", "elementwise", "defprimitive", "Joint"]


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _is_traced(args):
    return any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _as_tuple(out):
    return (tuple(out), False) if isinstance(out, (tuple, list)) else ((out,), True)


def _zeros_like(x):
    return np.zeros_like(np.asarray(_data(x)))


def _check_cotangents(what, cts, args, names):
    """Cotangents returned by a user rule: one per argument, with its structure (dicts, lists, tuples)
    and shapes (None: zero). Returned flat: one per leaf of the arguments."""
    if not isinstance(cts, (tuple, list)):
        cts = (cts,)
    if len(cts) != len(args):
        raise ValueError(
            f"{what}: the backward rule returned {len(cts)} cotangent(s) but the function has "
            f"{len(args)} differentiable argument(s) ({', '.join(names)}); return a tuple with one per argument")
    out = []
    for c, a, n in zip(cts, args, names):
        a_leaves = tree_flatten(a)[0]
        if c is None:
            out.extend([None] * len(a_leaves))
            continue
        if tree_structure(c) != tree_structure(a):
            raise ValueError(
                f"{what}: the backward rule returned a cotangent of structure {_describe(c)} for argument '{n}' "
                f"of structure {_describe(a)}")
        for cl, al in zip(tree_flatten(c)[0], a_leaves):
            if cl is not None and np.shape(_data(cl)) != np.shape(_data(al)):
                raise ValueError(
                    f"{what}: the backward rule returned a cotangent of shape {np.shape(_data(cl))} for argument "
                    f"'{n}' of shape {np.shape(_data(al))}")
            out.append(cl)
    return out


def _describe(x):
    """A container's structure in a few words: ``dict(w, b)``, ``list of 2``, ``array``."""
    if isinstance(x, dict):
        return f"dict({', '.join(map(str, x))})"
    if isinstance(x, (list, tuple)) and not isinstance(x, Tensor):
        return f"{type(x).__name__} of {len(x)}"
    return "array"


def _flat_cotangents(cts, memo):
    """A rule's cotangents (one per argument, None for zero) as one per leaf of the arguments."""
    cts = cts if isinstance(cts, (tuple, list)) else (cts,)
    out = []
    for c, n in zip(cts, memo.sizes):
        out.extend([None] * n if c is None else tree_flatten(c)[0])
    return out


def _run_rule(rule, *args):
    """Call a user's rule; in a first-order sweep (recording off), with recording on all the same.

    Its inputs are then plain arrays, so only a value that it closes over and that some
    computation traces is recorded: the result comes back plain, ``RULES.closures`` counts it, and
    the transform running the sweep sweeps again, recording (``transforms._vjp``), so that a
    derivative of the rule's result reaches the value (JAX gives the same).
    """
    if _state.enabled:
        return rule(*args)
    _state.enabled = True
    try:
        out = rule(*args)
    finally:
        _state.enabled = False
    leaves, rebuild = tree_flatten(out)
    if not any(isinstance(v, Tensor) for v in leaves):
        return out
    if any(isinstance(v, Tensor) and v.requires_grad for v in leaves):
        RULES.closures += 1
    return rebuild([_data(v) for v in leaves])


def _transpose(linear_fn, at, cotangent):
    """Apply the transpose of ``linear_fn`` (a linear map of ``at``'s structure) to ``cotangent``."""
    from .transforms import vjp

    _, vjp_fn = vjp(linear_fn, *at)
    return vjp_fn(cotangent)


def _arg_names(fn, n):
    try:
        import inspect

        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"arg{i}" for i in range(n)]


def _interleave(diff, nondiff, nondiff_argnums):
    """The full argument list: ``nondiff`` at the positions ``nondiff_argnums``, ``diff`` elsewhere."""
    it = iter(diff)
    return [nondiff[nondiff_argnums.index(i)] if i in nondiff_argnums else next(it)
            for i in range(len(diff) + len(nondiff))]


class _Memo:
    """Per-call storage on a graph node: residuals, the cotangents of the last ``g``, and the
    outputs as recorded over the traced values the function closes over (``closed``)."""

    __slots__ = ("res", "single", "g", "cts", "ctx", "closed", "rebuild", "sizes")

    def __init__(self):
        self.res = self.g = self.cts = self.ctx = self.closed = self.rebuild = self.sizes = None
        self.single = True


def _forward_outputs(outs, memo):
    """The arrays of a rule's forward outputs.

    The forward computation runs on plain arrays with recording on, so only a value that it closes
    over and that some computation traces is recorded; outputs computed from one are kept in
    ``memo.closed`` (see :func:`_joined`).
    """
    if any(isinstance(o, Tensor) and o.requires_grad for o in outs):
        memo.closed = [o if isinstance(o, Tensor) and o.requires_grad else None for o in outs]
    return tuple(_data(o) for o in outs)


def _joined(outs, memo):
    """The node's outputs, each joined with its recomputation over closed-over traced values.

    The rule gives the derivative in the arguments; the plain function, differentiated at the
    arguments' values, the derivative in the values it closes over (the sum is the total).
    """
    RULES.last = next(_seq)
    if memo.closed is None:
        return outs
    return tuple(o if c is None else _closure(o, c) for o, c in zip(outs, memo.closed))


_pass = (lambda g, ans, out, closed: g,) * 2
_closure = primitive("custom closure", lambda out, closed: out, vjp=_pass, jvp=_pass, saves=False,
                     register=False)


class _CustomRule:
    """What custom_vjp and custom_jvp share: the wrapped function, its static arguments, and the
    call, which is a plain call of ``fun`` unless a differentiable argument is traced."""

    _missing = "no rule yet"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._fn = None

    def _full_args(self, leaves, nondiff, memo):
        """The arguments of ``fun``: the differentiable ones rebuilt from their leaves, in place."""
        return _interleave(memo.rebuild(list(leaves)), nondiff, self.nondiff_argnums)

    def __call__(self, *args: Any) -> Any:
        if self._fn is None:
            raise TypeError(f"{type(self).__name__} {self.__name__}: {self._missing.format(self.__name__)}")
        diff = [a for i, a in enumerate(args) if i not in self.nondiff_argnums]
        leaves, rebuild = tree_flatten(diff)  # arrays in dicts, lists and tuples are inputs too
        if any(getattr(v, "_batched", False) for v in leaves):  # inside vmap: one call per example
            from ._vmap.batched import per_example
            return per_example(self, args, self.__name__)
        if not _is_traced(leaves):
            return self.fun(*args)
        nondiff = tuple(args[i] for i in self.nondiff_argnums)
        memo = _Memo()
        memo.rebuild, memo.sizes = rebuild, [len(tree_flatten(a)[0]) for a in diff]
        outs = _joined(self._fn(*leaves, nondiff=nondiff, memo=memo), memo)
        return outs[0] if memo.single else outs


class custom_vjp(_CustomRule):
    """A function with a hand-written reverse-mode rule (JAX's ``custom_vjp``).

    ``fwd(*args) -> (out, residuals)``, ``bwd(*nondiff_args, residuals, g) -> tuple``
    with one cotangent per differentiable argument, of the argument's structure
    (an argument may be a dict, list or tuple of arrays). Write ``bwd`` with
    ``backchain.numpy`` to get forward mode and higher order for free. The
    function and its rules may close over values that an enclosing transform
    differentiates (see docs/rules/custom_vjp.md).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> @bc.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (bnp.clip(g, -1.0, 1.0),))
    >>> float(bc.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
    1.0
    """

    _missing = "no rule yet; call {0}.defvjp(fwd, bwd)"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd: Callable[..., tuple[Any, Any]], bwd: Callable[..., Any]) -> None:
        """Set the forward (with residuals) and backward rules."""
        self.fwd, self.bwd = fwd, bwd
        name = getattr(self.fun, "__name__", "f")
        what = f"custom_vjp {name}"

        full_args = self._full_args

        def impl(*leaves, nondiff, memo):
            out, res = fwd(*full_args(leaves, nondiff, memo))
            memo.res = res
            outs, memo.single = _as_tuple(out)
            return _forward_outputs(outs, memo)

        def residuals(args, nondiff, memo):
            if _is_traced(args):  # higher order: residuals that carry the graph
                _, res = fwd(*full_args(args, nondiff, memo))
                return res
            return memo.res

        def cotangents(g, ans, args, nondiff, memo):
            if memo.g is g:
                return memo.cts
            g_user = g[0] if memo.single else tuple(g)
            cts = _run_rule(bwd, *nondiff, residuals(args, nondiff, memo), g_user)
            diff = memo.rebuild(list(args))
            names = [n for i, n in enumerate(_arg_names(self.fun, len(diff) + len(nondiff)))
                     if i not in self.nondiff_argnums]
            memo.g, memo.cts = g, _check_cotangents(what, cts, diff, names)
            return memo.cts

        def vjp_rule(i, g, ans, *args, nondiff, memo):
            return cotangents(g, ans, args, nondiff, memo)[i]

        def transposed_bwd(i, t, ans, args, nondiff, memo):
            res = residuals(args, nondiff, memo)

            def linear(*u):
                g_user = u[0] if memo.single else tuple(u)
                c = _flat_cotangents(bwd(*nondiff, res, g_user), memo)[i]
                return c if c is not None else _zeros_like(args[i])
            return list(_transpose(linear, [_zeros_like(o) for o in ans], t))

        def jvp_rule(i, t, ans, *args, nondiff, memo):
            return _run_rule(transposed_bwd, i, t, list(ans), args, nondiff, memo)

        self._fn = primitive(what, impl, vjp=vjp_rule, jvp=jvp_rule, variadic=True,
                             multiple_results=True, register=False)
        return None


class custom_jvp(_CustomRule):
    """A function with a hand-written forward-mode rule (JAX's ``custom_jvp``).

    ``jvp(primals, tangents) -> (out, tangent_out)``, linear in ``tangents``;
    reverse mode transposes it (write it with ``backchain.numpy``). Arguments
    may be dicts, lists and tuples of arrays; ``tangents`` then has their structure.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> @bc.custom_jvp
    ... def log1pexp(x):
    ...     return bnp.log(1.0 + bnp.exp(x))
    >>> @log1pexp.defjvp
    ... def _(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t * (1.0 - 1.0 / (1.0 + bnp.exp(x)))
    >>> float(bc.grad(log1pexp)(100.0))
    1.0
    """

    _missing = "no rule yet; use @{0}.defjvp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp: Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[Any, Any]]
               ) -> Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[Any, Any]]:
        """Set the forward-mode rule; usable as a decorator."""
        self.jvp = jvp
        name = getattr(self.fun, "__name__", "f")
        what = f"custom_jvp {name}"

        full_args = self._full_args

        def impl(*leaves, nondiff, memo):
            outs, memo.single = _as_tuple(self.fun(*full_args(leaves, nondiff, memo)))
            return _forward_outputs(outs, memo)

        def tangent_out(i, t, args, nondiff, memo):
            tangents = memo.rebuild([t if j == i else _zeros_like(a) for j, a in enumerate(args)])
            _, tout = _run_rule(jvp, *nondiff, tuple(memo.rebuild(list(args))), tuple(tangents))
            touts, _ = _as_tuple(tout)
            return list(touts)

        def jvp_rule(i, t, ans, *args, nondiff, memo):
            return tangent_out(i, t, args, nondiff, memo)

        def transposed_jvp(i, g, args, nondiff, memo):
            def linear(t):
                return tuple(tangent_out(i, t, args, nondiff, memo))
            (c,) = _transpose(linear, [_zeros_like(args[i])], tuple(g))
            return c

        def vjp_rule(i, g, ans, *args, nondiff, memo):
            return _run_rule(transposed_jvp, i, g, args, nondiff, memo)

        self._fn = primitive(what, impl, vjp=vjp_rule, jvp=jvp_rule, variadic=True,
                             multiple_results=True, register=False)
        return jvp


class FunctionCtx:
    """The ``ctx`` of a :class:`Function`: what ``forward`` leaves for ``backward``.

    backchain makes one per call of ``apply`` and passes it to both static methods.

    Attributes
    ----------
    needs_input_grad : tuple of bool
        For each argument of ``forward``, whether its gradient is wanted.
    saved_tensors : tuple
        What ``forward`` passed to ``save_for_backward`` (read in ``backward``).

    Examples
    --------
    >>> import backchain as bc
    >>> class Cube(bc.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         print("needs_input_grad:", ctx.needs_input_grad)
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x ** 2 * g
    >>> x = bc.tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward()
    needs_input_grad: (True,)
    >>> float(x.grad)
    12.0
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._swap = None

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for ``backward`` (inputs and outputs stay differentiable under higher order)."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._swap is None:
            return self._saved
        return tuple(self._swap.get(id(s), s) for s in self._saved)


class Function:
    """A PyTorch-style operation: subclass with static ``forward(ctx, *args)`` and
    ``backward(ctx, *grads)``, then call ``MyOp.apply(*args)``.

    ``forward`` receives arrays (the data of Tensor arguments) and runs without
    recording; ``backward`` returns one gradient per argument of ``forward``
    (``None`` for non-array arguments). Written with ``backchain.numpy``, the
    backward is differentiable again, and forward mode comes by transposition.

    >>> import backchain as bc
    >>> class Cube(bc.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x ** 2 * g
    >>> x = bc.tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward()
    >>> float(x.grad)
    12.0
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("Function subclasses define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("Function subclasses define backward(ctx, *grads)")

    @classmethod
    def _primitive(cls):
        fn = cls.__dict__.get("_bc_fn")
        if fn is not None:
            return fn
        what = f"Function {cls.__name__}"

        def impl(*arrays, static, slots, memo):
            full = list(static)
            for s, a in zip(slots, arrays):
                full[s] = a
            prev = _state.enabled
            _state.enabled = False  # as PyTorch: forward runs without recording, whatever it closes over
            try:
                outs, memo.single = _as_tuple(cls.forward(memo.ctx, *full))
            finally:
                _state.enabled = prev
            memo.res = ([id(a) for a in arrays], [id(o) for o in outs])
            return tuple(_data(o) for o in outs)

        def with_swap(args, ans, memo):
            ctx = memo.ctx
            if _is_traced(args):
                in_ids, out_ids = memo.res
                swap = dict(zip(in_ids, args))
                swap.update(zip(out_ids, list(ans)))
                ctx._swap = swap
            else:
                ctx._swap = None
            return ctx

        def cotangents(g, ans, args, static, slots, memo):
            if memo.g is g:
                return memo.cts
            ctx = with_swap(args, ans, memo)
            grads = _run_rule(cls.backward, ctx, *g)
            grads = grads if isinstance(grads, (tuple, list)) else (grads,)
            if len(grads) != len(static):
                raise ValueError(
                    f"{what}: backward returned {len(grads)} gradient(s) but forward takes {len(static)} "
                    "argument(s); return one per argument (None for those without a gradient)")
            names = _arg_names(cls.forward, len(static) + 1)[1:]
            memo.g = g
            memo.cts = _check_cotangents(what, [grads[s] for s in slots], args, [names[s] for s in slots])
            return memo.cts

        def vjp_rule(i, g, ans, *args, static, slots, memo):
            return cotangents(g, ans, args, static, slots, memo)[i]

        def transposed_backward(i, t, ans, args, slots, memo):
            def linear(*u):
                ctx = with_swap(args, ans, memo)
                grads = cls.backward(ctx, *u)
                grads = grads if isinstance(grads, (tuple, list)) else (grads,)
                c = grads[slots[i]]
                return c if c is not None else _zeros_like(args[i])
            return list(_transpose(linear, [_zeros_like(o) for o in ans], t))

        def jvp_rule(i, t, ans, *args, static, slots, memo):
            return _run_rule(transposed_backward, i, t, ans, args, slots, memo)

        fn = primitive(what, impl, vjp=vjp_rule, jvp=jvp_rule, variadic=True,
                       multiple_results=True, register=False)
        cls._bc_fn = fn
        return fn

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` and record the operation when an argument requires grad."""
        if any(getattr(a, "_batched", False) for a in args):  # inside vmap: one call per example
            from ._vmap.batched import per_example
            return per_example(cls.apply, args, cls.__name__)
        slots = tuple(i for i, a in enumerate(args) if isinstance(a, (Tensor, np.ndarray)))
        arrays = [args[i] for i in slots]
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        memo = _Memo()
        memo.ctx = FunctionCtx(needs)
        static = tuple(None if i in slots else a for i, a in enumerate(args))
        if not _is_traced(arrays):
            out = cls.forward(memo.ctx, *[_data(a) for a in args])
            return out
        outs = _joined(cls._primitive()(*arrays, static=static, slots=slots, memo=memo), memo)
        return outs[0] if memo.single else outs


@overload
def elementwise(fn: None = None, *, derivative: Callable[[Any, Any], Any]
                ) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]: ...
@overload
def elementwise(fn: Callable[[Any], Any], *, derivative: Callable[[Any, Any], Any]) -> Callable[[Any], Any]: ...
def elementwise(fn: Callable[[Any], Any] | None = None, *, derivative: Callable[[Any, Any], Any]) -> Any:
    """Declare a plain-NumPy elementwise function with its derivative ``derivative(x, y)``.

    ``y`` is ``fn(x)``. Write ``derivative`` with ``backchain.numpy`` for higher order.

    >>> import numpy as np, backchain as bc
    >>> @bc.elementwise(derivative=lambda x, y: np.where(x > 0, 1.0, 0.1))
    ... def leaky(x):
    ...     return np.where(x > 0, x, 0.1 * x)
    >>> bc.elementwise_grad(leaky)(np.array([-2.0, 3.0]))
    array([0.1, 1. ])
    """
    def wrap(f):
        p = primitive(f"elementwise {getattr(f, '__name__', 'f')}", f,
                      deriv=(lambda ans, x: derivative(x, ans),), register=False)
        return functools.wraps(f)(lambda x: p(x))

    return wrap if fn is None else wrap(fn)


def defprimitive(name: str, impl: Callable[..., Any],
                 vjp: Sequence[Callable[..., Any] | None] | Callable[..., Any] | Joint | None = None,
                 jvp: Sequence[Callable[..., Any] | None] | Callable[..., Any] | None = None, *,
                 deriv: Sequence[Callable[..., Any] | None] | None = None, linear: bool = False,
                 variadic: bool = False, multiple_results: bool = False, kinks: Any = None, doc: str | None = None,
                 export: bool = True, batch: Any = None) -> Callable[..., Any]:
    """Declare a new primitive with the library's own one-row declaration.

    Takes the arguments of ``backchain._core.primitive.primitive`` (rules receive
    ``(g or t, ans, *args, **params)``). With ``export``, the function becomes
    ``backchain.numpy.<name>`` and NumPy's function of that name, applied to a
    Tensor, dispatches to it. Inside ``vmap`` it runs once per example (warning once) unless
    ``batch=`` gives its batching rule (``deriv=`` rows are batched by broadcasting).

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> softsign = bc.defprimitive("softsign_demo", lambda x: x / (1 + np.abs(x)),
    ...                            deriv=(lambda ans, x: 1.0 / (1.0 + bnp.abs(x)) ** 2,))
    >>> float(bc.grad(bnp.softsign_demo)(0.0))
    1.0
    """
    fn = primitive(name, impl, vjp, jvp, deriv=deriv, linear=linear, variadic=variadic,
                   multiple_results=multiple_results, kinks=kinks, doc=doc, batch=batch)
    REGISTRY[name].user = True
    if REGISTRY[name].batch is None:  # inside vmap: a loop over the examples that warns once, naming it
        REGISTRY[name].batch = LOOP
    if export:
        from . import numpy as bnp
        from ._core.tensor import FUNCTIONS, UFUNCS

        setattr(bnp, name, fn)
        np_fn = getattr(np, name, None)
        if isinstance(np_fn, np.ufunc):
            UFUNCS[np_fn] = fn
        elif callable(np_fn):
            FUNCTIONS[np_fn] = fn
    return fn
