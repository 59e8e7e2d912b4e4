"""float32 matrix products for the buffered replay, with 16-lane vectors, on every core.

Why: the BLAS that NumPy wheels bundle (OpenBLAS, ``DYNAMIC_ARCH``) may pick kernels for an older
instruction set than the CPU has, or be pinned to one (``OPENBLAS_CORETYPE``). On the machine
measured (AMD EPYC, Zen 5, AVX-512; OpenBLAS on its Haswell kernels) the products of a training
step (a batch of 128 against 784 x 256 and 256 x 256 weights) run about 25% faster with the
register-tiled loop below than with ``np.matmul``, as XLA's own products do for JAX.

:func:`matmul` takes a 2-D float32 product ``a @ b`` into ``out`` (C-contiguous) in two layouts:
``A B`` (a layer's forward, ``a`` row- or column-major: a weight gradient's ``x.T @ g``), by tiles
of 8 rows by 32 columns, each element of ``a`` broadcast against two 16-lane rows of ``b``
(sixteen accumulators: enough fused multiply-adds in flight to hide their latency); and ``A W^T``
(an input gradient's ``g @ W.T``), by tiles of 4 x 4 dot products along rows of ``a`` and ``W``.
Products the tiles do not take but BLAS would split across its threads (a classifier's ten
columns, its gradients' ten terms, a strided operand) run on padded copies (:func:`_padded`), so
that a step leaves no product to BLAS's threads: they spin between calls, on the core the pool's
workers use. Other products (other dtypes, stacks of other layouts, small ones) go to ``np.matmul``
(:func:`takes`, :func:`_any2d`). On several threads (``numba.get_num_threads()``) a product of
``_SPLIT`` multiply-adds or more is split, in parts of whole tiles, across the workers of
``_pool.py``, which wait spinning in compiled code: a part reaches one in well under a microsecond
(a Python thread's wake-up took 20-50 us, as long as a 128 x 256 x 256 product).

Values: each output is a sum over ``k`` in another order than BLAS's, with fused multiply-adds, so
results differ from ``np.matmul``'s in the last bits (as two BLAS libraries' do): relative 1e-6 in
float32. The kernels are used where the CPU has AVX-512 (:data:`AVX512`), and only by a replay that
fuses (``bc.jit(fuse="auto")``, the default); ``fuse="exact"`` and ``fuse=None`` keep NumPy's
products, bit for bit.

The tile kernels and their 16-lane vectors are in ``_simd.py``.
"""
import threading

import numba
import numpy as np

from ._pool import _nn, _nn_bias_relu, _nn_sgd, _nt, _stack, parts, pool, post_nn, post_nt, post_stack, solo
from ._simd import AVX512, rows_nn, transpose

__all__ = ["AVX512", "matmul", "takes"]


def _layout(a, b):
    """``(ars, aks, nt)`` for the matrices of ``a @ b`` (2-D, or stacks of one shape), or None where the
    kernels do not take them: ``a`` row-major (``ars = k``) or column-major (``aks = m``); ``b``
    row-major, or the transpose of a row-major ``W`` (``nt``, with ``a`` row-major and ``k`` a
    multiple of 16)."""
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if not (m >= 8 and n >= 32 and k >= 16 and k == b.shape[-2]):
        return None
    if b.flags.c_contiguous:
        if n % 16:
            return None
        if a.flags.c_contiguous:
            return k, 1, False
        at = a.swapaxes(-1, -2)
        return (1, m, False) if at.flags.c_contiguous else None
    if k % 16 == 0 and a.flags.c_contiguous and b.swapaxes(-1, -2).flags.c_contiguous:
        return k, 1, True
    return None


def _flat(x):
    """``x``'s owning array flattened and the element offset of ``x[0, ..., 0]`` in it, or None (an
    owner that is not a C-contiguous array of ``x``'s dtype, negative or ragged strides)."""
    base = x
    while isinstance(base.base, np.ndarray):
        base = base.base
    if base.dtype != x.dtype or any(s < 0 or s % x.itemsize for s in x.strides + base.strides):
        return None
    start = base.__array_interface__["data"][0]
    if base.flags.c_contiguous:
        flat = base.reshape(-1)
    else:   # an array dense in another order of its axes (a buffer laid out as a traced value was)
        flat = base.ravel(order="K")
        if flat.__array_interface__["data"][0] != start or flat.base is None:
            return None   # (a copy: not dense)
    off = x.__array_interface__["data"][0] - start
    return (flat, off // x.itemsize) if off % x.itemsize == 0 else None


def _stack_layout(a, b):
    """``(fa, aoffs, ars, aks, fb, boffs, ldb, nt)`` for a stack of products ``a @ b`` whose matrices
    have a unit stride along a row (or, for ``a``, a column) however the stack is laid out (heads
    split from one array are views), or None."""
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if not (m >= 8 and n >= 32 and k >= 16 and k == b.shape[-2]):
        return None
    size = a.itemsize
    (sar, sac), (sbr, sbc) = a.strides[-2:], b.strides[-2:]
    if sbc == size and n % 16 == 0:
        nt, ldb = False, sbr // size
        if sac == size:
            ars, aks = sar // size, 1
        elif sar == size:
            ars, aks = 1, sac // size
        else:
            return None
    elif sbr == size and k % 16 == 0 and sac == size:
        nt, ldb, ars, aks = True, sbc // size, sar // size, 1
    else:
        return None
    fa, fb = _flat(a), _flat(b)
    if fa is None or fb is None:
        return None

    def offsets(x, start):
        off = np.full(x.shape[:-2], start, np.int64)
        for d, (count, stride) in enumerate(zip(x.shape[:-2], x.strides[:-2])):
            shape = [1] * (x.ndim - 2)
            shape[d] = count
            off += (np.arange(count, dtype=np.int64) * (stride // size)).reshape(shape)
        return off.reshape(-1)

    return fa[0], offsets(a, fa[1]), ars, aks, fb[0], offsets(b, fb[1]), ldb, nt


def takes(a, b):
    """Whether :func:`matmul` computes ``a @ b`` with the kernels (else it calls ``np.matmul``): float32
    matrices, or stacks of them of one batch shape, with at least 8 rows, 32 columns and 16 terms
    and 2^16 multiply-adds in all, in one of the layouts of :func:`_layout` (matrices) or
    :func:`_stack_layout` (stacks): ``A B`` (``a`` row- or column-major, ``b`` row-major with a
    multiple of 16 columns) or ``A W^T`` (``a`` row-major, ``b`` the transpose of a row-major ``W``,
    a multiple of 16 terms)."""
    if not (AVX512 and a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.ndim >= 2
            and a.ndim == b.ndim and a.dtype == np.float32 and b.dtype == np.float32
            and a.shape[:-2] == b.shape[:-2]):
        return False
    if a.size * b.shape[-1] < 1 << 16:
        return False
    return (_layout(a, b) if a.ndim == 2 else _stack_layout(a, b)) is not None


_KBLOCK = 512   # terms per pass of a tile, at most: its (k, 32) panel of b stays in the second-level cache

# On several threads a product of at least _SPLIT multiply-adds (about 10 us on one core) is split across
# them in parts of at least _pool.PART (about 3 us): a part reaches a worker of the pool (``_pool.py``),
# which waits spinning, in well under a microsecond; smaller products run on the calling thread.
_SPLIT = 1 << 20


_per = parts   # rows (whole tiles) per part of a product


def _job(a, b, c):
    """``a @ b`` into the flat ``c`` as a job of the pool: ``(now, post, per, whole, args)``, where
    ``now(ctl, per, *args)`` runs it in parts of ``per`` rows or matrices (:func:`_pool._nn`, ``_nt``,
    ``_stack``; ``per = whole``: in one part), and ``post(ctl, slot, per, *args)`` posts it
    (``post_nn``, ``post_nt``, ``post_stack``)."""
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if a.ndim > 2:   # a stack: whole matrices per part
        fa, aoffs, ars, aks, fb, boffs, ldb, nt = _stack_layout(a, b)
        count = len(aoffs)
        return _stack, post_stack, _per(count, 1, m * n * k), count, (fa, aoffs, ars, aks, fb, boffs, ldb, nt, c, m,
                                                                       n, k, count, _KBLOCK)
    ars, aks, nt = _layout(a, b)
    fa = (a if ars == k else a.swapaxes(-1, -2)).reshape(-1)
    fb = (b.swapaxes(-1, -2) if nt else b).reshape(-1)
    if nt:   # A W^T: dot products of rows
        return _nt, post_nt, _per(m, 4, n * k), m, (fa, k, fb, k, c, n, m, n, k)
    return _nn, post_nn, _per(m, 8, n * k), m, (fa, ars, aks, fb, n, c, n, m, n, k, _KBLOCK, False)


# An A W^T product of at least this many rows copies W^T (by 16 x 16 blocks in registers:
# _simd.transpose) and takes the A B tiles: on W8's layers (2048 rows, 128 or 512 terms) 20-30% faster
# than the dot-product tiles, the copy included. With fewer rows it did not pay in a step: with the copy
# from 128 rows (and a W of at most 2^16 numbers), W1's step took 0.986 of its time on one core but
# 1.035-1.044 on two, where its A W^T product is begun in the background and the workers read the copy
# from the other core (python -m benchmarks.jit_features -w W1 -f nt-copy); alone, a W^T larger than
# the second-level cache moved to the other core too (128 x 512 x 512: 244 against 194 us). The choice
# depends on the shapes only, so that the values are the same on any number of threads.
_NT_ROWS = 1024


def _copies_wt(m, k, n):
    """Whether ``A W^T`` with ``A`` (m, k) and ``W`` (n, k) copies ``W^T`` first (the A B tiles take a
    multiple of 16 columns), in :func:`matmul` and in :func:`post` alike."""
    return n % 16 == 0 and m >= _NT_ROWS


class _Scratch(threading.local):
    arrays = None


_scratch = _Scratch()


def _transposed(b, t=None):
    """``b`` (the transpose of a row-major matrix) copied into ``t``, or into a row-major array of this
    thread's, kept for the next product of that shape (the product is finished before it returns)."""
    if t is None:
        arrays = _scratch.arrays
        if arrays is None:
            arrays = _scratch.arrays = {}
        t = arrays.get(b.shape)
        if t is None:
            if len(arrays) > 8:
                arrays.clear()
            t = arrays[b.shape] = np.empty(b.shape, np.float32)
    w = b.T   # (row-major: b's rows are its columns)
    transpose(w.reshape(-1), 0, w.shape[1], t.reshape(-1), 0, t.shape[1], w.shape[0], w.shape[1])
    return t


def matmul(a, b, out=None):
    """``a @ b`` for float32 matrices or stacks of them, into ``out`` (C-contiguous, of the result's
    shape and dtype): with the kernels where :func:`takes` says so, else ``np.matmul``. On several
    threads (``numba.get_num_threads()``) a product of ``_SPLIT`` multiply-adds or more is split
    across the pool's workers; the values are the same bit for bit on any number of threads."""
    if out is not None and not (out.flags.c_contiguous and out.dtype == np.float32):
        return np.matmul(a, b, out=out)
    if not takes(a, b):
        return _padded(a, b, out) if _any2d(a, b) else np.matmul(a, b, out=out)
    k = a.shape[-1]
    n = b.shape[-1]
    if out is None:
        out = np.empty(a.shape[:-1] + (n,), np.float32)
    if a.ndim == 2 and not b.flags.c_contiguous and _copies_wt(a.shape[0], k, n):
        b = _transposed(b)   # (W^T copied once, then the A B tiles)
    now, _, per, whole, args = _job(a, b, out.reshape(-1))
    _run(now, per, whole, args, (a.size // k) * n * k)
    return out


def _run(now, per, whole, args, macs):
    """``now(ctl, per, *args)`` on the pool's workers where the threads are several, the product of
    ``macs`` multiply-adds large enough and no other thread holds the pool; else in one part here."""
    threads = numba.get_num_threads()
    if not (threads > 1 and macs >= _SPLIT and pool(threads).run(now, per, *args)):
        now(solo(), whole, *args)


def matmul_sgd(a, b, out, p, update):
    """``out = a @ b`` (:func:`matmul`), then the SGD step ``update(p, out)`` (``_patterns._sgd``'s
    ``sgd_update``: ``p -= coef * out`` in ``p``'s own array): as the product's parts finish, each
    updates its rows of ``p`` on the core that computed them, while they are in its cache (on two
    cores, W1's first layer: a separate update read rows the other core wrote, 107 against 17 us on
    one thread). The same bits as the two calls. Returns ``(out, update's value)``.

    A product this thread began in the background (:func:`post`) goes on unless it may read ``p``'s
    memory (a view of the parameter): it is finished first (the replay's wait before a call with
    effects, made precise)."""
    mine = _posted.pool
    if mine is not None and any(x.__class__ is np.ndarray and np.may_share_memory(p, x) for x in mine.pending[1]):
        wait()
    coef = getattr(update, "coef", None)
    if (coef is not None and p.__class__ is np.ndarray and out is not None and p.dtype == np.float32
            and a.ndim == 2 and out.flags.c_contiguous and out.dtype == np.float32 and p.shape == out.shape
            and p.flags.c_contiguous and p.flags.writeable and takes(a, b)
            and not (np.may_share_memory(p, a) or np.may_share_memory(p, b) or np.may_share_memory(p, out))):
        if _with_rows_op(_nn_sgd, a, b, out, p.reshape(-1), np.array([coef], np.float32)):
            return out, p
    out = matmul(a, b, out)
    return out, update(p, out)


def _with_rows_op(job, a, b, out, *arrays):
    """``a @ b`` into ``out`` by ``job`` (``_pool._nn_sgd``, ``_nn_bias_relu``: the A B tiles' parts, each
    then applying an operation to the rows it computed, on ``arrays``, which take the place of
    ``rows_nn``'s ``add``), where the product takes the A B tiles; False, having run nothing, elsewhere."""
    now, _, per, whole, args = _job(a, b, out.reshape(-1))
    if now is not _nn:
        return False
    _run(job, per, whole, args[:-1] + arrays, a.shape[0] * b.shape[1] * a.shape[1])
    return True


def matmul_bias_relu(a, b, out, bias, bias_relu):
    """``out = a @ b`` (:func:`matmul`), then ``bias_relu(out, bias)`` (``_patterns._bias_relu``'s: ``z = out +
    bias``, ``h = max(z, 0)`` into its own arrays): as the product's parts finish, each applies it to its
    rows on the core that computed them, while they are in its cache. The same bits as the two calls.
    Returns ``(z, h)``."""
    outs = getattr(bias_relu, "outs", None)
    if (outs is not None and out is not None and bias.__class__ is np.ndarray and bias.dtype == np.float32
            and bias.shape == (b.shape[-1],) and bias.flags.c_contiguous and bias_relu.dtype == np.float32
            and a.ndim == 2 and out.shape == bias_relu.shape and out.flags.c_contiguous and out.dtype == np.float32
            and takes(a, b)):
        z, h = outs
        if _with_rows_op(_nn_bias_relu, a, b, out, bias, z.reshape(-1), h.reshape(-1)):
            return z, h
    return bias_relu(matmul(a, b, out), bias)


# OpenBLAS runs a product of at most this many multiply-adds on the calling thread (65536 times its
# GEMM_MULTITHREAD_THRESHOLD, 4): smaller ones stay NumPy's (and a small program's values eager's).
_BLAS_ONE_THREAD = 1 << 18


class _Posted(threading.local):
    pool = None      # the pool holding this thread's background product, until wait()


_posted = _Posted()


def post(a, b, out):
    """``matmul(a, b, out)`` begun in the pool's background slot where the pool's workers can take it
    (a product :func:`matmul` would split, ``out`` given): returns ``out`` at once, whose values are
    there after :func:`wait`. Until then ``a``, ``b`` and ``out`` must not be written or read, and the
    calling thread keeps the pool (its other products still split). Elsewhere the product runs now."""
    if out is None or not (out.flags.c_contiguous and out.dtype == np.float32) or not takes(a, b):
        return matmul(a, b, out)
    k = a.shape[-1]
    threads = numba.get_num_threads()
    if threads < 2 or (a.size // k) * b.shape[-1] * k < _SPLIT:
        return matmul(a, b, out)
    if a.ndim == 2 and not b.flags.c_contiguous and _copies_wt(a.shape[0], k, b.shape[-1]):
        # (W^T copied as matmul copies it, so that the values are the same on any number of threads;
        # into an array of this job's own, which it keeps until wait(): the thread's scratch may be
        # overwritten by a product before then)
        b = _transposed(b, np.empty(b.shape, np.float32))
    p = pool(threads)
    _, post_job, per, _, args = _job(a, b, out.reshape(-1))
    if not p.background(post_job, per, *args):
        return matmul(a, b, out)
    _posted.pool = p
    return out


def wait():
    """Finish the product this thread began with :func:`post`, if any."""
    p = _posted.pool
    if p is not None:
        _posted.pool = None
        p.settle()


def _any2d(a, b):
    """Whether :func:`_padded` takes ``a @ b``: float32 matrices with at least one term, large enough
    that BLAS would split the product across its threads."""
    return (AVX512 and a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.ndim == 2 and b.ndim == 2
            and a.dtype == np.float32 and b.dtype == np.float32 and a.shape[1] == b.shape[0] >= 1
            and a.size * b.shape[1] > _BLAS_ONE_THREAD)


def _padded(a, b, out):
    """``a @ b`` for float32 matrices that :func:`takes` leaves (a few columns, few terms, a strided
    operand: a classifier's last layer and its gradients) by the same kernels: ``b`` copied into a
    row-major array of a multiple of 16 columns (zeros past ``n``), ``a`` into a row-major one unless it
    is row- or column-major, the result through a padded array unless ``out`` can take it. On the
    calling thread. Keeps every product of a step off BLAS's threads, whose spinning waits would hold
    the core the pool's workers use."""
    m, k = a.shape
    n = b.shape[1]
    n16 = -(-n // 16) * 16
    if out is None:
        out = np.empty((m, n), np.float32)
    if m == 0 or n == 0:
        return out
    if a.flags.c_contiguous:
        fa, ars, aks = a.reshape(-1), k, 1
    elif a.T.flags.c_contiguous:
        fa, ars, aks = a.T.reshape(-1), 1, m
    else:
        fa, ars, aks = np.ascontiguousarray(a).reshape(-1), k, 1
    if n16 == n and b.flags.c_contiguous:
        fb = b.reshape(-1)
    else:
        bb = np.zeros((k, n16), np.float32)
        bb[:, :n] = b
        fb = bb.reshape(-1)
    c = out if n16 == n else np.empty((m, n16), np.float32)
    rows_nn(fa, ars, aks, fb, n16, c.reshape(-1), n16, 0, m, n16, k, _KBLOCK)
    if c is not out:
        out[...] = c[:, :n]
    return out


def linear(x, weight, bias):
    """``nn.linear``'s value (``x @ weight.T + bias`` over the last axis of ``x``) with the kernels'
    ``A W^T`` product where :func:`takes` says so, the bias added after it as eagerly; else the
    primitive's own function."""
    shape = x.shape
    x2 = x.reshape(-1, shape[-1]) if x.__class__ is np.ndarray and x.ndim > 2 else x
    if not (weight.__class__ is np.ndarray and (takes(x2, weight.T) or _any2d(x2, weight.T))
            and (bias is None or (bias.__class__ is np.ndarray and bias.dtype == np.float32))):
        from .._rules.nn import _linear_impl

        return _linear_impl(x, weight, bias)
    out = matmul(x2, weight.T)
    if bias is not None:
        np.add(out, bias, out=out)
    return out.reshape(shape[:-1] + (weight.shape[0],)) if len(shape) > 2 else out
