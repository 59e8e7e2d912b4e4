"""Reductions: sum, mean, max/min with ties, products, statistics, cumulative ops.

All take NumPy's ``axis`` and ``keepdims``. The VJP of a reduction broadcasts
the cotangent back over the reduced axes (``_expand``).
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor

__all__ = ["sum", "mean"]


def _norm_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints (None: all axes)."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for array of dimension {ndim}")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def _expand(g, x, axis, keepdims):
    """Broadcast a reduction's cotangent ``g`` back to the shape of ``x``."""
    shape = np.shape(x)
    if not keepdims:
        kept = list(shape)
        for a in axis:
            kept[a] = 1
        g = bnp.reshape(g, tuple(kept))
    return bnp.broadcast_to(g, shape)


_sum = primitive(
    "sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
    vjp=(lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims),),
    linear=True,
)


def _shape_of(a):
    return np.shape(a.data if isinstance(a, Tensor) else a)


def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    """``numpy.sum``, differentiable."""
    if out is not None:
        raise TypeError("sum: out= is not supported for differentiable arrays")
    if dtype is not None:
        a = bnp.astype(a, dtype)
    if not isinstance(a, Tensor):
        return np.sum(a, axis=axis, keepdims=keepdims)
    return _sum(a, axis=_norm_axis(axis, len(_shape_of(a))), keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """``numpy.mean``, differentiable."""
    if not isinstance(a, Tensor):
        return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims)
    shape = _shape_of(a)
    axes = _norm_axis(axis, len(shape))
    n = int(np.prod([shape[i] for i in axes])) if axes else 1
    s = sum(a, axis=axes, dtype=dtype, keepdims=keepdims)
    return s / n
