"""The examples gallery: every example is listed, runs as a script, and the new ones reach their figures."""
import importlib
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def _load(name):
    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="module")
def program():
    return _load("neural_program")


@pytest.fixture(scope="module")
def ode():
    return _load("neural_ode")


# -- the gallery ---------------------------------------------------------------------------
def test_every_example_is_in_the_gallery_index_and_docs_with_its_command():
    index = (EXAMPLES / "README.md").read_text()
    page = (ROOT / "docs" / "examples.md").read_text()
    for name in SCRIPTS:
        assert f"python examples/{name}" in index, f"{name} is missing from examples/README.md"
        assert f"python examples/{name}" in page, f"{name} is missing from docs/examples.md"
    listed = set(re.findall(r"python examples/(\w+\.py)", index))
    assert listed <= set(SCRIPTS), f"examples/README.md lists files that do not exist: {listed - set(SCRIPTS)}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_example_has_a_main_and_runs_as_a_script(name):
    source = (EXAMPLES / name).read_text()
    assert "def main(" in source and 'if __name__ == "__main__":' in source


def _run_script(name, *args, cwd):
    before = sorted(p.name for p in EXAMPLES.iterdir())
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in EXAMPLES.iterdir()) == before, "the example wrote into the repository"
    return done.stdout


def test_neural_program_script_with_tiny_settings_draws_its_picture(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    out = _run_script("neural_program.py", "--pairs", "300", "--epochs", "2", "--out", str(tmp_path / "pics"),
                      cwd=tmp_path)
    assert "single-digit accuracy" in out
    picture = tmp_path / "pics" / "neural_program.png"
    assert picture.stat().st_size > 5000 and picture.read_bytes()[:4] == b"\x89PNG"


def test_neural_ode_script_with_tiny_settings_draws_its_picture(tmp_path):
    pytest.importorskip("matplotlib")
    out = _run_script("neural_ode.py", "--iterations", "20", "--out", str(tmp_path / "pics"), cwd=tmp_path)
    assert "relative difference to the adjoint" in out
    picture = tmp_path / "pics" / "neural_ode.png"
    assert picture.stat().st_size > 5000 and picture.read_bytes()[:4] == b"\x89PNG"


# -- the differentiable program ---------------------------------------------------------------
def test_add_is_the_convolution_of_the_two_distributions(program):
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(10), 4), rng.dirichlet(np.ones(10), 4)
    out = program.add(p, q)
    assert out.shape == (4, 19)
    for k in range(4):
        np.testing.assert_allclose(out[k], np.convolve(p[k], q[k]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)


def test_add_and_the_program_have_exact_gradients(program):
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(10), 3), rng.dirichlet(np.ones(10), 3)
    w = rng.normal(size=(3, 19))
    bc.gradcheck(lambda a, b: bnp.sum(w * program.add(a, b)), p, q, order=2)
    bc.manual_seed(0)
    classify = bc.nn.Sequential(bc.nn.Linear(64, 8), bc.nn.Tanh(), bc.nn.Linear(8, 10)).double()
    net = program.SumOfDigits(classify)
    pairs = rng.uniform(size=(3, 2, 64))
    logp = net(pairs)
    np.testing.assert_allclose(np.exp(logp.data).sum(axis=1), 1.0, rtol=1e-10)
    targets = np.array([0, 9, 18])
    loss = lambda x, weight: bc.nn.functional.nll_loss(  # noqa: E731
        bc.nn.functional_call(net, {"classify.0.weight": weight}, x), targets)
    net.requires_grad_(False)  # the checked inputs are the images and the first layer's weight
    bc.gradcheck(loss, pairs, classify[0].weight.data.copy())


def test_make_pairs_hands_out_only_sums(program):
    x = np.arange(5.0)[:, None] * np.ones((1, 64))
    y = np.arange(5)
    pairs, sums = program.make_pairs(x, y, 50, np.random.default_rng(0))
    assert pairs.shape == (50, 2, 64) and sums.shape == (50,)
    np.testing.assert_array_equal(sums, pairs[:, 0, 0] + pairs[:, 1, 0])


def test_neural_program_learns_digits_from_sums_alone(program, tmp_path):
    pytest.importorskip("sklearn")
    result = program.main(out=str(tmp_path), verbose=False)  # the full default setting: a few seconds
    assert result["digit_accuracy"] >= 0.93
    assert result["seconds"] < 60
    if result["picture"] is not None:
        assert pathlib.Path(result["picture"]).parent == tmp_path


# -- the neural ODE ---------------------------------------------------------------------------
def test_rk4_is_fourth_order_and_differentiable(ode):
    t = np.linspace(0.0, 1.0, 6)
    errors = []
    for sub in (1, 2):
        y = ode.rk4(lambda y, tt, k: -k * y, np.array([1.0]), t, (np.array(2.0),), substeps=sub)
        errors.append(abs(y[-1, 0] - np.exp(-2.0)))
    assert errors[1] < errors[0] / 12
    bc.gradcheck(lambda y0, k: ode.rk4(lambda y, tt, k: -k * y * y, y0, t, (k,)), np.array([0.7]), np.array(1.3),
                 order=2)


def test_ode_block_gradients_through_rk4_and_the_adjoint_agree(ode):
    bc.manual_seed(0)
    t = np.linspace(0.0, 2.5, 51)
    true = ode.spiral(t)
    block = ode.ODEBlock(hidden=8)
    rows = ode.compare_gradients(block, t, true, substeps=(1, 2, 4))
    diffs = [r[2] for r in rows[1:]]
    assert diffs[0] > diffs[1] > diffs[2] or diffs[2] < 1e-6
    assert diffs[-1] < 1e-5
    assert all(p.grad is None for p in block.parameters())
    assert block.method == "rk4"
    with pytest.raises(ValueError, match="rk4' or 'adjoint"):
        ode.ODEBlock(method="euler")(true[0], t)


def test_neural_ode_fits_the_spiral(ode, tmp_path):
    result = ode.main(iterations=300, points=101, duration=5.0, out=str(tmp_path), verbose=False)
    assert result["error_after"] < 0.25 * result["error_before"]
    finest = result["gradients"][-1]
    assert finest[2] < 1e-4
    if result["picture"] is not None:
        assert pathlib.Path(result["picture"]).stat().st_size > 5000
