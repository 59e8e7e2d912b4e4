"""In-place Tensor operations with PyTorch semantics, and their safety.

``x.add_(y)``, ``x.sub_``, ``x.mul_``, ``x.div_``, ``x.fill_``, ``x.zero_``,
``x.copy_`` and the augmented operators (``x += y``, ``-=``, ``*=``, ``/=``):

* when nothing is recorded (grad mode off, or neither operand requires grad),
  the result is written into ``x.data`` (in place when it is a writable array)
  and ``x`` gets a new version: a graph that saved ``x`` before and runs backward
  afterwards raises :class:`~backchain.InplaceError` naming the op that saved it;
* when the op is recorded (``x`` is a non-leaf, or ``y`` requires grad), ``x``
  becomes the output of the op and its former value becomes the op's input, as
  in PyTorch; graphs that used ``x`` before raise at backward as above;
* a leaf that requires grad cannot be modified in place while grad mode is on
  (its gradient would have nothing to attach to): a clear ``RuntimeError``
  says to use ``with bc.no_grad():`` (the way optimizers update parameters).

The version is the tensor's creation number (``_seq``), which the engine
already keeps: an input newer than the node that used it was changed after the
node was recorded. So the recording path pays nothing for this; backward
checks the numbers only once some tensor was ever modified in place.
"""
import warnings

import numpy as np

from .saved import Saver, release
from .tensor import INPLACE, MODIFIED, STALE, TRACES, Tensor, _IdMap, _state, bump_version

__all__ = ["install"]

_SLOTS = ("data", "requires_grad", "grad", "_prim", "_x", "_y", "_params", "_seq")
_UFUNCS = {"add_": (np.add, "add"), "sub_": (np.subtract, "subtract"), "mul_": (np.multiply, "multiply"),
           "div_": (np.true_divide, "divide")}
# The graph-retention trap: ``total += loss`` over many steps keeps every step's graph alive.
_ACCUMULATED = _IdMap()
_TRAP_AFTER = 100
_trap_warned = [False]


def _describe(x):
    if isinstance(x, Tensor):
        x = x.data
    a = np.asarray(x)
    return f"{a.dtype}{list(a.shape)}"


def _move_node(x):
    """A new Tensor holding ``x``'s current value and node (``x`` is about to be rebound)."""
    old = object.__new__(type(x))
    for s in _SLOTS:
        setattr(old, s, getattr(x, s))
    if isinstance(x, Saver):  # the node's locks on its saved arrays go with it
        old._own, old._held = x._own, x._held
        x._own = x._held = None
    trace = TRACES.get(x)
    if trace is not None:
        TRACES[old] = trace
    return old


def _take(x, new):
    """Make ``x`` the node ``new`` (``new`` is a fresh result nobody else holds)."""
    for s in _SLOTS:
        if s != "grad":
            setattr(x, s, getattr(new, s))
    if not isinstance(new, Saver):  # the new node locks nothing
        if isinstance(x, Saver):
            x._own = x._held = None
    elif isinstance(x, Saver):
        x._own, x._held = new._own, new._held
        new._own = new._held = None
    else:  # a plain Tensor that becomes a node cannot hold locks: the new node's arrays stay writeable
        release(new)
    trace = TRACES.get(new)
    if trace is not None:
        TRACES[x] = trace
    else:
        TRACES.pop(x)


def _check_leaf(x, name):
    if x._prim is None and x.requires_grad:
        raise RuntimeError(
            f"{name}: the tensor ({_describe(x)}) is a leaf that requires grad; modifying it in place while "
            "grad mode is on would leave its gradient with nothing to attach to. Update parameters under "
            "`with bc.no_grad():` (as optimizers do), or write x = x + y for a new tensor.")


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


def _store(x, result, name, other):
    """Write ``result`` into ``x.data`` without recording."""
    data = x.data
    shape = np.shape(data)
    if np.shape(result) != shape:
        raise ValueError(f"{name}: the result has shape {np.shape(result)} but the tensor has shape {shape}; an "
                         f"in-place operation cannot change the shape (other operand: {_describe(other)})")
    dtype = np.asarray(data).dtype
    rdtype = np.asarray(result).dtype
    if rdtype != dtype and not np.can_cast(rdtype, dtype, "same_kind"):
        raise TypeError(f"{name}: the result has dtype {rdtype}, which cannot be stored in place in a tensor of "
                        f"dtype {dtype} (shape {shape})")
    if isinstance(data, np.ndarray) and data.flags.writeable:
        np.copyto(data, result, casting="unsafe")
    else:
        x.data = np.asarray(result).astype(dtype)[()] if np.ndim(data) == 0 else np.array(result, dtype=dtype)
    if x._prim is not None and x._params is not None:
        STALE[x] = name
    bump_version(x, name)


def _traced(x, other):
    return _state.enabled and (x.requires_grad or (isinstance(other, Tensor) and other.requires_grad))


def _binary_inplace(name):
    ufunc, bnp_name = _UFUNCS[name]

    def op(self, other):
        if _traced(self, other):
            import backchain.numpy as bnp

            _check_leaf(self, name)
            old = _move_node(self)
            new = _fit(self, getattr(bnp, bnp_name)(old, other), name, other)
            _take(self, new)
            INPLACE.used = True
            MODIFIED[self] = name
            if name == "add_" and self.size == 1:
                _watch_accumulation(self)
            return self
        o = other.data if isinstance(other, Tensor) else other
        try:
            result = ufunc(self.data, o)
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

        _check_leaf(self, name)
        old = _move_node(self)
        mask = np.ones(self.shape, dtype=bool)
        new = _fit(self, bnp.where(mask, value, old), name, value)
        _take(self, new)
        INPLACE.used = True
        MODIFIED[self] = name
        return self
    v = value.data if isinstance(value, Tensor) else value
    try:
        result = np.broadcast_to(np.asarray(v), np.shape(self.data))
    except ValueError:
        raise ValueError(f"{name}: cannot broadcast a value of shape {np.shape(v)} to the tensor's shape "
                         f"{np.shape(self.data)}") from None
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
