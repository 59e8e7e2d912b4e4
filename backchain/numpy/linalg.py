"""``backchain.numpy.linalg``: NumPy's linear algebra, differentiable."""
from .._rules.linalg import LINALG_EXPORTS as _EX

globals().update(_EX)
__all__ = sorted(_EX)
