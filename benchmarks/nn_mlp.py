"""Training-step time of a small MLP (64 -> 128 -> 128 -> 10, batch 128, float32): backchain.nn against
hand-written NumPy (forward and backward by hand) and PyTorch CPU (when installed).

Run: ``python benchmarks/nn_mlp.py``
"""
import time

import numpy as np

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F

B, D, H, C = 128, 64, 128, 10
rng = np.random.default_rng(0)
X = rng.normal(size=(B, D)).astype(np.float32)
Y = rng.integers(0, C, size=B)


def timeit(step, n=300):
    for _ in range(20):
        step()
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n * 1e6


def backchain_step(bn=False):
    layers = [nn.Linear(D, H)] + ([nn.BatchNorm1d(H)] if bn else []) + [nn.ReLU(), nn.Linear(H, H), nn.ReLU(),
                                                                         nn.Linear(H, C)]
    model = nn.Sequential(*layers)

    def step():
        model.zero_grad()
        F.cross_entropy(model(X), Y).backward()
    return step


def numpy_step():
    w1, b1 = rng.normal(size=(H, D)).astype(np.float32), np.zeros(H, np.float32)
    w2, b2 = rng.normal(size=(H, H)).astype(np.float32), np.zeros(H, np.float32)
    w3, b3 = rng.normal(size=(C, H)).astype(np.float32), np.zeros(C, np.float32)

    def step():
        h1 = X @ w1.T + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T + b2
        a2 = np.maximum(h2, 0)
        z = a2 @ w3.T + b3
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = p
        g[np.arange(B), Y] -= 1
        g /= B
        gw3, gb3 = g.T @ a2, g.sum(0)
        g2 = (g @ w3) * (h2 > 0)
        gw2, gb2 = g2.T @ a1, g2.sum(0)
        g1 = (g2 @ w2) * (h1 > 0)
        gw1, gb1 = g1.T @ X, g1.sum(0)
        return gw1, gb1, gw2, gb2, gw3, gb3
    return step


def torch_step(bn=False):
    import torch
    torch.set_num_threads(1)
    tnn = torch.nn
    layers = [tnn.Linear(D, H)] + ([tnn.BatchNorm1d(H)] if bn else []) + [tnn.ReLU(), tnn.Linear(H, H), tnn.ReLU(),
                                                                           tnn.Linear(H, C)]
    model = tnn.Sequential(*layers)
    x, y = torch.tensor(X), torch.tensor(Y)

    def step():
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
    return step


if __name__ == "__main__":
    import os
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rows = [("hand-written NumPy", timeit(numpy_step())), ("backchain.nn", timeit(backchain_step())),
            ("backchain.nn + BatchNorm1d", timeit(backchain_step(True)))]
    try:
        rows += [("PyTorch CPU (1 thread)", timeit(torch_step())),
                 ("PyTorch CPU + BatchNorm1d", timeit(torch_step(True)))]
    except ImportError:
        pass
    for name, us in rows:
        print(f"{name:30s} {us:8.1f} µs per training step (forward + backward)")
