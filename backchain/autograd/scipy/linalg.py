"""``backchain.autograd.scipy.linalg``: ``backchain.scipy.linalg``, SciPy's own for the names it lacks.

SciPy's own functions (``solve_banded``, ``expm``, ...) evaluate on plain
arrays; on a traced value they raise a TypeError (never a cut gradient).
"""
import scipy.linalg as _sl

from backchain.scipy.linalg import *  # noqa: F401,F403
from backchain.scipy.linalg import __all__  # noqa: F401


def __getattr__(name):
    try:
        return getattr(_sl, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.scipy.linalg' has no attribute {name!r}") from None
