"""Fused pointwise steps of the LSTM and GRU cells.

Why primitives: one LSTM time step written with ``backchain.numpy`` records
about fifteen nodes (four gate slices, three sigmoids, two tanh, products and
sums); a sequence of a hundred steps then spends most of its time recording
and walking nodes. Here the elementwise part of a step is one node (PyTorch's
CPU kernels fuse the same part); the matrix products stay ``nn.linear``.

* ``lstm_cell(gates, c) -> (h, c_new)`` with ``gates = x W_ih^T + b_ih + h W_hh^T + b_hh``
  in PyTorch's order (input, forget, cell, output):
  ``c_new = sigmoid(f) c + sigmoid(i) tanh(g)``, ``h = sigmoid(o) tanh(c_new)``.
* ``gru_cell(xg, hg, h) -> h_new`` with ``xg = x W_ih^T + b_ih``, ``hg = h W_hh^T + b_hh``
  in PyTorch's order (reset, update, new):
  ``n = tanh(x_n + sigmoid(r) h_n)``, ``h_new = (1 - z) n + z h``.

``gates`` and ``xg`` may carry extra leading axes of size 1 (a time slice of a
projected sequence); the result has the shape of the state. The rules recompute
the gate activations from the inputs (cheap, elementwise) instead of storing
them, and are written with ``backchain.numpy``, so every order of derivative works.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .nn import sigmoid

__all__ = ["lstm_cell", "gru_cell"]


def _sig(x):
    return 0.5 + 0.5 * np.tanh(0.5 * x)


# -- LSTM ----------------------------------------------------------------------------------------

def _lstm_cell_impl(gates, c):
    n = c.shape[-1]
    a = gates.reshape(c.shape[:-1] + (4 * n,))
    i, f, o = _sig(a[..., :n]), _sig(a[..., n:2 * n]), _sig(a[..., 3 * n:])
    g = np.tanh(a[..., 2 * n:3 * n])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def _lstm_parts(gates, c):
    """Gate activations, the new cell state's tanh, and the gates in the state's batch shape."""
    n = np.shape(c)[-1]
    a = bnp.reshape(gates, np.shape(c)[:-1] + (4 * n,))
    i, f, o = sigmoid(a[..., :n]), sigmoid(a[..., n:2 * n]), sigmoid(a[..., 3 * n:])
    g = bnp.tanh(a[..., 2 * n:3 * n])
    tc = bnp.tanh(f * c + i * g)
    return i, f, g, o, tc


def _lstm_cell_vjp_gates(ct, ans, gates, c):
    gh, gc = ct
    i, f, g, o, tc = _lstm_parts(gates, c)
    gct = gc + gh * o * (1 - tc * tc)
    d = bnp.concatenate([gct * g * i * (1 - i), gct * c * f * (1 - f), gct * i * (1 - g * g),
                         gh * tc * o * (1 - o)], axis=-1)
    return bnp.reshape(d, np.shape(gates))


def _lstm_cell_vjp_c(ct, ans, gates, c):
    gh, gc = ct
    i, f, g, o, tc = _lstm_parts(gates, c)
    return (gc + gh * o * (1 - tc * tc)) * f


def _lstm_cell_jvp_gates(t, ans, gates, c):
    n = np.shape(c)[-1]
    i, f, g, o, tc = _lstm_parts(gates, c)
    t = bnp.reshape(t, np.shape(c)[:-1] + (4 * n,))
    dc = (t[..., n:2 * n] * f * (1 - f) * c + t[..., :n] * i * (1 - i) * g
          + t[..., 2 * n:3 * n] * (1 - g * g) * i)
    dh = t[..., 3 * n:] * o * (1 - o) * tc + o * (1 - tc * tc) * dc
    return [dh, dc]


def _lstm_cell_jvp_c(t, ans, gates, c):
    i, f, g, o, tc = _lstm_parts(gates, c)
    dc = t * f
    return [o * (1 - tc * tc) * dc, dc]


lstm_cell = primitive(
    "rnn.lstm_cell", _lstm_cell_impl,
    vjp=(_lstm_cell_vjp_gates, _lstm_cell_vjp_c), jvp=(_lstm_cell_jvp_gates, _lstm_cell_jvp_c),
    multiple_results=True,
    doc="The pointwise part of one LSTM step: (gates (..., 4H) in order i, f, g, o; c) -> (h, c_new).",
)


# -- GRU -----------------------------------------------------------------------------------------

def _gru_cell_impl(xg, hg, h):
    n = h.shape[-1]
    x = xg.reshape(h.shape[:-1] + (3 * n,))
    r = _sig(x[..., :n] + hg[..., :n])
    z = _sig(x[..., n:2 * n] + hg[..., n:2 * n])
    new = np.tanh(x[..., 2 * n:] + r * hg[..., 2 * n:])
    return new + z * (h - new)


def _gru_parts(xg, hg, h):
    n = np.shape(h)[-1]
    x = bnp.reshape(xg, np.shape(h)[:-1] + (3 * n,))
    r = sigmoid(x[..., :n] + hg[..., :n])
    z = sigmoid(x[..., n:2 * n] + hg[..., n:2 * n])
    hn = hg[..., 2 * n:]
    new = bnp.tanh(x[..., 2 * n:] + r * hn)
    return r, z, new, hn


def _gru_dpre(g, xg, hg, h):
    """Cotangents of the pre-activations ``(r, z, n)`` and the reset gate."""
    r, z, new, hn = _gru_parts(xg, hg, h)
    dn = g * (1 - z) * (1 - new * new)
    return dn * hn * r * (1 - r), g * (h - new) * z * (1 - z), dn, r


def _gru_cell_vjp_xg(g, ans, xg, hg, h):
    dr, dz, dn, r = _gru_dpre(g, xg, hg, h)
    return bnp.reshape(bnp.concatenate([dr, dz, dn], axis=-1), np.shape(xg))


def _gru_cell_vjp_hg(g, ans, xg, hg, h):
    dr, dz, dn, r = _gru_dpre(g, xg, hg, h)
    return bnp.concatenate([dr, dz, dn * r], axis=-1)


def _gru_cell_vjp_h(g, ans, xg, hg, h):
    r, z, new, hn = _gru_parts(xg, hg, h)
    return g * z


def _gru_tangent(tr, tz, tn_x, tn_h, xg, hg, h):
    """Output tangent from tangents of the r and z pre-activations and of x_n and h_n."""
    r, z, new, hn = _gru_parts(xg, hg, h)
    dr = tr * r * (1 - r)
    dnew = (tn_x + dr * hn + r * tn_h) * (1 - new * new)
    return dnew * (1 - z) + tz * z * (1 - z) * (h - new)


def _gru_cell_jvp_xg(t, ans, xg, hg, h):
    n = np.shape(h)[-1]
    t = bnp.reshape(t, np.shape(h)[:-1] + (3 * n,))
    return _gru_tangent(t[..., :n], t[..., n:2 * n], t[..., 2 * n:], 0.0, xg, hg, h)


def _gru_cell_jvp_hg(t, ans, xg, hg, h):
    n = np.shape(h)[-1]
    return _gru_tangent(t[..., :n], t[..., n:2 * n], 0.0, t[..., 2 * n:], xg, hg, h)


def _gru_cell_jvp_h(t, ans, xg, hg, h):
    r, z, new, hn = _gru_parts(xg, hg, h)
    return t * z


gru_cell = primitive(
    "rnn.gru_cell", _gru_cell_impl,
    vjp=(_gru_cell_vjp_xg, _gru_cell_vjp_hg, _gru_cell_vjp_h),
    jvp=(_gru_cell_jvp_xg, _gru_cell_jvp_hg, _gru_cell_jvp_h),
    doc="The pointwise part of one GRU step: (x W_ih^T + b_ih, h W_hh^T + b_hh, h) -> h_new (order r, z, n).",
)
