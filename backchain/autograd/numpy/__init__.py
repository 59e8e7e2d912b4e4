"""``backchain.autograd.numpy``: autograd's wrapped NumPy, which is ``backchain.numpy``.

Every name of ``backchain.numpy`` is here, plus autograd's ``make_diagonal``.
A NumPy name that ``backchain.numpy`` lacks is NumPy's own (dtypes, helpers
such as ``isscalar``); applied to a traced value, such a function raises a
TypeError that names it, never a silently wrong derivative.

>>> import backchain.autograd as ag, backchain.autograd.numpy as np
>>> ag.grad(lambda x: np.sum(np.sin(x) ** 2))(np.array([0.5, 1.0]))
array([0.84147098, 0.90929743])
"""
import numpy as _np

from backchain.numpy import *  # noqa: F401,F403
import backchain.numpy as _bnp

del fft, linalg, random  # backchain.numpy's, from the star import: ours replace them
from . import fft, linalg, random  # noqa: E402,F401


def make_diagonal(D, offset=0, axis1=0, axis2=1):
    """Arrays with ``D``'s last axis on the diagonal of two new last axes (autograd's complement of ``diagonal``).

    As in autograd, only ``offset=0, axis1=-1, axis2=-2`` is supported.

    >>> import backchain.autograd.numpy as np
    >>> np.make_diagonal(np.array([1.0, 2.0]), axis1=-1, axis2=-2)
    array([[1., 0.],
           [0., 2.]])
    """
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError("make_diagonal: only offset=0, axis1=-1, axis2=-2 are supported (as in autograd), "
                                  f"got offset={offset}, axis1={axis1}, axis2={axis2}")
    return D[..., None] * _bnp.eye(_np.shape(getattr(D, "data", D))[-1])


__all__ = sorted(n for n in dir() if not n.startswith("_"))


def __getattr__(name):
    # NumPy's own objects for what backchain.numpy lacks; on a traced value NumPy's dispatch raises.
    try:
        return getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.numpy' has no attribute {name!r}") from None
