"""``backchain.autograd.scipy.stats.gamma``: the gamma distribution of ``backchain.scipy.stats``.

``cdf`` (and ``logcdf``, ``sf``, ``logsf``) are differentiable in every argument, the shape ``a`` to
second order (autograd's ``cdf`` in ``x`` only).
"""
from backchain.scipy.stats import gamma as _d

logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf = (_d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf,
                                                 _d.ppf, _d.isf)

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]
