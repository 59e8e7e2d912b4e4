"""``backchain.autograd.scipy.stats.multivariate_normal``: from ``backchain.scipy.stats``, with ``entropy``
and SciPy's ``allow_singular``."""
import numpy as _np
import scipy.stats as _st

import backchain.numpy as _bnp
from backchain.scipy.stats import multivariate_normal as _d
from ...._core.tensor import Tensor

__all__ = ["logpdf", "pdf", "entropy"]


def _traced(*xs):
    return any(isinstance(x, Tensor) and x.requires_grad for x in xs)


def _singular(what, fn, scipy_fn, x, mean, cov, allow_singular):
    if not allow_singular:
        return fn(x, mean, cov)
    if not _traced(x, mean, cov):
        return scipy_fn(*[getattr(v, "data", v) for v in (x, mean, cov)], allow_singular=True)
    try:
        return fn(x, mean, cov)
    except _np.linalg.LinAlgError:
        raise NotImplementedError(f"multivariate_normal.{what}: allow_singular=True with a singular cov is not "
                                  "differentiable in backchain yet (it needs a pseudo-inverse and "
                                  "pseudo-determinant in backchain.scipy.stats)") from None


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """Log-density, differentiable in ``x``, ``mean`` and ``cov`` (``backchain.scipy.stats``'s).

    With ``allow_singular=True`` a singular ``cov`` is served on plain values
    (SciPy's) and refused by name on traced ones.

    >>> import numpy as np, backchain.autograd as ag
    >>> from backchain.autograd.scipy.stats import multivariate_normal as mvn
    >>> ag.grad(mvn.logpdf)(np.array([1.0, 2.0]), np.zeros(2), np.eye(2))
    array([-1., -2.])
    """
    return _singular("logpdf", _d.logpdf, _st.multivariate_normal.logpdf, x, mean, cov, allow_singular)


def pdf(x, mean=None, cov=1, allow_singular=False):
    """Density, differentiable in ``x``, ``mean`` and ``cov``; ``allow_singular`` as in :func:`logpdf`.

    >>> import numpy as np
    >>> from backchain.autograd.scipy.stats import multivariate_normal as mvn
    >>> round(float(mvn.pdf(np.zeros(2), np.zeros(2), np.eye(2))), 6)   # 1 / (2 pi)
    0.159155
    """
    return _singular("pdf", _d.pdf, _st.multivariate_normal.pdf, x, mean, cov, allow_singular)


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
