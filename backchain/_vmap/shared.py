"""Products with a batched operand whose examples are one array (stride 0 along the batch).

Inside ``vmap(grad(f))`` the parameters that ``f`` is differentiated by are broadcast along the batch,
so that each example has its own variables and its own gradient. Their values are one array, so the
forward product needs one GEMM, not one per example; the VJP with respect to them is still one
outer product per example. These rows serve only the batching rules (``rules.matmul_rule``,
``rules.linear_rule``); they are not in the rule table.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import LOOP, primitive

__all__ = ["shared_matmul", "shared_linear"]


def _one(w):
    """The single example of ``w`` (every example is the same array)."""
    return w[0]


shared_matmul = primitive(
    "vmap.shared_matmul", lambda a, w: np.matmul(a, w[0]),
    vjp=(lambda g, ans, a, w: bnp.matmul(g, bnp.swapaxes(_one(w), -1, -2)),
         lambda g, ans, a, w: bnp.expand_dims(a, -1) * bnp.expand_dims(g, -2)),
    jvp=(lambda t, ans, a, w: bnp.matmul(t, _one(w)),
         lambda t, ans, a, w: bnp.einsum("bk,bkm->bm", a, t)),
    register=False, batch=LOOP,
    doc="``a @ w[i]`` for every example ``i`` of a batch of vectors ``a`` (B, k), ``w`` (B, k, m) with stride 0.",
)

shared_linear = primitive(
    "vmap.shared_linear", lambda x, w, b: np.matmul(x, w[0].T) + b,
    vjp=(lambda g, ans, x, w, b: bnp.matmul(g, _one(w)),
         lambda g, ans, x, w, b: bnp.expand_dims(g, -1) * bnp.expand_dims(x, -2),
         lambda g, ans, x, w, b: g),
    jvp=(lambda t, ans, x, w, b: bnp.matmul(t, bnp.swapaxes(_one(w), -1, -2)),
         lambda t, ans, x, w, b: bnp.einsum("bi,boi->bo", x, t),
         lambda t, ans, x, w, b: t),
    register=False, batch=LOOP,
    doc="``x @ w[i].T + b`` for every example ``i``: ``x`` (B, in), ``w`` (B, out, in) with stride 0, ``b`` (B, out).",
)
