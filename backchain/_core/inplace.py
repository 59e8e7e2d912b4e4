"""In-place Tensor operations with PyTorch semantics, and their safety.

``x.add_(y)``, ``x.sub_``, ``x.mul_``, ``x.div_``, ``x.fill_``, ``x.zero_``,
``x.copy_`` and the augmented operators (``x += y``, ``-=``, ``*=``, ``/=``)
write the result into ``x``'s storage, so every view of it and every
``detach()`` alias sees the new value, and stamp the storage with a new version
(``versions.py``): a graph that read the old value raises at backward.

* When nothing is recorded (grad mode off, or neither operand requires grad),
  that is all; ``x`` keeps its node, as in PyTorch.
* When the op is recorded (``x`` is a non-leaf, or ``y`` requires grad), ``x``
  also becomes the op's output node. Its previous incarnation, with a copy of
  the old value, becomes the op's input, and nodes recorded earlier keep
  meaning it (``tensor.heal``): ``y = x * 1; y += y`` doubles y and its
  gradient, and ``y = x.exp(); y.add_(1)`` still differentiates ``exp`` at the
  old value (PyTorch raises there; backchain has the value it needs).
* A leaf that requires grad, or a view of one, cannot be modified in place
  while grad mode is on (its gradient would have nothing to attach to): a clear
  ``RuntimeError`` says to use ``with bc.no_grad():`` (as optimizers do).
"""
import warnings

import numpy as np

from .tensor import PREVIOUS, TRACES, Tensor, _IdMap, _seq, _state, grad_leaf_of, make_const
from .versions import WRITES, mark_written

__all__ = ["install"]

_SLOTS = ("_data", "requires_grad", "grad", "_prim", "_x", "_y", "_params", "_seq")
_UFUNCS = {"add_": (np.add, "add"), "sub_": (np.subtract, "subtract"), "mul_": (np.multiply, "multiply"),
           "div_": (np.true_divide, "divide")}
# The graph-retention trap: ``total += loss`` over many steps keeps every step's graph alive.
_ACCUMULATED = _IdMap()
_TRAP_AFTER = 100
_trap_warned = [False]


def _describe(x):
    if isinstance(x, Tensor):
        x = x._data
    a = np.asarray(x)
    return f"{a.dtype}{list(a.shape)}"


def _retire(x):
    """A new Tensor holding ``x``'s node and a copy of its value: its previous incarnation."""
    old = object.__new__(Tensor)
    for s in _SLOTS:
        setattr(old, s, getattr(x, s))
    old.grad = None
    if type(x._data) is np.ndarray:
        old._data = x._data.copy()
    trace = TRACES.get(x)
    if trace is not None:
        TRACES[old] = trace
    before = PREVIOUS.get(x)
    if before is not None:
        PREVIOUS[old] = before
    PREVIOUS[x] = old
    return old


def _take(x, new, data):
    """Make ``x`` the node ``new`` (a fresh result nobody else holds), holding ``data``."""
    for s in _SLOTS:
        if s != "grad":
            setattr(x, s, getattr(new, s))
    x._data = data
    trace = TRACES.pop(new)
    if trace is not None:
        TRACES[x] = trace
    else:
        TRACES.pop(x)


def _check_leaf(x, name):
    if x._prim is None and x.requires_grad:
        from ..transforms import _LEAVES, JIT_INPUT

        if _LEAVES.get(x) is JIT_INPUT:
            raise RuntimeError(
                f"{name}: an array argument ({_describe(x)}) of a function that bc.jit compiles is written in "
                "place; the program reads its arguments and returns new arrays: compute x = x + y (or "
                "bnp.add(x, y)) and return it")
        raise RuntimeError(
            f"{name}: the tensor ({_describe(x)}) is a leaf that requires grad; modifying it in place while "
            "grad mode is on would leave its gradient with nothing to attach to. Update parameters under "
            "`with bc.no_grad():` (as optimizers do), or write x = x + y for a new tensor.")


def _check_view_of_leaf(x, name):
    """A view of a leaf that requires grad cannot be written while recording (as in PyTorch)."""
    if x._prim is None or type(x._data) is not np.ndarray or x._data.base is None:
        return
    leaf = grad_leaf_of(x._data)
    if leaf is not None and leaf is not x:
        raise RuntimeError(
            f"{name}: the tensor ({_describe(x)}) is a view of a leaf that requires grad "
            f"({_describe(leaf)}), and writing into it in place while recording would change the leaf "
            "behind the graph's back. Update the leaf itself under `with bc.no_grad():`, or compute a "
            "new tensor out of place.")


def _fit(x, new, name, other):
    """Cast the recorded result to ``x``'s dtype and check it kept ``x``'s shape."""
    import backchain.numpy as bnp

    if new.shape != x.shape:
        raise ValueError(f"{name}: the result has shape {new.shape} but the tensor has shape {x.shape}; an "
                         f"in-place operation cannot change the shape (other operand: {_describe(other)})")
    if new.dtype != x.dtype:
        if not np.can_cast(new.dtype, x.dtype, "same_kind"):
            raise TypeError(f"{name}: the result has dtype {new.dtype}, which cannot be stored in place in a "
                            f"tensor of dtype {x.dtype} (shape {x.shape})")
        new = bnp.astype(new, x.dtype)
    return new


def _write(x, result, how, recorded, seq):
    """Write ``result`` into ``x``'s storage and stamp it; returns the array that now holds it
    (``x.data``, or a new array when ``x.data`` cannot be written: a NumPy scalar, a read-only
    array the user gave)."""
    data = x._data
    if type(data) is np.ndarray and data.flags.writeable:
        np.copyto(data, result, casting="unsafe")
        mark_written(data, seq, how, recorded)
        return data
    WRITES.used = True  # no storage written, but a recorded op may have rebound x: backward heals
    dtype = np.asarray(data).dtype
    return np.asarray(result).astype(dtype)[()] if np.ndim(data) == 0 else np.array(result, dtype=dtype)


def _recorded(x, name, compute, other):
    """The recorded in-place op: ``x`` becomes ``compute(old)``'s node, its storage the new value."""
    _check_leaf(x, name)
    _check_view_of_leaf(x, name)
    old = _retire(x)
    new = _fit(x, compute(old), name, other)
    if not isinstance(new, Tensor):
        new = make_const(new)
    data = _write(x, new._data, name, True, next(_seq))  # after the op that computed it was recorded
    _take(x, new, data)
    x._seq = next(_seq)  # ... and x's new node after the write: x is what the write made
    return x


def _store(x, result, name, other):
    """Write ``result`` into ``x`` without recording."""
    shape = np.shape(x._data)
    if np.shape(result) != shape:
        raise ValueError(f"{name}: the result has shape {np.shape(result)} but the tensor has shape {shape}; an "
                         f"in-place operation cannot change the shape (other operand: {_describe(other)})")
    dtype = np.asarray(x._data).dtype
    rdtype = np.asarray(result).dtype
    if rdtype != dtype and not np.can_cast(rdtype, dtype, "same_kind"):
        raise TypeError(f"{name}: the result has dtype {rdtype}, which cannot be stored in place in a tensor of "
                        f"dtype {dtype} (shape {shape})")
    x._data = _write(x, result, name, False, next(_seq))


def _traced(x, other):
    return _state.enabled and (x.requires_grad or (isinstance(other, Tensor) and other.requires_grad))


def _binary_inplace(name):
    ufunc, bnp_name = _UFUNCS[name]

    def op(self, other):
        if _traced(self, other):
            import backchain.numpy as bnp

            fn = getattr(bnp, bnp_name)
            _recorded(self, name, lambda old: fn(old, old if other is self else other), other)
            if name == "add_" and np.size(self._data) == 1:  # not self.size: a torch Tensor's is a method
                _watch_accumulation(self)
            return self
        o = other._data if isinstance(other, Tensor) else other
        try:
            result = ufunc(self._data, o)
        except (ValueError, TypeError) as e:
            raise type(e)(f"{name}: {e} (tensor {_describe(self)}, other {_describe(o)})") from None
        _store(self, result, name, other)
        return self

    op.__name__ = name
    op.__doc__ = (f"In-place ``{bnp_name}``: ``x.{name}(y)`` sets x to ``{bnp_name}(x, y)`` and returns x.\n\n"
                  "Recorded like PyTorch's when x or y requires grad (a leaf that requires grad raises\n"
                  "under grad mode: use ``with bc.no_grad():``).\n\n"
                  "    >>> import backchain as bc\n"
                  f"    >>> bc.tensor([1.0, 2.0]).{name}(2.0).data.tolist()\n"
                  f"    {ufunc(np.array([1.0, 2.0]), 2.0).tolist()}\n")
    return op


def _watch_accumulation(x):
    n = _ACCUMULATED.get(x, 0) + 1
    _ACCUMULATED[x] = n
    if n >= _TRAP_AFTER and not _trap_warned[0]:
        _trap_warned[0] = True
        warnings.warn(
            f"a one-element tensor that requires grad has been accumulated in place {n} times (total += loss); "
            "it keeps the graph of every term alive until it is differentiated, so memory grows with every "
            "step. To log a running total, add plain numbers: total += loss.item() (or float(loss), or "
            "loss.detach()).", ResourceWarning, stacklevel=3)


def _fill(self, value, name="fill_"):
    if _traced(self, value):
        import backchain.numpy as bnp

        mask = np.ones(self.shape, dtype=bool)
        return _recorded(self, name, lambda old: bnp.where(mask, old if value is self else value, old), value)
    v = value._data if isinstance(value, Tensor) else value
    try:
        result = np.broadcast_to(np.asarray(v), np.shape(self._data))
    except ValueError:
        raise ValueError(f"{name}: cannot broadcast a value of shape {np.shape(v)} to the tensor's shape "
                         f"{np.shape(self._data)}") from None
    _store(self, result, name, value)
    return self


def fill_(self, value):
    """Set every element to ``value`` in place and return self.

    >>> import backchain as bc
    >>> bc.tensor([1.0, 2.0]).fill_(3.0).data.tolist()
    [3.0, 3.0]
    """
    return _fill(self, value, "fill_")


def zero_(self):
    """Set every element to 0 in place and return self.

    >>> import backchain as bc
    >>> bc.tensor([1.0, 2.0]).zero_().data.tolist()
    [0.0, 0.0]
    """
    return _fill(self, 0, "zero_")


def copy_(self, src):
    """Copy ``src`` (broadcast to this tensor's shape) into this tensor in place and return self.

    >>> import backchain as bc
    >>> bc.tensor([1.0, 2.0]).copy_(bc.tensor([5.0, 6.0])).data.tolist()
    [5.0, 6.0]
    """
    return _fill(self, src, "copy_")


def install(cls):
    for name in _UFUNCS:
        op = _binary_inplace(name)
        setattr(cls, name, op)
        dunder = {"add_": "__iadd__", "sub_": "__isub__", "mul_": "__imul__", "div_": "__itruediv__"}[name]
        setattr(cls, dunder, op)
    cls.fill_ = fill_
    cls.zero_ = zero_
    cls.copy_ = copy_
