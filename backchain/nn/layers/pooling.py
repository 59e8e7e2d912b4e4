"""Pooling layers: max, average, adaptive and unpooling (PyTorch names and arguments; no parameters)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy.typing as npt

from .. import functional as F
from ..module import Module
from ..._core.tensor import Tensor


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size: int | tuple[int, ...], stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, dilation: int | tuple[int, ...] = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of ``(N, C, L)``; ties share the gradient by the ``bc.kinks`` policy.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.MaxPool1d(2)(np.array([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
    [[[3.0, 2.0]]]
    """

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over windows of ``(N, C, H, W)`` (``torch.nn.MaxPool2d``); ``return_indices`` for :class:`MaxUnpool2d`.

    Ties in a window split the gradient evenly by default; under
    ``bc.kinks.policy(ties="first")`` the first maximum gets it all, as in PyTorch.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    _fn = staticmethod(F.max_pool2d)


class _AvgPoolNd(Module):
    def __init__(self, kernel_size: int | tuple[int, ...], stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of ``(N, C, L)`` (``torch.nn.AvgPool1d``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.AvgPool1d(2)(np.array([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
    [[[2.0, 1.0]]]
    """

    def __init__(self, kernel_size: int | tuple[int, ...], stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, ceil_mode: bool = False, count_include_pad: bool = True
                 ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of ``(N, C, H, W)`` (``torch.nn.AvgPool2d``, with ``divisor_override``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptivePool(Module):
    def __init__(self, output_size: int | tuple[int | None, ...]) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling to a fixed length (``torch.nn.AdaptiveAvgPool1d``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.AdaptiveAvgPool1d(1)(np.array([[[1.0, 3.0, 2.0]]])).tolist()
    [[[2.0]]]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed ``(H_out, W_out)`` (``torch.nn.AdaptiveAvgPool2d``; None keeps that axis).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.AdaptiveAvgPool2d((1, 1))(np.ones((2, 3, 5, 7))).shape
    (2, 3, 1, 1)
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling to a fixed length (``torch.nn.AdaptiveMaxPool1d``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.AdaptiveMaxPool1d(1)(np.array([[[1.0, 3.0, 2.0]]])).tolist()
    [[[3.0]]]
    """

    def __init__(self, output_size: int | tuple[int | None, ...], return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed ``(H_out, W_out)`` (``torch.nn.AdaptiveMaxPool2d``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.AdaptiveMaxPool2d(1)(np.arange(6.0).reshape(1, 1, 2, 3)).tolist()
    [[[[5.0]]]]
    """

    def __init__(self, output_size: int | tuple[int | None, ...], return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class _MaxUnpool(Module):
    _fn = None

    def __init__(self, kernel_size: int | tuple[int, ...], stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, input: npt.ArrayLike | Tensor, indices: npt.ArrayLike | Tensor,
                output_size: Sequence[int] | None = None) -> Any:
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """Partial inverse of :class:`MaxPool1d`: values back at their indices, zeros elsewhere.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.MaxUnpool1d(2)(np.array([[[5.0, 7.0]]]), np.array([[[1, 2]]])).tolist()
    [[[0.0, 5.0, 7.0, 0.0]]]
    """

    _fn = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    """Partial inverse of :class:`MaxPool2d` (``torch.nn.MaxUnpool2d``); ``forward(x, indices, output_size=None)``.

    >>> import numpy as np, backchain as bc
    >>> y, i = bc.nn.MaxPool2d(2, return_indices=True)(np.array([[[[1.0, 4.0], [3.0, 2.0]]]]))
    >>> bc.nn.MaxUnpool2d(2)(y, i).tolist()
    [[[[0.0, 4.0], [0.0, 0.0]]]]
    """

    _fn = staticmethod(F.max_unpool2d)


class _FractionalMaxPoolNd(Module):
    _fn = None
    _nd = 2

    def __init__(self, kernel_size: int | tuple[int, ...], output_size: int | tuple[int, ...] | None = None,
                 output_ratio: float | tuple[float, ...] | None = None, return_indices: bool = False,
                 _random_samples: npt.ArrayLike | Tensor | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be specified")
        if output_ratio is not None:
            ratios = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * self._nd
            if len(ratios) != self._nd or not all(0 < r < 1 for r in ratios):
                raise ValueError(f"{name}: output_ratio must be {self._nd} numbers between 0 and 1 (got "
                                 f"{output_ratio})")
        self.kernel_size, self.output_size, self.output_ratio = kernel_size, output_size, output_ratio
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return type(self)._fn(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                              _random_samples=self._random_samples)

    def extra_repr(self) -> str:
        size = f"output_size={self.output_size}" if self.output_size is not None else \
            f"output_ratio={self.output_ratio}"
        return f"kernel_size={self.kernel_size}, {size}"


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of ``(N, C, H, W)`` (``torch.nn.FractionalMaxPool2d``; see
    ``F.fractional_max_pool2d``): windows at pseudo-random positions, drawn anew on each call from
    backchain's generator unless ``_random_samples`` (N, C, 2) fixes them.

    >>> import numpy as np, backchain as bc
    >>> pool = bc.nn.FractionalMaxPool2d(2, output_ratio=0.5)
    >>> pool(np.zeros((2, 3, 10, 12))).shape
    (2, 3, 5, 6)
    """

    _fn = staticmethod(F.fractional_max_pool2d)
    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of ``(N, C, T, H, W)`` (``torch.nn.FractionalMaxPool3d``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.FractionalMaxPool3d(2, output_size=(2, 3, 3))(np.zeros((1, 2, 5, 6, 7))).shape
    (1, 2, 2, 3, 3)
    """

    _fn = staticmethod(F.fractional_max_pool3d)
    _nd = 3
