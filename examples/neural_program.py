"""A differentiable program over a neural library: learn to read digits from their sums alone.

After Gaunt et al., "Differentiable Programs with Neural Libraries" (ICML
2017). The program is ``add(classify(a), classify(b))``: the library function
``classify`` is a neural network (an MLP on the 64 pixels of scikit-learn's
8x8 digits) that returns a distribution over the digits 0..9, and ``add``
interprets ``+`` on distributions: the sum of two independent digits with
distributions p and q has the distribution

    P(s) = sum over i + j = s of p(i) q(j),

the convolution of p and q, written here with ``backchain.numpy`` (the outer
product p q^T summed along its anti-diagonals), so the whole program is
differentiable. Training sees pairs of images and the sum of their digits,
never a digit label; the loss is the negative log-likelihood of the observed
sum. The sums pin the digits down (0 only as 0 + 0, 18 only as 9 + 9, and so
on), and the network learns to name single digits, which is measured on the
test images.

Run: ``python examples/neural_program.py [--out DIR] [--pairs N] [--epochs N]``
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc
import backchain.numpy as bnp
import backchain.nn as nn
import backchain.nn.functional as F

# ANTIDIAGONALS[10 * i + j, s] = 1 where i + j = s: flattened outer products times it sum their anti-diagonals.
ANTIDIAGONALS = np.zeros((100, 19), dtype=np.float32)
for _i in range(10):
    ANTIDIAGONALS[10 * _i:10 * _i + 10, _i:_i + 10] += np.eye(10, dtype=np.float32)


def add(p: Any, q: Any) -> Any:
    """The distribution of the sum of two independent digits, for batches ``p``, ``q`` of shape (n, 10) -> (n, 19)."""
    joint = p[:, :, None] * q[:, None, :]  # joint[n, i, j] = p(i) q(j)
    return bnp.reshape(joint, (-1, 100)) @ ANTIDIAGONALS


class SumOfDigits(nn.Module):
    """The program ``add(classify(a), classify(b))``, returning the log-probabilities of the 19 sums.

    Input: pairs of images, shape (n, 2, 64).
    """

    def __init__(self, classify: nn.Module) -> None:
        super().__init__()
        self.classify = classify

    def forward(self, pairs: Any) -> Any:
        n = pairs.shape[0]
        # One call of the network for both images of every pair.
        p = F.softmax(self.classify(bnp.reshape(pairs, (2 * n, 64))), dim=1)
        p = bnp.reshape(p, (n, 2, 10))
        return bnp.log(add(p[:, 0], p[:, 1]) + 1e-12)


def make_pairs(x: NDArray[np.float32], y: NDArray[np.int64], n: int, rng: np.random.Generator
               ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """``n`` random pairs of images and the sums of their digits (the digits themselves are not returned)."""
    i, j = rng.integers(0, len(x), n), rng.integers(0, len(x), n)
    return np.stack([x[i], x[j]], axis=1), (y[i] + y[j]).astype(np.int64)


class DigitAccuracy(bc.train.Callback):
    """After each epoch: the accuracy of the library's classifier on single test digits (for the report)."""

    def __init__(self, classify: nn.Module, x: NDArray[np.float32], y: NDArray[np.int64]) -> None:
        self.values: list[float] = []
        self.classify, self.x, self.y = classify, x, y

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.values.append(digit_accuracy(self.classify, self.x, self.y))


def digit_accuracy(classify: nn.Module, x: NDArray[np.float32], y: NDArray[np.int64]) -> float:
    return float(np.mean(bc.predict(classify, x).argmax(axis=1) == y))


def main(pairs: int = 3000, epochs: int = 15, hidden: int = 64, lr: float = 3e-3, batch_size: int = 64, seed: int = 0,
         out: str | None = None, verbose: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    bc.manual_seed(seed)
    train, test = bc.data.digits(flatten=True)
    x_train, y_train = (t.data if isinstance(t, bc.Tensor) else t for t in train.tensors)
    x_test, y_test = (t.data if isinstance(t, bc.Tensor) else t for t in test.tensors)
    pair_x, pair_sum = make_pairs(x_train, y_train, pairs, rng)
    del y_train  # from here on, training knows only the sums
    val_x, val_sum = make_pairs(x_test, y_test, 1000, rng)

    classify = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    program = SumOfDigits(classify)
    digits = DigitAccuracy(classify, x_test, y_test)
    start = time.perf_counter()
    history = bc.fit(program, (pair_x, pair_sum), "nll", bc.optim.Adam(program.parameters(), lr=lr), epochs=epochs,
                     validation=(val_x, val_sum), callbacks=[digits], batch_size=batch_size, seed=seed,
                     verbose=2 if verbose else 0)
    seconds = time.perf_counter() - start
    accuracy = digit_accuracy(classify, x_test, y_test)
    if verbose:
        print(f"trained on {pairs} sums of pairs in {seconds:.1f} s; sum accuracy on test pairs "
              f"{history['val_accuracy'][-1]:.3f}; single-digit accuracy on {len(y_test)} test images {accuracy:.3f} "
              "(no digit label was used)")
    path = None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if verbose:
            print("no picture: pip install 'backchain[plot]' (matplotlib) to draw one")
    else:
        out = out or tempfile.mkdtemp(prefix="backchain-program-")
        os.makedirs(out, exist_ok=True)
        history.history["val_digit_accuracy"] = list(digits.values)  # held out: drawn as validation
        path = os.path.join(out, "neural_program.png")
        history.plot(path, metrics=["loss", "accuracy", "digit_accuracy"])
        if verbose:
            print(f"picture: {path}")
    return {"digit_accuracy": accuracy, "sum_accuracy": history["val_accuracy"][-1], "seconds": seconds,
            "history": history, "picture": path}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the picture (default: a new temporary folder)")
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(pairs=args.pairs, epochs=args.epochs, seed=args.seed, out=args.out)
