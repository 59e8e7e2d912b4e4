"""``backchain.scipy.linalg``: triangular, banded and Cholesky solves, Sylvester equations and
the matrix square root, differentiable (SciPy's names and signatures)."""
from .._rules.scipy_linalg import *  # noqa: F401,F403
from .._rules.scipy_linalg import __all__  # noqa: F401

from ..numpy._examples import attach as _attach  # noqa: E402
from ._examples import LINALG as _EX, LINALG_PREAMBLE as _PRE  # noqa: E402

_attach(globals(), _EX, _PRE)
del _EX
