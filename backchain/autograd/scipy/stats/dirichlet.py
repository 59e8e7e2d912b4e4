"""``backchain.autograd.scipy.stats.dirichlet``: the Dirichlet distribution of ``backchain.scipy.stats``."""
from scipy.stats import dirichlet as _st_dirichlet

from backchain.scipy.stats import dirichlet as _d

logpdf, pdf = _d.logpdf, _d.pdf


def rvs(alpha, size=1, random_state=None):
    """Random draws (SciPy's ``dirichlet.rvs``): constants to differentiation, as in autograd.

    >>> import numpy as np
    >>> from backchain.autograd.scipy.stats import dirichlet
    >>> dirichlet.rvs(np.array([1.0, 2.0]), size=3, random_state=0).shape
    (3, 2)
    """
    return _st_dirichlet.rvs(getattr(alpha, "_data", alpha), size=size, random_state=random_state)

__all__ = ["logpdf", "pdf", "rvs"]
