"""Embedding: a lookup table of vectors."""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ..._core.tensor import Tensor


class Embedding(Module):
    """Rows of ``weight`` ``(num_embeddings, embedding_dim)`` at integer indices; init N(0, 1).

    ``padding_idx``: that row starts at zero and receives no gradient.
    ``max_norm``: rows looked up are renormalised in place to at most that norm.

    >>> import numpy as np, backchain as bc
    >>> emb = bc.nn.Embedding(10, 3, padding_idx=0)
    >>> emb(np.array([[0, 4, 9]])).shape
    (1, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: npt.ArrayLike | Tensor | None = None, _freeze: bool = False,
                 device: object = None, dtype: npt.DTypeLike | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if self.num_embeddings < 0 or self.embedding_dim < 0:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be non-negative, got "
                             f"num_embeddings={num_embeddings}, embedding_dim={embedding_dim}")
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"({self.num_embeddings})")
            padding_idx %= self.num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = np.float32 if dtype is None else np.dtype(dtype)
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dt),
                                    requires_grad=not _freeze)
            self.reset_parameters(generator)
        else:
            w = np.array(getattr(_weight, "_data", _weight) if not isinstance(_weight, np.ndarray) else _weight)
            if w.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight of shape {w.shape}; expected "
                                 f"({self.num_embeddings}, {self.embedding_dim})")
            self.weight = Parameter(w, requires_grad=not _freeze)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: npt.ArrayLike | Tensor, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight is a copy of the 2-d ``embeddings``."""
        e = np.asarray(embeddings._data if hasattr(embeddings, "requires_grad") else embeddings)
        if e.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-d, got shape {e.shape}")
        return cls(e.shape[0], e.shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=e, _freeze=freeze)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s
