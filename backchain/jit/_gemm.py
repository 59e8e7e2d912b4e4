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
Rows of ``out`` are split across threads (as many as ``numba.get_num_threads()``, for products
large enough to pay for it: :class:`_Workers`). Other products (other dtypes or layouts, small
ones) go to ``np.matmul`` (:func:`takes`).

Values: each output is a sum over ``k`` in another order than BLAS's, with fused multiply-adds, so
results differ from ``np.matmul``'s in the last bits (as two BLAS libraries' do): relative 1e-6 in
float32. The kernels are used where the CPU has AVX-512 (:data:`AVX512`), and only by a replay that
fuses (``bc.jit(fuse="auto")``, the default); ``fuse="exact"`` and ``fuse=None`` keep NumPy's
products, bit for bit.

``F32x16`` is an LLVM ``<16 x float>`` value in a register, with the intrinsics a tile needs
(load, store, broadcast, fused multiply-add); Numba has no vector type of its own.
"""
import os
import queue
import threading

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

__all__ = ["AVX512", "matmul", "takes"]


def _avx512():
    try:
        import llvmlite.binding as ll

        return bool(ll.get_host_cpu_features().get("avx512f", False))
    except Exception:   # (a platform llvmlite cannot query: NumPy's products)
        return False


#: Whether the CPU has 16-lane float32 fused multiply-adds (AVX-512F): the kernels are used then.
AVX512 = _avx512()

_LANES = 16
_VT = ir.VectorType(ir.FloatType(), _LANES)


class F32x16(types.Type):
    """Sixteen float32 lanes in one register."""

    def __init__(self):
        super().__init__(name="F32x16")


f32x16 = F32x16()


@register_model(F32x16)
class _F32x16Model(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VT)


def _address(context, builder, aryty, ary, idx):
    a = context.make_array(aryty)(context, builder, ary)
    return builder.bitcast(builder.gep(a.data, [idx]), _VT.as_pointer())


@intrinsic
def vload(typingctx, arr, idx):
    """``arr[idx:idx + 16]`` (no bounds check)."""
    def codegen(context, builder, sig, args):
        return builder.load(_address(context, builder, sig.args[0], args[0], args[1]), align=4)
    return f32x16(arr, idx), codegen


@intrinsic
def vstore(typingctx, arr, idx, v):
    """``arr[idx:idx + 16] = v`` (no bounds check)."""
    def codegen(context, builder, sig, args):
        builder.store(args[2], _address(context, builder, sig.args[0], args[0], args[1]), align=4)
        return context.get_dummy_value()
    return types.none(arr, idx, v), codegen


@intrinsic
def vbroadcast(typingctx, x):
    """Sixteen copies of the float32 ``x``."""
    def codegen(context, builder, sig, args):
        v = builder.insert_element(ir.Constant(_VT, ir.Undefined), args[0], ir.Constant(ir.IntType(32), 0))
        zeros = ir.Constant(ir.VectorType(ir.IntType(32), _LANES), [0] * _LANES)
        return builder.shuffle_vector(v, ir.Constant(_VT, ir.Undefined), zeros)
    return f32x16(types.float32), codegen


@intrinsic
def vzero(typingctx):
    def codegen(context, builder, sig, args):
        return ir.Constant(_VT, [0.0] * _LANES)
    return f32x16(), codegen


@intrinsic
def vfma(typingctx, a, b, c):
    """``a * b + c`` lane by lane, rounded once."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_VT, [_VT, _VT, _VT]), "llvm.fma.v16f32")
        return builder.call(fn, args)
    return f32x16(a, b, c), codegen


@intrinsic
def vsum(typingctx, v):
    """The sum of the sixteen lanes (a tree of additions: not in lane order)."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.FloatType(), [ir.FloatType(), _VT]),
                                            "llvm.vector.reduce.fadd.v16f32")
        return builder.call(fn, [ir.Constant(ir.FloatType(), -0.0), args[0]], fastmath=("reassoc",))
    return types.float32(v), codegen


_KBLOCK = 512   # terms per pass, at most: a tile's (k, 32) panel of b stays in the second-level cache


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _rows(a, ars, aks, b, ldb, c, ldc, r0, r1, n, k):
    """Rows ``r0:r1`` of ``C = A B``: ``A[r, q]`` at ``a[r * ars + q * aks]``, ``B[q, j]`` at
    ``b[q * ldb + j]``, ``C[r, j]`` at ``c[r * ldc + j]`` (flat float32 arrays); ``n`` a multiple
    of 16. ``k`` in passes of at most ``_KBLOCK`` terms, a pass after the first adding to ``C``."""
    m8 = r0 + (r1 - r0) // 8 * 8
    n32 = n - n % 32
    passes = max(1, (k + _KBLOCK - 1) // _KBLOCK)
    kb = (k + passes - 1) // passes
    for k0 in range(0, k, kb):
        k1 = min(k0 + kb, k)
        for r in range(r0, m8, 8):
            a0 = r * ars
            for j in range(0, n32, 32):
                o = r * ldc + j
                if k0 == 0:
                    c00 = vzero(); c01 = vzero(); c10 = vzero(); c11 = vzero()  # noqa: E702
                    c20 = vzero(); c21 = vzero(); c30 = vzero(); c31 = vzero()  # noqa: E702
                    c40 = vzero(); c41 = vzero(); c50 = vzero(); c51 = vzero()  # noqa: E702
                    c60 = vzero(); c61 = vzero(); c70 = vzero(); c71 = vzero()  # noqa: E702
                else:
                    c00 = vload(c, o); c01 = vload(c, o + 16)  # noqa: E702
                    c10 = vload(c, o + ldc); c11 = vload(c, o + ldc + 16)  # noqa: E702
                    c20 = vload(c, o + 2 * ldc); c21 = vload(c, o + 2 * ldc + 16)  # noqa: E702
                    c30 = vload(c, o + 3 * ldc); c31 = vload(c, o + 3 * ldc + 16)  # noqa: E702
                    c40 = vload(c, o + 4 * ldc); c41 = vload(c, o + 4 * ldc + 16)  # noqa: E702
                    c50 = vload(c, o + 5 * ldc); c51 = vload(c, o + 5 * ldc + 16)  # noqa: E702
                    c60 = vload(c, o + 6 * ldc); c61 = vload(c, o + 6 * ldc + 16)  # noqa: E702
                    c70 = vload(c, o + 7 * ldc); c71 = vload(c, o + 7 * ldc + 16)  # noqa: E702
                p = k0 * ldb + j
                for q in range(k0, k1):
                    b0 = vload(b, p)
                    b1 = vload(b, p + 16)
                    p += ldb
                    aq = a0 + q * aks
                    x = vbroadcast(a[aq])
                    c00 = vfma(x, b0, c00)
                    c01 = vfma(x, b1, c01)
                    x = vbroadcast(a[aq + ars])
                    c10 = vfma(x, b0, c10)
                    c11 = vfma(x, b1, c11)
                    x = vbroadcast(a[aq + 2 * ars])
                    c20 = vfma(x, b0, c20)
                    c21 = vfma(x, b1, c21)
                    x = vbroadcast(a[aq + 3 * ars])
                    c30 = vfma(x, b0, c30)
                    c31 = vfma(x, b1, c31)
                    x = vbroadcast(a[aq + 4 * ars])
                    c40 = vfma(x, b0, c40)
                    c41 = vfma(x, b1, c41)
                    x = vbroadcast(a[aq + 5 * ars])
                    c50 = vfma(x, b0, c50)
                    c51 = vfma(x, b1, c51)
                    x = vbroadcast(a[aq + 6 * ars])
                    c60 = vfma(x, b0, c60)
                    c61 = vfma(x, b1, c61)
                    x = vbroadcast(a[aq + 7 * ars])
                    c70 = vfma(x, b0, c70)
                    c71 = vfma(x, b1, c71)
                vstore(c, o, c00); vstore(c, o + 16, c01)  # noqa: E702
                vstore(c, o + ldc, c10); vstore(c, o + ldc + 16, c11)  # noqa: E702
                vstore(c, o + 2 * ldc, c20); vstore(c, o + 2 * ldc + 16, c21)  # noqa: E702
                vstore(c, o + 3 * ldc, c30); vstore(c, o + 3 * ldc + 16, c31)  # noqa: E702
                vstore(c, o + 4 * ldc, c40); vstore(c, o + 4 * ldc + 16, c41)  # noqa: E702
                vstore(c, o + 5 * ldc, c50); vstore(c, o + 5 * ldc + 16, c51)  # noqa: E702
                vstore(c, o + 6 * ldc, c60); vstore(c, o + 6 * ldc + 16, c61)  # noqa: E702
                vstore(c, o + 7 * ldc, c70); vstore(c, o + 7 * ldc + 16, c71)  # noqa: E702
        # what the tiles left: rows m8.. for every column, and the columns n32.. of the tiled rows
        for r in range(r0, r1):
            for j in range(0 if r >= m8 else n32, n, 16):
                o = r * ldc + j
                acc = vzero() if k0 == 0 else vload(c, o)
                p = k0 * ldb + j
                aq = r * ars + k0 * aks
                for q in range(k0, k1):
                    acc = vfma(vbroadcast(a[aq]), vload(b, p), acc)
                    p += ldb
                    aq += aks
                vstore(c, o, acc)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _rows_nt(a, lda, w, ldw, c, ldc, r0, r1, n, k):
    """Rows ``r0:r1`` of ``C = A W^T`` for row-major ``A`` (m, k) and ``W`` (n, k): each output a dot
    product along ``k`` (a multiple of 16), 16 partial sums per lane, then the lanes summed. Tiles of
    4 by 4 outputs: sixteen accumulators, eight loads per sixteen fused multiply-adds."""
    m4 = r0 + (r1 - r0) // 4 * 4
    n4 = n - n % 4
    for r in range(r0, m4, 4):
        for s in range(0, n4, 4):
            z00 = vzero(); z01 = vzero(); z02 = vzero(); z03 = vzero()  # noqa: E702
            z10 = vzero(); z11 = vzero(); z12 = vzero(); z13 = vzero()  # noqa: E702
            z20 = vzero(); z21 = vzero(); z22 = vzero(); z23 = vzero()  # noqa: E702
            z30 = vzero(); z31 = vzero(); z32 = vzero(); z33 = vzero()  # noqa: E702
            pa = r * lda
            pw = s * ldw
            for q in range(0, k, 16):
                a0 = vload(a, pa + q); a1 = vload(a, pa + lda + q)  # noqa: E702
                a2 = vload(a, pa + 2 * lda + q); a3 = vload(a, pa + 3 * lda + q)  # noqa: E702
                w0 = vload(w, pw + q)
                z00 = vfma(a0, w0, z00); z10 = vfma(a1, w0, z10)  # noqa: E702
                z20 = vfma(a2, w0, z20); z30 = vfma(a3, w0, z30)  # noqa: E702
                w1 = vload(w, pw + ldw + q)
                z01 = vfma(a0, w1, z01); z11 = vfma(a1, w1, z11)  # noqa: E702
                z21 = vfma(a2, w1, z21); z31 = vfma(a3, w1, z31)  # noqa: E702
                w2 = vload(w, pw + 2 * ldw + q)
                z02 = vfma(a0, w2, z02); z12 = vfma(a1, w2, z12)  # noqa: E702
                z22 = vfma(a2, w2, z22); z32 = vfma(a3, w2, z32)  # noqa: E702
                w3 = vload(w, pw + 3 * ldw + q)
                z03 = vfma(a0, w3, z03); z13 = vfma(a1, w3, z13)  # noqa: E702
                z23 = vfma(a2, w3, z23); z33 = vfma(a3, w3, z33)  # noqa: E702
            o = r * ldc + s
            c[o] = vsum(z00); c[o + 1] = vsum(z01); c[o + 2] = vsum(z02); c[o + 3] = vsum(z03)  # noqa: E702
            o += ldc
            c[o] = vsum(z10); c[o + 1] = vsum(z11); c[o + 2] = vsum(z12); c[o + 3] = vsum(z13)  # noqa: E702
            o += ldc
            c[o] = vsum(z20); c[o + 1] = vsum(z21); c[o + 2] = vsum(z22); c[o + 3] = vsum(z23)  # noqa: E702
            o += ldc
            c[o] = vsum(z30); c[o + 1] = vsum(z31); c[o + 2] = vsum(z32); c[o + 3] = vsum(z33)  # noqa: E702
    for r in range(r0, r1):   # what the tiles left
        for s in range(0 if r >= m4 else n4, n):
            z = vzero()
            for q in range(0, k, 16):
                z = vfma(vload(a, r * lda + q), vload(w, s * ldw + q), z)
            c[r * ldc + s] = vsum(z)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _stack(a, a_bs, ars, aks, b, b_bs, ldb, nt, c, m, n, k, i0, i1):
    """Products ``i0:i1`` of a stack: ``C_i = A_i B_i`` (:func:`_rows`; ``nt``: ``A_i W_i^T``, with
    :func:`_rows_nt`), operand ``i`` at offsets ``i * a_bs``, ``i * b_bs`` and ``i * m * n``."""
    for i in range(i0, i1):
        if nt:
            _rows_nt(a[i * a_bs:], ars, b[i * b_bs:], ldb, c[i * m * n:], n, 0, m, n, k)
        else:
            _rows(a[i * a_bs:], ars, aks, b[i * b_bs:], ldb, c[i * m * n:], n, 0, m, n, k)


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


def takes(a, b):
    """Whether :func:`matmul` computes ``a @ b`` with the kernels (else it calls ``np.matmul``): float32
    matrices, or stacks of them of one batch shape, with at least 8 rows, 32 columns and 16 terms
    and 2^16 multiply-adds in all, in one of the layouts of :func:`_layout`: ``A B`` (``a`` row- or
    column-major, ``b`` row-major with a multiple of 16 columns) or ``A W^T`` (``a`` row-major,
    ``b`` the transpose of a row-major ``W``, a multiple of 16 terms)."""
    if not (AVX512 and a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.ndim >= 2
            and a.ndim == b.ndim and a.dtype == np.float32 and b.dtype == np.float32
            and a.shape[:-2] == b.shape[:-2]):
        return False
    if a.size * b.shape[-1] < 1 << 16:
        return False
    return _layout(a, b) is not None


class _Workers:
    """Threads that run parts of a product beside the calling thread (the kernels release the GIL).

    Python threads rather than Numba's ``parallel=True``: its OpenMP layer ends a process forked after
    it ran (``multiprocessing``'s workers), and its workqueue layer one that calls it from two threads.
    Each part carries its own lock, released when it is done, so that calls from several threads never
    take each other's results. A forked child starts new threads when it first needs them.
    """

    def __init__(self):
        self.queues = []
        self.lock = threading.Lock()

    def _serve(self, q):
        while True:
            fn, args, done, errors = q.get()
            try:
                fn(*args)
            except BaseException as e:   # (re-raised in the calling thread)
                errors.append(e)
            finally:
                done.release()

    def run(self, fn, parts):
        """``fn(*args)`` for each ``args`` of ``parts``: the first here, the others on the threads."""
        extra = len(parts) - 1
        if len(self.queues) < extra:
            with self.lock:
                while len(self.queues) < extra:
                    q = queue.SimpleQueue()
                    threading.Thread(target=self._serve, args=(q,), daemon=True, name="bc.jit products").start()
                    self.queues.append(q)
        errors, waits = [], []
        for q, args in zip(self.queues, parts[1:]):
            done = threading.Lock()
            done.acquire()
            q.put((fn, args, done, errors))
            waits.append(done)
        try:
            fn(*parts[0])
        finally:
            for done in waits:
                done.acquire()
        if errors:
            raise errors[0]

    def reset(self):
        self.queues = []
        self.lock = threading.Lock()


_workers = _Workers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_workers.reset)

# A product split across threads has at least this many multiply-adds per thread (about 20 µs of
# work): handing a part to a thread and waiting for it costs about 10 µs.
_SPLIT = 1 << 21


def _threads(m, n, k):
    t = min(numba.get_num_threads(), (m * n * k) // _SPLIT)
    return max(1, t)


def _blocks(m, tile, parts):
    """``parts`` row ranges of ``m`` rows, in whole tiles of ``tile`` rows."""
    tiles = (m + tile - 1) // tile
    per = (tiles + parts - 1) // parts
    return [(min(t * per * tile, m), min((t + 1) * per * tile, m)) for t in range(parts)
            if t * per * tile < m]


def matmul(a, b, out=None):
    """``a @ b`` for float32 matrices or stacks of them, into ``out`` (C-contiguous, of the result's
    shape and dtype): with the kernels where :func:`takes` says so, else ``np.matmul``."""
    if not takes(a, b) or (out is not None and not (out.flags.c_contiguous and out.dtype == np.float32)):
        return np.matmul(a, b, out=out)
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if out is None:
        out = np.empty(a.shape[:-1] + (n,), np.float32)
    ars, aks, nt = _layout(a, b)
    c = out.reshape(-1)
    fa = (a if ars == k else a.swapaxes(-1, -2)).reshape(-1)
    fb = (b.swapaxes(-1, -2) if nt else b).reshape(-1)
    ldb = k if nt else n
    if a.ndim > 2:   # a stack: whole matrices per thread
        count = a.size // (m * k)
        parts = min(_threads(count * m, n, k), count)
        if parts == 1:
            _stack(fa, m * k, ars, aks, fb, k * n, ldb, nt, c, m, n, k, 0, count)
        else:
            _workers.run(_stack, [(fa, m * k, ars, aks, fb, k * n, ldb, nt, c, m, n, k, i0, i1)
                                  for i0, i1 in _blocks(count, 1, parts)])
        return out
    parts = _threads(m, n, k)
    if nt:   # A W^T: dot products of rows
        if parts == 1:
            _rows_nt(fa, k, fb, k, c, n, 0, m, n, k)
        else:
            _workers.run(_rows_nt, [(fa, k, fb, k, c, n, r0, r1, n, k) for r0, r1 in _blocks(m, 4, parts)])
        return out
    if parts == 1:
        _rows(fa, ars, aks, fb, n, c, n, 0, m, n, k)
    else:
        _workers.run(_rows, [(fa, ars, aks, fb, n, c, n, r0, r1, n, k) for r0, r1 in _blocks(m, 8, parts)])
    return out


def linear(x, weight, bias):
    """``nn.linear``'s value (``x @ weight.T + bias`` over the last axis of ``x``) with the kernels'
    ``A W^T`` product where :func:`takes` says so, the bias added after it as eagerly; else the
    primitive's own function."""
    shape = x.shape
    x2 = x.reshape(-1, shape[-1]) if x.__class__ is np.ndarray and x.ndim > 2 else x
    if not (weight.__class__ is np.ndarray and takes(x2, weight.T)
            and (bias is None or (bias.__class__ is np.ndarray and bias.dtype == np.float32))):
        from .._rules.nn import _linear_impl

        return _linear_impl(x, weight, bias)
    out = matmul(x2, weight.T)
    if bias is not None:
        np.add(out, bias, out=out)
    return out.reshape(shape[:-1] + (weight.shape[0],)) if len(shape) > 2 else out
