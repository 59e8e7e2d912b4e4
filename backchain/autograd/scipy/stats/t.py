"""``backchain.autograd.scipy.stats.t``: Student's t distribution of ``backchain.scipy.stats``.

``cdf`` and ``logcdf`` (and ``sf``, ``logsf``) are differentiable in every argument (``df`` to second
order), where autograd's are in ``x`` and ``loc``.
"""
from backchain.scipy.stats import t as _d

logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf = (_d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf,
                                                 _d.ppf, _d.isf)

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]
