"""Shape and joining primitives: reshape, transpose, concatenate, and friends.

These are linear maps, so each row gives only the VJP (the transpose map); the
JVP applies the op to the tangent (``linear=True``).
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.basic import broadcast_to  # noqa: F401  (re-exported)
from .._core.tensor import Tensor

__all__ = ["reshape", "transpose", "broadcast_to", "astype", "expand_dims", "swapaxes"]


def _data(a):
    return a.data if isinstance(a, Tensor) else a


_reshape = primitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    vjp=(lambda g, ans, x, shape: _reshape(g, shape=np.shape(x)),),
    linear=True,
)


def reshape(a, shape=None, order="C", *, newshape=None):
    """``numpy.reshape``, differentiable (C order)."""
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported for differentiable arrays")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if not isinstance(a, Tensor):
        return np.reshape(a, shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        size = int(np.size(a.data))
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape an array of shape {a.shape} into shape {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    return _reshape(a, shape=shape)


_transpose = primitive(
    "transpose", lambda x, axes: np.transpose(x, axes),
    vjp=(lambda g, ans, x, axes: _transpose(g, axes=tuple(np.argsort(axes))),),
    linear=True,
)


def transpose(a, axes=None):
    """``numpy.transpose``, differentiable."""
    if not isinstance(a, Tensor):
        return np.transpose(a, axes)
    nd = np.ndim(a.data)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(int(x) % nd for x in axes)
    return _transpose(a, axes=axes)


def astype(x, dtype):
    """Cast to ``dtype`` (``ndarray.astype``); the cotangent is cast back."""
    from .._core.basic import cast
    if not isinstance(x, Tensor):
        return np.asarray(x).astype(dtype)
    if np.dtype(dtype) == x.dtype:
        return x
    return cast(x, dtype=np.dtype(dtype))


def expand_dims(a, axis):
    """``numpy.expand_dims``, differentiable."""
    if not isinstance(a, Tensor):
        return np.expand_dims(a, axis)
    return reshape(a, np.expand_dims(np.empty(np.shape(a.data), dtype=np.bool_), axis).shape)


def swapaxes(a, axis1, axis2):
    """``numpy.swapaxes``, differentiable."""
    if not isinstance(a, Tensor):
        return np.swapaxes(a, axis1, axis2)
    axes = list(range(np.ndim(a.data)))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)
