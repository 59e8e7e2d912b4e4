"""Array constructors: NumPy's, accepting Tensors where they take an array
(``*_like``), and ``array``/``asarray`` that stack Tensors differentiably."""
import numpy as np

from .._core.tensor import Tensor
from ._arraylike import stacked

__all__ = [
    "zeros", "ones", "empty", "full", "eye", "identity", "arange", "logspace", "geomspace",
    "zeros_like", "ones_like", "empty_like", "full_like", "array", "asarray", "indices", "tri",
]

zeros, ones, empty = np.zeros, np.ones, np.empty
eye, identity, arange = np.eye, np.identity, np.arange  # linspace: _rules/numerics.py (differentiable)
logspace, geomspace, indices, tri = np.logspace, np.geomspace, np.indices, np.tri


def _data(a):
    """The array of ``a``: a Tensor's data; a list holding Tensors as the data of its stack."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    return a.data if isinstance(a, Tensor) else a


def zeros_like(a, dtype=None, shape=None):
    """``numpy.zeros_like``; a constant (no gradient)."""
    return np.zeros_like(_data(a), dtype=dtype, shape=shape)


def ones_like(a, dtype=None, shape=None):
    """``numpy.ones_like``; a constant (no gradient)."""
    return np.ones_like(_data(a), dtype=dtype, shape=shape)


def empty_like(a, dtype=None, shape=None):
    return np.empty_like(_data(a), dtype=dtype, shape=shape)


def full(shape, fill_value, dtype=None, order="C", **kwargs):
    """``numpy.full``; differentiable in a Tensor ``fill_value`` (its gradient sums the cotangent).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> float(bc.grad(lambda s: bnp.sum(bnp.full((2, 3), s)))(2.0))
    6.0
    """
    if fill_value.__class__ is list or fill_value.__class__ is tuple:
        fill_value = stacked(fill_value)
    if not isinstance(fill_value, Tensor):
        return np.full(shape, fill_value, dtype=dtype, order=order, **kwargs)
    from .. import numpy as bnp

    value = fill_value if dtype is None else bnp.astype(fill_value, dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return bnp.broadcast_to(value, shape) + np.zeros(shape, dtype=value.dtype)  # a fresh array, like NumPy's


def full_like(a, fill_value, dtype=None, shape=None):
    """``numpy.full_like``; differentiable in a Tensor ``fill_value``, like :func:`full`."""
    if fill_value.__class__ is list or fill_value.__class__ is tuple:
        fill_value = stacked(fill_value)
    if not isinstance(fill_value, Tensor):
        return np.full_like(_data(a), fill_value, dtype=dtype, shape=shape)
    a = np.asarray(_data(a))
    return full(a.shape if shape is None else shape, fill_value, a.dtype if dtype is None else dtype)


def _contains_tensor(obj):
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            return True
        if isinstance(o, (list, tuple)):
            stack.extend(o)
    return False


def array(object, dtype=None, copy=True, ndmin=0):
    """``numpy.array``; nested lists holding Tensors are stacked differentiably."""
    if isinstance(object, Tensor):
        from .. import numpy as bnp
        out = object if dtype is None else bnp.astype(object, dtype)
        return out
    if isinstance(object, (list, tuple)) and _contains_tensor(object):
        from .. import numpy as bnp
        # stack innermost lists first, without recursion
        def build(o):
            stack = [(o, False)]
            results = []
            while stack:
                item, done = stack.pop()
                if done:
                    n = len(item)
                    parts = results[len(results) - n:]
                    del results[len(results) - n:]
                    results.append(bnp.stack([p if isinstance(p, Tensor) else np.asarray(p) for p in parts]))
                elif isinstance(item, (list, tuple)):
                    stack.append((item, True))
                    stack.extend((v, False) for v in reversed(item))
                else:
                    results.append(item)
            return results[0]
        out = build(object)
        return out if dtype is None else bnp.astype(out, dtype)
    return np.array(object, dtype=dtype, copy=copy, ndmin=ndmin)


def asarray(a, dtype=None):
    """``numpy.asarray``; Tensors pass through (cast if ``dtype`` differs)."""
    if isinstance(a, Tensor) or (isinstance(a, (list, tuple)) and _contains_tensor(a)):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype)
