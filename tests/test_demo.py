"""The README's first command runs `python -m backchain demo`: keep it working."""
import subprocess
import sys


def test_demo_runs_and_learns():
    out = subprocess.run([sys.executable, "-m", "backchain", "demo", "--steps", "300"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "max difference" in out.stdout
    final = [line for line in out.stdout.splitlines() if "final accuracy" in line][0]
    assert float(final.split()[2]) > 0.9
