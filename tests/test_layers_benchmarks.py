"""The layer benchmarks run (tiny sizes), and the three LeNet train steps agree with each other."""
import importlib.util
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lenet_steps_agree():
    pytest.importorskip("torch")
    bench = _load("conv_bench")
    losses = {impl: bench.measure(impl, repeats=2, warmup=1)[1] for impl in ("backchain", "torch", "numpy")}
    np.testing.assert_allclose(losses["backchain"], losses["torch"], rtol=1e-4)
    np.testing.assert_allclose(losses["backchain"], losses["numpy"], rtol=1e-4)
    assert losses["backchain"][-1] < losses["backchain"][0]  # SGD steps lower the loss


def test_acdc_benchmark_runs(capsys):
    rows = _load("acdc_bench").main(["--sizes", "64", "128", "--repeats", "1", "--batch", "4"])
    assert [r[0] for r in rows] == [64, 128] and all(r[1] > 0 and r[2] > 0 for r in rows)


@pytest.mark.parametrize("lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("name", ["lstm_bench", "gru_bench"])
def test_recurrent_steps_agree_with_pytorch(name, lengths):
    pytest.importorskip("torch")
    bench = _load(name)
    losses = {impl: bench.measure(impl, repeats=2, warmup=1, lengths=lengths)[1] for impl in ("backchain", "torch")}
    np.testing.assert_allclose(losses["backchain"], losses["torch"], rtol=1e-4)
    assert losses["backchain"][-1] < losses["backchain"][0]
