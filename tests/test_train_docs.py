"""The examples in the docstrings of the training modules run and print what they say."""
import doctest
import importlib

import pytest

import backchain as bc

MODULES = ["backchain.optim", "backchain.optim.optimizer", "backchain.optim.sgd", "backchain.optim.adam",
           "backchain.optim.rmsprop", "backchain.optim.lr_scheduler", "backchain.data", "backchain.data.loader",
           "backchain.data.datasets", "backchain.io", "backchain.train", "backchain.summary"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"bc": bc}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
