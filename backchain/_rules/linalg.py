"""Linear algebra primitives: products, contractions, decompositions, solves, norms."""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive

__all__ = ["matmul"]


def _matmul_vjp_a(g, ans, a, b):
    if b.ndim == 1:
        return g * b if a.ndim == 1 else bnp.expand_dims(g, -1) * b
    if a.ndim == 1:
        return bnp.matmul(b, bnp.expand_dims(g, -1))[..., 0]
    return bnp.matmul(g, bnp.swapaxes(b, -1, -2))


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 1:
        return g * a if b.ndim == 1 else bnp.expand_dims(a, -1) * bnp.expand_dims(g, -2)
    if b.ndim == 1:
        return bnp.matmul(bnp.swapaxes(a, -1, -2), bnp.expand_dims(g, -1))[..., 0]
    return bnp.matmul(bnp.swapaxes(a, -1, -2), g)


matmul = primitive("matmul", np.matmul, vjp=(_matmul_vjp_a, _matmul_vjp_b), linear=True)

# Names of backchain.numpy.linalg (NumPy's numpy.linalg names) -> functions.
LINALG_EXPORTS = {}
