"""``backchain.autograd.scipy.stats.gamma``: the gamma distribution of ``backchain.scipy.stats``."""
import scipy.stats as _st

from backchain.scipy.stats import gamma as _d
from .._plain import plain_only as _plain_only

logpdf, pdf = _d.logpdf, _d.pdf


def cdf(x, a, loc=0, scale=1):
    """SciPy's ``gamma.cdf`` on plain values; on traced ones a NotImplementedError (backchain has no rule yet).

    >>> from backchain.autograd.scipy.stats import gamma
    >>> round(float(gamma.cdf(0.5, 2.0)), 6)
    0.090204
    """
    return _plain_only("gamma.cdf", "backchain.scipy.stats.gamma has no cdf", _st.gamma.cdf, x, a, loc, scale)


__all__ = ["logpdf", "pdf", "cdf"]
