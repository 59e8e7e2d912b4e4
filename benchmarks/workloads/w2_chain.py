"""W2: a chain of 300 elementwise ops on 16 float64 values (sin, *1.01, +0.1, tanh, cycling), then
sum; forward + backward, in microseconds per op. It measures per-operation overhead: the arrays
are so small that the arithmetic costs almost nothing."""
import numpy as np

from . import Workload


def _x0():
    return np.random.default_rng(0).standard_normal(16)


class Numpy:
    """Hand-written: the forward keeps what the backward needs (sin's input, tanh's output)."""

    def __init__(self, n):
        self.n, self.x0 = n, _x0()

    def grads(self):
        y, saved = self.x0, []
        for i in range(self.n):
            k = i % 4
            if k == 0:
                saved.append(y)
                y = np.sin(y)
            elif k == 1:
                y = y * 1.01
            elif k == 2:
                y = y + 0.1
            else:
                y = np.tanh(y)
                saved.append(y)
        y.sum()
        g = np.ones_like(y)
        for i in reversed(range(self.n)):
            k = i % 4
            if k == 0:
                g = g * np.cos(saved.pop())
            elif k == 1:
                g = g * 1.01
            elif k == 3:
                t = saved.pop()
                g = g * (1.0 - t * t)
        return [g]

    def step(self):
        self.grads()


class Backchain:
    def __init__(self, n):
        import backchain as bc
        import backchain.numpy as bnp

        self.bc, self.bnp, self.n, self.x0 = bc, bnp, n, _x0()

    def grads(self):
        bnp = self.bnp
        x = self.bc.tensor(self.x0, requires_grad=True)
        y = x
        for i in range(self.n):
            k = i % 4
            if k == 0:
                y = bnp.sin(y)
            elif k == 1:
                y = y * 1.01
            elif k == 2:
                y = y + 0.1
            else:
                y = bnp.tanh(y)
        y.sum().backward()
        return [x.grad]

    def step(self):
        self.grads()


class Torch:
    def __init__(self, n):
        import torch

        self.torch, self.n, self.x0 = torch, n, _x0()

    def grads(self):
        torch = self.torch
        x = torch.tensor(self.x0, requires_grad=True)
        y = x
        for i in range(self.n):
            k = i % 4
            if k == 0:
                y = torch.sin(y)
            elif k == 1:
                y = y * 1.01
            elif k == 2:
                y = y + 0.1
            else:
                y = torch.tanh(y)
        y.sum().backward()
        return [x.grad.numpy()]

    def step(self):
        self.grads()


def _chain(np_, n):
    def f(x):
        y = x
        for i in range(n):
            k = i % 4
            if k == 0:
                y = np_.sin(y)
            elif k == 1:
                y = y * 1.01
            elif k == 2:
                y = y + 0.1
            else:
                y = np_.tanh(y)
        return np_.sum(y)

    return f


class Jax:
    """``jax.jit(jax.grad(f))``: XLA fuses the whole chain; the figure is dispatch plus one fused kernel."""

    def __init__(self, n):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.g = jax.jit(jax.grad(_chain(jnp, n)))
        self.x0 = jnp.asarray(_x0())

    def grads(self):
        return [np.asarray(self.g(self.x0))]

    def step(self):
        self.g(self.x0).block_until_ready()


class Autograd:
    def __init__(self, n):
        import autograd
        import autograd.numpy as anp

        self.g = autograd.grad(_chain(anp, n))
        self.x0 = _x0()

    def grads(self):
        return [self.g(self.x0)]

    def step(self):
        self.g(self.x0)


IMPLEMENTATIONS = {"numpy": Numpy, "backchain": Backchain, "torch": Torch, "jax": Jax, "autograd": Autograd}


WORKLOAD = Workload(
    name="W2",
    title="300 elementwise ops on 16 float64 values, forward + backward",
    unit="us/op",
    make=lambda impl, n: IMPLEMENTATIONS[impl](n),
    impls=("numpy", "backchain", "torch", "jax", "autograd"),
    size=300,
    smoke_size=8,
    steps=300,
    warmup=20,
    quick_steps=5,
    quick_warmup=1,
    scale=1e6,
    per=lambda n: n,
    rtol=1e-10,
    size_label="ops",
)
