"""SparseAdam (PyTorch's ``torch.optim.SparseAdam``): Adam's lazy variant for embeddings, which moves the
moments and the parameters only at the rows the gradient touches."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _real
from .._core.tensor import Tensor

__all__ = ["SparseAdam"]


def _touched_rows(g):
    """The rows (indices along the first axis) whose gradient holds a nonzero entry; every entry of a 0-d
    or 1-D gradient is a row of its own."""
    if g.ndim <= 1:
        return np.flatnonzero(g)
    return np.flatnonzero(np.any(g.reshape(g.shape[0], -1) != 0, axis=1))


class SparseAdam(Optimizer):
    r"""The lazy Adam of PyTorch's ``SparseAdam``: at step ``t``, only the touched rows move,

    .. code-block:: text

        m[rows] = m[rows] + (1 - beta1) (g[rows] - m[rows])
        v[rows] = v[rows] + (1 - beta2) (g[rows]^2 - v[rows])
        p[rows] = p[rows] - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m[rows] / (sqrt(v[rows]) + eps)

    while the other rows keep their parameters and moments (no decay). ``t`` counts the steps at which the
    parameter had a gradient, as PyTorch's.

    backchain's gradients are dense arrays (``Embedding(sparse=True)`` is refused): a row counts as
    touched when its gradient holds a nonzero entry. For an embedding these are the rows looked up in
    the batch (the indices of PyTorch's sparse gradient, ``padding_idx`` excluded), except a row looked
    up whose gradient is exactly zero, which PyTorch would still update. The rows are the first axis of
    parameters of two or more dimensions (an embedding's ``weight``), the entries of a vector.
    Any parameter may be given (PyTorch accepts only sparse gradients), and a dense gradient simply
    touches every row with a nonzero entry.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups.
    lr : float
        Learning rate (default 1e-3).
    betas : (float, float)
        Decay rates of the first and second moment estimates (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> emb = bc.nn.Embedding(4, 2)
    >>> opt = bc.optim.SparseAdam(emb.parameters(), lr=0.1)
    >>> before = emb.weight.data.copy()
    >>> emb(np.array([1, 3])).sum().backward(); opt.step()
    >>> (emb.weight.data != before).any(axis=1).tolist()       # only the rows looked up moved
    [False, True, False, True]
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"SparseAdam: betas must be a pair (beta1, beta2), got {betas!r}")
        for k, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"SparseAdam: invalid beta parameter at index {k}: {b} (expected 0 <= beta < 1)")
        if group["eps"] <= 0:
            raise ValueError(f"SparseAdam: invalid epsilon value {group['eps']} (expected eps > 0)")
        group["betas"] = tuple(betas)

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, g in self._grads(group):
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p._data)
                state["exp_avg_sq"] = np.zeros_like(p._data)
            state["step"] = step = int(state["step"]) + 1
            x, exp_avg, exp_avg_sq = _real(p._data), _real(state["exp_avg"]), _real(state["exp_avg_sq"])
            rows = _touched_rows(g)
            if rows.size == 0:
                continue
            if x.ndim == 0:
                rows = ...
            gr, m_old, v_old = g[rows], exp_avg[rows], exp_avg_sq[rows]
            # PyTorch's order of operations, for equal rounding in float32
            m_update = (gr - m_old) * (1 - beta1)
            v_update = (gr * gr - v_old) * (1 - beta2)
            exp_avg[rows] = m_old + m_update
            exp_avg_sq[rows] = v_old + v_update
            denom = np.sqrt(v_update + v_old) + eps
            step_size = lr * (1 - beta2 ** step) ** 0.5 / (1 - beta1 ** step)
            x[rows] = x[rows] + -step_size * ((m_update + m_old) / denom)
