"""One training step of a multilayer perceptron, written once per library.

Shared by W1 (784-256-256-10, softmax cross-entropy), W5 (2048-2048-2048-2048,
mean squared error) and W6 (W1's memory). Every implementation starts from the
same float32 weights (:func:`init`), sees the same batch, and does the same
work per step: forward, backward, and an SGD update in place.

Weights are stored as ``W`` of shape ``(in, out)`` so that a layer is
``h @ W + b``. Hidden layers use ReLU; the last layer is linear.

A case exposes ``step()`` (one training step) and ``grads()`` (the gradients
at the current weights as a list ``[W0, b0, W1, b1, ...]`` of ndarrays,
without updating), which the runner compares with the NumPy baseline.
"""
import numpy as np
from ._sgd import BackchainSGD, TorchSGD

LR = 0.01


def init(sizes, batch, loss, seed=0):
    """Initial weights, inputs and targets (float32), identical for every implementation."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        b = (0.01 * rng.standard_normal(n_out)).astype(np.float32)
        params += [W, b]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    if loss == "xent":
        y = rng.integers(0, sizes[-1], size=batch)
    else:
        y = rng.standard_normal((batch, sizes[-1])).astype(np.float32)
    return params, x, y


def flops(sizes, batch):
    """Floating point operations of the matrix products in one step (forward + backward).

    Each layer costs one product forward and one for its weight gradient; all but
    the first also pass a gradient to their input. Elementwise work is not counted.
    """
    total = 0
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        per = 2 * batch * n_in * n_out
        total += per * (3 if i > 0 else 2)
    return total


# -- hand-written NumPy: the baseline --------------------------------------

class NumpyMLP:
    """Forward and backward written out by hand, as the seed's author would: no autodiff."""

    def __init__(self, params, x, y, loss):
        self.params = [p.copy() for p in params]
        self.x, self.y, self.loss = x, y, loss

    def _grads(self):
        params, n = self.params, len(self.params) // 2
        hs, zs = [self.x], []
        h = self.x
        for i in range(n):
            z = h @ params[2 * i] + params[2 * i + 1]
            zs.append(z)
            if i < n - 1:
                h = np.maximum(z, 0)
                hs.append(h)
        B = len(self.x)
        if self.loss == "xent":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            dz = e / e.sum(axis=1, keepdims=True)
            dz[np.arange(B), self.y] -= 1
            dz /= B
        else:
            dz = (z - self.y) * np.float32(2.0 / z.size)
        grads = [None] * (2 * n)
        for i in reversed(range(n)):
            grads[2 * i] = hs[i].T @ dz
            grads[2 * i + 1] = dz.sum(axis=0)
            if i > 0:
                dz = (dz @ params[2 * i].T) * (zs[i - 1] > 0)
        return grads

    def grads(self):
        return self._grads()

    def step(self):
        for p, g in zip(self.params, self._grads()):
            p -= LR * g


# -- backchain -------------------------------------------------------------

class BackchainMLP(BackchainSGD):
    """What a backchain user writes: the Tensor API, F.relu and F.cross_entropy (one fused node, as
    PyTorch's F.cross_entropy is one kernel)."""
    lr = LR

    def __init__(self, params, x, y, loss):
        import backchain as bc
        import backchain.numpy as bnp
        import backchain.nn.functional as F

        self.bc, self.bnp, self.F = bc, bnp, F
        self.params = [bc.tensor(p, requires_grad=True) for p in params]
        self.x, self.y, self.loss = x, y, loss

    def _loss(self):
        bnp, params, n = self.bnp, self.params, len(self.params) // 2
        h = self.x
        for i in range(n):
            z = h @ params[2 * i] + params[2 * i + 1]
            h = self.F.relu(z) if i < n - 1 else z
        if self.loss == "xent":
            return self.F.cross_entropy(z, self.y)
        return bnp.mean((z - self.y) ** 2)


# -- PyTorch CPU eager -----------------------------------------------------

class TorchMLP(TorchSGD):
    """What a PyTorch user writes: addmm (nn.Linear's kernel), relu, F.cross_entropy / F.mse_loss."""
    lr = LR

    def __init__(self, params, x, y, loss):
        import torch
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        self.params = [torch.tensor(p, requires_grad=True) for p in params]
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y)
        self.loss = loss

    def _loss(self):
        torch, params, n = self.torch, self.params, len(self.params) // 2
        h = self.x
        for i in range(n):
            z = torch.addmm(params[2 * i + 1], h, params[2 * i])
            h = torch.relu(z) if i < n - 1 else z
        if self.loss == "xent":
            return self.F.cross_entropy(z, self.y)
        return self.F.mse_loss(z, self.y)


# -- JAX (jit) -------------------------------------------------------------

class JaxMLP:
    """``jax.jit`` of value_and_grad plus the update; the step blocks until the result is ready."""

    def __init__(self, params, x, y, loss):
        import jax
        import jax.numpy as jnp

        n = len(params) // 2

        def loss_fn(ps, x, y):
            h = x
            for i in range(n):
                z = h @ ps[2 * i] + ps[2 * i + 1]
                h = jax.nn.relu(z) if i < n - 1 else z
            if loss == "xent":
                logp = jax.nn.log_softmax(z, axis=1)
                return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
            return jnp.mean((z - y) ** 2)

        def update(ps, x, y):
            g = jax.grad(loss_fn)(ps, x, y)
            return [p - LR * gp for p, gp in zip(ps, g)]

        self.jax = jax
        self._grad = jax.jit(jax.grad(loss_fn))
        self._update = jax.jit(update, donate_argnums=0)
        self.params = [jnp.asarray(p) for p in params]
        self.x, self.y = jnp.asarray(x), jnp.asarray(y)

    def grads(self):
        return [np.asarray(g) for g in self._grad(self.params, self.x, self.y)]

    def step(self):
        self.params = self._update(self.params, self.x, self.y)
        self.jax.block_until_ready(self.params)


# -- HIPS autograd ---------------------------------------------------------

class AutogradMLP:
    """HIPS autograd's ``grad`` of the loss written with autograd.numpy, then an in-place update."""

    def __init__(self, params, x, y, loss):
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        n = len(params) // 2
        rows = np.arange(len(x))

        def loss_fn(ps):
            h = x
            for i in range(n):
                z = anp.dot(h, ps[2 * i]) + ps[2 * i + 1]
                h = anp.maximum(z, 0.0) if i < n - 1 else z
            if loss == "xent":
                logp = z - logsumexp(z, axis=1, keepdims=True)
                return -anp.mean(logp[rows, y])
            return anp.mean((z - y) ** 2)

        self._grad = autograd.grad(loss_fn)
        self.params = [p.copy() for p in params]

    def grads(self):
        return [np.asarray(g) for g in self._grad(self.params)]

    def step(self):
        for p, g in zip(self.params, self._grad(self.params)):
            p -= LR * g


# -- the floor: the same matrix products, nothing else ----------------------

class MatmulFloor:
    """Only the step's matrix products (``a @ b`` of the same shapes): the rate no implementation can beat."""

    def __init__(self, params, x, y, loss):
        self.Ws = params[0::2]
        self.x = x
        self.hs = [x] + [np.ones((len(x), W.shape[1]), np.float32) for W in self.Ws]

    def grads(self):
        return None

    def step(self):
        hs, Ws = self.hs, self.Ws
        for i, W in enumerate(Ws):
            hs[i] @ W
        dz = hs[-1]
        for i in reversed(range(len(Ws))):
            hs[i].T @ dz
            if i > 0:
                dz = dz @ Ws[i].T


IMPLEMENTATIONS = {
    "numpy": NumpyMLP,
    "backchain": BackchainMLP,
    "torch": TorchMLP,
    "jax": JaxMLP,
    "autograd": AutogradMLP,
}
