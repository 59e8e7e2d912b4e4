"""``bc.jit``: trace a function once per signature, replay the program afterwards."""
import functools
import inspect
import random as pyrandom
import warnings
from collections import OrderedDict

import numpy as np

from .._core import primitive as _pm
from .._core.tensor import Tensor, _state, bump_version
from ..transforms import tree_flatten, tree_structure
from ._effects import Snapshot, hoist_guards
from ._program import Call, Guard, Program, Slot
from ._replay import Compiled, Retrace
from ._trace import JitError, Tracer
from ._watch import module_state

__all__ = ["jit", "Jitted", "JitError", "RetraceWarning", "SideEffectWarning", "EmptyProgramWarning"]


class RetraceWarning(UserWarning):
    """A jitted function was traced again and again: its arguments' shapes, dtypes or static values
    keep changing, or its guards keep going the other way.

    >>> import warnings, numpy as np, backchain as bc
    >>> from backchain.jit import RetraceWarning
    >>> f = bc.jit(lambda x: x * 2)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     for n in range(1, 11):
    ...         _ = f(np.ones(n))
    >>> any(issubclass(w.category, RetraceWarning) for w in caught)
    True
    """


class SideEffectWarning(UserWarning):
    """A traced function changed a global of its module (rebound it, or grew or shrank a list, dict
    or set held there): that happens while tracing only, not when the program replays.

    >>> import warnings, numpy as np, backchain as bc
    >>> from backchain.jit import SideEffectWarning
    >>> log = []
    >>> def f(x):
    ...     log.append(1)
    ...     return x * 2
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = bc.jit(f)(np.ones(2))
    >>> [issubclass(w.category, SideEffectWarning) for w in caught]
    [True]
    """


class EmptyProgramWarning(UserWarning):
    """A traced function's outputs depend on none of its array arguments: every call returns the
    values of the first (a Python number argument is part of the signature, not an input).

    >>> import warnings, numpy as np, backchain as bc
    >>> from backchain.jit import EmptyProgramWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = bc.jit(lambda x: np.ones(2))(np.zeros(2))
    >>> [issubclass(w.category, EmptyProgramWarning) for w in caught]
    [True]
    """


def _globals_of(f):
    """The module globals of ``f`` (through wrappers such as ``grad``'s), or None."""
    seen = 0
    while hasattr(f, "__wrapped__") and seen < 10:
        f, seen = f.__wrapped__, seen + 1
    return getattr(f, "__globals__", None)


def _snapshot(g):
    return {k: (id(v), len(v) if isinstance(v, (list, dict, set)) else None)
            for k, v in g.items() if not (k.startswith("__") and k.endswith("__"))}


# Signatures kept per function, and programs per signature (one per path through its guards).
MAX_SIGNATURES = 32
MAX_PATHS = 8
# After this many traces of one function, each new one warns.
WARN_AFTER = 8


def _leaf_key(v):
    """The part of the signature that a leaf gives, and whether it is an array (a program input)."""
    if isinstance(v, Tensor):
        d = v._data
        return ("T", np.shape(d), np.result_type(d).str), True
    if isinstance(v, np.ndarray):
        return ("A", v.shape, v.dtype.str), True
    if isinstance(v, np.generic):
        return ("A", (), v.dtype.str), True
    return ("S", type(v), v), False


class _Path:
    """One traced program of a signature."""

    __slots__ = ("compiled", "program")

    def __init__(self, program, compiled):
        self.program, self.compiled = program, compiled


class Jitted:
    """A function compiled by :func:`jit`: call it like the function; ``lower(*args)`` gives the program,
    ``traces`` counts the traces so far, ``clear_cache()`` forgets the programs.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> f = bc.jit(lambda x: bnp.sin(x) * 2)
    >>> f(np.zeros(3)), f(np.ones(3)).round(3), f.traces
    (array([0., 0., 0.]), array([1.683, 1.683, 1.683]), 1)
    """

    def __init__(self, f, static_argnums=(), static_argnames=(), donate_argnums=(), buffers=True, fuse=None):
        if not callable(f):
            raise TypeError(f"jit: expected a function, got {type(f).__name__}")
        self.f = f
        self.name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or type(f).__name__
        self.static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        self.static_argnames = ((static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames))
        self.donate_argnums = (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums)
        self.buffers = buffers
        self.fuse = fuse
        self.gemm = False  # float32 products by the replay's own kernels (_gemm.py)
        try:
            sig = inspect.signature(f)
            self._params = [p.name for p in sig.parameters.values()
                            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            self._params = []
        for n in self.static_argnames:
            if n in self._params and self._params.index(n) not in self.static_argnums:
                self.static_argnums += (self._params.index(n),)
        self._cache = OrderedDict()
        self._fast = {}  # (shape, dtype) of each ndarray argument -> the paths of that signature
        self.traces = 0
        self._last_key = None
        functools.update_wrapper(self, f, updated=())  # not f.__dict__: a wrapper's copy of another Jitted's state

    def __repr__(self):
        return f"<bc.jit of {self.name}: {len(self._cache)} signatures, {self.traces} traces>"

    # -- signature ----------------------------------------------------------------------
    def _argname(self, i):
        return repr(self._params[i]) if i < len(self._params) else f"{i}"

    def _signature(self, args, kwargs):
        """The cache key of a call, the input arrays (with their names), and how to rebuild the arguments."""
        key, arrays, names, parts = [], [], [], []
        tensor_in = None
        self._classes = {}  # input number -> the class of the Tensor given there (Tensor for an array)
        self._donated = []  # input numbers of the ndarrays given in donate_argnums' positions
        for i, a in enumerate(args):
            what = f"{self._argname(i)} (position {i})"
            if i in self.static_argnums:
                key.append(("static", self._hashable(a, what, static=True)))
                parts.append(None)
                continue
            k, part, t = self._flatten(a, what, arrays, names)
            if i in self.donate_argnums:
                self._donated += [d for leaf, d in zip(part[0], part[2]) if d is not None and leaf.__class__ is np.ndarray]
            tensor_in = tensor_in or t
            key.append(k)
            parts.append(part)
        kw = []
        for n in sorted(kwargs):
            v = kwargs[n]
            what = repr(n)
            if n in self.static_argnames:
                key.append((n, "static", self._hashable(v, what, static=True)))
                kw.append((n, None))
                continue
            k, part, t = self._flatten(v, what, arrays, names)
            tensor_in = tensor_in or t
            key.append((n, k))
            kw.append((n, part))
        return tuple(key), arrays, names, parts, kw, tensor_in

    def _flatten(self, a, what, arrays, names):
        leaves, unflatten = tree_flatten(a)
        keys, dynamic = [], []
        tensor_in = None  # the class of the first Tensor argument: the results' class
        for j, leaf in enumerate(leaves):
            k, is_array = _leaf_key(leaf)
            if is_array:
                if tensor_in is None and isinstance(leaf, Tensor):
                    tensor_in = type(leaf)._result
                arr = leaf._data if isinstance(leaf, Tensor) else leaf
                dynamic.append(len(arrays))
                arrays.append(np.asarray(arr))
                self._classes[len(arrays) - 1] = type(leaf) if isinstance(leaf, Tensor) else Tensor
                names.append(what if len(leaves) == 1 else f"{what}, leaf {j}")
            else:
                k = ("S", type(leaf), self._hashable(leaf, what if len(leaves) == 1 else f"{what}, leaf {j}"))
                dynamic.append(None)
            keys.append(k)
        return (tree_structure(a), tuple(keys)), (leaves, unflatten, dynamic), tensor_in

    def _hashable(self, v, what, static=False):
        try:
            hash(v)
        except TypeError:
            kind = "static argument" if static else "argument"
            hint = ("pass a tuple instead of a list, or make it a jit input (an array)" if static else
                    "pass arrays, numbers, or lists, tuples and dicts of them; or mark it static "
                    "(static_argnums/static_argnames) with a hashable value")
            raise JitError(f"jit({self.name}): {kind} {what} is a {type(v).__name__}, which cannot be hashed "
                           f"into the signature of the call; {hint}") from None
        return v

    # -- calls --------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        fast = None
        if not kwargs and _pm._trace_hook is None:
            # the usual call, ndarrays only: its signature is their shapes and dtypes
            fast = _fast_key(args)
            paths = self._fast.get(fast) if fast is not None else None
            if paths:
                found = self._replay(paths, list(args))
                if found is not None:
                    return found[0].program.rebuild(list(found[1]))
        if _pm._trace_hook is not None or _outer_traced(args, kwargs):
            return self.f(*args, **kwargs)  # inside a trace or a transform: the calls are the enclosing ones
        key, arrays, names, parts, kw, tensor_in = self._signature(args, kwargs)
        if fast is not None and not self.static_argnums:
            if len(self._fast) >= MAX_SIGNATURES:
                self._fast.clear()
            self._fast[fast] = self._cache.setdefault(key, [])
        paths = self._cache.get(key)
        if paths is not None:
            self._cache.move_to_end(key)
            found = self._replay(paths, arrays)
            if found is not None:
                return self._outputs(found[0].program, found[1], tensor_in)
        program, values = self._trace(key, args, kwargs, arrays, names, parts, kw)
        return self._outputs(program, values, tensor_in)

    def _replay(self, paths, arrays):
        """``(path, outputs)`` of the first of ``paths`` whose guards hold for ``arrays``, which then moves
        to the front (the path taken last is tried first); None where every guard path fails."""
        for n, path in enumerate(paths):
            try:
                out = self._run(path, arrays)
            except Retrace:
                continue
            if n:
                paths.insert(0, paths.pop(n))
            return path, out
        return None

    def lower(self, *args, **kwargs):
        """The program that a call with these arguments runs (traced now if it is not cached).

        ``print(bc.jit(f).lower(x))`` shows one line per call: its outputs with their dtypes and
        shapes, the primitive, its inputs and static parameters; guards read ``guard bool(%5) == True``.
        """
        key, arrays, names, parts, kw, _ = self._signature(args, kwargs)
        paths = self._cache.get(key)
        if paths:
            return paths[0].program  # the program of this signature that ran last (not run again)
        program, _ = self._trace(key, args, kwargs, arrays, names, parts, kw)
        return program

    def clear_cache(self):
        """Forget every traced program (the next call traces again)."""
        self._cache.clear()
        self._fast.clear()

    # -- tracing ------------------------------------------------------------------------
    def _trace(self, key, args, kwargs, arrays, names, parts, kw):
        tracer = Tracer(self.name)
        inputs = []
        traced = [None] * len(arrays)
        for i, (a, name) in enumerate(zip(arrays, names)):
            t, k = tracer.input(a, name, self._classes.get(i, Tensor))
            traced[i] = t
            inputs.append(k)
        new_args = []
        for a, part in zip(args, parts):
            if part is None:
                new_args.append(a)
            else:
                leaves, unflatten, dynamic = part
                new_args.append(unflatten([leaf if d is None else traced[d] for leaf, d in zip(leaves, dynamic)]))
        new_kw = {}
        for n, part in kw:
            if part is None:
                new_kw[n] = kwargs[n]
            else:
                leaves, unflatten, dynamic = part
                new_kw[n] = unflatten([leaf if d is None else traced[d] for leaf, d in zip(leaves, dynamic)])
        scope = _globals_of(self.f)
        before = _snapshot(scope) if scope is not None else None
        prev = _state.enabled
        _state.enabled = True
        rng_before = _global_rngs()
        tracer.install()
        try:
            result = self.f(*new_args, **new_kw)
            out_leaves, rebuild = tree_flatten(result)
            outputs = [tracer.ref(o) for o in out_leaves]
            tracer.check_inputs(traced)
        finally:
            tracer.uninstall()
            _state.enabled = prev
        drew = [name for name, (a, b) in zip(("numpy.random", "random"), zip(rng_before, _global_rngs())) if a != b]
        if drew:
            warnings.warn(f"jit({self.name}): the function drew from the global random state of "
                          f"{' and '.join(drew)} while it was traced; the program replays those numbers as "
                          "constants: draw with backchain.random (dropout, bc.nn.init), whose draws are calls of "
                          "the program, or pass the numbers as an argument", SideEffectWarning, stacklevel=3)
        if before is not None:
            after = _snapshot(scope)
            changed = sorted(k for k, v in after.items() if before.get(k, v) != v)
            if changed:
                warnings.warn(f"jit({self.name}): the function changed the global(s) {', '.join(changed)} of its "
                              "module while it was traced; side effects happen when a function is traced, not "
                              "when its program replays: return values instead", SideEffectWarning, stacklevel=3)
        state = [(k, t) for k, t in tracer.state]
        writes = list(tracer.writes.values())
        grads = []  # a parameter's .grad after the step: the replay sets it too
        for _, t in state:
            g = t.grad
            if isinstance(g, np.ndarray) and g.__class__ is not np.ndarray:
                t.grad = g = g.view(np.ndarray)
            ref = tracer.ref(g) if isinstance(g, np.ndarray) else None
            if ref.__class__ is Slot:
                grads.append((t, ref.k))
        inputs = inputs + [k for k, _ in state]
        outputs = (outputs + [Slot(k) for _, k in writes] + [Slot(k) for _, k in grads]
                   + [Slot(k) for k in tracer.effects])  # (optimizer steps: kept by the dead-code pass)
        program = hoist_guards(_eliminate_dead(Program(self.name, inputs, tracer.steps, outputs, tracer.avals, rebuild,
                                                       names)))
        program.state = [t for _, t in state]
        program.modes = list(tracer.modes.values())
        program.writes = [t for t, _ in writes]
        program.grads = [t for t, _ in grads]
        program.n_out = len(out_leaves)
        if not program.steps and not any(o.__class__ is Slot for o in outputs[:len(out_leaves)]):
            # (a derivative can be constant: replaying the constants is right, but often a sign of a mistake)
            warnings.warn(
                f"jit({self.name}): the traced program is empty: no output depends on the array arguments "
                f"({', '.join(names) or 'there are none'}), so every call returns the values of this one. "
                "If they should depend on them, compute with backchain.numpy on the arguments (a value read "
                "out with .data or .item() is a constant) and pass changing numbers as arrays",
                EmptyProgramWarning, stacklevel=3)
        for step in program.steps:
            if step.__class__ is Call and step.ufunc is not None and len(step.outs) == 1:
                v = tracer.values[step.outs[0]]
                if v.__class__ is np.ndarray and v.ndim and not v.flags.c_contiguous:
                    program.layouts[step.outs[0]] = np.empty_like(v)
        compiled = Compiled(program, buffers=self.buffers, fuse=self.fuse, gemm=self.gemm,
                            donated=[inputs[j] for j in self._donated])
        self._store(key, _Path(program, compiled), names)
        return program, tuple(_plain(o._data if isinstance(o, Tensor) else o) for o in out_leaves)

    @staticmethod
    def _run(path, arrays):
        """Replay ``path`` on the arguments' arrays and the current values of its state (a module's
        parameters); write the state it updates back into place. Raises Retrace where a guard fails
        or a parameter changed its shape or dtype."""
        program = path.program
        for m, state in program.modes:
            if module_state(m) != state:  # model.train() / model.eval(), or a parameter replaced
                raise Retrace(-1)
        if program.state:
            extra = []
            for k, t in zip(program.inputs[-len(program.state):], program.state):
                d = t._data
                a = program.avals[k]
                if d.__class__ is not np.ndarray or d.shape != a[0] or d.dtype != a[1]:
                    raise Retrace(-1)
                extra.append(d)
            arrays = arrays + extra
        compiled = path.compiled
        if compiled.late:  # a guard after an effect: what the effects change is put back if it fails
            snapshot = Snapshot(program, program.steps)
            try:
                out = compiled(arrays)
            except Retrace:
                snapshot.restore()
                raise
        else:
            out = compiled(arrays)
        n = program.n_out
        if len(out) > n:  # the state it wrote, the gradients, the optimizer steps' (empty) results
            w = len(program.writes)
            for t, v in zip(program.writes, out[n:n + w]):
                if v is not t._data:  # (an update the replay wrote in place is there already)
                    np.copyto(t._data, v)
                bump_version(t, "a step compiled by bc.jit")
            for t, v in zip(program.grads, out[n + w:n + w + len(program.grads)]):
                t.grad = np.array(v)
            out = out[:n]
        return out

    def _store(self, key, path, names):
        self.traces += 1
        paths = self._cache.get(key)
        if paths is None:
            paths = self._cache[key] = []
        self._cache.move_to_end(key)
        while len(self._cache) > MAX_SIGNATURES:
            self._cache.popitem(last=False)
        paths.insert(0, path)
        del paths[MAX_PATHS:]
        if self.traces > WARN_AFTER:
            why = self._why(key, names, len(paths) > 1)
            warnings.warn(f"jit({self.name}) was traced {self.traces} times: {why}. Each trace runs the "
                          "function in Python and compiles a program.", RetraceWarning, stacklevel=4)
        self._last_key = key

    def _why(self, key, names, guards):
        if guards:
            return ("its guards (bool(t), float(t), t.item() on traced values) keep taking new values; "
                    "compute with bnp.where instead of Python if, or return the value instead of reading it")
        last = self._last_key
        if last is not None and len(last) == len(key):
            for i, (a, b) in enumerate(zip(last, key)):
                if a != b:
                    where = (f"argument {self._argname(i)}" if i < len(self._params) or
                             not isinstance(a, tuple) else f"argument {i}")
                    return (f"{where} changed its shape, dtype or static value ({_short(a)} -> {_short(b)}); "
                            "pad inputs to a few fixed shapes, and pass values that change as arrays, not "
                            "Python numbers")
        return "its arguments' shapes, dtypes or static values keep changing"

    # -- results ------------------------------------------------------------------------
    @staticmethod
    def _outputs(program, values, tensor_in):
        """The function's result: the values in its structure; its arrays are Tensors when the
        function was given a Tensor (as the eager calls of backchain.numpy return)."""
        if tensor_in is not None:
            values = [tensor_in(v) if isinstance(v, (np.ndarray, np.generic)) else v for v in values]
        return program.rebuild(list(values))


def _fast_key(args):
    """The signature of a call whose arguments are all ndarrays: their shapes and dtypes; else None."""
    key = []
    for a in args:
        if a.__class__ is not np.ndarray:
            return None
        key.append((a.shape, a.dtype))
    return tuple(key)


def _plain(v):
    """A value of the traced call as the caller gets it (an ndarray, not the tracer's view of one)."""
    if isinstance(v, np.ndarray) and v.__class__ is not np.ndarray:
        v = v.view(np.ndarray)
        return v[()] if v.ndim == 0 else v
    return v


def _short(k):
    text = repr(k)
    return text if len(text) < 80 else text[:77] + "..."


def _global_rngs():
    """Digests of NumPy's and Python's global random states (a traced draw from them is frozen)."""
    _, key, pos, *rest = np.random.get_state()
    return ((hash(key.tobytes()), pos, tuple(rest)), hash(pyrandom.getstate()))


def _outer_traced(args, kwargs):
    """Whether an argument is a Tensor that an enclosing computation differentiates, or a batched value
    of an enclosing ``vmap`` (jit then runs the function as it is, so that its calls are recorded in
    that computation's graph, or batched)."""
    stack = list(args) + list(kwargs.values())
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            if getattr(v, "_batched", False) or (v.requires_grad and _state.enabled):
                return True
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return False


def _eliminate_dead(program):
    """The program without the calls whose results reach no output and no guard."""
    live = {o.k for o in program.outputs if o.__class__ is Slot}
    kept = []
    for s in reversed(program.steps):
        if s.__class__ is Guard:
            live.add(s.slot)
            kept.append(s)
        elif any(k in live for k in s.outs):
            live.update(s.reads)
            kept.append(s)
    kept.reverse()
    program.steps = kept
    return program


def jit(f=None, *, static_argnums=(), static_argnames=(), donate_argnums=(), buffers=True, fuse="auto"):
    """Compile ``f``: trace it once per signature, then replay the recorded program.

    The first call with a given signature (the shapes and dtypes of the array arguments, the
    structure of lists, tuples and dicts, the values of Python numbers and of static arguments)
    runs ``f`` on traced Tensors and records every primitive call it makes, derivatives included:
    ``jit(grad(f))``, ``jit(value_and_grad(f))`` and a function that calls ``.backward()`` record
    their backward pass. Later calls with the same signature run that program on the new arrays,
    with no Tensor objects, no graph and no rule lookups.

    Python control flow on traced values (``if x.sum() > 0``, ``float(t)``, ``t.item()``) is
    recorded as guards: a replay whose guard reads another value traces the function again on
    that path. Side effects (printing, appending to a list) happen while tracing only.

    Parameters
    ----------
    f : callable
        The function; its array arguments (ndarrays, NumPy scalars, Tensors, in lists, tuples and
        dicts) are the program's inputs. Python numbers and other values are part of the signature.
    static_argnums, static_argnames : int or str, or tuples of them
        Arguments that are part of the signature by value (hashable), never traced.
    donate_argnums : int or tuple of int
        Positional arguments whose ndarrays the caller gives up: a replay may write an output of the
        same shape and dtype into such an array instead of a new one, once the program has read it
        for the last time (``params = step(params, x)`` then updates the parameters in place). Do not
        read a donated array after the call except through the results. An array donated while
        another argument shares its memory, or one that is not writeable and C-contiguous, is not
        written. Tensors are never written.
    buffers : bool
        Replay ufunc calls into arrays allocated once (``out=``), for intermediate values.
    fuse : "auto", "numba", "exact" or None
        Compile the replay's hot spots with Numba (``pip install backchain[jit]``): ``"auto"``
        rewrites a training step's patterns (bias + ReLU, pooling, the SGD update: the eager values
        bit for bit), fuses runs of at least 8 elementwise calls into one kernel, and computes
        float32 matrix products with its own kernels where the CPU has AVX-512; without Numba it
        replays NumPy's calls. ``"numba"`` is "auto" with runs of 2 calls fused, and fails without
        Numba. ``"exact"`` keeps only the rewrites, so that every value is the eager one bit for
        bit. None replays NumPy's calls as they were traced. Fused kernels and products may differ
        from NumPy's in the last bits (the compiler's ``sin``, ``exp``, ``tanh``; products summed in
        another order, as another BLAS would), and compiling a kernel takes a second or so on the
        first call (less once Numba's cache holds it).

    Returns
    -------
    Jitted
        Call it as ``f``; ``.lower(*args)`` returns the traced :class:`~backchain.jit.Program`.

    Examples
    --------
    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> step = bc.jit(bc.grad(lambda x: bnp.sum(bnp.tanh(x) ** 2)))
    >>> step(np.array([0.5, -1.0]))
    array([ 0.72686198, -0.63970001])
    >>> step(np.array([0.1, 0.2]))   # replayed: same shape and dtype
    array([0.19735584, 0.37937233])
    """
    if f is None:
        return functools.partial(jit, static_argnums=static_argnums, static_argnames=static_argnames,
                                 donate_argnums=donate_argnums, buffers=buffers, fuse=fuse)
    if fuse == "exact":
        from ._fuse import backend

        b = backend("auto")  # the rewrites' kernels need Numba; no elementwise kernel, no own products
        j = Jitted(f, static_argnums, static_argnames, donate_argnums, buffers=buffers,
                   fuse=None if b is None else _no_groups)
        return j
    from ._fuse import backend

    j = Jitted(f, static_argnums, static_argnames, donate_argnums, buffers=buffers, fuse=backend(fuse))
    if j.fuse is not None:
        from ._gemm import AVX512

        j.gemm = AVX512
    return j


def _no_groups(program):
    """The fusion plan of ``fuse="exact"``: no elementwise kernel (their math library's ``exp``, ``sin``
    are not NumPy's), only the rewrites that compute the eager values bit for bit."""
    return {}


_no_groups.exact = True   # (read by the rewrites: no LSTM or convolution kernels either)
