"""``backchain.autograd.scipy.stats.beta``: the beta distribution of ``backchain.scipy.stats``.

``cdf`` (and ``logcdf``, ``sf``, ``logsf``) are differentiable in ``x``, ``loc`` and ``scale``, as
autograd's ``cdf`` is in ``x``; differentiating in ``a`` or ``b`` raises, naming them.
"""
from backchain.scipy.stats import beta as _d

logpdf, pdf, cdf, logcdf, sf, logsf = _d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
