"""``backchain.autograd.scipy.stats.chi2``: the chi-squared distribution, as ``gamma(df / 2, scale=2)``."""
import scipy.stats as _st

from backchain.scipy.stats import gamma as _gamma
from .._plain import plain_only as _plain_only

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, df, loc=0, scale=1):
    """Log-density of the chi-squared distribution (SciPy's signature), differentiable in every argument.

    It is the gamma distribution's with shape ``df / 2`` and scale ``2 * scale``.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.scipy.stats import chi2
    >>> round(float(chi2.logpdf(1.5, 3.0)), 6), round(float(ag.grad(chi2.logpdf)(1.5, 3.0)), 6)
    (-1.466206, -0.166667)
    """
    return _gamma.logpdf(x, df / 2, loc, 2 * scale)


def pdf(x, df, loc=0, scale=1):
    """Density of the chi-squared distribution (SciPy's signature): ``gamma.pdf(x, df / 2, loc, 2 * scale)``.

    >>> from backchain.autograd.scipy.stats import chi2
    >>> round(float(chi2.pdf(1.5, 3.0)), 6)
    0.230799
    """
    return _gamma.pdf(x, df / 2, loc, 2 * scale)


def cdf(x, df, loc=0, scale=1):
    """SciPy's ``chi2.cdf`` on plain values; on traced ones a NotImplementedError (backchain has no rule yet).

    >>> from backchain.autograd.scipy.stats import chi2
    >>> round(float(chi2.cdf(1.5, 3.0)), 6)
    0.31773
    """
    return _plain_only("chi2.cdf", "backchain.scipy.stats has no chi2 cdf (gamma cdf: gammainc)", _st.chi2.cdf,
                       x, df, loc, scale)
