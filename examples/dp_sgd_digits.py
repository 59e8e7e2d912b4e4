"""DP-SGD on the 8x8 digits: per-example gradients, each clipped, then Gaussian noise.

Differentially private SGD (Abadi et al., 2016) bounds what one training example can change in a
step: each example's gradient is clipped to norm ``--clip``, the clipped gradients are summed, and
Gaussian noise of standard deviation ``--noise * --clip`` is added before the average. The
per-example gradients come from one call, ``bc.func.per_example_grads`` (``vmap(grad)`` over the
model), not from a loop over the batch. The script trains the same MLP with plain SGD and with
DP-SGD and prints both test accuracies.

    python examples/dp_sgd_digits.py [--epochs 4] [--clip 1.0] [--noise 1.0]
"""
from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import backchain as bc
import backchain.nn.functional as F


def model_for(seed: int) -> Any:
    bc.manual_seed(seed)
    return bc.nn.Sequential(bc.nn.Linear(64, 64), bc.nn.ReLU(), bc.nn.Linear(64, 10))


def accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    with bc.no_grad():
        return float((np.asarray(model(x).data).argmax(1) == y).mean())


def private_gradient(model: Any, x: np.ndarray, y: np.ndarray, clip: float, noise: float,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The DP-SGD gradient of a batch: each example's gradient clipped to norm ``clip``, summed, noised,
    averaged."""
    grads = bc.func.per_example_grads(model, F.cross_entropy, x, y)
    n = len(x)
    norms = np.sqrt(sum((g.reshape(n, -1).astype(np.float64) ** 2).sum(1) for g in grads.values()))
    scale = np.minimum(1.0, clip / np.maximum(norms, 1e-12))
    out = {}
    for k, g in grads.items():
        clipped = (g * scale.reshape((n,) + (1,) * (g.ndim - 1)).astype(g.dtype)).sum(0)
        out[k] = (clipped + rng.normal(0.0, noise * clip, size=clipped.shape).astype(g.dtype)) / n
    return out


def plain_gradient(model: Any, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    params = {k: np.asarray(p.data) for k, p in model.named_parameters()}
    grads: dict[str, np.ndarray] = bc.grad(lambda p: F.cross_entropy(bc.nn.functional_call(model, p, (x,)), y))(params)
    return grads


def train(private: bool, epochs: int, batch: int, lr: float, clip: float, noise: float,
          data: tuple[np.ndarray, ...], seed: int = 0) -> float:
    xtr, ytr, xte, yte = data
    model = model_for(seed)
    params = dict(model.named_parameters())
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(xtr))
        for start in range(0, len(order) - batch + 1, batch):
            idx = order[start:start + batch]
            g = (private_gradient(model, xtr[idx], ytr[idx], clip, noise, rng) if private
                 else plain_gradient(model, xtr[idx], ytr[idx]))
            with bc.no_grad():
                for k, p in params.items():
                    p.data -= lr * g[k]
    return accuracy(model, xte, yte)


def load() -> tuple[np.ndarray, ...]:
    train_set, test_set = bc.data.digits(flatten=True)
    return (np.asarray(train_set.tensors[0]), np.asarray(train_set.tensors[1]),
            np.asarray(test_set.tensors[0]), np.asarray(test_set.tensors[1]))


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=1.0, help="noise multiplier (standard deviation / clip)")
    args = ap.parse_args(argv)
    data = load()
    results = {}
    for private in (False, True):
        name = "DP-SGD" if private else "SGD"
        results[name] = train(private, args.epochs, args.batch, args.lr, args.clip, args.noise, data)
        print(f"{name:7s} test accuracy {results[name]:.3f}")
    print(f"(DP-SGD: per-example clipping to norm {args.clip}, noise multiplier {args.noise}, batch {args.batch})")
    return results


if __name__ == "__main__":
    main()
