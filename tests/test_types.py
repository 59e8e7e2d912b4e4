"""backchain ships its annotations (PEP 561) and they are checked: ``mypy --strict examples/`` (with
pyproject.toml's ``[tool.mypy]``) and on a program using the public API report no error, and that program runs."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NO_MYPY = importlib.util.find_spec("mypy") is None

# A program using most of the public API with annotations: mypy --strict must accept it, and it must run
# (with checks that the values have the declared types).
API_USE = '''\
from __future__ import annotations

import numpy as np

import backchain as bc
import backchain.numpy as bnp
from backchain import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.norm = nn.LayerNorm(2)

    def forward(self, x: bc.Tensor) -> bc.Tensor:
        out: bc.Tensor = self.norm(nn.functional.relu(self.fc(x)))
        return out


def loss(w: bc.Tensor) -> bc.Tensor:
    return (w * w).sum() + 2.0 * w.mean()


def main(path: str) -> float:
    gen = bc.manual_seed(0)
    net = Net().double().train()
    x = bc.tensor(np.ones((4, 3)), requires_grad=False)
    opt = bc.optim.Adam(net.parameters(), lr=1e-3)
    sched = bc.optim.lr_scheduler.StepLR(opt, step_size=2)
    out = net(x)
    total: bc.Tensor = bnp.sum(out)
    assert isinstance(out, bc.Tensor) and isinstance(x * 2.0, bc.Tensor) and isinstance(x[0], bc.Tensor)
    assert isinstance(x.sum(), bc.Tensor) and isinstance(x > 0, np.ndarray)
    total.backward()
    nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()
    w = nn.init.kaiming_uniform_(nn.Parameter(np.empty((3, 3))), generator=gen)
    g = bc.grad(loss)(w.data)
    value, vjp_fn = bc.vjp(bnp.sin, 0.0)
    (ct,) = vjp_fn(1.0)
    jac = bc.jacobian(bnp.tanh, mode="fwd")(np.ones(2))
    with bc.no_grad(), bc.kinks.policy(ties="first"), bc.kinks.count(net) as counts:
        _ = net(x)
    hits: int = counts.total
    assert isinstance(hits, int)
    report = bc.gradcheck(lambda v: bnp.sum(bnp.tanh(v)), np.ones(2))
    ok: bool = report.ok and bc.check.layers(net, np.ones((2, 3)), quiet=True).ok
    loader = bc.data.DataLoader(bc.data.TensorDataset(np.ones((8, 3)), np.zeros((8, 2))), batch_size=4)
    history = bc.fit(net, loader, "mse", opt, epochs=1, verbose=0)
    summ = bc.summary(net, verbose=0)
    bc.save(net.state_dict(), path)
    state = bc.load(path)
    net.load_state_dict(state)
    block = bc.checkpoint(loss)
    r: float = history["loss"][-1] + float(g.sum()) + float(ct) + float(jac.sum()) + hits + int(ok)
    return r + summ.total_params + float(block(w))


@bc.custom_vjp
def clip_gradient(x: float) -> float:
    return x


class Stop(bc.train.Callback):
    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        self.trainer.stop_training = True
'''


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One mypy cache for the module's runs: backchain is analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(*paths, cache):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


def test_py_typed_marker_is_shipped():
    assert (ROOT / "backchain" / "py.typed").is_file()
    assert 'backchain = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.skipif(NO_MYPY, reason="mypy is not installed (pip install -e .[test] installs it)")
def test_mypy_strict_examples(cache):
    done = _mypy("examples/", cache=cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found in" in done.stdout, done.stdout + done.stderr


@pytest.mark.skipif(NO_MYPY, reason="mypy is not installed (pip install -e .[test] installs it)")
def test_mypy_strict_public_api_use(tmp_path, cache):
    program = tmp_path / "api_use.py"
    program.write_text(API_USE)
    done = _mypy(program, cache=cache)
    assert done.returncode == 0, done.stdout + done.stderr


def test_public_api_use_runs(tmp_path):
    namespace = {"__name__": "api_use"}
    exec(compile(API_USE, "api_use.py", "exec"), namespace)
    value = namespace["main"](str(tmp_path / "net.safetensors"))
    assert isinstance(value, float) and np.isfinite(value)


@pytest.mark.skipif(NO_MYPY, reason="mypy is not installed (pip install -e .[test] installs it)")
def test_mypy_sees_backchain_annotations(tmp_path, cache):
    """The checks are not vacuous: wrong argument and result types with the annotated API are errors."""
    bad = tmp_path / "bad.py"
    bad.write_text("import backchain as bc\n"
                   "from backchain import nn\n"
                   "layer: nn.Linear = nn.Linear('3', 4)\n"
                   "g = bc.grad(lambda x: x, argnums='first')\n"
                   "opt = bc.optim.SGD(layer.parameters(), lr='fast')\n"
                   "h: int = bc.fit(layer, None, 'mse', opt)\n")
    done = _mypy(bad, cache=cache)
    assert done.returncode == 1, done.stdout + done.stderr
    for message in ('Argument 1 to "Linear" has incompatible type "str"; expected "int"',
                    'Argument "argnums" to "grad" has incompatible type "str"',
                    'Argument "lr" to "SGD" has incompatible type "str"; expected "float"',
                    'Incompatible types in assignment (expression has type "History", variable has type "int")'):
        assert message in done.stdout, (message, done.stdout)
