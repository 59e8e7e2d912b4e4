"""``backchain.autograd.numpy.fft``: ``backchain.numpy.fft`` (NumPy's own for names it lacks)."""
import numpy.fft as _np_fft

from backchain.numpy.fft import *  # noqa: F401,F403

__all__ = sorted(n for n in dir() if not n.startswith("_"))


def __getattr__(name):
    try:
        return getattr(_np_fft, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.numpy.fft' has no attribute {name!r}") from None
