"""Semi-supervised classification: a few labelled points, many unlabelled ones.

The loss has two terms:

* the supervised cross-entropy, where unlabelled samples carry the label
  ``-1`` and are skipped through ``ignore_index=-1``;
* an unsupervised entropy term on every sample (entropy minimisation): it
  pushes the decision boundary away from dense regions of unlabelled data.

Run: ``python examples/semi_supervised.py``
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc
import backchain.numpy as bnp
import backchain.nn as nn
import backchain.nn.functional as F


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.1
              ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
    y = rng.integers(0, 2, n)
    x = np.where(y[:, None] == 0, upper, lower) + noise * rng.standard_normal((n, 2))
    return x.astype(np.float32), y


def entropy(logits: Any) -> Any:
    """Mean entropy of the predicted class distributions."""
    logp = F.log_softmax(logits, dim=1)
    return -bnp.mean(bnp.sum(bnp.exp(logp) * logp, axis=1))


def semi_supervised_loss(logits: Any, labels: NDArray[np.int64], weight: float = 0.5) -> Any:
    """Cross-entropy on the labelled samples (label -1 means unlabelled) plus ``weight`` times the entropy."""
    return F.cross_entropy(logits, labels, ignore_index=-1) + weight * entropy(logits)


def main(steps: int = 300, labelled_per_class: int = 4, seed: int = 0, verbose: bool = True) -> float:
    rng = np.random.default_rng(seed)
    bc.manual_seed(seed)
    x, y = two_moons(600, rng)
    labels = np.full_like(y, -1)
    for c in (0, 1):
        labels[rng.choice(np.flatnonzero(y == c), labelled_per_class, replace=False)] = c
    x_test, y_test = two_moons(1000, rng)

    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    params = list(model.parameters())
    m = [np.zeros_like(p.data) for p in params]
    v = [np.zeros_like(p.data) for p in params]
    lr, b1, b2 = 0.01, 0.9, 0.999
    for step in range(1, steps + 1):  # a hand-written Adam loop
        model.zero_grad()
        loss = semi_supervised_loss(model(x), labels)
        loss.backward()
        for p, mi, vi in zip(params, m, v):
            mi[...] = b1 * mi + (1 - b1) * p.grad
            vi[...] = b2 * vi + (1 - b2) * p.grad ** 2
            p.data -= lr * (mi / (1 - b1 ** step)) / (np.sqrt(vi / (1 - b2 ** step)) + 1e-8)
        if verbose and step % 100 == 0:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    with bc.no_grad():
        accuracy = float(np.mean(np.argmax(model(x_test), axis=1) == y_test))
    if verbose:
        print(f"{int((labels >= 0).sum())} labelled of {len(x)} samples; test accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
