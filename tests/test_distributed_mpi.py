"""backchain.distributed across real processes: ``mpiexec -n 2`` launched from pytest.

Two ranks with batch 32 each must end where one process with batch 64 ends, to
float32 rounding, over 20 steps; a rank that raises, or that stops taking part,
must stop every rank with a clear error instead of hanging.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="needs the [mpi] extra: pip install -e '.[mpi]'")

import backchain as bc  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "_distributed_worker.py"
sys.path.insert(0, str(HERE))
import _distributed_worker as worker  # noqa: E402

sys.path.remove(str(HERE))

MPIEXEC = shutil.which("mpiexec", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
if MPIEXEC is None:
    pytest.fail("mpi4py is installed but mpiexec is not on PATH (pip install mpich)", pytrace=False)


def launch(args, ranks=2, timeout=120, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = ([MPIEXEC, "-n", str(ranks)] if ranks else []) + [sys.executable] + [str(a) for a in args]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    return done, time.perf_counter() - start


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done, _ = launch([WORKER, "train", out])
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done


def reference_loop():
    """One process, batch 64: the union of the two ranks' batches of 32, step by step."""
    x, y = worker.data()
    net = worker.make_model(worker.SEED_MODEL)  # rank 0's initialisation
    opt = worker.make_optimizer(net.parameters())
    F = bc.nn.functional
    steps = 0
    for epoch in range(2):
        order = np.random.default_rng(worker.SEED_SHUFFLE + epoch).permutation(len(x))
        for k in range(0, len(x), 64):
            idx = order[k:k + 64]
            opt.zero_grad()
            F.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
            steps += 1
    return steps, net.state_dict()


def test_two_ranks_of_32_equal_one_process_of_64(trained):
    out, _ = trained
    ranks = [dict(np.load(out / f"loop_rank{r}.npz")) for r in range(2)]
    steps, ref = reference_loop()
    assert steps == 20 and int(ranks[0]["steps"]) == int(ranks[1]["steps"]) == 20
    for name, want in ref.items():
        assert ranks[0][name].dtype == np.float32
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name], err_msg=f"replicas differ in {name}")
        np.testing.assert_allclose(ranks[0][name], want, rtol=1e-5, atol=2e-6, err_msg=name)
    # and the training moved the weights (a comparison of two untouched models would prove nothing)
    init = worker.make_model(worker.SEED_MODEL).state_dict()
    assert max(np.abs(ref[k] - init[k]).max() for k in ref) > 0.05


def test_fit_reduces_logs_shows_rank0_and_checkpoints_once(trained):
    out, done = trained
    logs = [json.loads((out / f"fit_rank{r}.json").read_text()) for r in range(2)]
    assert logs[0]["world"] == 2
    assert logs[0]["history"] == logs[1]["history"], "ranks disagree on the logged values"
    assert logs[0]["w0"] == logs[1]["w0"]
    # rank 0 writes each checkpoint; rank 1 writes nothing
    assert logs[0]["writes"] == ["fit-1.safetensors", "fit-2.safetensors"] and logs[1]["writes"] == []
    assert sorted(p.name for p in out.glob("fit-*")) == ["fit-1.safetensors", "fit-2.safetensors"]
    # the logged validation values are those of the whole validation set, computed in one process
    x, y = worker.data()
    net = worker.make_model(0)
    net.load_state_dict(bc.load(out / "fit-2.safetensors"))
    full = bc.evaluate(net, (x[512:], y[512:]), "cross_entropy")
    assert logs[0]["history"]["val_loss"][-1] == pytest.approx(full["loss"], rel=1e-6)
    assert logs[0]["history"]["val_accuracy"][-1] == pytest.approx(full["accuracy"], abs=1e-12)
    assert logs[0]["final"] == pytest.approx(full, rel=1e-6)
    # one line per epoch, from rank 0 only
    assert len(re.findall(r"^Epoch 1/2", done.stdout, re.M)) == 1, done.stdout


@pytest.mark.parametrize("how, message", [
    ("raise", r"ValueError: rank 1 fails on purpose"),
    ("timeout", r"DistributedTimeoutError: distributed: gradient allreduce .* on rank 0 of 2 did not complete "
                r"within 2 s"),
])
def test_a_failing_rank_stops_every_rank(tmp_path, how, message):
    done, elapsed = launch([WORKER, how, tmp_path], timeout=90)
    text = done.stdout + done.stderr
    assert done.returncode != 0, text
    assert re.search(message, text), text
    assert re.search(r"backchain.distributed: rank \d of 2 stopped with \w+; aborting all 2 ranks", text), text
    assert "finished, which it should not have" not in text
    assert elapsed < 45, f"stopping took {elapsed:.0f} s"


def test_group_of_one_without_mpiexec(tmp_path):
    done, _ = launch([WORKER, "single", tmp_path], ranks=0)
    assert done.returncode == 0, done.stdout + done.stderr
    info = json.loads((tmp_path / "single.json").read_text())
    assert info["world"] == 1 and info["rank"] == 0 and info["sum"] == [1.0, 2.0]
    assert np.isfinite(info["loss"]) and (tmp_path / "single.safetensors").exists()


def test_demo_distributed_trains_on_two_ranks():
    done, elapsed = launch(["-m", "backchain", "demo", "--distributed", "--epochs", "8", "--verbose", "2"],
                           timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.count("data-parallel over MPI: 2 rank(s)") == 1, out  # rank 1 prints nothing
    assert out.count("test accuracy") == 1 and "gradient check passed" in out
    assert float(re.search(r"test accuracy ([0-9.]+)", out).group(1)) >= 0.9, out


def test_docs_training_script_runs_on_two_ranks(tmp_path):
    page = (ROOT / "docs" / "distributed.md").read_text()
    (script,) = re.findall(r"```py\n(.*?)```", page, re.S)
    (tmp_path / "train.py").write_text(script)
    done, _ = launch([tmp_path / "train.py"], timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("2 ranks: test accuracy") == 1, done.stdout
    assert float(re.search(r"test accuracy ([0-9.]+)", done.stdout).group(1)) > 0.9
    assert bc.load(tmp_path / "digits.safetensors")["0.weight"].shape == (128, 64)
