"""A spatial transformer learns to undo random rotations and shifts of handwritten digits.

The 8x8 digits of ``bc.data.digits`` are rotated (up to +-40 degrees) and
shifted (up to +-1.2 pixels) at random. A ``SpatialTransformer`` whose
localisation network (a small MLP) predicts an affine transform from the
distorted image is trained to map it back onto the upright original (mean
squared error). It starts at the identity transform, so before training its
output is the distorted image itself.

The result is measured twice on held-out digits: the reconstruction error,
and the accuracy of a classifier trained on upright digits only, applied to
the distorted digits before and after the spatial transformer.

    python examples/spatial_transformer.py          # about 5 s
"""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F
import backchain.numpy as bnp


def distort(images: NDArray[np.float32], rng: np.random.Generator, max_angle: float = 40.0,
            max_shift: float = 0.3) -> Any:
    """Rotate and shift each image by a random affine map (no gradient; plain arrays)."""
    n = len(images)
    angle = np.deg2rad(rng.uniform(-max_angle, max_angle, n))
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    theta = np.zeros((n, 2, 3))
    theta[:, 0, 0], theta[:, 0, 1] = np.cos(angle), -np.sin(angle)
    theta[:, 1, 0], theta[:, 1, 1] = np.sin(angle), np.cos(angle)
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, images.shape, align_corners=False)
    return F.grid_sample(images.astype(np.float64), grid, align_corners=False).astype(np.float32)


def classifier(train: bc.data.TensorDataset, epochs: int = 30, seed: int = 0) -> nn.Sequential:
    """An MLP trained on upright digits."""
    bc.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = bc.optim.Adam(model.parameters(), lr=3e-3)
    bc.fit(model, train, loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=32, seed=seed, verbose=0)
    return model


def accuracy(model: nn.Module, x: NDArray[np.float32], y: NDArray[np.int64]) -> float:
    with bc.no_grad():
        return float((model(x).data.argmax(1) == y).mean())


def run(steps: int = 3000, batch_size: int = 64, lr: float = 3e-3, seed: int = 0, classifier_epochs: int = 30,
        verbose: bool = True) -> dict[str, float]:
    """Train; returns a dict of the reconstruction errors and accuracies before and after."""
    train, test = bc.data.digits()
    x_train, y_train = train.tensors
    x_test, y_test = test.tensors
    rng = np.random.default_rng(seed)
    clf = classifier(train, classifier_epochs, seed)
    d_test = distort(x_test, np.random.default_rng(seed + 1))
    bc.manual_seed(seed)
    loc = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 6))
    st = nn.SpatialTransformer(loc)
    opt = bc.optim.Adam(st.parameters(), lr=lr)
    before = float(np.mean((d_test - x_test) ** 2))
    start = time.perf_counter()
    for k in range(steps):
        idx = rng.integers(0, len(x_train), batch_size)
        target = x_train[idx]
        loss = bnp.mean((st(distort(target, rng)) - target) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if verbose and (k % 100 == 0 or k == steps - 1):
            print(f"step {k:4d}  reconstruction loss {float(loss.data):.4f}  ({time.perf_counter() - start:.1f} s)")
    with bc.no_grad():
        undone = st(d_test).data
    result = {"mse_before": before, "mse_after": float(np.mean((undone - x_test) ** 2)),
              "acc_upright": accuracy(clf, x_test, y_test), "acc_distorted": accuracy(clf, d_test, y_test),
              "acc_undone": accuracy(clf, undone, y_test)}
    if verbose:
        print(f"held-out reconstruction error {result['mse_before']:.4f} -> {result['mse_after']:.4f}")
        print(f"classifier trained on upright digits: {result['acc_upright']:.3f} upright, "
              f"{result['acc_distorted']:.3f} distorted, {result['acc_undone']:.3f} after the spatial transformer")
    return result


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=3000)
    args = ap.parse_args(argv)
    return run(args.steps)


if __name__ == "__main__":
    main()
