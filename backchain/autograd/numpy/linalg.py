"""``backchain.autograd.numpy.linalg``: ``backchain.numpy.linalg`` (NumPy's own for names it lacks).

Also autograd's two helpers of this module that code uses: ``T`` and ``_dot``.
"""
import numpy.linalg as _np_linalg

import backchain.numpy as _bnp
from backchain.numpy.linalg import *  # noqa: F401,F403


def T(x):
    """``x`` with its last two axes swapped (a stack of transposes), as autograd's ``linalg.T``.

    >>> import numpy as onp
    >>> from backchain.autograd.numpy.linalg import T
    >>> T(onp.zeros((4, 2, 3))).shape
    (4, 3, 2)
    """
    return _bnp.swapaxes(x, -1, -2)


def _dot(a, b):
    """The matrix product of two stacks of matrices, as autograd's ``linalg._dot`` (an einsum)."""
    return _bnp.einsum("...ij,...jk->...ik", a, b)

__all__ = sorted(n for n in dir() if not n.startswith("_"))


def __getattr__(name):
    try:
        return getattr(_np_linalg, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.numpy.linalg' has no attribute {name!r}") from None
