"""Non-smooth activation primitives: relu, leaky_relu, relu6, hardtanh, hardsigmoid, hardswish.

Each is its own primitive, so that its value at the kink is the documented
convention of its row, never an accident of composition: ``relu`` written as
``maximum(x, 0)`` would pass half a gradient at 0 (the tie convention of
``maximum``); here relu'(0) = 0, the minimum-norm element of [0, 1]
(DESIGN.md section 4). Smooth activations (sigmoid, softplus, gelu, ...) are
composites in ``backchain.nn.functional``.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive

__all__ = ["relu", "leaky_relu", "relu6", "hardtanh", "hardsigmoid", "hardswish"]


def _relu_d(ans, x):
    # relu'(0) = 0: min-norm subgradient of [0, 1].
    return bnp.where(x > 0, 1.0, 0.0)


relu = primitive("relu", lambda x: np.maximum(x, 0), deriv=(_relu_d,),
                 kinks="relu'(0) = 0 (min-norm of [0, 1])")


def _leaky_impl(x, negative_slope):
    return np.where(x > 0, x, x * negative_slope)


def _leaky_d(ans, x, negative_slope):
    # leaky_relu'(0) = negative_slope: min-norm of [a, 1] for 0 <= a <= 1.
    return bnp.where(x > 0, 1.0, negative_slope)


_leaky_relu = primitive("leaky_relu", _leaky_impl, deriv=(_leaky_d,),
                        kinks="leaky_relu'(0) = negative_slope (min-norm of [a, 1])")


def leaky_relu(x, negative_slope=0.01):
    """``x`` where positive, else ``negative_slope * x``; derivative ``negative_slope`` at 0."""
    return _leaky_relu(x, negative_slope=negative_slope)


def _hardtanh_impl(x, min_val, max_val):
    return np.clip(x, min_val, max_val)


def _hardtanh_d(ans, x, min_val, max_val):
    # 0 at both boundaries (min-norm of [0, 1]), 1 strictly inside.
    return bnp.where((x > min_val) & (x < max_val), 1.0, 0.0)


_hardtanh = primitive("hardtanh", _hardtanh_impl, deriv=(_hardtanh_d,),
                      kinks="hardtanh'(min_val) = hardtanh'(max_val) = 0")


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """``clip(x, min_val, max_val)``; derivative 1 strictly inside, 0 at and beyond the boundaries."""
    return _hardtanh(x, min_val=min_val, max_val=max_val)


def relu6(x):
    """``min(max(x, 0), 6)``; derivative 0 at 0 and at 6 (the hardtanh row)."""
    return _hardtanh(x, min_val=0.0, max_val=6.0)


def _hardsigmoid_impl(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _hardsigmoid_d(ans, x):
    # 1/6 strictly inside (-3, 3), 0 at and beyond ±3.
    return bnp.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0)


hardsigmoid = primitive("hardsigmoid", _hardsigmoid_impl, deriv=(_hardsigmoid_d,),
                        kinks="hardsigmoid'(±3) = 0")


def _hardswish_impl(x):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _hardswish_d(ans, x):
    # x/3 + 1/2 inside (-3, 3); 0 below, 1 above. At -3 the one-sided values are 0 and -1/2,
    # min-norm 0; at 3 they are 3/2 and 1, min-norm 1.
    return bnp.where(x < -3.0, 0.0, bnp.where(x < 3.0, x / 3.0 + 0.5, 1.0)) * bnp.where(x == -3.0, 0.0, 1.0)


hardswish = primitive("hardswish", _hardswish_impl, deriv=(_hardswish_d,),
                      kinks="hardswish'(-3) = 0, hardswish'(3) = 1")
