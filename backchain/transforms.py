"""Functional transforms: grad, value_and_grad, elementwise_grad, vjp, jvp.

A transform evaluates ``f`` on fresh input tensors and differentiates with
respect to exactly those. An input that is itself traced (by an enclosing
transform or by the user) enters through an identity node, so closures over
outer values and nested transforms give correct derivatives with no
perturbation confusion: ``grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0)``
is 6. When the result depends on an enclosing computation, the inner pass is
recorded (``create_graph``) so that the outer transform can differentiate it.
"""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, ParamSpec, TypeVar

import numpy as np

from ._core import primitive as _primitive
from ._core.engine import backward_pass, forward_pass, toposort
from ._core.primitive import ELEMENTWISE, LOOP, primitive
from ._core.tensor import Tensor, _IdMap, _seq, _state, make_const

_P = ParamSpec("_P")
_R = TypeVar("_R")
# ``argnums``: one positional argument's index, or several (the result is then a tuple over them)
Argnums = int | Sequence[int]

__all__ = ["grad", "value_and_grad", "elementwise_grad", "vjp", "jvp", "jacobian", "hessian", "hvp",
           "stop_gradient", "checkpoint"]

# The identity through which a traced argument enters a transform.
_enter = primitive("input", lambda x: x, vjp=(lambda g, ans, x: g,), linear=True, batch=ELEMENTWISE)


# -- containers (dict / list / tuple of arrays) -------------------------------------

def tree_flatten(x):
    """Leaves of nested dicts, lists and tuples, and a function that rebuilds the structure."""
    if isinstance(x, (list, tuple)) and not isinstance(x, Tensor):
        parts = [tree_flatten(v) for v in x]
        leaves = [leaf for p in parts for leaf in p[0]]
        sizes = [len(p[0]) for p in parts]
        kind = type(x)

        def unflatten(vals):
            out, i = [], 0
            for (_, un), n in zip(parts, sizes):
                out.append(un(vals[i:i + n]))
                i += n
            return kind(out) if kind in (list, tuple) else kind(*out)

        return leaves, unflatten
    if isinstance(x, dict):
        keys, order = list(x), dict_order(x)
        leaves, un = tree_flatten([x[k] for k in order])

        def undict(vals):
            d = dict(zip(order, un(vals)))
            return {k: d[k] for k in keys}  # the dict's own key order

        return leaves, undict
    return [x], lambda vals: vals[0]


def dict_order(d):
    """The order in which a dict's values are leaves: sorted keys, as JAX's pytrees (so dicts with the
    same keys in another order line up), or insertion order where keys do not sort."""
    try:
        return sorted(d)
    except TypeError:
        return list(d)


class _Rules:
    """What user rules (``backchain.custom``) tell the transforms: ``last``, the creation number
    after their latest node; ``closures``, how many times a rule run in a first-order sweep
    returned a traced value (it closes over a Tensor that an enclosing computation traces)."""

    last = 0
    closures = 0


RULES = _Rules()

# The fresh input leaves of every transform -> its _Trace. Such a leaf is a variable only while the
# transform's function runs; after that (a pullback called later, inside another transform) nothing
# differentiates with respect to it, so a result that depends on it alone is a plain value.
_LEAVES = _IdMap()


def _depends_on_live(roots, boundary):
    """Whether ``roots`` depend on a traced Tensor that something may still differentiate.

    Such a Tensor is a leaf created before ``boundary`` (a user's Tensor, or the input of an
    enclosing transform while its function runs) that no finished transform owns. Nodes are
    walked through whatever their age; a released one older than ``boundary`` counts as live.
    """
    stack = [r for r in roots if isinstance(r, Tensor) and r.requires_grad]
    seen = set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._prim is None:
            trace = _LEAVES.get(t)
            if (t._seq < boundary) if trace is None else trace.running:
                return True
        elif t._params is None:
            if t._seq < boundary:
                return True
        else:
            stack.extend(p for p in t._inputs if isinstance(p, Tensor) and p.requires_grad)
    return False


def tree_structure(x):
    """The container structure of ``x`` (leaves as ``"*"``), comparable with ``==``."""
    out, stack = [], [(x, None)]
    while stack:  # no recursion: nested containers of any depth
        v, close = stack.pop()
        if close is not None:
            out.append(close)
        elif isinstance(v, dict):
            order = dict_order(v)
            out.append(("dict", tuple(order)))
            stack.append((None, ")"))
            stack.extend((v[k], None) for k in reversed(order))
        elif isinstance(v, (list, tuple)) and not isinstance(v, Tensor):
            out.append((type(v).__name__, len(v)))
            stack.append((None, ")"))
            stack.extend((e, None) for e in reversed(v))
        else:
            out.append("*")
    return tuple(out)


def _as_array(x, what):
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind not in "fc":
        raise TypeError(
            f"{what}: can only differentiate with respect to floating point or complex inputs, got "
            f"{type(x).__name__} with dtype {a.dtype} and shape {a.shape}; pass floats (e.g. 1.0, not 1)"
        )
    return a


def _make_input(x, trace):
    if isinstance(x, Tensor):
        if _traced(x):  # (an input of a bc.jit trace is not: a fresh leaf, as for an array)
            return _enter(x)
        x = x._data
    t = Tensor.__new__(Tensor)
    Tensor.__init__(t, x, requires_grad=True)
    _LEAVES[t] = trace
    return t


class _JitInput:
    """What ``_LEAVES`` holds for an input of a function that ``bc.jit`` traces: a leaf that nothing
    differentiates (it requires grad only so that the function's code takes its traced paths)."""

    running = False


JIT_INPUT = _JitInput()


def _traced(x):
    return isinstance(x, Tensor) and x.requires_grad and _LEAVES.get(x) is not JIT_INPUT


def _in_vmap():
    """The module of ``vmap``'s transforms while a ``vmap`` runs (then a transform differentiates the
    whole batch at once, backchain/_vmap/api.py), else None."""
    if _primitive._batch_hook is None:
        return None
    vm = sys.modules["backchain._vmap.api"]
    return vm if vm.active() else None


def _data(x):
    """The array inside a Tensor; anything else unchanged (never ``ndarray.data``, a buffer)."""
    return x._data if isinstance(x, Tensor) else x


class _Trace:
    """The fresh inputs of one transform and what is needed to read results back."""

    def __init__(self, leaves, what):
        self.originals = [_as_array(x, what) for x in leaves]
        self.boundary = next(_seq) + 1
        self.running = False
        self.inputs = [_make_input(x, self) for x in self.originals]
        self.enabled = _state.enabled

    def run(self, f, args):
        prev = _state.enabled
        _state.enabled = True
        self.running = True
        try:
            return f(*args)
        finally:
            _state.enabled = prev
            self.running = False

    def outer(self, roots):
        """Whether the outputs ``roots`` depend on a computation that encloses this transform."""
        order, outer = toposort([r for r in roots if isinstance(r, Tensor) and r.requires_grad], self.boundary)
        outer = outer or any(isinstance(r, Tensor) and r.requires_grad and r._seq < self.boundary for r in roots)
        return outer and _depends_on_live(roots, self.boundary)

    def may_close(self, create):
        """Whether a first-order sweep may meet a user rule that closes over a traced value."""
        return self.enabled and not create and RULES.last >= self.boundary

    def plain(self, x):
        """``x`` (a Tensor, or anything else) as a plain value unless it depends on a live traced Tensor."""
        if isinstance(x, Tensor) and not (x.requires_grad and _depends_on_live([x], self.boundary)):
            return x._data
        return x

    def roots(self, outs):
        """Outputs that belong to this trace (None for the others)."""
        return [o if isinstance(o, Tensor) and o.requires_grad and o._seq >= self.boundary else None
                for o in outs]

    def result(self, value, original, create):
        """A derivative in the type of its input: a Tensor if traced, else like the original."""
        if value is None:
            value = np.zeros_like(original._data if isinstance(original, Tensor) else original)
        if getattr(value, "_batched", False):  # a cotangent batched by vmap (jacobian rows): kept as it is
            return value
        if create and isinstance(value, Tensor) and value.requires_grad and _depends_on_live([value], self.boundary):
            return value
        if isinstance(value, Tensor):
            value = value._data
        if isinstance(original, Tensor):
            return Tensor(value)
        value = np.asarray(value)
        if value.dtype != original.dtype:
            value = value.astype(original.dtype)
        return value[()] if value.ndim == 0 else value

    def output(self, o, create):
        """A forward value: plain, or a Tensor where an enclosing computation may differentiate it."""
        if not isinstance(o, Tensor):
            return o
        return self.plain(o) if create else o._data


def _vjp(f, args, argnums, what, closed=None):
    """The forward pass and a backward function; ``closed``, a dict keyed by ``id`` of Tensors
    created before the call that ``f`` closes over, receives their cotangents (checkpoint)."""
    leaves, unflatten = tree_flatten([args[i] for i in argnums])
    trace = _Trace(leaves, what)
    new_args = list(args)
    rebuilt = unflatten(trace.inputs)
    for k, i in enumerate(argnums):
        new_args[i] = rebuilt[k]
    out = trace.run(f, new_args)
    out_leaves, out_unflatten = tree_flatten(out)
    roots = trace.roots(out_leaves)
    outer = trace.outer(out_leaves) or any(_traced(x) for x in leaves)

    def sweep(rs, seeds, create, retain):
        capture = {id(t): None for t in trace.inputs if t._prim is not None}
        seeds = seeds if create else [c._data if isinstance(c, Tensor) else c for c in seeds]
        if closed is not None:
            for k in closed:
                closed[k] = None
        found = backward_pass(rs, seeds, trace.boundary, create, retain or create, capture=capture, outer=closed)
        return [found[id(t)][1] if id(t) in found else capture.get(id(t)) for t in trace.inputs]

    def backward(cotangent, retain):
        cot_leaves, _ = tree_flatten(cotangent)
        if len(cot_leaves) != len(roots):
            raise ValueError(f"{what}: the cotangent has {len(cot_leaves)} leaves but the output has {len(roots)}")
        create = trace.enabled and (outer or any(_traced(c) for c in cot_leaves))
        rs, seeds = [], []
        for r, c in zip(roots, cot_leaves):
            if r is None:
                continue
            if np.shape(c) != np.shape(r._data):
                raise ValueError(
                    f"{what}: cotangent of shape {np.shape(c)} does not match the output of shape {np.shape(r._data)}")
            rs.append(r)
            seeds.append(c)
        # A user rule may close over a value an enclosing computation traces (custom.py notices it
        # in a first-order sweep): sweep again, recording, so that the derivative sees it.
        again, closures = trace.may_close(create), RULES.closures
        grads = sweep(rs, seeds, create, retain or again)
        if again and RULES.closures != closures:
            create = True
            grads = sweep(rs, seeds, True, True)
        return unflatten([trace.result(g, orig, create) for g, orig in zip(grads, trace.originals)])

    create_out = trace.enabled and outer
    value = out_unflatten([trace.output(o, create_out) for o in out_leaves])
    return value, backward, out_leaves, trace


def _argnums(argnums, argnum, nargs, what):
    if argnum is not None:
        argnums = argnum
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{what}: argnums={argnums} but the function was called with {nargs} positional arguments")
    return single, tuple(i % nargs for i in nums)


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False, *,
                   argnum: Argnums | None = None) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing ``f``'s value and its gradient w.r.t. ``argnums``.

    ``f`` must return a scalar (or ``(scalar, aux)`` with ``has_aux=True``).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.value_and_grad(lambda x: bnp.sum(x ** 2))(bnp.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        vm = _in_vmap()
        if vm is not None:
            return vm.value_and_grad(f, argnums if argnum is None else argnum, has_aux, args, kwargs)
        single, nums = _argnums(argnums, argnum, len(args), "grad")
        g = f if not kwargs else (lambda *a: f(*a, **kwargs))
        aux_box = []
        if has_aux:
            def g2(*a):
                res = g(*a)
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise TypeError("grad(has_aux=True): the function must return a pair (output, aux)")
                aux_box.append(res[1])
                return res[0]
            fn = g2
        else:
            fn = g
        value, backward, outs, trace = _vjp(fn, args, nums, "grad")
        o = _scalar_output(value, outs)
        seed = np.ones_like(np.asarray(_data(o)))
        grads = backward([seed], retain=False)
        grads = grads[0] if single else tuple(grads)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if has_aux:
            aux, rebuild = tree_flatten(aux_box[0])
            return (value, rebuild([trace.plain(a) for a in aux])), grads
        return value, grads

    return wrapped


def _scalar_output(value, outs):
    """The output of a function given to ``grad``, which must be a real floating-point scalar."""
    o = outs[0] if len(outs) == 1 else None
    if isinstance(value, (list, tuple, dict)):
        got = f"a {type(value).__name__} of {len(outs)} leaves"
    elif o is None or isinstance(o, (str, bytes, bool, np.bool_)) or not isinstance(
            o, (Tensor, np.ndarray, np.generic, int, float, complex)):
        got = f"{type(o).__name__} {o!r}"[:80]
    else:
        d = np.asarray(_data(o))
        if d.size != 1:
            raise TypeError(
                f"grad: the function must return a scalar (one element), got output of shape {d.shape}; "
                "use vjp or jacobian for non-scalar outputs, or elementwise_grad for a sum of elementwise outputs")
        if d.dtype.kind == "f":
            return o
        got = f"a value of dtype {d.dtype}"
        if d.dtype.kind == "c":
            raise TypeError(
                f"grad: the function must return a real scalar, got {got}; differentiate a real function of it "
                "(bnp.real, bnp.abs(z) ** 2), or use vjp or jacobian for complex outputs")
    raise TypeError(f"grad: the function must return a real floating-point scalar, got {got}")


def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False, *,
         argnum: Argnums | None = None) -> Callable[..., Any]:
    """Return a function computing the gradient of scalar-valued ``f`` w.r.t. ``argnums``.

    Arguments may be arrays, Python scalars, Tensors, or dicts/lists/tuples of
    them; the gradient has the structure, shape and dtype of the argument.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> float(bc.grad(bc.grad(bnp.tanh))(0.3))
    -0.533181...
    """
    vg = value_and_grad(f, argnums, has_aux, argnum=argnum)

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        (value, grads) = vg(*args, **kwargs)
        if has_aux:
            return grads, value[1]
        return grads

    return wrapped


def elementwise_grad(f: Callable[..., Any], argnums: Argnums = 0, *,
                     argnum: Argnums | None = None) -> Callable[..., Any]:
    """Gradient of ``sum(f(x))``: for elementwise ``f``, the derivative at each element.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.elementwise_grad(bnp.sin)(bnp.array([0.0, bnp.pi]))
    array([ 1., -1.])
    """
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        vm = _in_vmap()
        if vm is not None:
            return vm.value_and_grad(f, argnums if argnum is None else argnum, False, args, kwargs,
                                     "elementwise_grad", seed_all=True)[1]
        single, nums = _argnums(argnums, argnum, len(args), "elementwise_grad")
        g = f if not kwargs else (lambda *a: f(*a, **kwargs))
        _, backward, outs, _ = _vjp(g, args, nums, "elementwise_grad")
        seeds = [np.ones_like(np.asarray(_data(o))) for o in outs]
        grads = backward(seeds, retain=False)
        return grads[0] if single else tuple(grads)

    return wrapped


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``; ``vjp_fn(ct)`` gives one cotangent per primal.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> out, vjp_fn = bc.vjp(bnp.sin, 0.0)
    >>> vjp_fn(2.0)
    (np.float64(2.0),)
    """
    vm = _in_vmap()
    if vm is not None:
        return vm.vjp(f, primals)
    value, backward, _, _ = _vjp(f, primals, tuple(range(len(primals))), "vjp")

    def vjp_fn(cotangent):
        return tuple(backward(cotangent, retain=True))

    return value, vjp_fn


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Forward mode: ``(f(*primals), J @ tangents)`` through the primitives' JVP rules.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.jvp(bnp.sin, (0.0,), (3.0,))
    (np.float64(0.0), np.float64(3.0))
    """
    vm = _in_vmap()
    if vm is not None:
        return vm.jvp(f, tuple(primals), tuple(tangents))
    return _jvp(f, primals, tangents)


def _jvp(f, primals, tangents):
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    leaves, unflatten = tree_flatten(list(primals))
    t_leaves, _ = tree_flatten(list(tangents))
    if tree_structure(list(primals)) != tree_structure(list(tangents)):
        raise ValueError(f"jvp: the tangents' structure {tree_structure(tangents)} differs from the primals' "
                         f"{tree_structure(primals)}")
    for k, (p, t) in enumerate(zip(leaves, t_leaves)):
        if t is None:
            raise TypeError(f"jvp: tangent {k} is None, for a primal of shape {np.shape(_data(p))}; pass zeros "
                            "(bnp.zeros_like(primal)) where the direction has no component")
        if np.shape(_data(p)) != np.shape(_data(t)):
            raise ValueError(
                f"jvp: tangent of shape {np.shape(getattr(t, 'data', t))} for a primal of shape "
                f"{np.shape(getattr(p, 'data', p))}")
    trace = _Trace(leaves, "jvp")
    out = trace.run(f, unflatten(trace.inputs))
    out_leaves, out_unflatten = tree_flatten(out)
    roots = trace.roots(out_leaves)
    real_roots = [r for r in roots if r is not None]
    create = trace.enabled and (trace.outer(out_leaves) or any(_traced(x) for x in leaves)
                                or any(_traced(t) for t in t_leaves))
    seeds = {}
    for inp, t in zip(trace.inputs, t_leaves):
        if not create and isinstance(t, Tensor):
            t = t._data
        seeds[id(inp)] = t if isinstance(t, Tensor) else np.asarray(t, dtype=inp.dtype)
    again, closures = trace.may_close(create), RULES.closures
    outs_t = forward_pass(real_roots, seeds, trace.boundary, create)
    if again and RULES.closures != closures:  # a user rule closes over a traced value: see _vjp
        create = True
        outs_t = forward_pass(real_roots, seeds, trace.boundary, True)
    by_root = dict(zip(map(id, real_roots), outs_t))
    tans = []
    for o, r in zip(out_leaves, roots):
        t = by_root.get(id(r)) if r is not None else None
        if r is not None and r._prim is None:  # f returned an input unchanged
            t = seeds.get(id(r))
        if t is None:
            t = np.zeros_like(np.asarray(_data(o)))
        tans.append(trace.output(t, create) if isinstance(t, Tensor) else _scalar(t))
    value = out_unflatten([_scalar(trace.output(o, create)) for o in out_leaves])
    return value, out_unflatten(tans)


def _scalar(x):
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x[()]
    return x


# -- Jacobians, Hessians, and friends ------------------------------------------------

def jacobian(f: Callable[..., Any], argnums: Argnums = 0, mode: Literal["rev", "fwd"] = "rev", *,
             argnum: Argnums | None = None) -> Callable[..., Any]:
    """The Jacobian of ``f``, laid out as JAX's ``jacrev``/``jacfwd``.

    For an array argument and an array output the Jacobian has shape
    ``out.shape + in.shape``. Containers nest the same way as JAX's pytrees:
    the output's structure outside, the argument's inside (a tuple over
    ``argnums`` when it is a tuple), each leaf ``out_leaf.shape + in_leaf.shape``.
    ``mode="rev"`` sweeps backward from every output element at once (a
    ``vmap`` over the rows of the identity), ``mode="fwd"`` forward from every
    input element at once, over one recording of ``f``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.jacobian(lambda x: x ** 2)(bnp.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> J = bc.jacobian(lambda p: (p["w"] * 2.0, bnp.sum(p["w"])))({"w": bnp.array([1.0, 2.0])})
    >>> J[0]["w"].shape, J[1]["w"]
    ((2, 2), array([1., 1.]))
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    @functools.wraps(f)
    def wrapped(*args):
        from ._vmap.jac import jacobian as batched_jacobian

        single, nums = _argnums(argnums, argnum, len(args), "jacobian")
        return batched_jacobian(f, args, nums, single, mode)

    return wrapped


def hessian(f: Callable[..., Any], argnums: Argnums = 0, *, argnum: Argnums | None = None) -> Callable[..., Any]:
    """The Hessian of ``f`` (forward over reverse), laid out as JAX's ``hessian``.

    For one array argument: shape ``out.shape + in.shape + in.shape``. For
    ``argnums=(0, 1)``: ``((H00, H01), (H10, H11))`` with ``Hij`` of shape
    ``out.shape + xi.shape + xj.shape``; a dict argument gives a dict of dicts.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.hessian(lambda x: bnp.sum(x ** 3))(bnp.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> (Hxx, Hxy), (Hyx, Hyy) = bc.hessian(lambda x, y: bnp.sum(x) * y ** 2, argnums=(0, 1))(bnp.ones(2), 3.0)
    >>> Hxy, Hyy
    (array([6., 6.]), array(4.))
    """
    return jacobian(jacobian(f, argnums, mode="rev", argnum=argnum), argnums, mode="fwd", argnum=argnum)


def hvp(f: Callable[..., Any], x: Any, v: Any) -> Any:
    """Hessian-vector product ``H(x) @ v`` of scalar ``f``, forward over reverse (no dense Hessian).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.hvp(lambda x: bnp.sum(x ** 3), bnp.array([1.0, 2.0]), bnp.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    return jvp(grad(f), (x,), (v,))[1]


def stop_gradient(x: Any) -> Any:
    """``x`` as a constant: no derivative flows through it, in any transform.

    ``x`` may be a dict, list or tuple of arrays (nested), as in JAX.

    >>> import backchain as bc
    >>> float(bc.grad(lambda x: x * bc.stop_gradient(x))(3.0))
    3.0
    """
    if isinstance(x, (dict, list, tuple)) and not isinstance(x, Tensor):  # a container: each of its arrays
        leaves, rebuild = tree_flatten(x)
        return rebuild([stop_gradient(v) for v in leaves])
    if isinstance(x, Tensor):
        return make_const(x._data)
    return x


class _Block:
    """One call of a checkpointed block: its constants, its output's structure, the random state."""

    __slots__ = ("fn", "leaves", "slots", "rebuild", "states", "arrays", "others", "structure", "g", "cts",
                 "closed", "first")

    def __init__(self, fn, leaves, slots, rebuild):
        self.fn, self.leaves, self.slots, self.rebuild = fn, leaves, slots, rebuild
        self.states = [(gen, gen.bit_generator.state) for gen in _generators(leaves)]
        self.arrays = self.others = self.structure = self.g = self.cts = self.first = None
        self.closed = []

    def __call__(self, *tensors):
        """The block on the Tensor leaves ``tensors``; its array outputs, flat, with the random
        generators (backchain's default one and those passed in) as they were at the first call."""
        leaves = list(self.leaves)
        for s, t in zip(self.slots, tensors):
            leaves[s] = t
        args, kwargs = self.rebuild(leaves)
        now = [(gen, gen.bit_generator.state) for gen, _ in self.states]
        for gen, state in self.states:
            gen.bit_generator.state = state
        try:
            out = self.fn(*args, **kwargs)
        finally:
            if self.arrays is not None:  # a recomputation: leave the generators where the forward pass left them
                for gen, state in now:
                    gen.bit_generator.state = state
        outs, structure = tree_flatten(out)
        arrays = [_differentiable(o) for o in outs]
        if self.arrays is None:
            self.arrays, self.structure = arrays, structure
            self.others = [None if a else o for o, a in zip(outs, arrays)]
        return tuple(o for o, a in zip(outs, self.arrays) if a)

    def output(self, results):
        it = iter(results)
        return self.structure([next(it) if a else o for a, o in zip(self.arrays, self.others)])


def _generators(leaves):
    from .random import default_generator

    gens = [default_generator()] + [x for x in leaves if isinstance(x, np.random.Generator)]
    return list({id(g): g for g in gens}.values())


def _differentiable(x):
    """Whether a block's output leaf is an array result (the others pass through as constants)."""
    if isinstance(x, Tensor):
        return True
    return isinstance(x, (np.ndarray, np.generic, float, complex)) and np.asarray(x).dtype.kind in "fc"


def _closed_over(outs, start):
    """The traced Tensors created before ``start`` that the nodes of ``outs`` (made after it) read."""
    found, seen = {}, set()
    stack = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._seq < start:
            found[id(t)] = t
        elif t._prim is not None:
            stack.extend(p for p in t._inputs if isinstance(p, Tensor) and p.requires_grad)
    return list(found.values())


def _checkpoint_impl(*arrays, block):
    first, block.first = block.first, None
    return first if first is not None else tuple(_data(o) for o in block(*arrays[:len(block.slots)]))


def _checkpoint_vjp(i, g, ans, *inputs, block):
    # Recompute the block with recording, then backpropagate through it; all inputs' cotangents
    # (and those of the Tensors it closes over) come from one sweep, kept for the calls with i > 0.
    if block.g is not g:
        n = len(block.slots)
        closed = {id(c): None for c in block.closed}
        _, backward, _, _ = _vjp(block, inputs[:n], tuple(range(n)), "checkpoint", closed)
        cts = tuple(backward(tuple(g), retain=True))
        block.g, block.cts = g, cts + tuple(closed[id(c)] for c in block.closed)
    return block.cts[i]


def _checkpoint_jvp(i, t, ans, *inputs, block):
    n = len(block.slots)
    if i < n:
        def fi(xi):
            full = list(inputs[:n])
            full[i] = xi
            return block(*full)
        return list(jvp(fi, (inputs[i],), (t,))[1])
    # a Tensor the block closes over: recompute with recording and push its tangent forward
    start = next(_seq) + 1
    prev = _state.enabled
    _state.enabled = True
    try:
        outs = block(*[_data(x) for x in inputs[:n]])
    finally:
        _state.enabled = prev
    tans = forward_pass(list(outs), {id(block.closed[i - n]): t}, start, isinstance(t, Tensor))
    return [np.zeros_like(_data(o)) if c is None else c for o, c in zip(outs, tans)]


_checkpoint = primitive("checkpoint", _checkpoint_impl, vjp=_checkpoint_vjp, jvp=_checkpoint_jvp,
                        variadic=True, multiple_results=True, batch=LOOP)


def checkpoint(f: Callable[_P, _R]) -> Callable[_P, _R]:
    """Recompute ``f``'s intermediate values during backward instead of storing them.

    The wrapped block records one node holding only its inputs; memory for
    activations inside the block is traded for a second forward pass.
    Arguments may be nested containers with keyword arguments; Tensors among
    them are the block's inputs, everything else (ints, strings, None, plain
    arrays) passes through as a constant. The output keeps its structure (a
    dict, nested tuples). The recomputation draws the same random numbers as
    the forward pass (a dropout mask): backchain's default generator and every
    ``numpy.random.Generator`` passed as an argument are rewound to their
    state at the call, then left where the forward pass left them, as
    PyTorch's ``checkpoint`` does for its generators. A generator the block
    reaches otherwise (a layer's own ``generator=``) is not rewound: pass it in.

    Tensors the block closes over (a layer's parameters in
    ``bc.checkpoint(lambda h: layer(h))``) get their gradients too, as in
    PyTorch: the first forward pass finds them, and they become inputs of the
    checkpoint's node.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> block = bc.checkpoint(lambda x: bnp.tanh(bnp.tanh(x)))
    >>> round(float(bc.grad(block)(0.5)), 6)
    0.639808
    """
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        fn = f
        # NOTE: a Module's parameters become the block's first argument (a reference upward at run
        # time only: transforms does not import nn)
        nn = sys.modules.get("backchain.nn.module")
        if _state.enabled and nn is not None and isinstance(f, nn.Module):
            params = {k: p for k, p in f.named_parameters() if p.requires_grad}
            if params:
                fn = functools.wraps(f.forward)(lambda params, *a, **kw: nn.functional_call(f, params, a, kw))
                args = (params,) + args
        leaves, rebuild = tree_flatten([list(args), kwargs])
        slots = tuple(k for k, x in enumerate(leaves) if isinstance(x, Tensor))
        if not _state.enabled or not any(leaves[k].requires_grad for k in slots) \
                or any(getattr(leaves[k], "_batched", False) for k in slots):  # inside vmap: no recomputation
            return f(*args, **kwargs)
        block = _Block(fn, leaves, slots, rebuild)
        tensors = [leaves[k] for k in slots]
        # The forward pass on the inputs' arrays: with recording on, only what depends on a traced
        # Tensor the block closes over (a layer's parameters) is recorded. Those Tensors become
        # inputs of the checkpoint node too; the recorded activations are dropped.
        start = next(_seq) + 1
        outs = block(*[t._data for t in tensors])
        block.closed = _closed_over(outs, start)
        block.first = tuple(_data(o) for o in outs)
        del outs
        return block.output(_checkpoint(*tensors, *block.closed, block=block))

    return wrapped
