"""``backchain.autograd.scipy.linalg``: ``backchain.scipy.linalg``, SciPy's own for the names it lacks.

``solve_banded``, ``solve_triangular``, ``sqrtm``, ``solve_sylvester``, ``cholesky``
and ``cho_solve`` are backchain's (differentiable); SciPy's own other functions
(``expm``, ...) evaluate on plain arrays and raise a TypeError on a traced value
(never a cut gradient).
"""
import scipy.linalg as _sl

from backchain.scipy.linalg import *  # noqa: F401,F403
from backchain.scipy.linalg import __all__  # noqa: F401


def __getattr__(name):
    try:
        return getattr(_sl, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.scipy.linalg' has no attribute {name!r}") from None
