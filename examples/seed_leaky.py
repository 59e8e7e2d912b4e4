"""Seed example (b): a piecewise-linear activation with a hand-written gradient.

Leaky ReLU with slope 0.1, declared as a plain-NumPy function plus its derivative
with ``bc.elementwise(derivative=...)``, compared with the automatic gradient of
the same function written with backchain.numpy, and with the library's
``leaky_relu`` row — away from the kink and at it.

    python examples/seed_leaky.py
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc
import backchain.numpy as bnp
from backchain._rules.activations import leaky_relu

SLOPE = 0.1


@bc.elementwise(derivative=lambda x, y: np.where(x > 0, 1.0, SLOPE))
def leaky_by_hand(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Forward in plain NumPy; the derivative above is the hand-written gradient (SLOPE at 0)."""
    return np.where(x > 0, x, SLOPE * x)


def leaky_automatic(x: Any) -> Any:
    """The same function in backchain.numpy: its gradient is derived automatically."""
    return bnp.where(x > 0, x, SLOPE * x)


def main(n: int = 11, verbose: bool = True) -> tuple[Any, Any, Any, Any, bc.check.GradcheckReport]:
    """Return the three gradients on a grid through the kink (they agree everywhere)."""
    x = np.linspace(-1.0, 1.0, n)  # contains 0 exactly
    g_hand = bc.elementwise_grad(leaky_by_hand)(x)
    g_auto = bc.elementwise_grad(leaky_automatic)(x)
    g_row = bc.elementwise_grad(lambda v: leaky_relu(v, SLOPE))(x)
    report = bc.gradcheck(lambda v: bnp.sum(leaky_by_hand(v)), x, order=1)
    if verbose:
        print("x          hand   automatic  library")
        for xi, a, b, c in zip(x, g_hand, g_auto, g_row):
            print(f"{xi:+.2f}  {a:8.3f}  {b:8.3f}  {c:8.3f}")
        print("max |hand - automatic| =", float(np.max(np.abs(g_hand - g_auto))))
        print(report)
    return x, g_hand, g_auto, g_row, report


if __name__ == "__main__":
    main()
