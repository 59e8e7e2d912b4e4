"""Loss modules; each calls its ``backchain.nn.functional`` function.

Class weights and ``pos_weight`` are buffers, as in PyTorch (so they appear in
``state_dict`` when given).
"""
from __future__ import annotations

from typing import Any

import numpy.typing as npt

from .. import functional as F
from ..module import Module
from ..._core.tensor import Tensor


class _Loss(Module):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            raise ValueError(f"{type(self).__name__}: size_average and reduce are deprecated; use reduction=")
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: npt.ArrayLike | Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error.

    >>> import numpy as np, backchain as bc
    >>> float(bc.nn.MSELoss()(np.array([0.0, 2.0]), np.array([0.0, 0.0])))
    2.0
    """

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> loss = bc.nn.L1Loss()(bc.tensor([1.0, 2.0, 3.0]), bc.tensor([1.0, 0.0, 4.0]))
    >>> float(loss)
    1.0
    """

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> loss = bc.nn.SmoothL1Loss()(bc.tensor([0.5, 3.0]), bc.tensor([0.0, 0.0]))
    >>> float(loss)
    1.3125
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, ``delta``-sloped linear above.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> loss = bc.nn.HuberLoss(delta=1.0)(bc.tensor([0.5, 3.0]), bc.tensor([0.0, 0.0]))
    >>> float(loss)
    1.3125
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> logp = bc.tensor(np.log([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]))
    >>> loss = bc.nn.NLLLoss()(logp, bc.tensor([0, 1]))
    >>> round(float(loss), 4)
    0.4581
    """

    def __init__(self, weight: npt.ArrayLike | Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or probabilities (``weight``, ``ignore_index``,
    ``label_smoothing`` as in PyTorch).

    >>> import numpy as np, backchain as bc
    >>> loss = bc.nn.CrossEntropyLoss(ignore_index=-1)
    >>> float(loss(np.array([[0.0, 0.0], [5.0, 0.0]]), np.array([0, -1])))  # doctest: +ELLIPSIS
    0.693...
    """

    def __init__(self, weight: npt.ArrayLike | Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> loss = bc.nn.BCELoss()(bc.tensor([0.8, 0.2]), bc.tensor([1.0, 0.0]))
    >>> round(float(loss), 4)
    0.2231
    """

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits (stable), with ``weight`` and ``pos_weight`` buffers.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> loss = bc.nn.BCEWithLogitsLoss()(bc.tensor([0.0, 0.0]), bc.tensor([1.0, 0.0]))
    >>> round(float(loss), 4)
    0.6931
    """

    def __init__(self, weight: npt.ArrayLike | Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean", pos_weight: npt.ArrayLike | Tensor | None = None
                 ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """KL divergence with log-probability inputs (``reduction="batchmean"`` for the true KL).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> logq = bc.tensor(np.log([[0.25, 0.75]]))
    >>> p = bc.tensor([[0.5, 0.5]])
    >>> round(float(bc.nn.KLDivLoss(reduction="batchmean")(logq, p)), 4)
    0.1438
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: npt.ArrayLike | Tensor, target: npt.ArrayLike | Tensor) -> Any:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> cos = bc.nn.CosineSimilarity(dim=1)
    >>> cos(bc.tensor([[1.0, 0.0], [1.0, 1.0]]), bc.tensor([[0.0, 1.0], [2.0, 2.0]])).numpy().round(6).tolist()
    [0.0, 1.0]
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: npt.ArrayLike | Tensor, x2: npt.ArrayLike | Tensor) -> Any:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class CTCLoss(_Loss):
    """The connectionist temporal classification loss (``torch.nn.CTCLoss``; see ``F.ctc_loss``).

    ``forward(log_probs, targets, input_lengths, target_lengths)`` with ``log_probs`` (T, N, C) and
    ``targets`` (N, S) padded or 1-D concatenated; ``reduction="mean"`` divides each loss by its target
    length, then averages over the batch.

    >>> import numpy as np, backchain as bc
    >>> lp = np.log(np.full((3, 1, 2), 0.5))
    >>> round(float(bc.nn.CTCLoss(reduction="sum")(lp, np.array([[1]]), [3], [1])), 4)
    0.2877
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: npt.ArrayLike | Tensor, targets: npt.ArrayLike | Tensor,
                input_lengths: npt.ArrayLike | Tensor, target_lengths: npt.ArrayLike | Tensor) -> Any:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)

    def extra_repr(self) -> str:
        return f"blank={self.blank}, reduction={self.reduction!r}, zero_infinity={self.zero_infinity}"
