"""``backchain.scipy.signal``: n-dimensional convolution and correlation, differentiable."""
from .._rules.signal import *  # noqa: F401,F403
from .._rules.signal import __all__  # noqa: F401

from ..numpy._examples import attach as _attach  # noqa: E402
from ._examples import SIGNAL as _EX, SIGNAL_PREAMBLE as _PRE  # noqa: E402

_attach(globals(), _EX, _PRE)
del _EX
