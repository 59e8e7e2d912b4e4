"""``backchain.autograd.numpy.linalg``: ``backchain.numpy.linalg`` (NumPy's own for names it lacks)."""
import numpy.linalg as _np_linalg

from backchain.numpy.linalg import *  # noqa: F401,F403

__all__ = sorted(n for n in dir() if not n.startswith("_"))


def __getattr__(name):
    try:
        return getattr(_np_linalg, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.numpy.linalg' has no attribute {name!r}") from None
