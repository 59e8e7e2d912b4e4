"""``backchain.autograd.scipy.stats.multivariate_normal``: from ``backchain.scipy.stats``, with ``entropy``
and SciPy's ``allow_singular``."""
import numpy as _np

import backchain.numpy as _bnp
from backchain.scipy.stats import multivariate_normal as _d

__all__ = ["logpdf", "pdf", "entropy"]


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """Log-density, differentiable in ``x``, ``mean`` and ``cov`` (``backchain.scipy.stats``'s).

    With ``allow_singular=True`` a singular ``cov`` gives SciPy's density on its
    support, differentiable in ``x`` and ``mean`` (as autograd's) and in ``cov``
    along the matrices of its rank (autograd raises there).

    >>> import numpy as np, backchain.autograd as ag
    >>> from backchain.autograd.scipy.stats import multivariate_normal as mvn
    >>> ag.grad(mvn.logpdf)(np.array([1.0, 2.0]), np.zeros(2), np.eye(2))
    array([-1., -2.])
    >>> cov = np.array([[1.0, 1.0], [1.0, 1.0]])   # rank 1: the support is the line x0 == x1
    >>> ag.grad(lambda x: mvn.logpdf(x, np.zeros(2), cov, allow_singular=True))(np.array([1.0, 1.0]))
    array([-0.5, -0.5])
    """
    return _d.logpdf(x, mean, cov, allow_singular=allow_singular)


def pdf(x, mean=None, cov=1, allow_singular=False):
    """Density, differentiable in ``x``, ``mean`` and ``cov``; ``allow_singular`` as in :func:`logpdf`.

    >>> import numpy as np
    >>> from backchain.autograd.scipy.stats import multivariate_normal as mvn
    >>> round(float(mvn.pdf(np.zeros(2), np.zeros(2), np.eye(2))), 6)   # 1 / (2 pi)
    0.159155
    """
    return _d.pdf(x, mean, cov, allow_singular=allow_singular)


def entropy(mean=None, cov=1):
    """Differential entropy ``(d log(2 pi e) + log det cov) / 2``, differentiable in ``cov``.

    Its gradient is autograd's symmetric ``inv(cov) / 2`` (through ``slogdet``);
    a singular ``cov`` (SciPy counts its rank) goes to ``backchain.scipy.stats``.

    >>> import numpy as np, backchain.autograd as ag
    >>> from backchain.autograd.scipy.stats import multivariate_normal as mvn
    >>> round(float(mvn.entropy(np.zeros(2), np.eye(2) * 2.0)), 6)
    3.531024
    >>> ag.grad(mvn.entropy, 1)(np.zeros(2), np.eye(2) * 2.0)  # inv(cov) / 2
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    cov = _bnp.atleast_2d(cov)
    c = _np.asarray(getattr(cov, "_data", cov))
    s = _np.linalg.eigvalsh(c)
    if _np.min(s) <= 1e6 * _np.finfo(_np.float64).eps * _np.max(_np.abs(s)):  # singular by SciPy's rule
        return _d.entropy(mean, cov)
    d = c.shape[-1]
    return 0.5 * (d * _np.log(2 * _np.pi * _np.e) + _bnp.linalg.slogdet(cov)[1])
