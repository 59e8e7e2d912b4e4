"""benchmarks/jit.py runs: each bc.jit variant at a few steps, its gradients equal to the NumPy
baseline's (no timing is asserted)."""
import numpy as np
import pytest

from benchmarks import jit as bench


@pytest.mark.parametrize("workload, impl", [("W2", "bcjit-nofuse"), ("W2", "bcjit"), ("W1", "bcjit"),
                                            ("W1", "bcjit-fn"), ("W3", "bcjit"),
                                            ("W3", "bcjit-nofuse")])
def test_jit_variants_run_and_match_the_baseline(workload, impl):
    if impl == "bcjit" and workload == "W2":
        pytest.importorskip("numba")
    got = bench._child(workload, impl, steps=2, warmup=0)
    base = bench._child(workload, "numpy", steps=1, warmup=0)
    for g, b in zip(got["grads"], base["grads"]):
        g, b = np.asarray(g), np.asarray(b)
        assert np.max(np.abs(g - b)) <= bench.WORKLOADS[workload]["rtol"] * max(np.max(np.abs(b)), 1e-30)
    assert got["median"] > 0 and got["first_s"] > 0


def test_threads_option_pins_every_library():
    env = bench._env(1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        assert env[var] == "1"
    assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]
    assert bench._env(2)["OPENBLAS_NUM_THREADS"] == "2" and "XLA_FLAGS" not in bench._env(2).keys() - bench.os.environ.keys()
    if hasattr(bench.os, "sched_getaffinity"):   # and the child on that many cores
        assert len(env["BENCH_CPUS"].split(",")) == 1
        assert set(env["BENCH_CPUS"].split(",")) <= {str(c) for c in bench.os.sched_getaffinity(0)}


@pytest.mark.parametrize("impl", ["numpy", "jax"])
def test_w1_products_times_every_product_of_the_step(impl):
    """benchmarks/w1_products.py: each of W1's eight products runs (its value checked against NumPy
    inside the child) and gets a positive time."""
    if impl == "jax":
        pytest.importorskip("jax")
    from benchmarks import w1_products

    times = w1_products._child(impl, repeat=2)
    assert len(w1_products._products(np.random.default_rng(0))) == 8
    assert len(times) == 8 + (impl == "jax") and min(times) > 0


def test_jit_features_turns_each_feature_off_and_back_on():
    """benchmarks/jit_features.py: the plans it replaces are restored, and a measurement runs."""
    pytest.importorskip("numba")
    from backchain.jit import _cse, _fuse, _gemm, _replay
    from benchmarks import jit_features as jf

    def plans():
        return _fuse._row_calls, _cse.eliminate, _replay._sgd_of, _replay._bias_relu_of, _gemm._NT_ROWS

    before = plans()
    for f in ("rows", "cse", "sgd-in-product", "bias-relu-in-product", "nt-copy"):
        with jf._off(f):
            assert plans() != before
        assert plans() == before
    on, off, ratio = jf.measure("W1", "cse", blocks=1, steps=1, warm_s=0.0)
    assert on > 0 and off > 0 and ratio > 0
    with pytest.raises(SystemExit, match="unknown feature"):
        with jf._off("fusion"):
            pass


def test_lstm_kernels_benchmark_runs(capsys):
    """benchmarks/lstm_kernels.py: the recurrences alone, timed, on a few steps."""
    pytest.importorskip("numba")
    from backchain.jit import _simd
    from benchmarks import lstm_kernels

    if not _simd.AVX512:
        with pytest.raises(SystemExit, match="AVX-512"):
            lstm_kernels.main(["--steps", "3", "--calls", "1"])
        return
    lstm_kernels.main(["--steps", "3", "--calls", "1"])
    out = capsys.readouterr().out
    for which in ("forward", "backward", "backward+weights"):
        assert which in out
