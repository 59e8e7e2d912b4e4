"""Numba kernels of the LSTM layer's time steps, for the buffered replay (``_patterns.py``).

The eager ``lstm_layer`` rule runs about ten NumPy calls per time step, forward and backward, on
blocks of a few thousand numbers. Here all the gate arithmetic of a step is one kernel over the
``(4H, N)`` block (gates in PyTorch's order i, f, g, o), and the step's product is either

* a call of :func:`_pool.gemm_nn` inside one kernel for the whole recurrence (its rows split across
  the pool's workers on several threads)
  (:func:`forward_simd`, :func:`backward_simd`: CPUs with AVX-512, batch a multiple of 16), or
* a BLAS call from Python (NumPy's ``matmul``) between two kernel calls per step: Numba's own
  ``np.dot`` calls SciPy's BLAS, which took 5.2 ms for the 100 forward products of W7 where
  NumPy's took 4.25 ms, more than the Python loop around the calls costs.

float32 only. ``tanh`` is the odd rational minimax approximation of degree 13/6 on
``[-7.9053, 7.9053]`` (clamped beyond, where float32's tanh rounds to +-1) that Eigen and XLA
use for float32: pure arithmetic, so the loop vectorises (Numba's ``np.tanh`` is a scalar libm
call per number, thirteen times slower than this). It is within 6 ulp of NumPy's ``tanh``
(3.6e-7 absolute), not equal to it bit for bit; sigmoid is ``0.5 + 0.5 tanh(x / 2)`` as in the
rule. NaN propagates (neither clamp comparison holds). ``error_model="numpy"``: a division
without Python's zero check, which would keep the loops from vectorising.

Layouts (the rule's, ``_rules/rnn.py``: hidden units first, so that a gate's block of a step is
contiguous, and the products are the faster ones for OpenBLAS here): ``z (H + I, T + 1, N)`` the
products' operands (rows h_{t-1}, x_t); ``a (4H, N)`` a step's pre-activations; ``acts (T, 5H, N)``
the activations i, f, g, o and ``tanh(c_t)``, kept for the backward pass; ``cs (T + 1, H, N)`` the
cell states; ``d (4H, T, N)`` the cotangents of the pre-activations, one ``(4H, T N)`` matrix for the
weight gradients; ``dh, dc (H, N)``; for the 16-lane products, ``zz (T + 1, N, >= H + I)`` the
operands again by rows, so that the weight gradients are ``d`` times ``zz`` read as ``(T N, H + I)``.
All C-contiguous.
"""
import numba
import numpy as np

from ._pool import BG, DONE, _finish, _load, gemm_nn, parts, post_nn, post_stack

__all__ = ["forward_step", "backward_step", "forward_simd", "backward_simd", "tanh32"]

_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_CLAMP = np.float32(7.90531110763549805)
_A1 = np.float32(4.89352455891786e-03)
_A3 = np.float32(6.37261928875436e-04)
_A5 = np.float32(1.48572235717979e-05)
_A7 = np.float32(5.12229709037114e-08)
_A9 = np.float32(-8.60467152213735e-11)
_A11 = np.float32(2.00018790482477e-13)
_A13 = np.float32(-2.76076847742355e-16)
_B0 = np.float32(4.89352518554385e-03)
_B2 = np.float32(2.26843463243900e-03)
_B4 = np.float32(1.18534705686654e-04)
_B6 = np.float32(1.19825839466702e-06)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _tanh(v):
    """float32 tanh: p(x) / q(x) on the clamped argument (NaN stays NaN: neither comparison holds)."""
    x = _CLAMP if v > _CLAMP else v
    x = -_CLAMP if x < -_CLAMP else x
    x2 = x * x
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    p = x * p
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return p / q


@numba.njit(cache=True, nogil=True, error_model="numpy")
def tanh32(x, out):
    """``out = tanh(x)`` over flat float32 arrays, with the kernels' tanh (for tests)."""
    for i in range(x.shape[0]):
        out[i] = _tanh(x[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def forward_step(a, bias, scale, shift, cs, z, acts, t, keep, masked):
    """Step ``t`` after its product ``a = [W_hh | W_ih] z[:, t]`` (4H, N), the caller's BLAS call.

    ``acts[t, q] = tanh(scale_q (a_q + bias_q)) scale_q + shift_q`` for the gate rows ``q``: sigmoid
    where ``scale = shift = 1/2`` (i, f, o), tanh where ``scale = 1, shift = 0`` (g); then
    ``c_t = f c_{t-1} + i g`` into ``cs[t + 1]``, ``h_t = o tanh(c_t)`` into ``z[:H, t + 1]`` (the next
    step's operand) and ``tanh(c_t)`` into ``acts[t, 4H:]``; where ``masked`` and ``keep[t, j]`` (1.0: the
    sequence ``j`` has ended) the states carry over instead. The whole arrays are passed, not a step's
    views: a strided view compiles to a loop that does not vectorise."""
    n = cs.shape[1]
    cols = a.shape[1]
    for q in range(4 * n):
        sc, sh, bq = scale[q], shift[q], bias[q]
        for j in range(cols):
            acts[t, q, j] = _tanh(sc * (a[q, j] + bq)) * sc + sh
    for u in range(n):
        for j in range(cols):
            cn = acts[t, n + u, j] * cs[t, u, j] + acts[t, u, j] * acts[t, 2 * n + u, j]
            tc = _tanh(cn)
            cs[t + 1, u, j] = cn
            z[u, t + 1, j] = acts[t, 3 * n + u, j] * tc
            acts[t, 4 * n + u, j] = tc
    if masked:
        for u in range(n):
            for j in range(cols):
                if keep[t, j] != 0:
                    cs[t + 1, u, j] = cs[t, u, j]
                    z[u, t + 1, j] = z[u, t, j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def backward_step(acts, cs, g, has_g, dh, dc, d, t, dt, on, masked, ph, pc):
    """Step ``t`` of the backward recurrence, before its product ``dh = W_hh^T d[:, t]`` (the caller's):
    from the cotangents ``dh``, ``dc`` (H, N) of the states carried out of the step (plus ``g[t]``, the
    output's, where ``has_g``), those of the pre-activations into ``d[:, t]`` (``d``: (4H, T, N)), and
    ``dc`` becomes that of ``c_{t-1}``; ``dt`` (4H, N) receives a contiguous copy of ``d[:, t]``, the
    operand of the step's product (a product reading ``d[:, t]`` itself, rows 12.8 kB apart, ran 30%
    slower in W7). Two passes of few arrays each (one pass over all of them does not vectorise).

    Where ``masked``: ``on[t, j]`` is 1.0 where the sequence ``j`` ran step ``t``, 0.0 where its states
    carried over; there the carried cotangents pass to step ``t - 1`` unchanged (``ph``, ``pc`` (H, N):
    ``dc`` gets ``pc`` here, the caller adds ``ph`` to ``dh`` after the product) and the step's own
    states get none, as in the rule (``g`` already 0 there)."""
    n = dh.shape[0]
    cols = dh.shape[1]
    add_g = has_g
    if masked:
        for u in range(n):
            for j in range(cols):
                hv = dh[u, j] + g[t, u, j] if has_g else dh[u, j]
                m = on[t, j]
                k = _ONE - m
                ph[u, j] = hv * k
                dh[u, j] = hv * m
                pc[u, j] = dc[u, j] * k
                dc[u, j] = dc[u, j] * m
        add_g = False
    for u in range(n):
        for j in range(cols):
            gh = dh[u, j] + g[t, u, j] if add_g else dh[u, j]
            o, tc = acts[t, 3 * n + u, j], acts[t, 4 * n + u, j]
            dc[u, j] = dc[u, j] + gh * o * (_ONE - tc * tc)
            v = gh * tc * o * (_ONE - o)
            d[3 * n + u, t, j] = v
            dt[3 * n + u, j] = v
    for u in range(n):
        for j in range(cols):
            i, f, gg, dct = acts[t, u, j], acts[t, n + u, j], acts[t, 2 * n + u, j], dc[u, j]
            vi = dct * gg * i * (_ONE - i)
            vf = dct * cs[t, u, j] * f * (_ONE - f)
            vg = dct * i * (_ONE - gg * gg)
            d[u, t, j] = vi
            d[n + u, t, j] = vf
            d[2 * n + u, t, j] = vg
            dt[u, j] = vi
            dt[n + u, j] = vf
            dt[2 * n + u, j] = vg
            dc[u, j] = dct * f
    if masked:
        for u in range(n):
            for j in range(cols):
                dc[u, j] += pc[u, j]


# Steps per block of the products that the recurrences hand to the pool's background slot: the
# forward's input projections, a block ahead of the steps; the backward's weight gradient, as the
# steps' cotangents are ready (the blocks, from the last steps back, are added in that order whichever
# threads run them).
_BLOCK = 10


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _input_block(ctl, j, w, z, px, aoffs, boffs, n):
    """Post block ``j`` of the input projections ``px[t] = W_ih x_t`` (steps ``[j B, (j + 1) B)``, one
    matrix of a stack each) in the background slot; the number of its parts."""
    r, t1, cols = z.shape
    m4 = w.shape[0]
    lo = j * _BLOCK
    hi = min(t1 - 1, lo + _BLOCK)
    return post_stack(ctl, BG, 1, w.reshape(-1), aoffs[lo:hi], r, 1, z.reshape(-1), boffs[lo:hi], t1 * cols, False,
                      px.reshape(-1)[lo * m4 * cols:], m4, cols, r - n, hi - lo, 512)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def forward_simd(ctl, w, bias, scale, shift, cs, z, acts, px, zz, keep, masked):
    """The whole forward recurrence (batch a multiple of 16). The input projections ``px[t] = W_ih x_t``
    (``px`` (T, 4H, N)) by blocks of steps in ``ctl``'s background slot, a block ahead of the step that
    needs it (the pool's workers compute them while this thread runs the gate arithmetic); then each
    step's ``px[t] += W_hh h_{t-1}`` by :func:`_pool.gemm_nn` (on the workers of ``ctl`` too) and its
    gates. The hidden states are also written by rows into ``zz`` (T + 1, N, >= H + I), whose rows
    ``zz[t, n] = z[:, t, n]`` are the weight gradient's operand (a product of the 16-lane kernels
    reads it as ``(T N, H + I)``)."""
    r, t1, cols = z.shape
    m4 = w.shape[0]
    n = cs.shape[1]
    steps = t1 - 1
    wf, zf, pf = w.reshape(-1), z.reshape(-1), px.reshape(-1)
    aoffs = np.full(steps, n, np.int64)                        # W_ih: the columns n: of [W_hh | W_ih]
    boffs = n * t1 * cols + np.arange(steps) * cols            # x_t: the rows n: of z[:, t]
    blocks = (steps + _BLOCK - 1) // _BLOCK
    npart = _input_block(ctl, 0, w, z, px, aoffs, boffs, n)
    for t in range(steps):
        if t % _BLOCK == 0:   # this step's block (the one in flight): finish it, post the next
            _finish(ctl, npart, BG)
            if t // _BLOCK + 1 < blocks:
                npart = _input_block(ctl, t // _BLOCK + 1, w, z, px, aoffs, boffs, n)
        gemm_nn(ctl, wf, 0, r, zf, t * cols, t1 * cols, pf, t * m4 * cols, cols, m4, cols, n, 256, True)
        forward_step(px[t], bias, scale, shift, cs, z, acts, t, keep, masked)
        for u in range(n):   # (reading rows of z, writing within a block of zz that stays in cache)
            for j in range(cols):
                zz[t + 1, j, u] = z[u, t + 1, j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _weight_block(ctl, j, d, zz, dw, steps, cols):
    """Post block ``j`` of the weight gradient ``dw (4H, >= H + I) = d (4H, T N) zz (T N, >= H + I)``:
    the steps ``[max(0, T - (j + 1) B), T - j B)``, added to ``dw`` (written, for the first block) in
    the background slot; the number of its parts."""
    m4, rp = dw.shape
    lo = max(0, steps - (j + 1) * _BLOCK)
    hi = steps - j * _BLOCK
    per = parts(m4, 8, rp * (hi - lo) * cols, 1 << 21)   # (parts of about 2^21 multiply-adds)
    return post_nn(ctl, BG, per, d.reshape(-1)[lo * cols:], steps * cols, 1, zz.reshape(-1)[lo * cols * rp:], rp,
                   dw.reshape(-1), rp, m4, rp, (hi - lo) * cols, 512, j > 0)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def backward_simd(ctl, acts, cs, g, has_g, wt, dh, dc, d, dt, ds, on, masked, ph, pc, zz, dw, weights):
    """The whole backward recurrence, each step's product ``dh = W_hh^T d[:, t]`` by :func:`_pool.gemm_nn`
    (on its contiguous copy ``dt``); ``ds`` (4H, N) receives the sum of ``d`` over the steps (the bias
    gradient is then the sum of its rows). Where ``weights``, also the weight gradient ``dw = d zz``
    (``zz`` (T + 1, N, >= H + I) read as (T N, >= H + I)), by blocks of steps in ``ctl``'s background slot
    as the recurrence passes them: the pool's workers compute it while this thread runs the steps'
    gate arithmetic, which no worker shares."""
    m4, steps, cols = d.shape
    n = wt.shape[0]
    wf, tf, hf = wt.reshape(-1), dt.reshape(-1), dh.reshape(-1)
    ds[:] = 0
    blocks = (steps + _BLOCK - 1) // _BLOCK
    ready = posted = npart = 0
    for t in range(steps - 1, -1, -1):
        backward_step(acts, cs, g, has_g, dh, dc, d, t, dt, on, masked, ph, pc)
        gemm_nn(ctl, wf, 0, m4, tf, 0, cols, hf, 0, cols, n, cols, m4)
        if masked:
            for u in range(n):
                for j in range(cols):
                    dh[u, j] += ph[u, j]
        for q in range(m4):
            for j in range(cols):
                ds[q, j] += dt[q, j]
        if weights:
            if t == max(0, steps - (ready + 1) * _BLOCK):
                ready += 1
            if posted < ready and (posted == 0 or _load(ctl, BG + DONE) >= npart):
                npart = _weight_block(ctl, posted, d, zz, dw, steps, cols)
                posted += 1
    if weights:
        while posted < blocks:
            _finish(ctl, npart, BG)
            npart = _weight_block(ctl, posted, d, zz, dw, steps, cols)
            posted += 1
        _finish(ctl, npart, BG)
