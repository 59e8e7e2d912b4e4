"""``backchain.autograd.scipy.stats.beta``: the beta distribution of ``backchain.scipy.stats``."""
import scipy.stats as _st

from backchain.scipy.stats import beta as _d
from .._plain import plain_only as _plain_only

logpdf, pdf = _d.logpdf, _d.pdf


def cdf(x, a, b, loc=0, scale=1):
    """SciPy's ``beta.cdf`` on plain values; on traced ones a NotImplementedError (backchain has no rule yet).

    >>> from backchain.autograd.scipy.stats import beta
    >>> round(float(beta.cdf(0.5, 2.0, 3.0)), 6)
    0.6875
    """
    return _plain_only("beta.cdf", "backchain.scipy.stats.beta has no cdf", _st.beta.cdf, x, a, b, loc, scale)


__all__ = ["logpdf", "pdf", "cdf"]
