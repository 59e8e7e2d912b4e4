"""backchain ships its annotations (PEP 561) and they type-check the examples: ``mypy --strict examples/``
reports no error, with the configuration of pyproject.toml's ``[tool.mypy]``."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_py_typed_marker_is_shipped():
    assert (ROOT / "backchain" / "py.typed").is_file()
    assert 'backchain = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e .[test] installs it)")
def test_mypy_strict_examples(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
                           "examples/"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout, done.stdout + done.stderr


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e .[test] installs it)")
def test_mypy_sees_backchain_annotations(tmp_path):
    """The check is not vacuous: a wrong argument type to an annotated API is an error."""
    bad = tmp_path / "bad.py"
    bad.write_text("import backchain as bc\n"
                   "from backchain import nn\n"
                   "layer: nn.Linear = nn.Linear('3', 4)\n"
                   "g = bc.grad(lambda x: x, argnums='first')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
                           str(bad)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Argument 1 to "Linear" has incompatible type "str"; expected "int"' in done.stdout, done.stdout
    assert 'Argument "argnums" to "grad" has incompatible type "str"' in done.stdout, done.stdout
