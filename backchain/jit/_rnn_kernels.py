"""Numba kernels of the LSTM layer's time steps, for the buffered replay (``_patterns.py``).

The eager ``lstm_layer`` rule runs about ten NumPy calls per time step, forward and backward, on
blocks of a few thousand numbers. Here all the gate arithmetic of a step is one kernel over the
``(4H, N)`` block (gates in PyTorch's order i, f, g, o), and the step's product is either

* computed by the 16-lane tiles inside one kernel for the whole recurrence, where each step is a
  job of the pool (``_pool.post_call``) whose parts are blocks of hidden units: a part computes its
  units' rows of the step's product and then their gates, so that on two cores both share the
  product and the gate arithmetic and exchange only the hidden state (the product's operand)
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
contiguous, and the products are the faster ones for OpenBLAS here): ``z (T + 1, H + I, N)`` the
products' operands (rows h_{t-1}, x_t), a step's contiguous (a step's rows 12.8 kB apart made W7's
forward products 9% slower); ``a (4H, N)`` a step's pre-activations; ``acts (T, 5H, N)``
the activations i, f, g, o and ``tanh(c_t)``, kept for the backward pass; ``cs (T + 1, H, N)`` the
cell states; ``d (4H, T, N)`` the cotangents of the pre-activations, one ``(4H, T N)`` matrix for the
weight gradients; ``dh, dc (H, N)``; for the 16-lane products, ``zz (T + 1, N, >= H + I)`` the
operands again by rows, so that the weight gradients are ``d`` times ``zz`` read as ``(T N, H + I)``.
All C-contiguous.
"""
import numba
import numpy as np

from numba import types

from ._pool import CALL_ARGS, _f32, _finish, post_call
from ._simd import pack_rows, rows_nn, transpose

__all__ = ["forward_step", "backward_step", "forward_simd", "backward_simd", "tanh32", "transpose_steps",
           "units_per_part"]

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
    """Step ``t`` after its product ``a = [W_hh | W_ih] z[t]`` (4H, N), the caller's BLAS call.

    ``acts[t, q] = tanh(scale_q (a_q + bias_q)) scale_q + shift_q`` for the gate rows ``q``: sigmoid
    where ``scale = shift = 1/2`` (i, f, o), tanh where ``scale = 1, shift = 0`` (g); then
    ``c_t = f c_{t-1} + i g`` into ``cs[t + 1]``, ``h_t = o tanh(c_t)`` into ``z[t + 1, :H]`` (the next
    step's operand) and ``tanh(c_t)`` into ``acts[t, 4H:]``; where ``masked`` and ``keep[t, j]`` (1.0: the
    sequence ``j`` has ended) the states carry over instead. The whole arrays are passed, not a step's
    views: a strided view compiles to a loop that does not vectorise."""
    _forward_units(a, bias, scale, shift, cs, z, acts, t, keep, masked, 0, cs.shape[1])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _forward_units(a, bias, scale, shift, cs, z, acts, t, keep, masked, u0, u1):
    """:func:`forward_step` for the hidden units ``u0:u1`` (their four gate rows, their states): what
    one part of a step on the pool computes, the same operations for each unit as the whole step's."""
    n = cs.shape[1]
    cols = a.shape[1]
    for gate in range(4):
        for q in range(gate * n + u0, gate * n + u1):
            sc, sh, bq = scale[q], shift[q], bias[q]
            for j in range(cols):
                acts[t, q, j] = _tanh(sc * (a[q, j] + bq)) * sc + sh
    for u in range(u0, u1):
        for j in range(cols):
            cn = acts[t, n + u, j] * cs[t, u, j] + acts[t, u, j] * acts[t, 2 * n + u, j]
            tc = _tanh(cn)
            cs[t + 1, u, j] = cn
            z[t + 1, u, j] = acts[t, 3 * n + u, j] * tc
            acts[t, 4 * n + u, j] = tc
    if masked:
        for u in range(u0, u1):
            for j in range(cols):
                if keep[t, j] != 0:
                    cs[t + 1, u, j] = cs[t, u, j]
                    z[t + 1, u, j] = z[t, u, j]


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
    _backward_units(acts, cs, g, has_g, dh, dc, t, dt, on, masked, ph, pc, 0, dh.shape[0])
    _keep(dt, d, t, 0, dh.shape[0])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _keep(dt, d, t, u0, u1):
    """The units ``u0:u1``'s four gate rows of ``dt`` (4H, N) copied into ``d[:, t]`` (``d``: (4H, T, N))."""
    n = dt.shape[0] // 4
    for gate in range(4):
        for q in range(gate * n + u0, gate * n + u1):
            for j in range(dt.shape[1]):
                d[q, t, j] = dt[q, j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _backward_units(acts, cs, g, has_g, dh, dc, t, dt, on, masked, ph, pc, u0, u1):
    """:func:`backward_step` for the hidden units ``u0:u1`` (their states' cotangents, their four gate
    rows of ``dt``; :func:`_keep` copies them into ``d`` where it is kept). Writing ``d`` here as well
    kept the loops from vectorising where ``d`` was ``dt`` itself (the arrays overlap: LLVM's run-time
    check sends the loop to its scalar version)."""
    n = dh.shape[0]
    cols = dh.shape[1]
    add_g = has_g
    if masked:
        for u in range(u0, u1):
            for j in range(cols):
                hv = dh[u, j] + g[t, u, j] if has_g else dh[u, j]
                m = on[t, j]
                k = _ONE - m
                ph[u, j] = hv * k
                dh[u, j] = hv * m
                pc[u, j] = dc[u, j] * k
                dc[u, j] = dc[u, j] * m
        add_g = False
    for u in range(u0, u1):
        for j in range(cols):
            gh = dh[u, j] + g[t, u, j] if add_g else dh[u, j]
            o, tc = acts[t, 3 * n + u, j], acts[t, 4 * n + u, j]
            dc[u, j] = dc[u, j] + gh * o * (_ONE - tc * tc)
            v = gh * tc * o * (_ONE - o)
            dt[3 * n + u, j] = v
    for u in range(u0, u1):
        for j in range(cols):
            i, f, gg, dct = acts[t, u, j], acts[t, n + u, j], acts[t, 2 * n + u, j], dc[u, j]
            vi = dct * gg * i * (_ONE - i)
            vf = dct * cs[t, u, j] * f * (_ONE - f)
            vg = dct * i * (_ONE - gg * gg)
            dt[u, j] = vi
            dt[n + u, j] = vf
            dt[2 * n + u, j] = vg
            dc[u, j] = dct * f
    if masked:
        for u in range(u0, u1):
            for j in range(cols):
                dc[u, j] += pc[u, j]


_SIG = types.void(types.CPointer(types.int64), types.int64)

# The words of a forward step's job (after _pool.CALL_ARGS): the arrays' addresses, then numbers.
_FW, _FZ, _FBIAS, _FSCALE, _FSHIFT, _FCS, _FACTS, _FZZ, _FKEEP, _FA = range(10)
_FN, _FR, _FT1, _FCOLS, _FRP, _FSTEP, _FMASKED, _FUB, _FKEEPT, _FKEEPC = range(10, 20)


@numba.cfunc(_SIG, cache=True, error_model="numpy")
def _forward_part(words, i):
    """Part ``i`` of a forward step on the pool: the hidden units ``i ub:(i + 1) ub``, their four gates'
    rows of the product ``a = [W_hh | W_ih] z[t]`` (the 16-lane tiles), then their gate arithmetic
    (:func:`_forward_units`) and their rows of ``zz``. No other part reads what it writes in the step."""
    n, r, t1, cols, rp = words[_FN], words[_FR], words[_FT1], words[_FCOLS], words[_FRP]
    t, ub = words[_FSTEP], words[_FUB]
    u0 = i * ub
    u1 = min(n, u0 + ub)
    wf = numba.carray(_f32(words[_FW]), 4 * n * r)
    zf = numba.carray(_f32(words[_FZ]), r * t1 * cols)
    a = numba.carray(_f32(words[_FA]), (4 * n, cols))
    af = a.reshape(-1)
    for gate in range(4):
        rows_nn(wf, r, 1, zf[t * r * cols:], cols, af, cols, gate * n + u0, gate * n + u1, cols, r, 512)
    z = zf.reshape((t1, r, cols))
    cs = numba.carray(_f32(words[_FCS]), (t1, n, cols))
    acts = numba.carray(_f32(words[_FACTS]), (t1 - 1, 5 * n, cols))
    keep = numba.carray(_f32(words[_FKEEP]), (words[_FKEEPT], words[_FKEEPC]))
    bias = numba.carray(_f32(words[_FBIAS]), 4 * n)
    scale = numba.carray(_f32(words[_FSCALE]), 4 * n)
    shift = numba.carray(_f32(words[_FSHIFT]), 4 * n)
    _forward_units(a, bias, scale, shift, cs, z, acts, t, keep, words[_FMASKED] != 0, u0, u1)
    transpose(zf, ((t + 1) * r + u0) * cols, cols, numba.carray(_f32(words[_FZZ]), t1 * cols * rp),
              (t + 1) * cols * rp + u0, rp, u1 - u0, cols)   # (their rows of zz[t + 1] = z[t + 1].T)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def forward_simd(ctl, fn, ub, w, bias, scale, shift, cs, z, acts, a, zz, keep, masked, x):
    """The whole forward recurrence (batch a multiple of 16), each step a job of the pool whose parts
    are blocks of ``ub`` hidden units (:func:`_forward_part`, at address ``fn``): a part computes its
    units' rows of the step's product and then their gates and states, so the two cores share the
    product and the gate arithmetic, and each reads from the other only the hidden state (the next
    step's operand). The hidden states are also written by rows into ``zz`` (T + 1, N, >= H + I), whose
    rows ``zz[t, n] = z[t, :, n]`` are the weight gradient's operand. The inputs ``x`` (T, N, I) are
    first written into ``z[t, H:]`` (each step's (I, N) block, transposed in registers)."""
    t1, r, cols = z.shape
    zf = z.reshape(-1)
    xf = x.reshape(-1)
    m = x.shape[2]
    for t in range(t1 - 1):
        transpose(xf, t * cols * m, m, zf, (t * r + r - m) * cols, cols, cols, m)
    n = cs.shape[1]
    words = CALL_ARGS
    ctl[words + _FW] = w.ctypes.data; ctl[words + _FZ] = z.ctypes.data  # noqa: E702
    ctl[words + _FBIAS] = bias.ctypes.data; ctl[words + _FSCALE] = scale.ctypes.data  # noqa: E702
    ctl[words + _FSHIFT] = shift.ctypes.data; ctl[words + _FCS] = cs.ctypes.data  # noqa: E702
    ctl[words + _FACTS] = acts.ctypes.data; ctl[words + _FZZ] = zz.ctypes.data  # noqa: E702
    ctl[words + _FKEEP] = keep.ctypes.data  # noqa: E702
    ctl[words + _FA] = a.ctypes.data   # (a step's pre-activations (4H, N), each part its units' rows)
    ctl[words + _FN] = n; ctl[words + _FR] = r; ctl[words + _FT1] = t1; ctl[words + _FCOLS] = cols  # noqa: E702
    ctl[words + _FRP] = zz.shape[2]; ctl[words + _FMASKED] = masked; ctl[words + _FUB] = ub  # noqa: E702
    ctl[words + _FKEEPT] = keep.shape[0]; ctl[words + _FKEEPC] = keep.shape[1]  # noqa: E702
    chunks = (n + ub - 1) // ub
    for t in range(t1 - 1):
        ctl[words + _FSTEP] = t
        _finish(ctl, post_call(ctl, 0, fn, chunks))


# The words of a backward step's jobs (after _pool.CALL_ARGS).
_BACTS, _BCS, _BG, _BDH, _BDC, _BD, _BDT, _BON, _BPH, _BPC, _BDS, _BWT, _BZZ, _BDW = range(14)
_BN, _BSTEPS, _BCOLS, _BSTEP, _BHASG, _BMASKED, _BUB, _BGT, _BGN, _BGC, _BONT, _BONC, _BPHASE, _BDT2 = range(14, 28)
_BKEEPD, _BWEIGHTS, _BRP = range(28, 31)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _weight_rows(cur, zz, dw, n, cols, rp, t, u0, u1, first):
    """The units ``u0:u1``'s four gate rows of the weight gradient ``dw (4H, rp)`` for step ``t``:
    ``dw[q] (+)= d[q, t] zz[t]`` (``cur``: ``d[:, t]`` (4H, N); ``zz[t]`` (N, rp): the step's operands by
    rows), written for the last step (``first``), added for the others: each row a sum over the steps
    from the last back, in that order on any number of threads."""
    cf = cur.reshape(-1)
    zf = zz.reshape(-1)[t * cols * rp:]
    wf = dw.reshape(-1)
    for gate in range(4):
        rows_nn(cf, cols, 1, zf, rp, wf, rp, gate * n + u0, gate * n + u1, rp, cols, 512, not first)


@numba.cfunc(_SIG, cache=True, error_model="numpy")
def _backward_part(words, i):
    """Part ``i`` of a backward step's job on the pool, for the hidden units ``i ub:(i + 1) ub``. The
    job of step ``t`` (``words[_BPHASE] == 1``): their rows of ``dh = W_hh^T d[:, t]`` (the 16-lane
    tiles, reading all of the copy of ``d[:, t]`` that the job before wrote) plus, where masked, the
    carried ``ph``; then step ``t - 1``'s gate arithmetic for the same units (:func:`_backward_units`,
    which reads only their ``dh`` and ``dc``) into the other copy: one job, one wait, per step. The
    first job (``words[_BPHASE] == 0``) is the last step's gate arithmetic alone. Then, for the step
    whose cotangents it wrote, their rows of the bias sum ``ds`` and (``words[_BWEIGHTS]``) of the
    weight gradient (:func:`_weight_rows`), while those rows are in this core's cache; ``d`` (4H, T, N)
    is written only where a product reads it after the recurrence (``words[_BKEEPD]``: the input's
    gradient), else the gate arithmetic writes only the copy."""
    n, steps, cols, t, ub = words[_BN], words[_BSTEPS], words[_BCOLS], words[_BSTEP], words[_BUB]
    u0 = i * ub
    u1 = min(n, u0 + ub)
    masked = words[_BMASKED] != 0
    dh = numba.carray(_f32(words[_BDH]), (n, cols))
    ph = numba.carray(_f32(words[_BPH]), (n, cols))
    # the copies of d[:, t] (the products' operand): the last step's in the first, then alternately
    cur = numba.carray(_f32(words[_BDT] if (steps - 1 - t) % 2 == 0 else words[_BDT2]), (4 * n, cols))
    if words[_BPHASE] == 1:
        wtp = numba.carray(_f32(words[_BWT]), 4 * n * 8 * ((n + 7) // 8))   # (W_hh^T packed: pack_rows)
        rows_nn(wtp, 0, 0, cur.reshape(-1), cols, dh.reshape(-1), cols, u0, u1, cols, 4 * n, 256, False, True)
        if masked:
            for u in range(u0, u1):
                for j in range(cols):
                    dh[u, j] += ph[u, j]
        if t == 0:
            return
        t -= 1
        cur = numba.carray(_f32(words[_BDT2] if (steps - 1 - t) % 2 == 1 else words[_BDT]), (4 * n, cols))
    acts = numba.carray(_f32(words[_BACTS]), (steps, 5 * n, cols))
    cs = numba.carray(_f32(words[_BCS]), (steps + 1, n, cols))
    g = numba.carray(_f32(words[_BG]), (words[_BGT], words[_BGN], words[_BGC]))
    dc = numba.carray(_f32(words[_BDC]), (n, cols))
    on = numba.carray(_f32(words[_BON]), (words[_BONT], words[_BONC]))
    pc = numba.carray(_f32(words[_BPC]), (n, cols))
    ds = numba.carray(_f32(words[_BDS]), (4 * n, cols))
    _backward_units(acts, cs, g, words[_BHASG] != 0, dh, dc, t, cur, on, masked, ph, pc, u0, u1)
    if words[_BKEEPD] != 0:
        _keep(cur, numba.carray(_f32(words[_BD]), (4 * n, steps, cols)), t, u0, u1)
    for gate in range(4):
        for q in range(gate * n + u0, gate * n + u1):
            for j in range(cols):
                ds[q, j] += cur[q, j]
    if words[_BWEIGHTS] != 0:
        rp = words[_BRP]
        _weight_rows(cur, numba.carray(_f32(words[_BZZ]), (steps + 1, cols, rp)),
                     numba.carray(_f32(words[_BDW]), (4 * n, rp)), n, cols, rp, t, u0, u1, t == steps - 1)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def backward_simd(ctl, fn, ub, acts, cs, g, has_g, w_hh, wtp, dh, dc, d, keep_d, dt, dt2, ds, on, masked, ph, pc, zz,
                  dw, weights):
    """The whole backward recurrence, each step one job of the pool whose parts are blocks of ``ub``
    hidden units (:func:`_backward_part`, at address ``fn``): step ``t``'s product ``dh = W_hh^T d[:, t]``
    (on a contiguous copy of ``d[:, t]``, ``dt`` and ``dt2`` in turn), then step ``t - 1``'s gate
    arithmetic; ``ds`` (4H, N) receives the sum of ``d`` over the steps (the bias gradient is then the
    sum of its rows). Where ``weights``, also the weight gradient ``dw = d zz`` (``zz`` (T + 1, N, >= H + I)
    read as (T N, >= H + I)), each part adding its rows for each step as it computes them: the
    cotangents then never leave the cache (W7 on two cores: the backward pass 25% faster than with the
    weight gradient as a separate product, by blocks of steps, over ``d`` written whole). ``d``
    (4H, T, N) is written only where ``keep_d``. ``W_hh^T`` is packed once into ``wtp`` (``_simd.pack_rows``,
    from ``w_hh`` (4H, H) read as a column-major (H, 4H)) for the steps' products ``dh = W_hh^T d[:, t]``,
    which read it at constant offsets (W7 on two cores: the recurrence without the weight gradient
    1.50 -> 1.32 ms; the forward products, read in place, did not gain from it)."""
    steps, cols = acts.shape[0], dt.shape[1]
    n = w_hh.shape[1]
    pack_rows(w_hh.reshape(-1), 1, n, n, 4 * n, wtp)
    ds[:] = 0
    if steps == 0 and weights:
        dw[:] = 0
    words = CALL_ARGS
    ctl[words + _BACTS] = acts.ctypes.data; ctl[words + _BCS] = cs.ctypes.data  # noqa: E702
    ctl[words + _BG] = g.ctypes.data; ctl[words + _BDH] = dh.ctypes.data  # noqa: E702
    ctl[words + _BDC] = dc.ctypes.data; ctl[words + _BD] = d.ctypes.data  # noqa: E702
    ctl[words + _BDT] = dt.ctypes.data; ctl[words + _BDT2] = dt2.ctypes.data  # noqa: E702
    ctl[words + _BON] = on.ctypes.data  # noqa: E702
    ctl[words + _BPH] = ph.ctypes.data; ctl[words + _BPC] = pc.ctypes.data  # noqa: E702
    ctl[words + _BDS] = ds.ctypes.data; ctl[words + _BWT] = wtp.ctypes.data  # noqa: E702
    ctl[words + _BZZ] = zz.ctypes.data; ctl[words + _BDW] = dw.ctypes.data  # noqa: E702
    ctl[words + _BN] = n; ctl[words + _BSTEPS] = steps; ctl[words + _BCOLS] = cols  # noqa: E702
    ctl[words + _BHASG] = has_g; ctl[words + _BMASKED] = masked; ctl[words + _BUB] = ub  # noqa: E702
    ctl[words + _BGT] = g.shape[0]; ctl[words + _BGN] = g.shape[1]; ctl[words + _BGC] = g.shape[2]  # noqa: E702
    ctl[words + _BONT] = on.shape[0]; ctl[words + _BONC] = on.shape[1]  # noqa: E702
    ctl[words + _BKEEPD] = keep_d; ctl[words + _BWEIGHTS] = weights; ctl[words + _BRP] = dw.shape[1]  # noqa: E702
    chunks = (n + ub - 1) // ub
    if steps > 0:   # the last step's gate arithmetic
        ctl[words + _BSTEP] = steps - 1
        ctl[words + _BPHASE] = 0
        _finish(ctl, post_call(ctl, 0, fn, chunks))
    ctl[words + _BPHASE] = 1
    for t in range(steps - 1, -1, -1):
        ctl[words + _BSTEP] = t
        _finish(ctl, post_call(ctl, 0, fn, chunks))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def transpose_steps(src, dst):
    """``dst[t] = src[t].T`` for C-contiguous stacks ``src`` (T, A, B) and ``dst`` (T, B, A): each step's
    matrix transposed in registers (:func:`_simd.transpose`; NumPy's copy of the transposed view moves
    about one number per cycle)."""
    steps, m, n = src.shape
    sf = src.reshape(-1)
    df = dst.reshape(-1)
    for t in range(steps):
        transpose(sf, t * m * n, n, df, t * m * n, m, m, n)


def units_per_part(n, threads):
    """Hidden units per part of a step's jobs: the whole layer on one thread; on several, a block of a
    multiple of 8 units (whole row tiles of each gate) per thread (W7 on two cores: blocks of 64 units
    3-6% faster than of 32)."""
    if threads <= 1:
        return n
    return max(8, -(-n // (threads * 8)) * 8)
