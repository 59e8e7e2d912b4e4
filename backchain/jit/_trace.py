"""Tracing: run a function once on Tensors and record every primitive call it makes.

While a :class:`Tracer` is installed, three module globals of the core point at it:

* ``primitive._trace_hook``: every primitive call with a Tensor argument reports its
  function, arguments, parameters and result (the forward, and the backward, whose
  rules run on Tensors while tracing, so that their own calls are recorded too);
* ``tensor._guard_hook``: ``bool(t)``, ``float(t)``, ``t.item()``, ``np.asarray(t)``
  report the value that Python read, which becomes a guard of the program;
* ``numpy._nondiff`` calls ``tracer.plain`` for NumPy functions without a derivative
  (comparisons, ``argmax``, ``any``), whose results become traced Tensors as well.

A value is traced if it was computed from an input by a recorded call; everything
else met as an argument is a constant of the program (a closure's array, a Python
number). An array that shares memory with an input but reached a call as a plain
array (``np.asarray(t.data)``) is the input itself when it is the input's array, and
an error otherwise: its value would be frozen into the program.
"""
import numpy as np

from numpy.lib.array_utils import byte_bounds as _byte_bounds

from .._core import primitive as _pm
from .._core import tensor as _tensor
from .._core.tensor import Tensor, _seq, make_const
from .._core.versions import written_after
from ._program import Call, Guard, Slot, walk

__all__ = ["Tracer", "JitError"]


# NumPy functions of shapes and dtypes only: their results are fixed by the signature.
_STATIC = {"shape", "ndim", "size", "result_type", "can_cast", "iscomplexobj", "isrealobj", "common_type",
           "min_scalar_type", "isfortran", "may_share_memory", "shares_memory", "einsum_path"}


class JitError(TypeError):
    """A function cannot be compiled by ``bc.jit`` as it is; the message says why and what to change."""


def aval(value):
    """(shape, dtype) of an array value; None for anything else."""
    if isinstance(value, (np.ndarray, np.generic)):
        return (np.shape(value), value.dtype)
    return None


def _copy(a, dtype):
    return np.array(a, dtype=dtype)


class Tracer:
    """The recording hooks of one trace and the program they build."""

    def __init__(self, fname):
        self.fname = fname
        self.slots = {}    # id(Tensor) -> (slot, its _seq when the slot was made)
        self.keep = []     # the traced Tensors, alive until the trace ends (their ids stay unique)
        self.arrays = {}   # id(array) -> slot: the inputs' arrays, and .grad arrays computed by backward
        self.kept_arrays = []
        self.bounds = []   # (low, high, name) byte bounds of the input arrays
        self.steps = []
        self.avals = []
        self.start = next(_seq)

    # -- slots --------------------------------------------------------------------------
    def new_slot(self, value, t=None):
        k = len(self.avals)
        self.avals.append(aval(value))
        if t is not None:
            self.slots[id(t)] = (k, t._seq)
            self.keep.append(t)
        return k

    def input(self, a, name):
        """The traced Tensor for the input array ``a``: a leaf that requires grad if it is floating point
        (so that derivatives of it can be taken, and NumPy cannot read it unnoticed), a constant otherwise."""
        if a.dtype.kind in "fc":
            t = Tensor.__new__(Tensor)
            Tensor.__init__(t, a, requires_grad=True)
        else:
            t = make_const(a)
        k = self.new_slot(a, t)
        self.arrays[id(a)] = k
        if a.size:
            lo, hi = _byte_bounds(a)
            self.bounds.append((lo, hi, name))
        return t, k

    def ref(self, v):
        """``v`` as the program sees it: a Slot for a traced value, the value itself for a constant
        (lists and tuples element by element)."""
        if isinstance(v, Tensor):
            e = self.slots.get(id(v))
            if e is not None:
                if e[1] != v._seq:
                    raise JitError(
                        f"jit({self.fname}): a traced tensor ({v.dtype}{list(v.shape)}) was modified in place "
                        "(x += y, x.add_(y), ...) while tracing; the compiled program holds values, not "
                        "variables. Write the new value as a new tensor (x = x + y)")
                return Slot(e[0])
            data = v.data
            if data.__class__ is np.ndarray:
                self._check_leak(data)
            return data
        cls = v.__class__
        if cls is np.ndarray:
            k = self.arrays.get(id(v))
            if k is not None:
                return Slot(k)
            self._check_leak(v)
            return v
        if cls is list or cls is tuple:
            items = [self.ref(x) for x in v]
            return items if cls is list else tuple(items)
        return v

    def _check_leak(self, a):
        if not self.bounds or not a.size:
            return
        lo, hi = _byte_bounds(a)
        for blo, bhi, name in self.bounds:
            if lo < bhi and blo < hi:
                raise JitError(
                    f"jit({self.fname}): an array that shares memory with argument {name} (a view of it, "
                    f"{a.dtype}{list(a.shape)}) reached '{self._current}' as a plain array, read out of a traced "
                    "tensor with .data or NumPy; the compiled program would keep its value from this call. "
                    "Compute with backchain.numpy on the tensor itself")

    _current = "an operation"

    # -- the hooks ----------------------------------------------------------------------
    def __call__(self, prim, args, raw, params, out):
        """``primitive._trace_hook``: make the result as the caller would, and record the call."""
        _pm._trace_hook = None  # the result's own calls (tuple_get) are part of this one
        try:
            if _pm._anomaly_hook is not None:
                res = _pm._anomaly_hook(prim, args, raw, params, out)
            else:
                res = _pm._record(prim, args, raw, params, out, None)
        finally:
            _pm._trace_hook = self
        self._current = prim.name
        targs = tuple(self.ref(a) for a in args)
        tparams = {k: self.ref(v) for k, v in params.items()}
        if not walk((targs, tparams)):
            return res  # every argument is a constant: so is the result
        if prim.multiple_results:
            outs = [self.new_slot(o.data, o) for o in res]
        else:
            outs = [self.new_slot(out, res)]
        ufunc = prim.impl if isinstance(prim.impl, np.ufunc) else None
        self.steps.append(Call(prim.name, prim.fast, targs, tparams, outs, prim.multiple_results, prim, ufunc))
        return res

    def plain(self, fn, args, kwargs, out):
        """``numpy._nondiff``'s functions (no derivative): record the call when an argument is traced;
        an array result becomes a traced Tensor, a Python value a guard."""
        name = getattr(fn, "__name__", "numpy")
        if name in _STATIC:
            return out  # a function of the shapes and dtypes, which the signature fixes
        self._current = name
        targs = tuple(self.ref(a) for a in args)
        tkw = {k: self.ref(v) for k, v in kwargs.items()}
        if not walk((targs, tkw)):
            return out
        if isinstance(out, (np.ndarray, np.generic)):
            t = make_const(out)
            self.steps.append(Call(name, fn, targs, tkw, [self.new_slot(out, t)]))
            return t
        if isinstance(out, tuple) and out and all(isinstance(o, np.ndarray) for o in out):
            ts = tuple(make_const(o) for o in out)
            outs = [self.new_slot(o, t) for o, t in zip(out, ts)]
            self.steps.append(Call(name, fn, targs, tkw, outs, multiple=True))
            return ts
        k = self.new_slot(out)
        self.steps.append(Call(name, fn, targs, tkw, [k]))
        self.steps.append(Guard(k, "value", out))
        return out

    def guard(self, t, kind, value):
        """``tensor._guard_hook``: Python read ``value`` out of ``t``; or (``kind`` "alias" or "copy")
        the Tensor ``value`` was made from ``t`` (a Tensor or an array) by ``Tensor(t)``, ``t.detach()``
        or ``bc.tensor(t)``."""
        if kind == "alias" or kind == "copy":
            self._made_from(t, kind, value)
            return
        e = self.slots.get(id(t))
        if e is not None:
            self.steps.append(Guard(e[0], kind, np.array(value) if kind == "array" else value))

    def _made_from(self, src, kind, new):
        if isinstance(src, Tensor):
            e = self.slots.get(id(src))
            k = None if e is None else e[0]
        elif src.__class__ is np.ndarray:
            k = self.arrays.get(id(src))
        else:
            return
        if k is None:
            return
        if new is src:
            return
        data = new.data
        if kind == "alias" and (data is (src.data if isinstance(src, Tensor) else src)):
            self.slots[id(new)] = (k, new._seq)  # the same array: the same slot
            self.keep.append(new)
            return
        self.steps.append(Call("copy", functools.partial(_copy, dtype=data.dtype), (Slot(k),), {},
                               [self.new_slot(data, new)]))

    def grad(self, previous, c):
        """``Tensor.backward`` while tracing: the new ``.grad`` of a leaf, ``c`` (a traced Tensor) added
        to ``previous`` (None, or an array tracked by an earlier backward), as an array the program tracks."""
        if previous is not None:
            prev = self.track_tensor(previous)
            c = prev + c
        if not isinstance(c, Tensor):
            c = make_const(np.asarray(c))
        data = c.data
        if data.__class__ is not np.ndarray:
            data = np.array(data)
            t = make_const(data)
            self._made_from(c, "copy", t)
            c = t
        e = self.slots.get(id(c))
        if e is not None:
            self.arrays[id(data)] = e[0]
            self.kept_arrays.append(data)
        return data

    def track_tensor(self, a):
        """A Tensor that holds the tracked array ``a`` (a constant Tensor if it is not tracked)."""
        t = make_const(a)
        k = self.arrays.get(id(a))
        if k is not None:
            self.slots[id(t)] = (k, t._seq)
            self.keep.append(t)
        return t

    # -- the whole trace ----------------------------------------------------------------
    def install(self):
        if _pm._trace_hook is not None:
            raise JitError(f"jit({self.fname}): another function is being traced")
        _pm._trace_hook = self
        _tensor._guard_hook = self.guard

    def uninstall(self):
        _pm._trace_hook = None
        _tensor._guard_hook = None

    def check_inputs(self, inputs):
        """Raise if an input's or a traced value's array was written in place without being recorded."""
        for data in [t.data for t in self.keep] + self.kept_arrays:
            if type(data) is np.ndarray and written_after(data, self.start) is not None:
                raise JitError(
                    f"jit({self.fname}): a traced array ({data.dtype}{list(data.shape)}) was written in place "
                    "while tracing (an in-place operation under no_grad, or NumPy with out=); the compiled "
                    "program holds values, not variables. Compute a new tensor instead")
