"""``backchain.scipy.integrate``: ``odeint``, differentiable (first order) by the adjoint method."""
from .._rules.integrate import *  # noqa: F401,F403
from .._rules.integrate import __all__  # noqa: F401
