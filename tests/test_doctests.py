"""Every example in backchain's docstrings runs and shows what it says."""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import backchain

MODULES = ["backchain"] + sorted(
    m.name for m in pkgutil.walk_packages(backchain.__path__, prefix="backchain.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    with np.printoptions(legacy=False):
        result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
