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
import threading
import weakref

import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .nn import sigmoid

__all__ = ["lstm_cell", "gru_cell", "lstm_layer"]


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


# -- a whole LSTM layer (one direction) as one node ----------------------------------------------
#
# Why: backpropagation through time with one node per step pays the recording and walking of
# every step, and one small weight-gradient product per step. As one node, the backward pass
# recomputes the gate activations of all steps at once (one large product with weight_hh), runs
# only the truly sequential part step by step (one product per step), and forms the gradient of
# weight_hh with one large product over all steps.
#
# The rules take either plain arrays (a first-order backward pass: NumPy) or Tensors (higher
# order: recorded through backchain.numpy); ``_lib`` picks the namespace, so one text serves both.

def _lib(*arrays):
    from .._core.tensor import Tensor
    return bnp if any(isinstance(a, Tensor) for a in arrays) else np


class _Residuals:
    """Gate activations saved by the forward pass for the backward pass, keyed by the output array.

    NOTE: an ndarray cannot carry attributes and the rule receives only the outputs, so the
    activations are kept here under a weak reference to the hidden-state output: they live as
    long as that output (the graph) does, and the backward pass uses them instead of recomputing.
    """

    def __init__(self):
        self.saved = {}

    def put(self, key, value):
        k = id(key)
        self.saved[k] = (weakref.ref(key, lambda _, k=k: self.saved.pop(k, None)), value)

    def get(self, key):
        entry = self.saved.get(id(key))
        return entry[1] if entry is not None and entry[0]() is key else None


_residuals = _Residuals()


# The sigmoid gates' pre-activations are halved in the weights and inputs, so that one tanh over
# all four gates and one affine map give every activation: sigmoid(x) = (1 + tanh(x / 2)) / 2, and
# the cell gate is then mapped back from (1 + tanh) / 2 to tanh.


def _lstm_layer_impl(xp, h0, c0, w_hh, b_hh):
    steps = xp.shape[0]
    n = h0.shape[-1]
    dtype = np.result_type(xp, h0, c0, w_hh)
    # weights and inputs plus bias with the sigmoid gates halved
    w = np.empty((4 * n, n), dtype=dtype)   # used transposed: the faster layout for OpenBLAS here
    scale = np.full(4 * n, 0.5, dtype=dtype)
    scale[2 * n:3 * n] = 1.0
    np.multiply(w_hh, scale[:, None], out=w)
    acts = np.add(xp, b_hh, dtype=dtype) if b_hh is not None else xp.astype(dtype, copy=True)
    acts *= scale
    # states with the initial one in front: the previous states of all steps are a view
    hbuf = np.empty((steps + 1,) + h0.shape, dtype=dtype)
    cbuf = np.empty_like(hbuf)
    tcs = np.empty((steps,) + h0.shape, dtype=dtype)
    hbuf[0] = h0
    cbuf[0] = c0
    wt = w.T
    prod = np.empty(xp.shape[1:], dtype=dtype)
    ig = np.empty(h0.shape, dtype=dtype)
    for t in range(steps):
        a = acts[t]
        np.matmul(hbuf[t], wt, out=prod)
        a += prod
        np.tanh(a, out=a)
        a *= 0.5                        # contiguous: faster than the sigmoid gates alone
        a += 0.5
        g = a[..., 2 * n:3 * n]
        g *= 2.0
        g -= 1.0
        c = cbuf[t + 1]
        np.multiply(a[..., n:2 * n], cbuf[t], out=c)
        np.multiply(a[..., :n], g, out=ig)
        c += ig
        tc = tcs[t]
        np.tanh(c, out=tc)
        np.multiply(a[..., 3 * n:], tc, out=hbuf[t + 1])
    hs, cs = hbuf[1:], cbuf[1:]
    _residuals.put(hs, (acts, tcs, hbuf, cbuf))
    return hs, cs


def _lstm_layer_recompute(lib, xp, h0, c0, w_hh, b_hh, hs, cs):
    """Previous states and gate activations of every step, from the outputs: one large product."""
    n = np.shape(h0)[-1]
    hprev = lib.concatenate([lib.expand_dims(h0, 0), hs[:-1]], axis=0)
    cprev = lib.concatenate([lib.expand_dims(c0, 0), cs[:-1]], axis=0)
    a = xp + lib.matmul(hprev, lib.swapaxes(w_hh, 0, 1))
    if b_hh is not None:
        a = a + b_hh
    i, f, o = _sigm(lib, a[..., :n]), _sigm(lib, a[..., n:2 * n]), _sigm(lib, a[..., 3 * n:])
    g = lib.tanh(a[..., 2 * n:3 * n])
    return hprev, cprev, i, f, g, o, lib.tanh(cs)


def _sigm(lib, x):
    return 0.5 + 0.5 * lib.tanh(0.5 * x)


class _JointCache(threading.local):
    key = None
    value = None


_joint = _JointCache()


def _lstm_layer_vjp_all(ct, ans, xp, h0, c0, w_hh, b_hh):
    """Cotangents of every input at once; the per-input rules share one evaluation per backward step.

    NOTE: the engine calls the rule of each input of a node in turn with the same cotangent
    list ``ct``; the cache holds that list (so its identity cannot be reused) and the result.
    """
    if _joint.key is ct:
        return _joint.value
    gh, gc = ct
    if isinstance(ans, tuple):
        hs, cs = ans
    else:  # higher order: the outputs as recorded functions of the inputs
        hs, cs = lstm_layer(xp, h0, c0, w_hh, b_hh)
    lib = _lib(gh, gc, hs, cs, xp, h0, c0, w_hh, b_hh)
    if lib is np:
        _joint.key, _joint.value = ct, _lstm_layer_vjp_numpy(gh, gc, hs, cs, xp, h0, c0, w_hh, b_hh)
        return _joint.value
    hprev, cprev, i, f, g, o, tc = _lstm_layer_recompute(lib, xp, h0, c0, w_hh, b_hh, hs, cs)
    steps = np.shape(xp)[0]
    # elementwise factors of all steps at once; only the recurrence runs step by step
    do = gh * tc * o * (1 - o)
    dc_from_h = gh * o * (1 - tc * tc)
    oc = o * (1 - tc * tc)
    di_f, df_f, dg_f = g * i * (1 - i), cprev * f * (1 - f), i * (1 - g * g)
    dgates = [None] * steps
    dh = dc = None
    for t in range(steps - 1, -1, -1):
        if dh is None:
            dct = gc[t] + dc_from_h[t]
            dot = do[t]
        else:
            dct = gc[t] + dc_from_h[t] + dh * oc[t] + dc
            dot = do[t] + dh * tc[t] * o[t] * (1 - o[t])
        d = lib.concatenate([dct * di_f[t], dct * df_f[t], dct * dg_f[t], dot], axis=-1)
        dgates[t] = d
        dc = dct * f[t]
        dh = lib.matmul(d, w_hh)  # the cotangent of h_{t-1} through step t
    dgs = lib.stack(dgates, axis=0)
    flat = lambda a: lib.reshape(a, (-1, np.shape(a)[-1]))
    dw = lib.matmul(lib.swapaxes(flat(dgs), 0, 1), flat(hprev))
    db = None if b_hh is None else lib.sum(flat(dgs), axis=0)
    _joint.key, _joint.value = ct, (dgs, dh, dc, dw, db)
    return _joint.value


def _lstm_layer_vjp_numpy(gh, gc, hs, cs, xp, h0, c0, w_hh, b_hh):
    """The same backward pass as :func:`_lstm_layer_vjp_all` on plain arrays, written in place."""
    n = h0.shape[-1]
    steps = xp.shape[0]
    saved = _residuals.get(hs)
    if saved is None:
        hprev, cprev, i, f, g, o, tc = _lstm_layer_recompute(np, xp, h0, c0, w_hh, b_hh, hs, cs)
    else:
        acts, tc, hbuf, cbuf = saved
        hprev, cprev = hbuf[:-1], cbuf[:-1]
        i, f, g, o = (acts[..., k * n:(k + 1) * n] for k in range(4))
    dtype = np.result_type(gh, gc, xp, w_hh, i)
    # elementwise factors of all steps at once, in PyTorch's gate order (i, f, g, o):
    # the gate cotangents are (dc, dc, dc, dh) times these; only the recurrence runs step by step
    dgs = np.empty(xp.shape, dtype=dtype)
    fi, ff, fg, fo = (dgs[..., k * n:(k + 1) * n] for k in range(4))
    np.subtract(1, i, out=fi)
    fi *= i
    fi *= g
    np.subtract(1, f, out=ff)
    ff *= f
    ff *= cprev
    np.multiply(g, g, out=fg)
    np.subtract(1, fg, out=fg)
    fg *= i
    oc = np.multiply(tc, tc, dtype=dtype)   # d h_t / d c_t = o (1 - tanh(c)^2)
    np.subtract(1, oc, out=oc)
    oc *= o
    np.subtract(1, o, out=fo)
    fo *= o
    fo *= tc
    d4 = dgs.reshape(dgs.shape[:-1] + (4, n))
    dh = np.array(gh[steps - 1], dtype=dtype)
    dc = np.array(gc[steps - 1], dtype=dtype)
    dct = np.empty_like(dh)
    for t in range(steps - 1, -1, -1):
        np.multiply(dh, oc[t], out=dct)
        dct += dc
        d = d4[t]
        d[..., :3, :] *= dct[..., None, :]
        d[..., 3, :] *= dh
        np.multiply(dct, f[t], out=dc)
        np.matmul(dgs[t], w_hh, out=dh)  # the cotangent of h_{t-1} through step t
        if t > 0:
            dh += gh[t - 1]
            dc += gc[t - 1]
    flat = dgs.reshape(-1, dgs.shape[-1])
    dw = flat.T @ hprev.reshape(-1, n)
    db = None if b_hh is None else flat.sum(axis=0)
    return dgs, dh, dc, dw, db


def _lstm_layer_jvp_all(txp, th0, tc0, tw, tb, xp, h0, c0, w_hh, b_hh, hs, cs):
    """Tangents of all hidden and cell states from tangents of the inputs (None: zero)."""
    lib = _lib(txp, th0, tc0, tw, tb, xp, h0, c0, w_hh, b_hh, hs, cs)
    hprev, cprev, i, f, g, o, tc = _lstm_layer_recompute(lib, xp, h0, c0, w_hh, b_hh, hs, cs)
    n = np.shape(h0)[-1]
    steps = np.shape(xp)[0]
    zero = lambda: lib.zeros_like(h0)
    dh = zero() if th0 is None else th0
    dc = zero() if tc0 is None else tc0
    dhs, dcs = [], []
    for t in range(steps):
        da = lib.matmul(dh, lib.swapaxes(w_hh, 0, 1))
        if txp is not None:
            da = da + txp[t]
        if tw is not None:
            da = da + lib.matmul(hprev[t], lib.swapaxes(tw, 0, 1))
        if tb is not None:
            da = da + tb
        di = da[..., :n] * i[t] * (1 - i[t])
        df = da[..., n:2 * n] * f[t] * (1 - f[t])
        dg = da[..., 2 * n:3 * n] * (1 - g[t] * g[t])
        dout = da[..., 3 * n:] * o[t] * (1 - o[t])
        dc = df * cprev[t] + f[t] * dc + di * g[t] + i[t] * dg
        dh = dout * tc[t] + o[t] * (1 - tc[t] * tc[t]) * dc
        dhs.append(dh)
        dcs.append(dc)
    return [lib.stack(dhs, axis=0), lib.stack(dcs, axis=0)]


def _lstm_layer_jvp(k):
    def rule(t, ans, xp, h0, c0, w_hh, b_hh):
        tangents = [None] * 5
        tangents[k] = t
        hs, cs = ans if isinstance(ans, tuple) else lstm_layer(xp, h0, c0, w_hh, b_hh)
        return _lstm_layer_jvp_all(*tangents, xp, h0, c0, w_hh, b_hh, hs, cs)
    return rule


def _lstm_layer_vjp(k):
    def rule(ct, ans, xp, h0, c0, w_hh, b_hh):
        return _lstm_layer_vjp_all(ct, ans, xp, h0, c0, w_hh, b_hh)[k]
    return rule


lstm_layer = primitive(
    "rnn.lstm_layer", _lstm_layer_impl,
    vjp=tuple(_lstm_layer_vjp(k) for k in range(5)), jvp=tuple(_lstm_layer_jvp(k) for k in range(5)),
    multiple_results=True,
    doc="One direction of an LSTM layer over a sequence: (x W_ih^T + b_ih (T, N, 4H), h0, c0, W_hh, b_hh) -> "
        "(all hidden states (T, N, H), all cell states (T, N, H)).",
)
