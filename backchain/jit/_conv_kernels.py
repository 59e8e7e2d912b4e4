"""Float32 2-D convolutions for the buffered replay, sample by sample on the pool's workers.

The rule's convolution (``_rules/conv.py``) copies its input to a batch-last layout, then every
window of it into one im2col array (25 copies of the input for a 5 x 5 kernel: 3.7 MB for W3's
first layer), multiplies by BLAS, and copies the result back to batch-first; its gradients do the
same. Here each sample's columns are copied into a small array that stays in the core's cache,
multiplied there by the 16-lane tiles of ``_simd.py`` straight into the NCHW result, and the
samples are split across the pool's workers (a ``_pool.CALL`` job of parts of a fixed number of
samples): no layout copies, no array of all the columns, both cores.

- forward: ``y[n] (O, P) = W (O, K) cols_n (K, P)`` (+ bias), ``K = C kh kw``, ``P = oh ow``;
- weight gradient: ``dW^T (K, O) = sum_n cols_n (K, P) gy[n]^T (P, O)``; each part sums its
  samples into its own array and the caller adds the parts' arrays in order, so the bits do not
  depend on how many threads ran them;
- input gradient: ``dcols_n (K, P) = W^T (K, O) gy[n] (O, P)`` then added back into ``dx[n]``
  window by window (col2im), in the same order for every sample.

Stride 1, no padding, no dilation, one group (LeNet's and most small CNNs' layers); other
convolutions keep the rule's functions. Values: sums in another order than BLAS's, relative 1e-6.
"""
import numba
import numpy as np
from numba import types

from . import _vmath as vm
from ._kernels import pool2_relu_vjp, relu_pool2
from ._pool import _f32, _i64, call
from ._simd import rows_nn

_L = max(1, vm.lanes(np.float32))

__all__ = ["forward", "input_grad", "weight_grad"]

_SIG = types.void(types.CPointer(types.int64), types.int64)
_X, _W, _B, _G, _OUT, _SCR, _N, _C, _H, _WD, _O, _KH, _KW, _PER, _KIND, _SSIZE, _HASB = range(17)
FORWARD, WEIGHT_GRAD, INPUT_GRAD, RELU_POOL2, POOL2_VJP = 0, 1, 2, 3, 4
# the words of the pooling jobs: x, h or ans, y or g, pre, out, inv, flags (after _N.._WD, _PER, _KIND as above)
_PX, _PH, _PY, _PPRE, _POUT, _PINV, _PFLAGS = 0, 1, 2, 3, 4, 5, 16

#: Samples per part (the weight gradient's partial sums follow it, so it is fixed: the same bits on
#: any number of threads).
PARTS = 16


def _up16(k):
    return -(-k // 16) * 16


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _columns(x, xo, c_, h, wd, kh_, kw_, oh, ow, cols, ldc):
    """``cols[q, i ow + j] = x[c, i + kh, j + kw]`` for ``q = (c kh_ + kh) kw_ + kw`` (sample at ``xo``):
    each window row one (masked) register copy."""
    q = 0
    for c in range(c_):
        for kh in range(kh_):
            for kw in range(kw_):
                for i in range(oh):
                    s = xo + (c * h + i + kh) * wd + kw
                    d = q * ldc + i * ow
                    for j in range(0, ow, _L):
                        vm.store(cols, d + j, d + ow, vm.load(x, s + j, s + ow))
                q += 1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _forward_samples(x, w, b, hasb, y, cols, res, n0, n1, c_, h, wd, o_, kh_, kw_):
    oh, ow = h - kh_ + 1, wd - kw_ + 1
    k = c_ * kh_ * kw_
    p = oh * ow
    pp = (p + 15) // 16 * 16
    cols[:] = 0   # (the padding columns past p stay 0)
    for n in range(n0, n1):
        _columns(x, n * c_ * h * wd, c_, h, wd, kh_, kw_, oh, ow, cols, pp)
        rows_nn(w, k, 1, cols, pp, res, pp, 0, o_, pp, k, 512)
        for o in range(o_):
            d = (n * o_ + o) * p
            if hasb:
                bo = vm.splat(b[o])
                for j in range(0, p, _L):
                    vm.store(y, d + j, d + p, vm.add(vm.load(res, o * pp + j, o * pp + p), bo))
            else:
                for j in range(0, p, _L):
                    vm.store(y, d + j, d + p, vm.load(res, o * pp + j, o * pp + p))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _weight_grad_samples(x, g, part, cols, gt, n0, n1, c_, h, wd, o_, kh_, kw_):
    """``part (K, Op) = sum_n cols_n (K, P) gy[n]^T (P, Op)``: the transposed weight gradient of the
    samples ``n0:n1`` (``Op``: the output channels padded to 16, zero columns)."""
    oh, ow = h - kh_ + 1, wd - kw_ + 1
    k = c_ * kh_ * kw_
    p = oh * ow
    pp = (p + 15) // 16 * 16
    op = (o_ + 15) // 16 * 16
    gt[:] = 0   # (the padding columns past o_ stay 0)
    for n in range(n0, n1):
        _columns(x, n * c_ * h * wd, c_, h, wd, kh_, kw_, oh, ow, cols, pp)
        for o in range(o_):
            s = (n * o_ + o) * p
            for j in range(p):
                gt[j * op + o] = g[s + j]
        rows_nn(cols, pp, 1, gt, op, part, op, 0, k, op, p, 512, n > n0)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _input_grad_samples(wt, g, dx, gp, cols, n0, n1, c_, h, wd, o_, kh_, kw_):
    oh, ow = h - kh_ + 1, wd - kw_ + 1
    k = c_ * kh_ * kw_
    p = oh * ow
    pp = (p + 15) // 16 * 16
    gp[:] = 0
    for n in range(n0, n1):
        for o in range(o_):
            s = (n * o_ + o) * p
            for j in range(0, p, _L):
                vm.store(gp, o * pp + j, o * pp + p, vm.load(g, s + j, s + p))
        rows_nn(wt, o_, 1, gp, pp, cols, pp, 0, k, pp, o_, 512)
        xo = n * c_ * h * wd
        dx[xo:xo + c_ * h * wd] = 0
        q = 0
        for c in range(c_):
            for kh in range(kh_):
                for kw in range(kw_):
                    for r in range(oh):
                        d = xo + (c * h + r + kh) * wd + kw
                        s = q * pp + r * ow
                        for j in range(0, ow, _L):
                            vm.store(dx, d + j, d + ow, vm.add(vm.load(dx, d + j, d + ow), vm.load(cols, s + j, s + ow)))
                    q += 1


@numba.cfunc(_SIG, cache=True, error_model="numpy")
def _part(words, i):
    """The samples ``i per:(i + 1) per`` of a forward pass, a weight gradient or an input gradient: the
    arrays made from the job's words, then the kernel above (a call, not inlined: compiled into this
    function, the kernels ran three times slower)."""
    n_, c_, h, wd, o_ = words[_N], words[_C], words[_H], words[_WD], words[_O]
    kh_, kw_, per, kind, ssize = words[_KH], words[_KW], words[_PER], words[_KIND], words[_SSIZE]
    k = c_ * kh_ * kw_
    p = (h - kh_ + 1) * (wd - kw_ + 1)
    pp = (p + 15) // 16 * 16
    n0 = i * per
    n1 = min(n_, n0 + per)
    if kind == RELU_POOL2 or kind == POOL2_VJP:   # (x: (N, C, H, W); the pooled: (N, C, H / 2, W / 2))
        x = numba.carray(_f32(words[_PX]), (n_, c_, h, wd))[n0:n1]
        if kind == RELU_POOL2:
            relu_pool2(x, np.float32(0), numba.carray(_f32(words[_PH]), (n_, c_, h, wd))[n0:n1],
                       numba.carray(_f32(words[_PY]), (n_, c_, h // 2, wd // 2))[n0:n1])
        else:
            ok = pool2_relu_vjp(numba.carray(_f32(words[_PY]), (n_, c_, h // 2, wd // 2))[n0:n1],
                                numba.carray(_f32(words[_PH]), (n_, c_, h // 2, wd // 2))[n0:n1], x,
                                numba.carray(_f32(words[_PPRE]), (n_, c_, h, wd))[n0:n1], words[_O] != 0,
                                numba.carray(_f32(words[_PINV]), 5), np.float32(0), np.float32(1),
                                numba.carray(_f32(words[_POUT]), (n_, c_, h, wd))[n0:n1])
            if not ok:
                numba.carray(_i64(words[_PFLAGS]), 1)[0] = 1
        return
    scr = numba.carray(_f32(words[_SCR] + 4 * ssize * i), ssize)
    if kind == FORWARD:
        _forward_samples(numba.carray(_f32(words[_X]), n_ * c_ * h * wd), numba.carray(_f32(words[_W]), o_ * k),
                         numba.carray(_f32(words[_B]), o_ if words[_HASB] else 1), words[_HASB] != 0,
                         numba.carray(_f32(words[_OUT]), n_ * o_ * p), scr[:k * pp], scr[k * pp:k * pp + o_ * pp],
                         n0, n1, c_, h, wd, o_, kh_, kw_)
    elif kind == WEIGHT_GRAD:
        op = (o_ + 15) // 16 * 16
        _weight_grad_samples(numba.carray(_f32(words[_X]), n_ * c_ * h * wd),
                             numba.carray(_f32(words[_G]), n_ * o_ * p),
                             numba.carray(_f32(words[_OUT] + 4 * i * k * op), k * op), scr[:k * pp],
                             scr[k * pp:k * pp + p * op], n0, n1, c_, h, wd, o_, kh_, kw_)
    else:
        _input_grad_samples(numba.carray(_f32(words[_W]), k * o_), numba.carray(_f32(words[_G]), n_ * o_ * p),
                            numba.carray(_f32(words[_OUT]), n_ * c_ * h * wd), scr[:o_ * pp],
                            scr[o_ * pp:o_ * pp + k * pp], n0, n1, c_, h, wd, o_, kh_, kw_)


def takes(x_shape, w_shape, params, dtype):
    """Whether the kernels compute this convolution: float32, 4-D, stride 1, no padding, no dilation,
    one group, a kernel no larger than the input."""
    return (dtype == np.float32 and len(x_shape) == 4 and len(w_shape) == 4 and x_shape[1] == w_shape[1]
            and tuple(params.get("stride", ())) == (1, 1) and tuple(params.get("dilation", ())) == (1, 1)
            and tuple(map(tuple, params.get("padding", ()))) == ((0, 0), (0, 0)) and params.get("groups") == 1
            and x_shape[2] >= w_shape[2] >= 1 and x_shape[3] >= w_shape[3] >= 1 and x_shape[0] >= 1
            and w_shape[0] >= 1)


def _batch_parts(n):
    """``(samples per part, parts)`` of a batch of ``n``: a :data:`PARTS`-th of it each."""
    per = -(-n // PARTS)
    return per, -(-n // per)


def _ptr(a):
    return 0 if a is None else a.ctypes.data


def _run(kind, dims, x, w, b, g, out, scratch_size):
    """The job of ``kind`` on the convolution of ``dims = (n, c, h, w, o, kh, kw)`` (arrays C-contiguous
    float32, or None), split in parts of a :data:`PARTS`-th of the batch across the pool's workers."""
    per, chunks = _batch_parts(dims[0])
    scratch = np.empty(chunks * scratch_size, np.float32)
    words = np.array([_ptr(x), _ptr(w), _ptr(b), _ptr(g), out.ctypes.data, scratch.ctypes.data, *dims, per, kind,
                      scratch_size, b is not None], np.int64)
    call(_part.address, chunks, words)


def forward(x, w, b=None):
    """``conv2d(x, w, b)`` (NCHW, stride 1, no padding) as a new array."""
    x, w = np.ascontiguousarray(x, np.float32), np.ascontiguousarray(w, np.float32)
    b = None if b is None else np.ascontiguousarray(b, np.float32)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    pp = _up16(oh * ow)
    y = np.empty((n, o, oh, ow), np.float32)
    if n:
        _run(FORWARD, (n, c, h, wd, o, kh, kw), x, w, b, None, y, (c * kh * kw + o) * pp)
    return y


def weight_grad(x, gy, wshape):
    """The gradient of ``conv2d(x, w)`` with respect to ``w`` (of shape ``wshape``), given the output's ``gy``."""
    x, gy = np.ascontiguousarray(x, np.float32), np.ascontiguousarray(gy, np.float32)
    n, c, h, wd = x.shape
    o, _, kh, kw = wshape
    k = c * kh * kw
    op = _up16(o)
    p = (h - kh + 1) * (wd - kw + 1)
    if n == 0:
        return np.zeros(wshape, np.float32)
    parts = np.empty((_batch_parts(n)[1], k, op), np.float32)
    _run(WEIGHT_GRAD, (n, c, h, wd, o, kh, kw), x, None, None, gy, parts, k * _up16(p) + p * op)
    gwt = parts[0, :, :o].copy()
    for q in range(1, parts.shape[0]):   # (the parts' sums added in order: the same bits on any threads)
        gwt += parts[q, :, :o]
    return np.ascontiguousarray(gwt.T).reshape(wshape)


def input_grad(gy, w, xshape):
    """The gradient of ``conv2d(x, w)`` with respect to ``x`` (of shape ``xshape``), given the output's ``gy``."""
    gy, w = np.ascontiguousarray(gy, np.float32), np.ascontiguousarray(w, np.float32)
    n, c, h, wd = xshape
    o, _, kh, kw = w.shape
    k = c * kh * kw
    pp = _up16((h - kh + 1) * (wd - kw + 1))
    dx = np.empty(xshape, np.float32)
    if n:
        wt = np.ascontiguousarray(w.reshape(o, k).T)   # W^T (K, O)
        _run(INPUT_GRAD, (n, c, h, wd, o, kh, kw), None, wt, None, gy, dx, (o + k) * pp)
    return dx


def _pool_job(kind, shape, arrays, relu=False):
    """A job of 2 x 2 pooling (``kind``: :data:`RELU_POOL2`, :data:`POOL2_VJP`) over ``x`` of ``shape``
    (N, C, H, W), its samples in parts across the pool's workers; False where a window had no entry
    equal to its maximum (NaN: the caller takes the NumPy route)."""
    n, c, h, wd = shape
    per, chunks = _batch_parts(n)
    flags = np.zeros(1, np.int64)
    words = np.zeros(17, np.int64)
    words[:6] = [_ptr(a) for a in arrays]
    words[_N:_O] = n, c, h, wd
    words[_O] = relu
    words[_PER], words[_KIND], words[_PFLAGS] = per, kind, flags.ctypes.data
    call(_part.address, chunks, words)
    return not flags[0]


def relu_pool(x, h, y):
    """``_kernels.relu_pool2(x, 0, h, y)`` (float32, C-contiguous) by samples on the pool's workers."""
    _pool_job(RELU_POOL2, x.shape, (x, h, y, None, None, None))


def pool_relu_vjp(g, ans, x, pre, relu, inv, out):
    """``_kernels.pool2_relu_vjp`` (float32, C-contiguous) by samples on the pool's workers; its value."""
    return _pool_job(POOL2_VJP, x.shape, (x, ans, g, pre if relu else x, out, inv), relu)
