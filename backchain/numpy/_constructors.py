"""Array constructors: NumPy's, accepting Tensors where they take an array
(``*_like``), and ``array``/``asarray`` that stack Tensors differentiably."""
import numpy as np

from .._core.primitive import _holds_tensor
from .._core.tensor import Tensor
from ._arraylike import stacked

__all__ = [
    "zeros", "ones", "empty", "full", "eye", "identity", "arange", "logspace", "geomspace",
    "zeros_like", "ones_like", "empty_like", "full_like", "array", "asarray", "indices", "tri",
]

zeros, ones, empty = np.zeros, np.ones, np.empty
eye, identity, arange = np.eye, np.identity, np.arange  # linspace: _rules/numerics.py (differentiable)
indices, tri = np.indices, np.tri


def _data(a):
    """The array of ``a``: a Tensor's data; a list holding Tensors as the data of its stack."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    return a._data if isinstance(a, Tensor) else a


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


def array(object, dtype=None, copy=True, ndmin=0):
    """``numpy.array``; nested lists holding Tensors are stacked differentiably."""
    if isinstance(object, Tensor):
        from .. import numpy as bnp
        out = object if dtype is None else bnp.astype(object, dtype)
        return out
    if isinstance(object, (list, tuple)) and _holds_tensor(object):
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
    if isinstance(a, Tensor) or (isinstance(a, (list, tuple)) and _holds_tensor(a)):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``numpy.logspace``: ``base ** linspace(start, stop)``, differentiable in ``start``, ``stop`` and
    ``base``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.logspace(0, 3, 4)
    array([   1.,   10.,  100., 1000.])
    >>> round(float(bc.grad(lambda s: bnp.sum(bnp.logspace(s, 1.0, 2)))(0.0)), 6)  # d/ds 10**s at 0: log(10)
    2.302585
    """
    start, stop, base = stacked(start), stacked(stop), stacked(base)
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor) or isinstance(base, Tensor)):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    from .. import numpy as bnp

    if np.ndim(_data(base)):  # NumPy's: the three broadcast to one ndim, base gets the sample axis
        nd = np.broadcast(_data(start), _data(stop), _data(base)).ndim
        start, stop, base = (bnp.reshape(a, (1,) * (nd - np.ndim(_data(a))) + np.shape(_data(a)))
                             for a in (start, stop, base))
        base = bnp.expand_dims(base, axis)
    y = bnp.power(base, bnp.linspace(start, stop, num=num, endpoint=endpoint, axis=axis))
    return y if dtype is None else bnp.astype(y, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``numpy.geomspace``: a geometric progression from ``start`` to ``stop`` (its ends exactly
    them), differentiable in ``start`` and ``stop`` (real; of one sign each).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.geomspace(1.0, 8.0, 4)
    array([1., 2., 4., 8.])
    >>> round(float(bc.grad(lambda s: bnp.sum(bnp.geomspace(1.0, s, 4)))(8.0)), 6)  # 0 + 1/12 + 1/3 + 1
    1.416667
    """
    start, stop = stacked(start), stacked(stop)
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor)):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    from .. import numpy as bnp

    sd, ed = np.asarray(_data(start)), np.asarray(_data(stop))
    if np.any(sd == 0) or np.any(ed == 0):
        raise ValueError("geomspace: geometric sequence cannot include zero")
    dt = np.result_type(sd, ed, float(num), np.zeros((), dtype))
    if dt.kind == "c":
        raise NotImplementedError(f"geomspace: complex start or stop is not supported for Tensors (dtype {dt})")
    start, stop = bnp.astype(start, dt), bnp.astype(stop, dt)
    sign = np.sign(sd).astype(dt)
    start, stop = start / sign, stop / sign
    result = logspace(bnp.log10(start), bnp.log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    shape = np.shape(_data(result))[1:]
    ends = [bnp.broadcast_to(start, shape)[None]] if num > 0 else []
    middle = result[1:-1] if num > 1 and endpoint else result[1:]
    last = [bnp.broadcast_to(stop, shape)[None]] if num > 1 and endpoint else []
    result = sign * bnp.concatenate(ends + [middle] + last) if num > 0 else result
    if axis != 0:
        result = bnp.moveaxis(result, 0, axis)
    return result if dtype is None else bnp.astype(result, dtype)
