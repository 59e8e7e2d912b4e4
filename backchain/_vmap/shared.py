"""A product with a batched operand whose examples are one array (stride 0 along the batch).

Inside ``vmap(grad(f))`` the parameters that ``f`` is differentiated by are broadcast along the batch,
so that each example has its own variables and its own gradient. Their values are one array, so the
forward product needs one GEMM, not one per example; the VJP with respect to them is still one
(outer) product per example. This row serves only the batching rules (``rules.matmul_rule``,
``rules.linear_rule``); it is not in the rule table.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import LOOP, primitive

__all__ = ["shared_matmul"]


def _impl(a, w):
    k, m = w.shape[-2:]
    return np.matmul(np.reshape(a, (-1, k)), w[0]).reshape(a.shape[:-1] + (m,))


def _rows(x):
    """``x`` of shape (B, ..., n) as (B * ..., n): one GEMM for every example and row."""
    return bnp.reshape(x, (-1, np.shape(x)[-1]))


def _vjp_a(g, ans, a, w):
    return bnp.reshape(bnp.matmul(_rows(g), bnp.swapaxes(w[0], -1, -2)), np.shape(a))


def _per_example(a, g):
    """Each example's ``a_i^T g_i`` (its rows summed): (B, ..., k), (B, ..., m) -> (B, k, m)."""
    b = np.shape(a)[0]
    if np.ndim(a) > 2 and int(np.prod(np.shape(a)[1:-1])) == 1:  # one row per example, in a batch of 1
        a, g = bnp.reshape(a, (b, np.shape(a)[-1])), bnp.reshape(g, (b, np.shape(g)[-1]))
    if np.ndim(a) == 2:  # one row per example: an outer product, broadcast
        return bnp.expand_dims(a, -1) * bnp.expand_dims(g, -2)
    a3 = bnp.reshape(a, (b, -1, np.shape(a)[-1]))
    g3 = bnp.reshape(g, (b, -1, np.shape(g)[-1]))
    return bnp.matmul(bnp.swapaxes(a3, 1, 2), g3)


def _jvp_w(t, ans, a, w):
    b = np.shape(a)[0]
    a3 = bnp.reshape(a, (b, -1, np.shape(a)[-1]))
    return bnp.reshape(bnp.matmul(a3, t), np.shape(ans))


shared_matmul = primitive(
    "vmap.shared_matmul", _impl,
    vjp=(_vjp_a, lambda g, ans, a, w: _per_example(a, g)),
    jvp=(lambda t, ans, a, w: bnp.reshape(bnp.matmul(_rows(t), w[0]), np.shape(ans)), _jvp_w),
    register=False, batch=LOOP,
    doc="``a[i] @ w[i]`` for every example ``i``: ``a`` (B, ..., k), ``w`` (B, k, m) whose examples are one "
        "array (stride 0), computed as one product with ``w[0]``.",
)


# -- convolution with weights shared by the batch --------------------------------------------------

def _conv(name):
    from .._core.primitive import REGISTRY

    return REGISTRY[name].fn


def _swap01(x):
    return bnp.transpose(x, (1, 0) + tuple(range(2, np.ndim(x))))


def _side_by_side(x):
    """(B, N, C, *S) -> (N, B * C, *S): the examples as groups of channels."""
    s = np.shape(x)
    return bnp.reshape(_swap01(x), (s[1], s[0] * s[2]) + tuple(s[3:]))


def _conv_impl(x, w, stride, padding, dilation, groups):
    from .._core.primitive import REGISTRY

    b, n = x.shape[:2]
    y = REGISTRY["conv"].impl(x.reshape((b * n,) + x.shape[2:]), w[0], stride, padding, dilation, groups)
    return y.reshape((b, n) + y.shape[1:])


def _conv_vjp_x(g, ans, x, w, stride, padding, dilation, groups):
    s = np.shape(x)
    gs = np.shape(g)
    out = _conv("conv_input_grad")(bnp.reshape(g, (gs[0] * gs[1],) + tuple(gs[2:])), w[0],
                                   xshape=(s[0] * s[1],) + tuple(s[2:]), stride=stride, padding=padding,
                                   dilation=dilation, groups=groups)
    return bnp.reshape(out, s)


def _conv_vjp_w(g, ans, x, w, stride, padding, dilation, groups):
    """Each example's weight gradient at once: the examples side by side as groups of channels."""
    b = np.shape(x)[0]
    ws = np.shape(w)
    out = _conv("conv_weight_grad")(_side_by_side(x), _side_by_side(g), wshape=(b * ws[1],) + tuple(ws[2:]),
                                    stride=stride, padding=padding, dilation=dilation, groups=b * groups)
    return bnp.reshape(out, ws)


def _conv_jvp_x(t, ans, x, w, stride, padding, dilation, groups):
    return shared_conv(t, w, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _conv_jvp_w(t, ans, x, w, stride, padding, dilation, groups):
    b, n = np.shape(x)[:2]
    ts = np.shape(t)
    y = _conv("conv")(_side_by_side(x), bnp.reshape(t, (b * ts[1],) + tuple(ts[2:])), stride=stride,
                      padding=padding, dilation=dilation, groups=b * groups)
    ys = np.shape(y)
    return _swap01(bnp.reshape(y, (n, b, ts[1]) + tuple(ys[2:])))


shared_conv = primitive(
    "vmap.shared_conv", _conv_impl, vjp=(_conv_vjp_x, _conv_vjp_w), jvp=(_conv_jvp_x, _conv_jvp_w),
    register=False, batch=LOOP,
    doc="``conv(x[i], w[i])`` for every example ``i``: ``x`` (B, N, C, *S), ``w`` (B, O, C/groups, *K) whose "
        "examples are one array (stride 0): one convolution with the batch folded into N; the weight "
        "gradient of every example at once, the examples as groups.",
)
