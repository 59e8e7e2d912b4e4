"""The orthonormal DCT-II and its inverse along the last axis, and the ACDC layer built on them.

``dct`` and ``idct`` are linear primitives. An orthonormal transform's
transpose is its inverse, so the VJP of ``dct`` is ``idct`` and that of
``idct`` is ``dct``: O(N log N) in both passes, and never an N x N matrix.

ACDC (Moczulski et al., "ACDC: A Structured Efficient Linear Layer"):
``y = idct(d * dct(a * x)) + bias`` with diagonal ``a`` and ``d``: O(N)
parameters and O(N log N) time. It is a composite of the two primitives.

SciPy is imported inside the implementations, so ``import backchain`` does not load it.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor
from .._vmap import rules as R

__all__ = ["dct", "idct", "acdc"]


def _dct_impl(x):
    import scipy.fft

    return scipy.fft.dct(x, type=2, norm="ortho", axis=-1)


def _idct_impl(x):
    import scipy.fft

    return scipy.fft.idct(x, type=2, norm="ortho", axis=-1)


_dct = primitive("dct", _dct_impl, vjp=(lambda g, ans, x: _idct(g),), linear=True,
                 doc="Orthonormal DCT-II along the last axis; its transpose is its inverse.", batch=R.stacks)
_idct = primitive("idct", _idct_impl, vjp=(lambda g, ans, x: _dct(g),), linear=True,
                  doc="Inverse of the orthonormal DCT-II (the DCT-III) along the last axis.", batch=R.stacks)


def _check(op, x, norm):
    if norm != "ortho":
        raise ValueError(f"{op}: only norm='ortho' (the orthonormal transform) is supported, got {norm!r}")
    if np.ndim(x._data if isinstance(x, Tensor) else x) < 1:
        raise ValueError(f"{op}: input must have at least one dimension (the transform runs along the last axis)")


def dct(x, norm="ortho"):
    """Orthonormal DCT-II along the last axis (``scipy.fft.dct(x, norm="ortho")``), differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.dct import dct
    >>> np.round(dct(np.array([1.0, 1.0, 1.0, 1.0])), 12)
    array([2., 0., 0., 0.])
    """
    _check("dct", x, norm)
    return _dct(x)


def idct(x, norm="ortho"):
    """Inverse of :func:`dct` along the last axis (``scipy.fft.idct(x, norm="ortho")``), differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.dct import dct, idct
    >>> x = np.array([0.5, -1.0, 2.0])
    >>> np.allclose(idct(dct(x)), x)
    True
    """
    _check("idct", x, norm)
    return _idct(x)


def acdc(x, a, d, bias=None):
    """The ACDC structured linear map ``idct(d * dct(a * x)) + bias`` along the last axis.

    Parameters
    ----------
    x : array or Tensor, shape (..., N)
    a, d : array or Tensor, shape (N,)
        The two diagonals.
    bias : array or Tensor, shape (N,), optional

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.dct import acdc
    >>> x = np.array([[1.0, 2.0, 3.0]])
    >>> np.allclose(acdc(x, np.ones(3), np.ones(3)), x)
    True
    """
    n = np.shape(x._data if isinstance(x, Tensor) else x)[-1:]
    for name, v in (("a", a), ("d", d), ("bias", bias)):
        if v is not None and np.shape(v._data if isinstance(v, Tensor) else v) != n:
            raise ValueError(f"acdc: {name} must have shape {n} (the last axis of x), got "
                             f"{np.shape(v._data if isinstance(v, Tensor) else v)}")
    y = _idct(d * _dct(a * x))
    return y if bias is None else y + bias
