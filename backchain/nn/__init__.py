"""``backchain.nn``: modules, layers, losses and initialisation with PyTorch's names and semantics.

>>> import numpy as np, backchain as bc
>>> model = bc.nn.Sequential(bc.nn.Linear(4, 8), bc.nn.ReLU(), bc.nn.Linear(8, 3))
>>> x, y = np.ones((5, 4), dtype=np.float32), np.array([0, 1, 2, 0, 1])
>>> loss = bc.nn.functional.cross_entropy(model(x), y)
>>> loss.backward()
>>> model[0].weight.grad.shape
(8, 4)
"""
from .module import Parameter, Module, Sequential, ModuleList, ModuleDict, functional_call
from . import functional, init, utils
from . import layers
from .layers import *  # noqa: F401,F403

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "functional_call", "functional",
           "init", "utils"]
__all__ += layers.__all__  # a form that type checkers read as re-exports

from .layers.loss import CTCLoss  # noqa: E402
from .layers.pooling import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: E402

__all__ += ["CTCLoss", "FractionalMaxPool2d", "FractionalMaxPool3d"]
