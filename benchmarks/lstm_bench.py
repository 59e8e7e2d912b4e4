"""LSTM train step: backchain against PyTorch CPU (issue #6: at most 2x PyTorch's step time).

Model: one-layer LSTM, input 32, hidden 128, over 100 time steps, batch 32 (float32, time first);
a linear head 128->10 on the last hidden state; softmax cross-entropy; SGD (lr 0.01).
One step = forward, backward through all 100 time steps, parameter update.

Each implementation runs in a fresh process, single-threaded (OMP/OpenBLAS/MKL threads = 1,
torch.set_num_threads(1)); the median step time over --repeats steps (after --warmup steps) is
taken in each of --rounds interleaved rounds, and the medians over rounds are reported (ratio:
median of the per-round ratios). Both start from the same weights (PyTorch's LSTM's, copied
by name into backchain's), so their losses agree step by step.

    python benchmarks/lstm_bench.py [--repeats N] [--warmup N] [--rounds N] [--json out.json]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

T, N, I, H, LR = 100, 32, 32, 128, 0.01


def init(seed=0):
    rng = np.random.default_rng(seed)
    b = 1.0 / np.sqrt(H)
    weights = {"weight_ih_l0": rng.uniform(-b, b, (4 * H, I)), "weight_hh_l0": rng.uniform(-b, b, (4 * H, H)),
               "bias_ih_l0": rng.uniform(-b, b, 4 * H), "bias_hh_l0": rng.uniform(-b, b, 4 * H)}
    head = {"weight": rng.uniform(-b, b, (10, H)), "bias": rng.uniform(-b, b, 10)}
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    head = {k: v.astype(np.float32) for k, v in head.items()}
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    y = rng.integers(0, 10, size=N)
    return weights, head, x, y


def backchain_step_fn():
    import backchain as bc

    weights, head_w, x, y = init()
    lstm, head = bc.nn.LSTM(I, H), bc.nn.Linear(H, 10)
    lstm.load_state_dict(weights)
    head.load_state_dict(head_w)
    params = list(lstm.parameters()) + list(head.parameters())

    def step():
        out, (h, c) = lstm(x)
        loss = bc.nn.functional.cross_entropy(head(h[0]), y)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return float(loss.data)

    return step


def torch_step_fn():
    import torch

    torch.set_num_threads(1)
    weights, head_w, x, y = init()
    lstm, head = torch.nn.LSTM(I, H), torch.nn.Linear(H, 10)
    lstm.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    head.load_state_dict({k: torch.tensor(v) for k, v in head_w.items()})
    params = list(lstm.parameters()) + list(head.parameters())
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        out, (h, c) = lstm(xt)
        loss = torch.nn.functional.cross_entropy(head(h[0]), yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return float(loss)

    return step


STEPS = {"backchain": backchain_step_fn, "torch": torch_step_fn}


def measure(impl, repeats, warmup):
    step = STEPS[impl]()
    losses = [step() for _ in range(warmup)]
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        losses.append(step())
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), losses


def run_fresh(impl, repeats, warmup):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--impl", impl, "--repeats", str(repeats),
                          "--warmup", str(warmup)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--impl", choices=sorted(STEPS))
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    if args.impl:
        t, losses = measure(args.impl, args.repeats, args.warmup)
        print(json.dumps({"median_s": t, "first_loss": losses[0], "last_loss": losses[-1]}))
        return None
    impls = ("backchain", "torch")
    runs = {impl: [] for impl in impls}
    for _ in range(args.rounds):  # interleaved rounds, so that a burst of load hits both
        for impl in impls:
            runs[impl].append(run_fresh(impl, args.repeats, args.warmup))
    rows = {}
    for impl in impls:
        rows[impl] = dict(runs[impl][-1], median_s=statistics.median(r["median_s"] for r in runs[impl]),
                          ratio=statistics.median(b["median_s"] / r["median_s"]
                                                  for b, r in zip(runs["backchain"], runs[impl])))
    print(f"LSTM train step (T={T}, batch {N}, input {I}, hidden {H}), float32, 1 thread, median of "
          f"{args.rounds} rounds x {args.repeats} steps ({platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()})")
    for impl, r in rows.items():
        print(f"  {impl:10s} {r['median_s'] * 1e3:8.2f} ms   backchain / {impl} = {r['ratio']:.2f}   "
              f"loss {r['first_loss']:.4f} -> {r['last_loss']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
