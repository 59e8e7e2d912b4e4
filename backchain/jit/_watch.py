"""What tracing watches besides the primitives' calls: code reading arrays out of traced Tensors.

While a function is traced (``_trace.py``), the slot ``Tensor._data`` is :class:`_DataWatch` (the
public ``t.data`` reads it through a property, whose caller counts): a read from outside the
engine's files hands out a :class:`_Read` view of the array, whose NumPy ufuncs,
functions and copying methods, in-place writes, truth value and ``item()`` report to the tracer
(so that ``np.isnan(t.data)`` is a call of the program, and ``if t.data.any():`` a guard).
``np.asarray`` keeps such a view as it is. Draws from backchain's generators go through
:class:`_RecordingGenerator`; an optimizer's step and the modules called are noted by wrappers
that ``Tracer.install`` puts in place (``module_state``, ``_run_step``).
"""
import functools
import operator
import os
import sys
import threading

import numpy as np

from .. import random as _random
from .._core import primitive as _pm
from .._core.tensor import Tensor

_DATA = Tensor.__dict__["_data"]  # the slot's descriptor
# ``t.data`` (the public property) reads the slot from tensor.py: the reader is the property's caller
_PROPERTY = Tensor.__dict__["data"].fget.__code__
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Files whose reads of ``t.data`` are the engine's own: the callers of primitives (which record the
# call), the backward and forward sweeps, the transforms, the Tensor's properties, and the tracer.
_ENGINE = {os.path.join(_HERE, *p) for p in (
    ("_core", "primitive.py"), ("_core", "engine.py"), ("_core", "tensor.py"), ("_core", "basic.py"),
    ("_core", "versions.py"), ("_core", "anomaly.py"), ("transforms.py",), ("jit", "_trace.py"), ("jit", "_watch.py"),
    ("jit", "_api.py"), ("numpy", "_tensor_methods.py"), ("numpy", "_nondiff.py"))}


# Engine functions that hand a Tensor's array to code that writes into it (BatchNorm's running statistics).
_WRITERS = {"writable"}


class _Read(np.ndarray):
    """A traced array as code outside the engine reads it (``t.data``): NumPy's results computed from
    it keep this class and the slot it came from, so that the tracer recognizes them where they enter
    the program (as the value itself, or as a value computed from it that a guard must check)."""

    _slot = None
    _site = None

    def __array_finalize__(self, obj):
        self._slot = getattr(obj, "_slot", None)
        self._site = getattr(obj, "_site", None)

    def _read(self, kind, value):
        tracer = _pm._trace_hook
        if tracer is not None and self._slot is not None:
            tracer.read(self, kind, value)
        return value

    def __bool__(self):
        return self._read("bool", bool(self.view(np.ndarray)))

    def item(self, *args):
        v = self.view(np.ndarray).item(*args)
        return self._read("item", v) if not args else v

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        return self._read("item", self.view(np.ndarray).__index__())

    # NumPy on a traced array outside the engine is recorded too: ufuncs, functions, and the methods
    # that copy or reshape (views made otherwise are values computed from it: guarded).
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
        tracer = _pm._trace_hook
        if tracer is None:
            return result
        if out is not None:  # x -= lr * g: a write into a traced array
            if method != "__call__" or len(out) != 1:
                return result
            kw = {k: v for k, v in kwargs.items() if k != "out"}
            tracer.write(out[0], ufunc, ufunc.__name__, inputs, kw)
            return out[0]
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        return tracer.numpy_call(fn, name, inputs, kwargs, result)

    def __array_function__(self, func, types, args, kwargs):
        result = func(*_plain_tree(args), **_plain_tree(kwargs))
        tracer = _pm._trace_hook
        if tracer is None:
            return result
        if func is np.copyto:  # np.copyto(dst, src): a write into a traced array
            dst = args[0] if args else kwargs["dst"]
            rest = {k: v for k, v in kwargs.items() if k != "dst"}
            tracer.write(dst, _copied, "copyto", (dst,) + tuple(args[1:]), rest)
            return result
        return tracer.numpy_call(func, func.__name__, args, kwargs, result)

    def __setitem__(self, index, value):
        self.view(np.ndarray)[_plain_tree(index)] = _plain(value)
        tracer = _pm._trace_hook
        if tracer is not None:
            tracer.write(self, _setitem, "setitem", (self, index, value), {})

    def __getitem__(self, index):
        result = self.view(np.ndarray)[_plain_tree(index)]
        tracer = _pm._trace_hook
        if tracer is None:
            return result
        return tracer.numpy_call(operator.getitem, "getitem", (self, index), {}, result)

    @property
    def T(self):
        return self.transpose()


def _method(name):
    def method(self, *args, **kwargs):
        result = getattr(self.view(np.ndarray), name)(*_plain_tree(args), **_plain_tree(kwargs))
        tracer = _pm._trace_hook
        if tracer is None:
            return result
        return tracer.numpy_call(getattr(np.ndarray, name), name, (self,) + args, kwargs, result)

    method.__name__ = name
    return method


for _name in ("astype", "reshape", "transpose", "copy", "ravel", "flatten", "squeeze", "swapaxes", "clip",
              "round", "cumsum", "cumprod", "argsort", "argmax", "argmin", "nonzero", "repeat", "take", "conj",
              "dot", "diagonal"):
    setattr(_Read, _name, _method(_name))


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, _Read) else x


def module_state(m):
    """What a program assumes of a module it called: its train()/eval() mode, and which parameters,
    buffers and submodules it holds (by identity: ``model.fc = nn.Linear(...)`` is another model)."""
    d = m.__dict__
    return (d.get("training", True),) + tuple(
        tuple((k, id(v)) for k, v in d.get(name, {}).items()) for name in ("_parameters", "_buffers", "_modules"))


def _run_step(opt, params, *grads):
    """An optimizer's step in a replay: the gradients the program computed, then ``opt.step()``."""
    for p, g in zip(params, grads):
        p.grad = np.array(g) if isinstance(g, np.ndarray) else g
    opt.step()


def _copied(dst, src, casting="same_kind", where=True):
    """What ``np.copyto(dst, src)`` leaves in ``dst``, as a new array."""
    out = np.array(dst)
    np.copyto(out, src, casting=casting, where=where)
    return out


def _setitem(a, index, value):
    """What ``a[index] = value`` leaves in ``a``, as a new array."""
    out = np.array(a)
    out[index] = value
    return out


def _write_call(fn, dst, *args, **kwargs):
    """``fn(*args, **kwargs)`` (an in-place ufunc's value) in ``dst``'s dtype, as the write left it."""
    out = fn(*args, **kwargs)
    return out.astype(dst.dtype, copy=False) if out.dtype != dst.dtype else out


def _plain_tree(x):
    if isinstance(x, _Read):
        return x.view(np.ndarray)
    if x.__class__ is tuple or x.__class__ is list:
        return x.__class__(_plain_tree(v) for v in x)
    if x.__class__ is dict:
        return {k: _plain_tree(v) for k, v in x.items()}
    return x


def _asarray(a, dtype=None, order=None, **kwargs):
    """``np.asarray`` while tracing: a traced array stays the tracer's view (so what is computed
    from it is recorded)."""
    if isinstance(a, _Read) and (dtype is None or np.dtype(dtype) == a.dtype) and order is None and not kwargs:
        return a
    return _ASARRAY(a, dtype=dtype, order=order, **kwargs)


_ASARRAY = np.asarray


_DRAWS = ("random", "standard_normal", "normal", "uniform", "integers", "binomial", "bernoulli", "choice",
          "permutation", "exponential", "standard_exponential", "gamma", "beta", "poisson", "laplace",
          "logistic", "lognormal", "standard_t", "standard_gamma", "chisquare", "multinomial", "geometric")


def _draw(name, *args, **kwargs):
    """A draw from backchain's default generator, as it is when the program runs."""
    return getattr(_random.default_generator(), name)(*args, **kwargs)


def _draw_from(generator, name, *args, **kwargs):
    """A draw from a generator given to a layer or function (``generator=``)."""
    return getattr(generator, name)(*args, **kwargs)


class _RecordingGenerator:
    """A generator while tracing (backchain's default one, or one given as ``generator=``): each draw is
    a call of the program (a replay draws fresh numbers, as the eager code would), its array handed out
    as a traced value."""

    def __init__(self, real, tracer, default=True):
        self.real, self.tracer, self.default = real, tracer, default

    def __getattr__(self, name):
        attr = getattr(self.real, name)
        if name not in _DRAWS:
            return attr

        def draw(*args, **kwargs):
            out = attr(*args, **kwargs)
            if threading.get_ident() != self.tracer.thread:  # another thread's draw: not this program's
                return out
            fn = functools.partial(_draw, name) if self.default else functools.partial(_draw_from, self.real, name)
            return self.tracer.random_call(name, args, kwargs, out, fn)

        return draw


# Modules that take their generator through ``backchain.random._gen``, imported by name.
_GEN_USERS = ("backchain.nn.functional", "backchain.nn.init", "backchain.nn.layers.acdc")


class _DataWatch:
    """``Tensor._data`` while tracing: reads from outside the engine's files are reported."""

    __slots__ = ("member", "tracer")

    def __init__(self, member, tracer):
        self.member, self.tracer = member, tracer

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        v = self.member.__get__(obj, cls)
        if v.__class__ is np.ndarray and threading.get_ident() == self.tracer.thread:
            frame = sys._getframe(1)
            if frame.f_code is _PROPERTY:
                frame = frame.f_back
            if frame.f_code.co_filename not in _ENGINE or frame.f_code.co_name in _WRITERS:
                tracer = self.tracer
                e = tracer.slots.get(id(obj))
                seq = getattr(obj, "_seq", None)  # (None: a Tensor being made)
                if e is None and seq is not None and seq < tracer.start:
                    tracer.external(obj)  # a parameter or buffer of the caller's: an input of the program
                    e = tracer.slots.get(id(obj))
                if e is not None and e[1] == seq:
                    v = v.view(_Read)
                    v._slot = e[0]
                    v._site = f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"
        return v

    def __set__(self, obj, value):
        if isinstance(value, _Read) and threading.get_ident() == self.tracer.thread:  # t.data = (a value computed from traced arrays)
            tracer = self.tracer
            k, same = tracer.resolve(value)
            value = value.view(np.ndarray)
            self.member.__set__(obj, value)
            if k is not None and same:
                if id(obj) not in tracer.slots and getattr(obj, "_seq", tracer.start) < tracer.start:
                    tracer.external(obj)
                if id(obj) in tracer.slots:
                    tracer.rebind(obj, k)
            return
        self.member.__set__(obj, value)
