"""Array constructors: NumPy's, accepting Tensors where they take an array
(``*_like``), and ``array``/``asarray`` that stack Tensors differentiably."""
import numpy as np

from .._core.tensor import Tensor

__all__ = [
    "zeros", "ones", "empty", "full", "eye", "identity", "arange", "logspace", "geomspace",
    "zeros_like", "ones_like", "empty_like", "full_like", "array", "asarray", "indices", "tri",
]

zeros, ones, empty, full = np.zeros, np.ones, np.empty, np.full
eye, identity, arange = np.eye, np.identity, np.arange  # linspace: _rules/numerics.py (differentiable)
logspace, geomspace, indices, tri = np.logspace, np.geomspace, np.indices, np.tri


def _data(a):
    return a.data if isinstance(a, Tensor) else a


def zeros_like(a, dtype=None, shape=None):
    """``numpy.zeros_like``; a constant (no gradient)."""
    return np.zeros_like(_data(a), dtype=dtype, shape=shape)


def ones_like(a, dtype=None, shape=None):
    """``numpy.ones_like``; a constant (no gradient)."""
    return np.ones_like(_data(a), dtype=dtype, shape=shape)


def empty_like(a, dtype=None, shape=None):
    return np.empty_like(_data(a), dtype=dtype, shape=shape)


def full_like(a, fill_value, dtype=None, shape=None):
    return np.full_like(_data(a), _data(fill_value), dtype=dtype, shape=shape)


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
