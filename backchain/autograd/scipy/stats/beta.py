"""``backchain.autograd.scipy.stats.beta``: the beta distribution of ``backchain.scipy.stats``.

``cdf`` (and ``logcdf``, ``sf``, ``logsf``) are differentiable in every argument (``a`` and ``b`` to
second order), where autograd's ``cdf`` is in ``x`` only.
"""
from backchain.scipy.stats import beta as _d

logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf = (_d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf,
                                                 _d.ppf, _d.isf)

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]
