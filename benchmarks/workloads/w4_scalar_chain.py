"""W4: a scalar chain x = x * 1.0001 + 0.0001 of 100,000 steps (200,000 recorded ops), record +
backward, in seconds; then once with 1,000,000 steps (2,000,000 ops), which must finish without
error (no recursion limit, no quadratic cost). float64.

JAX is left out: a jitted 100,000-step unrolled loop measures XLA's compiler, and eager JAX is not
how JAX is meant to run such a loop (``lax.fori_loop`` would not record a graph at all)."""
import time

import numpy as np

from . import Workload, default_measure

A, C = 1.0001, 0.0001


class Numpy:
    """Hand-written: the derivative of each step is the constant A, so backward is a loop of products."""

    def __init__(self, n):
        self.n = n

    def grads(self):
        y = np.float64(1.0)
        for _ in range(self.n):
            y = y * A + C
        g = np.float64(1.0)
        for _ in range(self.n):
            g = g * A
        return [np.asarray(g)]

    def step(self):
        self.grads()


class Backchain:
    def __init__(self, n):
        import backchain as bc

        self.bc, self.n = bc, n

    def grads(self):
        x = self.bc.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(self.n):
            y = y * A + C
        y.backward()
        return [x.grad]

    def step(self):
        self.grads()


class Torch:
    def __init__(self, n):
        import torch

        self.torch, self.n = torch, n

    def grads(self):
        x = self.torch.tensor(1.0, requires_grad=True, dtype=self.torch.float64)
        y = x
        for _ in range(self.n):
            y = y * A + C
        y.backward()
        return [x.grad.numpy()]

    def step(self):
        self.grads()


class Autograd:
    def __init__(self, n):
        import autograd

        def f(x):
            y = x
            for _ in range(self.n):
                y = y * A + C
            return y

        self.n, self.g = n, autograd.grad(f)

    def grads(self):
        return [np.asarray(self.g(1.0))]

    def step(self):
        self.grads()


IMPLEMENTATIONS = {"numpy": Numpy, "backchain": Backchain, "torch": Torch, "autograd": Autograd}


def measure(workload, case, size, steps, warmup, quick=False, budget=None, extras=True):
    out = default_measure(workload, case, size, steps, warmup, quick, budget)
    if not extras:
        return out
    long_n = size * 10
    long_case = type(case)(long_n)
    t = time.perf_counter()
    try:
        long_case.step()
        out["extra"] = {"long_steps": long_n, "long_s": time.perf_counter() - t}
    except Exception as e:  # reported, not hidden: the table shows the error
        out["extra"] = {"long_steps": long_n, "long_error": f"{type(e).__name__}: {e}"[:200]}
    return out


WORKLOAD = Workload(
    name="W4",
    title="scalar chain of 100,000 steps (200,000 ops), record + backward; then 1,000,000 steps",
    unit="s",
    make=lambda impl, n: IMPLEMENTATIONS[impl](n),
    impls=("numpy", "backchain", "torch", "autograd"),
    size=100_000,
    smoke_size=100,
    steps=5,
    warmup=1,
    quick_steps=2,
    quick_warmup=1,
    scale=1.0,
    measure=measure,
    rtol=1e-10,
    sweep=(500, 5_000, 50_000, 500_000),
    quick_size=10_000,
    size_label="steps",
    sweep_per=lambda steps: 2 * steps,
    per_label="node",
)
