"""``backchain.autograd.scipy.stats``: one module per distribution, as autograd has.

Each module's functions are those of ``backchain.scipy.stats``, whose ``cdf``
family (``t``, ``gamma``, ``beta``, ``chi2``, ``poisson``) is differentiable
in every continuous argument (the shapes to second order).
"""
from . import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t  # noqa: F401

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
