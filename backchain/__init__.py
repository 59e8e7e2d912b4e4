"""backchain: differentiable programming on NumPy arrays.

>>> import backchain as bc, backchain.numpy as bnp
>>> float(bc.grad(lambda x: bnp.tanh(x) ** 2)(0.5))
0.72686198...
"""
import typing as _typing

from ._core.tensor import Tensor, tensor, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from ._core import malloc as _malloc
_malloc.tune()  # glibc's thresholds where its own adjustment ends (_core/malloc.py)
from . import numpy  # noqa: F401  (installs Tensor's methods)
from ._core import inplace as _inplace
from ._core.anomaly import (detect_anomaly, set_detect_anomaly, is_anomaly_enabled, AnomalyError,
                            AnomalyWarning, InplaceError)
from ._core.engine import GraphReleasedError
from .transforms import (grad, value_and_grad, elementwise_grad, vjp, jvp, jacobian, hessian, hvp,
                         stop_gradient, checkpoint)
from .custom import custom_vjp, custom_jvp, Function, elementwise, defprimitive
from ._vmap.api import vmap
from . import check, viz
from .check import gradcheck
from . import kinks
from .surrogate import straight_through
from . import random
from .random import manual_seed
from .summary import summary  # binds the function over the submodule's name
from .jit import jit  # the function over the subpackage's name (from backchain.jit import Program)

_inplace.install(Tensor)

if _typing.TYPE_CHECKING:  # what __getattr__ loads on first use, for type checkers
    from . import io, train, optim, data, nn, distributed, func
    from .io import save, load
    from .train import fit, evaluate, predict, History

# Training, optimizers and data load on first use (backchain.fit, backchain.optim, ...).
_LAZY = {"save": "io", "load": "io", "io": None, "fit": "train", "evaluate": "train", "predict": "train",
         "History": "train", "train": None, "optim": None, "data": None, "nn": None,
         "distributed": None, "func": None}


def __getattr__(name: str) -> _typing.Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'backchain' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:  # the lazily loaded names too, for dir() and tab completion
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "grad", "value_and_grad", "elementwise_grad", "vjp", "jvp", "jacobian", "hessian", "hvp",
    "stop_gradient", "checkpoint", "jit", "vmap", "numpy",
    "custom_vjp", "custom_jvp", "Function", "elementwise", "defprimitive", "check", "gradcheck", "viz",
    "random", "manual_seed", "nn",
    "save", "load", "summary", "fit", "evaluate", "predict", "History", "optim", "data", "train", "io",
    "kinks", "straight_through", "distributed", "func",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError", "AnomalyWarning",
    "InplaceError", "GraphReleasedError",
]

