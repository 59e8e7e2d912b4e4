"""backchain: differentiable programming on NumPy arrays.

>>> import backchain as bc, backchain.numpy as bnp
>>> bc.grad(lambda x: bnp.tanh(x) ** 2)(0.5)
0.7864477329659274
"""
from ._core.tensor import Tensor, tensor, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from . import numpy  # noqa: F401  (installs Tensor's methods)
from .transforms import (grad, value_and_grad, elementwise_grad, vjp, jvp, jacobian, hessian, hvp,
                         stop_gradient, checkpoint)
from .custom import custom_vjp, custom_jvp, Function, elementwise, defprimitive
from . import check
from .check import gradcheck
from . import kinks
from .surrogate import straight_through

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "grad", "value_and_grad", "elementwise_grad", "vjp", "jvp", "jacobian", "hessian", "hvp",
    "stop_gradient", "checkpoint", "numpy",
    "custom_vjp", "custom_jvp", "Function", "elementwise", "defprimitive", "check", "gradcheck",
    "kinks", "straight_through",
]
