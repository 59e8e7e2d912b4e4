"""``backchain.scipy.special``: SciPy's special functions, differentiable.

>>> import backchain as bc
>>> from backchain.scipy import special
>>> float(bc.grad(special.gammaln)(3.0))  # digamma(3)
0.9227843350984671
"""
from .._rules.special import *  # noqa: F401,F403
from .._rules.special import __all__  # noqa: F401
