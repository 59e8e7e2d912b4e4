"""``backchain.autograd.numpy.numpy_vjps``: the broadcasting helpers that autograd's VJP makers use."""
import numpy as _np

import backchain.numpy as _bnp

__all__ = ["unbroadcast", "unbroadcast_f"]


def _meta(x):
    a = _np.asarray(getattr(x, "_data", x))
    return a.shape, a.ndim, a.dtype, _np.iscomplexobj(a)


def unbroadcast(x, target_meta, broadcast_idx=0):
    """Sum ``x`` down to the shape in ``target_meta`` (``(shape, ndim, dtype, iscomplex)``), as autograd's.

    >>> import numpy as onp
    >>> from backchain.autograd.numpy.numpy_vjps import unbroadcast
    >>> unbroadcast(onp.ones((2, 3)), ((1, 3), 2, onp.dtype(float), False))
    array([[2., 2., 2.]])
    """
    shape, ndim, _, iscomplex = target_meta
    while _np.ndim(getattr(x, "_data", x)) > ndim:
        x = _bnp.sum(x, axis=broadcast_idx)
    for axis, size in enumerate(shape):
        if size == 1:
            x = _bnp.sum(x, axis=axis, keepdims=True)
    if _np.iscomplexobj(getattr(x, "_data", x)) and not iscomplex:
        x = _bnp.real(x)
    return x


def unbroadcast_f(target, f):
    """``g -> unbroadcast(f(g))`` to ``target``'s shape: a VJP for an argument that was broadcast.

    >>> import numpy as onp
    >>> from backchain.autograd.numpy.numpy_vjps import unbroadcast_f
    >>> unbroadcast_f(onp.ones(3), lambda g: g * 2.0)(onp.ones((2, 3)))
    array([4., 4., 4.])
    """
    meta = _meta(target)
    return lambda g: unbroadcast(f(g), meta)
