"""RMSprop and Adagrad (PyTorch's ``torch.optim.RMSprop`` and ``torch.optim.Adagrad``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _lerp_, _real
from .._core.tensor import Tensor

__all__ = ["RMSprop", "Adagrad"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), optionally centered and with momentum, as PyTorch's ``RMSprop``.

    .. code-block:: text

        g = g + weight_decay * p
        v = alpha v + (1 - alpha) g^2
        a = sqrt(v - mean_g^2) + eps   (centered: mean_g = lerp(mean_g, g, 1 - alpha))
        a = sqrt(v) + eps              (otherwise)
        b = momentum b + g / a;  p = p - lr b     (momentum > 0)
        p = p - lr g / a                          (otherwise)

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups.
    lr : float
        Learning rate (default 1e-2).
    alpha : float
        Smoothing constant (default 0.99).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        L2 penalty (default 0).
    momentum : float
        Momentum factor (default 0).
    centered : bool
        Normalize by an estimate of the gradient's variance.
    maximize : bool
        Maximize the objective instead of minimizing it.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(4)
    array([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        if group["momentum"] < 0:
            raise ValueError(f"RMSprop: invalid momentum {group['momentum']} (expected momentum >= 0)")
        if group["alpha"] < 0:
            raise ValueError(f"RMSprop: invalid alpha {group['alpha']} (expected alpha >= 0)")

    def _update_group(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        for p, g in self._grads(group):
            x = _real(p._data)
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p._data)
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(p._data)
                if centered:
                    state["grad_avg"] = np.zeros_like(p._data)
            state["step"] = int(state["step"]) + 1
            if weight_decay != 0:
                g = g + weight_decay * x
            square_avg = _real(state["square_avg"])
            square_avg *= alpha
            square_avg += (1 - alpha) * g * g
            if centered:
                grad_avg = _real(state.setdefault("grad_avg", np.zeros_like(p._data)))
                _lerp_(grad_avg, g, 1 - alpha)
                avg = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps
            if momentum > 0:
                buf = _real(state.setdefault("momentum_buffer", np.zeros_like(p._data)))
                buf *= momentum
                buf += g / avg
                x -= lr * buf
            else:
                x += -lr * g / avg


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), as PyTorch's ``Adagrad``.

    .. code-block:: text

        g = g + weight_decay * p
        s = s + g^2
        p = p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups.
    lr : float
        Learning rate (default 1e-2).
    lr_decay : float
        Learning-rate decay per step (default 0).
    weight_decay : float
        L2 penalty (default 0).
    initial_accumulator_value : float
        Starting value of the sum of squared gradients (default 0).
    eps : float
        Added to the denominator (default 1e-10).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(4)
    array([ 0.5, -1.5])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        if group["lr_decay"] < 0:
            raise ValueError(f"Adagrad: invalid lr_decay {group['lr_decay']} (expected lr_decay >= 0)")
        if group["initial_accumulator_value"] < 0:
            raise ValueError(f"Adagrad: invalid initial_accumulator_value {group['initial_accumulator_value']} "
                             "(expected >= 0)")

    def _init_group_state(self, group):
        # PyTorch creates Adagrad's state when the optimizer is built.
        for p in group["params"]:
            self._new_state(p)

    def _new_state(self, p):
        state = self.state[p]
        state["step"] = 0
        state["sum"] = np.zeros_like(p._data)
        _real(state["sum"])[...] = self.defaults["initial_accumulator_value"]  # both parts when complex, as PyTorch
        return state

    def _update_group(self, group):
        lr, lr_decay, weight_decay, eps = group["lr"], group["lr_decay"], group["weight_decay"], group["eps"]
        for p, g in self._grads(group):
            state = self.state[p] or self._new_state(p)
            state["step"] = step = int(state["step"]) + 1
            x = _real(p._data)
            if weight_decay != 0:
                g = g + weight_decay * x
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = _real(state["sum"])
            state_sum += g * g
            std = np.sqrt(state_sum)
            std += eps
            x += -clr * g / std
