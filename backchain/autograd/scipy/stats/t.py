"""``backchain.autograd.scipy.stats.t``: Student's t distribution of ``backchain.scipy.stats``.

``cdf`` and ``logcdf`` (and ``sf``, ``logsf``) are differentiable in ``x``, ``loc`` and ``scale``, as
autograd's; differentiating in ``df`` raises, naming it.
"""
from backchain.scipy.stats import t as _d

logpdf, pdf, cdf, logcdf, sf, logsf = _d.logpdf, _d.pdf, _d.cdf, _d.logcdf, _d.sf, _d.logsf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
