"""A small CNN on Fashion-MNIST, with its training curves.

Two convolution blocks (Conv2d, ReLU, MaxPool2d) and a linear read-out,
trained with ``bc.fit`` (AdamW, cosine schedule) on the 28x28 images of
Fashion-MNIST; ``History.plot`` draws the loss and accuracy per epoch, train
and validation. The data come from Debian's ``dataset-fashion-mnist``
(``apt-get install dataset-fashion-mnist``) or any folder holding the four IDX
files (``--root``).

    python examples/fashion_mnist_cnn.py [--epochs 3] [--limit 20000] [--out DIR] [--root DIR]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import backchain as bc

nn = bc.nn


def cnn() -> bc.nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 16 x 14 x 14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 7 x 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def subset(ds: bc.data.TensorDataset, n: int | None, seed: int) -> bc.data.TensorDataset:
    if n is None or n >= len(ds):
        return ds
    idx = np.random.default_rng(seed).permutation(len(ds))[:n]
    x, y = ds.tensors
    return bc.data.TensorDataset(x[idx], y[idx])


def main(epochs: int = 3, limit: int | None = 20000, batch_size: int = 128, lr: float = 3e-3, root: str | None = None,
         out: str | None = None, seed: int = 0, verbose: bool = True) -> tuple[float, bc.History, str]:
    train, test = bc.data.fashion_mnist(root)
    train, test = subset(train, limit, seed), subset(test, None if limit is None else max(limit // 5, 1), seed)
    bc.manual_seed(seed)
    model = cnn()
    opt = bc.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = bc.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    start = time.perf_counter()
    history = bc.fit(model, train, loss="cross_entropy", optimizer=opt, epochs=epochs, validation=test,
                     scheduler=sched, batch_size=batch_size, seed=seed, verbose=2 if verbose else 0)
    elapsed = time.perf_counter() - start
    accuracy = bc.evaluate(model, test, loss="cross_entropy", batch_size=512)["accuracy"]
    out = out or tempfile.mkdtemp(prefix="backchain-fashion-")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "fashion_mnist_cnn.png")
    history.plot(path)
    if verbose:
        print(f"test accuracy {accuracy:.4f} after {epochs} epochs on {len(train)} images, {elapsed:.1f} s; "
              f"curves: {path}")
    return accuracy, history, path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=20000, help="training images used (0: all 60,000)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--root", default=None, help="folder of the IDX files (default: Debian's location)")
    ap.add_argument("--out", default=None, help="folder for the picture (default: a new temporary folder)")
    a = ap.parse_args()
    main(a.epochs, a.limit or None, a.batch_size, root=a.root, out=a.out)
