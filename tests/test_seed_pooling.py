"""Seed example (d): exact pooling gradients, overlapping windows and ties under each policy."""
import importlib.util
import pathlib

import numpy as np

PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "seed_pooling.py"


def load():
    spec = importlib.util.spec_from_file_location("seed_pooling", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pooling_gradients_are_exact():
    r = load().main(verbose=False)
    np.testing.assert_array_equal(r["average 2x2"], np.full((1, 1, 4, 4), 0.25))
    # kernel 3, stride 1 on 4x4: 2x2 windows; an input in k windows gets k/9
    counts = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    np.testing.assert_allclose(r["average 3x3, stride 1 (overlapping)"][0, 0], counts / 9.0, rtol=1e-15)
    g = r["max 2x2"][0, 0]
    assert set(np.unique(g)) == {0.0, 1.0} and g.sum() == 4.0  # one 1 per window
    for i in (0, 2):
        for j in (0, 2):
            assert g[i:i + 2, j:j + 2].sum() == 1.0
    np.testing.assert_array_equal(r["max 2x2 with ties, policy 'split'"][0, 0], [[1 / 3, 1 / 3], [0, 1 / 3]])
    np.testing.assert_array_equal(r["max 2x2 with ties, policy 'first'"][0, 0], [[1, 0], [0, 0]])
    np.testing.assert_array_equal(r["max 2x2 with ties, policy 'last'"][0, 0], [[0, 0], [0, 1]])


def test_max_is_where_the_gradient_goes():
    mod = load()
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    g = mod.main(verbose=False)["max 2x2"][0, 0]
    for i in (0, 2):
        for j in (0, 2):
            window = x[0, 0, i:i + 2, j:j + 2]
            k = np.unravel_index(np.argmax(window), (2, 2))
            assert g[i + k[0], j + k[1]] == 1.0
