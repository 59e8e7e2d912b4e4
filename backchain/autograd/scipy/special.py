"""``backchain.autograd.scipy.special``: ``backchain.scipy.special``, SciPy's own for the names it lacks.

Every function that autograd differentiates is backchain's (``gammainc``,
``betainc``, ``iv``, ``jn``, ``multigammaln``, ...); a SciPy function that neither
differentiates evaluates on plain arrays and raises a TypeError on a traced value.
"""
import scipy.special as _sp

from backchain.scipy.special import *  # noqa: F401,F403
from backchain.scipy.special import __all__  # noqa: F401


def __getattr__(name):
    try:
        return getattr(_sp, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.scipy.special' has no attribute {name!r}") from None
