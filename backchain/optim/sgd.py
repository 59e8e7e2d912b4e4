"""Stochastic gradient descent with momentum (PyTorch's ``torch.optim.SGD``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _real
from .._core.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum and Nesterov momentum.

    The update of PyTorch's ``SGD``: with ``g`` the gradient,

    .. code-block:: text

        g = g + weight_decay * p
        b = g                                   (first step)
        b = momentum * b + (1 - dampening) * g  (later steps)
        g = g + momentum * b  if nesterov else  b
        p = p - lr * g

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups.
    lr : float
        Learning rate (default 1e-3, PyTorch's).
    momentum : float
        Momentum factor (default 0).
    dampening : float
        Dampening of the momentum (default 0).
    weight_decay : float
        L2 penalty added to the gradient (default 0).
    nesterov : bool
        Nesterov momentum (needs momentum > 0 and zero dampening).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = bc.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    >>> for _ in range(3):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> w.data.round(4)
    array([-0.1084,  0.1084])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False
                 ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        if group["momentum"] < 0:
            raise ValueError(f"SGD: invalid momentum {group['momentum']} (expected momentum >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening; got momentum="
                f"{group['momentum']}, dampening={group['dampening']}")

    def _update_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        for p, g in self._grads(group):
            x = _real(p._data)
            if weight_decay != 0:
                g = g + weight_decay * x
            if momentum != 0:
                state = self.state[p]
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = np.zeros_like(p._data)
                    buf = _real(state["momentum_buffer"])
                    buf[...] = g
                else:
                    buf = _real(state["momentum_buffer"])
                    buf *= momentum
                    buf += (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            x -= lr * g
