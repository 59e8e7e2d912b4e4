"""Allreduce cost against parameter count and rank count, and the step-time model it feeds.

    python -m benchmarks.allreduce_bench                  # 2 and 4 ranks, 10^2 .. 10^7 float32 values
    python -m benchmarks.allreduce_bench --ranks 2 4 8 --max-size 1e6 --json out.json

For each rank count the runner launches ``mpiexec -n R`` on this file (in worker
mode, one BLAS thread per rank) and times, for each size ``n`` (float32 values):

* ``mpi``: mpi4py's blocking ``Allreduce`` in place on one flat buffer (the engine's own cost);
* ``backchain``: ``DistributedDataParallel.sync_gradients()`` on a model whose
  ``n`` parameters are spread over 8 tensors: pack into the flat buffer, one
  non-blocking allreduce waited for with the timeout, scale, unpack.

Each timing is the median over repetitions (separated by barriers) of rank 0's
time. It then fits ``t(n) = alpha + 4 n / beta`` (latency in seconds, bandwidth in
bytes/s) per rank count by least squares on relative error, and measures the
compute of one training step (forward + backward + update) of two MLPs in one
process, for the step-time model ``compute / ranks + allreduce`` of
``docs/distributed.md``. More ranks than cores oversubscribe the machine: the
ranks then share cores, and the figures measure that sharing too.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


def _time(fn, comm, min_reps=5, max_reps=200, budget=0.4):
    """Median seconds of ``fn()`` on rank 0; every rank runs the same number of repetitions."""
    for _ in range(2):
        fn()
    times = []
    start = time.perf_counter()
    for k in range(max_reps):
        comm.Barrier()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        # rank 0 decides when to stop, so that all ranks run the same collectives
        stop = comm.bcast(k + 1 >= min_reps and time.perf_counter() - start > budget, root=0)
        if stop:
            break
    return statistics.median(times), len(times)


def worker(sizes, out):
    import backchain as bc
    from mpi4py import MPI

    bc.distributed.init(timeout=120)
    comm = MPI.COMM_WORLD
    rows = []
    for n in sizes:
        buf = np.ones(n, dtype=np.float32)
        t_mpi, reps = _time(lambda: comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM), comm)
        # n values over 8 parameter tensors, as in a model of 8 layers
        parts = np.full(8, n // 8)
        parts[: n % 8] += 1
        net = bc.nn.Module()
        for k, m in enumerate(parts):
            net.register_parameter(f"p{k}", bc.nn.Parameter(np.zeros(int(m), dtype=np.float32)))
        ddp = bc.distributed.DistributedDataParallel(net)

        grads = [np.ones(p.data.shape, dtype=np.float32) for p in net.parameters()]

        def sync():  # as after backward: fresh .grad arrays, then the averaging
            for p, g in zip(net.parameters(), grads):
                p.grad = g
            ddp.sync_gradients()

        t_bc, _ = _time(sync, comm)
        rows.append({"n": n, "bytes": 4 * n, "mpi_s": t_mpi, "backchain_s": t_bc, "reps": reps,
                     "buckets": len(ddp.buckets)})
    if comm.rank == 0:
        with open(out, "w") as f:
            json.dump({"ranks": comm.size, "rows": rows, "mpi": MPI.Get_library_version().splitlines()[0]}, f)


def fit_alpha_beta(rows, key):
    """Least squares of t = alpha + bytes / beta, on relative error (sizes span five decades)."""
    b = np.array([r["bytes"] for r in rows], dtype=float)
    t = np.array([r[key] for r in rows], dtype=float)
    a = np.stack([np.ones_like(b), b], axis=1) / t[:, None]
    (alpha, inv_beta), *_ = np.linalg.lstsq(a, np.ones_like(t), rcond=None)
    pred = alpha + b * inv_beta
    return {"alpha_s": float(alpha), "beta_bytes_per_s": float(1 / inv_beta) if inv_beta > 0 else float("inf"),
            "max_rel_error": float(np.max(np.abs(pred - t) / t))}


def step_compute(sizes, batch, steps=200):
    """Seconds of one SGD step (forward, backward, update) of an MLP in this process."""
    import backchain as bc

    bc.manual_seed(0)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [bc.nn.Linear(a, b), bc.nn.ReLU()]
    net = bc.nn.Sequential(*layers[:-1])
    opt = bc.optim.SGD(net.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    F = bc.nn.functional

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(10):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    n_params = sum(p.data.size for p in net.parameters())
    return {"layers": list(sizes), "batch": batch, "params": int(n_params), "step_s": statistics.median(times)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--max-size", type=float, default=1e7)
    parser.add_argument("--json", help="write the figures there (default benchmarks/results/allreduce.json)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--compute-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [n for n in SIZES if n <= args.max_size]
    if args.worker:
        worker(sizes, args.worker)
        return 0
    if args.compute_worker:
        with open(args.compute_worker, "w") as f:
            json.dump([step_compute((64, 128, 64, 10), 32), step_compute((784, 256, 256, 10), 128, steps=100)], f)
        return 0
    mpiexec = shutil.which("mpiexec", path=os.pathsep.join([os.path.dirname(sys.executable),
                                                            os.environ.get("PATH", "")]))
    if mpiexec is None:
        print("allreduce_bench: mpiexec not found; pip install -e '.[mpi]'", file=sys.stderr)
        return 1
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    result = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", "runs": []}
    for ranks in args.ranks:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.json")
            cmd = [mpiexec, "-n", str(ranks), sys.executable, "-m", "benchmarks.allreduce_bench",
                   "--max-size", str(args.max_size), "--worker", out]
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
            if done.returncode != 0:
                print(done.stdout + done.stderr, file=sys.stderr)
                return 1
            with open(out) as f:
                run = json.load(f)
        run["fit_mpi"] = fit_alpha_beta(run["rows"], "mpi_s")
        run["fit_backchain"] = fit_alpha_beta(run["rows"], "backchain_s")
        result["runs"].append(run)
    with tempfile.TemporaryDirectory() as tmp:  # in a process of its own, with one BLAS thread like each rank
        out = os.path.join(tmp, "c.json")
        subprocess.run([sys.executable, "-m", "benchmarks.allreduce_bench", "--compute-worker", out], cwd=ROOT,
                       env=env, check=True, timeout=600)
        with open(out) as f:
            result["compute"] = json.load(f)
    result["mpi"] = result["runs"][0]["mpi"]
    print(f"allreduce of float32 values, median time on rank 0 ({result['machine']}; {result['mpi']})\n")
    print(f"{'ranks':>5}  {'values':>10}  {'MB':>7}  {'MPI Allreduce':>14}  {'backchain sync':>14}  {'GB/s (bc)':>9}")
    for run in result["runs"]:
        oversub = "  (oversubscribed)" if run["ranks"] > (os.cpu_count() or 1) else ""
        for r in run["rows"]:
            print(f"{run['ranks']:>5}  {r['n']:>10,}  {r['bytes'] / 1e6:>7.3f}  {r['mpi_s'] * 1e6:>11.1f} us  "
                  f"{r['backchain_s'] * 1e6:>11.1f} us  {r['bytes'] / r['backchain_s'] / 1e9:>9.2f}{oversub}")
    print("\nfit t = alpha + bytes / beta")
    for run in result["runs"]:
        for key in ("fit_mpi", "fit_backchain"):
            f = run[key]
            print(f"  {run['ranks']} ranks, {key[4:]:>9}: alpha {f['alpha_s'] * 1e6:7.1f} us, beta "
                  f"{f['beta_bytes_per_s'] / 1e9:6.2f} GB/s (largest relative error {f['max_rel_error']:.0%})")
    print("\ncompute of one SGD step in one process (1 BLAS thread)")
    for c in result["compute"]:
        print(f"  MLP {'-'.join(map(str, c['layers']))}, batch {c['batch']}: {c['params']:,} parameters, "
              f"{c['step_s'] * 1e3:.3f} ms")
    path = args.json or os.path.join(ROOT, "benchmarks", "results", "allreduce.json")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
