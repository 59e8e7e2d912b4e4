"""``backchain.autograd.scipy.special``: ``backchain.scipy.special``, SciPy's own for the names it lacks.

A SciPy function that backchain cannot differentiate (``gammainc``, ``betainc``,
``iv``, ...) evaluates on plain arrays and raises a TypeError naming it on a
traced value.
"""
import scipy.special as _sp

from backchain.scipy.special import *  # noqa: F401,F403
from backchain.scipy.special import __all__  # noqa: F401


def __getattr__(name):
    try:
        return getattr(_sp, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.scipy.special' has no attribute {name!r}") from None
