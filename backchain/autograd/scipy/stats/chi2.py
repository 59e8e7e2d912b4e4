"""``backchain.autograd.scipy.stats.chi2``: the chi-squared distribution of ``backchain.scipy.stats``
(the gamma distribution with shape ``df / 2`` and scale ``2 scale``), differentiable in every argument,
``df`` to second order in ``cdf``, ``logcdf``, ``sf`` and ``logsf``."""
from backchain.scipy.stats import chi2 as _d

logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf = (_d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf,
                                                 _d.ppf, _d.isf)

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]
