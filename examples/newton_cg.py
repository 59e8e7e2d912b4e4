"""Newton-CG on the Rosenbrock function: backchain's gradient and Hessian-vector
products drive scipy.optimize.minimize, and every iteration is shown.

    python examples/newton_cg.py
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

import backchain as bc
import backchain.numpy as bnp


def rosenbrock(x: Any) -> Any:
    return bnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def main(n: int = 10, verbose: bool = True) -> tuple[Any, list[float]]:
    x0 = np.full(n, -1.2)
    x0[1::2] = 1.0
    grad = bc.grad(rosenbrock)
    hessp = lambda x, v: bc.hvp(rosenbrock, x, v)
    history: list[float] = []

    def report(xk: NDArray[np.float64]) -> None:
        history.append(float(rosenbrock(xk)))
        if verbose:
            print(f"iteration {len(history):3d}   f = {history[-1]:.3e}   |grad| = {np.linalg.norm(grad(xk)):.2e}")

    result = minimize(rosenbrock, x0, jac=grad, hessp=hessp, method="Newton-CG", callback=report,
                      options={"xtol": 1e-10})
    if verbose:
        print(f"{result.message} after {result.nit} iterations; "
              f"{result.nfev} function, {result.njev} gradient, {result.nhev} Hessian-vector evaluations")
        print("solution:", np.round(result.x, 6))
    return result, history


if __name__ == "__main__":
    main()
