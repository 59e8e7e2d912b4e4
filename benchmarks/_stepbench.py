"""Shared driver of the single-workload step benchmarks (conv_bench.py, lstm_bench.py):
each implementation times its train step in a fresh one-thread process, in interleaved rounds,
and the medians and per-round ratios to backchain are printed."""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def measure(step_fn, repeats, warmup):
    """Median seconds per call of the step made by ``step_fn()``, and the losses it returned."""
    step = step_fn()
    losses = [step() for _ in range(warmup)]
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        losses.append(step())
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), losses


def run_fresh(script, impl, repeats, warmup, extra=()):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, os.path.abspath(script), "--impl", impl, "--repeats", str(repeats),
                          "--warmup", str(warmup), *extra], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(script, steps, title, argv=None, repeats=30, warmup=5, flags=()):
    """The command line of a step benchmark: ``--impl`` runs one implementation (the child
    process); without it, every implementation in ``steps`` runs in interleaved rounds. ``flags``:
    the script's own on/off options (already read into ``steps``), passed on to the children."""
    ap = argparse.ArgumentParser(description=title)
    ap.add_argument("--repeats", type=int, default=repeats)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--impl", choices=sorted(steps))
    ap.add_argument("--json")
    for flag in flags:
        ap.add_argument(flag, action="store_true")
    args = ap.parse_args(argv)
    extra = [f for f in flags if getattr(args, f.lstrip("-").replace("-", "_"))]
    if args.impl:
        t, losses = measure(steps[args.impl], args.repeats, args.warmup)
        print(json.dumps({"median_s": t, "first_loss": losses[0], "last_loss": losses[-1]}))
        return None
    impls = list(steps)
    runs = {impl: [] for impl in impls}
    for _ in range(args.rounds):  # interleaved rounds, so that a burst of load hits every implementation
        for impl in impls:
            runs[impl].append(run_fresh(script, impl, args.repeats, args.warmup, extra))
    rows = {}
    for impl in impls:
        rows[impl] = dict(runs[impl][-1], median_s=statistics.median(r["median_s"] for r in runs[impl]),
                          ratio=statistics.median(b["median_s"] / r["median_s"]
                                                  for b, r in zip(runs["backchain"], runs[impl])))
    print(f"{title}, float32, 1 thread, median of {args.rounds} rounds x {args.repeats} steps "
          f"({platform.processor() or platform.machine()}, Python {platform.python_version()})")
    for impl, r in rows.items():
        print(f"  {impl:10s} {r['median_s'] * 1e3:8.2f} ms   backchain / {impl} = {r['ratio']:.2f}   "
              f"loss {r['first_loss']:.4f} -> {r['last_loss']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows
