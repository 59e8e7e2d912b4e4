"""``backchain.autograd.scipy.stats.norm``: the normal distribution of ``backchain.scipy.stats``."""
from backchain.scipy.stats import norm as _d

logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf = (_d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf, _d.ppf,
                                                 _d.isf)

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]
