"""``install()``: ``import autograd`` resolves to ``backchain.autograd``, by an explicit opt-in."""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install"]


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``autograd`` and ``autograd.<sub>`` as the modules ``backchain.autograd[.<sub>]``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "autograd" and not fullname.startswith("autograd."):
            return None
        if importlib.util.find_spec("backchain." + fullname) is None:
            return None  # a module of autograd's that backchain.autograd does not have: ModuleNotFoundError
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("backchain." + spec.name)

    def exec_module(self, module):
        pass  # already executed, as backchain.autograd...


def install():
    """Make ``import autograd`` (and its submodules) give ``backchain.autograd`` for the rest of the process.

    For libraries that import autograd themselves. Never done implicitly: call
    it before anything imports autograd (it raises a RuntimeError if HIPS
    autograd is already imported, since modules holding it would mix the two).
    Calling it again does nothing.

    >>> import subprocess, sys
    >>> code = "import backchain.autograd as b; b.install(); import autograd.numpy as np; print(np.__name__)"
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    'backchain.autograd.numpy\\n'
    """
    if any(isinstance(f, _Alias) for f in sys.meta_path):
        return
    loaded = sorted(n for n in sys.modules if n == "autograd" or n.startswith("autograd."))
    if loaded:
        raise RuntimeError(f"backchain.autograd.install: HIPS autograd is already imported ({', '.join(loaded[:3])}"
                           f"{', ...' if len(loaded) > 3 else ''}); call install() before anything imports autograd")
    sys.meta_path.insert(0, _Alias())
