"""``backchain.autograd.scipy.integrate``: ``odeint`` (SciPy's signature), from ``backchain.scipy.integrate``."""
from backchain.scipy.integrate import odeint  # noqa: F401

__all__ = ["odeint"]
