"""L-BFGS (PyTorch's ``torch.optim.LBFGS``, without a line search): a quasi-Newton step from the last
``history_size`` gradient differences, re-evaluating the model through ``closure``."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._core.tensor import Tensor, bump_version, enable_grad, writable
from .optimizer import Optimizer

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    r"""L-BFGS with PyTorch's iteration, tolerances and defaults (one parameter group).

    ``step(closure)`` runs up to ``max_iter`` iterations; ``closure`` clears the gradients, computes the loss,
    calls ``backward`` and returns the loss. The first iteration's step is
    ``min(1, 1 / |g|_1) * lr``, the later ones ``lr`` (``line_search_fn="strong_wolfe"`` is not
    supported yet and raises). Arithmetic is in the parameters' dtype, as PyTorch's.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        Step length (default 1).
    max_iter : int
        Iterations per ``step`` (default 20).
    max_eval : int, optional
        Closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
    tolerance_grad : float
        Stop when the largest gradient element is at most this (default 1e-7).
    tolerance_change : float
        Stop when the loss or the step changes by less (default 1e-9).
    history_size : int
        Pairs kept for the inverse-Hessian estimate (default 100).
    line_search_fn : None

    Examples
    --------
    >>> import backchain as bc, backchain.numpy as bnp
    >>> w = bc.tensor([3.0, -1.0], requires_grad=True)
    >>> opt = bc.optim.LBFGS([w], lr=1.0, max_iter=50)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = bnp.sum((w - bc.tensor([1.0, 2.0])) ** 2) + bnp.sum(w ** 4) * 0.01
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> w.data.round(4)
    array([0.9811, 1.8694])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: None = None) -> None:
        if line_search_fn is not None:
            raise NotImplementedError(f"LBFGS(line_search_fn={line_search_fn!r}): backchain's LBFGS has no line "
                                      "search yet; use line_search_fn=None (a fixed step lr)")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        parts = []
        for p in self._params:
            g = p.grad
            if g is None:
                parts.append(np.zeros(p._data.size, dtype=p._data.dtype))
            else:
                parts.append(np.asarray(g._data if isinstance(g, Tensor) else g, dtype=p._data.dtype).ravel())
        return np.concatenate(parts)

    def _add(self, t, d):
        offset = 0
        for p in self._params:
            n = p._data.size
            writable(p)
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape).astype(p._data.dtype, copy=False)
            offset += n

    def step(self, closure: Callable[[], Any]) -> Any:
        """Run up to ``max_iter`` iterations; return the loss ``closure`` gave first."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change, history = group["tolerance_grad"], group["tolerance_change"], group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(np.asarray(orig_loss._data if isinstance(orig_loss, Tensor) else orig_loss))
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                al = [None] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            self._add(t, d)
            opt_cond = False
            if n_iter != max_iter:
                with enable_grad():
                    value = closure()
                loss = float(np.asarray(value._data if isinstance(value, Tensor) else value))
                flat_grad = self._flat_grad()
                opt_cond = np.abs(flat_grad).max() <= tol_grad
                ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        for p in self._params:
            bump_version(p, "LBFGS.step")
        self._step_count += 1
        self._opt_called = True
        return orig_loss
