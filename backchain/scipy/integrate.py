"""``backchain.scipy.integrate``: ``odeint``, differentiable to any order (adjoint method, forward sensitivities)."""
from .._rules.integrate import *  # noqa: F401,F403
from .._rules.integrate import __all__  # noqa: F401
