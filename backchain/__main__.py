"""Command line: ``python -m backchain demo``."""
import argparse
import sys
import time

import numpy as np


def _gradient_tour():
    """A short worked example of gradients (printed before the network demo)."""
    import backchain as bc
    import backchain.numpy as bnp

    f = lambda x: bnp.sum(bnp.tanh(x) ** 2 * bnp.sin(3.0 * x))
    x = np.linspace(-1.0, 1.0, 5)
    g = bc.grad(f)(x)
    eps = 1e-6
    fd = np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(5)])
    print("1. grad of sum(tanh(x)^2 sin(3x)) at", np.round(x, 2))
    print("   backchain:         ", np.round(g, 6))
    print("   finite differences:", np.round(fd, 6))
    print(f"   max difference {np.max(np.abs(g - fd)):.1e}")
    d = bc.grad
    print("   derivatives of tanh at 0.3, to third order:",
          [round(float(h(0.3)), 6) for h in (bnp.tanh, d(bnp.tanh), d(d(bnp.tanh)), d(d(d(bnp.tanh))))])


def _load(name):
    import backchain as bc

    if name == "digits":
        train, test = bc.data.digits()
        return train, test, 8
    train, test = bc.data.fashion_mnist()
    return train, test, 28


def _cnn(side):
    """Two convolutions (16 and 32 channels, 3x3, same padding) with ReLU and one 2x2 max-pool, then a linear read-out."""
    import backchain as bc

    nn = bc.nn
    pooled = side // 2
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         *([nn.MaxPool2d(2)] if side > 8 else []),
                         nn.Flatten(), nn.Linear(32 * (pooled // 2 if side > 8 else pooled) ** 2, 10))


def _estimate(model, train, batch_size, epochs):
    """Seconds that training will take, from two timed forward and backward passes on one batch
    (the gradients they leave are zeroed; the weights do not change)."""
    import backchain as bc

    x, y = train.tensors[0][:batch_size], train.tensors[1][:batch_size]
    times = []
    for _ in range(2):
        t = time.perf_counter()
        bc.nn.functional.cross_entropy(model(x), y).backward()
        times.append(time.perf_counter() - t)
    for p in model.parameters():
        p.grad = None
    batches = -(-len(train) // batch_size)
    return min(times) * 1.25 * batches * epochs  # the optimizer step and the validation pass: about a quarter more


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def demo(args):
    import backchain as bc
    import backchain.numpy as bnp  # noqa: F401

    print("backchain demo: the code is the derivative\n")
    _gradient_tour()
    start = time.perf_counter()
    train, test, side = _load(args.data)
    bc.manual_seed(0)
    nn = bc.nn
    model = _cnn(side)
    print(f"\n2. a convolutional network for {args.data} ({len(train)} training, {len(test)} test images)\n")
    bc.summary(model, (1, 1, side, side))
    x0, y0 = test.tensors[0][:16], test.tensors[1][:16]
    print("\n3. every layer's gradient against finite differences (float64 copy of the model):\n")
    report = bc.check.layers(model, x0, lambda out: nn.functional.cross_entropy(out, y0))
    if args.epochs is None:  # digits: 40 epochs in seconds; Fashion-MNIST (60,000 images): 5, a few minutes
        args.epochs = 40 if args.data == "digits" else 5
    estimate = _estimate(model, train, args.batch_size, args.epochs)
    print(f"\n4. training ({args.epochs} epochs, AdamW, cosine schedule, label smoothing 0.1, "
          f"batch {args.batch_size}; about {_duration(estimate)} on this machine)\n")
    opt = bc.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = bc.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss = lambda out, y: nn.functional.cross_entropy(out, y, label_smoothing=0.1)
    bc.fit(model, train, loss=loss, optimizer=opt, epochs=args.epochs, validation=test,
           scheduler=sched, batch_size=args.batch_size, seed=0, verbose=args.verbose)
    result = bc.evaluate(model, test, loss="cross_entropy", batch_size=256)
    elapsed = time.perf_counter() - start
    print(f"\ntest accuracy {result['accuracy']:.4f}, test loss {result['loss']:.4f}; "
          f"gradient check {'passed' if report.ok else 'FAILED'}; {elapsed:.1f} s in all")
    return 0 if report.ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m backchain", description="backchain command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="gradients, a per-layer gradient check, and a network trained on digits")
    p.add_argument("--data", choices=("digits", "fashion-mnist"), default="digits")
    p.add_argument("--epochs", type=int, default=None, help="default: 40 for digits, 5 for fashion-mnist")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--verbose", default="auto", help="auto, 0 (quiet), 1 (progress bar) or 2 (a line per epoch)")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel over MPI: mpiexec -n 2 python -m backchain demo --distributed (needs [mpi])")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.verbose != "auto":
            args.verbose = int(args.verbose)
        if args.distributed:
            from .distributed._demo import setup

            setup()
        return demo(args)
    return 1


if __name__ == "__main__":
    sys.exit(main())
