"""Fused primitives for neural networks: linear, log_softmax, softmax, sigmoid.

Each could be written as a composite of ``backchain.numpy`` functions; they are
primitives for speed (one recorded node instead of three to six, and a VJP that
computes only the cotangents that are needed) and, for ``log_softmax`` and
``sigmoid``, for numerical stability: the forward subtracts the maximum, and the
VJPs are written in terms of the output, so large logits never overflow.
Rules use ``backchain.numpy``, so every order of derivative works.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive

__all__ = ["linear", "log_softmax", "softmax", "sigmoid"]


# -- linear: x @ weight.T + bias, one node -------------------------------------------------

def _linear_impl(x, weight, bias):
    out = np.matmul(x, weight.T)
    if bias is not None:
        out = out + bias
    return out


def _leading(a):
    """Collapse all but the last axis: (..., n) -> (m, n)."""
    return bnp.reshape(a, (-1, np.shape(a)[-1]))


def _linear_vjp_x(g, ans, x, weight, bias):
    return bnp.matmul(g, weight)


def _linear_vjp_weight(g, ans, x, weight, bias):
    return bnp.matmul(bnp.transpose(_leading(g)), _leading(x))


def _linear_vjp_bias(g, ans, x, weight, bias):
    nd = np.ndim(g)
    return bnp.sum(g, axis=tuple(range(nd - 1))) if nd > 1 else g


linear = primitive(
    "nn.linear", _linear_impl,
    vjp=(_linear_vjp_x, _linear_vjp_weight, _linear_vjp_bias),
    jvp=(lambda t, ans, x, weight, bias: bnp.matmul(t, bnp.transpose(weight)),
         lambda t, ans, x, weight, bias: bnp.matmul(x, bnp.transpose(t)),
         lambda t, ans, x, weight, bias: t),
    doc="``x @ weight.T + bias`` (bias may be None): one node; the VJP of each input only if it is traced.",
)


# -- log_softmax / softmax along one axis ----------------------------------------------------

def _log_softmax_impl(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    shifted = x - m
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_vjp(g, ans, x, axis):
    # d/dx_j sum_i g_i (x_i - lse) = g_j - softmax_j * sum_i g_i
    return g - bnp.exp(ans) * bnp.sum(g, axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis):
    return t - bnp.sum(bnp.exp(ans) * t, axis=axis, keepdims=True)


log_softmax = primitive(
    "nn.log_softmax", _log_softmax_impl, vjp=(_log_softmax_vjp,), jvp=(_log_softmax_jvp,),
    doc="``x - logsumexp(x, axis)``, computed with the maximum subtracted (stable for large logits).",
)


def _softmax_impl(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


softmax = primitive(
    "nn.softmax", _softmax_impl,
    vjp=(lambda g, ans, x, axis: ans * (g - bnp.sum(g * ans, axis=axis, keepdims=True)),),
    jvp=(lambda t, ans, x, axis: ans * (t - bnp.sum(ans * t, axis=axis, keepdims=True)),),
    doc="``exp(x) / sum(exp(x), axis)`` with the maximum subtracted.",
)


# -- sigmoid --------------------------------------------------------------------------------

def _sigmoid_impl(x):
    # 0.5 * (1 + tanh(x / 2)) never overflows, unlike 1 / (1 + exp(-x)).
    return 0.5 + 0.5 * np.tanh(0.5 * x)


sigmoid = primitive("nn.sigmoid", _sigmoid_impl, deriv=(lambda ans, x: ans * (1.0 - ans),),
                    doc="The logistic function, ``1 / (1 + exp(-x))``, stable for every x.")
