"""float32 matrix products written with 16-lane vectors, for the LSTM kernels (``_rnn_kernels.py``).

Why: the BLAS that NumPy wheels bundle (OpenBLAS, ``DYNAMIC_ARCH``) may pick kernels for an older
instruction set than the CPU has. On the machine measured (AMD EPYC, Zen 5, AVX-512) it runs its
Haswell (AVX2) kernels: about 110 GFLOP/s for the (512, 160) x (160, 32) products of an LSTM step,
where the same product with 16-lane FMAs below runs at about 220. A product of these shapes is
small enough that a plain register-tiled loop reaches the machine's peak: no packing, no blocking
for caches.

Numba has no vector type of its own; ``F32x16`` is one, an LLVM ``<16 x float>`` kept in a
register, with the intrinsics a tile needs (load, store, broadcast, fused multiply-add, sum of the
lanes). LLVM lowers them for any CPU (two 8-lane halves without AVX-512); the callers use these
products only where the CPU has AVX-512 (:data:`AVX512`), BLAS elsewhere.

Each output is a sum over ``k`` in another order than BLAS's (and than another BLAS's): values
differ from ``np.matmul``'s in the last bits, as two BLAS libraries' do.

Arrays are passed flat (C-contiguous 1-d views) with offsets and leading dimensions, as BLAS takes
them, so that a step's strided operand is read in place.
"""
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

__all__ = ["AVX512", "gemm_nn", "gemm_nt"]


def _avx512():
    try:
        import llvmlite.binding as ll

        return bool(ll.get_host_cpu_features().get("avx512f", False))
    except Exception:   # (a platform llvmlite cannot query: take BLAS)
        return False


#: Whether the CPU has 16-lane float32 FMAs (AVX-512F): the products below are then used.
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
    """The sum of the lanes, in lane order (an ordered reduction)."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.FloatType(), [ir.FloatType(), _VT]),
                                            "llvm.vector.reduce.fadd.v16f32")
        return builder.call(fn, [ir.Constant(ir.FloatType(), -0.0), args[0]])
    return types.float32(v), codegen


_NN_KBLOCK = 512   # rows of B per pass of gemm_nn, at most: a (256, 32) panel of B stays in the first-level cache


@numba.njit(cache=True, nogil=True, error_model="numpy")
def gemm_nn(a, ao, lda, b, bo, ldb, c, co, ldc, m, n, k, kblock=_NN_KBLOCK):
    """``C = A B`` for ``A`` (m, k), ``B`` (k, n), ``C`` (m, n), row-major with leading dimensions
    ``lda, ldb, ldc`` at offsets ``ao, bo, co`` of the flat float32 arrays; ``n`` a multiple of 16.
    Tiles of 8 rows by 32 columns (sixteen accumulators: enough FMAs in flight to hide their latency;
    an LSTM's row counts 4H and H are multiples of 8), then the rows and columns left over; ``k`` in
    passes of at most ``kblock`` (a pass after the first adds to ``C``), so that the panel of ``B``
    every row tile reads stays in the first-level cache."""
    m8 = m - m % 8
    n32 = n - n % 32
    passes = max(1, (k + kblock - 1) // kblock)
    kb = (k + passes - 1) // passes
    for k0 in range(0, max(k, 1), max(kb, 1)):
        k1 = min(k0 + kb, k)
        for r in range(0, m8, 8):
            for j in range(0, n32, 32):
                o = co + r * ldc + j
                if k0 == 0:
                    c00 = vzero()
                    c01 = vzero()
                    c10 = vzero()
                    c11 = vzero()
                    c20 = vzero()
                    c21 = vzero()
                    c30 = vzero()
                    c31 = vzero()
                    c40 = vzero()
                    c41 = vzero()
                    c50 = vzero()
                    c51 = vzero()
                    c60 = vzero()
                    c61 = vzero()
                    c70 = vzero()
                    c71 = vzero()
                else:
                    c00 = vload(c, o)
                    c01 = vload(c, o + 16)
                    c10 = vload(c, o + 1 * ldc)
                    c11 = vload(c, o + 1 * ldc + 16)
                    c20 = vload(c, o + 2 * ldc)
                    c21 = vload(c, o + 2 * ldc + 16)
                    c30 = vload(c, o + 3 * ldc)
                    c31 = vload(c, o + 3 * ldc + 16)
                    c40 = vload(c, o + 4 * ldc)
                    c41 = vload(c, o + 4 * ldc + 16)
                    c50 = vload(c, o + 5 * ldc)
                    c51 = vload(c, o + 5 * ldc + 16)
                    c60 = vload(c, o + 6 * ldc)
                    c61 = vload(c, o + 6 * ldc + 16)
                    c70 = vload(c, o + 7 * ldc)
                    c71 = vload(c, o + 7 * ldc + 16)
                p = bo + k0 * ldb + j
                a0 = ao + r * lda
                for q in range(k0, k1):
                    b0 = vload(b, p)
                    b1 = vload(b, p + 16)
                    p += ldb
                    x = vbroadcast(a[a0 + q])
                    c00 = vfma(x, b0, c00)
                    c01 = vfma(x, b1, c01)
                    x = vbroadcast(a[a0 + 1 * lda + q])
                    c10 = vfma(x, b0, c10)
                    c11 = vfma(x, b1, c11)
                    x = vbroadcast(a[a0 + 2 * lda + q])
                    c20 = vfma(x, b0, c20)
                    c21 = vfma(x, b1, c21)
                    x = vbroadcast(a[a0 + 3 * lda + q])
                    c30 = vfma(x, b0, c30)
                    c31 = vfma(x, b1, c31)
                    x = vbroadcast(a[a0 + 4 * lda + q])
                    c40 = vfma(x, b0, c40)
                    c41 = vfma(x, b1, c41)
                    x = vbroadcast(a[a0 + 5 * lda + q])
                    c50 = vfma(x, b0, c50)
                    c51 = vfma(x, b1, c51)
                    x = vbroadcast(a[a0 + 6 * lda + q])
                    c60 = vfma(x, b0, c60)
                    c61 = vfma(x, b1, c61)
                    x = vbroadcast(a[a0 + 7 * lda + q])
                    c70 = vfma(x, b0, c70)
                    c71 = vfma(x, b1, c71)
                vstore(c, o, c00)
                vstore(c, o + 16, c01)
                vstore(c, o + 1 * ldc, c10)
                vstore(c, o + 1 * ldc + 16, c11)
                vstore(c, o + 2 * ldc, c20)
                vstore(c, o + 2 * ldc + 16, c21)
                vstore(c, o + 3 * ldc, c30)
                vstore(c, o + 3 * ldc + 16, c31)
                vstore(c, o + 4 * ldc, c40)
                vstore(c, o + 4 * ldc + 16, c41)
                vstore(c, o + 5 * ldc, c50)
                vstore(c, o + 5 * ldc + 16, c51)
                vstore(c, o + 6 * ldc, c60)
                vstore(c, o + 6 * ldc + 16, c61)
                vstore(c, o + 7 * ldc, c70)
                vstore(c, o + 7 * ldc + 16, c71)
        # what the tiles left: rows m8.. for every column, and columns n32.. for the tiled rows
        for r in range(m):
            for j in range(0 if r >= m8 else n32, n, 16):
                o = co + r * ldc + j
                acc = vzero() if k0 == 0 else vload(c, o)
                p = bo + k0 * ldb + j
                ar = ao + r * lda
                for q in range(k0, k1):
                    acc = vfma(vbroadcast(a[ar + q]), vload(b, p), acc)
                    p += ldb
                vstore(c, o, acc)


_KBLOCK = 512   # rows of B per pass of gemm_nn, at most: a (256, 32) panel of B stays in the first-level cache


@numba.njit(cache=True, nogil=True, error_model="numpy")
def gemm_nn(a, ao, lda, b, bo, ldb, c, co, ldc, m, n, k, kblock=_NN_KBLOCK):
    """``C = A B`` for ``A`` (m, k), ``B`` (k, n), ``C`` (m, n), row-major with leading dimensions
    ``lda, ldb, ldc`` at offsets ``ao, bo, co`` of the flat float32 arrays; ``n`` a multiple of 16.
    Tiles of 6 rows by 32 columns (twelve accumulators), then the rows and columns left over; ``k``
    in passes of at most ``kblock`` (a pass after the first adds to ``C``), so that the panel of
    ``B`` every row tile reads stays in the first-level cache."""
    m6 = m - m % 6
    n32 = n - n % 32
    passes = max(1, (k + kblock - 1) // kblock)
    kb = (k + passes - 1) // passes
    for k0 in range(0, max(k, 1), max(kb, 1)):
        k1 = min(k0 + kb, k)
        for r in range(0, m6, 6):
            for j in range(0, n32, 32):
                o = co + r * ldc + j
                if k0 == 0:
                    c00 = vzero(); c01 = vzero(); c10 = vzero(); c11 = vzero(); c20 = vzero(); c21 = vzero()  # noqa
                    c30 = vzero(); c31 = vzero(); c40 = vzero(); c41 = vzero(); c50 = vzero(); c51 = vzero()  # noqa
                else:
                    c00 = vload(c, o); c01 = vload(c, o + 16)  # noqa: E702
                    c10 = vload(c, o + ldc); c11 = vload(c, o + ldc + 16)  # noqa: E702
                    c20 = vload(c, o + 2 * ldc); c21 = vload(c, o + 2 * ldc + 16)  # noqa: E702
                    c30 = vload(c, o + 3 * ldc); c31 = vload(c, o + 3 * ldc + 16)  # noqa: E702
                    c40 = vload(c, o + 4 * ldc); c41 = vload(c, o + 4 * ldc + 16)  # noqa: E702
                    c50 = vload(c, o + 5 * ldc); c51 = vload(c, o + 5 * ldc + 16)  # noqa: E702
                p = bo + k0 * ldb + j
                a0 = ao + r * lda
                for q in range(k0, k1):
                    b0 = vload(b, p)
                    b1 = vload(b, p + 16)
                    p += ldb
                    x = vbroadcast(a[a0 + q])
                    c00 = vfma(x, b0, c00)
                    c01 = vfma(x, b1, c01)
                    x = vbroadcast(a[a0 + lda + q])
                    c10 = vfma(x, b0, c10)
                    c11 = vfma(x, b1, c11)
                    x = vbroadcast(a[a0 + 2 * lda + q])
                    c20 = vfma(x, b0, c20)
                    c21 = vfma(x, b1, c21)
                    x = vbroadcast(a[a0 + 3 * lda + q])
                    c30 = vfma(x, b0, c30)
                    c31 = vfma(x, b1, c31)
                    x = vbroadcast(a[a0 + 4 * lda + q])
                    c40 = vfma(x, b0, c40)
                    c41 = vfma(x, b1, c41)
                    x = vbroadcast(a[a0 + 5 * lda + q])
                    c50 = vfma(x, b0, c50)
                    c51 = vfma(x, b1, c51)
                vstore(c, o, c00)
                vstore(c, o + 16, c01)
                vstore(c, o + ldc, c10)
                vstore(c, o + ldc + 16, c11)
                vstore(c, o + 2 * ldc, c20)
                vstore(c, o + 2 * ldc + 16, c21)
                vstore(c, o + 3 * ldc, c30)
                vstore(c, o + 3 * ldc + 16, c31)
                vstore(c, o + 4 * ldc, c40)
                vstore(c, o + 4 * ldc + 16, c41)
                vstore(c, o + 5 * ldc, c50)
                vstore(c, o + 5 * ldc + 16, c51)
        # what the tiles left: rows m6.. for every column, and columns n32.. for the tiled rows
        for r in range(m):
            for j in range(0 if r >= m6 else n32, n, 16):
                o = co + r * ldc + j
                acc = vzero() if k0 == 0 else vload(c, o)
                p = bo + k0 * ldb + j
                ar = ao + r * lda
                for q in range(k0, k1):
                    acc = vfma(vbroadcast(a[ar + q]), vload(b, p), acc)
                    p += ldb
                vstore(c, o, acc)


_KBLOCK = 1100   # terms of a dot product per pass, at most: 4 + 4 rows of them stay in the first-level cache


@numba.njit(cache=True, nogil=True, error_model="numpy")
def gemm_nt(a, ao, lda, b, bo, ldb, c, co, ldc, m, n, k):
    """``C = A B^T`` for ``A`` (m, k), ``B`` (n, k), ``C`` (m, n), row-major as in :func:`gemm_nn`:
    each output a dot product along ``k``, 16 partial sums per lane, then the lanes summed. Tiles of
    4 by 4 outputs (sixteen accumulators, eight loads per sixteen FMAs), then the rest one by one;
    ``k`` in passes of ``_KBLOCK`` terms (each pass's sums added to ``C``), so that a tile's rows are
    read from the first-level cache."""
    k16 = k - k % 16
    m4 = m - m % 4
    n4 = n - n % 4
    for r in range(m):
        for s in range(n):
            t = np.float32(0)
            for q in range(k16, k):   # the k % 16 last terms
                t += a[ao + r * lda + q] * b[bo + s * ldb + q]
            c[co + r * ldc + s] = t
    passes = max(1, (k16 + _KBLOCK - 1) // _KBLOCK)
    kb = max(16, ((k16 + passes - 1) // passes + 15) // 16 * 16)   # passes of equal length, multiples of 16
    for k0 in range(0, k16, kb):
        k1 = min(k0 + kb, k16)
        for r in range(0, m4, 4):
            for s in range(0, n4, 4):
                z00 = vzero(); z01 = vzero(); z02 = vzero(); z03 = vzero()  # noqa: E702
                z10 = vzero(); z11 = vzero(); z12 = vzero(); z13 = vzero()  # noqa: E702
                z20 = vzero(); z21 = vzero(); z22 = vzero(); z23 = vzero()  # noqa: E702
                z30 = vzero(); z31 = vzero(); z32 = vzero(); z33 = vzero()  # noqa: E702
                pa, pb = ao + r * lda, bo + s * ldb
                for q in range(k0, k1, 16):
                    x0 = vload(a, pa + q)
                    x1 = vload(a, pa + lda + q)
                    x2 = vload(a, pa + 2 * lda + q)
                    x3 = vload(a, pa + 3 * lda + q)
                    y = vload(b, pb + q)
                    z00 = vfma(x0, y, z00)
                    z10 = vfma(x1, y, z10)
                    z20 = vfma(x2, y, z20)
                    z30 = vfma(x3, y, z30)
                    y = vload(b, pb + ldb + q)
                    z01 = vfma(x0, y, z01)
                    z11 = vfma(x1, y, z11)
                    z21 = vfma(x2, y, z21)
                    z31 = vfma(x3, y, z31)
                    y = vload(b, pb + 2 * ldb + q)
                    z02 = vfma(x0, y, z02)
                    z12 = vfma(x1, y, z12)
                    z22 = vfma(x2, y, z22)
                    z32 = vfma(x3, y, z32)
                    y = vload(b, pb + 3 * ldb + q)
                    z03 = vfma(x0, y, z03)
                    z13 = vfma(x1, y, z13)
                    z23 = vfma(x2, y, z23)
                    z33 = vfma(x3, y, z33)
                o = co + r * ldc + s
                c[o] += vsum(z00)
                c[o + 1] += vsum(z01)
                c[o + 2] += vsum(z02)
                c[o + 3] += vsum(z03)
                c[o + ldc] += vsum(z10)
                c[o + ldc + 1] += vsum(z11)
                c[o + ldc + 2] += vsum(z12)
                c[o + ldc + 3] += vsum(z13)
                c[o + 2 * ldc] += vsum(z20)
                c[o + 2 * ldc + 1] += vsum(z21)
                c[o + 2 * ldc + 2] += vsum(z22)
                c[o + 2 * ldc + 3] += vsum(z23)
                c[o + 3 * ldc] += vsum(z30)
                c[o + 3 * ldc + 1] += vsum(z31)
                c[o + 3 * ldc + 2] += vsum(z32)
                c[o + 3 * ldc + 3] += vsum(z33)
        for r in range(m):
            for s in range(0 if r >= m4 else n4, n):
                acc = vzero()
                pa, pb = ao + r * lda, bo + s * ldb
                for q in range(k0, k1, 16):
                    acc = vfma(vload(a, pa + q), vload(b, pb + q), acc)
                c[co + r * ldc + s] += vsum(acc)
