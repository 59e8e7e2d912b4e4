"""Adam and AdamW (PyTorch's ``torch.optim.Adam`` and ``torch.optim.AdamW``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _lerp_, _real
from .._core.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba), with optional AMSGrad and decoupled weight decay.

    The update of PyTorch's ``Adam``: at step ``t`` with gradient ``g``,

    .. code-block:: text

        g = g + weight_decay * p          (or p = p (1 - lr weight_decay) when decoupled)
        m = beta1 m + (1 - beta1) g
        v = beta2 v + (1 - beta2) g^2
        vmax = max(vmax, v)               (amsgrad; v below is then vmax)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

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
    weight_decay : float
        L2 penalty (default 0).
    amsgrad : bool
        Use the maximum of past second moments (AMSGrad).
    maximize : bool
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay : bool
        Decay the weights directly, as AdamW does, instead of adding to the gradient.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}")
        for k, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{type(self).__name__}: invalid beta parameter at index {k}: {b} "
                                 "(expected 0 <= beta < 1)")
        group["betas"] = tuple(betas)

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        for p, g in self._grads(group):
            x = _real(p._data)
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p._data)
                state["exp_avg_sq"] = np.zeros_like(p._data)
                if amsgrad:
                    state["max_exp_avg_sq"] = np.zeros_like(p._data)
            state["step"] = step = int(state["step"]) + 1
            if weight_decay != 0:
                if decoupled:
                    x *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * x
            exp_avg, exp_avg_sq = _real(state["exp_avg"]), _real(state["exp_avg_sq"])
            _lerp_(exp_avg, g, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if amsgrad:
                if "max_exp_avg_sq" not in state:  # amsgrad switched on after some steps
                    state["max_exp_avg_sq"] = np.zeros_like(p._data)
                max_exp_avg_sq = _real(state["max_exp_avg_sq"])
                np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                denom = np.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
            else:
                denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
            x += -(lr / bias_correction1) * exp_avg / denom


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's ``AdamW``.

    The weights are multiplied by ``1 - lr * weight_decay`` before the Adam
    update instead of the decay being added to the gradient. Same parameters
    as :class:`Adam`, with ``weight_decay`` defaulting to 1e-2.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.AdamW([w], lr=0.1, weight_decay=0.1, amsgrad=True)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.89, -1.88])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)
