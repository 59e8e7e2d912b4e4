"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d (PyTorch parameters, names and init)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ..._core.tensor import Tensor


def _ntuple(v, n, name, cls):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) != n:
        raise ValueError(f"{cls}: {name} must be an int or a tuple of {n} ints, got {v}")
    return v


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...], padding: int | tuple[int, ...] | str, dilation: int | tuple[int, ...],
                 groups: int, bias: bool, padding_mode: str, output_padding: int | tuple[int, ...],
                 dtype: npt.DTypeLike | None, generator: np.random.Generator | None) -> None:
        super().__init__()
        cls = type(self).__name__
        nd = self._nd
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{cls}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                             f"divisible by groups ({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{cls}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                             f"got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{cls}: only padding_mode='zeros' is supported (as in PyTorch)")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size = _ntuple(kernel_size, nd, "kernel_size", cls)
        self.stride = _ntuple(stride, nd, "stride", cls)
        self.dilation = _ntuple(dilation, nd, "dilation", cls)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{cls}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{cls}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, nd, "padding", cls)
        self.output_padding = _ntuple(output_padding, nd, "output_padding", cls)
        self.padding_mode = padding_mode
        dt = np.float32 if dtype is None else np.dtype(dtype)
        if self._transposed:
            shape = (self.in_channels, self.out_channels // groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))`` for the weight, U(-1/sqrt(fan_in), ..) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound, generator=generator)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self._transposed and self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                 dilation: int | tuple[int, ...] = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, dtype, generator)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                              padding_mode=self.padding_mode)


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)``: weight ``(C_out, C_in / groups, K)``, bias ``(C_out,)``.

    Arguments as ``torch.nn.Conv1d`` (``padding`` may be "same" or "valid";
    ``padding_mode`` zeros, reflect, replicate or circular); the forward is
    :func:`backchain.nn.functional.conv1d`.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.Conv1d(2, 4, 3, padding=1)(np.ones((5, 2, 7), np.float32)).shape
    (5, 4, 7)
    """

    _nd = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution over ``(N, C_in, H, W)``: weight ``(C_out, C_in / groups, kH, kW)``, bias ``(C_out,)``.

    Arguments, parameter names and the default initialisation are PyTorch's, so
    ``load_state_dict`` takes a ``torch.nn.Conv2d``'s weights unchanged.

    >>> import numpy as np, backchain as bc
    >>> conv = bc.nn.Conv2d(1, 8, 3, padding=1, padding_mode="reflect")
    >>> conv(np.ones((2, 1, 8, 8), np.float32)).shape
    (2, 8, 8, 8)
    >>> conv
    Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)
    """

    _nd = 2
    _fn = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution over ``(N, C_in, D, H, W)``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.Conv3d(1, 2, 3)(np.ones((1, 1, 4, 4, 4), np.float32)).shape
    (1, 2, 2, 2, 2)
    """

    _nd = 3
    _fn = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                 output_padding: int | tuple[int, ...] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | tuple[int, ...] = 1, padding_mode: str = "zeros", device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype, generator)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        shape = np.shape(input._data if hasattr(input, "requires_grad") else input)
        output_size = tuple(int(s) for s in output_size)[-self._nd:]
        out = []
        for i in range(self._nd):
            least = ((shape[-self._nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                     + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = output_size[i] - least
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{type(self).__name__}: requested output_size {output_size} is not reachable "
                                 f"from input of shape {shape} (sizes {least} to {least + self.stride[i] - 1} "
                                 f"along axis {i})")
            out.append(extra)
        return tuple(out)

    def forward(self, input: npt.ArrayLike | Tensor, output_size: Sequence[int] | None = None) -> Any:
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                              self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution: weight ``(C_in, C_out / groups, K)``; PyTorch's arguments and init.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1)(np.ones((1, 2, 5), np.float32)).shape
    (1, 3, 10)
    """

    _nd = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution: weight ``(C_in, C_out / groups, kH, kW)``; ``forward(x, output_size=None)``.

    >>> import numpy as np, backchain as bc
    >>> up = bc.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    >>> up(np.ones((1, 4, 5, 5), np.float32)).shape, up(np.ones((1, 4, 5, 5), np.float32), output_size=(10, 10)).shape
    ((1, 2, 9, 9), (1, 2, 10, 10))
    """

    _nd = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution: weight ``(C_in, C_out / groups, kD, kH, kW)``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ConvTranspose3d(1, 1, 2, stride=2)(np.ones((1, 1, 2, 2, 2), np.float32)).shape
    (1, 1, 4, 4, 4)
    """

    _nd = 3
    _fn = staticmethod(F.conv_transpose3d)
