"""ACDC stacks fitting a dense linear map (Moczulski et al., "ACDC: A Structured Efficient Linear Layer").

A random 32 x 32 matrix M (entries N(0, 1/32)) is the target; an ``ACDCStack`` of
depth K (2 * 32 diagonal parameters per layer, plus a bias, with fixed random
permutations between layers) is trained with Adam (one-cycle learning rate, peak 3e-2) on a full batch of
32 generic inputs (so the map is determined) to minimise the relative mean squared error ``|f(X) - X M^T|^2 / |X M^T|^2``.
Deeper stacks can express more of the 1,024-dimensional space of matrices, so
they fit better: the paper's observation, reproduced here.

    python examples/acdc_fit.py            # depths 1, 4, 8, 16, 32
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import backchain as bc
import backchain.numpy as bnp

N = 32


def fit(depth: int, steps: int = 2000, lr: float = 3e-2, seed: int = 0, batch: int = N, verbose: bool = False
        ) -> float | None:
    """Train an ACDCStack of ``depth`` layers on the random linear map; return the final relative MSE."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((N, N)) / np.sqrt(N)
    x = rng.standard_normal((batch, N))
    y = x @ m.T
    model = bc.nn.ACDCStack(N, depth, generator=np.random.default_rng(seed + 1), init_std=1e-1).double()
    opt = bc.optim.Adam(model.parameters(), lr=lr)
    sched = bc.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    denom = float(np.mean(y * y))
    err: float | None = None
    for k in range(steps):
        loss = bnp.mean((model(x) - y) ** 2) / denom
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        err = float(loss.data)
        if verbose and (k % 100 == 0 or k == steps - 1):
            print(f"  depth {depth:2d}  step {k:4d}  relative MSE {err:.4f}")
    return err


def main(argv: list[str] | None = None) -> dict[int, float | None]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--depths", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args(argv)
    print(f"fitting a random {N}x{N} linear map with ACDC stacks (Adam, full batch, {args.steps} steps)")
    results: dict[int, float | None] = {}
    for depth in args.depths:
        t = time.perf_counter()
        results[depth] = fit(depth, steps=args.steps)
        print(f"depth {depth:3d}: relative MSE {results[depth]:.4f}  ({time.perf_counter() - t:.1f} s, "
              f"{depth * 3 * N} parameters vs {N * N + N} for a dense layer)")
    return results


if __name__ == "__main__":
    main()
