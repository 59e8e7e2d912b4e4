"""Numba kernels of the LSTM layer's time steps, for the buffered replay (``_patterns.py``).

The eager ``lstm_layer`` rule runs about ten NumPy calls per time step, forward and backward, on
blocks of a few thousand numbers. Here a step is two calls: its product (one BLAS call from
Python, NumPy's ``matmul``) and one kernel for all of its gate arithmetic, over the ``(N, 4H)``
block with the gates in PyTorch's order (i, f, g, o).

Why not the whole recurrence in one kernel, the products made with ``np.dot`` inside it:
Numba's ``np.dot`` calls SciPy's BLAS, which on the machine measured took 5.2 ms for the 100
forward products of W7 where NumPy's took 4.25 ms; the Python loop around two calls per step
costs less than that difference.

float32 only. ``tanh`` is the odd rational minimax approximation of degree 13/6 on
``[-7.9053, 7.9053]`` (clamped beyond, where float32's tanh rounds to +-1) that Eigen and XLA
use for float32: pure arithmetic, so the loop vectorises (Numba's ``np.tanh`` is a scalar libm
call per number, thirteen times slower than this). It is within 6 ulp of NumPy's ``tanh``
(3.6e-7 absolute), not equal to it bit for bit; sigmoid is ``0.5 + 0.5 tanh(x / 2)`` as in the
rule. NaN propagates (neither clamp comparison holds). ``error_model="numpy"``: a division
without Python's zero check, which would keep the loops from vectorising.

Layouts (C-contiguous rows): ``a, d (N, 4H)`` a step's pre-activations and their cotangents;
``act (N, 5H)`` its activations i, f, g, o and ``tanh(c_t)``, kept for the backward pass;
``c, h, dh, dc (N, H)`` states and their cotangents.
"""
import numba
import numpy as np

__all__ = ["forward_step", "backward_step", "tanh32"]

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
def _activations(a, xp, scale, shift, act, m):
    """``act[:m] = tanh(scale (a + xp)) scale + shift`` over one row: sigmoid where ``scale = shift = 1/2``
    (gates i, f, o), tanh where ``scale = 1, shift = 0`` (gate g). One uniform loop vectorises; a loop
    per gate block over several arrays does not (too many possible overlaps to check)."""
    for j in range(m):
        act[j] = _tanh(scale[j] * (a[j] + xp[j])) * scale[j] + shift[j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _cell(s, c_prev, c, h, n):
    """``c = f c_prev + i g``, ``h = o tanh(c)`` over one row; ``tanh(c)`` kept in ``s[4n:]``."""
    for j in range(n):
        cn = s[n + j] * c_prev[j] + s[j] * s[2 * n + j]
        tc = _tanh(cn)
        c[j] = cn
        h[j] = s[3 * n + j] * tc
        s[4 * n + j] = tc


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _through_cell(s, dh, dc, d, n):
    """``dc += dh o (1 - tanh(c)^2)`` (the cotangent of the step's cell state) and that of o, one row."""
    for j in range(n):
        o, tc, g_ = s[3 * n + j], s[4 * n + j], dh[j]
        dc[j] = dc[j] + g_ * o * (_ONE - tc * tc)
        d[3 * n + j] = g_ * tc * o * (_ONE - o)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _gates(s, c_prev, dc, d, n):
    """The cotangents of i, f, g from the cell state's (``dc``), which becomes that of ``c_{t-1}``."""
    for j in range(n):
        i, f, g, dct = s[j], s[n + j], s[2 * n + j], dc[j]
        d[j] = dct * g * i * (_ONE - i)
        d[n + j] = dct * c_prev[j] * f * (_ONE - f)
        d[2 * n + j] = dct * i * (_ONE - g * g)
        dc[j] = dct * f


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _add(a, b, n):
    for j in range(n):
        a[j] += b[j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def forward_step(a, bias, scale, shift, c_prev, c, z, act):
    """One forward step after its product ``a = [h_{t-1} | x_t] [W_hh | W_ih]^T`` (N, 4H), the
    caller's BLAS call: activations into ``act`` (N, 5H), the cell state into ``c`` (N, H), the
    hidden state into the first H columns of ``z`` (N, H + I), the next step's operand (whole rows
    are passed: a strided (N, H) view would compile to a loop that does not vectorise)."""
    n = c.shape[1]
    for b in range(a.shape[0]):
        _activations(a[b], bias, scale, shift, act[b], 4 * n)
        _cell(act[b], c_prev[b], c[b], z[b], n)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def backward_step(act, c_prev, g, has_g, dh, dc, d):
    """One backward step before its product ``dh = d W_hh`` (the caller's BLAS call)."""
    n = dh.shape[1]
    for b in range(dh.shape[0]):
        if has_g:
            _add(dh[b], g[b], n)
        _through_cell(act[b], dh[b], dc[b], d[b], n)
        _gates(act[b], c_prev[b], dc[b], d[b], n)
