"""``backchain.autograd.scipy.stats.poisson``: the poisson distribution of ``backchain.scipy.stats``."""
import scipy.stats as _st

from backchain.scipy.stats import poisson as _d
from .._plain import plain_only as _plain_only

logpmf, pmf = _d.logpmf, _d.pmf


def cdf(k, mu, loc=0):
    """SciPy's ``poisson.cdf`` on plain values; on traced ones a NotImplementedError (backchain has no rule yet).

    >>> from backchain.autograd.scipy.stats import poisson
    >>> round(float(poisson.cdf(2.0, 3.0)), 6)
    0.42319
    """
    return _plain_only("poisson.cdf", "backchain.scipy.stats.poisson has no cdf", _st.poisson.cdf, k, mu, loc)


__all__ = ["logpmf", "pmf", "cdf"]
