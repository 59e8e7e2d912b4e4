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

* ``lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh) -> (hs, h_T, c_T)``: one direction of a
  whole LSTM layer over a (T, N, I) sequence, input projection included, as one node
  (what ``nn.LSTM`` runs without masks or projection); see the notes at its definition.
  The last states are results of their own, so that using them (``h_n``, ``c_n``) sends
  the rule a small cotangent instead of a (T, N, H) array of zeros around one row.
"""
import weakref

import numpy as np

import backchain.numpy as bnp
from .._core import scratch as _scratch
from .._core.primitive import Joint, primitive
from .._vmap import rules as R
from .nn import sigmoid

__all__ = ["lstm_cell", "gru_cell", "lstm_layer", "gru_layer", "rnn_tanh_layer"]


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
    batch=R.stacks,
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
    batch=R.stacks,
)


# -- a whole LSTM layer (one direction) as one node ----------------------------------------------
#
# Why: backpropagation through time with one node per step pays the recording and walking of
# every step, and one small weight-gradient product per step. As one node, the input projection
# of all steps is one batched product, only the truly sequential part runs step by step (one
# product per step, forward and backward), and the weight gradients are one large product each
# over all steps.
#
# The rules take either plain arrays (a first-order backward pass: NumPy) or Tensors (higher
# order: recorded through backchain.numpy); ``_lib`` picks the namespace, so one text serves both
# (``_lstm_layer_vjp_all``, ``_lstm_layer_jvp_all``). The first-order backward pass on arrays has
# its own in-place text (``_NumpyCotangents``), and so has the forward pass (``_lstm_forward``).

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


# The forward pass on arrays (``_lstm_forward``) works in a layout of its own, chosen for NumPy:
#
# * states and gates are stored transposed, hidden units first: h as (H, N), the gates of a step
#   as (4H, N); then every gate of a step is one contiguous block (an elementwise call on a
#   contiguous block costs a quarter of one on a strided slice of the (N, 4H) rows), and the
#   products ``W @ h`` and ``W^T @ dgates`` are the faster ones for OpenBLAS here;
# * one product per step gives the whole pre-activation: the operand ``z[:, t]`` stacks h_{t-1},
#   x_t and (with a bias) a row of ones, the weight ``[W_hh | W_ih | b]`` (the input projection
#   and bias then cost no separate pass, and no addition per step); the new state is written
#   into ``z[:H, t + 1]``, and in the backward pass ``z`` gives every weight and bias gradient
#   as one product;
# * the gates are reordered (i, f, o, g) so that the three sigmoid gates are one block, and their
#   rows of the weights are halved: one tanh over all four gates then gives every activation,
#   sigmoid(v) = (1 + tanh(v / 2)) / 2 being one multiply and one add on that block.
#
# ``_order`` maps internal rows to PyTorch's (i, f, g, o); the outputs are transposed views.

def _order(n):
    return np.concatenate([np.arange(2 * n), np.arange(3 * n, 4 * n), np.arange(2 * n, 3 * n)])


def _packed(w, order, scale):
    """Rows of ``w`` in the internal gate order, the sigmoid gates' rows halved (``scale``)."""
    out = np.take(w, order, axis=0)
    if scale is not None:
        out[:3 * (len(order) // 4)] *= scale
    return out


def _bias(b_ih, b_hh):
    return b_ih if b_hh is None else (b_hh if b_ih is None else np.add(b_ih, b_hh))


def _bias_cotangents(lib, flat, need_ih, need_hh):
    """The cotangents of b_ih and b_hh: equal, but two arrays (a leaf's may be accumulated in place)."""
    db = lib.sum(flat, axis=0) if need_ih or need_hh else None
    return db, (db.copy() if lib is np and need_ih and need_hh else db)


def _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=None):
    """The forward pass on arrays: activations (T, 5H, N) (gates i, f, o, g and tanh(c)), the
    products' operands z (H + I [+ 1], T + 1, N) (rows h_{t-1}, x_t, ones) and c (T + 1, H, N).
    Where ``mask`` (T, N) is False the states are carried over (z and c hold the carried ones)."""
    steps, batch, m = x.shape
    n = h0.shape[-1]
    bias = _bias(b_ih, b_hh)
    dtype = np.result_type(x, h0, c0, w_ih, w_hh, *(() if bias is None else (bias,)))
    rows = n + m + (bias is not None)
    w = np.empty((4 * n, rows), dtype=dtype)
    w[:, :n] = w_hh
    w[:, n:n + m] = w_ih
    if bias is not None:
        w[:, n + m] = bias
    half = dtype.type(0.5)
    w = _packed(w, _order(n), half)
    # z as (rows, T + 1, N): the operands of all steps are then one (rows, T N) matrix, for the
    # weight gradients; a step's (rows, N) slice is a strided view that the products read as it is
    z = _scratch.empty((rows, steps + 1, batch), dtype)
    z[:n, 0] = h0.T
    z[n:n + m, :steps] = x.transpose(2, 0, 1)
    if bias is not None:
        z[n + m, :steps] = 1
    z[n:, steps] = 0                    # read by no product; defined all the same
    # a step's activations: the gates i, f, o, g, then tanh(c) (the backward pass's factors
    # 1 - g^2 and 1 - tanh(c)^2 are then one call on one block)
    acts = _scratch.empty((steps, 5 * n, batch), dtype)
    cb = _scratch.empty((steps + 1, n, batch), dtype)
    cb[0] = c0.T
    ig = np.empty((n, batch), dtype=dtype)
    multiply, tanh, matmul = np.multiply, np.tanh, np.matmul
    keep = _kept_steps(mask, steps)
    # a step's views, made by iterating (cheaper than indexing): operand, activations, states
    for k, zt, a, s, (i, f, o, g, tc), c_prev, c, h in zip(
            keep, z.transpose(1, 0, 2), acts[:, :4 * n], acts[:, :3 * n], acts.reshape(steps, 5, n, batch),
            cb, cb[1:], z[:n, 1:].transpose(1, 0, 2)):
        matmul(w, zt, out=a)
        tanh(a, a)
        multiply(s, half, s)            # i, f, o: sigmoid from tanh of the halved pre-activation
        s += half
        multiply(f, c_prev, c)
        multiply(i, g, ig)
        c += ig
        tanh(c, tc)
        multiply(o, tc, h)
        if k is not None:               # sequences past their end: the states carry over
            np.copyto(c, c_prev, where=k)
            np.copyto(h, zt[:n], where=k)
    return acts, z, cb


def _check_mask(op, mask, x):
    if mask is not None and np.shape(mask) != np.shape(x)[:2]:
        raise ValueError(f"{op}: mask of shape {np.shape(mask)}; expected (steps, batch) = {np.shape(x)[:2]} "
                         f"for the input of shape {np.shape(x)}")


def _kept_steps(mask, steps):
    """Per step: None, or the (N,) booleans of the sequences whose states carry over (``~mask``)."""
    if mask is None:
        return [None] * steps
    keep = ~np.asarray(mask, dtype=bool)
    return [k if k.any() else None for k in keep]


def _lstm_layer_impl(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=None):
    _check_mask("rnn.lstm_layer", mask, x)
    res = _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask)
    z, cb = res[1], res[2]
    steps, n = cb.shape[0] - 1, cb.shape[1]
    hs = z[:n, 1:]
    if mask is not None:   # the outputs past a sequence's end are 0
        hs = np.multiply(hs, np.asarray(mask, dtype=bool), out=_scratch.empty(hs.shape, hs.dtype))
    hs = np.transpose(hs, (1, 2, 0))
    _residuals.put(hs, res)
    return hs, np.ascontiguousarray(z[:n, steps].T), np.ascontiguousarray(cb[steps].T)


def _lstm_layer_states(lib, x, h0, c0, w_ih, w_hh, b_ih, b_hh, hs, mask=None):
    """Previous states, gate activations and tanh(c) of every step, from the outputs: the
    pre-activations of all steps are two large products; the cell states follow their recurrence.
    With a ``mask`` (T, N, 1) of 0/1 the previous states are the carried ones."""
    n = np.shape(h0)[-1]
    hs = _carried(lib, h0, hs, mask)
    hprev = lib.concatenate([lib.expand_dims(h0, 0), hs[:-1]], axis=0)
    a = lib.matmul(x, lib.swapaxes(w_ih, 0, 1)) + lib.matmul(hprev, lib.swapaxes(w_hh, 0, 1))
    for b in (b_ih, b_hh):
        if b is not None:
            a = a + b
    i, f, o = _sigm(lib, a[..., :n]), _sigm(lib, a[..., n:2 * n]), _sigm(lib, a[..., 3 * n:])
    g = lib.tanh(a[..., 2 * n:3 * n])
    c, cs, news = c0, [], []
    for t in range(np.shape(x)[0]):
        new = f[t] * c + i[t] * g[t]
        c = _carry(mask, t, new, c)
        cs.append(c)
        news.append(new)
    cs = lib.stack(cs, axis=0)
    cprev = lib.concatenate([lib.expand_dims(c0, 0), cs[:-1]], axis=0)
    return hprev, cprev, i, f, g, o, lib.tanh(lib.stack(news, axis=0))


def _carried(lib, h0, hs, mask):
    """The carried hidden states from the outputs (which are 0 where ``mask`` is 0)."""
    if mask is None or np.shape(hs)[0] == 0:
        return hs
    h, carried = h0, []
    for t in range(np.shape(hs)[0]):
        h = hs[t] + (1 - mask[t]) * h
        carried.append(h)
    return lib.stack(carried, axis=0)


def _carry(mask, t, new, old):
    """Step t's state: the new one where ``mask[t]`` is 1, the previous one where it is 0 (the
    sequence has ended); no mask: the new one."""
    return new if mask is None else mask[t] * new + (1 - mask[t]) * old


def _sigm(lib, x):
    return 0.5 + 0.5 * lib.tanh(0.5 * x)


def _mask01(mask, dtype):
    """The boolean (T, N) mask as 0/1 numbers of ``dtype``, shaped (T, N, 1); None stays None."""
    return None if mask is None else np.asarray(mask, dtype=dtype)[:, :, None]


def _lstm_layer_vjp_all(needs, ct, ans, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=None):
    """Cotangents of the inputs marked in ``needs``, from one backward recurrence (a ``Joint`` rule;
    ``ct`` holds the cotangents of all hidden states, the last hidden state and the last cell
    state, None where a result was not used)."""
    gh, gh_last, gc_last = ct
    hs = ans[0] if isinstance(ans, tuple) else None
    lib = _lib(gh, gh_last, gc_last, hs, x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if lib is np:
        cts = _NumpyCotangents(gh, gh_last, gc_last, hs, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask)
        return [cts[k] if need else None for k, need in enumerate(needs)]
    steps = np.shape(x)[0]
    if steps == 0:
        return None, gh_last, gc_last, None, None, None, None
    if hs is None:  # higher order: the outputs as recorded functions of the inputs
        hs = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=mask)[0]
    m = _mask01(mask, hs.dtype)
    hprev, cprev, i, f, g, o, tc = _lstm_layer_states(lib, x, h0, c0, w_ih, w_hh, b_ih, b_hh, hs, m)
    # dh, dc: the cotangents of the states carried out of step t (h_t, c_t); an output's cotangent
    # and the carried ones reach the step's new states where the mask is 1, the carried ones
    # pass to step t - 1 unchanged where it is 0
    dh = lib.zeros_like(h0) if gh_last is None else gh_last
    dc = lib.zeros_like(c0) if gc_last is None else gc_last
    dgates = [None] * steps
    for t in range(steps - 1, -1, -1):
        dhn = dh if gh is None else dh + gh[t]
        dcn = dc
        if m is not None:
            dhn, dcn = m[t] * dhn, m[t] * dcn
        dct = dcn + dhn * o[t] * (1 - tc[t] * tc[t])
        d = lib.concatenate([dct * g[t] * i[t] * (1 - i[t]), dct * cprev[t] * f[t] * (1 - f[t]),
                             dct * i[t] * (1 - g[t] * g[t]), dhn * tc[t] * o[t] * (1 - o[t])], axis=-1)
        dgates[t] = d
        through_h, through_c = lib.matmul(d, w_hh), dct * f[t]   # to h_{t-1}, c_{t-1} through step t
        if m is not None:
            through_h, through_c = through_h + (1 - m[t]) * dh, through_c + (1 - m[t]) * dc
        dh, dc = through_h, through_c
    dgs = lib.stack(dgates, axis=0)
    flat = lambda a: lib.reshape(a, (-1, np.shape(a)[-1]))
    dx = lib.matmul(dgs, w_ih) if needs[0] else None
    dw_ih = lib.matmul(lib.swapaxes(flat(dgs), 0, 1), flat(x)) if needs[3] else None
    dw_hh = lib.matmul(lib.swapaxes(flat(dgs), 0, 1), flat(hprev)) if needs[4] else None
    return (dx, dh, dc, dw_ih, dw_hh, *_bias_cotangents(lib, flat(dgs), needs[5], needs[6]))


class _NumpyCotangents:
    """The first-order backward pass on arrays, in the forward pass's layout and in place.

    The recurrence runs at construction; the cotangents of the weights and biases are one product
    over all steps (with the forward pass's operands ``z``), and that of the input another, formed
    when the engine asks for them (``[k]``, input order).
    """

    def __init__(self, gh, gh_last, gc_last, hs, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=None):
        saved = _residuals.get(hs)
        acts, z, cb = saved if saved is not None else _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask)
        steps, n5, batch = acts.shape
        n = n5 // 5
        n2, n3, n4 = 2 * n, 3 * n, 4 * n
        dtype = np.result_type(acts, *(c for c in (gh, gh_last, gc_last) if c is not None))
        order = _order(n)
        wh = np.take(w_hh.astype(dtype, copy=False), order, axis=0)
        wht = np.ascontiguousarray(wh.T)   # the faster operand layout for OpenBLAS here
        one = dtype.type(1)
        # the cotangents of the states, transposed like them, in C order like every other operand
        # of the loop; those of the hidden states before the last are skipped when all zero
        # (typically: only the last state is used)
        dh = np.zeros((n, batch), dtype=dtype)
        dc = np.zeros((n, batch), dtype=dtype)
        if gh_last is not None:
            dh += gh_last.T
        if gc_last is not None:
            dc += gc_last.T
        # under a mask, where a state carried over, the carried cotangents pass to the step before
        # unchanged, and the step's new states get none (nor the output's, which is 0 there)
        keep = _kept_steps(mask, steps)
        if mask is not None:
            on = np.asarray(mask, dtype=dtype)
            pass_h, pass_c = np.empty_like(dh), np.empty_like(dc)
        ght = None
        if gh is not None and steps:
            dh += gh[-1].T if mask is None else gh[-1].T * on[-1]
            if steps > 1 and gh[:-1].any():   # the untransposed array: contiguous, a faster scan
                ght = np.ascontiguousarray(np.swapaxes(gh, 1, 2), dtype=dtype)
                if mask is not None:
                    ght *= on[:, None, :]
        # the cotangents of the pre-activations (internal gate order) of all steps, as (4H, T, N) so
        # that they are one (4H, T N) matrix for the weight gradients; a step's are formed in ``d``
        dgs = _scratch.empty((n4, steps, batch), dtype)
        d = np.empty((n4, batch), dtype=dtype)
        q = np.empty((n5, batch), dtype=dtype)
        dct = np.empty((n, batch), dtype=dtype)
        tmp = np.empty((n, batch), dtype=dtype)
        # views made once: a slice costs about as much as an elementwise call on these blocks
        d_i, d_f, d_o, d_g = d[:n], d[n:n2], d[n2:n3], d[n3:]
        q3, q2, q4, q_tc = q[:n3], q[n3:], q[:n4], q[n4:]
        blocks, sigmoids, gtcs = acts.reshape(steps, 5, n, batch), acts[:, :n3], acts[:, n3:n5]
        multiply, subtract, matmul = np.multiply, np.subtract, np.matmul
        rev = slice(None, None, -1)
        for t, k, (i, f, o, g, tc), s, gtc, c_prev, store in zip(
                range(steps - 1, -1, -1), keep[rev], blocks[rev], sigmoids[rev], gtcs[rev], cb[:steps][rev],
                dgs.transpose(1, 0, 2)[rev]):
            if k is not None:
                multiply(dh, k, pass_h)
                multiply(dc, k, pass_c)
                dh *= on[t]
                dc *= on[t]
            # the derivatives of the activations: s (1 - s) for i, f, o; 1 - g^2; 1 - tanh(c)^2
            multiply(s, s, q3)
            subtract(s, q3, q3)
            multiply(gtc, gtc, q2)
            subtract(one, q2, q2)
            # the cell state's cotangent: dc + dh o (1 - tanh(c)^2)
            multiply(o, q_tc, tmp)
            tmp *= dh
            np.add(tmp, dc, dct)
            # the gates' cotangents: i: dct g, f: dct c_{t-1}, o: dh tanh(c), g: dct i; times q
            multiply(dct, g, d_i)
            multiply(dct, c_prev, d_f)
            multiply(dh, tc, d_o)
            multiply(dct, i, d_g)
            d *= q4
            multiply(dct, f, dc)
            matmul(wht, d, out=dh)                         # the cotangent of h_{t-1} through step t
            np.copyto(store, d)
            if k is not None:
                dh += pass_h
                dc += pass_c
            if t > 0 and ght is not None:
                dh += ght[t - 1]
        self.dh0, self.dc0 = dh.T, dc.T
        self.flat = dgs.reshape(n4, steps * batch)
        self.z = z[:, :steps].reshape(z.shape[0], steps * batch)   # a view: rows of T N numbers
        self.order, self.dtype = order, dtype
        self.w_ih, self.shapes = w_ih, (steps, n, batch)
        self.dw = None

    def _weights(self, lo, hi):
        """The gradient of the columns lo:hi of [W_hh | W_ih | b], in PyTorch's row order."""
        if self.dw is None:   # every weight and bias gradient: one product
            self.dw = self.flat @ self.z.T
        out = np.empty((self.dw.shape[0], hi - lo), dtype=self.dw.dtype)
        out[self.order] = self.dw[:, lo:hi]
        return out

    def __getitem__(self, k):
        steps, n, batch = self.shapes
        m = self.w_ih.shape[-1]
        if k == 0:
            wi = np.take(self.w_ih.astype(self.dtype, copy=False), self.order, axis=0)
            return (self.flat.T @ wi).reshape(steps, batch, -1)
        if k == 1:
            return self.dh0
        if k == 2:
            return self.dc0
        if k == 3:
            return self._weights(n, n + m)
        if k == 4:
            return self._weights(0, n)
        return self._weights(n + m, n + m + 1)[:, 0]   # b_ih and b_hh: equal, but not one array


def _lstm_layer_jvp_all(tx, th0, tc0, twi, twh, tbi, tbh, x, h0, c0, w_ih, w_hh, b_ih, b_hh, hs, mask=None):
    """Tangents of the results (all hidden states, the last hidden and cell states) from tangents
    of the inputs (None: zero)."""
    lib = _lib(tx, th0, tc0, twi, twh, tbi, tbh, x, h0, c0, w_ih, w_hh, b_ih, b_hh, hs)
    n = np.shape(h0)[-1]
    steps = np.shape(x)[0]
    zero = lambda: lib.zeros_like(h0)
    if steps == 0:
        return [lib.zeros_like(hs), zero() if th0 is None else th0, zero() if tc0 is None else tc0]
    m = _mask01(mask, hs.dtype)
    hprev, cprev, i, f, g, o, tc = _lstm_layer_states(lib, x, h0, c0, w_ih, w_hh, b_ih, b_hh, hs, m)
    # the tangent of the input projection, all steps at once
    txp = None
    if tx is not None:
        txp = lib.matmul(tx, lib.swapaxes(w_ih, 0, 1))
    if twi is not None:
        p = lib.matmul(x, lib.swapaxes(twi, 0, 1))
        txp = p if txp is None else txp + p
    for tb in (tbi, tbh):
        if tb is not None:
            txp = tb if txp is None else txp + tb
    dh = zero() if th0 is None else th0
    dc = zero() if tc0 is None else tc0
    dhs = []
    for t in range(steps):
        da = lib.matmul(dh, lib.swapaxes(w_hh, 0, 1))
        if txp is not None:
            da = da + (txp[t] if np.ndim(txp) == 3 else txp)
        if twh is not None:
            da = da + lib.matmul(hprev[t], lib.swapaxes(twh, 0, 1))
        di = da[..., :n] * i[t] * (1 - i[t])
        df = da[..., n:2 * n] * f[t] * (1 - f[t])
        dg = da[..., 2 * n:3 * n] * (1 - g[t] * g[t])
        dout = da[..., 3 * n:] * o[t] * (1 - o[t])
        dc_new = df * cprev[t] + f[t] * dc + di * g[t] + i[t] * dg
        dh_new = dout * tc[t] + o[t] * (1 - tc[t] * tc[t]) * dc_new
        dh, dc = _carry(m, t, dh_new, dh), _carry(m, t, dc_new, dc)
        dhs.append(dh_new if m is None else m[t] * dh_new)
    return [lib.stack(dhs, axis=0), dh, dc]


def _layer_jvps(layer, jvp_all, n):
    """Per-input JVP rules of a fused layer (``layer()`` gives the primitive, declared later): the
    tangents of all results from the tangent of input ``k``, the others zero."""
    def make(k):
        def rule(t, ans, *args, mask=None):
            tangents = [None] * n
            tangents[k] = t
            hs = ans[0] if isinstance(ans, tuple) else layer()(*args, mask=mask)[0]
            return jvp_all(*tangents, *args, hs, mask)
        return rule
    return tuple(make(k) for k in range(n))


lstm_layer = primitive(
    "rnn.lstm_layer", _lstm_layer_impl,
    vjp=Joint(_lstm_layer_vjp_all, 7, symbolic_zeros=True), jvp=_layer_jvps(lambda: lstm_layer, _lstm_layer_jvp_all, 7),
    multiple_results=True,
    doc="One direction of an LSTM layer over a sequence: (x (T, N, I), h0 (N, H), c0 (N, H), W_ih (4H, I), "
        "W_hh (4H, H), b_ih (4H,) or None, b_hh (4H,) or None) -> (all hidden states (T, N, H), the last "
        "hidden state (N, H), the last cell state (N, H)); gates in PyTorch's order (i, f, g, o). With "
        "mask= (T, N) booleans, where False the states carry over unchanged and the output is 0 (padding "
        "past a sequence's end).",
    batch=R.rnn_layer_rule(2),
)


# -- a whole GRU layer (one direction) as one node -----------------------------------------------
#
# The same reasons and plan as ``lstm_layer``: the input projection of all steps is one product,
# only the recurrence runs step by step (one product per step, forward and backward), and each
# weight gradient is one product over all steps. A step's rows are (N, 3H) in PyTorch's gate
# order (r, z, n). The forward pass on arrays keeps the gate activations, the hidden projection
# of the new gate (which r scales) and the states for the backward pass (``_residuals``).

def _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
    """The forward pass on arrays: gate activations (T, N, 3H), h W_hn^T + b_hn (T, N, H), and
    the states h_0 ... h_T (T+1, N, H)."""
    steps, batch, m = x.shape
    n = h0.shape[-1]
    n2 = 2 * n
    dtype = np.result_type(x, h0, w_ih, w_hh, *(b for b in (b_ih, b_hh) if b is not None))
    xp = _scratch.empty((steps, batch, 3 * n), dtype)
    np.matmul(x.reshape(steps * batch, m).astype(dtype, copy=False), w_ih.T.astype(dtype, copy=False),
              out=xp.reshape(steps * batch, 3 * n))
    if b_ih is not None:
        xp += b_ih
    wht = np.ascontiguousarray(w_hh.T, dtype=dtype)
    hs = _scratch.empty((steps + 1, batch, n), dtype)
    hs[0] = h0
    acts = _scratch.empty((steps, batch, 3 * n), dtype)
    hns = _scratch.empty((steps, batch, n), dtype)
    hg = np.empty((batch, 3 * n), dtype=dtype)
    half = dtype.type(0.5)
    keep = _kept_steps(mask, steps)
    for t in range(steps):
        np.matmul(hs[t], wht, out=hg)
        if b_hh is not None:
            hg += b_hh
        a = acts[t]
        rz = a[:, :n2]                      # r, z = sigmoid(x_rz + h_rz), as 0.5 + 0.5 tanh(0.5 v)
        np.add(xp[t, :, :n2], hg[:, :n2], out=rz)
        rz *= half
        np.tanh(rz, out=rz)
        rz *= half
        rz += half
        hn = hns[t]
        np.copyto(hn, hg[:, n2:])
        new = a[:, n2:]                     # n = tanh(x_n + r h_n)
        np.multiply(a[:, :n], hn, out=new)
        new += xp[t, :, n2:]
        np.tanh(new, out=new)
        h = hs[t + 1]                       # h' = n + z (h - n)
        np.subtract(hs[t], new, out=h)
        h *= a[:, n:n2]
        h += new
        if keep[t] is not None:             # sequences past their end: the state carries over
            np.copyto(h, hs[t], where=keep[t][:, None])
    return acts, hns, hs


def _gru_layer_impl(x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
    _check_mask("rnn.gru_layer", mask, x)
    res = _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mask)
    out = res[2][1:]
    if mask is not None:   # the outputs past a sequence's end are 0
        out = np.multiply(out, np.asarray(mask, dtype=bool)[:, :, None], out=_scratch.empty(out.shape, out.dtype))
    _residuals.put(out, res)
    return out, res[2][-1].copy()


def _gru_layer_recompute(lib, x, h0, w_ih, w_hh, b_ih, b_hh, hs, mask=None):
    """Previous states, gate activations and h_n of every step, from the outputs: two large products.
    With a ``mask`` (T, N, 1) of 0/1 the previous states are the carried ones."""
    n = np.shape(h0)[-1]
    hs = _carried(lib, h0, hs, mask)
    hprev = lib.concatenate([lib.expand_dims(h0, 0), hs[:-1]], axis=0)
    xp = lib.matmul(x, lib.swapaxes(w_ih, 0, 1))
    hg = lib.matmul(hprev, lib.swapaxes(w_hh, 0, 1))
    if b_ih is not None:
        xp = xp + b_ih
    if b_hh is not None:
        hg = hg + b_hh
    r = _sigm(lib, xp[..., :n] + hg[..., :n])
    z = _sigm(lib, xp[..., n:2 * n] + hg[..., n:2 * n])
    hn = hg[..., 2 * n:]
    new = lib.tanh(xp[..., 2 * n:] + r * hn)
    return hprev, r, z, new, hn


def _gru_layer_vjp_all(needs, ct, ans, x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
    """Cotangents of the inputs marked in ``needs``, from one backward recurrence (a ``Joint`` rule;
    ``ct`` holds the cotangents of all hidden states and of the last one, None where unused)."""
    g, g_last = ct
    hs = ans[0] if isinstance(ans, tuple) else None
    lib = _lib(g, g_last, hs, x, h0, w_ih, w_hh, b_ih, b_hh)
    if lib is np:
        cts = _GruNumpyCotangents(g, g_last, hs, x, h0, w_ih, w_hh, b_ih, b_hh, mask)
        return [cts[k] if need else None for k, need in enumerate(needs)]
    if np.shape(x)[0] == 0:
        return None, g_last, None, None, None, None
    if hs is None:  # higher order: the outputs as recorded functions of the inputs
        hs = gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, mask=mask)[0]
    return _gru_layer_vjp_lib(lib, g, g_last, hs, x, h0, w_ih, w_hh, b_ih, b_hh, _mask01(mask, hs.dtype))


def _gru_layer_vjp_lib(lib, g, g_last, hs, x, h0, w_ih, w_hh, b_ih, b_hh, m):
    """The backward pass written with ``lib`` (higher order: recorded through backchain.numpy);
    ``m`` the mask as 0/1 (T, N, 1), or None."""
    hprev, r, z, new, hn = _gru_layer_recompute(lib, x, h0, w_ih, w_hh, b_ih, b_hh, hs, m)
    steps = np.shape(x)[0]
    dxs, dhs = [None] * steps, [None] * steps
    dh = lib.zeros_like(h0) if g_last is None else g_last   # the cotangent of the state carried out of step t
    for t in range(steps - 1, -1, -1):
        gt = dh if g is None else dh + g[t]   # the cotangent of the step's new state (where the mask is 1)
        if m is not None:
            gt = m[t] * gt
        dn = gt * (1 - z[t]) * (1 - new[t] * new[t])
        dz = gt * (hprev[t] - new[t]) * z[t] * (1 - z[t])
        dr = dn * hn[t] * r[t] * (1 - r[t])
        dxs[t] = lib.concatenate([dr, dz, dn], axis=-1)
        dhs[t] = lib.concatenate([dr, dz, dn * r[t]], axis=-1)
        through = gt * z[t] + lib.matmul(dhs[t], w_hh)   # the cotangent of h_{t-1} through step t
        dh = through if m is None else through + (1 - m[t]) * dh
    dx_all, dh_all = lib.stack(dxs, axis=0), lib.stack(dhs, axis=0)
    flat = lambda a: lib.reshape(a, (-1, np.shape(a)[-1]))
    return (lib.matmul(dx_all, w_ih), dh,
            lib.matmul(lib.swapaxes(flat(dx_all), 0, 1), flat(x)),
            lib.matmul(lib.swapaxes(flat(dh_all), 0, 1), flat(hprev)),
            lib.sum(flat(dx_all), axis=0), lib.sum(flat(dh_all), axis=0))


class _GruNumpyCotangents:
    """The first-order backward pass on arrays, in place. The recurrence runs at construction; the
    cotangents of the input, weights and biases are each one product or sum over all steps, formed
    when the engine asks for them (``[k]``, input order)."""

    def __init__(self, g, g_last, hs_out, x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
        saved = _residuals.get(hs_out)
        acts, hns, hs = saved if saved is not None else _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mask)
        steps, batch, n3 = acts.shape
        n, n2 = n3 // 3, 2 * n3 // 3
        dtype = np.result_type(acts, *(c for c in (g, g_last) if c is not None))
        one = dtype.type(1)
        w = w_hh.astype(dtype, copy=False)
        dh = np.zeros((batch, n), dtype=dtype)
        if g_last is not None:
            dh += g_last
        more = False   # the states before the last: typically unused (all zero)
        # under a mask, where a state carried over, the carried cotangent passes to the step before
        # unchanged, and the step's new state gets none (nor the output's, which is 0 there)
        keep = _kept_steps(mask, steps)
        if mask is not None:
            on = np.asarray(mask, dtype=dtype)[:, :, None]
            passed = np.empty_like(dh)
        if g is not None and steps:
            more = steps > 1 and g[:-1].any()
            if mask is not None:
                g = g * on
            dh += g[-1]
        dxg = _scratch.empty((steps, batch, n3), dtype)   # cotangents of x W_ih^T + b_ih
        dhg = _scratch.empty((steps, batch, n3), dtype)   # cotangents of h W_hh^T + b_hh
        omz = np.empty((batch, n), dtype=dtype)
        back = np.empty((batch, n), dtype=dtype)
        for t in range(steps - 1, -1, -1):
            k = keep[t]
            if k is not None:
                np.multiply(dh, k[:, None], out=passed)
                dh *= on[t]
            a = acts[t]
            r, z, new = a[:, :n], a[:, n:n2], a[:, n2:]
            d = dxg[t]
            dr, dz, dn = d[:, :n], d[:, n:n2], d[:, n2:]
            np.subtract(one, z, out=omz)
            np.multiply(new, new, out=dn)                 # n: dh (1 - z) (1 - n^2)
            np.subtract(one, dn, out=dn)
            dn *= dh
            dn *= omz
            np.subtract(hs[t], new, out=dz)               # z: dh (h - n) z (1 - z)
            dz *= dh
            dz *= z
            dz *= omz
            np.subtract(one, r, out=dr)                   # r: dn h_n r (1 - r)
            dr *= r
            dr *= hns[t]
            dr *= dn
            e = dhg[t]
            np.copyto(e[:, :n2], d[:, :n2])
            np.multiply(dn, r, out=e[:, n2:])
            dh *= z                                       # the cotangent of h_{t-1}: dh z + e W_hh
            np.matmul(e, w, out=back)
            dh += back
            if k is not None:
                dh += passed
            if t > 0 and more:
                dh += g[t - 1]
        self.dh0 = dh
        self.dxg, self.dhg = dxg.reshape(steps * batch, n3), dhg.reshape(steps * batch, n3)
        self.x, self.hprev, self.w_ih, self.dtype = x, hs[:-1].reshape(steps * batch, n), w_ih, dtype

    def __getitem__(self, k):
        if k == 0:
            steps, batch = self.x.shape[:2]
            return (self.dxg @ self.w_ih.astype(self.dtype, copy=False)).reshape(steps, batch, -1)
        if k == 1:
            return self.dh0
        if k == 2:
            return self.dxg.T @ self.x.reshape(self.dxg.shape[0], -1)
        if k == 3:
            return self.dhg.T @ self.hprev
        return (self.dxg if k == 4 else self.dhg).sum(axis=0)


def _gru_layer_jvp_all(tx, th0, twi, twh, tbi, tbh, x, h0, w_ih, w_hh, b_ih, b_hh, hs, mask=None):
    """Tangents of all hidden states and of the last one from tangents of the inputs (None: zero)."""
    lib = _lib(tx, th0, twi, twh, tbi, tbh, x, h0, w_ih, w_hh, b_ih, b_hh, hs)
    m = _mask01(mask, hs.dtype)
    hprev, r, z, new, hn = _gru_layer_recompute(lib, x, h0, w_ih, w_hh, b_ih, b_hh, hs, m)
    n = np.shape(h0)[-1]
    steps = np.shape(x)[0]
    txp = None   # the tangent of the input projection, all steps at once
    if tx is not None:
        txp = lib.matmul(tx, lib.swapaxes(w_ih, 0, 1))
    if twi is not None:
        p = lib.matmul(x, lib.swapaxes(twi, 0, 1))
        txp = p if txp is None else txp + p
    if tbi is not None:
        txp = tbi if txp is None else txp + tbi
    dh = lib.zeros_like(h0) if th0 is None else th0
    outs = []
    for t in range(steps):
        thg = lib.matmul(dh, lib.swapaxes(w_hh, 0, 1))   # the tangent of h W_hh^T + b_hh at this step
        if twh is not None:
            thg = thg + lib.matmul(hprev[t], lib.swapaxes(twh, 0, 1))
        if tbh is not None:
            thg = thg + tbh
        pre = thg if txp is None else thg + (txp[t] if np.ndim(txp) == 3 else txp)
        dr = pre[..., :n] * r[t] * (1 - r[t])
        dz = pre[..., n:2 * n] * z[t] * (1 - z[t])
        tx_n = 0.0 if txp is None else (txp[t] if np.ndim(txp) == 3 else txp)[..., 2 * n:]
        dnew = (tx_n + dr * hn[t] + r[t] * thg[..., 2 * n:]) * (1 - new[t] * new[t])
        dh_new = dnew * (1 - z[t]) + dz * (hprev[t] - new[t]) + z[t] * dh
        dh = _carry(m, t, dh_new, dh)
        outs.append(dh_new if m is None else m[t] * dh_new)
    if not outs:
        return [lib.zeros_like(hs), dh]
    return [lib.stack(outs, axis=0), dh]


gru_layer = primitive(
    "rnn.gru_layer", _gru_layer_impl,
    vjp=Joint(_gru_layer_vjp_all, 6, symbolic_zeros=True), jvp=_layer_jvps(lambda: gru_layer, _gru_layer_jvp_all, 6),
    multiple_results=True,
    doc="One direction of a GRU layer over a sequence: (x (T, N, I), h0 (N, H), W_ih (3H, I), W_hh (3H, H), "
        "b_ih (3H,) or None, b_hh (3H,) or None) -> (all hidden states (T, N, H), the last hidden state "
        "(N, H)); gates in PyTorch's order (r, z, n). With mask= (T, N) booleans, where False the state "
        "carries over unchanged and the output is 0 (padding past a sequence's end).",
    batch=R.rnn_layer_rule(1),
)


# -- a whole tanh RNN layer (one direction) as one node ------------------------------------------
#
# h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh): the input projection of all steps is one
# product, the recurrence one product and one tanh per step, the weight gradients one product
# each. Rows are (N, H) per step. (The ReLU RNN keeps its per-step nodes: F.relu carries the kink
# conventions and their counting.)

def _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
    """The states h_0 ... h_T on arrays (T+1, N, H); under a mask, the carried ones."""
    steps, batch, m = x.shape
    n = h0.shape[-1]
    bias = _bias(b_ih, b_hh)
    dtype = np.result_type(x, h0, w_ih, w_hh, *(() if bias is None else (bias,)))
    hs = _scratch.empty((steps + 1, batch, n), dtype)
    hs[0] = h0
    pre = hs[1:].reshape(steps * batch, n)   # the input projection, written where the states go
    np.matmul(x.reshape(steps * batch, m).astype(dtype, copy=False), w_ih.T.astype(dtype, copy=False), out=pre)
    if bias is not None:
        pre += bias
    wht = np.ascontiguousarray(w_hh.T, dtype=dtype)
    back = np.empty((batch, n), dtype=dtype)
    for t, k in enumerate(_kept_steps(mask, steps)):
        h = hs[t + 1]
        np.matmul(hs[t], wht, out=back)
        h += back
        np.tanh(h, out=h)
        if k is not None:                   # sequences past their end: the state carries over
            np.copyto(h, hs[t], where=k[:, None])
    return hs


def _rnn_layer_impl(x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
    _check_mask("rnn.rnn_tanh_layer", mask, x)
    hs = _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mask)
    out = hs[1:]
    if mask is not None:   # the outputs past a sequence's end are 0
        out = np.multiply(out, np.asarray(mask, dtype=bool)[:, :, None], out=_scratch.empty(out.shape, out.dtype))
    _residuals.put(out, hs)
    return out, hs[-1].copy()


def _rnn_layer_vjp_all(needs, ct, ans, x, h0, w_ih, w_hh, b_ih, b_hh, mask=None):
    """Cotangents of the inputs marked in ``needs``, from one backward recurrence (a ``Joint`` rule;
    ``ct`` holds the cotangents of all hidden states and of the last one, None where unused)."""
    g, g_last = ct
    out = ans[0] if isinstance(ans, tuple) else None
    lib = _lib(g, g_last, out, x, h0, w_ih, w_hh, b_ih, b_hh)
    steps = np.shape(x)[0]
    if steps == 0:
        return None, g_last, None, None, None, None
    if lib is np:
        hs = _residuals.get(out)
        hs = _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mask) if hs is None else hs
        m = None if mask is None else np.asarray(mask, dtype=hs.dtype)[:, :, None]
        w = w_hh.astype(hs.dtype, copy=False)
    else:
        if out is None:  # higher order: the outputs as recorded functions of the inputs
            out = rnn_tanh_layer(x, h0, w_ih, w_hh, b_ih, b_hh, mask=mask)[0]
        m = _mask01(mask, out.dtype)
        hs = lib.concatenate([lib.expand_dims(h0, 0), _carried(lib, h0, out, m)], axis=0)
        w = w_hh
    # dh: the cotangent of the state carried out of step t; it reaches the step's new state where
    # the mask is 1 (with the output's) and passes to step t - 1 unchanged where it is 0
    dh = lib.zeros_like(h0) if g_last is None else g_last
    dpre = [None] * steps
    for t in range(steps - 1, -1, -1):
        dn = dh if g is None else dh + g[t]
        if m is not None:
            dn = m[t] * dn
        dpre[t] = dn * (1 - hs[t + 1] * hs[t + 1])   # tanh' from the state (it is the new one where m is 1)
        through = lib.matmul(dpre[t], w)
        dh = through if m is None else through + (1 - m[t]) * dh
    dp = lib.stack(dpre, axis=0)
    flat = lambda a: lib.reshape(a, (-1, np.shape(a)[-1]))
    return (lib.matmul(dp, w_ih) if needs[0] else None, dh,
            lib.matmul(lib.swapaxes(flat(dp), 0, 1), flat(x)) if needs[2] else None,
            lib.matmul(lib.swapaxes(flat(dp), 0, 1), flat(hs[:-1])) if needs[3] else None,
            *_bias_cotangents(lib, flat(dp), needs[4], needs[5]))



def _rnn_layer_jvp_all(tx, th0, twi, twh, tbi, tbh, x, h0, w_ih, w_hh, b_ih, b_hh, out, mask=None):
    """Tangents of all hidden states and of the last one from tangents of the inputs (None: zero)."""
    lib = _lib(tx, th0, twi, twh, tbi, tbh, x, h0, w_ih, w_hh, b_ih, b_hh, out)
    m = _mask01(mask, out.dtype)
    steps = np.shape(x)[0]
    hs = _carried(lib, h0, out, m)
    hprev = lib.concatenate([lib.expand_dims(h0, 0), hs[:-1]], axis=0)
    dh = lib.zeros_like(h0) if th0 is None else th0
    outs = []
    for t in range(steps):
        dpre = lib.matmul(dh, lib.swapaxes(w_hh, 0, 1))
        if tx is not None:
            dpre = dpre + lib.matmul(tx[t], lib.swapaxes(w_ih, 0, 1))
        if twi is not None:
            dpre = dpre + lib.matmul(x[t], lib.swapaxes(twi, 0, 1))
        if twh is not None:
            dpre = dpre + lib.matmul(hprev[t], lib.swapaxes(twh, 0, 1))
        for tb in (tbi, tbh):
            if tb is not None:
                dpre = dpre + tb
        dh_new = dpre * (1 - hs[t] * hs[t])
        dh = _carry(m, t, dh_new, dh)
        outs.append(dh_new if m is None else m[t] * dh_new)
    return [lib.stack(outs, axis=0) if outs else lib.zeros_like(out), dh]


rnn_tanh_layer = primitive(
    "rnn.rnn_tanh_layer", _rnn_layer_impl,
    vjp=Joint(_rnn_layer_vjp_all, 6, symbolic_zeros=True), jvp=_layer_jvps(lambda: rnn_tanh_layer, _rnn_layer_jvp_all, 6),
    multiple_results=True,
    doc="One direction of a tanh RNN layer over a sequence: (x (T, N, I), h0 (N, H), W_ih (H, I), W_hh (H, H), "
        "b_ih (H,) or None, b_hh (H,) or None) -> (all hidden states (T, N, H), the last hidden state (N, H)). "
        "With mask= (T, N) booleans, where False the state carries over unchanged and the output is 0.",
    batch=R.rnn_layer_rule(1),
)
