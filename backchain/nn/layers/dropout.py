"""Dropout."""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .. import functional as F
from ..module import Module
from ..._core.tensor import Tensor


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``.

    In eval mode it is the identity. The mask comes from ``generator`` (a
    ``numpy.random.Generator``) if given, else from backchain's default
    generator, seeded by ``bc.manual_seed``.

    >>> import numpy as np, backchain as bc
    >>> drop = bc.nn.Dropout(0.5, generator=np.random.default_rng(0))
    >>> sorted(set(drop(np.ones(100)).tolist()))
    [0.0, 2.0]
    >>> drop.eval()(np.ones(2))
    array([1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
