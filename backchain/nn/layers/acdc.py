"""ACDC structured linear layers (Moczulski et al., 2016): ``y = idct(d * dct(a * x)) + bias``.

O(N) parameters and O(N log N) time per vector: ``a`` and ``d`` are diagonals
and the orthonormal DCT-II is applied by ``scipy.fft`` (the rule's VJP applies
DCTs too, never a dense N x N matrix; see ``backchain._rules.dct``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

import backchain.numpy as bnp
from .. import functional as F
from .. import init
from ..module import Module, ModuleList, Parameter
from ...random import _gen
from ..._core.tensor import Tensor


class ACDC(Module):
    """``y = idct(d * dct(a * x)) + bias`` over the last axis of ``(*, features)``.

    Parameters ``a``, ``d`` ``(features,)`` start near the identity map, drawn
    from N(1, ``init_std``^2); ``bias`` starts at 0.

    >>> import numpy as np, backchain as bc
    >>> layer = bc.nn.ACDC(8, init_std=0.0)
    >>> x = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    >>> bool(np.allclose(layer(x).data, x, atol=1e-6))
    True
    """

    def __init__(self, features: int, bias: bool = True, init_std: float = 1e-2, dtype: npt.DTypeLike | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.features, self.init_std = int(features), float(init_std)
        dt = np.float32 if dtype is None else np.dtype(dtype)
        self.a = Parameter(np.empty(self.features, dtype=dt))
        self.d = Parameter(np.empty(self.features, dtype=dt))
        if bias:
            self.bias = Parameter(np.zeros(self.features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.normal_(self.a, 1.0, self.init_std, generator=generator)
        init.normal_(self.d, 1.0, self.init_std, generator=generator)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.acdc(input, self.a, self.d, self.bias)

    def extra_repr(self) -> str:
        return f"{self.features}, bias={self.bias is not None}"


class ACDCStack(Module):
    """``depth`` ACDC layers (``layers.0``, ...), with fixed random permutations and an optional activation between them.

    The permutations (buffers ``perm_0``, ... of the ``depth - 1`` gaps) are
    drawn once from ``generator`` and saved in the ``state_dict``; they mix the
    coordinates so that a deep stack approximates a general linear map.
    Initialised near the identity (diagonals ~ N(1, ``init_std``^2)).

    >>> import numpy as np, backchain as bc
    >>> stack = bc.nn.ACDCStack(16, depth=4, generator=np.random.default_rng(0))
    >>> stack(np.ones((2, 16), np.float32)).shape, len(stack.layers)
    ((2, 16), 4)
    """

    def __init__(self, features: int, depth: int, permute: bool = True, activation: Callable[[Any], Any] | None = None,
                 bias: bool = True, init_std: float = 1e-2, dtype: npt.DTypeLike | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if int(depth) < 1:
            raise ValueError(f"ACDCStack: depth must be at least 1, got {depth}")
        self.features, self.depth, self.permute = int(features), int(depth), permute
        self.layers = ModuleList([ACDC(features, bias=bias, init_std=init_std, dtype=dtype, generator=generator)
                                  for _ in range(self.depth)])
        self.activation = activation
        if permute:
            rng = _gen(generator)
            for k in range(self.depth - 1):
                self.register_buffer(f"perm_{k}", rng.permutation(self.features).astype(np.int64))

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        x = input
        for k, layer in enumerate(self.layers):
            x = layer(x)
            if k < self.depth - 1:
                if self.activation is not None:
                    x = self.activation(x)
                if self.permute:
                    x = bnp.take(x, getattr(self, f"perm_{k}")._data, axis=-1)
        return x

    def extra_repr(self) -> str:
        return f"{self.features}, depth={self.depth}, permute={self.permute}"
