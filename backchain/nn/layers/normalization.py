"""Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm, RMSNorm (PyTorch parameters and buffers)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import functional as F
from ..module import Module, Parameter
from ..._core.tensor import Tensor


def _dt(dtype):
    return np.float32 if dtype is None else np.dtype(dtype)


class _BatchNorm(Module):
    _expected_ndim = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: object = None, dtype: npt.DTypeLike | None = None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = _dt(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dt))
            self.bias = Parameter(np.zeros(self.num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dt))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data = np.array(0, dtype=np.int64)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight._data[...] = 1
            self.bias._data[...] = 0

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        nd = np.ndim(input._data if hasattr(input, "requires_grad") else input)
        if nd not in self._expected_ndim:
            raise ValueError(f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self._expected_ndim)} "
                             f"input, got {nd}D input")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data = self.num_batches_tracked._data + 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias, use_batch,
                            momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs over all axes but C.

    Training: batch statistics normalise, the running statistics are updated
    (``momentum``; ``None`` for a cumulative average; the running variance is
    the unbiased one, as in PyTorch). Eval: the running statistics normalise.
    Buffers ``running_mean``, ``running_var``, ``num_batches_tracked``.

    >>> import numpy as np, backchain as bc
    >>> bn = bc.nn.BatchNorm1d(3)
    >>> y = bn(np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32))
    >>> int(bn.num_batches_tracked.item()), np.allclose(y.data.mean(0), 0, atol=1e-6)
    (1, True)
    """

    _expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs per channel (see :class:`BatchNorm1d`).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bn = bc.nn.BatchNorm2d(3)
    >>> x = bc.tensor(np.random.default_rng(0).normal(2.0, 3.0, size=(4, 3, 5, 5)))
    >>> y = bn(x)
    >>> y.shape
    (4, 3, 5, 5)
    >>> np.allclose(y.numpy().mean(axis=(0, 2, 3)), 0.0)
    True
    """

    _expected_ndim = (4,)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes; ``weight`` ones, ``bias`` zeros.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.LayerNorm(4)(np.arange(8.0, dtype=np.float32).reshape(2, 4)).shape
    (2, 4)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: object = None, dtype: npt.DTypeLike | None = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        dt = _dt(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalise groups of channels of each sample; per-channel ``weight`` and ``bias``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.GroupNorm(2, 4)(np.ones((3, 4, 5), dtype=np.float32)).shape
    (3, 4, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: object = None, dtype: npt.DTypeLike | None = None) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dt = _dt(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dt))
            self.bias = Parameter(np.zeros(num_channels, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class RMSNorm(Module):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing axes (eps None: the dtype's eps).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.RMSNorm(4)(np.ones((2, 4), dtype=np.float32)).shape
    (2, 4)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: object = None, dtype: npt.DTypeLike | None = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps, self.elementwise_affine = tuple(normalized_shape), eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=_dt(dtype)))
        else:
            self.register_parameter("weight", None)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
