"""Tracing: run a function once on Tensors and record every primitive call it makes.

While a :class:`Tracer` is installed, three module globals of the core point at it:

* ``primitive._trace_hook``: every primitive call with a Tensor argument reports its
  function, arguments, parameters and result; in a first-order backward, the engine hands
  it each rule evaluation (``Tracer.rule``: traced through when the rule is written with
  backchain.numpy alone, else recorded as one call run on the arrays);
* ``tensor._guard_hook``: ``bool(t)``, ``float(t)``, ``t.item()``, ``np.asarray(t)``
  report the value that Python read, which becomes a guard of the program; ``Tensor(t)``,
  ``t.detach()`` and ``bc.tensor(t)`` report the Tensor they made from ``t``;
* ``numpy._nondiff`` calls ``tracer.plain`` for NumPy functions without a derivative
  (comparisons, ``argmax``, ``any``), whose results are handed out as traced arrays.

``_watch.py`` covers code that reads arrays out of traced Tensors (``t.data``), random
draws, optimizer steps and module calls. A value is traced if it was computed from an input
(or from a Tensor made before the trace: a parameter, an input of the program too) by a
recorded call; everything else met as an argument is a constant of the program (a closure's
array, a Python number).
"""
import functools
import sys
import threading

import numpy as np

from numpy.lib.array_utils import byte_bounds as _byte_bounds

from .. import random as _random
from .._core import primitive as _pm
from .._core import tensor as _tensor
from .._core.primitive import _Given
from .._core.tensor import Tensor, _seq, _state, make_const
from .._core.versions import written_after
from ._program import Call, Guard, Slot, walk
from ._watch import (_ASARRAY, _DATA, _GEN_USERS, _DataWatch, _Read, _RecordingGenerator, _asarray, _copied,
                     _plain, _run_step, _setitem, _write_call, module_state)

__all__ = ["Tracer", "JitError"]


# NumPy functions of shapes and dtypes only: their results are fixed by the signature.
_STATIC = {"shape", "ndim", "size", "result_type", "can_cast", "iscomplexobj", "isrealobj", "common_type",
           "min_scalar_type", "isfortran", "may_share_memory", "shares_memory", "einsum_path"}


class JitError(TypeError):
    """A function cannot be compiled by ``bc.jit`` as it is; the message says why and what to change.

    >>> import numpy as np, backchain as bc
    >>> from backchain.jit import JitError
    >>> try:
    ...     bc.jit(lambda x, sizes: x, static_argnums=1)(np.ones(2), [1, 2])
    ... except JitError as e:
    ...     print(str(e).split(";")[0])
    jit(<lambda>): static argument 'sizes' (position 1) is a list, which cannot be hashed into the signature of the call
    """


def aval(value):
    """(shape, dtype) of an array value; None for anything else."""
    if isinstance(value, (np.ndarray, np.generic)):
        return (np.shape(value), value.dtype)
    return None


_SPECIAL = {}


def _special_rules():
    """Rules whose general form reads arrays (``safe_times``) but which reduce, for arguments fixed by
    the signature, to calls that can be traced through: multiply's rules with a finite Python number
    are ``g * y`` (the rule's own first branch)."""
    if not _SPECIAL:
        from .._rules import elementwise as E

        def mul_dx(g, ans, x, y):
            return g * y if type(y) is float and y - y == 0.0 else None

        def mul_dy(g, ans, x, y):
            return g * x if type(x) is float and x - x == 0.0 else None

        _SPECIAL.update({E._mul_dx: mul_dx, E._mul_dy: mul_dy})
    return _SPECIAL


def _layout(a):
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def _copy(a, dtype):
    return np.array(a, dtype=dtype)


def _joint_call(fn, needs, g, ans, *args, **params):
    """The needed cotangents of a ``Joint`` rule, in order (the program's multiple-result call)."""
    cts = fn(needs, g, ans, *args, **params)
    return tuple(_unwrap(c) for c, need in zip(cts, needs) if need)


def _unwrap(v):
    if isinstance(v, Tensor):
        v = v._data
        return v.view(np.ndarray) if isinstance(v, _Read) else v
    if isinstance(v, _Read):
        return v.view(np.ndarray)
    if v.__class__ is list or v.__class__ is tuple:
        return v.__class__(_unwrap(x) for x in v)
    return v


# Names whose use in a rule's code means it reads arrays out of its Tensors (or branches on their
# values): such a rule is recorded as one call instead of traced through.
_READS = frozenset({"data", "_data", "asarray", "item", "tolist", "safe_times", "_raw", "raw"})
_CLEAR = {}


def _transparent(fn):
    """Whether the rule ``fn`` is written with backchain.numpy on its arguments alone (then tracing
    through it records its calls). The code of ``fn`` and of the Python functions it names (globals
    and closure cells, transitively) must not read arrays out of Tensors; rules without code of
    their own (partials, builtins) are recorded as one call."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    ok = _CLEAR.get(code)
    if ok is not None:
        return ok
    ok, seen, stack = True, set(), [fn]
    while stack and ok:
        f = stack.pop()
        c = getattr(f, "__code__", None)
        if c is None or c in seen:
            continue
        seen.add(c)
        if _READS & set(c.co_names) or len(seen) > 200:
            ok = False
            break
        names = getattr(f, "__globals__", {})
        for n in c.co_names:
            v = names.get(n)
            if callable(v) and hasattr(v, "__code__") and not hasattr(v, "prim"):
                stack.append(v)
        for cell in getattr(f, "__closure__", None) or ():
            try:
                v = cell.cell_contents
            except ValueError:
                continue
            if callable(v) and not hasattr(v, "prim"):
                if not hasattr(v, "__code__"):
                    ok = False
                    break
                stack.append(v)
        for k in c.co_consts:  # nested functions and lambdas
            if hasattr(k, "co_names") and _READS & set(k.co_names):
                ok = False
    _CLEAR[code] = ok
    return ok


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
        self.thread = threading.get_ident()  # the hooks are global: other threads' calls are not recorded
        self.reads = []    # where code computed with NumPy from traced arrays (guards)
        self.values = []   # slot -> its value at trace time
        self.exact = {}    # (address, shape, strides, dtype) of a slot's array -> slot: np.asarray(t.data)
        self.state = []    # (slot, Tensor): Tensors made before the trace that it reads (parameters)
        self.writes = {}   # id(Tensor) -> (Tensor, slot): state written while tracing (optimizer steps)
        self.written = set()  # ids of arrays whose writes were recorded

    # -- slots --------------------------------------------------------------------------
    def new_slot(self, value, t=None):
        k = len(self.avals)
        self.avals.append(aval(value))
        if t is not None:
            self.slots[id(t)] = (k, t._seq)
            self.keep.append(t)
        self.values.append(value)
        if value.__class__ is np.ndarray and value.size:
            self.exact.setdefault(_layout(value), k)
        if isinstance(value, (np.ndarray, np.generic)) and value.__class__ is not np.bool_ and id(value) not in self.arrays:
            self.arrays[id(value)] = k  # the array itself, met where code read it out of its Tensor
            self.kept_arrays.append(value)
        # (not a NumPy bool: np.True_ and np.False_ are the results of every comparison, so their
        # identity names no slot; a 0-d array stands for them: handed_out, and _own_bool for a Tensor's)
        return k

    def input(self, a, name, cls=Tensor):
        """The traced Tensor for the input array ``a``: a leaf that requires grad if it is floating point,
        so that the function's code takes the paths it takes on traced values (and NumPy cannot read
        it unnoticed), but that the transforms know nothing differentiates (``transforms.JIT_INPUT``):
        a ``grad`` inside the function takes a first-order sweep, whose rules the tracer records."""
        if a.dtype.kind in "fc":
            from ..transforms import _LEAVES, JIT_INPUT

            t = object.__new__(cls)
            Tensor.__init__(t, a, requires_grad=True)
            _LEAVES[t] = JIT_INPUT
        else:
            t = make_const(a, cls)
        k = self.new_slot(a, t)
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
                if e[1] == -1:
                    raise JitError(
                        f"jit({self.fname}): a parameter ({v.dtype}{list(v.shape)}) is read after the optimizer's "
                        "step changed it, in the same traced function; the program reads parameters when it "
                        "starts. Take one step per call")
                if e[1] != v._seq:
                    raise JitError(
                        f"jit({self.fname}): a traced tensor ({v.dtype}{list(v.shape)}) was modified in place "
                        "(x += y, x.add_(y), ...) while tracing; the compiled program holds values, not "
                        "variables. Write the new value as a new tensor (x = x + y)")
                return Slot(e[0])
            if v._seq < self.start and self.external(v) is not None:
                return Slot(self.slots[id(v)][0])
            data = v._data
            if isinstance(data, np.ndarray):
                return self.constant(data)
            if data.__class__ is tuple:  # the node of a primitive with several results: its arrays
                return tuple(self.ref(x) for x in data)
            return self.ref(data) if isinstance(data, np.generic) else data
        cls = v.__class__
        if isinstance(v, np.ndarray):
            return self.constant(v)
        if isinstance(v, np.generic):
            k = self.arrays.get(id(v))
            return v if k is None else Slot(k)
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
        if threading.get_ident() != self.thread:  # another thread's call: as if nothing traced
            if _pm._anomaly_hook is not None:
                return _pm._anomaly_hook(prim, args, raw, params, out)
            return _pm._record(prim, args, raw, params, out, None)
        if isinstance(out, _Read):  # an implementation given the tracer's view of an array
            out = out.view(np.ndarray)
        elif out.__class__ is tuple:
            out = tuple(_plain(o) for o in out)
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
            outs = [self.new_slot(o._data, o) for o in res]
        else:
            outs = [self.new_slot(out, res)]
            if out.__class__ is np.bool_:
                self._own_bool(res, outs[0])
        ufunc = prim.impl if isinstance(prim.impl, np.ufunc) else None
        self.steps.append(Call(prim.name, prim.fast, targs, tparams, outs, prim.multiple_results, prim, ufunc))
        return res

    def plain(self, fn, args, kwargs, out):
        """``numpy._nondiff``'s functions (no derivative): record the call when an argument is traced;
        an array result becomes a traced Tensor, a Python value a guard."""
        if threading.get_ident() != self.thread:
            return out
        name = getattr(fn, "__name__", "numpy")
        if name in _STATIC:
            return out  # a function of the shapes and dtypes, which the signature fixes
        self._current = name
        targs = tuple(self.ref(a) for a in args)
        tkw = {k: self.ref(v) for k, v in kwargs.items()}
        if not walk((targs, tkw)):
            return out
        return self._recorded(name, fn, targs, tkw, out)

    def _recorded(self, name, fn, targs, tkw, out, python_only=False):
        """The call ``fn`` recorded with its result ``out``: an array (or a tuple of arrays) handed out as
        traced values, another value guarded (``python_only``: only Python numbers and bools)."""
        if isinstance(out, (np.ndarray, np.generic)):
            out = _plain(out)
            k = self.new_slot(out)
            self.steps.append(Call(name, fn, targs, tkw, [k]))
            return self.handed_out(out, k)
        if isinstance(out, tuple) and out and all(isinstance(o, np.ndarray) for o in out):
            out = tuple(_plain(o) for o in out)
            outs = [self.new_slot(o) for o in out]
            self.steps.append(Call(name, fn, targs, tkw, outs, multiple=True))
            return tuple(self.handed_out(o, k) for o, k in zip(out, outs))
        if not python_only or isinstance(out, (bool, int, float, complex)):
            k = self.new_slot(out)
            self.steps.append(Call(name, fn, targs, tkw, [k]))
            self.steps.append(Guard(k, "value", out))
        return out

    def external(self, t):
        """A Tensor made before the trace (a module's parameter or buffer) met by the traced code: an
        input of the program, read from ``t.data`` at every replay."""
        data = _DATA.__get__(t, Tensor)
        if data.__class__ is not np.ndarray or id(t) in self.slots:
            return None
        k = self.new_slot(data, t)
        self.state.append((k, t))
        return k

    def optimizer_step(self, opt, step):
        """``opt.step()`` while tracing: it runs as it is (not traced: its state, a step count, the
        learning rate stay the optimizer's own), and the program calls it at the same point of every
        replay, after setting each parameter's ``.grad`` to the gradient the replay computed."""
        params = [p for group in opt.param_groups for p in group["params"] if p.grad is not None]
        refs = tuple(self.ref(p.grad) for p in params)
        for p in params:
            if isinstance(p.grad, _Read):
                p.grad = p.grad.view(np.ndarray)
        saved = (_pm._trace_hook, _tensor._guard_hook, Tensor._data, np.asarray)
        _pm._trace_hook, _tensor._guard_hook, Tensor._data, np.asarray = None, None, _DATA, _ASARRAY
        try:
            step(opt)
        finally:
            _pm._trace_hook, _tensor._guard_hook, Tensor._data, np.asarray = saved
        for p in params:  # their values changed outside the program: a later read could not be replayed
            e = self.slots.get(id(p))
            if e is not None:
                self.slots[id(p)] = (e[0], -1)
            d = _DATA.__get__(p, Tensor)
            self.written.add(id(d))  # (written by the step, which the program calls)
            if isinstance(d, np.ndarray) and d.base is not None:
                self.written.add(id(d.base))
        k = self.new_slot(None)
        fn = functools.partial(_run_step, opt, tuple(params))
        fn.__name__ = f"{type(opt).__name__}.step"
        self.steps.append(Call(fn.__name__, fn, refs, {}, [k]))
        self.effects.append(k)

    def rebind(self, t, k):
        """The Tensor ``t`` (a parameter) holds the value of slot ``k`` from now on; the replay writes it
        back into ``t``'s array."""
        self.slots[id(t)] = (k, t._seq)
        if any(t is s for _, s in self.state):
            self.writes[id(t)] = (t, k)

    def write(self, dst, fn, name, args, kwargs):
        """A write into the traced array ``dst`` (``x -= y``, ``np.copyto``, ``x[i] = v``): a new slot
        holds the written value, and the Tensors that held ``dst``'s slot now hold it."""
        k, same = self.resolve(dst)
        if k is None:
            return
        if not same:
            raise JitError(
                f"jit({self.fname}): '{name}' wrote into a part of a traced array ({dst.dtype}{list(dst.shape)}); "
                "the compiled program holds values, not variables. Compute a new array instead")
        self._current = name
        targs = tuple(self.ref(a) for a in args)
        tkw = {kk: self.ref(v) for kk, v in kwargs.items()}
        if fn is _copied or fn is _setitem:
            call = fn
        else:
            call = functools.partial(_write_call, fn, np.empty(0, dst.dtype))
        base = dst.view(np.ndarray)
        k2 = len(self.avals)
        self.avals.append(aval(base))
        self.values.append(base)
        self.steps.append(Call(name, call, targs, tkw, [k2]))
        self.exact[_layout(base)] = k2  # the array now holds the written value
        self.written.add(id(base.base if base.base is not None else base))
        for key, (kk, seq) in list(self.slots.items()):
            if kk == k:
                self.slots[key] = (k2, seq)
        for _, t in self.state:
            e = self.slots.get(id(t))
            if e is not None and e[0] == k2:
                self.writes[id(t)] = (t, k2)

    def random_call(self, name, args, kwargs, out, fn):
        """A draw from a generator: always a call of the program, even with constant arguments."""
        if not isinstance(out, np.ndarray):
            return out  # a Python number: a constant (as a value read with .item() would be)
        targs = tuple(self.ref(a) for a in args)
        tkw = {k: self.ref(v) for k, v in kwargs.items()}
        k = self.new_slot(out)
        self.steps.append(Call(f"random.{name}", fn, targs, tkw, [k]))
        self.random = True
        return self.handed_out(out, k)

    def numpy_call(self, fn, name, args, kwargs, result):
        """A NumPy function applied to traced arrays outside the engine: recorded, its array results
        handed out as traced arrays, a Python value it returns guarded."""
        if name in _STATIC:
            return result
        self._current = name
        targs = tuple(self.ref(a) for a in args)
        tkw = {k: self.ref(v) for k, v in kwargs.items()}
        if not walk((targs, tkw)):
            return result
        return self._recorded(name, fn, targs, tkw, result, python_only=True)

    def _own_bool(self, t, k):
        """The Tensor ``t`` holds a NumPy bool (the value of slot ``k``): it holds a 0-d array of its own
        instead, whose identity names the slot where the rules read it."""
        a = np.array(_DATA.__get__(t, Tensor))
        _DATA.__set__(t, a)
        self.values[k] = a
        self.arrays[id(a)] = k
        self.kept_arrays.append(a)

    def handed_out(self, out, k):
        """A traced array (the value of slot ``k``) as code receives it where eager code gets an ndarray
        (a comparison's result): a view that keeps its slot, through NumPy's arithmetic and into
        ``bool()``."""
        v = np.asarray(out).view(_Read)
        v._slot = k
        if out.__class__ is not np.ndarray:  # a NumPy scalar: the 0-d array stands for it
            self.values[k] = np.asarray(out)
            self.arrays[id(v)] = k
            self.kept_arrays.append(v)
        return v

    def guard(self, t, kind, value):
        """``tensor._guard_hook``: Python read ``value`` out of ``t``; or (``kind`` "alias" or "copy")
        the Tensor ``value`` was made from ``t`` (a Tensor or an array) by ``Tensor(t)``, ``t.detach()``
        or ``bc.tensor(t)``."""
        if threading.get_ident() != self.thread:
            return
        if kind == "alias" or kind == "copy":
            self._made_from(t, kind, value)
            return
        e = self.slots.get(id(t))
        if e is not None:
            self.steps.append(Guard(e[0], kind, np.array(value) if kind == "array" else value))

    def _made_from(self, src, kind, new):
        same = False
        if isinstance(src, Tensor):
            e = self.slots.get(id(src))
            k = None if e is None else e[0]
        elif isinstance(src, np.ndarray):
            k, same = self.resolve(src)
            if k is not None and not same:
                self.constant(src)  # computed from a traced array: guarded
                return
        elif isinstance(src, np.generic):
            k = self.arrays.get(id(src))
        else:
            return
        if k is None or new is src:
            return
        data = new._data
        if isinstance(data, _Read):  # the Tensor holds a plain array; the tracer knows its slot
            data = data.view(np.ndarray)
            _DATA.__set__(new, data)
            same = True
        if kind == "alias" and (same or data is (src._data if isinstance(src, Tensor) else src)):
            self.slots[id(new)] = (k, new._seq)  # the same array: the same slot
            self.keep.append(new)
            return
        self.steps.append(Call("copy", functools.partial(_copy, dtype=data.dtype), (Slot(k),), {},
                               [self.new_slot(data, new)]))

    def rule(self, rule, g, ans, args, params):
        """The engine's first-order sweep while tracing: one rule evaluation. A rule written with
        backchain.numpy alone runs on the Tensors, so that its calls are recorded; one that reads
        arrays out of them (``x.data``, a mask built with NumPy) is recorded as one call of its own,
        run on the arrays; an elementwise rule ``g * d(ans, x)`` records ``d`` so and the product."""
        if rule.__class__ is _Given:
            return rule.value
        if threading.get_ident() != self.thread:
            return rule(g, ans, *args, **params)
        special = _special_rules().get(rule)
        if special is not None:
            c = special(g, ans, *args, **params)
            if c is not None:
                return c
        if params and walk(tuple(self.ref(v) for v in params.values())):
            return self.opaque(rule, (g, ans) + tuple(args), params)  # a traced array among the parameters
        d = getattr(rule, "deriv", None)
        if d is not None and not _transparent(d):
            return g * self.opaque(d, (ans,) + tuple(args), params)
        if _transparent(rule):
            return rule(g, ans, *args, **params)
        return self.opaque(rule, (g, ans) + tuple(args), params)

    def _run_on_arrays(self, fn, args, params):
        """``fn`` on the arrays of ``args`` and ``params`` with recording off, and the program's references
        to those arguments."""
        raw = [_unwrap(a) for a in args]
        rawp = {k: _unwrap(v) for k, v in params.items()}
        prev = _state.enabled
        _state.enabled = False
        try:
            out = fn(*raw, **rawp)
        finally:
            _state.enabled = prev
        return out, tuple(self.ref(a) for a in args), {k: self.ref(v) for k, v in params.items()}

    def opaque(self, fn, args, params):
        """``fn(*args, **params)`` run on the arrays, recorded as one call (a constant if no argument is traced)."""
        self._current = getattr(fn, "__name__", "a rule")
        out, targs, tparams = self._run_on_arrays(fn, tuple(args), params)
        if out is None:
            return None
        if isinstance(out, Tensor):
            out = out._data
        out = _plain(out)
        t = make_const(out)
        if walk((targs, tparams)):
            self.steps.append(Call(self._current, fn, targs, tparams, [self.new_slot(out, t)]))
        return t

    def joint(self, vjps, inputs, boundary, g, ans, args, params, outer):
        """A ``Joint`` rule while tracing: one call of the program giving every needed cotangent."""
        if threading.get_ident() != self.thread:
            return vjps.for_node(inputs, boundary, g, ans, args, params, outer)
        needs = tuple(isinstance(x, Tensor) and x.requires_grad
                      and (x._seq >= boundary or outer is not None and id(x) in outer)
                      and i not in vjps.nondiff for i, x in enumerate(inputs))
        fn = functools.partial(_joint_call, vjps.fn, needs)
        fn.__name__ = getattr(vjps.fn, "__name__", "joint")
        self._current = fn.__name__
        cts, targs, tparams = self._run_on_arrays(fn, (g, ans) + tuple(args), params)
        ts = [make_const(c) if c is not None else None for c in cts]
        if walk((targs, tparams)):
            outs = [self.new_slot(c, t) for c, t in zip(cts, ts) if t is not None]
            self.steps.append(Call(fn.__name__, fn, targs, tparams, outs, multiple=True))
        it = iter(ts)
        given = []
        for need in needs:
            given.append(_Given(vjps.fn, next(it)) if need else None)
        return tuple(given)

    def grad(self, previous, c):
        """``Tensor.backward`` while tracing: the new ``.grad`` of a leaf, ``c`` (a traced Tensor) added
        to ``previous`` (None, or an array tracked by an earlier backward), as an array the program tracks."""
        if threading.get_ident() != self.thread:  # another thread's backward: as eagerly
            c = np.array(c._data if isinstance(c, Tensor) else c)
            return c if previous is None else previous + c
        if previous is not None:
            prev = self.track_tensor(previous)
            c = prev + c
        if not isinstance(c, Tensor):
            c = make_const(np.asarray(c))
        data = c._data
        if data.__class__ is not np.ndarray:
            data = np.array(data)
            t = make_const(data)
            self._made_from(c, "copy", t)
            c = t
        e = self.slots.get(id(c))
        if e is not None:
            self.arrays[id(data)] = e[0]
            self.kept_arrays.append(data)
            v = data.view(_Read)  # an optimizer's NumPy on it is recorded
            v._slot = e[0]
            return v
        return data

    def track_tensor(self, a):
        """A Tensor that holds the tracked array ``a`` (a constant Tensor if it is not tracked)."""
        if isinstance(a, Tensor):
            return a
        t = make_const(np.asarray(a) if isinstance(a, np.generic) else _plain(a))
        k = self.arrays.get(id(a))
        if k is None and isinstance(a, np.ndarray):
            k, same = self.resolve(a)
            k = k if same else None
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
        Tensor._data = _DataWatch(_DATA, self)
        np.asarray = _asarray
        self.effects = []
        optim = sys.modules.get("backchain.optim.optimizer")
        if optim is not None:  # an optimizer's step is one call of the program, run as it is
            step = self._optimizer_step = optim.Optimizer.step

            def recording_step(opt, closure=None):
                if threading.get_ident() != self.thread or closure is not None:
                    return step(opt, closure)
                return self.optimizer_step(opt, step)

            optim.Optimizer.step = recording_step
        self.modes = {}
        module = sys.modules.get("backchain.nn.module")
        if module is not None:  # the modules called while tracing: their train()/eval() mode is guarded
            call = self._module_call = module.Module.__call__

            def recording_call(m, *args, **kwargs):
                if threading.get_ident() == self.thread:
                    self.modes.setdefault(id(m), (m, module_state(m)))
                return call(m, *args, **kwargs)

            module.Module.__call__ = recording_call
        # draws from backchain's default generator (dropout's masks), or from one given as generator=,
        # are calls of the program
        _random._state["gen"] = _RecordingGenerator(_random.default_generator(), self)
        self._gens = {}
        for name in _GEN_USERS:
            mod = sys.modules.get(name)
            if mod is not None and getattr(mod, "_gen", None) is _random._gen:
                self._gens[name] = mod._gen
                mod._gen = self._generator

    def uninstall(self):
        _pm._trace_hook = None
        _tensor._guard_hook = None
        Tensor._data = _DATA
        np.asarray = _ASARRAY
        optim = sys.modules.get("backchain.optim.optimizer")
        if optim is not None and getattr(self, "_optimizer_step", None) is not None:
            optim.Optimizer.step = self._optimizer_step
        module = sys.modules.get("backchain.nn.module")
        if module is not None and getattr(self, "_module_call", None) is not None:
            module.Module.__call__ = self._module_call
        if _random._state["gen"].__class__ is _RecordingGenerator:
            _random._state["gen"] = _random._state["gen"].real
        for name, fn in getattr(self, "_gens", {}).items():
            sys.modules[name]._gen = fn

    def _generator(self, generator):
        """``backchain.random._gen`` while tracing: a generator given explicitly records its draws too."""
        g = _random._gen(generator)
        return g if g.__class__ is _RecordingGenerator else _RecordingGenerator(g, self, default=False)

    def resolve(self, a):
        """The slot of the array ``a``, and whether ``a`` is that slot's value itself (the same array,
        or a view of all of it) rather than a value NumPy computed from it outside the program."""
        k = self.arrays.get(id(a))
        if k is not None:
            return k, True
        k = self.exact.get(_layout(a))
        if k is not None:
            return k, True
        b = a
        while isinstance(b, np.ndarray):
            s = getattr(b, "_slot", None)
            if s is not None:
                src = self.values[s]
                same = (a.shape == src.shape and a.dtype == src.dtype and a.strides == src.strides
                        and a.__array_interface__["data"][0] == src.__array_interface__["data"][0])
                return s, same
            b = b.base
        return None, False

    def read(self, a, kind, value):
        """Python read ``value`` out of ``a``, a traced array handed out as an ndarray (a comparison's
        result, ``t.data``): a guard on its slot, or on the whole slot it was computed from."""
        k, same = self.resolve(a)
        if k is None:
            return
        if same:
            self.steps.append(Guard(k, kind, value))
        else:
            self.constant(a)

    def constant(self, a):
        """``a``, an array met as a constant: a Slot if it is a traced value read out of its Tensor; a
        plain copy guarded by the slot it was computed from (``t.data > 0``: the program holds while
        that value does not change)."""
        k, same = self.resolve(a)
        if k is None:
            self._check_leak(a)
            return a
        if same:
            return Slot(k)
        site = None
        b = a
        while isinstance(b, np.ndarray) and site is None:
            site = getattr(b, "_site", None)
            b = b.base
        self.reads.append(site)
        self.steps.append(Guard(k, "array", np.array(self.values[k]), site))
        return np.array(a)

    def check_inputs(self, inputs):
        """Raise if an input's or a traced value's array was written in place without being recorded."""
        for data in [_DATA.__get__(t, Tensor) for t in self.keep] + self.kept_arrays:  # (scalars are immutable)
            if type(data) is not np.ndarray or id(data) in self.written or id(data.base) in self.written:
                continue
            if written_after(data, self.start) is not None:
                raise JitError(
                    f"jit({self.fname}): a traced array ({data.dtype}{list(data.shape)}) was written in place "
                    "while tracing (an in-place operation under no_grad, or NumPy with out=); the compiled "
                    "program holds values, not variables. Compute a new tensor instead")
