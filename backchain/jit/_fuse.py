"""Fusion of elementwise chains: one kernel for a run of ufunc calls on arrays of one shape.

A group is a run of elementwise calls (``sin``, ``multiply``, ...: ufuncs of one or two inputs,
no parameters) whose results have the group's shape and dtype, and whose array inputs have it
too (Python numbers and 0-d values are scalars). A call that reads no value of the open group
runs before the group's kernel; one that does closes the group. The kernel reads the group's
external inputs and writes the values that later calls, guards or outputs read.

The backend is Numba (``pip install backchain[jit]``): one compiled loop over the elements, every
value of the group a local scalar. Chosen by measurement on W2 (300 elementwise ops on 16 float64
values, forward and backward; benchmarks/README.md): the Numba kernel replays at 0.08 µs/op, the
unfused replay at 0.8 µs/op, and a numexpr backend (numexpr 2.14, one ``evaluate`` per value read
twice or leaving the group, about 9 µs per ``evaluate``) at 2.3 µs/op, slower than no fusion;
numexpr's import also sets ``numpy.expm1x``, so it was not kept.

Numba compiles a kernel in about a second; its source is written to ``~/.cache/backchain/jit``
(or ``$BACKCHAIN_JIT_CACHE``), named by its hash, so that Numba's cache serves the compiled
kernel to later processes.

Where glibc's vector math library applies (``_vmath.py``: x86-64 Linux, AVX2 or AVX-512) the loop
takes a register of lanes at a time and calls libmvec's functions (W2's kernel: 21.7 -> 7.9 µs);
elsewhere, or for a function libmvec lacks, one element at a time.

Values: the kernels compute each element with the same operations in the same order, but their
``sin``, ``exp``, ``tanh`` come from libmvec (4 ulp) or the compiler's math library, not NumPy's
loops, so results may differ from the unfused replay in the last bits (relative 1e-15 in
float64, 1e-6 in float32). float32 groups stay float32: constants are cast to the group's dtype.
float16 and long double runs are not fused (Numba computes neither).
"""
import hashlib
import importlib.util
import os
import sys

import numpy as np

from ._program import Call, Guard, Slot

__all__ = ["backend", "groups"]

# ufunc name -> its expression in a kernel, with {0}, {1} the operands
_OPS = {
    "add": "({0} + {1})",
    "subtract": "({0} - {1})",
    "multiply": "({0} * {1})",
    "divide": "({0} / {1})",
    "true_divide": "({0} / {1})",
    "negative": "(-{0})",
    "positive": "({0})",
    "sin": "np.sin({0})",
    "cos": "np.cos({0})",
    "tan": "np.tan({0})",
    "tanh": "np.tanh({0})",
    "sinh": "np.sinh({0})",
    "cosh": "np.cosh({0})",
    "exp": "np.exp({0})",
    "log": "np.log({0})",
    "log1p": "np.log1p({0})",
    "expm1": "np.expm1({0})",
    "sqrt": "np.sqrt({0})",
    "absolute": "np.abs({0})",
    "square": "({0} * {0})",
    "arctan": "np.arctan({0})",
}


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))   # (Numba computes no float16 or long double)


def _eligible(step, avals):
    """Whether ``step`` is an elementwise call a kernel can compute: (shape, dtype) or None."""
    if step.__class__ is not Call or step.ufunc is None or step.multiple or step.params:
        return None
    if step.ufunc.__name__ not in _OPS or len(step.args) != step.ufunc.nin:
        return None
    out = avals[step.outs[0]]
    if out is None or out[1] not in _DTYPES or not out[0]:
        return None
    for a in step.args:
        if a.__class__ is Slot:
            av = avals[a.k]
            if av is None or (av[0] != out[0] and av[0] != ()) or av[1] != out[1]:
                return None
        elif isinstance(a, np.ndarray):
            if (a.shape != out[0] and a.ndim != 0) or a.dtype != out[1]:
                return None
        elif type(a) not in (float, int):
            return None
    return out


def groups(program, min_size=2):
    """The fusable groups of ``program``: lists of step indices, in program order."""
    avals = program.avals
    found, current, produced, key = [], [], set(), None

    def close():
        if len(current) >= min_size:
            found.append(list(current))
        current.clear()
        produced.clear()

    for i, step in enumerate(program.steps):
        reads = [step.slot] if step.__class__ is Guard else step.reads
        k = _eligible(step, avals)
        if k is not None and (not current or k == key):
            if not current:
                key = k
            current.append(i)
            produced.update(step.outs)
            continue
        if current and any(r in produced for r in reads):
            close()
        if k is not None and not current:
            key = k
            current.append(i)
            produced.update(step.outs)
        # otherwise the step reads nothing of the open group: it runs before the group's kernel
    close()
    return found


def _plan(program, members):
    """Inputs, outputs and the statements of one group."""
    steps = program.steps
    inside = set(members)
    produced = {k for i in members for k in steps[i].outs}
    ins, consts = [], []
    for i in members:
        for a in steps[i].args:
            if a.__class__ is Slot and a.k not in produced and a.k not in ins:
                ins.append(a.k)
    used_after = set()
    for j, s in enumerate(steps):
        if j in inside or j < members[0]:
            continue
        used_after.update([s.slot] if s.__class__ is Guard else s.reads)
    used_after.update(o.k for o in program.outputs if o.__class__ is Slot)
    outs = [k for i in members for k in steps[i].outs if k in used_after]
    return ins, outs, consts


def _operands(step, dtype):
    """``(kind, value)`` per argument of a group's call: ``("slot", k)``, ``("array", a)`` (a constant
    array of the group's shape) or ``("number", x)`` (in the group's dtype: float32 stays float32; its
    ``repr`` reads back exactly)."""
    for a in step.args:
        if a.__class__ is Slot:
            yield "slot", a.k
        elif isinstance(a, np.ndarray) and a.ndim:
            yield "array", a
        else:
            yield "number", float(np.asarray(a, dtype).item())


class _Numba:
    """The Numba backend. Numba itself is imported when a program has a group to compile (its import
    takes 0.15 s, and a training step of matrix products and convolutions has none: its pattern
    kernels are compiled in the background, ``_background.py``)."""

    name = "numba"

    def __init__(self):
        if importlib.util.find_spec("numba") is None:
            raise ImportError("numba")

    def kernel(self, program, members):
        steps, avals = program.steps, program.avals
        ins, outs, _ = _plan(program, members)
        shape, dtype = avals[steps[members[0]].outs[0]]
        scalar_in = [k for k in ins if avals[k][0] == ()]
        arrays = []  # constant arrays: arguments of the kernel (its source names every other value)
        body = []
        for i in members:
            s = steps[i]
            ops = []
            for kind, v in _operands(s, dtype):
                if kind == "slot":
                    ops.append(f"v{v}")
                elif kind == "array":
                    arrays.append(np.ascontiguousarray(v).reshape(-1))
                    ops.append(f"a{len(arrays) - 1}[j]")
                else:
                    ops.append(f"dt({v!r})")
            body.append(f"        v{s.outs[0]} = {_OPS[s.ufunc.__name__].format(*ops)}")
        params = [f"i{k}" for k in ins] + [f"a{n}" for n in range(len(arrays))] + [f"o{k}" for k in outs]
        lines = ["import numpy as np", f"dt = np.{dtype.name}", "", "",
                 f"def kernel({', '.join(params)}):", f"    for j in range(o{outs[0]}.shape[0]):"]
        lines += [f"        v{k} = i{k}" + ("" if k in scalar_in else "[j]") for k in ins]
        lines += body + [f"        o{k}[j] = v{k}" for k in outs]
        source = "\n".join(lines) + "\n"
        if _vector(dtype, [steps[i].ufunc.__name__ for i in members]):
            source = _vector_source(program, members, ins, outs, scalar_in, dtype)
        compiled = self._compile(source)
        size = int(np.prod(shape))

        def run(*values):
            flat = [(a[()] if isinstance(a, np.ndarray) else a) if avals[k][0] == ()
                    else np.ascontiguousarray(a).reshape(size) for k, a in zip(ins, values)]
            results = [np.empty(size, dtype) for _ in outs]
            compiled(*flat, *arrays, *results)
            return tuple(r.reshape(shape) for r in results)

        run.__name__ = f"fused_{len(members)}"
        run.source = source
        # compile now, on arrays of the traced shapes: the first call pays for it, not a replay
        run(*[np.ones(avals[k][0], avals[k][1]) for k in ins])
        return run, ins, outs

    def _compile(self, source):
        """The kernel compiled by Numba, from a file in the cache directory named by the source's hash,
        so that Numba's own cache serves it to later processes; in memory if no directory is writable."""
        name = "k" + hashlib.sha1(source.encode()).hexdigest()[:20]
        root = os.environ.get("BACKCHAIN_JIT_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "backchain", "jit")
        try:
            os.makedirs(root, exist_ok=True)
            path = os.path.join(root, name + ".py")
            if not os.path.exists(path):
                tmp = f"{path}.{os.getpid()}.tmp"
                with open(tmp, "w") as f:
                    f.write(source)
                os.replace(tmp, path)
            modname = f"backchain_jit_{name}"  # importable by name: Numba's cache imports it when loading
            module = sys.modules.get(modname)
            if module is None:
                spec = importlib.util.spec_from_file_location(modname, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[modname] = module
                spec.loader.exec_module(module)
            fn, cache = module.kernel, True
        except OSError:
            env = {}
            exec(compile(source, "<bc.jit kernel>", "exec"), env)
            fn, cache = env["kernel"], False
        import numba

        return numba.njit(cache=cache, nogil=True, error_model="numpy")(fn)


_VOPS = {
    "add": "vm.add({0}, {1})",
    "subtract": "vm.subtract({0}, {1})",
    "multiply": "vm.multiply({0}, {1})",
    "divide": "vm.divide({0}, {1})",
    "true_divide": "vm.divide({0}, {1})",
    "negative": "vm.negative({0})",
    "positive": "{0}",
    "square": "vm.multiply({0}, {0})",
    "sqrt": "vm.sqrt({0})",
    "absolute": "vm.absolute({0})",
}


def _vector(dtype, names):
    """Whether a group of ``dtype`` computing the ufuncs ``names`` takes a vector kernel (``_vmath``)."""
    if not VECTOR:
        return False
    from . import _vmath

    return _vmath.supports(dtype, [n for n in names if n not in _VOPS])


#: Whether fused kernels compute on registers of lanes where ``_vmath`` applies (tests turn it off).
VECTOR = True


def _vector_source(program, members, ins, outs, scalar_in, dtype):
    """The group's kernel on registers: the same statements, each on a register of lanes (the
    last register of a size that is not a multiple of the lanes partly masked)."""
    from . import _vmath

    steps = program.steps
    head, body, narrays = [], [], 0
    for i in members:
        s = steps[i]
        ops = []
        for kind, v in _operands(s, dtype):
            if kind == "slot":
                ops.append(f"v{v}")
            elif kind == "array":
                ops.append(f"vm.load(a{narrays}, j, n)")
                narrays += 1
            else:   # (splat once, before the loop)
                head.append(f"    c{len(head)} = vm.splat(dt({v!r}))")
                ops.append(f"c{len(head) - 1}")
        name = s.ufunc.__name__
        expr = (_VOPS[name] if name in _VOPS else f"vm.{name}({{0}})").format(*ops)
        body.append(f"        v{s.outs[0]} = {expr}")
    params = [f"i{k}" for k in ins] + [f"a{m}" for m in range(narrays)] + [f"o{k}" for k in outs]
    from ._cachestamp import digest

    # (the kernel modules' hash: a kernel compiled against other intrinsics has another file)
    lines = [f"# backchain kernels {digest()}", "import numpy as np", "from backchain.jit import _vmath as vm",
             f"dt = np.{dtype.name}", "", "",
             f"def kernel({', '.join(params)}):", f"    n = o{outs[0]}.shape[0]"]
    lines += [f"    v{k} = vm.splat(dt(i{k}))" for k in ins if k in scalar_in] + head
    lines += [f"    for j in range(0, n, {_vmath.lanes(dtype)}):"]
    lines += [f"        v{k} = vm.load(i{k}, j, n)" for k in ins if k not in scalar_in]
    lines += body + [f"        vm.store(o{k}, j, n, v{k})" for k in outs]
    return "\n".join(lines) + "\n"


def backend(name):
    """The fusion backend named ``name`` ("auto" or "numba"), or None (no fusion)."""
    if name is None or name is False:
        return None
    if name not in ("auto", "numba"):
        raise ValueError(f"jit: fuse must be 'auto', 'numba' or None, got {name!r}")
    try:
        b = _Numba()
    except ImportError:
        if name != "auto":
            raise ImportError(f"jit(fuse={name!r}): {name} is not installed; pip install backchain[jit]") from None
        return None
    size = AUTO_MIN if name == "auto" else 2
    return lambda program: fuse(program, b, size)


# The smallest run of elementwise calls that "auto" fuses: a kernel's compile time pays off on long runs.
AUTO_MIN = 8


def fuse(program, b, min_size=2):
    """``{last step index: (kernel, input slots, output slots, member indices)}`` for ``program``: its
    elementwise groups, and its softmax and LayerNorm calls over the last axis (:func:`_row_calls`)."""
    plan = {}
    for members in groups(program, min_size):
        fn, ins, outs = b.kernel(program, members)
        if not outs:
            continue
        plan[members[-1]] = (fn, ins, outs, members)
    plan.update(_row_calls(program))
    return plan


# Elements from which a softmax or LayerNorm takes the row kernels (64 KiB of float32): smaller ones
# gain nothing there, and keep NumPy's calls (a small program's values are the eager ones).
ROW_MIN = 1 << 14


def _row_calls(program):
    """``{index: (kernel, input slots, [output slot], [index])}`` for the float32 softmax and LayerNorm
    calls over the last axis of at least :data:`ROW_MIN` elements, which ``_rows.py`` computes a row
    at a time on the pool's workers; the kernel takes ``out=`` (a buffer of the replay's) and falls
    back to the call's own function on arrays it does not take."""
    from . import _vmath

    if not _vmath.supports(np.float32, ["exp"]):
        return {}
    found = _softmax_vjps(program)
    for i, step in enumerate(program.steps):
        if step.__class__ is not Call or step.multiple or len(step.outs) != 1:
            continue
        fn = step.fn
        name = getattr(fn, "__name__", "")
        if getattr(fn, "__module__", None) != "backchain._rules.nn" or name not in ("_softmax_impl", "_layer_norm_impl"):
            continue
        x = step.args[0] if step.args else None
        av = program.avals[x.k] if x.__class__ is Slot else None
        if av is None or av[1] != np.float32 or not av[0] or program.avals[step.outs[0]] != av \
                or int(np.prod(av[0])) < ROW_MIN:
            continue
        last = len(av[0]) - 1
        if name == "_softmax_impl":
            if set(step.params) != {"axis"} or step.params["axis"] not in (-1, last) or len(step.args) != 1:
                continue
            found[i] = (_row_kernel(fn, step, "softmax"), [x.k], list(step.outs), [i])
        else:
            if set(step.params) != {"axes", "eps"} or tuple(step.params["axes"]) not in ((last,), (-1,)) \
                    or len(step.args) != 3 or (step.args[1] is None and step.args[2] is not None):
                continue
            if not all(a is None or _row_operand(a, program.avals, av[0][-1]) for a in step.args[1:]):
                continue
            found[i] = (_row_kernel(fn, step, "layer_norm"), [a.k for a in step.args if a.__class__ is Slot],
                        list(step.outs), [i])
    return found


def _softmax_vjps(program):
    """Softmax's VJP as the rule records it, ``m = g * ans; s = sum(m, axis=-1, keepdims=True);
    t = g - s; r = ans * t`` on float32 arrays of one shape, each value read only by the next call: one
    row kernel (``_rows.softmax_vjp``) at the last call."""
    steps, avals = program.steps, program.avals
    outputs = {o.k for o in program.outputs if o.__class__ is Slot}
    readers = {}
    made = {}
    for i, s in enumerate(steps):
        for k in ([s.slot] if s.__class__ is Guard else s.reads):
            readers.setdefault(k, []).append(i)
        if s.__class__ is Call:
            for k in s.outs:
                made[k] = i

    def only_reader(k, j):
        return readers.get(k) == [j] and k not in outputs

    found = {}
    for i, r in enumerate(steps):
        if not (r.__class__ is Call and r.ufunc is np.multiply and not r.params and len(r.args) == 2):
            continue
        shape = avals[r.outs[0]]
        if shape is None or shape[1] != np.float32 or not shape[0] or int(np.prod(shape[0])) < ROW_MIN:
            continue
        for ans, t in (r.args, r.args[::-1]):
            if not (ans.__class__ is Slot and t.__class__ is Slot and t.k in made and avals[ans.k] == shape):
                continue
            td = steps[made[t.k]]
            if not (td.ufunc is np.subtract and not td.params and len(td.args) == 2 and only_reader(t.k, i)):
                continue
            g, sm = td.args
            if not (g.__class__ is Slot and sm.__class__ is Slot and sm.k in made and avals[g.k] == shape):
                continue
            ss = steps[made[sm.k]]
            last = len(shape[0]) - 1
            if not (ss.name == "sum" and len(ss.args) == 1 and ss.args[0].__class__ is Slot
                    and ss.params == {"axis": (last,), "keepdims": True} and only_reader(sm.k, made[t.k])):
                continue
            m = ss.args[0]
            ms = steps[made[m.k]] if m.k in made else None
            if not (ms is not None and ms.ufunc is np.multiply and not ms.params and only_reader(m.k, made[sm.k])
                    and {a.k for a in ms.args if a.__class__ is Slot} == {g.k, ans.k} and len(ms.args) == 2):
                continue
            members = sorted([made[m.k], made[sm.k], made[t.k], i])
            found[i] = (_softmax_vjp_kernel(r), [g.k, ans.k], list(r.outs), members)
            break
    return found


def _softmax_vjp_kernel(r):
    from . import _rows

    def softmax_vjp(g, ans, out=None):
        if _rows.takes(g) and _rows.takes(ans) and g.shape == ans.shape:
            return (_rows.softmax_vjp(g, ans, out),)
        return (ans * (g - np.sum(g * ans, axis=-1, keepdims=True)),)
    softmax_vjp.out_buffer = True
    return softmax_vjp


def _row_operand(a, avals, d):
    """Whether a LayerNorm weight or bias is a float32 vector of ``d`` values (a slot or a constant)."""
    aval = avals[a.k] if a.__class__ is Slot else ((a.shape, a.dtype) if isinstance(a, np.ndarray) else None)
    return aval is not None and aval == ((d,), np.dtype(np.float32))


def _row_kernel(fn, step, kind):
    from . import _rows

    params, args = step.params, step.args
    if kind == "softmax":
        def softmax(x, out=None):
            if _rows.takes(x):
                return (_rows.softmax(x, out),)
            return (fn(x, **params),)
        softmax.out_buffer = True
        return softmax
    slots = [a.__class__ is Slot for a in args]
    eps = float(params["eps"])

    def layer_norm(*values, out=None):
        it = iter(values)
        x, w, b = (next(it) if s else a for s, a in zip(slots, args))
        if _rows.takes(x) and all(v is None or (v.__class__ is np.ndarray and v.dtype == np.float32
                                               and v.shape == x.shape[-1:]) for v in (w, b)):
            return (_rows.layer_norm(x, w, b, eps, out),)
        return (fn(x, w, b, **params),)
    layer_norm.out_buffer = True
    return layer_norm
