"""ACDC against a dense linear layer: forward + backward time as the width N grows.

ACDC (Moczulski et al.): y = idct(d * dct(a * x)) + b, O(N) parameters and O(N log N) time;
its backward runs DCTs too (the transpose of an orthonormal DCT is its inverse). The dense
layer is y = x @ W.T + b, O(N^2) parameters and time. Both in backchain, float32, batch 64,
gradients for every input and parameter, one thread (OMP/OpenBLAS/MKL threads = 1, set
before NumPy loads). Each figure is the median of --repeats forward+backward passes.

    python benchmarks/acdc_bench.py [--sizes 256 512 ...] [--batch 64] [--repeats 5] [--max-dense N]
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import backchain as bc  # noqa: E402
from backchain._rules.dct import acdc  # noqa: E402


def _time(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def acdc_step(n, batch, rng):
    x = bc.tensor(rng.standard_normal((batch, n)).astype(np.float32), requires_grad=True)
    a, d, b = (bc.tensor((1 + 0.01 * rng.standard_normal(n)).astype(np.float32), requires_grad=True)
               for _ in range(3))
    g = rng.standard_normal((batch, n)).astype(np.float32)

    def run():
        for p in (x, a, d, b):
            p.grad = None
        acdc(x, a, d, b).backward(g)
    return run


def dense_step(n, batch, rng):
    x = bc.tensor(rng.standard_normal((batch, n)).astype(np.float32), requires_grad=True)
    w = bc.tensor((rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32), requires_grad=True)
    b = bc.tensor(np.zeros(n, np.float32), requires_grad=True)
    g = rng.standard_normal((batch, n)).astype(np.float32)

    def run():
        for p in (x, w, b):
            p.grad = None
        (x @ w.T + b).backward(g)
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192, 16384])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--max-dense", type=int, default=16384, help="skip the dense layer above this width")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    print(f"forward+backward, batch {args.batch}, float32, 1 thread, median of {args.repeats}")
    print(f"{'N':>7} {'ACDC ms':>10} {'dense ms':>10} {'dense/ACDC':>11} {'ACDC/(N log2 N) ns':>19} "
          f"{'dense/N^2 ns':>13}")
    for n in args.sizes:
        t_acdc = _time(acdc_step(n, args.batch, rng), args.repeats)
        t_dense = _time(dense_step(n, args.batch, rng), args.repeats) if n <= args.max_dense else float("nan")
        rows.append((n, t_acdc, t_dense))
        print(f"{n:7d} {t_acdc * 1e3:10.3f} {t_dense * 1e3:10.3f} {t_dense / t_acdc:11.1f} "
              f"{t_acdc / (n * np.log2(n)) * 1e9:19.3f} {t_dense / n ** 2 * 1e9:13.3f}")
    return rows


if __name__ == "__main__":
    main()
