"""Numba loops for the patterns of ``_patterns.py``: one pass over the elements where the replay of
NumPy calls makes two or three, each computing the same IEEE operations in the same order as the
calls it replaces (the results are the same bit for bit).

Serial loops (Numba's ``parallel=True`` was measured and not kept: ``_split.py`` says why); with
``BACKCHAIN_JIT_THREADS=2`` the replay calls the convolution and pooling kernels on chunks of samples
or channels shared with a helper thread, each chunk's outputs computed as the whole call would.
Compiled for the argument types a program asks for, in a background thread (``_background.py``), and
kept in Numba's on-disk cache (``cache=True``).
"""
import numba
import numpy as np

from ._cachestamp import check as _check_cache

_check_cache()   # (cached kernels compiled from other sources are removed first: _cachestamp.py)

__all__ = ["bias_relu", "relu_vjp", "pool_relu_vjp", "pool2_relu_vjp", "relu_pool2", "col2im2d", "axpy_sub"]


@numba.njit(cache=True, nogil=True)
def bias_relu(a, b, zero, z, h):
    """``z = a + b`` (``b`` broadcast along the last axis) and ``h = np.maximum(z, 0)`` (NaN kept),
    for C-contiguous ``a, z, h`` of shape ``(m, n)`` and ``b`` of shape ``(n,)``."""
    m, n = a.shape
    af, zf, hf = a.reshape(-1), z.reshape(-1), h.reshape(-1)
    for i in range(m):
        for j in range(n):
            v = af[i * n + j] + b[j]
            zf[i * n + j] = v
            hf[i * n + j] = v if (v > zero or v != v) else zero


@numba.njit(cache=True, nogil=True)
def relu_vjp(g, x, zero, one, out):
    """``out = g * (x > 0)`` over flat arrays: the product of ``g`` with the boolean mask, cast to 1 or 0."""
    for i in range(g.shape[0]):
        out[i] = g[i] * (one if x[i] > zero else zero)


@numba.njit(cache=True, nogil=True)
def pool_relu_vjp(g, ans, x, pre, relu, inv, zero, one, out):
    """The VJP of a tiled max pool (``kernel == stride``, windows tiling ``x`` exactly, ties split
    evenly), times ``pre > 0`` where ``relu``. ``g, ans``: ``(N, C, OH, OW)``; ``x, pre, out``:
    ``(N, C, OH * kh, OW * kw)``. Each window's share is ``g * (1 / count)`` times the window entry's
    mask (1 or 0), as the NumPy route computes it (``inv[k]``: ``1 / k`` in the dtype, ``inv[1] = 1``,
    so a window with one maximum passes ``g`` itself). Returns False (``out`` unfinished) where a
    window has no entry equal to its maximum (NaN): the caller then takes the NumPy route.

    No branch on the values (ties are common after a ReLU: windows of zeros): the loop runs at the
    speed of memory."""
    n_, c_, oh_, ow_ = g.shape
    kh = x.shape[2] // oh_
    kw = x.shape[3] // ow_
    bad = False
    for n in range(n_):
        for c in range(c_):
            for p in range(oh_):
                for q in range(ow_):
                    a = ans[n, c, p, q]
                    count = 0
                    for i in range(kh):
                        for j in range(kw):
                            count += x[n, c, p * kh + i, q * kw + j] == a
                    bad |= count == 0
                    gs = g[n, c, p, q] * inv[count]
                    for i in range(kh):
                        for j in range(kw):
                            r, s = p * kh + i, q * kw + j
                            v = gs * (one if x[n, c, r, s] == a else zero)
                            if relu:
                                v = v * (one if pre[n, c, r, s] > zero else zero)
                            out[n, c, r, s] = v
    return not bad


@numba.njit(cache=True, nogil=True)
def pool2_relu_vjp(g, ans, x, pre, relu, inv, zero, one, out):
    """:func:`pool_relu_vjp` for 2 x 2 windows, unrolled (a kernel of its own: compiled only where used)."""
    n_, c_, oh_, ow_ = g.shape
    bad = False
    for n in range(n_):
        for c in range(c_):
            for p in range(oh_):
                r0 = 2 * p
                r1 = r0 + 1
                for q in range(ow_):
                    s0 = 2 * q
                    s1 = s0 + 1
                    a = ans[n, c, p, q]
                    e00 = x[n, c, r0, s0] == a
                    e01 = x[n, c, r0, s1] == a
                    e10 = x[n, c, r1, s0] == a
                    e11 = x[n, c, r1, s1] == a
                    count = np.int64(e00) + np.int64(e01) + np.int64(e10) + np.int64(e11)
                    bad |= count == 0
                    gs = g[n, c, p, q] * inv[count]
                    v00 = gs * (one if e00 else zero)
                    v01 = gs * (one if e01 else zero)
                    v10 = gs * (one if e10 else zero)
                    v11 = gs * (one if e11 else zero)
                    if relu:
                        v00 = v00 * (one if pre[n, c, r0, s0] > zero else zero)
                        v01 = v01 * (one if pre[n, c, r0, s1] > zero else zero)
                        v10 = v10 * (one if pre[n, c, r1, s0] > zero else zero)
                        v11 = v11 * (one if pre[n, c, r1, s1] > zero else zero)
                    out[n, c, r0, s0] = v00
                    out[n, c, r0, s1] = v01
                    out[n, c, r1, s0] = v10
                    out[n, c, r1, s1] = v11
    return not bad


@numba.njit(cache=True, nogil=True)
def relu_pool2(x, zero, h, y):
    """``h = np.maximum(x, 0)`` and ``y``, its 2 x 2 max pool (``np.maximum`` over the window entries in
    row-major order: NaN kept, the later entry where two are equal); ``x, h``: ``(N, C, 2 * OH, 2 * OW)``,
    ``y``: ``(N, C, OH, OW)``, all C-contiguous. The ReLU runs as one flat loop (vectorised), the pool
    on flat indices."""
    xf, hf = x.reshape(-1), h.reshape(-1)
    for i in range(xf.shape[0]):
        a = xf[i]
        hf[i] = a if (a > zero or a != a) else zero
    ow = y.shape[3]
    rows = y.shape[0] * y.shape[1] * y.shape[2]
    yf = y.reshape(-1)
    for r in range(rows):
        b0 = 4 * r * ow
        b1 = b0 + 2 * ow
        for q in range(ow):
            a, b = hf[b0 + 2 * q], hf[b0 + 2 * q + 1]
            d, e = hf[b1 + 2 * q], hf[b1 + 2 * q + 1]
            m = a if (a != a or a > b) else b
            m = m if (m != m or m > d) else d
            m = m if (m != m or m > e) else e
            yf[r * ow + q] = m


@numba.njit(cache=True, nogil=True)
def col2im2d(d, stride, dilation, buf):
    """``buf[c, ki * dh + i * sh, kj * dw + j * sw, :] += d[c, ki, kj, i, j, :]`` over the kernel positions
    in row-major order (the order of the NumPy route's strided adds, so each sum is the same), for
    ``d``: ``(C, KH, KW, OH, OW, N)`` and ``buf``: ``(C, H, W, N)``, zeroed, both C-contiguous."""
    c_, kh_, kw_, oh_, ow_, n_ = d.shape
    sh, sw = stride
    dh, dw = dilation
    for c in range(c_):
        for ki in range(kh_):
            for kj in range(kw_):
                for i in range(oh_):
                    r = ki * dh + i * sh
                    for j in range(ow_):
                        s = kj * dw + j * sw
                        src = d[c, ki, kj, i, j]
                        dst = buf[c, r, s]
                        for n in range(n_):
                            dst[n] += src[n]


@numba.njit(cache=True, nogil=True)
def axpy_sub(p, c, g):
    """``p -= c * g`` in place over flat arrays: the product rounded, then the difference (no fused
    multiply-add), as ``p -= c * g`` in NumPy."""
    for i in range(p.shape[0]):
        p[i] = p[i] - c * g[i]
