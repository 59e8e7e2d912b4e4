"""The semi-supervised example runs and learns; the docstring examples of backchain.nn run."""
import doctest
import importlib
import pathlib
import sys

import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def semi():
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield importlib.import_module("semi_supervised")
    finally:
        sys.path.remove(str(EXAMPLES))


def test_semi_supervised_example_learns(semi):
    accuracy = semi.main(steps=300, verbose=False)
    assert accuracy > 0.85


def test_unlabelled_samples_get_gradient_only_from_the_entropy_term(semi):
    logits = bc.tensor(np.random.default_rng(0).normal(size=(4, 2)), requires_grad=True)
    labels = np.array([0, -1, 1, -1])
    F.cross_entropy(logits, labels, ignore_index=-1).backward()
    assert np.all(logits.grad[[1, 3]] == 0) and np.all(logits.grad[[0, 2]] != 0)
    logits.grad = None
    semi.semi_supervised_loss(logits, labels).backward()
    assert np.all(logits.grad[[1, 3]] != 0)


MODULES = ["backchain.nn", "backchain.nn.module", "backchain.nn.functional", "backchain.nn.init",
           "backchain.nn.utils", "backchain.nn.layers.linear", "backchain.nn.layers.activation",
           "backchain.nn.layers.normalization", "backchain.nn.layers.dropout", "backchain.nn.layers.embedding",
           "backchain.nn.layers.flatten", "backchain.nn.layers.loss", "backchain.random", "backchain.check"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
