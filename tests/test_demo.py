"""The README's first command runs `python -m backchain demo`: it must keep its promise
(gradient check passed, test accuracy at least 0.97 on digits, well under a minute)."""
import re
import subprocess
import sys
import time


def test_demo_trains_digits_to_097():
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "backchain", "demo", "--verbose", "0"],
                         capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    assert out.returncode == 0, out.stdout + out.stderr
    assert "max difference" in out.stdout and "all layer gradients agree" in out.stdout
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", out.stdout).group(1))
    assert accuracy >= 0.97, out.stdout
    assert elapsed < 120, f"the demo took {elapsed:.0f} s"


def test_demo_says_how_long_training_will_take_and_sizes_fashion_mnist(monkeypatch, capsys):
    import numpy as np
    import backchain.__main__ as cli
    from backchain.data import TensorDataset
    rng = np.random.default_rng(0)
    fake = lambda n: TensorDataset(rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n))
    monkeypatch.setattr(cli, "_load", lambda name: (fake(64), fake(32), 28))
    cli.main(["demo", "--data", "fashion-mnist", "--verbose", "0"])  # random images: the check may meet kinks
    out = capsys.readouterr().out
    assert "4. training (5 epochs," in out and " on this machine)" in out and "about " in out
