"""The batched value of one ``vmap`` level, and the hook that batches primitives on it.

A :class:`Batched` stands for one example inside a ``vmap``: its shape is the example's (the
*logical* shape), and ``_phys`` holds every example at once, the batch axis first (the *physical*
value). The physical value is an ndarray, a Tensor (when a derivative is being taken of the batch)
or the Batched of an enclosing ``vmap`` (nested vmap): levels wrap one another, the newest outside.

A Batched is never a node of the graph: when the primitive caller meets one
(``primitive._batch_hook``), the row's batching rule computes the physical result by calling
primitives on the physical values, so those calls are what the engine records, and the result is
wrapped again. A derivative of a vmapped function (``grad(vmap(f))``) therefore sweeps an ordinary
graph of physical arrays, and one taken inside (``vmap(grad(f))``, ``api.py``) differentiates the
physical function with every variable given its own copy per example. Only a batch of cotangents
or tangents (``vmap`` over a pullback, which is how ``jacobian`` works) reaches the rules as Batched
values: they run on it as on any Tensor, and their ``backchain.numpy`` calls are batched.

Why not a Batched graph node, whose rules would run in create_graph mode on Batched values: the
first-order sweep then records every rule's operations, and the engine's unbroadcasting and
in-place checks would have to read logical shapes; here the engine is unchanged.
"""
import inspect
import itertools
import threading
import warnings

import numpy as np

from .._core import primitive as _primitive
from .._core.primitive import ELEMENTWISE, LOOP
from .._core.tensor import FUNCTIONS, UFUNCS, Tensor, _seq
from .rules import _Loop

__all__ = ["Batched", "Level", "levels", "push", "pop", "wrap", "to_physical", "from_physical"]


class Level:
    """One running ``vmap``: the batch size and its depth (a newer level is deeper). An ``internal``
    level batches only tangents or cotangents (``jacobian``'s basis vectors): no function of the user
    sees its values as arguments, so the transforms inside it need not batch their variables."""

    __slots__ = ("size", "depth", "randomness", "internal", "cls")

    def __init__(self, size, depth, randomness="different", internal=False, cls=None):
        self.size, self.depth, self.randomness, self.internal = size, depth, randomness, internal
        self.cls = Batched if cls is None else cls  # the class of its values (torch.func.vmap's have torch's methods)

    def __repr__(self):
        return f"<vmap level {self.depth}, size {self.size}>"


class _Levels(threading.local):
    """The running vmaps of this thread, outermost first."""

    def __init__(self):
        self.stack = []


_LEVELS = _Levels()
_RUNNING = [0]  # the vmaps running in every thread: the hook is set while there is one
_LOCK = threading.Lock()


def levels():
    """This thread's running vmaps, outermost first."""
    return _LEVELS.stack


_DEPTH = itertools.count(1)  # a newer level is deeper, wherever it is pushed


class physical_sweep:
    """A block in which no vmap is running for this thread's transforms: the sweep of a derivative
    taken inside vmap works on physical arrays, so a transform that a rule calls there (a custom
    rule's transpose) is an ordinary one. Batched values met there keep their levels."""

    def __enter__(self):
        self.saved, _LEVELS.stack = _LEVELS.stack, []
        return self

    def __exit__(self, *exc):
        _LEVELS.stack = self.saved


def push(size, randomness="different", internal=False, cls=None):
    stack = _LEVELS.stack
    level = Level(size, next(_DEPTH), randomness, internal, cls)
    stack.append(level)
    with _LOCK:
        _RUNNING[0] += 1
        _primitive._batch_hook = _hook
    return level


def pop(level):
    stack = _LEVELS.stack
    if stack and stack[-1] is level:
        stack.pop()
    else:
        stack.remove(level)
    with _LOCK:
        _RUNNING[0] -= 1
        if not _RUNNING[0]:
            _primitive._batch_hook = None


def _concrete(b):
    """The plain array that every example of ``b`` equals, for code that needs a plain value (``if``,
    ``float``, ``np.asarray``); a TypeError where the examples differ or carry a gradient.

    Why: a branch taken the same way for every example, or a value read that every example agrees
    on (a shape check, a constant built from a batched argument), gives what a loop over the
    examples would give; JAX refuses these outright.
    """
    levels, p = [], b
    while isinstance(p, Batched):
        levels.append(p._level)
        p = p._phys
    if isinstance(p, Tensor):
        if p.requires_grad and np.result_type(p._data).kind in "fc":
            from .._core.tensor import is_grad_enabled

            if is_grad_enabled():
                raise TypeError(
                    f"vmap: a batched value that requires grad (one example of shape {b.shape}, dtype {b.dtype}) "
                    "cannot become a plain NumPy array or Python number: its gradient would be cut. Use "
                    "backchain.numpy functions on it (bnp.where(x > 0, ...) instead of `if x > 0`)")
        p = p._data
    p = np.asarray(p)
    # the outermost level's axis leads; every level wrapped inside it follows
    for _ in levels:
        first = p[0]
        if p.shape[0] > 1 and not np.array_equal(p, np.broadcast_to(first, p.shape),
                                                 equal_nan=p.dtype.kind in "fc"):
            raise TypeError(
                f"vmap: a batched value (one example of shape {b.shape}, dtype {b.dtype}) cannot become a plain "
                "NumPy array or Python number inside vmap, since its examples differ: the function would take one "
                "branch or one value for the whole batch. Use backchain.numpy functions on it (bnp.where(x > 0, "
                "...) instead of `if x > 0`)")
        p = first
    return p


def _as_array(self, dtype=None, copy=None):
    a = _concrete(self)
    if dtype is not None and a.dtype != dtype:
        return a.astype(dtype)
    return a.copy() if copy else a


class Batched(Tensor):
    """One example of a batch inside ``vmap``: shape and dtype of the example, every example in ``_phys``.

    It behaves as a Tensor (operators, methods, ``backchain.numpy`` functions) whose operations
    apply to each example; converting it to a plain array raises.
    """

    __slots__ = ("_phys", "_level")
    _batched = True  # what backchain.transforms looks for (it does not import this module)

    shape = property(lambda self: self._phys.shape[1:])
    dtype = property(lambda self: self._phys.dtype)
    ndim = property(lambda self: self._phys.ndim - 1)
    size = property(lambda self: int(np.prod(self._phys.shape[1:], dtype=np.int64)))
    # ``data``: the value itself, so that NumPy functions applied to ``t.data`` come back here
    # (__array_function__, __array_ufunc__) and stay batched; np.asarray of it raises.
    data = property(lambda self: self)
    _data = data  # the name of the array's slot once Tensor.data is a property over it

    def __repr__(self):
        return f"Batched(shape={self.shape}, dtype={self.dtype}, {self._level!r})"

    __array__ = _as_array
    __bool__ = lambda self: bool(_concrete(self))  # noqa: E731
    __float__ = lambda self: float(_concrete(self))  # noqa: E731
    __int__ = lambda self: int(_concrete(self))  # noqa: E731
    __complex__ = lambda self: complex(_concrete(self))  # noqa: E731
    __index__ = lambda self: _concrete(self).__index__()  # noqa: E731
    item = lambda self: _concrete(self).item()  # noqa: E731
    tolist = lambda self: _concrete(self).tolist()  # noqa: E731
    numpy = _as_array
    __and__ = lambda self, other: _constant_elementwise(np.bitwise_and, (self, other), {})  # noqa: E731
    __rand__ = lambda self, other: _constant_elementwise(np.bitwise_and, (other, self), {})  # noqa: E731
    __or__ = lambda self, other: _constant_elementwise(np.bitwise_or, (self, other), {})  # noqa: E731
    __ror__ = lambda self, other: _constant_elementwise(np.bitwise_or, (other, self), {})  # noqa: E731
    __xor__ = lambda self, other: _constant_elementwise(np.bitwise_xor, (self, other), {})  # noqa: E731
    __invert__ = lambda self: _constant_elementwise(np.invert, (self,), {})  # noqa: E731

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d batched value")
        return shape[0]

    def __iter__(self):
        return iter([self[k] for k in range(len(self))])

    def detach(self):
        phys = self._phys
        return wrap(self._level, phys.detach() if isinstance(phys, Tensor) else phys)

    def copy(self):
        from .. import numpy as bnp

        return bnp.positive(self)

    # In place: the batched value takes the result's examples (a new node of the graph, as an
    # out-of-place operation; a view it was taken from does not change with it).
    def _assign(self, out):
        if not isinstance(out, Batched) or out._level is not self._level:
            out = wrap(self._level, unwrap(out, self._level))
        if out.shape != self.shape:
            raise ValueError(f"vmap: an in-place operation would change a batched value of shape {self.shape} "
                             f"to shape {out.shape}")
        self._phys, self.requires_grad = out._phys, out.requires_grad
        return self

    def add_(self, other):
        return self._assign(self + other)

    def sub_(self, other):
        return self._assign(self - other)

    def mul_(self, other):
        return self._assign(self * other)

    def div_(self, other):
        return self._assign(self / other)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def fill_(self, value):
        from .. import numpy as bnp

        return self._assign(bnp.zeros_like(self) + value)

    def zero_(self):
        return self.fill_(0)

    def copy_(self, src):
        from .. import numpy as bnp

        return self._assign(bnp.zeros_like(self) + src)

    def backward(self, *args, **kwargs):
        raise TypeError("vmap: backward() of a batched value; use bc.grad or bc.vjp inside the vmapped function")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and kwargs.get("out") is None:
            kwargs.pop("out", None)
            fn = UFUNCS.get(ufunc)
            if fn is not None and ufunc not in _DISPATCHING:
                _DISPATCHING.add(ufunc)  # a function without a derivative hands the data back to NumPy
                try:
                    return fn(*inputs, **kwargs)
                finally:
                    _DISPATCHING.discard(ufunc)
            if ufunc.signature is None:  # a ufunc without a derivative (comparisons, isnan): per element
                return _constant_elementwise(ufunc, inputs, kwargs)
        raise TypeError(f"vmap: numpy.{ufunc.__name__}.{method} is not supported on batched values")

    def __array_function__(self, func, types, args, kwargs):
        if func in _SHAPE_FUNCTIONS and len(args) == 1 and not kwargs:
            return _SHAPE_FUNCTIONS[func](args[0])
        if func in _DTYPE_FUNCTIONS:  # what depends on the dtypes only
            return func(*[a.dtype if isinstance(a, Tensor) else a for a in args], **kwargs)
        like = _LIKE.get(func)
        if like is not None:  # zeros_like and friends: the same constant for every example
            return like(args, kwargs)
        fn = FUNCTIONS.get(func)
        if fn is not None and func not in _DISPATCHING:
            _DISPATCHING.add(func)  # backchain.numpy's function may hand the data back to NumPy's
            try:
                return fn(*args, **kwargs)
            finally:
                _DISPATCHING.discard(func)
        return _constant_function(func, args, kwargs)


def wrap(level, phys):
    """The Batched of ``level`` whose examples are ``phys`` (batch axis first)."""
    b = object.__new__(level.cls)
    b._phys = phys
    b._level = level
    # whether a derivative is being taken of the examples (custom rules ask): a Batched itself is never
    # a node of the graph, its physical value is
    b.requires_grad = getattr(phys, "requires_grad", False) is True
    b.grad = None
    b._prim = None
    b._x = b._y = None
    b._params = None
    b._seq = next(_seq)
    return b


# -- levels in and out --------------------------------------------------------------------

def _level_of(args, params):
    """The newest level among ``args`` and the values of ``params`` (one tuple deep), or None."""
    level = None
    for a in args:
        if isinstance(a, Batched) and (level is None or a._level.depth > level.depth):
            level = a._level
    if params:
        for v in params.values():
            if v.__class__ is tuple or v.__class__ is list:
                for e in v:
                    if isinstance(e, Batched) and (level is None or e._level.depth > level.depth):
                        level = e._level
            elif isinstance(v, Batched) and (level is None or v._level.depth > level.depth):
                level = v._level
    return level


def _fn(name):
    return _primitive.REGISTRY[name].fn


def broadcast_batch(x, size):
    """``x`` (not batched at this level) with a leading batch axis of ``size``."""
    if isinstance(x, Tensor):
        return _fn("broadcast_to")(x, shape=(size,) + tuple(x.shape))
    a = np.asarray(x)
    return np.broadcast_to(a, (size,) + a.shape)


def unwrap(x, level):
    """``x`` with ``level``'s batch axis made its first axis (broadcast if ``x`` does not vary along
    it); a newer level stays batched around it."""
    if isinstance(x, Batched):
        if x._level is level:
            return x._phys
        if x._level.depth > level.depth:  # newer: unwrap beneath it, then swap the two batch axes
            inner = unwrap(x._phys, level)
            return wrap(x._level, _swap01(inner))
    return broadcast_batch(x, level.size)


def rewrap(v, level):
    """The inverse of :func:`unwrap`: ``v``'s first axis becomes ``level``'s batch (beneath newer levels)."""
    if isinstance(v, Batched) and v._level.depth > level.depth:
        return wrap(v._level, rewrap(_swap01(v._phys), level))
    return wrap(level, v)


def _swap01(x):
    nd = np.ndim(x)
    axes = (1, 0) + tuple(range(2, nd))
    if isinstance(x, Tensor):
        return _fn("transpose")(x, axes=axes)
    return np.transpose(x, axes)


def to_physical(x, levels):
    """``x`` with a leading axis for each of ``levels`` (oldest first), broadcast where it does not vary."""
    for level in reversed(levels):
        x = unwrap(x, level)
    return x


def from_physical(v, levels):
    """The inverse of :func:`to_physical`."""
    for level in levels:
        v = rewrap(v, level)
    return v


# -- the hook --------------------------------------------------------------------------------

def _hook(prim, args, params):
    level = _level_of(args, params)
    if level is None:
        return NotImplemented
    n = _arity(prim)
    if n is not None and len(args) > n:  # parameters given by position: by name, as the rules take them
        k = len(args)
        while k > n and args[k - 1].__class__ in _PARAM_TYPES:
            k -= 1
        if k < len(args):
            names = _param_names(prim)
            params = dict(params, **dict(zip(names[k:], args[k:])))
            args = args[:k]
    phys, batched = [], []
    for a in args:
        if isinstance(a, Batched) and a._level is level:
            phys.append(a._phys)
            batched.append(True)
        else:
            phys.append(a)
            batched.append(False)
    rule = prim.batch
    if rule is None or rule is LOOP or _params_batched(params, level) and not getattr(rule, "batched_params", False):
        out = loop(prim, level, phys, batched, params)
    elif rule is ELEMENTWISE:
        out = elementwise(prim, phys, batched, **params)
    else:
        try:
            if getattr(rule, "batched_params", False):
                out = rule(prim, phys, tuple(batched), _level=level, **params)
            else:
                out = rule(prim, phys, tuple(batched), **params)
        except _Loop:  # a case the rule leaves to the loop
            out = loop(prim, level, phys, batched, params)
    if prim.multiple_results:
        return tuple(wrap(level, o) for o in out)
    return wrap(level, out)


def _arity(prim):
    """The number of array inputs of a row with per-input rules, or None (variadic)."""
    vjps = prim.vjps
    return len(vjps) if type(vjps) is tuple else None


_NAMES = {}
_PARAM_TYPES = {tuple, list, int, str, bool, type(None), np.dtype}


def _param_names(prim):
    names = _NAMES.get(prim.name)
    if names is None:
        try:
            names = [p.name for p in inspect.signature(prim.impl).parameters.values()]
        except (TypeError, ValueError):
            names = []
        _NAMES[prim.name] = names
    return names


def _params_batched(params, level):
    for v in params.values():
        if isinstance(v, Batched) and v._level is level:
            return True
        if (v.__class__ is tuple or v.__class__ is list) and any(
                isinstance(e, Batched) and e._level is level for e in v):
            return True
    return False


def batch_size(args, batched):
    for a, b in zip(args, batched):
        if b:
            return np.shape(a)[0]
    raise ValueError("vmap: no batched argument")


def reshape(x, shape):
    if isinstance(x, Tensor):
        return _fn("reshape")(x, shape=tuple(shape))
    return np.reshape(x, shape)


def elementwise(prim, args, batched, **params):
    """The derived rule of elementwise rows: batched operands of lower rank get unit axes after their
    batch axis, so that broadcasting lines the batch axis up with the others'; unbatched operands
    broadcast as they are."""
    nd = 0
    for a, b in zip(args, batched):
        n = np.ndim(a) - b
        if n > nd:
            nd = n
    out = list(args)
    for i, (a, b) in enumerate(zip(args, batched)):
        if b:
            shape = np.shape(a)
            if len(shape) - 1 < nd:
                out[i] = reshape(a, shape[:1] + (1,) * (nd - len(shape) + 1) + shape[1:])
    return prim.fn(*out, **params)


_WARNED = set()


class BatchingWarning(UserWarning):
    """A primitive without a batching rule ran once per example inside ``vmap``."""


def _slice(v, level, i):
    if isinstance(v, Batched) and v._level is level:
        return v._phys[i]
    if v.__class__ is tuple or v.__class__ is list:
        return type(v)(_slice(e, level, i) for e in v)
    return v


def stack(outs):
    if all(type(o) is np.ndarray or isinstance(o, np.generic) for o in outs):
        return np.stack(outs)
    return _fn("stack")(*outs, axis=0)


def loop(prim, level, args, batched, params):
    """The fallback: ``prim`` applied to each example in turn, the results stacked (warns once per primitive)."""
    if prim.name not in _WARNED:
        _WARNED.add(prim.name)
        warnings.warn(f"vmap: primitive '{prim.name}' has no batching rule; it runs once per example "
                      f"(a loop over the batch of {level.size})", BatchingWarning, stacklevel=4)
    outs = []
    for i in range(level.size):
        a_i = [a[i] if b else a for a, b in zip(args, batched)]
        p_i = {k: _slice(v, level, i) for k, v in params.items()}
        outs.append(prim.fn(*a_i, **p_i))
    if prim.multiple_results:
        return tuple(stack([o[k] for o in outs]) for k in range(len(outs[0])))
    return stack(outs)


# -- NumPy functions without a derivative, on batched values -------------------------------

def _constant_elementwise(ufunc, inputs, kwargs):
    level = _level_of(inputs, None)
    batched = [isinstance(a, Batched) and a._level is level for a in inputs]
    phys = [a._phys if b else a for a, b in zip(inputs, batched)]
    nd = max((np.ndim(a) - b for a, b in zip(phys, batched)), default=0)
    for i, (a, b) in enumerate(zip(phys, batched)):
        if b and np.ndim(a) - 1 < nd:
            shape = np.shape(a)
            phys[i] = reshape(a, shape[:1] + (1,) * (nd - len(shape) + 1) + shape[1:])
    return wrap(level, ufunc(*phys, **kwargs))


_DISPATCHING = set()


def _like(fill):
    def make(args, kwargs):
        a = args[0]
        dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None) or a.dtype
        shape = kwargs.get("shape") or a.shape
        if fill == "full":
            return np.full(shape, kwargs.get("fill_value", args[1] if len(args) > 1 else None),
                           dtype=kwargs.get("dtype") or a.dtype)
        return np.zeros(shape, dtype) if fill == 0 else np.ones(shape, dtype)
    return make


_LIKE = {np.zeros_like: _like(0), np.empty_like: _like(0), np.ones_like: _like(1), np.full_like: _like("full")}

# Functions of one array with an ``axis`` argument (None: the flattened array).
_AXIS_FUNCTIONS = {np.argmax, np.argmin, np.argsort, np.all, np.any, np.count_nonzero, np.nanargmax,
                   np.nanargmin}
_SHAPE_FUNCTIONS = {np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim, np.size: lambda x: x.size,
                    np.iscomplexobj: lambda x: x.dtype.kind == "c", np.isrealobj: lambda x: x.dtype.kind != "c"}
_DTYPE_FUNCTIONS = {np.result_type, np.can_cast, np.min_scalar_type}


def _constant_function(func, args, kwargs):
    if func in _SHAPE_FUNCTIONS and len(args) == 1 and not kwargs:
        return _SHAPE_FUNCTIONS[func](args[0])
    level = _level_of(args, kwargs)
    if func in _AXIS_FUNCTIONS and len(args) >= 1 and isinstance(args[0], Batched) and args[0]._level is level \
            and _level_of(args[1:], kwargs) is not level:
        x = args[0]._phys
        axis = kwargs.pop("axis", args[1] if len(args) > 1 else None)
        args = args[:1]
        if axis is None:
            x = reshape(x, (np.shape(x)[0], -1))
            axis = 1
        elif isinstance(axis, tuple):
            axis = tuple(a + 1 if a >= 0 else a for a in axis)
        else:
            axis = axis + 1 if axis >= 0 else axis
        return wrap(level, func(x, axis=axis, **kwargs))
    # anything else: once per example
    outs = [func(*[_slice(a, level, i) for a in args], **{k: _slice(v, level, i) for k, v in kwargs.items()})
            for i in range(level.size)]
    return wrap(level, np.stack([np.asarray(o) for o in outs]))


# -- user rules: one call per example -------------------------------------------------------------

def holds_batched(values):
    """Whether any of ``values`` (containers searched) is batched."""
    from ..transforms import tree_flatten

    return any(isinstance(v, Batched) for v in tree_flatten(list(values))[0])


def per_example(fn, args, name):
    """``fn(*args)`` called once per example of the newest level among ``args``, the results stacked.

    Why: a user rule (``custom_vjp``, ``Function``) keeps per-call state beside its node and its
    functions are written for one example; called on each example, its forward and backward mean
    what they say. Warns once per rule, as the primitives without a batching rule do.
    """
    from ..transforms import tree_flatten

    leaves, rebuild = tree_flatten(list(args))
    level = _level_of(leaves, None)
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(f"vmap: '{name}' is a user rule; it runs once per example (a loop over the batch of "
                      f"{level.size})", BatchingWarning, stacklevel=3)
    outs = [fn(*rebuild([_slice(v, level, i) for v in leaves])) for i in range(level.size)]
    flat = [tree_flatten(o) for o in outs]
    rebuild_out = flat[0][1]
    return rebuild_out([wrap(level, stack([f[0][k] for f in flat])) for k in range(len(flat[0][0]))])


# -- random draws: one per example ----------------------------------------------------------------

def random_like(x, draw):
    """``draw(shape)`` (uniform numbers, say) for the elements of ``x``: for a batched ``x``, one draw
    per example at the levels with ``randomness="different"`` and one shared by the batch at those
    with ``"same"``, returned batched like ``x``; for anything else, a plain draw of ``x``'s shape."""
    levels, p = [], x
    while isinstance(p, Batched):
        levels.append(p._level)
        p = p._phys
    if not levels:
        return draw(np.shape(x))
    shape = list(np.shape(p))  # the axes of the levels, oldest first, then the example's
    for k, level in enumerate(reversed(levels)):
        if level.randomness == "error":
            raise RuntimeError("vmap: a random draw inside a function vmapped with randomness='error'; pass "
                               "randomness='different' (one draw per example) or 'same' (one for the batch)")
        if level.randomness == "same":
            shape[k] = 1
    u = draw(tuple(shape))
    u = np.broadcast_to(u, np.shape(p))
    for level in reversed(levels):
        u = wrap(level, u)
    return u


def any_example(x):
    """Whether any element of any example of ``x`` (batched or not) is true: for checks of input that
    raise on the whole batch (a quantile outside [0, 1] in any example)."""
    while isinstance(x, Batched):
        x = x._phys
    return bool(np.any(x._data if isinstance(x, Tensor) else x))


def constant_per_example(fn, *args):
    """``fn`` (a function of plain arrays giving a plain array that is no function to differentiate:
    LU pivots, a permutation) applied to each example of ``args``, the results stacked and batched as
    they are. Plain arguments give ``fn``'s plain result."""
    level = _level_of(args, None)
    if level is None:
        return fn(*[np.asarray(a._data if isinstance(a, Tensor) else a) for a in args])
    outs = [constant_per_example(fn, *[_slice(a, level, i) for a in args]) for i in range(level.size)]
    if any(isinstance(o, Batched) for o in outs):  # batched at an enclosing level too
        return wrap(level, _fn("stack")(*outs, axis=0))
    return wrap(level, np.stack([np.asarray(o) for o in outs]))


def example_strides(x):
    """The strides of one example of ``x`` in memory (those of its physical array past the batch
    axes), for ``ravel(order="K")``."""
    n = 0
    while isinstance(x, Batched):
        x, n = x._phys, n + 1
    return np.asarray(x._data if isinstance(x, Tensor) else x).strides[n:]
