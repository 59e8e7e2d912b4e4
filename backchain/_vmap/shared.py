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
    if np.ndim(a) == 2:  # one row per example: an outer product, broadcast
        return bnp.expand_dims(a, -1) * bnp.expand_dims(g, -2)
    b = np.shape(a)[0]
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
