"""``backchain.scipy.signal``: n-dimensional convolution and correlation, differentiable."""
from .._rules.signal import *  # noqa: F401,F403
from .._rules.signal import __all__  # noqa: F401
