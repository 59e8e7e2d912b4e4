"""The spatial transformer (Jaderberg et al., 2015): a localisation network, ``affine_grid`` and ``grid_sample``."""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

import backchain.numpy as bnp
from .. import functional as F
from ..module import Module
from .linear import Linear
from ..._core.tensor import Tensor


class SpatialTransformer(Module):
    """Warp ``(N, C, H, W)`` images by the affine map that ``localization`` predicts from them.

    ``localization`` maps the input to ``(N, 6)`` numbers, the rows of
    ``theta`` ``(N, 2, 3)``; its last :class:`Linear` layer (which must have 6
    outputs) is initialised to the identity transform (weight 0, bias
    ``[1, 0, 0, 0, 1, 0]``), so training starts from the unchanged image.
    The output is ``grid_sample(x, affine_grid(theta, (N, C, *output_size)))``
    with ``mode`` (bilinear, nearest), ``padding_mode`` (zeros, border, reflection)
    and ``align_corners``; ``output_size`` defaults to the input's ``(H, W)``.

    >>> import numpy as np, backchain as bc
    >>> loc = bc.nn.Sequential(bc.nn.Flatten(), bc.nn.Linear(64, 16), bc.nn.Tanh(), bc.nn.Linear(16, 6))
    >>> st = bc.nn.SpatialTransformer(loc)
    >>> x = np.random.default_rng(0).random((2, 1, 8, 8)).astype(np.float32)
    >>> bool(np.allclose(st(x).data, x, atol=1e-6))
    True
    """

    def __init__(self, localization: Module, output_size: int | tuple[int | None, ...] = None,
                 align_corners: bool = False, mode: str = "bilinear", padding_mode: str = "zeros") -> None:
        super().__init__()
        if not isinstance(localization, Module):
            raise TypeError(f"SpatialTransformer: localization must be a Module, got {type(localization).__name__}")
        self.localization = localization
        self.output_size = None if output_size is None else tuple(int(s) for s in output_size)
        self.align_corners, self.mode, self.padding_mode = align_corners, mode, padding_mode
        last = [m for m in localization.modules() if isinstance(m, Linear)]
        if not last or last[-1].out_features != 6:
            raise ValueError("SpatialTransformer: the localization network must end with a Linear layer of 6 "
                             "outputs (the affine transform), so that it can start at the identity")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set the localisation network's last Linear layer to output the identity transform."""
        last = [m for m in self.localization.modules() if isinstance(m, Linear)][-1]
        last.weight._data[...] = 0
        if last.bias is not None:
            last.bias._data[...] = np.array([1, 0, 0, 0, 1, 0], dtype=last.bias._data.dtype)

    def theta(self, input: npt.ArrayLike | Tensor) -> Any:
        """The affine transforms ``(N, 2, 3)`` that the localisation network predicts for ``input``."""
        n = np.shape(input._data if isinstance(input, Tensor) else input)[0]
        return bnp.reshape(self.localization(input), (n, 2, 3))

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        shape = np.shape(input._data if isinstance(input, Tensor) else input)
        if len(shape) != 4:
            raise ValueError(f"SpatialTransformer: expected input (N, C, H, W), got shape {shape}")
        size = shape[:2] + (self.output_size or shape[2:])
        grid = F.affine_grid(self.theta(input), size, align_corners=self.align_corners)
        return F.grid_sample(input, grid, mode=self.mode, padding_mode=self.padding_mode,
                             align_corners=self.align_corners)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, mode={self.mode}, padding_mode={self.padding_mode}"
