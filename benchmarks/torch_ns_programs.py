"""Step time of the tutorial programs that run unchanged on PyTorch and on ``backchain.torch``
(tests/torch_ns/test_programs.py), measured in one run, and the cost per operation of a torch-flavoured
Tensor against a plain backchain Tensor (W2's chain).

    python -m benchmarks.torch_ns_programs            # best of 5 runs per program, one thread each
    python -m benchmarks.torch_ns_programs --runs 5 --threads 2

The figure is milliseconds per training step (the whole program's time over its steps: data loading,
forward, backward, update, logging), the best of the runs; the ratio is backchain.torch / PyTorch.
"""
import argparse
import time

import numpy as np
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.torch as bt
from tests.torch_ns.test_programs import polynomial, mnist_cnn, vae, lstm_lm, nanogpt, spatial_transformer


def _programs():
    rng = np.random.default_rng(0)
    images = rng.random((16, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 16)
    tokens = rng.integers(0, 30, 96).tolist()
    return [
        ("polynomial + autograd.Function", 200, lambda T: polynomial(T, 200)),
        ("mnist CNN, Adadelta (4 steps + eval)", 4, lambda T: mnist_cnn(T, images, labels, epochs=1,
                                                                        dropout=(0.0, 0.0), num_workers=0)),
        ("VAE 784-400-20, Adam", 4, lambda T: vae(T, images, epochs=2)),
        ("LSTM language model, bptt 5", 4, lambda T: lstm_lm(T, tokens, 30, steps=4)),
        ("nanoGPT 2 layers, AdamW (5 steps + generate)", 5,
         lambda T: nanogpt(T, [t % 20 for t in tokens[:64]], steps=5, generate=6)),
        ("spatial transformer, SGD", 3, lambda T: spatial_transformer(T, images[:12], labels[:12], dropout=0.0)),
    ]


def _best(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _chain(make, n=300):
    """W2's chain: sin, *1.01, +0.1, tanh cycling over 16 float64 values, then sum and backward."""
    x = make()
    y = x
    for i in range(n):
        k = i % 4
        y = bnp.sin(y) if k == 0 else y * 1.01 if k == 1 else y + 0.1 if k == 2 else bnp.tanh(y)
    bnp.sum(y).backward()


def _torch_chain(n=300):
    x = torch.linspace(-1, 1, 16, dtype=torch.float64, requires_grad=True)
    y = x
    for i in range(n):
        k = i % 4
        y = torch.sin(y) if k == 0 else y * 1.01 if k == 1 else y + 0.1 if k == 2 else torch.tanh(y)
    y.sum().backward()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="threads of PyTorch and of NumPy's BLAS (default 1)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, NumPy {np.__version__}; {args.threads} thread(s) each")
    print(f"{'program':46s} {'steps':>5s} {'torch ms/step':>14s} {'backchain.torch':>16s} {'ratio':>6s}")
    for name, steps, run in _programs():
        run(torch)  # warm-up
        run(bt)
        tt = _best(lambda: run(torch), args.runs) / steps * 1e3
        bb = _best(lambda: run(bt), args.runs) / steps * 1e3
        print(f"{name:46s} {steps:5d} {tt:14.2f} {bb:16.2f} {bb / tt:6.2f}")
    x0 = np.linspace(-1, 1, 16)
    reps = 200
    plain = _best(lambda: [_chain(lambda: bc.tensor(x0, requires_grad=True)) for _ in range(reps)], args.runs)
    flavoured = _best(lambda: [_chain(lambda: bt.tensor(x0, requires_grad=True)) for _ in range(reps)], args.runs)
    ref = _best(lambda: [_torch_chain() for _ in range(reps)], args.runs)
    per_op = 1e6 / (reps * 300)
    print(f"W2 chain, us per op (forward + backward): backchain.Tensor {plain * per_op:.2f}, "
          f"backchain.torch.Tensor {flavoured * per_op:.2f}, torch {ref * per_op:.2f}")


if __name__ == "__main__":
    main()
