"""``backchain.scipy``: differentiable versions of SciPy functions, with SciPy's names and signatures.

Submodules: ``special``, ``stats``, ``linalg``, ``signal``, ``integrate``. Each
imports SciPy when it is first imported (``import backchain`` does not load
SciPy); ``backchain.scipy.special`` and the others may be imported directly or
reached as attributes of this package.
"""
import importlib

__all__ = ["special", "stats", "linalg", "signal", "integrate"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'backchain.scipy' has no attribute '{name}'")
