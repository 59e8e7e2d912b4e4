"""Replay: a program turned into straight-line Python source, compiled once.

Each call becomes one line ``s7 = f7(s3, c2, axis=1)``: the function that ran at trace
time, bound by name, applied to the slots' arrays; no Tensor, no graph, no rule lookup.
A guard becomes a check that raises :class:`Retrace` when the value Python read differs.
A large value is deleted after its last use (``del s7``), so memory follows the program.

With ``buffers``, a ufunc call whose result is an intermediate array writes into an
array allocated once, with the shape and dtype traced (``np.sin(s3, out=b7)``). The
replay then owns those arrays: a second replay running at the same time (another
thread, or the program calling itself) takes the replay without buffers instead.
"""
import re
import threading

import numpy as np

from ._program import Call, Guard, Slot, leaves

__all__ = ["Retrace", "compile_program"]

# A value smaller than this (in bytes) is left to go out of scope at the end of the replay: a
# ``del`` costs more than it saves.
_DEL_BYTES = 1 << 15


class Retrace(Exception):
    """A guard of the program read another value: the inputs take another path through the function."""

    def __init__(self, index):
        super().__init__(index)
        self.index = index


def _literal(v):
    """Whether ``v`` can be written in the source as itself (its repr reads back as the same value)."""
    if v is None or v is True or v is False or v is Ellipsis:
        return True
    t = type(v)
    if t is int or t is str:
        return True
    if t is float:
        return v == v and v not in (float("inf"), float("-inf"))
    return False


class _Source:
    def __init__(self):
        self.env = {"Retrace": Retrace, "np": np}
        self.n = 0

    def name(self, value, prefix="c"):
        self.n += 1
        key = f"{prefix}{self.n}"
        self.env[key] = value
        return key

    def expr(self, v):
        """Source for an argument template (no recursion needed beyond its own nesting)."""
        if v.__class__ is Slot:
            return f"s{v.k}"
        if isinstance(v, list):
            return "[" + ", ".join(self.expr(x) for x in v) + "]"
        if isinstance(v, tuple):
            return "(" + "".join(self.expr(x) + ", " for x in v) + ")"
        if _literal(v):
            return repr(v)
        return self.name(v)


def last_uses(program):
    """Slot -> index of the last step that reads it."""
    last = {}
    for i, s in enumerate(program.steps):
        if s.__class__ is Guard:
            last[s.slot] = i
        else:
            for k in s.reads:
                last[k] = i
    return last


def _bufferable(call, avals, outputs):
    """Whether ``call`` can write its result into a preallocated array."""
    if call.ufunc is None or call.multiple or call.ufunc.nout != 1 or "out" in call.params:
        return False
    k = call.outs[0]
    a = avals[k]
    return a is not None and len(a[0]) > 0 and k not in outputs and a[1].kind in "biufc"


def _donations(program, donated, last, outputs, skip):
    """Output slot -> donated input slot whose array the output's ufunc call writes (``out=``).

    An input given up by the caller (``donate_argnums``) can hold an output of the same shape, dtype
    and (C-contiguous) layout made by a ufunc call at or after the input's last read: at the read
    itself only for an elementwise ufunc (which reads each element before it writes it). An input
    that is itself an output, or read by a later step, is never written; nor one before a guard
    (a guard that fails traces the function again, on the inputs as they were given).
    """
    free = [d for d in donated if d not in outputs]
    taken = {}
    if not free:
        return taken
    avals = program.avals
    # after the last guard only: a replay that fails a guard traces the function again on its inputs
    after = max((i for i, s in enumerate(program.steps) if s.__class__ is Guard), default=-1)
    for i, step in enumerate(program.steps):
        if i <= after or i in skip or step.__class__ is not Call or step.ufunc is None or step.multiple:
            continue
        if step.ufunc.nout != 1 or "out" in step.params:
            continue
        k = step.outs[0]
        if k not in outputs or k in taken or k in program.layouts or avals[k] is None:
            continue
        for d in free:
            at = last.get(d, -1)
            if avals[d] == avals[k] and (at < i or (at == i and step.ufunc.signature is None)):
                taken[k] = d
                free.remove(d)
                break
    return taken


def compile_program(program, buffers=True, fused=None, donated=(), gemm=False):
    """The replay function of ``program``: ``run(*input_arrays) -> tuple of output values``.

    ``fused`` maps a step index to a ``(fn, in_slots, out_slots, covered)`` group made by the
    fusion backend (``_fuse.py``): the group's calls are replaced by one call of ``fn``.
    ``donated``: input slots whose arrays the replay may overwrite with outputs (:func:`_donations`).
    ``gemm``: float32 matrix products into buffers by :func:`_gemm.matmul`.
    Returns ``(run, source)``.
    """
    src = _Source()
    outputs = {o.k for o in program.outputs if o.__class__ is Slot}
    last = last_uses(program)
    avals = program.avals
    if gemm:
        import numba

        from ._gemm import wait

        gemm = numba.get_num_threads() == 1 or _one_pool(program, avals)
        wait = src.name(wait, "w")
    body = []
    skip = set()
    for at, (_, _, _, covered) in (fused or {}).items():
        skip.update(i for i in covered if i != at)
    into = _donations(program, donated, last, outputs, skip | set(fused or ())) if buffers else {}
    order = [i for i in range(len(program.steps)) if i not in skip]
    nxt = dict(zip(order, order[1:]))
    pending = None   # the output slot of a product begun in the background (_gemm.post), until a wait
    posted = False
    for i, step in enumerate(program.steps):
        if i in skip:
            continue
        if pending is not None and _waits(step, i, pending, fused, into):
            body.append(f"{wait}()")
            pending = None
        if fused is not None and i in fused:  # a group's kernel, where its last call was
            fn, ins, outs, covered = fused[i]
            name = src.name(fn, "k")
            into_buf = ""
            if buffers and getattr(fn, "out_buffer", False) and outs[0] not in outputs and avals[outs[0]] is not None:
                # (a kernel that writes into an array of the replay's, allocated once: _fuse._row_calls)
                into_buf = f"{', ' if ins else ''}out={src.name(np.empty(*avals[outs[0]]), 'b')}"
            body.append(f"{', '.join(f's{k}' for k in outs)}, = {name}({', '.join(f's{k}' for k in ins)}{into_buf})")
            reads = ins
            end = i
        elif step.__class__ is Guard:
            g = src.name(step, "g")
            if step.kind == "bool":
                expected = "True" if step.value else "False"
                body.append(f"if bool(s{step.slot}) is not {expected}: raise Retrace({i})")
            else:
                body.append(f"if not {g}.holds(s{step.slot}): raise Retrace({i})")
            reads = [step.slot]
            end = i
        else:
            args = [src.expr(a) for a in step.args]
            args += [f"{k}={src.expr(v)}" for k, v in step.params.items()]
            if step.outs and step.outs[0] in into:  # an output written into an array the caller gave up
                f = src.name(step.ufunc, "u")
                body.append(f"s{step.outs[0]} = {f}({', '.join(args)}, out=s{into[step.outs[0]]})")
            elif buffers and _bufferable(step, avals, outputs):
                k = step.outs[0]
                shape, dtype = avals[k]
                proto = program.layouts.get(k)
                # the traced result's memory layout (a ufunc on a transposed input keeps it): later
                # reductions then add in the same order, so the values are the same bit for bit
                buf = src.name(np.empty(shape, dtype) if proto is None else np.empty_like(proto), "b")
                f = src.name(step.ufunc, "u")
                update = None
                if gemm and step.ufunc is np.matmul and _gemm_shapes(step, avals) and proto is None:
                    from ._gemm import matmul, matmul_sgd, post

                    f = src.name(matmul, "g")
                    after = nxt.get(i)
                    if (after is not None and _bias_relu_of(program.steps[after], k) and not step.params
                            and last.get(k) == after and k not in outputs
                            and (pending is None or not _waits(program.steps[after], after, pending, fused, into))):
                        # bias and ReLU after the product (_patterns._bias_relu): applied by its parts
                        from ._gemm import matmul_bias_relu

                        update = program.steps[after]
                        f = src.name(matmul_bias_relu, "gb")
                        body.append(f"s{update.outs[0]}, s{update.outs[1]} = {f}({', '.join(args)}, {buf}, "
                                    f"{src.expr(update.args[1])}, {src.name(update.fn, 'f')})")
                        skip.add(after)
                    elif after is not None and _sgd_of(program.steps[after], k) and not step.params:
                        # the SGD step on the gradient this product makes: done by the product's parts
                        # (a product in the background that may read the parameter is finished first:
                        # matmul_sgd checks its arrays)
                        update = program.steps[after]
                        f = src.name(matmul_sgd, "gs")
                        body.append(f"s{k}, s{update.outs[0]} = {f}({', '.join(args)}, {buf}, "
                                    f"{src.expr(update.args[0])}, {src.name(update.fn, 'f')})")
                        skip.add(after)
                    elif after is not None and not _waits(program.steps[after], after, k, fused, into):
                        f = src.name(post, "p")   # (its result is not read next: begun in the background)
                        pending, posted = k, True
                if update is None:
                    body.append(f"s{k} = {f}({', '.join(args)}, out={buf})")
                else:
                    dead = sorted({q for q in update.reads if last.get(q) == after and q not in outputs
                                   and _big(avals[q]) and q not in step.reads and q != k})
                    if dead:
                        body.append("del " + ", ".join(f"s{q}" for q in dead))
            else:
                if gemm and step.name == "nn.linear" and avals[step.outs[0]][1] == np.float32:
                    from ._gemm import linear

                    f = src.name(linear, "g")
                elif gemm and step.ufunc is np.matmul and not step.params and _gemm_shapes(step, avals):
                    from ._gemm import matmul   # (a result the program returns: a new array each call)

                    f = src.name(matmul, "g")
                else:
                    f = src.name(step.fn, "f")
                outs = ", ".join(f"s{k}" for k in step.outs)
                lhs = f"({outs},)" if step.multiple else outs
                body.append(f"{lhs} = {f}({', '.join(args)})")
            reads = step.reads
            end = i
        dead = sorted({k for k in reads if last.get(k) == end and k not in outputs and _big(avals[k])})
        if dead:
            body.append("del " + ", ".join(f"s{k}" for k in dead))
    rets = []
    for o in program.outputs:
        if o.__class__ is Slot:
            rets.append(f"s{o.k}")
        else:
            rets.append(src.expr(o))
    params = ", ".join(f"s{k}" for k in program.inputs)
    ret = "return (" + "".join(r + ", " for r in rets) + ")"
    if posted:   # (a product in the background is finished before the replay returns or raises)
        lines = ([f"def replay({params}):", "    try:"] + ["        " + line for line in body + [ret]]
                 + ["    finally:", f"        {wait}()"])
    else:
        lines = [f"def replay({params}):"] + ["    " + line for line in body] + ["    " + ret]
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<bc.jit {program.name}>", "exec")
    exec(code, src.env)
    run = src.env["replay"]
    run.donates = bool(into)
    return run, source


def _bias_relu_of(step, k):
    """Whether ``step`` is a float32 bias and ReLU (``_patterns._bias_relu``) of the product in slot ``k``."""
    return (step.__class__ is Call and step.name == "bias_relu" and getattr(step.fn, "outs", None) is not None
            and step.fn.dtype == np.float32 and len(step.args) == 2 and step.args[0].__class__ is Slot
            and step.args[0].k == k and not step.params)


def _sgd_of(step, k):
    """Whether ``step`` is an SGD update (``_patterns._sgd``) of a float32 parameter by the gradient in
    slot ``k``."""
    return (step.__class__ is Call and step.name == "sgd_update" and getattr(step.fn, "coef", None) is not None
            and len(step.args) == 2 and step.args[1].__class__ is Slot and step.args[1].k == k
            and step.args[0].__class__ is Slot and step.args[0].k != k)


def _product_shapes(call, avals):
    """``(a_shape, b_shape, dtype)`` of a matrix product call (``matmul``, or ``nn.linear`` as
    ``x @ w.T``), or None."""
    if call.__class__ is not Call or not (call.ufunc is np.matmul or call.name == "nn.linear"):
        return None
    shapes = []
    for a in call.args[:2]:
        if a.__class__ is Slot and avals[a.k] is not None:
            shapes.append(avals[a.k])
        elif isinstance(a, np.ndarray):
            shapes.append((a.shape, a.dtype))
        else:
            return None
    if len(shapes) != 2 or len(shapes[1][0]) < 1:
        return None
    (sa, da), (sb, db) = shapes
    if call.name == "nn.linear":
        sb = sb[::-1]
    return sa, sb, np.result_type(da, db)


# Calls whose rules take products by BLAS inside (convolutions' columns, recurrent layers' steps,
# contractions): a program with one keeps every product on BLAS's threads.
_BLAS_INSIDE = re.compile(r"conv|rnn\.|gru|lstm|tensordot|einsum|\bdot\b|inner|kron|bilinear")


def _waits(step, i, pending, fused, into):
    """Whether a product begun in the background whose result is slot ``pending`` must be finished
    before step ``i``: the step reads it, is a guard (which may leave the replay), has effects (an
    optimizer's in-place update may write an operand), or writes into an array the caller gave. (The
    LSTM kernels, which use the background slot themselves, finish it first: ``_pool.Pool.held``.)"""
    from ._effects import is_effect

    if step.__class__ is Guard:
        return True
    if fused is not None and i in fused:
        return pending in fused[i][1]
    return pending in step.reads or is_effect(step) or bool(step.outs and step.outs[0] in into)


def _one_pool(program, avals):
    """Whether, on several threads, every product of ``program`` that BLAS would run on its threads is
    one that the replay's kernels take (and split across the pool's workers): two pools of threads
    taking turns on the same cores wait for each other (each spins between calls), so a program takes
    the kernels' products only where BLAS's threads have no product left."""
    from ._gemm import AVX512

    for step in program.steps:
        if step.__class__ is Call and _BLAS_INSIDE.search(step.name) and "(kernels)" not in step.name:
            return False
        shapes = _product_shapes(step, avals)
        if shapes is None:
            continue
        sa, sb, dtype = shapes
        if len(sa) < 1 or len(sb) < 2:
            continue
        macs = int(np.prod(sa)) * sb[-1]
        if macs >= 1 << 20 and not (AVX512 and _kernel_shapes(sa, sb, dtype, step.name == "nn.linear")):
            return False
    return True


def _gemm_shapes(call, avals):
    """Whether the matrix product ``call`` may suit the replay's own kernels (its operands' layouts and
    dtypes are checked at each call): float32 matrices, or stacks of one batch shape, large enough."""
    shapes = _product_shapes(call, avals) if len(call.args) == 2 else None
    return shapes is not None and _kernel_shapes(*shapes)


def _kernel_shapes(sa, sb, dtype, linear=False):
    """Whether a product of these operand shapes may suit the kernels (``linear``: ``nn.linear``, whose
    input of any rank is taken as one matrix)."""
    if linear and len(sa) > 2:
        sa = (int(np.prod(sa[:-1])), sa[-1])
    if dtype != np.float32 or len(sa) < 2 or len(sa) != len(sb) or sa[:-2] != sb[:-2]:
        return False
    if len(sa) == 2:   # (_gemm._padded takes what the tiles do not, where BLAS would use its threads)
        return sa[1] >= 1 and int(np.prod(sa)) * sb[-1] >= 1 << 16
    return sa[-2] >= 8 and sb[-1] >= 32 and sa[-1] >= 16 and int(np.prod(sa)) * sb[-1] >= 1 << 16


def _big(a):
    return a is not None and int(np.prod(a[0], dtype=np.int64)) * a[1].itemsize >= _DEL_BYTES


class Compiled:
    """A program with its replay functions: with preallocated buffers, and without (for a replay that
    starts while another is running)."""

    def __init__(self, program, buffers=True, fuse=None, donated=(), gemm=False):
        from ._cse import eliminate

        program = eliminate(program)   # (a primitive called twice on the same values runs once)
        self.program = program
        # the input positions whose arrays the caller gave up (donate_argnums): checked at each call
        self.donated = [n for n, k in enumerate(program.inputs) if k in set(donated)]
        self._fuse = fuse
        self.run_buffered = None
        self.rewritten = program
        outputs = {o.k for o in program.outputs if o.__class__ is Slot}
        if buffers and fuse is not None:
            # the buffered replay runs one at a time: it may take the pattern kernels, which own their
            # output arrays (_patterns.py); the replay without buffers keeps the program's calls
            from ._patterns import rewrite

            self.rewritten = rewrite(program, exact=getattr(fuse, "exact", False))
        fused = None
        if fuse is not None:
            fused = fuse(self.rewritten)
        self.fused = fused
        self._plain_fused = fused if self.rewritten is program else False
        if buffers and (self.rewritten is not program or donated or gemm or any(
                s.__class__ is Call and _bufferable(s, program.avals, outputs) for s in program.steps)):
            self.run_buffered, self.source = compile_program(self.rewritten, buffers=True, fused=fused,
                                                             donated=donated, gemm=gemm)
            if not self.run_buffered.donates:
                self.donated = []  # no output lands in a donated array: nothing to check
            self._constants = _constant_arrays(program, self.rewritten) if self.donated else []
            self._plain = None  # compiled when a replay finds the buffers in use
        else:
            self._plain, self.source = compile_program(program, buffers=False, fused=fused)
            self.donated = []
        self.lock = threading.Lock()
        from ._effects import late_guards

        self.late = late_guards(program) or late_guards(self.rewritten)

    @property
    def run_plain(self):
        """The replay without buffers (compiled on first use)."""
        if self._plain is None:
            if self._plain_fused is False:
                self._plain_fused = self._fuse(self.program)
            self._plain = compile_program(self.program, buffers=False, fused=self._plain_fused)[0]
        return self._plain

    def __call__(self, arrays):
        if self.donated and not _donatable(arrays, self.donated, self._constants):
            return self.run_plain(*arrays)
        if self.run_buffered is not None and self.lock.acquire(False):
            try:
                out = self.run_buffered(*arrays)
            finally:
                self.lock.release()
            # (an input array returned as it is, a parameter the replay updated in place, is the
            # caller's own: not copied, though it may be a view of another array)
            ins = {id(a) for a in arrays}
            return tuple(o if id(o) in ins else _owned(o) for o in out)
        return self.run_plain(*arrays)


def _donatable(arrays, donated, constants):
    """Whether the donated arrays can take outputs: writeable C-contiguous ndarrays that share no
    memory with another input (an array given twice, a view of another argument) nor with an array
    the program holds as a constant (a closure's array, which the program reads as it is then)."""
    for n in donated:
        a = arrays[n]
        if a.__class__ is not np.ndarray or not (a.flags.c_contiguous and a.flags.writeable):
            return False
        for m, b in enumerate(arrays):
            if m != n and np.may_share_memory(a, b):
                return False
        for c in constants:
            if np.may_share_memory(a, c):
                return False
    return True


def _constant_arrays(*programs):
    """The ndarrays that the calls of ``programs`` hold as arguments (constants), each once."""
    seen, found = set(), []
    for program in programs:
        for step in program.steps:
            if step.__class__ is not Call:
                continue
            for v in leaves((step.args, step.params)):
                if isinstance(v, np.ndarray) and id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
    return found


def _owned(o):
    """An output of a buffered replay that no later replay will overwrite: a view of some array is
    copied (it may be a view of a buffer). Copying the parameters a training step updated in place,
    views in a model's arrays, then writing them back cost W1 two copies of 1.1 MB a step."""
    if o.__class__ is np.ndarray and o.base is not None:
        return o.copy()
    return o
