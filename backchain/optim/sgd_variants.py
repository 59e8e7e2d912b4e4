"""Averaged SGD and Rprop (PyTorch's ``torch.optim.ASGD`` and ``torch.optim.Rprop``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _real
from .._core.tensor import Tensor

__all__ = ["ASGD", "Rprop"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak and Juditsky), as PyTorch's ``ASGD``.

    .. code-block:: text

        g = g + weight_decay * p
        p = p (1 - lambd eta) - eta g
        ax = ax + mu (p - ax)                          (the running average, in state["ax"])
        eta = lr / (1 + lambd lr t)^alpha;  mu = 1 / max(1, t - t0)

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        (default 1e-2).
    lambd : float
        Decay term (default 1e-4).
    alpha : float
        Power of the eta update (default 0.75).
    t0 : float
        Step at which averaging starts (default 1e6).
    weight_decay : float
        (default 0).
    maximize : bool

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.ASGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(5)
    array([ 0.79999, -1.59998])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update_group(self, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for p, g in self._grads(group):
            x = _real(p._data)
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * x
            state = self.state[p]
            if not state:
                state.update(step=0, eta=lr, mu=1.0, ax=np.zeros_like(p._data))
            state["step"] = step = int(state["step"]) + 1
            eta = state["eta"]
            x *= 1 - lambd * eta
            x -= eta * g
            ax = _real(state["ax"])
            if state["mu"] != 1:
                ax += (x - ax) * state["mu"]
            else:
                ax[...] = x
            # PyTorch keeps eta and mu as tensors of the default dtype (float32 here)
            scalar = np.float64 if p._data.dtype == np.float64 else np.float32
            state["eta"] = float(scalar(lr / ((1 + lambd * lr * step) ** alpha)))
            state["mu"] = float(scalar(1 / max(1, step - t0)))


class Rprop(Optimizer):
    r"""Resilient backpropagation, as PyTorch's ``Rprop``: each weight's step size grows by ``etas[1]`` while
    its gradient keeps its sign and shrinks by ``etas[0]`` when it flips (that step is then skipped);
    the weight moves by its step size against the gradient's sign.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Initial step size (default 1e-2).
    etas : (float, float)
        Multiplicative decrease and increase (default (0.5, 1.2)).
    step_sizes : (float, float)
        Minimum and maximum step size (default (1e-6, 50)).
    maximize : bool

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = bc.optim.Rprop([w], lr=0.1)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.78, -1.78])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50), *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize))

    def _update_group(self, group):
        (etaminus, etaplus), (lo, hi) = group["etas"], group["step_sizes"]
        for p, g in self._grads(group):
            x = _real(p._data)
            state = self.state[p]
            if not state:
                state.update(step=0, prev=np.zeros_like(p._data),
                             step_size=np.full_like(p._data, group["lr"]))
            state["step"] = int(state["step"]) + 1
            prev, size = _real(state["prev"]), _real(state["step_size"])
            s = np.sign(g * prev)
            factor = np.where(s > 0, etaplus, np.where(s < 0, etaminus, 1.0)).astype(size.dtype)
            size *= factor
            np.clip(size, lo, hi, out=size)
            g = np.where(s < 0, 0, g).astype(x.dtype)
            x -= np.sign(g) * size
            prev[...] = g
