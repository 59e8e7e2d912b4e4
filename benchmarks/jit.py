"""bc.jit against eager backchain, hand-written NumPy, ``jax.jit`` and PyTorch eager, on W1, W2, W3, W7, W8.

    python -m benchmarks.jit                     # both workloads, every implementation, 3 rounds
    python -m benchmarks.jit -w W2 --rounds 5 --steps 500
    python -m benchmarks.jit -w W1 W3 --threads 1    # single-threaded kernels in every library

Each (workload, implementation) pair runs in a fresh process, in turn within a round; the table
gives the median over rounds of each round's median, the ratio to the NumPy baseline's median and
to JAX's, and the first call's time (tracing and compiling, for the compiled implementations).

W2: 300 elementwise ops (sin, x1.01, +0.1, tanh cycling) on 16 float64 values, then sum; the
gradient (forward + backward), in microseconds per op. W1: MLP 784-256-256-10, ReLU, softmax
cross-entropy, batch 128, one SGD step (float32). W3 (LeNet-style CNN), W7 (LSTM), W8
(transformer encoder): as in ``python -m benchmarks``; milliseconds per step.

Implementations: ``numpy`` (by hand), ``backchain`` (eager), ``bcjit`` (W2: ``bc.jit(bc.grad(f))``
with its default fusion, Numba kernels when Numba is installed; the others: ``bc.jit`` of the eager
case's training step, whose parameters are program inputs updated in place), ``bcjit-nofuse``
(``fuse=None``: the replay of NumPy calls, without Numba kernels or pattern rewrites),
``bcjit-fn`` (W1: the step as a function of the parameters, returning new ones), ``jax``
(``jax.jit``), ``torch`` (PyTorch eager); ``bcjit-2threads`` (W3): ``bcjit`` with the replay's
pattern kernels and layout copies shared with a helper thread (``BACKCHAIN_JIT_THREADS=2``). "first call"
is the time of the first gradient and the first two steps: tracing and compiling for the compiled
implementations (W2's fused kernel is compiled before its first replay; the training steps' pattern
kernels compile in a background thread while the first replays take their NumPy routes). "ready" is
the time from the first call until those kernels are compiled (or loaded from Numba's on-disk cache);
steps are timed after it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from benchmarks.workloads import _mlp
from benchmarks.workloads import w2_chain

W1_SIZES = (784, 256, 256, 10)


# -- W2 ---------------------------------------------------------------------------------

class W2Jit:
    def __init__(self, n, fuse="auto"):
        import backchain as bc
        import backchain.numpy as bnp

        self.g = bc.jit(bc.grad(w2_chain._chain(bnp, n)), fuse=fuse)
        self.x0 = w2_chain._x0()

    def grads(self):
        return [self.g(self.x0)]

    def step(self):
        self.g(self.x0)


W2 = {
    "numpy": w2_chain.Numpy,
    "backchain": w2_chain.Backchain,
    "bcjit": W2Jit,
    "bcjit-nofuse": lambda n: W2Jit(n, fuse=None),
    "jax": w2_chain.Jax,
}


# -- W1 ---------------------------------------------------------------------------------

class W1Jit:
    """``bc.jit`` of the whole training step: the loss, its gradient and the SGD update; the
    parameters are inputs (donated) and the updated parameters outputs."""

    def __init__(self, params, x, y, fuse="auto"):
        import backchain as bc
        import backchain.nn.functional as F

        def loss(ps, x, y):
            h = x
            n = len(ps) // 2
            for i in range(n):
                z = h @ ps[2 * i] + ps[2 * i + 1]
                h = F.relu(z) if i < n - 1 else z
            return F.cross_entropy(z, y)

        def update(ps, x, y):
            g = bc.grad(loss)(ps, x, y)
            return [p - _mlp.LR * gp for p, gp in zip(ps, g)]

        self._grad = bc.jit(bc.grad(loss), fuse=fuse)
        self._update = bc.jit(update, fuse=fuse, donate_argnums=0)  # the new parameters in the old arrays
        self.params = [p.copy() for p in params]
        self.x, self.y = x, y

    def grads(self):
        return list(self._grad(self.params, self.x, self.y))

    def step(self):
        self.params = self._update(self.params, self.x, self.y)


def _w1(impl):
    def make(batch):
        params, x, y = _mlp.init(W1_SIZES, batch, "xent")
        return _mlp.IMPLEMENTATIONS[impl](params, x, y, "xent")
    return make


class StepJit:
    """``bc.jit`` of the eager backchain case's own step (forward, ``backward``, SGD on ``p.data``): the
    parameters are inputs of the program and updated in place, as a user's jitted training step."""

    def __init__(self, case, fuse="auto"):
        import backchain as bc

        self.case = case
        self._step = bc.jit(case.step, fuse=fuse)
        self._grads = bc.jit(case.grads, fuse=fuse)

    def grads(self):
        """The gradients a compiled forward and backward of the case computes: the first call traces,
        the second replays the program, whose result is returned."""
        self._grads()
        return self._grads()

    def step(self):
        self._step()


def _registry(workload):
    import importlib

    return importlib.import_module(f"benchmarks.workloads.{workload}")


def _eager(module, impl):
    return lambda size: _registry(module).WORKLOAD.make(impl, size)


def _stepjit(module, fuse="auto"):
    return lambda size: StepJit(_registry(module).WORKLOAD.make("backchain", size), fuse)


W1 = {name: _w1(name) for name in ("numpy", "backchain", "bcjit-fn", "jax")}
W1["bcjit-fn"] = lambda batch: W1Jit(*_mlp.init(W1_SIZES, batch, "xent"))
W1["bcjit"] = _stepjit("w1_mlp")
W1["bcjit-nofuse"] = _stepjit("w1_mlp", None)


def _more(module):
    return {"numpy": _eager(module, "numpy"), "backchain": _eager(module, "backchain"),
            "bcjit": _stepjit(module), "bcjit-nofuse": _stepjit(module, None), "torch": _eager(module, "torch")}


def _two_threads(make):
    """``make`` with the replay's pattern kernels and copies shared with a helper thread (bc.jit's ``_split``)."""
    def made(size):
        os.environ["BACKCHAIN_JIT_THREADS"] = "2"
        return make(size)
    return made


WORKLOADS = {
    "W2": dict(impls=W2, size=300, steps=300, warmup=20, scale=1e6, per=300, unit="us/op", rtol=1e-10),
    "W1": dict(impls=W1, size=128, steps=200, warmup=20, scale=1e3, per=1, unit="ms/step", rtol=1e-4),
    "W3": dict(impls=dict(_more("w3_cnn"), **{"bcjit-2threads": _two_threads(_stepjit("w3_cnn"))}), size=64, steps=50, warmup=5, scale=1e3, per=1, unit="ms/step", rtol=1e-4),
    "W7": dict(impls=_more("w7_lstm"), size=32, steps=30, warmup=3, scale=1e3, per=1, unit="ms/step", rtol=1e-4),
    "W8": dict(impls=_more("w8_transformer"), size=32, steps=30, warmup=3, scale=1e3, per=1, unit="ms/step",
               rtol=1e-3),
}


WARM_S = 0.5


def _child(workload, impl, steps, warmup):
    w = WORKLOADS[workload]
    t0 = time.perf_counter()
    case = w["impls"][impl](w["size"])
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    grads = case.grads()            # the first call and two steps: tracing and compiling, for the compiled ones,
    case.step()                     # and the first replay (which compiles Numba kernels, or loads them from
    case.step()                     # Numba's disk cache)
    first = time.perf_counter() - t0
    ready = None
    if "backchain.jit._background" in sys.modules:   # the pattern kernels, compiled in the background
        sys.modules["backchain.jit._background"].wait()
        ready = time.perf_counter() - t0
    # warm-up: ``warmup`` steps and at least WARM_S seconds: BLAS threads that the first calls used (a
    # trace runs the step eagerly) spin for about 0.1 s after their last product (OpenBLAS's
    # THREAD_TIMEOUT), on the cores the compiled replays' workers use
    end = time.perf_counter() + WARM_S
    done = 0
    while done < warmup or time.perf_counter() < end:
        case.step()
        done += 1
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        case.step()
        times.append(time.perf_counter() - t0)
    scale = w["scale"] / w["per"]
    return {"median": statistics.median(times) * scale, "min": min(times) * scale, "max": max(times) * scale,
            "first_s": first, "setup_s": made, "ready_s": ready,
            "grads": None if grads is None else [np.asarray(g).tolist() for g in grads]}


def _ready_ms(rs):
    """Median time until the background-compiled kernels were ready, or None where none were asked for."""
    r = [x["ready_s"] for x in rs if x.get("ready_s") is not None]
    return statistics.median(r) * 1e3 if r else None


def _available(impl):
    need = {"jax": "jax", "torch": "torch"}.get(impl)
    if need is None:
        return True
    import importlib.util

    return importlib.util.find_spec(need) is not None


def _env(threads):
    """The child processes' environment: with ``threads``, every library's kernels use that many threads."""
    env = dict(os.environ)
    if threads:
        n = str(threads)
        env.update(OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n, NUMBA_NUM_THREADS=n)
        if threads == 1:
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
        if hasattr(os, "sched_getaffinity"):
            # and the process on that many cores: XLA's runtime runs independent operations on threads of
            # its own, which no setting above pins (JAX's W1 step used 1.6 cores with them alone)
            env["BENCH_CPUS"] = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:threads])
    return env


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.jit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-w", "--workloads", nargs="+", default=["W2", "W1", "W3", "W7", "W8"])
    ap.add_argument("-i", "--impls", nargs="+")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--json")
    ap.add_argument("--threads", type=int,
                    help="threads of every library's kernels (BLAS, PyTorch, XLA) in the child processes; default: "
                         "each library's own (on a machine whose cores other processes share, 1 gives stable figures)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        if os.environ.get("BENCH_CPUS") and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {int(c) for c in os.environ["BENCH_CPUS"].split(",")})
        w = WORKLOADS[args.child[0]]
        out = _child(args.child[0], args.child[1], args.steps or w["steps"], args.warmup or w["warmup"])
        print(json.dumps(out))
        return 0
    report = {}
    for name in args.workloads:
        w = WORKLOADS[name]
        impls = [i for i in (args.impls or w["impls"]) if i in w["impls"] and _available(i)]
        if "numpy" not in impls:
            impls.insert(0, "numpy")
        runs = {i: [] for i in impls}
        for rnd in range(args.rounds):
            for impl in impls:
                cmd = [sys.executable, "-m", "benchmarks.jit", "--child", name, impl]
                if args.steps:
                    cmd += ["--steps", str(args.steps)]
                if args.warmup:
                    cmd += ["--warmup", str(args.warmup)]
                p = subprocess.run(cmd, capture_output=True, text=True, env=_env(args.threads))
                if p.returncode:
                    print(f"{name} {impl} failed:\n{p.stderr[-2000:]}", file=sys.stderr)
                    return 1
                runs[impl].append(json.loads(p.stdout.strip().splitlines()[-1]))
                print(f"  {name} {impl:14s} round {rnd + 1}/{args.rounds}", file=sys.stderr)
        base = runs["numpy"][0]["grads"]
        for impl, rs in runs.items():
            if rs[0]["grads"] is None or base is None:
                continue
            for g, b in zip(rs[0]["grads"], base):
                g, b = np.asarray(g), np.asarray(b)
                err = np.max(np.abs(g - b)) / max(np.max(np.abs(b)), 1e-30)
                if err > w["rtol"]:
                    print(f"{name} {impl}: gradient differs from the NumPy baseline ({err:.2e})", file=sys.stderr)
                    return 1
        med = {i: statistics.median(r["median"] for r in rs) for i, rs in runs.items()}
        peer = med.get("jax") or med.get("torch")
        peer_name = "/jax" if "jax" in med else "/torch"
        print(f"{name}  [{w['unit']}; ratio = median / numpy median; first call in ms]")
        print(f"  {'impl':14s} {'median':>9s} {'min-max':>17s} {'ratio':>6s} {peer_name:>6s} {'first call':>11s} "
              f"{'ready':>8s}")
        for impl, rs in runs.items():
            lo, hi = min(r["min"] for r in rs), max(r["max"] for r in rs)
            first = statistics.median(r["first_s"] for r in rs) * 1e3
            ready = _ready_ms(rs)
            vs = f"{med[impl] / peer:6.2f}" if peer else "     -"
            print(f"  {impl:14s} {med[impl]:9.3f} {lo:8.3f}-{hi:<8.3f} {med[impl] / med['numpy']:6.2f} {vs} "
                  f"{first:11.1f} {'' if ready is None else f'{ready:8.1f}'}")
        report[name] = {i: {"median": med[i], "first_ms": statistics.median(r["first_s"] for r in rs) * 1e3,
                            "ready_ms": _ready_ms(rs), "rounds": [r["median"] for r in rs]}
                        for i, rs in runs.items()}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
