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
from .._tensor import Tensor, _tname, named as _named
from .._types import device as _device, check_device as _check_device, as_np_dtype as _as_np_dtype
from . import functional, init, utils, parallel  # noqa: F401
from .. import _examples
from .functional import _dtype_error
from backchain.nn.layers.loss import _Loss

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "functional", "init", "utils", "parallel"]


class Parameter(Tensor, _bnn.Parameter):
    """A trainable torch Tensor (``requires_grad=True`` by default) that Modules register;
    ``Parameter(t)`` shares ``t``'s data.

    >>> import backchain.torch as torch
    >>> torch.nn.Parameter(torch.zeros(2))
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _np.zeros((0,), dtype=_np.float32)
        _Base.__init__(self, data._data if isinstance(data, _Base) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        out = Parameter(self._data.copy(), requires_grad=self.requires_grad)
        memo[id(self)] = out
        return out


class Buffer(Tensor):
    """``nn.Buffer(t)``: a tensor a Module registers as a buffer when assigned as an attribute.

    >>> import backchain.torch as torch
    >>> class Scaled(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = torch.nn.Buffer(torch.tensor([2.0]))
    >>> list(Scaled().state_dict())
    ['scale']
    """

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
        if p is not None and p._data.dtype.kind == "f":
            return p
    return None


class Module(_bnn.Module):
    """``torch.nn.Module``: backchain's Module, accepting ``torch.device`` and torch dtypes in ``to``,
    making assigned Parameters torch Parameters.

    >>> import backchain.torch as torch
    >>> class Net(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = torch.nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return torch.relu(self.fc(x))
    >>> net = Net().to(torch.device("cpu"))
    >>> net(torch.ones(4, 3)).shape, type(net.fc.weight).__name__
    (torch.Size([4, 2]), 'Parameter')
    """

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
                dtype = a._data.dtype
            else:
                rest.append(a)
        return super().to(*rest, dtype=_as_np_dtype(dtype))

    def cuda(self, device=None):
        _check_device("cuda", "Module.cuda")

    def type(self, dst_type):
        return self.to(dst_type)

    def share_memory(self):
        return self


class DataParallel(Module):
    """``torch.nn.DataParallel(module)``: on the CPU, where PyTorch's also runs the module as it is, the
    module itself, wrapped so that ``model.module`` and the ``module.``-prefixed ``state_dict`` keys
    of DataParallel checkpoints work. ``device_ids``, ``output_device`` and ``dim`` are accepted and,
    as by PyTorch without a GPU, ignored.

    >>> import backchain.torch as torch
    >>> model = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    >>> list(model.state_dict()), model(torch.ones(4, 3)).shape
    (['module.weight', 'module.bias'], torch.Size([4, 2]))
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


parallel.DataParallel = DataParallel
parallel.__all__.append("DataParallel")
__all__.append("DataParallel")


def _torch_layer(cls):
    """``cls`` (a backchain layer) as a torch.nn layer: torch Parameters, PyTorch's dtype check."""
    def __init__(self, *args, **kwargs):
        if ("size_average" in kwargs or "reduce" in kwargs) and issubclass(cls, _Loss):
            # PyTorch still takes the legacy arguments (backchain's own losses refuse them)
            kwargs["reduction"] = functional._reduction(kwargs.pop("size_average", None), kwargs.pop("reduce", None),
                                                        kwargs.get("reduction", "mean"))
        cls.__init__(self, *args, **kwargs)
        _torchify(self)

    def forward(self, *args, **kwargs):
        w = _first_float_param(self)
        if w is not None and args:
            x = args[0]
            xd = x._data.dtype if isinstance(x, _Base) else getattr(x, "dtype", None)
            if xd is not None and xd.kind == "f" and xd != w._data.dtype:
                raise _dtype_error(type(self).__name__, xd, w._data.dtype, _np.shape(getattr(x, "_data", x)))
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


# the losses' nodes under PyTorch's names (grad_fn=<MseLossBackward0>), as torch.nn.functional's
_LOSS_NODES = {"MSELoss": "mse_loss", "NLLLoss": "nll_loss", "CrossEntropyLoss": "nll_loss", "BCELoss":
               "binary_cross_entropy", "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
               "SmoothL1Loss": "smooth_l1_loss", "HuberLoss": "huber_loss", "L1Loss": "mean"}


def _named_loss(cls, node):
    forward = cls.forward

    def named_forward(self, input, target, *args, **kwargs):
        out = forward(self, input, target, *args, **kwargs)
        if node == "mean" and self.reduction != "mean" or cls.__name__ == "CrossEntropyLoss" and not \
                functional._is_index(target):
            return out
        return _named(node, out)
    cls.forward = named_forward


for _name, _node in _LOSS_NODES.items():
    _named_loss(globals()[_name], _node)


# max pooling with PyTorch's tie rule (functional's docstring)
MaxPool1d._fn = staticmethod(functional.max_pool1d)  # noqa: F821  (made by the loop above)
MaxPool2d._fn = staticmethod(functional.max_pool2d)  # noqa: F821
AdaptiveMaxPool1d.forward = lambda self, input: functional.adaptive_max_pool1d(  # noqa: F821
    input, self.output_size, self.return_indices)
AdaptiveMaxPool2d.forward = lambda self, input: functional.adaptive_max_pool2d(  # noqa: F821
    input, self.output_size, self.return_indices)


class Dropout1d(globals()["Dropout"]):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training.

    >>> import backchain.torch as torch
    >>> torch.nn.Dropout1d(0.5).eval()(torch.ones(1, 2, 3)).sum().item()
    6.0
    """

    def forward(self, input):
        return functional.dropout1d(input, self.p, self.training)


class Dropout2d(globals()["Dropout"]):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training.

    >>> import backchain.torch as torch
    >>> y = torch.nn.Dropout2d(0.5)(torch.ones(1, 8, 2, 2))
    >>> sorted(set(y.flatten(1).view(8, 4).amax(1).tolist()) | {0.0, 2.0})
    [0.0, 2.0]
    """

    def forward(self, input):
        return functional.dropout2d(input, self.p, self.training)


class Dropout3d(globals()["Dropout"]):
    """Zero whole channels of (N, C, D, H, W) input with probability ``p`` in training.

    >>> import backchain.torch as torch
    >>> torch.nn.Dropout3d(0.5).eval()(torch.ones(1, 2, 2, 2, 2)).shape
    torch.Size([1, 2, 2, 2, 2])
    """

    def forward(self, input):
        return functional.dropout3d(input, self.p, self.training)


class MaxPool3d(MaxPool2d):  # noqa: F821
    """Max over windows of ``(N, C, D, H, W)``; a tied window's gradient goes to its first maximum.

    >>> import backchain.torch as torch
    >>> torch.nn.MaxPool3d(2)(torch.arange(8.0).view(1, 1, 2, 2, 2))
    tensor([[[[[7.]]]]])
    """

    _fn = staticmethod(functional.max_pool3d)


class AvgPool3d(AvgPool2d):  # noqa: F821
    """Mean over windows of ``(N, C, D, H, W)``.

    >>> import backchain.torch as torch
    >>> torch.nn.AvgPool3d(2)(torch.arange(8.0).view(1, 1, 2, 2, 2))
    tensor([[[[[3.5000]]]]])
    """

    def forward(self, input):
        return functional.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                     self.count_include_pad)


class BatchNorm3d(BatchNorm2d):  # noqa: F821
    """Batch normalisation of (N, C, D, H, W) input over every dimension but the channels.

    >>> import backchain.torch as torch
    >>> torch.nn.BatchNorm3d(2)(torch.arange(16.0).view(2, 2, 2, 2, 1)).shape
    torch.Size([2, 2, 2, 2, 1])
    """

    _expected_ndim = (5,)


class _InstanceNorm(Module):
    _spatial = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None):
        super().__init__()
        if track_running_stats:
            raise NotImplementedError(f"{type(self).__name__}(track_running_stats=True) is not supported by "
                                      "backchain.torch yet")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = _as_np_dtype(dtype) or _np.float32
        if affine:
            self.weight = Parameter(_np.ones(self.num_features, dtype=dt))
            self.bias = Parameter(_np.zeros(self.num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        nd = _np.ndim(input._data if isinstance(input, _Base) else input)
        if nd == self._spatial + 1:  # one sample without the batch dimension
            return functional.instance_norm(input[None], weight=self.weight, bias=self.bias, eps=self.eps)[0]
        if nd != self._spatial + 2:
            raise ValueError(f"{type(self).__name__}: expected {self._spatial + 1}D or {self._spatial + 2}D input, "
                             f"got {nd}D input")
        return functional.instance_norm(input, weight=self.weight, bias=self.bias, eps=self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class InstanceNorm1d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, L) input over L.

    >>> import backchain.torch as torch
    >>> torch.nn.InstanceNorm1d(2)(torch.tensor([[[1.0, 3.0], [2.0, 2.0]]]))
    tensor([[[-1.0000,  1.0000],
             [ 0.0000,  0.0000]]])
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, H, W) input over H and W.

    >>> import backchain.torch as torch
    >>> torch.nn.InstanceNorm2d(1, affine=True)(torch.tensor([[[[1.0, 3.0]]]])).detach()
    tensor([[[[-1.0000,  1.0000]]]])
    """

    _spatial = 2


class EmbeddingBag(Module):
    """Sums, means or maxima of the embeddings in each bag (``functional.embedding_bag``); ``weight`` is
    ``(num_embeddings, embedding_dim)``, initialised N(0, 1) as PyTorch's.

    >>> import backchain.torch as torch
    >>> bag = torch.nn.EmbeddingBag(10, 3, mode="mean")
    >>> bag(torch.tensor([1, 2, 4, 5, 4, 3]), torch.tensor([0, 4])).shape
    torch.Size([2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        from ... import random as _random
        self.num_embeddings, self.embedding_dim, self.mode = num_embeddings, embedding_dim, mode
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        dt = _as_np_dtype(dtype) or _np.float32
        w = _random.default_generator().standard_normal((num_embeddings, embedding_dim)).astype(dt)
        if padding_idx is not None:
            w[padding_idx] = 0
        self.weight = Parameter(w if _weight is None else _weight)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return functional.embedding_bag(input, self.weight, offsets, mode=self.mode,
                                        per_sample_weights=per_sample_weights,
                                        include_last_offset=self.include_last_offset, padding_idx=self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}, mode='{self.mode}'"


class _LazyModule(Module):
    """A layer whose input size is taken from its first input: until then its parameters are empty
    placeholders; the first forward builds the layer, gives the placeholders their arrays (so an optimizer
    made before it updates them) and becomes that layer's class, as PyTorch's lazy modules do."""

    _becomes = None
    _names = ()

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._lazy_args = (args, kwargs)
        for name in self._names:
            if name != "bias" or kwargs.get("bias", True):
                setattr(self, name, Parameter(_np.zeros((0,), dtype=_np.float32)))
            else:
                self.register_parameter(name, None)

    def forward(self, input):
        args, kwargs = self._lazy_args
        size = _np.shape(input._data if isinstance(input, _Base) else input)[self._dim]
        real = globals()[self._becomes](size, *args, **kwargs)
        placeholders = dict(self._parameters)
        d = self.__dict__
        del d["_lazy_args"]
        for name, value in real.__dict__.items():
            if name != "_parameters":
                d[name] = value
        for name, p in real._parameters.items():
            if p is not None:
                placeholders[name]._data = p._data
        self._parameters.update({k: v for k, v in placeholders.items() if real._parameters.get(k) is not None})
        self.__class__ = type(real)
        return self(input)


class LazyLinear(_LazyModule):
    """``Linear`` whose ``in_features`` is the last dimension of its first input.

    >>> import backchain.torch as torch
    >>> layer = torch.nn.LazyLinear(3)
    >>> layer(torch.ones(2, 5)).shape, layer
    (torch.Size([2, 3]), Linear(in_features=5, out_features=3, bias=True))
    """

    _becomes, _names, _dim = "Linear", ("weight", "bias"), -1


class LazyConv2d(_LazyModule):
    """``Conv2d`` whose ``in_channels`` is the channel dimension of its first input.

    >>> import backchain.torch as torch
    >>> torch.nn.LazyConv2d(4, 3)(torch.ones(1, 2, 5, 5)).shape
    torch.Size([1, 4, 3, 3])
    """

    _becomes, _names, _dim = "Conv2d", ("weight", "bias"), 1


class AdaptiveAvgPool3d(Module):
    """Average (N, C, D, H, W) input to ``output_size`` (``functional.adaptive_avg_pool3d``).

    >>> import backchain.torch as torch
    >>> torch.nn.AdaptiveAvgPool3d((1, 2, 2))(torch.zeros(1, 3, 4, 4, 4)).shape
    torch.Size([1, 3, 1, 2, 2])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return functional.adaptive_avg_pool3d(input, self.output_size)


class LPPool2d(Module):
    """The p-norm over windows of (N, C, H, W) input (``functional.lp_pool2d``).

    >>> import backchain.torch as torch
    >>> torch.nn.LPPool2d(2, 2)(torch.tensor([[[[3.0, 4.0], [0.0, 0.0]]]]))
    tensor([[[[5.]]]])
    """

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return functional.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class Unfold(Module):
    """The sliding patches of (N, C, H, W) input as columns (``functional.unfold``).

    >>> import backchain.torch as torch
    >>> torch.nn.Unfold(kernel_size=2, stride=2)(torch.zeros(1, 3, 4, 4)).shape
    torch.Size([1, 12, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return functional.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)


class Fold(Module):
    """Columns of patches summed back into (N, C, H, W) (``functional.fold``).

    >>> import backchain.torch as torch
    >>> torch.nn.Fold(output_size=(4, 4), kernel_size=2, stride=2)(torch.zeros(1, 12, 4)).shape
    torch.Size([1, 3, 4, 4])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return functional.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)


class AlphaDropout(Module):
    """Dropout that keeps SELU's self-normalising mean and variance; the identity in eval.

    >>> import backchain.torch as torch
    >>> torch.nn.AlphaDropout(0.2).eval()(torch.ones(2))
    tensor([1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return functional.alpha_dropout(input, self.p, self.training)


class Softmin(Module):
    """``softmax(-input, dim)``.

    >>> import backchain.torch as torch
    >>> torch.nn.Softmin(dim=0)(torch.tensor([1.0, 2.0]))
    tensor([0.7311, 0.2689])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return functional.softmin(input, self.dim)


class GLU(Module):
    """The gated linear unit along ``dim``: the first half times the sigmoid of the second.

    >>> import backchain.torch as torch
    >>> torch.nn.GLU()(torch.tensor([[2.0, 0.0]]))
    tensor([[1.]])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return functional.glu(input, self.dim)


class Tanhshrink(Module):
    """``x - tanh(x)``.

    >>> import backchain.torch as torch
    >>> torch.nn.Tanhshrink()(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.2384])
    """

    def forward(self, input):
        return functional.tanhshrink(input)


class PairwiseDistance(Module):
    """The p-norm distance between rows of two inputs (``eps`` added to the difference, as PyTorch).

    >>> import backchain.torch as torch
    >>> torch.nn.PairwiseDistance()(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([5.0000])
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return functional.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class ParameterList(Module):
    """A list of Parameters registered under ``"0"``, ``"1"``, ... (tensors given are wrapped).

    >>> import backchain.torch as torch
    >>> ps = torch.nn.ParameterList([torch.ones(2), torch.zeros(3)])
    >>> [p.shape for p in ps], list(ps.state_dict())
    ([torch.Size([2]), torch.Size([3])], ['0', '1'])
    """

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def append(self, value):
        self.register_parameter(str(len(self)), value if isinstance(value, _bnn.Parameter) else Parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, index):
        return list(self._parameters.values())[index]

    def __setitem__(self, index, value):
        self._parameters[str(index % len(self))] = value if isinstance(value, _bnn.Parameter) else Parameter(value)


class ParameterDict(Module):
    """A dict of Parameters registered under their keys (tensors given are wrapped).

    >>> import backchain.torch as torch
    >>> pd = torch.nn.ParameterDict({"scale": torch.ones(1)})
    >>> pd["scale"].requires_grad, list(pd.state_dict())
    (True, ['scale'])
    """

    def __init__(self, parameters=None):
        super().__init__()
        for k, v in dict(parameters or {}).items():
            self[k] = v

    def __setitem__(self, key, value):
        self.register_parameter(key, value if isinstance(value, _bnn.Parameter) else Parameter(value))

    def __getitem__(self, key):
        return self._parameters[key]

    def __contains__(self, key):
        return key in self._parameters

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()


def _functional_layer(name, fn, params, doc, example, output, forward_args="input"):
    """A layer whose forward is ``fn(*inputs, **its constructor arguments)`` (``params``: name -> default)."""
    names = list(params)

    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        values = dict(params)
        values.update(zip(names, args))
        unknown = set(kwargs) - set(names) - {"size_average", "reduce", "inplace"}
        if unknown:
            raise TypeError(f"{name}: unexpected arguments {sorted(unknown)}")
        values.update((k, v) for k, v in kwargs.items() if k in names)
        if "reduction" in names:
            values["reduction"] = functional._reduction(kwargs.get("size_average"), kwargs.get("reduce"),
                                                        values["reduction"])
        for k, v in values.items():
            setattr(self, k, v)

    def forward(self, *inputs):
        return fn(*inputs, **{k: getattr(self, k) for k in names})

    def extra_repr(self):
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in names)

    full_doc = f"""{doc}

    >>> import backchain.torch as torch
    >>> {example}
    {output}
    """
    return type(name, (Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr,
                                  "__doc__": full_doc, "__module__": __name__, "__qualname__": name})


_REDUCE = {"reduction": "mean"}
_LAYERS = [
    ("Hardshrink", functional.hardshrink, {"lambd": 0.5}, "``x`` where ``|x| > lambd``, else 0."),
    ("Softshrink", functional.softshrink, {"lambd": 0.5}, "Shrink toward 0 by ``lambd``."),
    ("Threshold", functional.threshold, {"threshold": None, "value": None},
     "``x`` above ``threshold``, else ``value``."),
    ("MarginRankingLoss", functional.margin_ranking_loss, {"margin": 0.0, **_REDUCE},
     "``max(0, -y (x1 - x2) + margin)``, reduced."),
    ("HingeEmbeddingLoss", functional.hinge_embedding_loss, {"margin": 1.0, **_REDUCE},
     "``x`` for target 1, ``max(0, margin - x)`` for target -1, reduced."),
    ("CosineEmbeddingLoss", functional.cosine_embedding_loss, {"margin": 0.0, **_REDUCE},
     "``1 - cos(x1, x2)`` for target 1, ``max(0, cos - margin)`` for target -1, reduced."),
    ("PoissonNLLLoss", functional.poisson_nll_loss, {"log_input": True, "full": False, "eps": 1e-8, **_REDUCE},
     "The Poisson negative log-likelihood."),
    ("GaussianNLLLoss", functional.gaussian_nll_loss, {"full": False, "eps": 1e-6, **_REDUCE},
     "The Gaussian negative log-likelihood of ``target`` with mean ``input`` and variance ``var``."),
    ("TripletMarginLoss", functional.triplet_margin_loss, {"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False,
                                                            **_REDUCE},
     "``max(d(a, p) - d(a, n) + margin, 0)``, reduced."),
    ("MultiLabelSoftMarginLoss", functional.multilabel_soft_margin_loss, {"weight": None, **_REDUCE},
     "The multi-label one-versus-all logistic loss."),
    ("MultiMarginLoss", functional.multi_margin_loss, {"p": 1, "margin": 1.0, "weight": None, **_REDUCE},
     "The multi-class hinge loss."),
    ("LocalResponseNorm", functional.local_response_norm, {"size": None, "alpha": 1e-4, "beta": 0.75, "k": 1.0},
     "Normalise over neighbouring channels (AlexNet's)."),
    ("ConstantPad1d", lambda input, padding, value: functional.pad(
        input, (padding, padding) if isinstance(padding, int) else tuple(padding), value=value),
     {"padding": None, "value": None}, "Pad the last dimension with ``value``."),
    ("Softmax2d", lambda input: functional.softmax(input, -3), {}, "Softmax over the channels of (N, C, H, W)."),
    ("UpsamplingNearest2d", lambda input, size, scale_factor: functional.interpolate(
        input, size, scale_factor, mode="nearest"), {"size": None, "scale_factor": None}, "Nearest upsampling."),
    ("UpsamplingBilinear2d", lambda input, size, scale_factor: functional.interpolate(
        input, size, scale_factor, mode="bilinear", align_corners=True), {"size": None, "scale_factor": None},
     "Bilinear upsampling with ``align_corners=True``."),
]
for _name, _fn, _params, _doc in _LAYERS:
    _code, _out = _examples.LAYER_EXAMPLES[_name]
    _out = "\n    ".join(line or "<BLANKLINE>" for line in _out.split("\n"))
    globals()[_name] = _functional_layer(_name, _fn, _params, _doc, _code, _out)

__all__ += ["Dropout1d", "Dropout2d", "Dropout3d", "Buffer", "MaxPool3d", "AvgPool3d", "Softmin", "GLU",
            "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "Unfold", "Fold", "AlphaDropout", "EmbeddingBag",
            "LazyLinear", "LazyConv2d", "AdaptiveAvgPool3d", "LPPool2d",
            "Tanhshrink", "PairwiseDistance", "ParameterList", "ParameterDict"] + [spec[0] for spec in _LAYERS]


CTCLoss.forward = lambda self, log_probs, targets, input_lengths, target_lengths: functional.ctc_loss(  # noqa: F821
    log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction, self.zero_infinity)
FractionalMaxPool2d._fn = staticmethod(functional.fractional_max_pool2d)  # noqa: F821
FractionalMaxPool3d._fn = staticmethod(functional.fractional_max_pool3d)  # noqa: F821
