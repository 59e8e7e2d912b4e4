"""``torch.nn``: backchain's layers, with torch Parameters and PyTorch's dtype checks.

Every layer of ``backchain.nn`` is here under its name as a thin subclass that (1) makes its
parameters ``torch.nn.Parameter`` (so ``p.grad`` is a torch Tensor and ``w * 2`` a torch Tensor) and
buffers torch Tensors, and (2) refuses a floating-point input whose dtype is not its weights', as
PyTorch does (``mat1 and mat2 must have the same dtype``), instead of computing in float64.
``state_dict`` keys, initialisation and ``repr`` are backchain's, which follow PyTorch's.
"""
import copy as _copy

import numpy as _np

import backchain.nn as _bnn
from ..._core.tensor import Tensor as _Base
from .._tensor import Tensor, _tname
from .._types import device as _device, check_device as _check_device, as_np_dtype as _as_np_dtype
from . import functional, init, utils  # noqa: F401
from .functional import _dtype_error

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "functional", "init", "utils"]


class Parameter(Tensor, _bnn.Parameter):
    """A trainable torch Tensor (``requires_grad=True`` by default) that Modules register;
    ``Parameter(t)`` shares ``t``'s data."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _np.zeros((0,), dtype=_np.float32)
        _Base.__init__(self, data.data if isinstance(data, _Base) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        out = Parameter(self.data.copy(), requires_grad=self.requires_grad)
        memo[id(self)] = out
        return out


class Buffer(Tensor):
    """``nn.Buffer(t)``: a tensor a Module registers as a buffer when assigned as an attribute."""

    __slots__ = ()


def _torchify(module):
    """Make every parameter of ``module`` a torch Parameter and every buffer a torch Tensor, in place
    (same objects: optimizers and hooks that hold them see the change)."""
    for m in module.modules():
        for p in m._parameters.values():
            if p is not None and type(p) is _bnn.Parameter:
                p.__class__ = Parameter
        for k, b in m._buffers.items():
            if b is not None and type(b) is _Base:
                b.__class__ = Tensor


def _first_float_param(module):
    for p in module._parameters.values():
        if p is not None and p.data.dtype.kind == "f":
            return p
    return None


class Module(_bnn.Module):
    """``torch.nn.Module``: backchain's Module, accepting ``torch.device`` and torch dtypes in ``to``,
    making assigned Parameters torch Parameters."""

    def __setattr__(self, name, value):
        if type(value) is _bnn.Parameter:
            value.__class__ = Parameter
        elif isinstance(value, Buffer):
            value.__class__ = Tensor
            self.register_buffer(name, value)
            return
        super().__setattr__(name, value)

    def register_buffer(self, name, tensor, persistent=True):
        super().register_buffer(name, tensor, persistent)
        b = self._buffers[name]
        if b is not None and type(b) is _Base:
            b.__class__ = Tensor

    def to(self, *args, dtype=None, device=None, non_blocking=False, **kwargs):
        _check_device(device, "Module.to")
        rest = []
        for a in args:
            if isinstance(a, (str, _device)):
                _check_device(a, "Module.to")
            elif isinstance(a, _Base):
                dtype = a.data.dtype
            else:
                rest.append(a)
        return super().to(*rest, dtype=_as_np_dtype(dtype))

    def cuda(self, device=None):
        _check_device("cuda", "Module.cuda")

    def type(self, dst_type):
        return self.to(dst_type)

    def share_memory(self):
        return self


def _torch_layer(cls):
    """``cls`` (a backchain layer) as a torch.nn layer: torch Parameters, PyTorch's dtype check."""
    def __init__(self, *args, **kwargs):
        cls.__init__(self, *args, **kwargs)
        _torchify(self)

    def forward(self, *args, **kwargs):
        w = _first_float_param(self)
        if w is not None and args:
            x = args[0]
            xd = x.data.dtype if isinstance(x, _Base) else getattr(x, "dtype", None)
            if xd is not None and xd.kind == "f" and xd != w.data.dtype:
                raise _dtype_error(type(self).__name__, xd, w.data.dtype, _np.shape(getattr(x, "data", x)))
        return cls.forward(self, *args, **kwargs)

    ns = {"__init__": __init__, "__module__": __name__, "__doc__": cls.__doc__, "__qualname__": cls.__name__}
    if cls.forward is not _bnn.Module.forward:
        ns["forward"] = forward
    return type(cls.__name__, (cls, Module), ns)


for _name in _bnn.__all__:
    _obj = getattr(_bnn, _name)
    if isinstance(_obj, type) and issubclass(_obj, _bnn.Module) and _obj is not _bnn.Module:
        globals()[_name] = _torch_layer(_obj)
        __all__.append(_name)


# max pooling with PyTorch's tie rule (functional's docstring)
MaxPool1d._fn = staticmethod(functional.max_pool1d)  # noqa: F821  (made by the loop above)
MaxPool2d._fn = staticmethod(functional.max_pool2d)  # noqa: F821
AdaptiveMaxPool1d.forward = lambda self, input: functional.adaptive_max_pool1d(  # noqa: F821
    input, self.output_size, self.return_indices)
AdaptiveMaxPool2d.forward = lambda self, input: functional.adaptive_max_pool2d(  # noqa: F821
    input, self.output_size, self.return_indices)


class Dropout1d(globals()["Dropout"]):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training."""

    def forward(self, input):
        return functional.dropout1d(input, self.p, self.training)


class Dropout2d(globals()["Dropout"]):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training."""

    def forward(self, input):
        return functional.dropout2d(input, self.p, self.training)


class Dropout3d(globals()["Dropout"]):
    """Zero whole channels of (N, C, D, H, W) input with probability ``p`` in training."""

    def forward(self, input):
        return functional.dropout3d(input, self.p, self.training)


__all__ += ["Dropout1d", "Dropout2d", "Dropout3d", "Buffer"]
