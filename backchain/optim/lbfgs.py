"""L-BFGS (PyTorch's ``torch.optim.LBFGS``): a quasi-Newton step from the last ``history_size`` gradient
differences, re-evaluating the model through ``closure``, with a fixed step or the strong-Wolfe line search
(Nocedal and Wright, Numerical Optimization, algorithms 3.5 and 3.6, with cubic interpolation)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._core.tensor import Tensor, bump_version, enable_grad, writable
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1`` and ``g2``, clipped
    to ``bounds`` (default: the interval between the points); the midpoint when the cubic has no minimum
    (Nocedal and Wright, equation 3.59)."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(disc)
    if x1 <= x2:
        t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        t = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(t, lo), hi)


class _Point:
    """A trial step ``t`` along the direction, with the loss ``f``, the flat gradient ``g`` and the slope
    ``gtd = g . d`` there."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd=None):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate, d, t, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions: sufficient decrease,
    ``f(t) <= f + c1 t gtd``, and curvature, ``|g(t) . d| <= c2 |gtd|``.

    The bracketing phase (algorithm 3.5) tries steps that grow by cubic extrapolation (within
    ``[t + 0.01 (t - t_prev), 10 t]``) until one satisfies both conditions or an interval is known to hold
    such a step; the zoom phase (algorithm 3.6) shrinks that interval by cubic interpolation, a trial too
    close to an end (within a tenth of the interval, twice in a row or outside it) moved a tenth of the
    interval inside. At most ``max_ls`` evaluations after the first (``LBFGS`` passes what is left of
    ``max_eval``). PyTorch's choices throughout, so that the iterates are its.

    Returns ``(f, g, t, evaluations)`` at the step chosen: the one found, else the lowest end of the
    interval.
    """
    d_norm = np.abs(d).max()
    start = _Point(0, f, g.copy(), gtd)
    new = _Point(t, *evaluate(t))
    new.gtd = new.g.dot(d)
    evals, ls_iter = 1, 0
    prev = start
    bracket, done = None, False
    while ls_iter < max_ls:
        if new.f > f + c1 * new.t * gtd or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        # extrapolate: a longer step, from the cubic through the last two trials
        t = _cubic_minimum(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                           bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = new
        new = _Point(t, *evaluate(t))
        new.gtd = new.g.dot(d)
        evals += 1
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [_Point(0, f, g, None), new]
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient = False
    while not done and ls_iter < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        left, right = min(a.t, b.t), max(a.t, b.t)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            if insufficient or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        new = _Point(t, *evaluate(t))
        new.gtd = new.g.dot(d)
        evals += 1
        ls_iter += 1
        if new.f > f + c1 * t * gtd or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.gtd) <= -c2 * gtd:
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals


class LBFGS(Optimizer):
    r"""L-BFGS with PyTorch's iteration, tolerances and defaults (one parameter group).

    ``step(closure)`` runs up to ``max_iter`` iterations; ``closure`` clears the gradients, computes the loss,
    calls ``backward`` and returns the loss. The first iteration's step is
    ``min(1, 1 / |g|_1) * lr``, the later ones ``lr``; with ``line_search_fn="strong_wolfe"`` that step
    is the line search's first trial, and the step taken meets the strong Wolfe conditions (``c1 = 1e-4``,
    ``c2 = 0.9``; every evaluation counts toward ``max_eval``, which bounds the search).
    Arithmetic is in the parameters' dtype, as PyTorch's.

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
    line_search_fn : {None, "strong_wolfe"}
        None: a fixed step (``lr``); ``"strong_wolfe"``: the line search of Nocedal and Wright (3.5, 3.6).

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
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS(line_search_fn={line_search_fn!r}): only 'strong_wolfe' (or None, a fixed "
                             "step lr) is supported")
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

    def _evaluate(self, closure):
        """The loss (a float) and the flat gradient at the parameters' current values."""
        with enable_grad():
            value = closure()
        return float(np.asarray(value._data if isinstance(value, Tensor) else value)), self._flat_grad()

    def _evaluate_at(self, closure, x0, t, d):
        """Loss and flat gradient at ``x0 + t d``; the parameters are set back to ``x0`` after."""
        self._add(t, d)
        loss, flat_grad = self._evaluate(closure)
        for p, x in zip(self._params, x0):
            writable(p)
            p._data[...] = x
        return loss, flat_grad

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
            opt_cond = False
            if group["line_search_fn"] == "strong_wolfe":
                x0 = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    lambda step: self._evaluate_at(closure, x0, step, d), d, t, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add(t, d)
                if n_iter != max_iter:
                    loss, flat_grad = self._evaluate(closure)
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
