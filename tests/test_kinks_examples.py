"""The seed examples (issue #4, point 8 a-c) run and show what they claim."""
import importlib.util
import pathlib

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_swish_layer_trains_with_no_gradient_code():
    mod = load("seed_swish")
    first, last, p = mod.main(steps=300, verbose=False)
    assert last < 0.5 * first
    assert not np.allclose(p["beta"], 1.0)  # the layer's own parameter learned too
    x = np.linspace(-1, 1, 4)[:, None]
    assert bc.gradcheck(lambda b: bnp.sum(mod.swish(x, b)), np.array([0.7, 1.3, 2.0, 0.5]))


def test_b_hand_written_gradient_equals_the_automatic_one():
    x, g_hand, g_auto, g_row, report = load("seed_leaky").main(verbose=False)
    assert 0.0 in x
    np.testing.assert_array_equal(g_hand, g_auto)
    np.testing.assert_array_equal(g_hand, g_row)
    np.testing.assert_array_equal(g_hand, np.where(x > 0, 1.0, 0.1))
    assert report.ok and "kink" in str(report)


def test_c_step_needs_a_surrogate():
    out = load("seed_step").main(steps=100, verbose=False)
    hist, largest = out["no surrogate (heaviside)"]
    assert largest == 0.0 and hist[-1] == hist[0]  # identically zero gradient: the loss does not move
    hist_st, largest_st = out["straight-through (identity)"]
    assert largest_st > 0 and hist_st[0] == hist[0]  # same model, same start
    assert hist_st[-1] < 0.25 * hist_st[0]


@pytest.mark.parametrize("name", ["seed_swish", "seed_leaky", "seed_step"])
def test_examples_print(name, capsys):
    mod = load(name)
    mod.main(**({"steps": 20} if name != "seed_leaky" else {}))
    assert capsys.readouterr().out
