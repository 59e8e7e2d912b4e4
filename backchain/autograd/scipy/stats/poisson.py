"""``backchain.autograd.scipy.stats.poisson``: the Poisson distribution of ``backchain.scipy.stats``,
differentiable in ``mu`` (``cdf``'s derivative is ``-pmf(floor(k), mu)``, as autograd's)."""
from backchain.scipy.stats import poisson as _d

logpmf, pmf, cdf, logcdf, sf, logsf = _d.logpmf, _d.pmf, _d.cdf, _d.logcdf, _d.sf, _d.logsf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]
