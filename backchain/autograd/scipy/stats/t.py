"""``backchain.autograd.scipy.stats.t``: the t distribution of ``backchain.scipy.stats``."""
import scipy.stats as _st

from backchain.scipy.stats import t as _d
from .._plain import plain_only as _plain_only

logpdf, pdf = _d.logpdf, _d.pdf


def cdf(x, df, loc=0, scale=1):
    """SciPy's ``t.cdf`` on plain values; on traced ones a NotImplementedError (backchain has no rule yet).

    >>> from backchain.autograd.scipy.stats import t
    >>> round(float(t.cdf(0.5, 3.0)), 6)
    0.674276
    """
    return _plain_only("t.cdf", "backchain.scipy.stats.t has no cdf", _st.t.cdf, x, df, loc, scale)


def logcdf(x, df, loc=0, scale=1):
    """SciPy's ``t.logcdf`` on plain values; on traced ones a NotImplementedError (backchain has no rule yet).

    >>> from backchain.autograd.scipy.stats import t
    >>> round(float(t.logcdf(0.5, 3.0)), 6)
    -0.394116
    """
    return _plain_only("t.logcdf", "backchain.scipy.stats.t has no logcdf", _st.t.logcdf, x, df, loc, scale)


__all__ = ["logpdf", "pdf", "cdf", "logcdf"]
