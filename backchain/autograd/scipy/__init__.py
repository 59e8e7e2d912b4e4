"""``backchain.autograd.scipy``: autograd's SciPy modules, backed by ``backchain.scipy``.

Submodules ``special``, ``stats`` (one module per distribution, as autograd
has), ``linalg``, ``signal``, ``integrate`` and ``misc`` load on first use.
"""
import importlib

__all__ = ["special", "stats", "linalg", "signal", "integrate", "misc"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'backchain.autograd.scipy' has no attribute {name!r}")
