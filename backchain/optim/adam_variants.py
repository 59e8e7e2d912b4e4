"""Adamax, NAdam and RAdam (PyTorch's ``torch.optim.Adamax``, ``NAdam`` and ``RAdam``), with PyTorch's
updates, defaults and order of operations."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _lerp_, _real
from .._core.tensor import Tensor

__all__ = ["Adamax", "NAdam", "RAdam"]


class _AdamLike(Optimizer):
    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2) with 0 <= beta < 1, "
                             f"got {betas!r}")
        if group["eps"] < 0:
            raise ValueError(f"{type(self).__name__}: invalid epsilon value {group['eps']} (expected eps >= 0)")
        group["betas"] = tuple(betas)

    def _moments(self, p):
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p._data)
            state["exp_avg_sq"] = np.zeros_like(p._data)
        state["step"] = int(state["step"]) + 1
        return state


class Adamax(_AdamLike):
    r"""Adamax: Adam with the infinity norm (Kingma and Ba), as PyTorch's ``Adamax``.

    .. code-block:: text

        g = g + weight_decay * p
        m = beta1 m + (1 - beta1) g
        u = max(beta2 u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Learning rate (default 2e-3).
    betas : (float, float)
        Decay of the mean and of the infinity norm (default (0.9, 0.999)).
    eps : float
        Added to ``|g|`` (default 1e-8).
    weight_decay : float
        L2 penalty (default 0).
    maximize : bool

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, g in self._grads(group):
            x = _real(p._data)
            if weight_decay != 0:
                g = g + weight_decay * x
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p._data)
                state["exp_inf"] = np.zeros_like(p._data)
            state["step"] = step = int(state["step"]) + 1
            m, u = _real(state["exp_avg"]), _real(state["exp_inf"])
            _lerp_(m, g, 1 - beta1)
            u *= beta2
            np.maximum(u, np.abs(g) + eps, out=u)
            x += -(lr / (1 - beta1 ** step)) * m / u


class NAdam(_AdamLike):
    r"""Adam with Nesterov momentum (Dozat), as PyTorch's ``NAdam``, with its momentum schedule.

    .. code-block:: text

        mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay));  M_t = mu_1 ... mu_t
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr (1 - mu_t) / (1 - M_t) g / d - lr mu_{t+1} / (1 - M_t mu_{t+1}) m / d

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Learning rate (default 2e-3).
    betas : (float, float)
        (default (0.9, 0.999)).
    eps : float
        (default 1e-8).
    weight_decay : float
        L2 penalty (default 0), or decoupled (AdamW's) with ``decoupled_weight_decay=True``.
    momentum_decay : float
        (default 4e-3).
    maximize : bool

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(4)
    array([ 0.8944, -1.8944])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _update_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        psi = group["momentum_decay"]
        for p, g in self._grads(group):
            x = _real(p._data)
            state = self._moments(p)
            step = state["step"]
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    x *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * x
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            # PyTorch keeps the product of the mu's as a tensor of the default dtype (float32 here)
            scalar = np.float64 if p._data.dtype == np.float64 else np.float32
            state["mu_product"] = mu_product = float(scalar(state.get("mu_product", 1.0) * mu))
            m, v = _real(state["exp_avg"]), _real(state["exp_avg_sq"])
            _lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            denom = np.sqrt(v / (1 - beta2 ** step)) + eps
            x += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
            x += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom


class RAdam(_AdamLike):
    r"""Rectified Adam (Liu et al.), as PyTorch's ``RAdam``: plain momentum SGD while the variance of the
    adaptive step is not yet tractable (``rho_t <= 5``), the rectified Adam step after.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Learning rate (default 1e-3).
    betas : (float, float)
        (default (0.9, 0.999)).
    eps : float
        (default 1e-8).
    weight_decay : float
        L2 penalty (default 0), or decoupled with ``decoupled_weight_decay=True``.
    maximize : bool

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.RAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.8, -1.6])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _update_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, g in self._grads(group):
            x = _real(p._data)
            state = self._moments(p)
            step = state["step"]
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    x *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * x
            m, v = _real(state["exp_avg"]), _real(state["exp_avg_sq"])
            _lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            bias_correction2 = 1 - beta2 ** step
            corrected = m / (1 - beta1 ** step)
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive = bias_correction2 ** 0.5 / (np.sqrt(v) + eps)
                x -= corrected * lr * adaptive * rect
            else:
                x -= corrected * lr
