"""Indexing primitives: basic and advanced ``__getitem__``, take, sort, and friends.

The VJP of an index scatters the cotangent back; repeated indices add up.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor

__all__ = ["getitem"]


def _scatter_impl(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


_scatter = primitive(
    "index_add", _scatter_impl,
    vjp=(lambda g, ans, x, shape, index: getitem(g, index),),
    linear=True,
)


def _getitem_vjp(g, ans, x, index):
    return _scatter(g, shape=np.shape(x), index=index)


_getitem = primitive("getitem", lambda x, index: x[index], vjp=(_getitem_vjp,), linear=True)


def _clean_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray([i.data if isinstance(i, Tensor) else i for i in index]) if any(
            isinstance(i, Tensor) for i in index) else np.asarray(index) if not any(
            isinstance(i, (slice, tuple, list)) or i is None or i is Ellipsis for i in index) else tuple(index)
    return index


def getitem(x, index):
    """``x[index]`` for basic and advanced indices, differentiable."""
    index = _clean_index(index)
    if not isinstance(x, Tensor):
        return x[index]
    return _getitem(x, index=index)
