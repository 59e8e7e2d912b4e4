"""``backchain.autograd.scipy.stats.multivariate_normal``: from ``backchain.scipy.stats``, with ``entropy``."""
import numpy as _np

import backchain.numpy as _bnp
from backchain.scipy.stats import multivariate_normal as _d

logpdf, pdf = _d.logpdf, _d.pdf

__all__ = ["logpdf", "pdf", "entropy"]


def entropy(mean=None, cov=1):
    """Differential entropy ``(d log(2 pi e) + log det cov) / 2``, differentiable in ``cov``.

    >>> import numpy as np, backchain.autograd as ag
    >>> from backchain.autograd.scipy.stats import multivariate_normal as mvn
    >>> round(float(mvn.entropy(np.zeros(2), np.eye(2) * 2.0)), 6)
    3.531024
    >>> ag.grad(mvn.entropy, 1)(np.zeros(2), np.eye(2) * 2.0)  # inv(cov) / 2
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    cov = _bnp.atleast_2d(cov)
    d = _np.shape(getattr(cov, "data", cov))[-1]
    return 0.5 * (d * _np.log(2 * _np.pi * _np.e) + _bnp.linalg.slogdet(cov)[1])
