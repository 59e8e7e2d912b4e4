"""Seed example (d): the gradients of pooling layers, made visible.

* 2x2 average pooling passes exactly 1/4 of each output's gradient to each input;
* with overlapping windows (kernel 3, stride 1) the shares add up, so inputs in
  more windows get more;
* max pooling passes the whole gradient to the maximum of each window and 0 to
  the others;
* ties in a max-pooling window follow the ``bc.kinks`` policy: split evenly
  (the default, the minimum-norm choice), or all to the first maximum (PyTorch's
  choice), or to the last.

    python examples/seed_pooling.py
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc

F = bc.nn.functional


def pooled_gradient(pool: Callable[[Any], Any], x: NDArray[np.float64]) -> Any:
    """d sum(pool(x)) / dx: how much each input receives when every output's gradient is 1."""
    return bc.grad(lambda v: bc.numpy.sum(pool(v)))(x)


def main(verbose: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 4, 4))
    results = {
        "average 2x2": pooled_gradient(lambda v: F.avg_pool2d(v, 2), x),
        "average 3x3, stride 1 (overlapping)": pooled_gradient(lambda v: F.avg_pool2d(v, 3, stride=1), x),
        "max 2x2": pooled_gradient(lambda v: F.max_pool2d(v, 2), x),
    }
    ties = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])  # one window, three tied maxima
    for policy in ("split", "first", "last"):
        with bc.kinks.policy(ties=policy):
            results[f"max 2x2 with ties, policy {policy!r}"] = pooled_gradient(lambda v: F.max_pool2d(v, 2), ties)
    if verbose:
        np.set_printoptions(precision=3, suppress=True)
        print("input:\n", x[0, 0])
        for name, g in results.items():
            print(f"\n{name}:\n", g[0, 0])
    return results


if __name__ == "__main__":
    main()
