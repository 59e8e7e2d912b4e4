"""Worker threads that wait for work spinning in native code: the replay's products split across cores.

Why: a product of a training step takes 20-300 µs. Handing part of it to a Python thread (a queue, a
lock or an event: the thread sleeps in the kernel until woken) costs 20-50 µs on the machine measured,
as much as the part gains; BLAS libraries keep their threads spinning between calls for that reason,
and a replay whose products are split by threads that sleep loses to them. Here each worker, once
woken, waits for the next job in a loop of compiled code (Numba, ``nogil``) that reads a shared word
and pauses; a job reaches it in well under a microsecond. A worker that has had no job for
:data:`SPIN_CYCLES` processor cycles (a few milliseconds) goes back to sleep on a
:class:`threading.Event`, so an idle program does not hold a core; the next job wakes it.

A job is a kernel (:data:`NN`, :data:`NT`, :data:`STACK`: the tile kernels of ``_simd.py``; :data:`CALL`:
any compiled function, by its address, such as an LSTM layer's time step) over
``chunks`` independent parts (row ranges, matrices of a stack). The calling thread and the workers
take parts from one shared counter, so the caller starts at once, does every part itself when the
workers are asleep or their cores busy, and waits only for a part a worker has begun. Each part
computes its outputs exactly as a call on one thread would (no sum is split): the values are the
same, bit for bit, whichever thread computes which part and on any number of threads.

The shared words (an int64 array, ``ctl``): ``NEXT`` packs the job's sequence number, its number of
parts and the next part to take, so that one compare-and-swap takes a part of the job it was read
from and never one of a job posted since; ``DONE`` counts the parts finished; the job's arguments
(array addresses and sizes, strides, sizes) follow. The caller keeps the arrays alive until every
part is done. One caller at a time (a lock, taken without waiting: a second thread runs its
product on its own).

A forked child starts with no workers and starts its own when it first splits a product.
"""
import contextlib
import os
import platform
import sys
import threading

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import _vmath as vm
from ._simd import rows_nn, rows_nt, stack

from ._cachestamp import check as _check_cache

_check_cache()   # (cached kernels compiled from other sources are removed first: _cachestamp.py)

_F32_LANES = max(1, vm.lanes(np.float32))   # (a register of float32 for the SGD step after a product)

__all__ = ["NN", "NT", "STACK", "CALL", "NN_BIAS_RELU", "Pool", "post_call", "run_call", "call", "held", "parts", "pool", "post_nn", "post_nt", "post_stack", "solo"]


# --- atomics and the spin hint, as LLVM instructions on an int64 array's elements ---

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
_LINUX_X86_64 = sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64")
if _LINUX_X86_64:
    import llvmlite.binding as _llvm

    try:   # (the inline system call below needs LLVM's assembly parser, which Numba does not load)
        _llvm.initialize_native_asmparser()
    except Exception:   # noqa: BLE001 - then the wait only spins
        _LINUX_X86_64 = False

def _elem(context, builder, aryty, ary, idx):
    a = context.make_array(aryty)(context, builder, ary)
    return builder.gep(a.data, [idx])


@intrinsic
def _load(typingctx, arr, idx):
    """``arr[idx]`` read atomically (acquire)."""
    def codegen(context, builder, sig, args):
        return builder.load_atomic(_elem(context, builder, sig.args[0], *args), "acquire", 8)
    return types.int64(arr, idx), codegen


@intrinsic
def _store(typingctx, arr, idx, v):
    """``arr[idx] = v`` atomically (sequentially consistent)."""
    def codegen(context, builder, sig, args):
        builder.store_atomic(args[2], _elem(context, builder, sig.args[0], args[0], args[1]), "seq_cst", 8)
        return context.get_dummy_value()
    return types.none(arr, idx, v), codegen


@intrinsic
def _cas(typingctx, arr, idx, old, new):
    """Whether ``arr[idx]`` was ``old`` and is now ``new`` (one atomic compare-and-swap)."""
    def codegen(context, builder, sig, args):
        pair = builder.cmpxchg(_elem(context, builder, sig.args[0], args[0], args[1]), args[2], args[3],
                               "seq_cst", "seq_cst")
        return builder.extract_value(pair, 1)
    return types.boolean(arr, idx, old, new), codegen


@intrinsic
def _add(typingctx, arr, idx, v):
    """``arr[idx] += v`` atomically; the value before."""
    def codegen(context, builder, sig, args):
        return builder.atomic_rmw("add", _elem(context, builder, sig.args[0], args[0], args[1]), args[2], "seq_cst")
    return types.int64(arr, idx, v), codegen


def _hint(builder):
    if _X86:
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause")
        builder.call(fn, [])


@intrinsic
def _pause(typingctx):
    """The processor's spin-wait hint (x86 ``pause``); nothing elsewhere."""
    def codegen(context, builder, sig, args):
        _hint(builder)
        return context.get_dummy_value()
    return types.none(), codegen


@intrinsic
def _yield(typingctx):
    """Give the core to another runnable thread, if one waits for it (Linux's ``sched_yield``, system
    call 24 on x86-64); elsewhere the spin-wait hint."""
    def codegen(context, builder, sig, args):
        if _LINUX_X86_64:
            i64 = ir.IntType(64)
            builder.asm(ir.FunctionType(i64, [i64]), "syscall", "={rax},{rax},~{rcx},~{r11},~{memory}",
                        [ir.Constant(i64, 24)], side_effect=True)
        else:
            _hint(builder)
        return context.get_dummy_value()
    return types.none(), codegen


@intrinsic
def _cycles(typingctx):
    """The processor's cycle counter (x86 ``rdtsc``)."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                            "llvm.readcyclecounter")
        return builder.call(fn, [])
    return types.int64(), codegen


@intrinsic
def _f32(typingctx, addr):
    """A float32 pointer from an address."""
    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.PointerType(ir.FloatType()))
    return types.CPointer(types.float32)(types.int64), codegen


@intrinsic
def _i64(typingctx, addr):
    """An int64 pointer from an address."""
    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], ir.PointerType(ir.IntType(64)))
    return types.CPointer(types.int64)(types.int64), codegen


@intrinsic
def _call(typingctx, addr, words, part):
    """Call the compiled function at ``addr`` (a Numba ``cfunc`` of signature ``void(int64*, int64)``)
    with ``words`` (an address: the job's argument words) and ``part``."""
    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(ir.VoidType(), [i64.as_pointer(), i64])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        builder.call(fn, [builder.inttoptr(args[1], i64.as_pointer()), args[2]])
        return context.get_dummy_value()
    return types.void(types.int64, types.int64, types.int64), codegen


# --- the shared words ---

# Two slots of words, each for one job at a time: the caller's (at 0: it waits for the job) and a
# background one (at BG: a job the caller posts and goes on, finishing it later); the workers take
# the caller's parts first. Offsets within a slot:
NEXT = 0            # seq << 32 | chunks << 16 | next part  (its own cache line)
DONE = 8            # parts finished                          (its own cache line)
OP = 16             # the job: kernel, part size, arguments   (six cache lines)
ARGS = 18
SEQ = 62            # the poster's last sequence number
BG = 64             # the background slot
STATE = 128         # per worker w: STATE + 8 * w: 0 spinning or working, 1 asleep, 2 told to stop; then
                    # the parts it has run
NN, NT, STACK, NN_SGD, CALL, NN_BIAS_RELU = 1, 2, 3, 4, 5, 6
#: Where a :data:`CALL` job's own argument words begin in its slot (after the function's address).
CALL_ARGS = 19
MAX_PARTS = (1 << 16) - 1
#: Multiply-adds per part of a product, at least (about 3 us on one core).
PART = 1 << 18
#: Cycles of the processor's counter a worker waits for a job before it sleeps (about 3 ms at 3 GHz):
#: the first TIGHT (about 40 us) spinning, then yielding its core to any thread waiting for it between
#: looks (a system call each: a job then reaches the worker within a microsecond or so).
SPIN_CYCLES = 1 << 23
TIGHT = 1 << 17


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _part(ctl, s, i):
    """Part ``i`` of the job in the slot at ``s`` of ``ctl``."""
    op = ctl[s + OP]
    per = ctl[s + OP + 1]
    g = ctl[s + ARGS:]
    if op == NN or op == NN_SGD or op == NN_BIAS_RELU:
        # rows_nn(a, ars, aks, b, ldb, c, ldc, r0, r1, n, k, kblock, add); rows m = g[11]
        a = numba.carray(_f32(g[0]), g[1])
        b = numba.carray(_f32(g[4]), g[5])
        c = numba.carray(_f32(g[7]), g[8])
        r0 = i * per
        r1 = min(r0 + per, g[11])
        rows_nn(a, g[2], g[3], b, g[6], c, g[9], r0, r1, g[10], g[12], g[13], g[14] != 0)
        if op == NN_SGD:   # then p -= coef * C on the same rows, while they are in this core's cache
            p = numba.carray(_f32(g[15]), g[16])
            coef = vm.splat(numba.carray(_f32(g[17]), 1)[0])
            ldc, n = g[9], g[10]
            for r in range(r0, r1):
                o = r * ldc
                for j in range(o, o + n, _F32_LANES):
                    vm.store(p, j, o + n, vm.subtract(vm.load(p, j, o + n), vm.multiply(coef, vm.load(c, j, o + n))))
        elif op == NN_BIAS_RELU:   # then z = C + bias and h = max(z, 0) (NaN kept) on the same rows
            ldc, n = g[9], g[10]
            bias = numba.carray(_f32(g[15]), n)
            z = numba.carray(_f32(g[16]), g[8])
            h = numba.carray(_f32(g[17]), g[8])
            zero = vm.splat(np.float32(0))
            for r in range(r0, r1):
                o = r * ldc
                for j in range(o, o + n, _F32_LANES):
                    v = vm.add(vm.load(c, j, o + n), vm.load(bias, j - o, n))
                    vm.store(z, j, o + n, v)
                    vm.store(h, j, o + n, vm.maximum(v, zero))   # (NaN kept; -0 gives +0, as the kernel's)
    elif op == CALL:   # a compiled function of (its argument words, the part): see post_call
        _call(g[0], ctl[s + CALL_ARGS:].ctypes.data, i)
    elif op == NT:   # rows_nt(a, lda, w, ldw, c, ldc, r0, r1, n, k); rows m = g[10]
        a = numba.carray(_f32(g[0]), g[1])
        w = numba.carray(_f32(g[3]), g[4])
        c = numba.carray(_f32(g[6]), g[7])
        r0 = i * per
        rows_nt(a, g[2], w, g[5], c, g[8], r0, min(r0 + per, g[10]), g[9], g[11])
    elif op == STACK:   # stack(a, aoffs, ars, aks, b, boffs, ldb, nt, c, m, n, k, i0, i1, kblock); count g[17]
        a = numba.carray(_f32(g[0]), g[1])
        aoffs = numba.carray(_i64(g[2]), g[3])
        b = numba.carray(_f32(g[6]), g[7])
        boffs = numba.carray(_i64(g[8]), g[9])
        c = numba.carray(_f32(g[12]), g[13])
        i0 = i * per
        stack(a, aoffs, g[4], g[5], b, boffs, g[10], g[11] != 0, c, g[14], g[15], g[16], i0,
              min(i0 + per, g[17]), g[18])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _take(ctl, s, most):
    """Take and run parts of the job posted in slot ``s`` until none is left (or ``most`` have run); how
    many this thread ran."""
    ran = 0
    while ran != most:
        word = _load(ctl, s + NEXT)
        i = word & 0xFFFF
        if i >= (word >> 16) & 0xFFFF:
            return ran
        if _cas(ctl, s + NEXT, word, word + 1):
            _part(ctl, s, i)
            _add(ctl, s + DONE, 1)
            ran += 1
    return ran


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _any(ctl):
    """Take parts: the caller's job's, else one of the background job's; how many ran."""
    ran = _take(ctl, 0, -1)
    return ran if ran else _take(ctl, BG, 1)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _serve(ctl, w, spin):
    """A worker's wait: take parts of each job posted, spinning between jobs; after ``spin`` cycles
    without one, mark this worker asleep and return 0 (1 when told to stop)."""
    state = STATE + 8 * w
    since = _cycles()
    while True:
        if _load(ctl, state) == 2:
            return 1
        ran = _any(ctl)
        if ran:
            ctl[state + 1] += ran     # (parts this worker ran: read by tests)
            since = _cycles()
            continue
        idle = _cycles() - since
        if idle < TIGHT:
            _pause()
        else:   # (a thread waiting for this core, BLAS's or another program's, gets it)
            _yield()
        if idle > spin:
            _store(ctl, state, 1)
            # a job posted before the caller could see this worker asleep is taken now
            ran = _any(ctl)
            if ran:
                ctl[state + 1] += ran
                _store(ctl, state, 0)
                since = _cycles()
                continue
            return 0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _finish(ctl, chunks, s=0):
    """Run parts with the workers until every part of the job in slot ``s`` is done."""
    _take(ctl, s, -1)
    while _load(ctl, s + DONE) < chunks:
        _pause()


@numba.njit(cache=True, nogil=True, error_model="numpy")
def parts(rows, tile, row_macs, least=PART):
    """Rows (whole tiles) per part of a product of ``rows`` rows of ``row_macs`` multiply-adds each:
    at least ``least`` multiply-adds a part, and no more parts than the counter holds."""
    tiles = max(1, (least + tile * row_macs - 1) // (tile * row_macs), (rows + tile * MAX_PARTS - 1) // (tile * MAX_PARTS))
    return min(tiles * tile, max(rows, 1))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _post(ctl, chunks, s=0):
    """Publish the job whose kernel and arguments are in slot ``s``, in ``chunks`` parts."""
    seq = ctl[s + SEQ] + 1
    ctl[s + SEQ] = seq
    _store(ctl, s + DONE, 0)
    _store(ctl, s + NEXT, ((seq & 0x7FFFFFFF) << 32) | (chunks << 16))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def post_nn(ctl, s, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, add):
    """Post ``rows_nn`` over rows ``0:m`` (``add``: into ``C``) in slot ``s``, in parts of ``per`` rows;
    the number of parts (the caller finishes it: :func:`_finish`)."""
    chunks = _words_nn(ctl, s, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, add)
    _post(ctl, chunks, s)
    return chunks


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _words_nn(ctl, s, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, add):
    """The words of :func:`post_nn`'s job, not yet published; the number of parts."""
    chunks = (m + per - 1) // per
    ctl[s + OP] = NN
    ctl[s + OP + 1] = per
    g = s + ARGS
    ctl[g] = a.ctypes.data; ctl[g + 1] = a.size; ctl[g + 2] = ars; ctl[g + 3] = aks  # noqa: E702
    ctl[g + 4] = b.ctypes.data; ctl[g + 5] = b.size; ctl[g + 6] = ldb  # noqa: E702
    ctl[g + 7] = c.ctypes.data; ctl[g + 8] = c.size; ctl[g + 9] = ldc  # noqa: E702
    ctl[g + 10] = n; ctl[g + 11] = m; ctl[g + 12] = k; ctl[g + 13] = kblock; ctl[g + 14] = add  # noqa: E702
    return chunks


@numba.njit(cache=True, nogil=True, error_model="numpy")
def post_call(ctl, s, fn, chunks):
    """Post a job of ``chunks`` parts in slot ``s`` whose part ``i`` calls the ``cfunc`` at address ``fn``
    (signature ``void(CPointer(int64), int64)``) with the address of ``ctl[s + CALL_ARGS]`` (the words
    the caller wrote there first: addresses, sizes, numbers) and ``i``; the number of parts (the caller
    finishes it: :func:`_finish`). Any compiled kernel can so run on the pool, split as it chooses."""
    ctl[s + OP] = CALL
    ctl[s + ARGS] = fn
    _post(ctl, chunks, s)
    return chunks


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_call(ctl, fn, chunks, words):
    """Write ``words`` (int64) at ``CALL_ARGS`` of the caller's slot, run the job of ``chunks`` parts of the
    ``cfunc`` at ``fn`` (:func:`post_call`) with the workers, and return when every part is done."""
    for k in range(words.size):
        ctl[CALL_ARGS + k] = words[k]
    _finish(ctl, post_call(ctl, 0, fn, chunks))


def call(fn, chunks, words, split=True):
    """The job of ``chunks`` parts of the ``cfunc`` at address ``fn`` with argument ``words``
    (:func:`run_call`): on the pool's workers where ``split``, the threads are several, the parts too
    and no other thread holds the pool; else every part on the calling thread."""
    threads = numba.get_num_threads()
    if not (split and threads > 1 and chunks > 1 and pool(threads).run(run_call, fn, chunks, words)):
        run_call(solo(), fn, chunks, words)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nn_sgd(ctl, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, p, coef):
    """:func:`_nn` (``C = A B``), then ``p -= coef[0] * C`` row by row in the same parts (an SGD step on
    the parameter ``p``, C-contiguous like ``C``, whose gradient ``C`` is): the difference of the
    rounded product, as NumPy's ``p -= c * g`` (``_kernels.axpy_sub``), so the same bits."""
    chunks = _words_nn(ctl, 0, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, False)
    g = ARGS
    ctl[OP] = NN_SGD
    ctl[g + 15] = p.ctypes.data; ctl[g + 16] = p.size; ctl[g + 17] = coef.ctypes.data  # noqa: E702
    _post(ctl, chunks)
    return _finish(ctl, chunks)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nn_bias_relu(ctl, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, bias, z, h):
    """:func:`_nn` (``C = A B``), then ``z = C + bias`` and ``h = max(z, 0)`` (NaN kept) row by row in the
    same parts, while the rows are in the cache of the core that computed them: the same arithmetic as
    ``_kernels.bias_relu``, so the same bits. ``z``, ``h``: C-contiguous like ``C``."""
    chunks = _words_nn(ctl, 0, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, False)
    g = ARGS
    ctl[OP] = NN_BIAS_RELU
    ctl[g + 15] = bias.ctypes.data; ctl[g + 16] = z.ctypes.data; ctl[g + 17] = h.ctypes.data  # noqa: E702
    _post(ctl, chunks)
    return _finish(ctl, chunks)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nn(ctl, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, add=False):
    """``rows_nn`` over rows ``0:m`` in parts of ``per`` rows, shared with the workers."""
    return _finish(ctl, post_nn(ctl, 0, per, a, ars, aks, b, ldb, c, ldc, m, n, k, kblock, add))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def post_nt(ctl, s, per, a, lda, w, ldw, c, ldc, m, n, k):
    """Post ``rows_nt`` over rows ``0:m`` in slot ``s``, in parts of ``per`` rows; the number of parts."""
    chunks = (m + per - 1) // per
    ctl[s + OP] = NT
    ctl[s + OP + 1] = per
    g = s + ARGS
    ctl[g] = a.ctypes.data; ctl[g + 1] = a.size; ctl[g + 2] = lda  # noqa: E702
    ctl[g + 3] = w.ctypes.data; ctl[g + 4] = w.size; ctl[g + 5] = ldw  # noqa: E702
    ctl[g + 6] = c.ctypes.data; ctl[g + 7] = c.size; ctl[g + 8] = ldc  # noqa: E702
    ctl[g + 9] = n; ctl[g + 10] = m; ctl[g + 11] = k  # noqa: E702
    _post(ctl, chunks, s)
    return chunks


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nt(ctl, per, a, lda, w, ldw, c, ldc, m, n, k):
    """``rows_nt`` over rows ``0:m`` in parts of ``per`` rows, shared with the workers."""
    return _finish(ctl, post_nt(ctl, 0, per, a, lda, w, ldw, c, ldc, m, n, k))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def post_stack(ctl, s, per, a, aoffs, ars, aks, b, boffs, ldb, nt, c, m, n, k, count, kblock):
    """Post ``stack`` over matrices ``0:count`` in slot ``s``, in parts of ``per`` matrices; the number
    of parts (the caller finishes it: :func:`_finish`)."""
    chunks = (count + per - 1) // per
    ctl[s + OP] = STACK
    ctl[s + OP + 1] = per
    g = s + ARGS
    ctl[g] = a.ctypes.data; ctl[g + 1] = a.size  # noqa: E702
    ctl[g + 2] = aoffs.ctypes.data; ctl[g + 3] = aoffs.size; ctl[g + 4] = ars; ctl[g + 5] = aks  # noqa: E702
    ctl[g + 6] = b.ctypes.data; ctl[g + 7] = b.size  # noqa: E702
    ctl[g + 8] = boffs.ctypes.data; ctl[g + 9] = boffs.size; ctl[g + 10] = ldb; ctl[g + 11] = nt  # noqa: E702
    ctl[g + 12] = c.ctypes.data; ctl[g + 13] = c.size  # noqa: E702
    ctl[g + 14] = m; ctl[g + 15] = n; ctl[g + 16] = k; ctl[g + 17] = count; ctl[g + 18] = kblock  # noqa: E702
    _post(ctl, chunks, s)
    return chunks


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _stack(ctl, per, a, aoffs, ars, aks, b, boffs, ldb, nt, c, m, n, k, count, kblock):
    """``stack`` over matrices ``0:count`` in parts of ``per`` matrices, shared with the workers."""
    return _finish(ctl, post_stack(ctl, 0, per, a, aoffs, ars, aks, b, boffs, ldb, nt, c, m, n, k, count, kblock))


class Pool:
    """The workers of this process (``threads - 1`` of them) and their shared words.

    :meth:`run` runs a job (:func:`_nn`, :func:`_nt`, :func:`_stack`) in parts on the calling thread and
    the workers; it returns False, having run nothing, while another thread is using the pool (the
    caller then runs the job on its own: :func:`solo`)."""

    def __init__(self, threads):
        self.workers = max(0, threads - 1)
        self.ctl = np.zeros(STATE + 8 * self.workers, np.int64)
        self.ctl[STATE::8] = 1                   # asleep until started
        self.events = [threading.Event() for _ in range(self.workers)]
        self.threads = [None] * self.workers
        self.lock = threading.RLock()       # (a thread holding it for a background job takes it again)
        self.pending = None                  # the background job posted by the thread holding the lock
        self.spin = SPIN_CYCLES

    def _loop(self, w):
        ev, ctl = self.events[w], self.ctl
        while True:
            ev.wait()
            ev.clear()
            if ctl[STATE + 8 * w] == 2 or _serve(ctl, w, self.spin):
                return

    def _wake(self):
        ctl = self.ctl
        for w in range(self.workers):
            if ctl[STATE + 8 * w] == 1:
                ctl[STATE + 8 * w] = 0
                if self.threads[w] is None:
                    t = threading.Thread(target=self._loop, args=(w,), daemon=True, name=f"bc.jit worker {w + 1}")
                    self.threads[w] = t
                    t.start()
                self.events[w].set()

    def run(self, fn, *args):
        """``fn(ctl, *args)`` with the workers woken, unless another thread holds the pool (False)."""
        if not self.lock.acquire(False):
            return False
        try:
            self._wake()               # (workers asleep join when they wake: this thread starts now)
            fn(self.ctl, *args)
        finally:
            self.lock.release()
        return True

    @contextlib.contextmanager
    def held(self):
        """The shared words, for compiled code that posts jobs itself (the LSTM kernels), with the
        workers woken; words of no workers (every part on the calling thread) while another thread
        holds the pool. A background job this thread left is finished first (the slot is the
        caller's)."""
        if not self.lock.acquire(False):
            yield solo()
            return
        try:
            self.settle()
            self._wake()
            yield self.ctl
        finally:
            self.lock.release()

    def background(self, post, *args):
        """Post a job in the background slot by ``post(ctl, BG, *args)`` (:func:`post_nn`,
        :func:`post_nt`, :func:`post_stack`) and return at once, holding the pool (and the job's
        arrays) until :meth:`settle`; False, having run nothing, while another thread holds it."""
        if not self.lock.acquire(False):
            return False
        self.settle()
        self._wake()
        self.pending = (post(self.ctl, BG, *args), args)
        return True

    def settle(self):
        """Finish the background job this thread posted (its parts not yet taken run here)."""
        job = self.pending
        if job is not None:
            self.pending = None
            try:
                _finish(self.ctl, job[0], BG)
            finally:
                self.lock.release()

    def close(self):
        """Tell the workers to stop (they end when they next look)."""
        for w in range(self.workers):
            self.ctl[STATE + 8 * w] = 2
            self.events[w].set()


_pools = {}
_lock = threading.Lock()


def pool(threads):
    """The process's pool of ``threads`` threads (the caller and ``threads - 1`` workers)."""
    p = _pools.get(threads)
    if p is None:
        with _lock:
            p = _pools.setdefault(threads, Pool(threads))
    return p


class _Solo(threading.local):
    ctl = None


_solo = _Solo()


def solo():
    """This thread's shared words of no workers: a job posted there runs on the calling thread."""
    ctl = _solo.ctl
    if ctl is None:
        ctl = _solo.ctl = np.zeros(STATE, np.int64)
    return ctl


def held(threads):
    """A context giving the shared words of the pool of ``threads`` threads (:meth:`Pool.held`), or of
    no workers on one thread."""
    if threads > 1:
        return pool(threads).held()
    return contextlib.nullcontext(solo())


def warm():
    """Compile (or load from Numba's cache) the pool's compiled functions: the worker's wait and each
    job's, on a few numbers."""
    ctl = np.zeros(STATE + 8, np.int64)
    _serve(ctl, 0, 0)                        # (no job: marks itself asleep at once)
    f = np.ones(64, np.float32)
    offs = np.zeros(1, np.int64)
    _nn(ctl, 8, f, 8, 1, f, 16, f, 16, 2, 16, 2, 512)
    _nn_sgd(ctl, 8, f, 8, 1, f, 16, f, 16, 2, 16, 2, 512, np.zeros(32, np.float32), np.zeros(1, np.float32))
    _nn_bias_relu(ctl, 8, f, 8, 1, f, 16, f, 16, 2, 16, 2, 512, np.zeros(16, np.float32), np.zeros(32, np.float32),
                  np.zeros(32, np.float32))
    # the background slot's jobs as Pool.background and Pool.settle call them (from Python: other types)
    _finish(ctl, post_nn(ctl, BG, 8, f, 8, 1, f, 16, f, 16, 2, 16, 2, 512, False), BG)
    _finish(ctl, post_nt(ctl, BG, 4, f, 16, f, 16, f, 16, 2, 1, 16), BG)
    _finish(ctl, post_stack(ctl, BG, 1, f, offs, 8, 1, f, offs, 16, False, f, 2, 16, 2, 1, 512), BG)
    _nt(ctl, 4, f, 16, f, 16, f, 16, 2, 1, 16)
    _stack(ctl, 1, f, offs, 8, 1, f, offs, 16, False, f, 2, 16, 2, 1, 512)


def _after_fork():
    _pools.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
