"""SIGKILL in the middle of bc.save: the previous checkpoint always loads intact, and training
resumed from the last checkpoint ends with the same parameters as an uninterrupted run."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import backchain as bc

pytest.importorskip("safetensors")
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SAVER = textwrap.dedent("""
    import sys, numpy as np, backchain as bc, backchain.io as bio
    path, start = sys.argv[1], int(sys.argv[2])
    write = bio._write_chunks

    def announced(f, data):  # tell the parent the bytes are about to go to disk
        print("writing", flush=True)
        write(f, data)

    bio._write_chunks = announced
    i = start
    while True:
        bc.save({"step": i, "w": np.full(1_000_000, float(i)), "tail": [i, str(i)]}, path)
        print(i, flush=True)
        i += 1
""")


def test_kill_during_save_leaves_the_previous_checkpoint(tmp_path):
    path = str(tmp_path / "ckpt.safetensors")
    rng = random.Random(1)
    env = dict(os.environ, PYTHONPATH=ROOT)
    last = -1
    for k in range(20):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, path, str(last + 1)], stdout=subprocess.PIPE,
                                env=env, text=True)
        saved = False
        try:
            while True:  # wait for one finished save, then for the next write to begin
                line = proc.stdout.readline().strip()
                if line == "writing":
                    if saved:
                        break
                else:
                    last, saved = int(line), True
            time.sleep(rng.uniform(0.0, 0.01))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        for line in proc.stdout.read().split():
            if line != "writing":
                last = max(last, int(line))
        state = bc.load(path)  # never a half-written file
        step = state["step"]
        assert step in (last, last + 1), (step, last)  # the last reported save, or one finished just before the kill
        assert state["tail"] == [step, str(step)]
        assert state["w"].shape == (1_000_000,) and np.all(state["w"] == step)
        last = step
    assert last >= 20
    # the kills did land inside save: the temporary files of interrupted writes are left behind
    # (never the checkpoint itself)
    leftovers = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    assert len(leftovers) >= 5, leftovers


TRAIN = textwrap.dedent("""
    import os, sys, numpy as np, backchain as bc, backchain.numpy as bnp
    path, steps, slow = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    bc.manual_seed(0)
    model = bc.nn.Sequential(bc.nn.Linear(8, 16), bc.nn.Tanh(), bc.nn.Linear(16, 3))
    opt = bc.optim.Adam(model.parameters(), lr=0.01)
    sched = bc.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    start = 0
    if os.path.exists(path):
        ck = bc.load(path)
        model.load_state_dict(ck["model"]); opt.load_state_dict(ck["optimizer"]); sched.load_state_dict(ck["sched"])
        start = ck["step"]
    for step in range(start, steps):
        r = np.random.default_rng(step)
        x = r.standard_normal((32, 8)).astype(np.float32)
        y = r.integers(0, 3, 32)
        opt.zero_grad()
        loss = bc.nn.functional.cross_entropy(model(bc.tensor(x)), y)
        loss.backward()
        opt.step()
        sched.step()
        bc.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "sched": sched.state_dict(),
                 "step": step + 1, "pad": np.zeros(300_000)}, path)
        print(step + 1, flush=True)
        if slow:
            import time; time.sleep(slow)
    bc.save(model.state_dict(), path + ".final")
""")


def _run(path, steps, slow=0.0, kill_after=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-c", TRAIN, path, str(steps), str(slow)], stdout=subprocess.PIPE,
                            env=env, text=True)
    if kill_after is None:
        proc.communicate(timeout=120)
        assert proc.returncode == 0
        return
    seen = 0
    while seen < kill_after:
        line = proc.stdout.readline()
        if not line:
            break
        seen = int(line)
    time.sleep(0.003)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_resume_after_kill_matches_an_uninterrupted_run(tmp_path):
    steps = 30
    straight = str(tmp_path / "straight.safetensors")
    _run(straight, steps)
    resumed = str(tmp_path / "resumed.safetensors")
    for kill_after in (4, 11, 19, 26):
        _run(resumed, steps, kill_after=kill_after)
        assert bc.load(resumed)["step"] >= kill_after
    _run(resumed, steps)
    a, b = bc.load(straight + ".final"), bc.load(resumed + ".final")
    assert list(a) == list(b)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
