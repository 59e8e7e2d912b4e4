"""float32 matrix products written with 16-lane vectors, for the LSTM kernels (``_rnn_kernels.py``).

Why: the BLAS that NumPy wheels bundle (OpenBLAS, ``DYNAMIC_ARCH``) may run kernels for an older
instruction set than the CPU has (its choice, or ``OPENBLAS_CORETYPE``). On the machine measured
(AMD EPYC, Zen 5, AVX-512; the environment sets ``OPENBLAS_CORETYPE=Haswell``) it runs its Haswell
(AVX2) kernels: about 110 GFLOP/s for the (512, 160) x (160, 32) products of an LSTM step,
where the same product with 16-lane FMAs below runs at 200-240 (in W7's replay: the forward
products 2.0 ms against 4.5, the backward ones 1.6 against 3.9, the weight gradients 2.8 against
3.5). Products of these shapes are small enough that a register-tiled loop nears the machine's
peak without packing the operands.

Numba has no vector type of its own; ``F32x16`` is one, an LLVM ``<16 x float>`` kept in a
register, with the intrinsics a tile needs (load, store, broadcast, fused multiply-add). LLVM
lowers them for any CPU (two 8-lane halves without AVX-512); the callers use these products only
where the CPU has AVX-512 (:data:`AVX512`), BLAS elsewhere.

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

__all__ = ["AVX512", "gemm_nn"]


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


_NN_KBLOCK = 256   # rows of B per pass of gemm_nn, at most: a (256, 32) panel of B stays in the first-level cache


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
