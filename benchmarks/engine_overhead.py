"""Per-operation overhead of the engine, against PyTorch CPU eager in the same run.

Workloads (DESIGN.md / issue #2):
  chain300  300 elementwise ops on 16 float64 values (cycling sin, *1.01, +0.1, tanh), then sum;
            forward + backward, reported in microseconds per op.
  scalar    a 100,000-step scalar chain x = x * 1.0001 + 0.0001, record + backward, in seconds.
  import    `python -c "import backchain"` against `python -c "import numpy"`, in seconds.

Each (workload, implementation) pair runs in a fresh process, so that one
library's heap does not slow the other's garbage collector. Medians are reported.

    python benchmarks/engine_overhead.py [--repeats N] [--steps N] [--json out.json]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

CHAIN = r"""
import time, statistics, numpy as np
x0 = np.random.default_rng(0).standard_normal(16)
{setup}
def run():
{body}
for _ in range(10): run()
ts = []
for _ in range({repeats}):
    t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
print(statistics.median(ts))
"""

IMPLS = {
    "backchain": dict(
        setup="import backchain as bc, backchain.numpy as bnp",
        chain="""    x = bc.tensor(x0, requires_grad=True); y = x
    for i in range(300):
        k = i % 4
        if k == 0: y = bnp.sin(y)
        elif k == 1: y = y * 1.01
        elif k == 2: y = y + 0.1
        else: y = bnp.tanh(y)
    y.sum().backward()""",
        scalar="""    x = bc.tensor(1.0, requires_grad=True); y = x
    for _ in range({steps}): y = y * 1.0001 + 0.0001
    y.backward()""",
    ),
    "torch": dict(
        setup="import torch; torch.set_num_threads(1)",
        chain="""    x = torch.tensor(x0, requires_grad=True); y = x
    for i in range(300):
        k = i % 4
        if k == 0: y = torch.sin(y)
        elif k == 1: y = y * 1.01
        elif k == 2: y = y + 0.1
        else: y = torch.tanh(y)
    y.sum().backward()""",
        scalar="""    x = torch.tensor(1.0, requires_grad=True, dtype=torch.float64); y = x
    for _ in range({steps}): y = y * 1.0001 + 0.0001
    y.backward()""",
    ),
}


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr else "failed"
    return float(out.stdout.strip().splitlines()[-1]), None


def _available(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def _import_time(module, repeats):
    # As after `pip install`: bytecode cached (the first, untimed import writes it).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=50, help="timed repetitions of chain300")
    ap.add_argument("--steps", type=int, default=100_000, help="length of the scalar chain")
    ap.add_argument("--scalar-repeats", type=int, default=5)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)

    impls = [name for name in IMPLS if name == "backchain" or _available(name)]
    results = {"machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}"}
    for name in impls:
        spec = IMPLS[name]
        body = spec["chain"]
        t, err = _run(CHAIN.format(setup=spec["setup"], body=body, repeats=args.repeats))
        results[f"chain300/{name}"] = None if t is None else t / 300 * 1e6
        body = spec["scalar"].format(steps=args.steps)
        t, err2 = _run(CHAIN.replace("for _ in range(10): run()", "run()").format(
            setup=spec["setup"], body=body, repeats=args.scalar_repeats))
        results[f"scalar/{name}"] = t
        for e in (err, err2):
            if e:
                print(f"{name}: {e}", file=sys.stderr)
    results["import/numpy"] = _import_time("numpy", 7)
    results["import/backchain"] = _import_time("backchain", 7)

    print(f"machine: {results['machine']}")
    print(f"{'workload':<12}{'backchain':>14}{'torch':>14}{'ratio':>10}")
    for w, unit in (("chain300", "us/op"), ("scalar", "s")):
        b = results.get(f"{w}/backchain")
        t = results.get(f"{w}/torch")
        ratio = f"{b / t:.2f}" if b and t else "-"
        tt = f"{t:.3f}" if t else "-"
        print(f"{w:<12}{b:>11.3f} {unit:<3}{tt:>11}{'':3}{ratio:>10}")
    ni, bi = results["import/numpy"], results["import/backchain"]
    print(f"{'import':<12}{bi:>11.3f} s  numpy {ni:.3f} s  ratio {bi / ni:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
