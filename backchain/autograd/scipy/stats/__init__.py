"""``backchain.autograd.scipy.stats``: one module per distribution, as autograd has.

Each module's functions are those of ``backchain.scipy.stats``; a function
that autograd has and backchain cannot differentiate yet (the ``cdf`` of
``t``, ``gamma``, ``beta``, ``chi2``, ``poisson``) evaluates SciPy's on plain
values and raises a NotImplementedError on traced ones.
"""
from . import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t  # noqa: F401

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
