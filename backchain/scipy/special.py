"""``backchain.scipy.special``: SciPy's special functions, differentiable.

>>> import backchain as bc
>>> from backchain.scipy import special
>>> float(bc.grad(special.gammaln)(3.0))  # digamma(3)
0.9227843350984671
"""
from .._rules.special import *  # noqa: F401,F403
from .._rules.special import __all__  # noqa: F401

from ..numpy._examples import attach as _attach  # noqa: E402
from ._examples import SPECIAL as _EX, SPECIAL_PREAMBLE as _PRE  # noqa: E402

_attach(globals(), _EX, _PRE)
del _EX
