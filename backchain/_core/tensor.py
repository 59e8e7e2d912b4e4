"""The Tensor: an ndarray plus, when it was computed from traced values, the
primitive, inputs and parameters that produced it (its node in the graph).

A Tensor *is* its graph node: there is no separate node object, so recording an
operation allocates exactly one Python object. Leaves have ``_prim is None``.

A node keeps its inputs in two slots, not in a tuple: ``_x`` and ``_y`` hold the
first and second argument, ``_y is ONE`` marks a node of one argument, and
``_y is MANY`` one of three or more (``_x`` is then the tuple of all of them).
A tuple of inputs would be a second object for Python's cyclic garbage
collector to walk: on a long graph its full collections were over half the
recording time (a 100,000-step scalar chain recorded in 0.47 s, 0.28 s of it
collections). ``_params is None`` marks a leaf or a node whose backward has
released it. ``t._inputs`` gives the inputs as a tuple, for code off the hot path.
"""
from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .versions import mark_written, storage

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _GradState(threading.local):
    def __init__(self):
        self.enabled = True


_state = _GradState()
# Creation order of tensors. A functional transform differentiates with respect
# to fresh leaves; anything created before them cannot depend on them, which is
# how transforms tell their own graph from an enclosing one (nested derivatives
# with no perturbation confusion).
_seq = itertools.count(1)


class _Mark:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


# The markers in a node's ``_y`` slot: one input only, or three or more (in ``_x``, as a tuple).
ONE = _Mark("ONE")
MANY = _Mark("MANY")


class _IdMap:
    """A map from live objects (by identity) to values; entries go when their key is collected.
    (WeakKeyDictionary compares keys with ==, which is elementwise on Tensors.)"""

    def __init__(self):
        self._items = {}

    def __setitem__(self, key, value):
        k = id(key)
        items = self._items
        if k in items:
            items[k] = (items[k][0], value)
            return
        items[k] = (weakref.ref(key, lambda _, k=k, items=items: items.pop(k, None)), value)

    def get(self, key, default=None):
        item = self._items.get(id(key))
        return item[1] if item is not None and item[0]() is key else default

    def __contains__(self, key):
        item = self._items.get(id(key))
        return item is not None and item[0]() is key

    def __getitem__(self, key):
        if key not in self:
            raise KeyError(key)
        return self._items[id(key)][1]

    def pop(self, key, default=None):
        value = self.get(key, default)
        self._items.pop(id(key), None)
        return value

    def __len__(self):
        return len(self._items)


# Nodes recorded in anomaly mode -> their Trace (the user's line, saved-array fingerprints). Kept
# beside the tensors, not in a slot, so that Tensors are no bigger when anomaly mode is off.
TRACES = _IdMap()
# Tensors rebound by a recorded in-place op -> their previous incarnation (the node they were
# before): nodes recorded earlier still mean that one (heal).
PREVIOUS = _IdMap()


# id(storage) -> (weakref to the storage, weakref to a leaf that requires grad and lives in it):
# a view of such a leaf cannot be written in place while recording (inplace._check_view_of_leaf).
_GRAD_LEAVES = {}


def _register_grad_leaf(t):
    root = storage(t._data)
    if root is not None:
        k = id(root)
        _GRAD_LEAVES[k] = (weakref.ref(root, lambda _, k=k: _GRAD_LEAVES.pop(k, None)), weakref.ref(t))


def grad_leaf_of(a):
    """The live leaf that requires grad whose storage ``a`` lives in, or None."""
    root = storage(a)
    e = _GRAD_LEAVES.get(id(root))
    if e is None or e[0]() is not root:
        return None
    leaf = e[1]()
    return leaf if leaf is not None and leaf._prim is None and leaf.requires_grad else None


def heal(t):
    """The inputs of node ``t``, each as the incarnation it had when ``t`` was recorded (a Tensor
    rebound by a later recorded in-place op is newer than ``t``: ``PREVIOUS`` leads back);
    written back into ``t``'s slots."""
    y, seq = t._y, t._seq
    inputs = (t._x,) if y is ONE else t._x if y is MANY else (t._x, y)
    fixed = []
    for p in inputs:
        while isinstance(p, Tensor) and p._seq > seq:
            before = PREVIOUS.get(p)
            if before is None:
                break
            p = before
        fixed.append(p)
    if y is ONE:
        t._x = fixed[0]
    elif y is MANY:
        t._x = tuple(fixed)
    else:
        t._x, t._y = fixed
    return tuple(fixed)


def bump_version(t, how):
    """Record that ``t``'s storage was written in place by ``how`` (an optimizer step,
    ``load_state_dict``): nodes recorded before that read it raise at backward (versions.py)."""
    mark_written(t._data, next(_seq), how)


def writable(t):
    """``t.data`` as an array that can be written in place (a read-only array is replaced by a copy)."""
    a = t._data
    if type(a) is np.ndarray and not a.flags.writeable:
        a = t._data = a.copy()
    return a


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded (thread-local).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.is_grad_enabled()
    True
    >>> with bc.no_grad():
    ...     print(bc.is_grad_enabled())
    ...
    False
    """
    return _state.enabled


class _GradMode:
    """The context managers and decorators of grad mode. Each ``with`` saves the mode in force
    when the block is entered and restores it on exit, so one object can be entered again,
    nested in itself and shared between threads (the saved modes are kept per thread)."""

    mode = True

    def _saved(self):
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        stack = getattr(local, "stack", None)
        if stack is None:
            stack = local.stack = []
        return stack

    def __enter__(self) -> _GradMode:
        self._saved().append(_state.enabled)
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._saved().pop()

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        import functools

        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state.enabled
            _state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.enabled = prev

        return wrapper

    def clone(self) -> _GradMode:
        return type(self)()

    def __repr__(self):
        return f"{type(self).__name__}()"


class no_grad(_GradMode):
    """Disable recording inside a ``with`` block or a decorated function (thread-local).

    The mode changes when the block is entered, not when the object is made; the
    object can be kept and entered again, or nested.

    >>> import backchain as bc
    >>> x = bc.tensor([1.0, 2.0], requires_grad=True)
    >>> with bc.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Enable recording inside a ``with`` block or a decorated function (thread-local).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> with bc.no_grad():
    ...     with bc.enable_grad():
    ...         y = bc.tensor([1.0, 2.0], requires_grad=True) * 2
    ...
    >>> y.requires_grad
    True
    """

    mode = True


class set_grad_enabled(_GradMode):
    """Set recording on or off: as a function (at once), a context manager or a decorator.

    As in PyTorch, ``bc.set_grad_enabled(False)`` called on its own switches
    recording off for the calling thread; in a ``with`` statement the mode in
    force before is restored at the end of the block.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> x = bc.tensor([1.0, 2.0], requires_grad=True)
    >>> with bc.set_grad_enabled(False):
    ...     y = x * 2
    ...
    >>> y.requires_grad
    False
    >>> bc.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._before = _state.enabled  # restored by the first block, or undone by decorating
        _state.enabled = self.mode

    def __enter__(self) -> set_grad_enabled:
        before, self._before = self._before, None
        self._saved().append(_state.enabled if before is None else before)
        _state.enabled = self.mode
        return self

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        if self._before is not None:  # used as a decorator: undo the switch made by __init__
            _state.enabled, self._before = self._before, None
        return super().__call__(fn)

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)

    def __repr__(self):
        return f"set_grad_enabled(mode={self.mode})"


# None unless backchain.jit is tracing; then ``hook(tensor, kind, value)`` records that Python read
# ``value`` out of ``tensor`` (``bool(t)``, ``float(t)``, ``t.item()``): a guard of the program.
_guard_hook = None

# NumPy ufuncs and functions that have a differentiable backchain counterpart;
# filled in by backchain.numpy. They route np.sin(tensor) and friends.
UFUNCS = {}
FUNCTIONS = {}


def _traced(x):
    if isinstance(x, Tensor):
        return x.requires_grad
    if isinstance(x, (list, tuple)):
        return any(_traced(v) for v in x)
    return False


def _unwrap(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _wrap(x):
    if isinstance(x, np.ndarray) or np.isscalar(x) and isinstance(x, np.generic):
        return Tensor(x) if getattr(x, "dtype", None) is not None and x.dtype.kind in "fc" else x
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    return x


def _describe_arg(a):
    if isinstance(a, Tensor):
        return f"Tensor {a.dtype}{list(a.shape)}" + (" requiring grad" if a.requires_grad else "")
    a = np.asarray(a)
    return f"{a.dtype}{list(a.shape)}"


def _index_text(index):
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(":" if isinstance(p, slice) and p == slice(None) else
                     "..." if p is Ellipsis else type(p).__name__ if not isinstance(p, int) else str(p)
                     for p in parts)


def _check_float(data, op="requires_grad"):
    if not (data.dtype.kind in "fc"):
        raise TypeError(
            f"{op}: only floating point and complex tensors can require gradients, "
            f"got dtype {data.dtype} with shape {data.shape}"
        )


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    Tensors follow PyTorch's semantics: set ``requires_grad=True`` on a leaf,
    compute, call ``.backward()`` on a scalar result and read ``.grad``.
    NumPy functions applied to a Tensor return a Tensor.

    >>> import backchain as bc
    >>> x = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([ 2., -4.])
    """

    __slots__ = ("_data", "requires_grad", "grad", "_prim", "_x", "_y", "_params", "_seq", "__weakref__")
    __array_priority__ = 1000.0
    # The class of the results of operations on this tensor, and its rank: an operation's result takes
    # the ``_result`` of its Tensor argument of highest ``_rank``. Tensor subclasses with their own
    # method semantics (``backchain.torch``'s) set both and call ``primitive.use_result_classes()``;
    # until then every result is a plain Tensor and the callers never look (``Parameter`` keeps
    # these: ``w * 2`` is a Tensor, as in PyTorch).
    _rank = 0
    __hash__ = object.__hash__

    _data: Any  # the ndarray (a tuple of them for the outputs of a multiple-result primitive)
    requires_grad: bool
    grad: Any  # None, an ndarray, or a Tensor after backward(create_graph=True)

    if TYPE_CHECKING:  # installed at import by backchain.numpy (_tensor_methods.py) and _core/inplace.py
        shape: tuple[int, ...]
        dtype: np.dtype[Any]
        ndim: int
        size: int
        T: Tensor
        mT: Tensor
        real: Tensor
        imag: Tensor

        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> NDArray[np.bool_]: ...  # comparisons are not differentiable
        def __le__(self, other: Any) -> NDArray[np.bool_]: ...
        def __gt__(self, other: Any) -> NDArray[np.bool_]: ...
        def __ge__(self, other: Any) -> NDArray[np.bool_]: ...
        def __eq__(self, other: Any) -> NDArray[np.bool_]: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> NDArray[np.bool_]: ...  # type: ignore[override]
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...
        def add_(self, other: Any) -> Tensor: ...
        def sub_(self, other: Any) -> Tensor: ...
        def mul_(self, other: Any) -> Tensor: ...
        def div_(self, other: Any) -> Tensor: ...
        def fill_(self, value: Any) -> Tensor: ...
        def zero_(self) -> Tensor: ...
        def copy_(self, src: Any) -> Tensor: ...
        def reshape(self, *shape: Any, **kwargs: Any) -> Tensor: ...
        def view(self, *shape: Any, **kwargs: Any) -> Tensor: ...
        def transpose(self, *axes: Any) -> Tensor: ...
        def permute(self, *axes: Any) -> Tensor: ...
        def astype(self, dtype: DTypeLike) -> Tensor: ...
        def flatten(self) -> Tensor: ...
        def ravel(self, order: str = "C") -> Tensor: ...
        def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor: ...
        def copy(self) -> Tensor: ...
        # backchain.numpy's function of the same name with the tensor as first argument
        def sum(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def mean(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def prod(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def max(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def min(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def std(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def var(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def cumsum(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def cumprod(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def ptp(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def trace(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def diagonal(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def clip(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def round(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def dot(self, *args: Any, **kwargs: Any) -> Tensor: ...
        # not differentiable: NumPy values
        def argmax(self, *args: Any, **kwargs: Any) -> Any: ...
        def argmin(self, *args: Any, **kwargs: Any) -> Any: ...
        def argsort(self, *args: Any, **kwargs: Any) -> Any: ...
        def all(self, *args: Any, **kwargs: Any) -> Any: ...
        def any(self, *args: Any, **kwargs: Any) -> Any: ...
        def nonzero(self, *args: Any, **kwargs: Any) -> Any: ...
        def repeat(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def exp(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def log(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def sin(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def cos(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def tan(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def tanh(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def sqrt(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def abs(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def sign(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def square(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def conj(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def conjugate(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def swapaxes(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def take(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def sort(self, *args: Any, **kwargs: Any) -> Tensor: ...

    def __init__(self, data: ArrayLike | Tensor, requires_grad: bool = False, dtype: DTypeLike | None = None) -> None:
        src = data
        if isinstance(data, Tensor):
            data = data._data
        data = np.asarray(data, dtype=dtype)
        if data.dtype == object:
            raise TypeError(f"tensor: cannot make a Tensor of dtype object (shape {data.shape}); expected numbers")
        if requires_grad:
            _check_float(data, "tensor(requires_grad=True)")
        self._data = data
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._prim = None
        self._x = self._y = None
        self._params = None
        self._seq = next(_seq)
        if requires_grad:
            _register_grad_leaf(self)
        if _guard_hook is not None:  # bc.jit traces: Tensor(t), t.detach() hold t's traced value
            _guard_hook(src, "alias", self)

    # -- properties -------------------------------------------------------
    @property
    def data(self) -> Any:
        """The ndarray this Tensor holds: the same array, not a copy, outside the graph.

        Writing into it changes the Tensor (and stamps its storage, so a graph that read the old
        value refuses to differentiate it); assigning replaces the array (and stamps the new one, so
        a graph recorded before refuses too). The core and the layers
        read the slot ``_data`` directly, so a subclass may give ``data`` another meaning
        (``backchain.torch.Tensor.data`` is a detached torch Tensor, as in PyTorch).
        """
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, (np.ndarray, np.generic)):
            value = np.asarray(value)
        self._data = value
        # a node recorded before reads the new array at backward: stamp it, so that such a node raises
        # instead of differentiating at the new value
        bump_version(self, "assignment to .data")

    shape = property(lambda self: np.shape(self._data))
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: np.ndim(self._data))
    size = property(lambda self: np.size(self._data))

    @property
    def _inputs(self):
        """The node's inputs as a tuple; None for a leaf or a released node."""
        if self._params is None:
            return None
        y = self._y
        inputs = (self._x,) if y is ONE else self._x if y is MANY else (self._x, y)
        seq = self._seq
        for p in inputs:
            if isinstance(p, Tensor) and p._seq > seq:
                return heal(self)
        return inputs

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an operation."""
        return self._prim is None

    @property
    def grad_fn(self) -> str | None:
        """The name of the primitive that produced this tensor, or None for a leaf."""
        return None if self._prim is None else self._prim.name

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf and return self."""
        if requires_grad:
            _check_float(np.asarray(self._data), "requires_grad_")
        elif self._prim is not None:
            raise RuntimeError(
                f"requires_grad_(False): only leaves can stop requiring grad; this tensor was produced by "
                f"'{self._prim.name}'. Use .detach()"
            )
        self.requires_grad = bool(requires_grad)
        if requires_grad and self._prim is None:
            _register_grad_leaf(self)
        return self

    def __reduce_ex__(self, protocol):
        # pickle and copy.deepcopy: leaves only, as in PyTorch. A node would drag its whole recorded
        # history along (and deepcopy would recurse through it); the graph cannot cross processes.
        if self._prim is not None:
            raise TypeError(
                f"pickle/deepcopy: this tensor ({self.dtype}{list(self.shape)}) is the output of "
                f"'{self._prim.name}' in a recorded graph, which cannot be pickled or copied; use "
                "t.detach() for its values, or bc.save(model.state_dict(), path) for a model")
        return super().__reduce_ex__(protocol)

    def register_hook(self, hook: Callable[[Any], Any]) -> Any:
        """Call ``hook(grad)`` with this tensor's gradient each time ``backward`` has it whole (the
        sum over every path); a result that is not None replaces the gradient, downstream and in a
        leaf's ``.grad`` (PyTorch's ``Tensor.register_hook``). Returns a handle with ``remove()``.

        >>> import backchain as bc
        >>> x = bc.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 3
        >>> handle = y.register_hook(lambda g: g * 10)
        >>> y.sum().backward()
        >>> x.grad
        array([30., 30.])
        """
        from .engine import register_hook

        return register_hook(self, hook)

    def detach(self) -> Tensor:
        """A new leaf Tensor sharing this tensor's data, cut from the graph."""
        t = _new(self._result)
        Tensor.__init__(t, self._data)
        return t

    def numpy(self) -> NDArray[Any]:
        """The data as an ndarray (shared, not copied)."""
        return np.asarray(self._data)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        v = np.asarray(self._data).item()
        if _guard_hook is not None:
            _guard_hook(self, "item", v)
        return v

    def tolist(self) -> Any:
        return np.asarray(self._data).tolist()

    def backward(self, grad: ArrayLike | Tensor | None = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d self / d leaf into ``leaf.grad`` for every leaf that requires grad.

        Parameters
        ----------
        grad : array_like, optional
            The cotangent to start from; required unless the tensor has one element.
        retain_graph : bool
            Keep the saved values so that backward can run again through the graph.
        create_graph : bool
            Record the backward pass itself, so that ``.grad`` is a differentiable
            Tensor (for higher derivatives).
        """
        from .engine import tensor_backward

        tensor_backward(self, grad, retain_graph, create_graph)

    def __repr__(self):
        body = np.array2string(np.asarray(self._data), separator=", ", prefix="tensor(")
        extra = ""
        if self._prim is not None:
            extra = f", grad_fn=<{self._prim.name}>"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        if np.asarray(self._data).dtype not in (np.float64, np.int64, np.bool_):
            extra = f", dtype={self._data.dtype}" + extra
        return f"tensor({body}{extra})"

    def __len__(self) -> int:
        if isinstance(self._data, tuple):
            return len(self._data)
        if np.ndim(self._data) == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if isinstance(self._data, tuple):  # the outputs of a multiple-result primitive
            from .primitive import tuple_get

            n = len(self._data)
            return iter([tuple_get(self, index=k, n=n) for k in range(n)])
        if np.ndim(self._data) == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter([self[k] for k in range(len(self._data))])

    def __bool__(self) -> bool:
        v = bool(self._data)
        if _guard_hook is not None:
            _guard_hook(self, "bool", v)
        return v

    def _scalar(self, what):
        """The value of a one-element tensor (any number of axes, as in PyTorch), for ``what``."""
        a = np.asarray(self._data)
        if a.size != 1:
            raise TypeError(f"{what}: only a one-element tensor converts to a Python number; this one has "
                            f"shape {a.shape} ({a.size} elements)")
        v = a.reshape(()).item()
        if _guard_hook is not None:
            _guard_hook(self, "item", v)
        return v

    def __float__(self) -> float:
        return float(self._scalar("float(tensor)"))

    def __int__(self) -> int:
        return int(self._scalar("int(tensor)"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex(tensor)"))

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor's value; an empty spec gives ``str``."""
        if not spec:
            return str(self)
        return format(self._scalar(f"format(tensor, {spec!r})"), spec)

    def __round__(self, ndigits: int | None = None) -> Tensor:
        """``round(t)`` and ``round(t, 3)``: the elements rounded half to even, a Tensor (as in
        PyTorch and NumPy's arrays); no gradient flows through rounding."""
        from .. import numpy as bnp

        return bnp.round(self, 0 if ndigits is None else ndigits)

    def __index__(self) -> int:
        v = np.asarray(self._data).__index__()
        if _guard_hook is not None:
            _guard_hook(self, "item", v)
        return v

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            f"Tensor item assignment (t[{_index_text(index)}] = ...) is not supported: it would change the "
            f"tensor ({self.dtype}{list(self.shape)}) without a derivative rule. Build the new tensor with "
            "backchain.numpy (bnp.where(mask, value, t), bnp.concatenate, ...), or write into "
            "t.detach().numpy() / t.data when no gradient is needed")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None and (_traced(inputs) or _traced(kwargs["out"])) and is_grad_enabled():
            raise TypeError(
                f"numpy.{ufunc.__name__}(..., out=...): writing a result into out= is not differentiable "
                f"(inputs: {', '.join(_describe_arg(a) for a in inputs)}). Use the returned value "
                f"(y = np.{ufunc.__name__}(...)), or the in-place Tensor methods (t.add_(u), t += u)")
        if method == "__call__" and kwargs.get("out") is None:
            fn = UFUNCS.get(ufunc)
            if fn is not None:
                kwargs.pop("out", None)
                return fn(*inputs, **kwargs)
        if method == "reduce" and kwargs.get("out") is None:
            fn = UFUNCS.get((ufunc, "reduce"))
            if fn is not None:
                return fn(*inputs, **kwargs)
        if _traced(inputs) and is_grad_enabled():
            raise TypeError(
                f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} has no derivative rule in "
                "backchain and was given a tensor that requires grad; use a backchain.numpy function, or "
                "detach() the tensor if you do not need its gradient"
            )
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _unwrap(out)
        result = _wrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))
        for o in (out if isinstance(out, tuple) else (out,)):
            if isinstance(o, Tensor):  # written in place: graphs that saved it must know
                bump_version(o, f"numpy.{ufunc.__name__}(out=)")
        return result

    def __array_function__(self, func, types, args, kwargs):
        fn = FUNCTIONS.get(func)
        if fn is not None:
            return fn(*args, **kwargs)
        if (_traced(args) or _traced(tuple(kwargs.values()))) and is_grad_enabled():
            raise TypeError(
                f"numpy.{func.__name__} has no derivative rule in backchain and was given a tensor that "
                "requires grad; use a backchain.numpy function, or detach() the tensor if you do not need "
                "its gradient"
            )
        return _wrap(func(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> NDArray[Any]:
        if self.requires_grad and is_grad_enabled():
            raise TypeError(
                "Tensor.__array__: this tensor requires grad, and converting it to a plain ndarray would "
                "silently cut the gradient. Use backchain.numpy functions on it, or .detach().numpy() "
                f"(shape {self.shape}, dtype {self.dtype})"
            )
        a = np.asarray(self._data)
        if _guard_hook is not None:  # bc.jit traces: NumPy reads the whole value, which the replay checks
            _guard_hook(self, "array", a)
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a


def tensor(data: ArrayLike | Tensor, requires_grad: bool = False, dtype: DTypeLike | None = None) -> Tensor:
    """Make a leaf Tensor from array-like data (always a copy, like ``torch.tensor``).

    >>> import backchain as bc
    >>> bc.tensor([[1.0, 2.0]], requires_grad=True).shape
    (1, 2)
    """
    src = data
    if isinstance(data, Tensor):
        data = data._data
    t = Tensor(np.array(data, dtype=dtype), requires_grad=requires_grad)
    if _guard_hook is not None:  # bc.jit traces: a copy of a traced value is traced
        _guard_hook(src, "copy", t)
    return t


_new = object.__new__
Tensor._result = Tensor


def make_const(data, cls=None):
    """Wrap data as an untraced Tensor (the result of an op on untraced tensors) of class ``cls``."""
    t = _new(Tensor if cls is None else cls)
    t._data = data
    t.requires_grad = False
    t.grad = None
    t._prim = None
    t._x = t._y = None
    t._params = None
    t._seq = next(_seq)
    return t
