"""``backchain.scipy.linalg``: triangular and Cholesky solves, Sylvester equations and
the matrix square root, differentiable (SciPy's names and signatures)."""
from .._rules.scipy_linalg import *  # noqa: F401,F403
from .._rules.scipy_linalg import __all__  # noqa: F401
