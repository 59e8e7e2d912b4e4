"""A neural ODE: a network whose layer is the solve of dy/dt = f_theta(y), fitted to a spiral.

The data is a trajectory of the spiral dy/dt = (y ** 3) A (the classic toy of
Chen et al., "Neural Ordinary Differential Equations", 2018). The model is an
ODE block: its state follows dy/dt = f_theta(y ** 3), where f_theta is a small
``bc.nn`` network, from a start point to the requested times. Its gradient
with respect to theta can be taken two ways:

(a) through a fixed-step RK4 solver written with ``backchain.numpy``: plain
    reverse-mode autodiff through every step (memory grows with the steps);
(b) by the adjoint method: ``backchain.scipy.integrate.odeint`` solves the
    ODE with SciPy's LSODA and its VJP integrates the adjoint ODE backward
    (memory independent of the steps).

The model is trained with (a) on short random pieces of the trajectory, then
the whole trajectory is predicted from its first point. At the trained
parameters the two gradients of the same loss are compared; they agree to the accuracy
of the solvers (RK4's error shrinks as h^4 when its step h is halved).

Run: ``python examples/neural_ode.py [--out DIR] [--iterations N]``
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
import scipy.integrate

import backchain as bc
import backchain.numpy as bnp
import backchain.nn as nn
from backchain.scipy.integrate import odeint

A = np.array([[-0.1, 2.0], [-2.0, -0.1]])


def spiral(t: NDArray[np.float64], y0: tuple[float, float] = (2.0, 0.0)) -> Any:
    """The true trajectory at times ``t`` (solved to 1e-10 with plain SciPy)."""
    return scipy.integrate.odeint(lambda y, _: (y ** 3) @ A, np.asarray(y0, float), t, rtol=1e-10, atol=1e-10)


def rk4(func: Callable[..., Any], y0: Any, t: NDArray[np.float64], args: Sequence[Any] = (), substeps: int = 1
        ) -> Any:
    """Classic fourth-order Runge-Kutta from ``t[0]`` through every ``t[k]``, ``substeps`` steps per interval.

    Written with ``backchain.numpy``: differentiating it differentiates every step.
    """
    y, ys = y0, [y0]
    for k in range(len(t) - 1):
        h = (t[k + 1] - t[k]) / substeps
        tt = t[k]
        for _ in range(substeps):
            k1 = func(y, tt, *args)
            k2 = func(y + 0.5 * h * k1, tt + 0.5 * h, *args)
            k3 = func(y + 0.5 * h * k2, tt + 0.5 * h, *args)
            k4 = func(y + h * k3, tt + h, *args)
            y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
            tt = tt + h
        ys.append(y)
    return bnp.stack(ys)


class ODEBlock(nn.Module):
    """The layer y(t) = y0 + integral of f_theta(y ** 3) dt, for a batch of start points ``y0`` (..., 2).

    ``method="rk4"`` differentiates through a fixed-step solver, ``"adjoint"``
    through ``odeint``'s adjoint method. The parameters of ``f_theta`` are
    handed to the solver as arguments, so that both see them as inputs.
    """

    def __init__(self, hidden: int = 32, method: str = "rk4", substeps: int = 1, rtol: float = 1e-8,
                 atol: float = 1e-10) -> None:
        super().__init__()
        self.func = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2)).double()
        self.method, self.substeps, self.rtol, self.atol = method, substeps, rtol, atol
        self.names = [name for name, _ in self.func.named_parameters()]

    def dynamics(self, y: Any, t: Any, *theta: Any) -> Any:
        return nn.functional_call(self.func, dict(zip(self.names, theta)), y ** 3)

    def forward(self, y0: Any, t: NDArray[np.float64]) -> Any:
        theta = tuple(p for _, p in self.func.named_parameters())
        if self.method == "rk4":
            return rk4(self.dynamics, y0, t, theta, self.substeps)
        if self.method == "adjoint":
            return odeint(self.dynamics, y0, t, theta, rtol=self.rtol, atol=self.atol)
        raise ValueError(f"ODEBlock: method should be 'rk4' or 'adjoint', got {self.method!r}")


def gradient(block: ODEBlock, y0: Any, t: NDArray[np.float64], target: NDArray[np.float64]
             ) -> tuple[NDArray[np.float64], float]:
    """The gradient of the mean squared error of the trajectory, as one flat vector, and the seconds it took."""
    block.zero_grad()
    start = time.perf_counter()
    bnp.mean((block(y0, t) - target) ** 2).backward()
    seconds = time.perf_counter() - start
    return np.concatenate([p.grad.ravel() for p in block.parameters()]), seconds


def compare_gradients(block: ODEBlock, t: NDArray[np.float64], true: NDArray[np.float64],
                      substeps: Sequence[int] = (1, 2, 4, 8, 16)) -> list[tuple[str, float | None, float, float]]:
    """Relative difference of RK4's gradients (several step sizes) to the adjoint's, on the whole trajectory.

    Returns rows ``(label, RK4 step or None, relative difference, seconds)``, the adjoint method's first.
    """
    method, sub = block.method, block.substeps
    try:
        block.method = "adjoint"
        reference, adjoint_seconds = gradient(block, true[0], t, true)
        rows: list[tuple[str, float | None, float, float]] = [
            ("adjoint (LSODA, rtol 1e-8)", None, 0.0, adjoint_seconds)]
        block.method = "rk4"
        for s in substeps:
            block.substeps = s
            g, seconds = gradient(block, true[0], t, true)
            step = (t[1] - t[0]) / s
            diff = float(np.linalg.norm(g - reference) / np.linalg.norm(reference))
            rows.append((f"RK4, step {step:.4g}", step, diff, seconds))
    finally:
        block.method, block.substeps = method, sub
        block.zero_grad()
    return rows


def train(block: ODEBlock, t: NDArray[np.float64], true: NDArray[np.float64], iterations: int, batch_time: int,
          batch_size: int, rng: np.random.Generator, lr: float = 0.01) -> list[float]:
    """Adam on random pieces of ``batch_time`` points of the trajectory, each started from its true first point."""
    opt = bc.optim.Adam(block.parameters(), lr=lr)
    sched = bc.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=iterations)
    losses: list[float] = []
    for _ in range(iterations):
        starts = rng.choice(len(t) - batch_time, batch_size, replace=False)
        pieces = np.stack([true[starts + i] for i in range(batch_time)])  # (batch_time, batch, 2)
        opt.zero_grad()
        loss = bnp.mean(bnp.abs(block(true[starts], t[:batch_time] - t[0]) - pieces))
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.data))
    return losses


def picture(path: str, t: NDArray[np.float64], true: NDArray[np.float64], before: NDArray[np.float64],
            after: NDArray[np.float64],
            rows: Sequence[tuple[str, Any, float, float]]) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2)
    ax.plot(true[:, 0], true[:, 1], "k-", lw=2, label="true spiral")
    ax.plot(before[:, 0], before[:, 1], ":", color="tab:gray", label="ODE block before training")
    ax.plot(after[:, 0], after[:, 1], "--", color="tab:orange", lw=2, label="ODE block after training")
    ax.set_xlabel("y1")
    ax.set_ylabel("y2")
    ax.set_title("trajectory from the first point")
    ax.legend(fontsize=8)
    steps, diffs = [r[1] for r in rows[1:]], [r[2] for r in rows[1:]]
    bx.loglog(steps, diffs, "o-", label="RK4 vs adjoint")
    bx.loglog(steps, [diffs[0] * (h / steps[0]) ** 4 for h in steps], "k:", label="slope 4 (error ~ h^4)")
    bx.set_xticks(steps, [f"{h:g}" for h in steps])
    bx.set_xticks([], minor=True)
    bx.set_xlabel("RK4 step h")
    bx.set_ylabel("relative gradient difference")
    bx.set_title("gradient through RK4 vs adjoint method")
    bx.legend(fontsize=8)
    bx.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=110)
    return path


def main(iterations: int = 1500, points: int = 201, duration: float = 10.0, batch_time: int = 10,
         batch_size: int = 20, hidden: int = 32, seed: int = 0, out: str | None = None,
         verbose: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    bc.manual_seed(seed)
    t = np.linspace(0.0, duration, points)
    true = spiral(t)
    block = ODEBlock(hidden)
    with bc.no_grad():
        before = block(true[0], t).data

    start = time.perf_counter()
    losses = train(block, t, true, iterations, batch_time, batch_size, rng)
    seconds = time.perf_counter() - start
    with bc.no_grad():
        after_rk4 = block(true[0], t).data
        block.method = "adjoint"  # the learned field solved accurately (LSODA), not only by the training solver
        after = block(true[0], t).data
        block.method = "rk4"
    error_before = float(np.mean(np.abs(before - true)))
    error_after = float(np.mean(np.abs(after - true)))
    if verbose:
        print(f"trained {iterations} iterations with RK4 in {seconds:.1f} s; last piece loss {losses[-1]:.4f}")
        print(f"whole trajectory from its first point, mean |error|: {error_before:.3f} before training, "
              f"{error_after:.3f} after (LSODA; {np.mean(np.abs(after_rk4 - true)):.3f} with the training RK4)")

    # Gradients of the loss on the first quarter of the trajectory, both ways, at the trained parameters.
    quarter = max(points // 4, 3)
    rows = compare_gradients(block, t[:quarter], true[:quarter])
    if verbose:
        print("gradient of the trajectory loss, relative difference to the adjoint method's:")
        for label, _, diff, seconds in rows:
            print(f"  {label:28s} {diff:9.2e}   {1000 * seconds:7.1f} ms")
    path = None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if verbose:
            print("no picture: pip install 'backchain[plot]' (matplotlib) to draw one")
    else:
        out = out or tempfile.mkdtemp(prefix="backchain-ode-")
        os.makedirs(out, exist_ok=True)
        path = picture(os.path.join(out, "neural_ode.png"), t, true, before, after, rows)
        if verbose:
            print(f"picture: {path}")
    return {"gradients": rows, "error_before": error_before, "error_after": error_after, "seconds": seconds,
            "picture": path}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the picture (default: a new temporary folder)")
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(iterations=args.iterations, seed=args.seed, out=args.out)
