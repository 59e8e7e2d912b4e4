"""Benchmark runner: backchain against hand-written NumPy and the peers, each pair in a fresh process.

    python -m benchmarks                       # every workload, every installed implementation
    python -m benchmarks -w W1 W5 -i numpy backchain torch --json out.json
    python -m benchmarks -w W7 --rounds 5      # the implementations in turn 5 times: ratios within rounds
    python -m benchmarks --quick               # tiny step counts (a minute, not a measurement)
    python -m benchmarks --scaling             # cost against size: W1 batch 1..4096, graph length 1e3..1e6

For each workload (benchmarks/workloads/w*.py) and each implementation, a child
process builds the case, checks its gradients against the NumPy baseline (the
runner fails with exit status 1 if any disagree), warms up, times many steps
and reports the samples, its peak RSS and its libraries' thread counts. The
table shows medians, min-max, the ratio of each median to the NumPy
baseline's, and the peak RSS of the process. Every library gets the same
number of threads (``--threads``, default: the machine's cores).
"""
import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):  # run as `python benchmarks/run.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from benchmarks.workloads import registry  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The module each implementation needs; an implementation whose module is missing is skipped.
REQUIRES = {"numpy": "numpy", "backchain": "backchain", "torch": "torch", "jax": "jax",
            "autograd": "autograd", "matmul": "numpy"}
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def available(impl):
    """Whether the library behind ``impl`` is installed (found without importing it)."""
    return importlib.util.find_spec(REQUIRES[impl]) is not None


# -- in the child process ---------------------------------------------------

def thread_info():
    """Thread counts of the libraries loaded in this process, and the CPU kernels an OpenBLAS picked
    (``OPENBLAS_CORETYPE`` can pin them: on a CPU with AVX-512, Haswell kernels use AVX2 only)."""
    info = {}
    try:
        import threadpoolctl

        for pool in threadpoolctl.threadpool_info():
            key = f"{pool['user_api']}:{pool['internal_api']}"
            info[key] = pool["num_threads"]
            if pool.get("architecture"):
                info[f"{key} kernels"] = pool["architecture"]
    except ImportError:
        for k in THREAD_ENV:
            if k in os.environ:
                info[f"env:{k}"] = int(os.environ[k])
    if "torch" in sys.modules:
        info["torch"] = sys.modules["torch"].get_num_threads()
    if "jax" in sys.modules:
        info["jax"] = f"XLA CPU, {len(sys.modules['jax'].devices())} device"
    if "backchain" in sys.modules:   # what importing backchain did to the C allocator (_core/malloc.py)
        info["malloc"] = sys.modules["backchain._core.malloc"].STATE["malloc"]
    return info


def versions(impl):
    import numpy

    out = {"numpy": numpy.__version__}
    lib = REQUIRES[impl]
    if lib in sys.modules:
        out[lib] = getattr(sys.modules[lib], "__version__", "?")
    return out


def run_case(name, impl, *, size=None, steps=None, warmup=None, quick=False, threads=None,
             grads_path=None, budget=None, extras=True):
    """Run one (workload, implementation) pair in this process and return its figures.

    Parameters
    ----------
    name, impl : str
        The workload (``"W1"``) and the implementation (``"backchain"``).
    size, steps, warmup : optional
        Override the workload's problem size and step counts.
    quick : bool
        Use the workload's tiny step counts (and its ``quick_size``).
    threads : int, optional
        Set PyTorch's intra-op threads (NumPy's BLAS reads its environment at import).
    grads_path : str, optional
        Save the gradients at the initial weights there (``.npz``) for the runner's check.
    budget : float, optional
        Stop timing after this many seconds (and at least 3 steps).
    extras : bool
        Run a workload's additional measurements (e.g. W4's 1,000,000 steps).

    Returns
    -------
    dict with ``samples`` (in the workload's unit), ``median``, ``min``, ``max``,
    ``extra``, ``peak_rss_mb``, ``threads``, ``versions``, ``size`` and, where the
    workload counts them, ``gflops``.

    Examples
    --------
    >>> r = run_case("W2", "numpy", size=8, steps=2, warmup=1)
    >>> sorted(r)[:3]
    ['extra', 'gflops', 'max']
    """
    import numpy as np

    from benchmarks.workloads.w6_memory import peak_rss_mb

    w = registry()[name]
    if size is None:
        size = (w.quick_size if quick and w.quick_size is not None else w.size)
    if steps is None:
        steps = w.quick_steps if quick else w.steps
    if warmup is None:
        warmup = w.quick_warmup if quick else w.warmup
    case = w.make(impl, size)
    if threads is not None and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if grads_path is not None:
        g = case.grads()
        if g is not None:
            np.savez(grads_path, *[np.asarray(a) for a in g])
    out = w.measure(w, case, size, steps, warmup, quick=quick, budget=budget, extras=extras)
    samples = out["samples"]
    result = {
        "size": size,
        "samples": samples,
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "extra": out.get("extra", {}),
        "peak_rss_mb": peak_rss_mb(),
        "threads": thread_info(),
        "versions": versions(impl),
        "gflops": None,
    }
    if w.flops is not None and "seconds" in out:
        result["gflops"] = w.flops(size) / statistics.median(out["seconds"]) / 1e9
    return result


def child_main(spec):
    result = run_case(**spec)
    print("RESULT " + json.dumps(result))


# -- in the runner -----------------------------------------------------------

def child_env(threads):
    env = dict(os.environ)
    for k in THREAD_ENV:
        env[k] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "") if env.get("PYTHONPATH") else ROOT
    return env


def run_child(spec, threads, timeout=1800):
    """Run ``run_case(**spec)`` in a fresh Python process; a dict, or ``{"error": ...}``."""
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=child_env(threads),
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1][len("RESULT "):])


def reference_grads(w, size):
    """The NumPy baseline's gradients at the initial weights (computed in the runner)."""
    return w.make(w.baseline, size).grads()


def compare_grads(w, impl, ref, got):
    """None if ``got`` agrees with ``ref``, else a message naming the workload, implementation and array."""
    import numpy as np

    if len(ref) != len(got):
        return f"{w.name}/{impl}: {len(got)} gradients, the NumPy baseline has {len(ref)}"
    for k, (r, g) in enumerate(zip(ref, got)):
        if np.shape(r) != np.shape(g):
            return f"{w.name}/{impl}: gradient {k} has shape {np.shape(g)}, the baseline {np.shape(r)}"
        scale = max(float(np.max(np.abs(r))), 1e-30)
        err = float(np.max(np.abs(np.asarray(g, np.float64) - r))) / scale
        if not err <= w.rtol:
            return (f"{w.name}/{impl}: gradient {k} (shape {np.shape(r)}, dtype {np.asarray(g).dtype}) differs "
                    f"from the NumPy baseline by {err:.2e} of its largest entry (tolerance {w.rtol:.0e})")
    return None


def run_workload(w, impls, *, threads, quick=False, size=None, steps=None, warmup=None, check=True,
                 budget=None, extras=True, rounds=1, log=print):
    """Run the implementations of one workload, each in a fresh process; ``(results, errors)``.

    With ``rounds`` > 1 the implementations run in turn that many times (a fresh process each
    time), so that a change in the machine's load falls on all of them alike; a result then
    holds every sample and ``round_medians``, its median is the median of those, and the table's
    ratios are medians of the ratios within each round.
    """
    import numpy as np

    if size is None:
        size = w.quick_size if quick and w.quick_size is not None else w.size
    results, errors = {}, []
    ref = reference_grads(w, size) if check and w.check else None
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(rounds):
            for impl in impls:
                if "error" in results.get(impl, {}):
                    continue
                spec = dict(name=w.name, impl=impl, size=size, steps=steps, warmup=warmup, quick=quick,
                            threads=threads, budget=budget, extras=extras and rnd == 0)
                if ref is not None and rnd == 0:
                    spec["grads_path"] = os.path.join(tmp, f"{impl}.npz")
                t = time.perf_counter()
                r = run_child(spec, threads)
                log(f"  {w.name} {impl:<10} {'failed' if 'error' in r else 'done'} in {time.perf_counter() - t:.1f} s"
                    + (f" (round {rnd + 1}/{rounds})" if rounds > 1 else ""), file=sys.stderr)
                if "error" not in r and "grads_path" in spec and os.path.exists(spec["grads_path"]):
                    with np.load(spec["grads_path"]) as z:
                        got = [z[f"arr_{k}"] for k in range(len(z.files))]
                    msg = compare_grads(w, impl, ref, got)
                    r["grads_check"] = msg or "agrees"
                    if msg:
                        errors.append(msg)
                results[impl] = r if rnd == 0 or "error" in r else _merge(results[impl], r)
    return results, errors


def _merge(acc, r):
    """One implementation's result over rounds: every sample, each round's median, the largest RSS."""
    meds = acc.get("round_medians", [acc["median"]]) + [r["median"]]
    out = dict(acc, samples=acc["samples"] + r["samples"], round_medians=meds, median=statistics.median(meds),
               min=min(acc["min"], r["min"]), max=max(acc["max"], r["max"]),
               peak_rss_mb=max(acc["peak_rss_mb"], r["peak_rss_mb"]))
    if r.get("gflops") is not None:
        out["round_gflops"] = acc.get("round_gflops", [acc["gflops"]]) + [r["gflops"]]
        out["gflops"] = statistics.median(out["round_gflops"])
    return out


def _ratio(r, base):
    """``r``'s median over ``base``'s: the median of the per-round ratios when both ran in rounds."""
    a, b = r.get("round_medians"), base.get("round_medians")
    if a and b and len(a) == len(b):
        return statistics.median(x / y for x, y in zip(a, b))
    return r["median"] / base["median"]


def _fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def notes(w, impl, r, results):
    out = []
    if r.get("gflops") is not None and w.name == "W5":
        floor = results.get("matmul", {}).get("gflops")
        out.append(f"{r['gflops']:.0f} GFLOP/s" + (f" ({r['gflops'] / floor:.0%} of matmul)" if floor else ""))
    x = r.get("extra", {})
    if "long_steps" in x:
        out.append(f"{x['long_steps']:,} steps: " + (f"{x['long_s']:.2f} s" if "long_s" in x
                                                    else x["long_error"]))
    if "rss_first_mb" in x:
        out.append(f"RSS step {x['rss_trace'][0][0]}/{x['rss_steps']}: {x['rss_first_mb']:.0f}/"
                   f"{x['rss_last_mb']:.0f} MB (max {x['rss_max_mb']:.0f})")
    if r.get("grads_check") not in (None, "agrees"):
        out.append("GRADIENTS DISAGREE")
    return "; ".join(out)


def format_table(w, results):
    """The table of one workload: median, min-max, ratios to the baseline and to PyTorch, peak RSS, notes."""
    base = results.get(w.baseline) if "median" in results.get(w.baseline, {}) else None
    peer = results.get("torch") if "median" in results.get("torch", {}) else None
    size = next((r["size"] for r in results.values() if "size" in r), w.size)
    note = "" if size == w.size else f"; {w.size_label} {size:,} (not the default {w.size:,})"
    lines = [f"{w.name}  {w.title}  [{w.unit}; ratio = median / {w.baseline} median{note}]",
             f"  {'impl':<10} {'median':>9} {'min-max':>17} {'ratio':>7} {'/torch':>7} {'peak RSS':>9}  notes"]
    for impl, r in results.items():
        if "error" in r:
            lines.append(f"  {impl:<10} {'failed':>9}  {r['error'][:150]}")
            continue
        ratio = f"{_ratio(r, base):.2f}" if base else "-"
        vs_peer = f"{_ratio(r, peer):.2f}" if peer else "-"
        span = f"{_fmt(r['min'])}-{_fmt(r['max'])}"
        lines.append(f"  {impl:<10} {_fmt(r['median']):>9} {span:>17} {ratio:>7} {vs_peer:>7} "
                     f"{r['peak_rss_mb']:>6.0f} MB  {notes(w, impl, r, results)}")
    return "\n".join(lines)


def format_sweep(w, sweep):
    """The scaling table of one workload: per size, each implementation's median and cost per unit."""
    impls = list(next(iter(sweep.values())).keys()) if sweep else []
    per = f"{'us/' + w.per_label}" if w.per_label else ""
    head = f"  {w.size_label:>9} " + "".join(f"{i + ' ' + w.unit:>18}" for i in impls)
    head += "".join(f"{i + ' ' + per:>20}" for i in impls) + "".join(
        f"{i + '/' + w.baseline:>18}" for i in impls if i != w.baseline)
    lines = [f"{w.name} scaling: {w.title}", head]
    for size, res in sweep.items():
        row = f"  {size:>9,} "
        meds = {i: (res[i].get("median") if "error" not in res[i] else None) for i in impls}
        row += "".join(f"{_fmt(meds[i]):>18}" for i in impls)
        for i in impls:
            m = meds[i]
            row += f"{'-' if m is None else _fmt(m / w.scale * 1e6 / w.sweep_per(size)):>20}"
        base = meds.get(w.baseline)
        for i in impls:
            if i != w.baseline:
                row += f"{(f'{meds[i] / base:.2f}' if base and meds[i] else '-'):>18}"
        lines.append(row)
    return "\n".join(lines)


def machine():
    import numpy

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for ln in fh:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "machine": platform.machine(), "system": platform.system(),
            "python": platform.python_version(), "numpy": numpy.__version__}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-w", "--workloads", nargs="+", metavar="W", help="workloads to run (default: all)")
    ap.add_argument("-i", "--impls", nargs="+", metavar="IMPL",
                    help="implementations to run (default: all installed; the NumPy baseline always runs)")
    ap.add_argument("--steps", type=int, help="timed steps per pair (default: the workload's)")
    ap.add_argument("--warmup", type=int, help="untimed steps first (default: the workload's)")
    ap.add_argument("--size", type=int, help="problem size (batch, ops, steps, width; default: the workload's)")
    ap.add_argument("--quick", action="store_true", help="tiny step counts: checks that everything runs")
    ap.add_argument("--scaling", action="store_true",
                    help="cost against size for the workloads that define a sweep (W1 batch, W4 graph length)")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds of timing per size in --scaling")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads for every library (BLAS, PyTorch intra-op); default: the machine's cores")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the implementations in turn this many times; ratios are per-round medians")
    ap.add_argument("--no-check", action="store_true", help="skip the gradient check against the baseline")
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))

    works = registry()
    names = args.workloads or list(works)
    unknown = [n for n in names if n not in works]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; known: {sorted(works)}")
    report = {"machine": machine(), "threads": args.threads, "quick": args.quick, "rounds": args.rounds,
              "results": {}, "scaling": {}, "errors": []}
    m = report["machine"]
    print(f"machine: {m['cpu']} ({m['cores']} cores), Python {m['python']}, NumPy {m['numpy']}; "
          f"threads per library: {args.threads}")
    for name in names:
        w = works[name]
        impls = [i for i in w.impls if (args.impls is None or i in args.impls or i == w.baseline)]
        missing = [i for i in impls if not available(i)]
        impls = [i for i in impls if i not in missing]
        if args.scaling:
            if not w.sweep:
                continue
            sweep = {}
            for size in w.sweep:
                res, errs = run_workload(w, impls, threads=args.threads, size=size, steps=args.steps or w.steps,
                                         warmup=args.warmup, check=False, budget=args.budget, extras=False)
                sweep[size] = res
            report["scaling"][name] = {str(k): v for k, v in sweep.items()}
            print(format_sweep(w, sweep), flush=True)
            continue
        res, errs = run_workload(w, impls, threads=args.threads, quick=args.quick, size=args.size,
                                 steps=args.steps, warmup=args.warmup, check=not args.no_check,
                                 rounds=max(1, args.rounds))
        report["results"][name] = res
        report["errors"] += errs
        report["errors"] += [f"{name}/{i}: {r['error']}" for i, r in res.items() if "error" in r]
        print(format_table(w, res), flush=True)
        if missing:
            print(f"  (not installed: {', '.join(missing)})")
        threads = {i: r["threads"] for i, r in res.items() if "threads" in r}
        if threads and name == names[0]:
            for i, t in threads.items():
                print(f"  threads {i}: {t}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    if report["errors"]:
        print("\nFAILED:\n  " + "\n  ".join(report["errors"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
