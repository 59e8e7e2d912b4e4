"""The layer examples run with tiny settings and learn: transformer toy task, spatial transformer, ACDC fit."""
import subprocess
import sys
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_transformer_toy_learns_to_reverse():
    from examples.transformer_toy import train

    token_acc, seq_acc = train(steps=150, batch_size=32, d_model=32, verbose=False)
    assert token_acc > 0.9, token_acc


def test_spatial_transformer_example_undoes_distortions():
    from examples.spatial_transformer import run

    r = run(steps=300, classifier_epochs=10, verbose=False)
    assert r["mse_after"] < 0.6 * r["mse_before"], r
    assert r["acc_undone"] > r["acc_distorted"] + 0.2, r


def test_acdc_example_runs_from_the_command_line():
    out = subprocess.run([sys.executable, "examples/acdc_fit.py", "--depths", "1", "2", "--steps", "50"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert "depth   2: relative MSE" in out.stdout
