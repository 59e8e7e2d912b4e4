"""Resampling and padding layers: Upsample, PixelShuffle, PixelUnshuffle, ChannelShuffle, the Pad family."""
from __future__ import annotations

from typing import Any

import numpy.typing as npt

from .. import functional as F
from ..module import Module
from ..._core.tensor import Tensor


class Upsample(Module):
    """Resize ``(N, C, *spatial)`` by ``size`` or ``scale_factor`` (``torch.nn.Upsample``).

    Modes nearest, nearest-exact, linear, bilinear, trilinear; ``align_corners``
    for the linear modes. The forward is :func:`backchain.nn.functional.interpolate`.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.Upsample(scale_factor=2, mode="bilinear")(np.ones((1, 1, 2, 3))).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size: int | tuple[int, ...] | None = None,
                 scale_factor: float | tuple[float, ...] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode='{self.mode}'"


class PixelShuffle(Module):
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)`` (``torch.nn.PixelShuffle``).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.PixelShuffle(2)(np.ones((1, 8, 3, 3))).shape
    (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = int(upscale_factor)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)``, the inverse of :class:`PixelShuffle`.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.PixelUnshuffle(2)(np.ones((1, 2, 6, 6))).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = int(downscale_factor)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (``torch.nn.ChannelShuffle``, ShuffleNet).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ChannelShuffle(2)(np.arange(4.0).reshape(1, 4, 1, 1)).ravel().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = int(groups)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class _PadNd(Module):
    _nd = 2
    _mode = "constant"

    def __init__(self, padding: int | tuple[int, ...]) -> None:
        super().__init__()
        self.padding = (int(padding),) * (2 * self._nd) if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 2 * self._nd:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a {2 * self._nd}-tuple "
                             f"(left, right{', top, bottom' if self._nd > 1 else ''}), got {padding}")

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.pad(input, self.padding, mode=self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_PadNd):
    """Pad the last axis with zeros: ``padding`` int or ``(left, right)``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ZeroPad1d((1, 0))(np.ones((1, 1, 2))).tolist()
    [[[0.0, 1.0, 1.0]]]
    """

    _nd = 1


class ZeroPad2d(_PadNd):
    """Pad the last two axes with zeros: ``padding`` int or ``(left, right, top, bottom)``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ZeroPad2d((1, 0, 0, 1))(np.ones((1, 1, 2, 2))).shape
    (1, 1, 3, 3)
    """


class ConstantPad2d(_PadNd):
    """Pad the last two axes with ``value``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ConstantPad2d(1, 3.0)(np.zeros((1, 1, 1, 1)))[0, 0, 0].tolist()
    [3.0, 3.0, 3.0]
    """

    def __init__(self, padding: int | tuple[int, ...], value: float) -> None:
        super().__init__(padding)
        self.value = float(value)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.pad(input, self.padding, mode="constant", value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ReflectionPad1d(_PadNd):
    """Pad the last axis by reflection (the edge not repeated).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ReflectionPad1d(2)(np.array([[[1.0, 2.0, 3.0]]])).tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]]
    """

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two axes by reflection.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ReflectionPad2d(1)(np.ones((1, 1, 3, 3))).shape
    (1, 1, 5, 5)
    """

    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last axis by repeating the edge value.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ReplicationPad1d((0, 2))(np.array([[[1.0, 2.0]]])).tolist()
    [[[1.0, 2.0, 2.0, 2.0]]]
    """

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two axes by repeating the edge values.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ReplicationPad2d(1)(np.ones((1, 1, 3, 3))).shape
    (1, 1, 5, 5)
    """

    _mode = "replicate"


class CircularPad2d(_PadNd):
    """Pad the last two axes periodically (wrap around).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.CircularPad2d(1)(np.ones((1, 1, 3, 3))).shape
    (1, 1, 5, 5)
    """

    _mode = "circular"
