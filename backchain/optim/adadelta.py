"""Adadelta (PyTorch's ``torch.optim.Adadelta``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _real
from .._core.tensor import Tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), with PyTorch's update and defaults.

    .. code-block:: text

        g = g + weight_decay * p
        v = rho v + (1 - rho) g^2
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho u + (1 - rho) d^2
        p = p - lr d

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups.
    lr : float
        Scale of the step (default 1.0).
    rho : float
        Decay of the running averages (default 0.9).
    eps : float
        Added inside both square roots (default 1e-6).
    weight_decay : float
        L2 penalty (default 0).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.Adadelta([w])
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.996838, -1.996838])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value {group['rho']} (expected 0 <= rho <= 1)")
        if group["eps"] < 0:
            raise ValueError(f"Adadelta: invalid epsilon value {group['eps']} (expected eps >= 0)")

    def _update_group(self, group):
        lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for p, g in self._grads(group):
            x = _real(p._data)
            if weight_decay != 0:
                g = g + weight_decay * x
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p._data)
                state["acc_delta"] = np.zeros_like(p._data)
            state["step"] += 1
            v, u = _real(state["square_avg"]), _real(state["acc_delta"])
            v *= rho
            v += (1 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g  # PyTorch's order of operations, in the param's dtype
            u *= rho
            u += (1 - rho) * delta * delta
            x -= lr * delta
