"""``backchain.torch``: PyTorch's names and semantics over backchain, so that a PyTorch program runs
after ``import backchain.torch as torch``.

>>> import backchain.torch as torch
>>> x = torch.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y
tensor(5., grad_fn=<SumBackward0>)
>>> y.backward(); x.grad
tensor([2., 4.])
>>> _, pred = torch.tensor([[0.1, 0.9], [0.8, 0.2]]).max(1)
>>> pred
tensor([1, 0])

Tensors made here are ``backchain.torch.Tensor``: a ``backchain.Tensor`` whose methods have PyTorch's
meaning (``size()``, ``view``, ``transpose(0, 1)``, ``max(dim)``, unbiased ``std``); every result of
an operation on one is one. Plain ``backchain`` Tensors keep NumPy's meanings. See
docs/coming-from/pytorch.md for what is supported and what differs.
"""
import numpy as _np

from .._core.tensor import no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from ._types import dtype, Size, device, bfloat16, DTYPES as _DTYPES
from ._tensor import Tensor, get_default_dtype, set_default_dtype
from ._ops import *  # noqa: F401,F403
from . import _ops

globals().update(_DTYPES)
bool = _DTYPES["bool"]  # noqa: A001  (torch.bool, as in PyTorch)
float = _DTYPES["float"]  # noqa: A001
int = _DTYPES["int"]  # noqa: A001
long, double, half = _DTYPES["long"], _DTYPES["double"], _DTYPES["half"]
abs, max, min, sum, all, any, round, pow = (_ops.abs, _ops.max, _ops.min, _ops.sum, _ops.all, _ops.any,
                                            _ops.round, _ops.pow)
strided = "torch.strided"
contiguous_format = preserve_format = channels_last = None
inf, nan, pi, e = _np.inf, _np.nan, _np.pi, _np.e
__version__ = "2.13.0+backchain"


class inference_mode(no_grad):
    """``no_grad`` under PyTorch's other name (backchain has no separate inference tensors).

    Examples
    --------
    >>> import backchain.torch as torch
    >>> with torch.inference_mode():
    ...     y = torch.ones(2, requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode=True):
        self.mode = not mode


def autocast(device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
    """``torch.amp.autocast``: a no-op when disabled or in float32/float64 (float16 raises).

    >>> import backchain.torch as torch
    >>> with torch.autocast("cpu", enabled=False):
    ...     torch.ones(1).dtype
    torch.float32
    """
    from .amp import autocast as _autocast
    return _autocast(device_type, dtype, enabled, cache_enabled)


def compile(model=None, **kwargs):
    """Returns the model or function unchanged: backchain runs eagerly (no compilation)."""
    if model is None:
        return lambda m: m
    return model


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    from . import _repr
    for name, v in (("PRECISION", precision), ("THRESHOLD", threshold), ("EDGEITEMS", edgeitems),
                    ("LINEWIDTH", linewidth)):
        if v is not None:
            setattr(_repr, name, v)


def set_num_threads(n):
    """Accepted and ignored: NumPy's BLAS decides its threads (set OMP_NUM_THREADS before starting)."""


def get_num_threads():
    import os
    return os.cpu_count() or 1


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted: backchain's CPU operations are deterministic."""


def save(obj, f, **kwargs):
    from .serialization import save as _save
    return _save(obj, f)


def load(f, map_location=None, weights_only=True, **kwargs):
    from .serialization import load as _load
    return _load(f, weights_only=weights_only)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from ``torch.linalg.lu_factor``'s packed factor and pivots.

    >>> import backchain.torch as torch
    >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> P, L, U = torch.lu_unpack(*torch.linalg.lu_factor(A))
    >>> torch.allclose(P @ L @ U, A)
    True
    """
    from .linalg import lu_unpack as _unpack
    return _unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def _submodule(name):
    import importlib
    return importlib.import_module(f".{name}", __name__)


_LAZY = ("nn", "optim", "utils", "autograd", "cuda", "backends", "func", "serialization", "mps", "accelerator",
         "linalg", "fft", "special", "onnx", "jit", "amp", "distributed", "distributions", "testing", "hub")


__all__ = _ops.__all__ + [
    "Tensor", "Size", "device", "dtype", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "inference_mode", "get_default_dtype", "set_default_dtype", "compile", "set_printoptions", "set_num_threads",
    "get_num_threads", "use_deterministic_algorithms", "save", "load", "autocast", "bfloat16", "lu_unpack"] + \
    sorted(_DTYPES)

from ._examples import attach as _attach  # noqa: E402

_attach(globals())


def __getattr__(name):
    if name in _LAZY:
        module = _submodule(name)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'backchain.torch' has no attribute {name!r} (not provided by backchain.torch; "
                         "see docs/coming-from/pytorch.md for what is missing)")
