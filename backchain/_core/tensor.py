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
import itertools
import threading
import weakref

import numpy as np

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _GradState(threading.local):
    def __init__(self):
        self.enabled = True


_state = _GradState()
# Creation order of tensors. A functional transform differentiates with respect
# to fresh leaves; anything created before them cannot depend on them, which is
# how transforms tell their own graph from an enclosing one (nested derivatives
# with no perturbation confusion).
_seq = itertools.count(1)


class _Inplace:
    """Process-wide: ``used`` turns True the first time a Tensor is modified in place (``add_``,
    ``+=``, an optimizer step); from then on backward checks version numbers (engine._count_checked)."""

    used = False


INPLACE = _Inplace()


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
# Tensors modified in place -> how ("add_", "SGD.step", ...), for the error messages.
MODIFIED = _IdMap()
# Non-leaf tensors whose data was changed in place under no_grad -> how: their own node's rule
# would read the changed value.
STALE = _IdMap()


def bump_version(t, how):
    """Mark ``t`` as modified in place: a new creation number, so nodes that recorded it see it is newer."""
    t._seq = next(_seq)
    INPLACE.used = True
    MODIFIED[t] = how


def is_grad_enabled():
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


class set_grad_enabled:
    """Context manager and decorator that sets recording on or off (thread-local).

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
    """

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev

    def __call__(self, fn):
        import functools

        mode = self.mode
        _state.enabled = self.prev  # used as a decorator: undo the eager set

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state.enabled
            _state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.enabled = prev

        return wrapper


class no_grad(set_grad_enabled):
    """Disable recording inside a ``with`` block or a decorated function.

    >>> import backchain as bc
    >>> x = bc.tensor([1.0, 2.0], requires_grad=True)
    >>> with bc.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Enable recording inside a ``with`` block or a decorated function.

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

    def __init__(self):
        super().__init__(True)


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
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _wrap(x):
    if isinstance(x, np.ndarray) or np.isscalar(x) and isinstance(x, np.generic):
        return Tensor(x) if getattr(x, "dtype", None) is not None and x.dtype.kind in "fc" else x
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    return x


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

    __slots__ = ("data", "requires_grad", "grad", "_prim", "_x", "_y", "_params", "_seq", "__weakref__")
    __array_priority__ = 1000.0
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        data = np.asarray(data, dtype=dtype)
        if data.dtype == object:
            raise TypeError(f"tensor: cannot make a Tensor of dtype object (shape {data.shape}); expected numbers")
        if requires_grad:
            _check_float(data, "tensor(requires_grad=True)")
        self.data = data
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._prim = None
        self._x = self._y = None
        self._params = None
        self._seq = next(_seq)

    # -- properties -------------------------------------------------------
    shape = property(lambda self: np.shape(self.data))
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: np.ndim(self.data))
    size = property(lambda self: np.size(self.data))

    @property
    def _inputs(self):
        """The node's inputs as a tuple; None for a leaf or a released node."""
        if self._params is None:
            return None
        y = self._y
        return (self._x,) if y is ONE else self._x if y is MANY else (self._x, y)

    @property
    def is_leaf(self):
        """True for tensors created by the user rather than by an operation."""
        return self._prim is None

    @property
    def grad_fn(self):
        """The name of the primitive that produced this tensor, or None for a leaf."""
        return None if self._prim is None else self._prim.name

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf and return self."""
        if requires_grad:
            _check_float(np.asarray(self.data), "requires_grad_")
        elif self._prim is not None:
            raise RuntimeError(
                f"requires_grad_(False): only leaves can stop requiring grad; this tensor was produced by "
                f"'{self._prim.name}'. Use .detach()"
            )
        self.requires_grad = bool(requires_grad)
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

    def detach(self):
        """A new leaf Tensor sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def numpy(self):
        """The data as an ndarray (shared, not copied)."""
        return np.asarray(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return np.asarray(self.data).item()

    def tolist(self):
        return np.asarray(self.data).tolist()

    def backward(self, grad=None, retain_graph=False, create_graph=False):
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
        body = np.array2string(np.asarray(self.data), separator=", ", prefix="tensor(")
        extra = ""
        if self._prim is not None:
            extra = f", grad_fn=<{self._prim.name}>"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        if np.asarray(self.data).dtype not in (np.float64, np.int64, np.bool_):
            extra = f", dtype={self.data.dtype}" + extra
        return f"tensor({body}{extra})"

    def __len__(self):
        if isinstance(self.data, tuple):
            return len(self.data)
        if np.ndim(self.data) == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if isinstance(self.data, tuple):  # the outputs of a multiple-result primitive
            from .primitive import tuple_get

            n = len(self.data)
            return iter([tuple_get(self, index=k, n=n) for k in range(n)])
        if np.ndim(self.data) == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter([self[k] for k in range(len(self.data))])

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __complex__(self):
        return complex(self.data)

    def __index__(self):
        return np.asarray(self.data).__index__()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
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
        if kwargs.get("out") is not None:
            kwargs["out"] = _unwrap(kwargs["out"])
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))

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

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad and is_grad_enabled():
            raise TypeError(
                "Tensor.__array__: this tensor requires grad, and converting it to a plain ndarray would "
                "silently cut the gradient. Use backchain.numpy functions on it, or .detach().numpy() "
                f"(shape {self.shape}, dtype {self.dtype})"
            )
        a = np.asarray(self.data)
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a


def tensor(data, requires_grad=False, dtype=None):
    """Make a leaf Tensor from array-like data (always a copy, like ``torch.tensor``).

    >>> import backchain as bc
    >>> bc.tensor([[1.0, 2.0]], requires_grad=True).shape
    (1, 2)
    """
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(np.array(data, dtype=dtype), requires_grad=requires_grad)


_new = object.__new__


def make_const(data):
    """Wrap data as an untraced Tensor (the result of an op on untraced tensors)."""
    t = _new(Tensor)
    t.data = data
    t.requires_grad = False
    t.grad = None
    t._prim = None
    t._x = t._y = None
    t._params = None
    t._seq = next(_seq)
    return t
