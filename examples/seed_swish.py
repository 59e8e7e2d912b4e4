"""Seed example (a): a custom Swish layer, trained with no gradient code written.

Swish(x) = x * sigmoid(beta * x) with a learnable beta. The network is plain
functions of a parameter dict written with backchain.numpy; ``bc.grad`` gives
every derivative, and plain SGD trains it on a small regression problem.

    python examples/seed_swish.py
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc
import backchain.numpy as bnp

Params = dict[str, Any]  # arrays, or Tensors while a transform traces them


def swish(x: Any, beta: Any) -> Any:
    """The custom layer: x * sigmoid(beta * x). No derivative is written anywhere."""
    return x / (1.0 + bnp.exp(-beta * x))


def init(rng: np.random.Generator, hidden: int = 16) -> dict[str, NDArray[np.float64]]:
    return {"w1": rng.standard_normal((1, hidden)) * 0.8, "b1": np.zeros(hidden), "beta": np.ones(hidden),
            "w2": rng.standard_normal((hidden, 1)) * 0.3, "b2": np.zeros(1)}


def model(p: Params, x: Any) -> Any:
    return swish(x @ p["w1"] + p["b1"], p["beta"]) @ p["w2"] + p["b2"]


def loss(p: Params, x: Any, y: Any) -> Any:
    return bnp.mean((model(p, x) - y) ** 2)


def main(steps: int = 300, lr: float = 0.05, seed: int = 0, verbose: bool = True
         ) -> tuple[float, float, Params]:
    """Train on y = sin(2x) and return ``(first_loss, last_loss, params)``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(128, 1))
    y = np.sin(2 * x)
    p: Params = init(rng)
    value_and_grad = bc.value_and_grad(loss)
    first: Any = None
    for step in range(steps):
        value, g = value_and_grad(p, x, y)
        first = value if first is None else first
        p = {k: p[k] - lr * g[k] for k in p}
        if verbose and step % 100 == 0:
            print(f"step {step:4d}  loss {value:.4f}")
    last = float(loss(p, x, y))
    if verbose:
        print(f"final loss {last:.4f} (from {first:.4f}); learned beta in [{p['beta'].min():.2f}, {p['beta'].max():.2f}]")
    return float(first), last, p


if __name__ == "__main__":
    main()
