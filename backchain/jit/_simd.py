"""float32 matrix products written with 16-lane vectors: the replay's products (``_gemm.py``) and
the LSTM kernels' (``_rnn_kernels.py``).

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

from ._cachestamp import check as _check_cache

_check_cache()   # (cached kernels compiled from other sources are removed first: _cachestamp.py)

__all__ = ["AVX512", "pack_rows", "rows_nn", "rows_nt", "stack", "transpose"]


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
    """The sum of the sixteen lanes (a tree of additions: not in lane order)."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.FloatType(), [ir.FloatType(), _VT]),
                                            "llvm.vector.reduce.fadd.v16f32")
        return builder.call(fn, [ir.Constant(ir.FloatType(), -0.0), args[0]], fastmath=("reassoc",))
    return types.float32(v), codegen


def _swap_masks(d):
    """The two-register shuffles of a 16 x 16 transpose's stage ``d`` (8, 4, 2, 1): rows ``i`` and
    ``i + d`` exchange the lanes that make bit ``d`` of the row and of the lane index trade places;
    the four stages together move the element at (row i, lane l) to (row l, lane i)."""
    lo, hi = [], []
    for lane in range(_LANES):
        g, off = lane - lane % (2 * d), lane % (2 * d)
        lo.append(g + off if off < d else _LANES + g + off - d)
        hi.append(g + d + off if off < d else _LANES + g + off)
    return lo, hi


_SWAPS = [_swap_masks(d) for d in (8, 4, 2, 1)]


def _transposed_rows(builder, rows):
    """Sixteen 16-lane rows transposed in registers: four stages of two-register shuffles, 64 in all."""
    for d, (lo, hi) in zip((8, 4, 2, 1), _SWAPS):
        out = list(rows)
        for i in range(_LANES):
            if i & d:
                continue
            a, b = rows[i], rows[i + d]
            out[i] = builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(ir.IntType(32), _LANES), lo))
            out[i + d] = builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(ir.IntType(32), _LANES), hi))
        rows = out
    return rows


def _at(context, builder, aryty, ary, base, step, i):
    """The address of ``ary[base + i step]`` as a 16-lane vector's."""
    return _address(context, builder, aryty, ary, builder.add(base, builder.mul(step, ir.Constant(step.type, i))))


@intrinsic
def _pack8x32(typingctx, a, s, ars, ap, p):
    """``ap[p + 8 q + i] = a[s + i ars + q]`` for ``i < 8``, ``q < 32``: a row tile's 32 terms packed (the
    8 rows' two halves as the 16 rows of a 16 x 16 transpose in registers, each result row stored as two
    8-lane halves) instead of 256 single numbers copied one by one."""
    def codegen(context, builder, sig, args):
        aa, s_, ars_, pa, p_ = args
        sixteen = ir.Constant(s_.type, 16)
        rows = ([builder.load(_at(context, builder, sig.args[0], aa, s_, ars_, i), align=4) for i in range(8)]
                + [builder.load(_at(context, builder, sig.args[0], aa, builder.add(s_, sixteen), ars_, i), align=4)
                   for i in range(8)])
        half = ir.VectorType(ir.FloatType(), 8)
        arr = context.make_array(sig.args[3])(context, builder, pa)
        for q, row in enumerate(_transposed_rows(builder, rows)):
            for h, at in ((0, q), (1, q + 16)):
                v = builder.shuffle_vector(row, row, ir.Constant(ir.VectorType(ir.IntType(32), 8),
                                                                 list(range(8 * h, 8 * h + 8))))
                ptr = builder.gep(arr.data, [builder.add(p_, ir.Constant(p_.type, 8 * at))])
                builder.store(v, builder.bitcast(ptr, half.as_pointer()), align=4)
        return context.get_dummy_value()
    return types.none(a, types.intp, types.intp, ap, types.intp), codegen


@intrinsic
def _copy8(typingctx, a, s, ap, p):
    """``ap[p:p + 8] = a[s:s + 8]`` as one 8-lane load and store (a column-major A's 8 rows of a term)."""
    def codegen(context, builder, sig, args):
        aa, s_, pa, p_ = args
        half = ir.VectorType(ir.FloatType(), 8).as_pointer()
        src = builder.gep(context.make_array(sig.args[0])(context, builder, aa).data, [s_])
        dst = builder.gep(context.make_array(sig.args[2])(context, builder, pa).data, [p_])
        builder.store(builder.load(builder.bitcast(src, half), align=4), builder.bitcast(dst, half), align=4)
        return context.get_dummy_value()
    return types.none(a, types.intp, ap, types.intp), codegen


@intrinsic
def _t16(typingctx, src, s, lds, dst, d, ldd):
    """``dst[d + j ldd + i] = src[s + i lds + j]`` for ``i, j < 16``: sixteen rows loaded, transposed in
    registers (:func:`_transposed_rows`), stored as sixteen rows."""
    def codegen(context, builder, sig, args):
        sa, s_, lds_, da, d_, ldd_ = args
        rows = _transposed_rows(builder, [builder.load(_at(context, builder, sig.args[0], sa, s_, lds_, i), align=4)
                                          for i in range(_LANES)])
        for j in range(_LANES):
            builder.store(rows[j], _at(context, builder, sig.args[3], da, d_, ldd_, j), align=4)
        return context.get_dummy_value()
    return types.none(src, types.intp, types.intp, dst, types.intp, types.intp), codegen


@numba.njit(cache=True, nogil=True, error_model="numpy")
def transpose(src, s, lds, dst, d, ldd, m, n):
    """``dst[d + j ldd + i] = src[s + i lds + j]`` for ``i < m``, ``j < n`` (flat float32 arrays): the
    (m, n) matrix at ``src`` written transposed at ``dst``, by 16 x 16 blocks in registers (a scalar
    loop over a transposed matrix, NumPy's ``copyto`` included, moves about one number per cycle: 37-53
    us for 256 x 256), the edges number by number."""
    m16 = m - m % 16
    n16 = n - n % 16
    for j in range(0, n16, 16):
        for i in range(0, m16, 16):
            _t16(src, s + i * lds + j, lds, dst, d + j * ldd + i, ldd)
    for i in range(m):
        for j in range(n16 if i < m16 else 0, n):
            dst[d + j * ldd + i] = src[s + i * lds + j]


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _pack_tile(a, a0, ars, aks, k0, k1, ap, p0):
    """``ap[p0 + 8 (q - k0) + i] = A[r + i, q]`` for ``i < 8``, ``k0 <= q < k1`` (``A[r + i, q]`` at
    ``a[a0 + i ars + q aks]``): a row tile's terms in one contiguous run."""
    q0 = k0
    if aks == 1:   # (row-major: 32 terms at a time in registers)
        for q0 in range(k0, k1 - 31, 32):
            _pack8x32(a, a0 + q0, ars, ap, p0 + (q0 - k0) * 8)
        q0 = k0 + (k1 - k0) // 32 * 32
    elif ars == 1:   # (column-major: a term's 8 rows are contiguous)
        for q in range(k0, k1):
            _copy8(a, a0 + q * aks, ap, p0 + (q - k0) * 8)
        q0 = k1
    for q in range(q0, k1):
        aq = a0 + q * aks
        p = p0 + (q - k0) * 8
        for i in range(8):
            ap[p + i] = a[aq + i * ars]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def pack_rows(a, ars, aks, m, k, out):
    """``A`` (m, k) (``A[r, q]`` at ``a[r * ars + q * aks]``) packed for :func:`rows_nn`'s ``packed``: each
    tile of 8 rows its terms in one run, ``out[8 k (r // 8) + 8 q + r % 8] = A[r, q]``; the rows of a last,
    partial tile are followed by zeros. ``out``: at least ``8 k ceil(m / 8)`` numbers."""
    m8 = m // 8 * 8
    for r in range(0, m8, 8):
        _pack_tile(a, r * ars, ars, aks, 0, k, out, r * k)
    if m8 < m:
        base = m8 * k
        out[base:base + 8 * k] = 0
        for q in range(k):
            for i in range(m - m8):
                out[base + 8 * q + i] = a[(m8 + i) * ars + q * aks]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def rows_nn(a, ars, aks, b, ldb, c, ldc, r0, r1, n, k, kblock, add=False, packed=False):
    """Rows ``r0:r1`` of ``C = A B``: ``A[r, q]`` at ``a[r * ars + q * aks]``, ``B[q, j]`` at
    ``b[q * ldb + j]``, ``C[r, j]`` at ``c[r * ldc + j]`` (flat float32 arrays); ``n`` a multiple
    of 16. Tiles of 8 rows by 32 columns (sixteen accumulators: enough fused multiply-adds in flight
    to hide their latency), each row tile's terms first packed into one contiguous run (a column-major
    ``A``'s rows are a cache line apart per term, which the first-level cache's sets cannot all hold:
    10-25% faster on one core for W1's and W8's products), 8 by 16 for the last 16 columns, then the rows left over; ``k``
    in passes of at most ``kblock`` terms (a pass after the first adds to ``C``), so that the panel of
    ``B`` that a row tile reads stays in cache. ``add``: ``C += A B`` (every pass adds).

    ``packed``: ``a`` is the whole of ``A`` packed ahead by :func:`pack_rows` (``ars``, ``aks`` unused;
    ``r0`` a multiple of 8): a matrix that several products read (an LSTM layer's weights, at every
    time step) is packed once, and the tiles read it at constant offsets, as the packed runs above."""
    m8 = r0 + (r1 - r0) // 8 * 8
    n32 = n - n % 32
    passes = max(1, (k + kblock - 1) // kblock)
    kb = (k + passes - 1) // passes
    # (packed where a row tile's terms are read by several 32-column tiles, or are a cache line apart
    # per term (a column-major A); a row-major A read by one tile (an LSTM step's 32 columns) is read
    # in place: its packing took as long as the tile's products)
    pack = not packed and (n32 > 32 or (n32 > 0 and aks != 1))
    ap = np.empty(8 * max(kb, 1) if pack else 1, np.float32)   # a row tile's terms: ap[8 (q - k0) + i] = A[r + i, q]
    run = a if packed else ap   # (the packed runs the tiles read)
    for k0 in range(0, max(k, 1), max(kb, 1)):
        k1 = min(k0 + kb, k)
        for r in range(r0, m8, 8):
            a0 = r * ars
            base = (r // 8) * 8 * k + k0 * 8 if packed else 0   # (this tile's pass in the packed runs)
            if pack:
                _pack_tile(a, a0, ars, aks, k0, k1, ap, 0)
            for j in range(0, n32, 32):
                o = r * ldc + j
                if k0 == 0 and not add:
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
                if pack or packed:   # (the packed terms: constant offsets)
                    aq = base
                    for q in range(k0, k1):
                        b0 = vload(b, p)
                        b1 = vload(b, p + 16)
                        p += ldb
                        x = vbroadcast(run[aq])
                        c00 = vfma(x, b0, c00)
                        c01 = vfma(x, b1, c01)
                        x = vbroadcast(run[aq + 1])
                        c10 = vfma(x, b0, c10)
                        c11 = vfma(x, b1, c11)
                        x = vbroadcast(run[aq + 2])
                        c20 = vfma(x, b0, c20)
                        c21 = vfma(x, b1, c21)
                        x = vbroadcast(run[aq + 3])
                        c30 = vfma(x, b0, c30)
                        c31 = vfma(x, b1, c31)
                        x = vbroadcast(run[aq + 4])
                        c40 = vfma(x, b0, c40)
                        c41 = vfma(x, b1, c41)
                        x = vbroadcast(run[aq + 5])
                        c50 = vfma(x, b0, c50)
                        c51 = vfma(x, b1, c51)
                        x = vbroadcast(run[aq + 6])
                        c60 = vfma(x, b0, c60)
                        c61 = vfma(x, b1, c61)
                        x = vbroadcast(run[aq + 7])
                        aq += 8
                        c70 = vfma(x, b0, c70)
                        c71 = vfma(x, b1, c71)
                else:   # (A's own, in place)
                    aq = a0 + k0 * aks
                    for q in range(k0, k1):
                        b0 = vload(b, p)
                        b1 = vload(b, p + 16)
                        p += ldb
                        x = vbroadcast(a[aq])
                        c00 = vfma(x, b0, c00)
                        c01 = vfma(x, b1, c01)
                        x = vbroadcast(a[aq + 1 * ars])
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
                        aq += aks
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
            if n32 < n:   # the last 16 columns: a tile of 8 rows by 16 (eight accumulators)
                o = r * ldc + n32
                if k0 == 0 and not add:
                    c0 = vzero(); c1 = vzero(); c2 = vzero(); c3 = vzero()  # noqa: E702
                    c4 = vzero(); c5 = vzero(); c6 = vzero(); c7 = vzero()  # noqa: E702
                else:
                    c0 = vload(c, o); c1 = vload(c, o + ldc); c2 = vload(c, o + 2 * ldc)  # noqa: E702
                    c3 = vload(c, o + 3 * ldc); c4 = vload(c, o + 4 * ldc); c5 = vload(c, o + 5 * ldc)  # noqa: E702
                    c6 = vload(c, o + 6 * ldc); c7 = vload(c, o + 7 * ldc)  # noqa: E702
                p = k0 * ldb + n32
                # (the packed terms where the 32-column tiles packed them; else A's own)
                src, aq, sr, sk = (run, base, 1, 8) if pack or packed else (a, a0 + k0 * aks, ars, aks)
                for q in range(k0, k1):
                    b0 = vload(b, p)
                    p += ldb
                    c0 = vfma(vbroadcast(src[aq]), b0, c0)
                    c1 = vfma(vbroadcast(src[aq + sr]), b0, c1)
                    c2 = vfma(vbroadcast(src[aq + 2 * sr]), b0, c2)
                    c3 = vfma(vbroadcast(src[aq + 3 * sr]), b0, c3)
                    c4 = vfma(vbroadcast(src[aq + 4 * sr]), b0, c4)
                    c5 = vfma(vbroadcast(src[aq + 5 * sr]), b0, c5)
                    c6 = vfma(vbroadcast(src[aq + 6 * sr]), b0, c6)
                    c7 = vfma(vbroadcast(src[aq + 7 * sr]), b0, c7)
                    aq += sk
                vstore(c, o, c0); vstore(c, o + ldc, c1); vstore(c, o + 2 * ldc, c2)  # noqa: E702
                vstore(c, o + 3 * ldc, c3); vstore(c, o + 4 * ldc, c4); vstore(c, o + 5 * ldc, c5)  # noqa: E702
                vstore(c, o + 6 * ldc, c6); vstore(c, o + 7 * ldc, c7)  # noqa: E702
        # what the tiles left: rows m8.. (fewer than 8) for every column
        for r in range(m8, r1):
            for j in range(0, n, 16):
                o = r * ldc + j
                acc = vzero() if k0 == 0 and not add else vload(c, o)
                p = k0 * ldb + j
                aq, sk = ((r // 8) * 8 * k + k0 * 8 + r % 8, 8) if packed else (r * ars + k0 * aks, aks)
                for q in range(k0, k1):
                    acc = vfma(vbroadcast(a[aq]), vload(b, p), acc)
                    p += ldb
                    aq += sk
                vstore(c, o, acc)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def rows_nt(a, lda, w, ldw, c, ldc, r0, r1, n, k):
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
def stack(a, aoffs, ars, aks, b, boffs, ldb, nt, c, m, n, k, i0, i1, kblock):
    """Products ``i0:i1`` of a stack: ``C_i = A_i B_i`` (:func:`rows_nn`; ``nt``: ``A_i W_i^T``, with
    :func:`rows_nt`), operand ``i`` at offsets ``aoffs[i]``, ``boffs[i]`` (of any layout of the stack:
    views of heads split from one array included) and ``i * m * n``."""
    for i in range(i0, i1):
        if nt:
            rows_nt(a[aoffs[i]:], ars, b[boffs[i]:], ldb, c[i * m * n:], n, 0, m, n, k)
        else:
            rows_nn(a[aoffs[i]:], ars, aks, b[boffs[i]:], ldb, c[i * m * n:], n, 0, m, n, k, kblock)
