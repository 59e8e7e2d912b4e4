"""Smoke test of the benchmark suite: every workload with every installed implementation runs
through the runner's own functions, with tiny sizes and step counts, and its gradients agree
with the hand-written NumPy baseline. Nothing is timed or compared against a time."""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import run
from benchmarks.workloads import registry

WORKLOADS = registry()
# Only the implementations installed here (JAX and HIPS autograd are optional benchmark extras).
PAIRS = [(name, impl) for name, w in WORKLOADS.items() for impl in w.impls if run.available(impl)]


def test_registry_has_the_workloads():
    assert {"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"} <= set(WORKLOADS)
    for w in WORKLOADS.values():
        assert w.impls[0] == w.baseline == "numpy"
        assert "backchain" in w.impls


@pytest.mark.parametrize("name,impl", PAIRS, ids=[f"{n}-{i}" for n, i in PAIRS])
def test_pair_runs_and_agrees_with_the_baseline(name, impl, tmp_path):
    w = WORKLOADS[name]
    path = str(tmp_path / "grads.npz")
    r = run.run_case(name, impl, size=w.smoke_size, steps=2, warmup=1, quick=True, grads_path=path)
    assert len(r["samples"]) >= 1 and all(np.isfinite(r["samples"]))
    assert r["min"] <= r["median"] <= r["max"]
    assert r["peak_rss_mb"] > 0
    if w.check and impl != "matmul":
        ref = run.reference_grads(w, w.smoke_size)
        with np.load(path) as z:
            got = [z[f"arr_{k}"] for k in range(len(z.files))]
        assert run.compare_grads(w, impl, ref, got) is None
    if name == "W4":
        assert "long_s" in r["extra"], r["extra"]
    if name == "W6":
        assert r["extra"]["rss_last_mb"] > 0


def test_check_reports_a_wrong_gradient():
    w = WORKLOADS["W1"]
    ref = run.reference_grads(w, 4)
    bad = [g.copy() for g in ref]
    bad[2][0, 0] += 1.0
    msg = run.compare_grads(w, "backchain", ref, bad)
    assert msg is not None and "W1/backchain" in msg and "gradient 2" in msg
    assert "shape" in run.compare_grads(w, "backchain", ref, [g.T for g in ref])


def test_tables_format():
    w = WORKLOADS["W5"]
    r = run.run_case("W5", "numpy", size=8, steps=2, warmup=0)
    m = run.run_case("W5", "matmul", size=8, steps=2, warmup=0)
    table = run.format_table(w, {"numpy": r, "matmul": m, "torch": {"error": "exit 1: boom"}})
    assert "W5" in table and "GFLOP/s" in table and "failed" in table
    sweep = run.format_sweep(WORKLOADS["W1"], {1: {"numpy": r, "backchain": r}, 4: {"numpy": r, "backchain": r}})
    assert "us/example" in sweep and "backchain/numpy" in sweep


@pytest.mark.parametrize("argv", [["-m", "benchmarks"], [os.path.join("benchmarks", "run.py")]])
def test_runner_command_line(argv, tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "out.json"
    cmd = [sys.executable, *argv, "--quick", "-w", "W2", "-i", "backchain", "--size", "8",
           "--steps", "2", "--json", str(out)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "W2" in proc.stdout and "backchain" in proc.stdout
    report = json.loads(out.read_text())
    res = report["results"]["W2"]
    assert set(res) == {"numpy", "backchain"}
    assert res["backchain"]["grads_check"] == "agrees"
    assert report["machine"]["cores"] == os.cpu_count()


def test_rounds_merge_samples_and_take_ratios_within_rounds():
    a = {"samples": [1.0, 2.0], "median": 1.5, "min": 1.0, "max": 2.0, "peak_rss_mb": 10.0, "gflops": None}
    b = {"samples": [4.0], "median": 4.0, "min": 4.0, "max": 4.0, "peak_rss_mb": 12.0, "gflops": None}
    c = {"samples": [2.0], "median": 2.0, "min": 2.0, "max": 2.0, "peak_rss_mb": 9.0, "gflops": None}
    r = run._merge(run._merge(a, b), c)
    assert r["samples"] == [1.0, 2.0, 4.0, 2.0] and r["round_medians"] == [1.5, 4.0, 2.0]
    assert r["median"] == 2.0 and (r["min"], r["max"], r["peak_rss_mb"]) == (1.0, 4.0, 12.0)
    # the baseline slowed down in round 2 as much as the implementation did: the ratio stays 2
    base = {"median": 1.5, "round_medians": [0.75, 2.0, 1.0]}
    assert run._ratio(r, base) == 2.0
    assert run._ratio({"median": 3.0}, {"median": 1.5}) == 2.0


def test_runner_rounds(tmp_path):
    w = WORKLOADS["W2"]
    res, errs = run.run_workload(w, ["numpy", "backchain"], threads=1, quick=True, size=8, steps=2,
                                 rounds=2, log=lambda *a, **k: None)
    assert errs == []
    assert len(res["backchain"]["round_medians"]) == 2 and res["backchain"]["grads_check"] == "agrees"
    assert "W2" in run.format_table(w, res)
