"""Softmax (and its VJP) and LayerNorm over the last axis, a row at a time, for the replay of a program
that fuses.

Eagerly, ``softmax`` is five NumPy passes over its array (maximum, subtract, exp, sum, divide) and
``layer_norm`` seven; on W8's attention scores (32 x 4 x 64 x 64 float32) the softmax took 0.9 ms
and each LayerNorm (2048 x 128) 0.35 ms on one core. Here a row is read from memory once into the
first-level cache and computed there, on registers of lanes (``_vmath``: ``exp`` from libmvec), and
the rows are split across the pool's workers (``_pool.run_call``): a part is a range of rows,
computed as one thread would, so the values are the same on any number of threads.

Values: the sums run in another order than NumPy's pairwise sums, and ``exp`` is libmvec's
(4 ulp): relative differences of a few 1e-7 from the eager float32 values. ``fuse="exact"`` and
``fuse=None`` keep NumPy's calls. float32 only; other dtypes and axes keep the primitive's function.
Special values as eagerly: a row with a NaN gives NaN, a row whose maximum is infinite is shifted by
0 as the rule does, an empty row gives an empty row.
"""
import numba
import numpy as np
from numba import types

from . import _vmath as vm
from ._pool import _f32, call

__all__ = ["layer_norm", "softmax", "softmax_vjp", "takes"]

_L = max(1, vm.lanes(np.float32))
_NINF = np.float32(-np.inf)
_ZERO = np.float32(0)
_ONE = np.float32(1)

# the words of a job (after _pool.CALL_ARGS)
_X, _OUT, _W, _B, _EPS, _D, _ROWS, _PER, _KIND = range(9)
SOFTMAX, LAYER_NORM, LAYER_NORM_W, LAYER_NORM_WB, SOFTMAX_VJP = 0, 1, 2, 3, 4

# Rows times columns from which a call is split across the pool's workers (about 20 us on one core).
_SPLIT = 1 << 16


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _softmax_row(x, out, o, d):
    e = o + d
    mv = vm.splat(_NINF)
    for j in range(o, e, _L):
        mv = vm.maximum(mv, vm.load_or(x, j, e, _NINF))
    m = vm.largest(mv)
    if not (m - m == _ZERO):   # (an infinite or NaN maximum: the rule subtracts 0)
        m = _ZERO
    mm = vm.splat(m)
    sv = vm.splat(_ZERO)
    for j in range(o, e, _L):
        v = vm.exp(vm.subtract(vm.load_or(x, j, e, _NINF), mm))   # (0 past the row's end)
        vm.store(out, j, e, v)
        sv = vm.add(sv, v)
    s = vm.splat(vm.total(sv))
    for j in range(o, e, _L):
        vm.store(out, j, e, vm.divide(vm.load(out, j, e), s))


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _softmax_vjp_row(g, ans, out, o, d):
    e = o + d
    sv = vm.splat(_ZERO)
    for j in range(o, e, _L):
        sv = vm.add(sv, vm.multiply(vm.load_or(g, j, e, _ZERO), vm.load_or(ans, j, e, _ZERO)))
    s = vm.splat(vm.total(sv))
    for j in range(o, e, _L):
        vm.store(out, j, e, vm.multiply(vm.load(ans, j, e), vm.subtract(vm.load(g, j, e), s)))


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _layer_norm_row(x, out, w, b, eps, o, d, kind):
    e = o + d
    n = np.float32(d)
    sv = vm.splat(_ZERO)
    for j in range(o, e, _L):
        sv = vm.add(sv, vm.load_or(x, j, e, _ZERO))
    mean = vm.total(sv) / n
    mm = vm.splat(mean)
    qv = vm.splat(_ZERO)
    for j in range(o, e, _L):
        c = vm.subtract(vm.load_or(x, j, e, mean), mm)   # (0 past the row's end)
        qv = vm.add(qv, vm.multiply(c, c))
    inv = vm.splat(_ONE / np.sqrt(vm.total(qv) / n + eps))
    for j in range(o, e, _L):
        v = vm.multiply(vm.subtract(vm.load(x, j, e), mm), inv)
        if kind >= LAYER_NORM_W:
            v = vm.multiply(v, vm.load(w, j - o, d))
        if kind == LAYER_NORM_WB:
            v = vm.add(v, vm.load(b, j - o, d))
        vm.store(out, j, e, v)


@numba.cfunc(types.void(types.CPointer(types.int64), types.int64), cache=True, error_model="numpy")
def _part(words, i):
    """Rows ``i per:(i + 1) per`` of the job: the softmax, or the LayerNorm (with weight, with bias)."""
    d, rows, per, kind = words[_D], words[_ROWS], words[_PER], words[_KIND]
    size = rows * d
    x = numba.carray(_f32(words[_X]), size)
    out = numba.carray(_f32(words[_OUT]), size)
    r0 = i * per
    r1 = min(rows, r0 + per)
    if kind == SOFTMAX:
        for r in range(r0, r1):
            _softmax_row(x, out, r * d, d)
    elif kind == SOFTMAX_VJP:   # (x: the cotangent, w: the softmax's value)
        ans = numba.carray(_f32(words[_W]), size)
        for r in range(r0, r1):
            _softmax_vjp_row(x, ans, out, r * d, d)
    else:
        w = numba.carray(_f32(words[_W]), d if kind >= LAYER_NORM_W else 1)
        b = numba.carray(_f32(words[_B]), d if kind == LAYER_NORM_WB else 1)
        eps = numba.carray(_f32(words[_EPS]), 1)[0]
        for r in range(r0, r1):
            _layer_norm_row(x, out, w, b, eps, r * d, d, kind)


def takes(x, last=True):
    """Whether the row kernels compute on ``x``: a float32 ndarray (any layout) where the CPU has the
    registers and libmvec has ``exp``."""
    return x.__class__ is np.ndarray and x.dtype == np.float32 and x.ndim >= 1 and vm.supports(np.float32, ["exp"])


def _run(kind, x, w=None, b=None, eps=0.0, out=None):
    x = np.ascontiguousarray(x)
    if out is None or out.shape != x.shape or out.dtype != x.dtype or not out.flags.c_contiguous \
            or np.may_share_memory(out, x):
        out = np.empty_like(x)
    d = x.shape[-1] if x.ndim else 1
    rows = x.size // d if d else 0
    if rows == 0 or d == 0:
        return out
    keep = np.array([eps], np.float32)
    threads = numba.get_num_threads()
    split = threads > 1 and rows > 1 and x.size >= _SPLIT
    per = max(1, -(-rows // (4 * threads))) if split else rows
    words = np.array([x.ctypes.data, out.ctypes.data, 0 if w is None else w.ctypes.data,
                      0 if b is None else b.ctypes.data, keep.ctypes.data, d, rows, per, kind], np.int64)
    call(_part.address, -(-rows // per), words, split)
    return out


def softmax_vjp(g, ans, out=None):
    """``ans * (g - sum(g * ans, axis=-1, keepdims=True))``, softmax's VJP, for float32 arrays of one shape."""
    return _run(SOFTMAX_VJP, g, np.ascontiguousarray(ans), out=out)


def softmax(x, out=None):
    """``softmax(x, axis=-1)`` of a float32 array (:func:`takes`), into ``out`` where it can take it."""
    return _run(SOFTMAX, x, out=out)


def layer_norm(x, weight, bias, eps, out=None):
    """``layer_norm`` over the last axis of a float32 array, ``weight`` and ``bias`` of its length or
    None (a bias without a weight: the caller keeps the primitive's function)."""
    kind = LAYER_NORM if weight is None else (LAYER_NORM_W if bias is None else LAYER_NORM_WB)
    w = None if weight is None else np.ascontiguousarray(weight, np.float32)
    b = None if bias is None else np.ascontiguousarray(bias, np.float32)
    return _run(kind, x, w, b, eps, out)
