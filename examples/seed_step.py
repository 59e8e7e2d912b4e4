"""Seed example (c): a step activation, without and with a surrogate gradient.

A layer of step units (1 where the input is positive) classifies points: the
prediction is ``step(x @ w + b)``, the loss the mean squared error. The step's
derivative is 0 everywhere, so the gradient of the loss is identically zero and
gradient descent never moves: the loss stays where it started. With
``bc.straight_through`` (the identity surrogate: the straight-through
estimator) the forward is the same step and the same model trains to a clearly
lower loss.

    python examples/seed_step.py
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc
import backchain.numpy as bnp


def hard_step(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return (x > 0).astype(x.dtype)


STEPS: dict[str, Callable[[Any], Any]] = {
    "no surrogate (heaviside)": lambda z: bnp.heaviside(z, 0.0),
    "straight-through (identity)": bc.straight_through(hard_step),
}


def data(rng: np.random.Generator, n: int = 200, outputs: int = 3
         ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = rng.uniform(-1, 1, size=(n, 2))
    w_true = rng.standard_normal((2, outputs))
    y = (x @ w_true + 0.1 > 0).astype(float)
    return x, y


def loss_fn(step: Callable[[Any], Any]) -> Callable[[dict[str, Any], Any, Any], Any]:
    def loss(p: dict[str, Any], x: Any, y: Any) -> Any:
        return bnp.mean((step(x @ p["w"] + p["b"]) - y) ** 2)
    return loss


def train(step: Callable[[Any], Any], steps: int = 200, lr: float = 0.5, seed: int = 0
          ) -> tuple[list[float], float]:
    """Return the loss history and the largest gradient element seen."""
    rng = np.random.default_rng(seed)
    x, y = data(rng)
    p = {"w": rng.standard_normal((2, y.shape[1])), "b": rng.standard_normal(y.shape[1])}
    loss = loss_fn(step)
    vg = bc.value_and_grad(loss)
    history: list[float] = []
    largest = 0.0
    for _ in range(steps):
        v, g = vg(p, x, y)
        largest = max(largest, max(float(np.abs(gk).max()) for gk in g.values()))
        history.append(float(v))
        p = {k: p[k] - lr * g[k] for k in p}
    history.append(float(loss(p, x, y)))
    return history, largest


def main(steps: int = 200, verbose: bool = True) -> dict[str, tuple[list[float], float]]:
    """Return ``{name: (loss history, largest gradient element)}``."""
    out = {}
    for name, step in STEPS.items():
        hist, largest = train(step, steps)
        out[name] = (hist, largest)
        if verbose:
            print(f"{name:30s} loss {hist[0]:.4f} -> {hist[-1]:.4f}   largest gradient element {largest:.3g}")
    return out


if __name__ == "__main__":
    main()
