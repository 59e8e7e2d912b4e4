"""Non-smooth activation primitives: relu, leaky_relu, relu6, hardtanh, hardsigmoid, hardswish.

Each is its own primitive, so that its value at the kink is the documented
convention of its row, never an accident of composition: ``relu`` written as
``maximum(x, 0)`` would pass half a gradient at 0 (the tie convention of
``maximum``); here relu'(0) = 0, the minimum-norm element of [0, 1]
(DESIGN.md section 4). Smooth activations (sigmoid, softplus, gelu, ...) are
composites in ``backchain.nn.functional``.

The values at the kinks are read from the policy of ``backchain.kinks``
(``relu_at_zero``, ``leaky_relu_at_zero``, ``clip_at_bound``,
``hardsigmoid_at_bound``, ``hardswish_at_lower``/``_upper``) when the derivative
is computed; the defaults are those stated in each row.
"""
import numpy as np

import backchain.numpy as bnp
from ..kinks import _policy
from .. import _ld
from .._core.primitive import primitive
from .._core.tensor import Tensor

__all__ = ["relu", "leaky_relu", "relu6", "hardtanh", "hardsigmoid", "hardswish"]


def _mask(x, cond, off=0.0, at=None, at_value=None, on=1.0):
    """A piecewise-constant derivative: ``on`` where ``cond``, ``off`` elsewhere (``at_value`` where ``at``).

    The derivative carries no graph (it is constant between kinks), so it is built
    with plain NumPy in ``x``'s dtype: ``g * d`` then keeps float32 as float32.
    """
    dtype = x.dtype if x.dtype.kind in "fc" else np.float64
    d = np.where(cond, np.asarray(on, dtype), np.asarray(off, dtype))
    if at is not None:
        d = np.where(at, np.asarray(at_value, dtype), d)
    return d


def _relu_d(ans, x):
    # relu'(0) = 0 by default: min-norm subgradient of [0, 1] (policy: relu_at_zero).
    v = _policy.relu_at_zero
    xd = x._data if isinstance(x, Tensor) else x
    if v == 0.0:
        return xd > 0  # a boolean mask: g * mask keeps g's dtype and costs one pass
    return _mask(xd, xd > 0, 0.0, xd == 0, v)


_LARGE = 64 * 1024   # bytes: smaller arrays take np.maximum(x, 0)
_POOLED_MAX = 64 * 1024 * 1024   # bytes: larger results are fresh arrays, not pooled ones
_zeros_state = {}


def _zeros(shape, dtype):
    """A read-only array of zeros of ``shape`` (a view of one buffer per dtype, grown when needed)."""
    n = int(np.prod(shape))
    buf = _zeros_state.get(dtype)
    if buf is None or buf.size < n:
        buf = np.zeros(n, dtype)   # calloc: untouched pages read as the kernel's zero page
        buf.setflags(write=False)
        _zeros_state[dtype] = buf
    return buf[:n].reshape(shape)


def _relu_impl(x):
    # NOTE: np.maximum against a scalar 0 runs a slower loop than against an array of zeros (3x on
    # float32 feature maps; the same values, -0.0 and NaN included); large float arrays take the zeros,
    # and a pooled output (a fresh one of this size is page-faulted in on every call).
    if type(x) is not np.ndarray or x.dtype.kind != "f" or x.nbytes < _LARGE:
        return np.maximum(x, 0)
    z = _zeros(x.shape, x.dtype)
    if x.nbytes > _POOLED_MAX:   # very large results are not kept in the pool
        return np.maximum(x, z)
    from .._core.scratch import recycled as _output

    return np.maximum(x, z, out=_output("relu", x.shape, x.dtype))


relu = primitive("relu", _relu_impl, deriv=(_relu_d,),
                 ld=_ld.RELU, kinks="relu'(0) = relu_at_zero (default 0, min-norm of [0, 1])")


def _leaky_impl(x, negative_slope):
    return np.where(x > 0, x, x * negative_slope)


def _leaky_d(ans, x, negative_slope):
    # leaky_relu'(0) = negative_slope by default: min-norm of [a, 1] for 0 <= a <= 1
    # (policy: leaky_relu_at_zero, a value between a and 1).
    v = _policy.leaky_relu_at_zero
    xd = x._data if isinstance(x, Tensor) else x
    if v is None:
        return _mask(xd, xd > 0, negative_slope)
    lo, hi = min(negative_slope, 1.0), max(negative_slope, 1.0)
    if not lo <= v <= hi:
        raise ValueError(f"leaky_relu: the policy leaky_relu_at_zero={v:g} is not between negative_slope="
                         f"{negative_slope:g} and 1, the one-sided derivatives at 0")
    return _mask(xd, xd > 0, negative_slope, xd == 0, v)


_leaky_relu = primitive("leaky_relu", _leaky_impl, deriv=(_leaky_d,),
                        ld=_ld.LEAKY_RELU,
                        kinks="leaky_relu'(0) = leaky_relu_at_zero (default negative_slope, min-norm of [a, 1])")


def leaky_relu(x, negative_slope=0.01):
    """``x`` where positive, else ``negative_slope * x``; derivative ``negative_slope`` at 0."""
    return _leaky_relu(x, negative_slope=negative_slope)


def _hardtanh_impl(x, min_val, max_val):
    return np.clip(x, min_val, max_val)


def _hardtanh_d(ans, x, min_val, max_val):
    # 1 strictly inside; at both boundaries clip_at_bound (default 0, min-norm of [0, 1]).
    v = _policy.clip_at_bound
    xd = x._data if isinstance(x, Tensor) else x
    inside = (xd > min_val) & (xd < max_val)
    if v == 0.0:
        return inside
    return _mask(xd, inside, 0.0, (xd == min_val) | (xd == max_val), v)


_hardtanh = primitive("hardtanh", _hardtanh_impl, deriv=(_hardtanh_d,),
                      ld=_ld.HARDTANH, kinks="hardtanh'(min_val) = hardtanh'(max_val) = clip_at_bound (default 0)")


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """``clip(x, min_val, max_val)``; derivative 1 strictly inside, 0 at and beyond the boundaries."""
    return _hardtanh(x, min_val=min_val, max_val=max_val)


def relu6(x):
    """``min(max(x, 0), 6)``; derivative 0 at 0 and at 6 (the hardtanh row)."""
    return _hardtanh(x, min_val=0.0, max_val=6.0)


def _hardsigmoid_impl(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _hardsigmoid_d(ans, x):
    # 1/6 strictly inside (-3, 3), 0 beyond; at ±3 hardsigmoid_at_bound (default 0, min-norm of [0, 1/6]).
    v = _policy.hardsigmoid_at_bound
    xd = x._data if isinstance(x, Tensor) else np.asarray(x)
    at = None if v == 0.0 else (xd == -3.0) | (xd == 3.0)
    return _mask(xd, (xd > -3.0) & (xd < 3.0), 0.0, at, v, on=1.0 / 6.0)


hardsigmoid = primitive("hardsigmoid", _hardsigmoid_impl, deriv=(_hardsigmoid_d,),
                        ld=_ld.HARDSIGMOID, kinks="hardsigmoid'(±3) = hardsigmoid_at_bound (default 0)")


def _hardswish_impl(x):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _hardswish_d(ans, x):
    # x/3 + 1/2 inside (-3, 3); 0 below, 1 above. At -3 the one-sided values are 0 and -1/2,
    # min-norm 0; at 3 they are 3/2 and 1, min-norm 1 (policy: hardswish_at_lower, _upper).
    smooth = bnp.where(x < -3.0, 0.0, bnp.where(x < 3.0, x / 3.0 + 0.5, 1.0))
    return bnp.where(x == -3.0, _policy.hardswish_at_lower, bnp.where(x == 3.0, _policy.hardswish_at_upper, smooth))


hardswish = primitive("hardswish", _hardswish_impl, deriv=(_hardswish_d,),
                      ld=_ld.HARDSWISH,
                      kinks="hardswish'(-3) = hardswish_at_lower (default 0), hardswish'(3) = hardswish_at_upper (default 1)")
