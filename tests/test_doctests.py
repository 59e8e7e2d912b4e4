"""Every example in backchain's docstrings runs and shows what it says.

Two runs share the work: the examples of the public functions of the NumPy and
SciPy namespaces (``API``) run from the objects themselves, with no globals
(each example imports what it uses), and every module's own docstrings run as
``doctest.testmod`` would, minus those public functions. A coverage test fails
when a public function of those namespaces has no example.
"""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import backchain
from backchain.numpy import _examples as np_examples

MODULES = ["backchain"] + sorted(
    m.name for m in pkgutil.walk_packages(backchain.__path__, prefix="backchain.")
    if not m.name.endswith("__main__")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# namespace -> (the NumPy/SciPy module whose objects it may re-export unchanged, entries for those)
API = {
    "backchain.numpy": (np, np_examples.NUMPY),
    "backchain.numpy.linalg": (np.linalg, np_examples.LINALG),
    "backchain.numpy.fft": (np.fft, np_examples.FFT),
    "backchain.numpy.random": (np.random, {}),
    "backchain.scipy.special": (None, {}),
    "backchain.scipy.stats": (None, {}),
    "backchain.scipy.linalg": (None, {}),
    "backchain.scipy.signal": (None, {}),
    "backchain.scipy.integrate": (None, {}),
}


def public_callables(namespace):
    """``[(name, obj)]``: the public functions of a namespace, the methods of its
    distributions (``norm.logpdf``) included; classes, dtypes and the primitives
    that users export with ``bc.defprimitive`` are left out."""
    module = importlib.import_module(namespace)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    out = []
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, type) or type(obj).__name__ == "module":
            continue
        if getattr(getattr(obj, "prim", None), "user", False):  # exported by a user's bc.defprimitive
            continue
        if callable(obj):
            out.append((name, obj))
        elif type(obj).__name__ == "_Dist":  # backchain.scipy.stats: a namespace of functions
            out.extend((f"{name}.{k}", v) for k, v in vars(obj).items() if callable(v))
    return out


def numpy_own(namespace, name, obj):
    """Whether ``obj`` is NumPy's own object, re-exported unchanged (its docstring is NumPy's)."""
    own = API[namespace][0]
    return own is not None and "." not in name and getattr(own, name, None) is obj


def _public_test_names():
    """The names doctest gives the docstrings of the public functions when it walks their modules."""
    names = set()
    for namespace in API:
        for name, obj in public_callables(namespace):
            if hasattr(obj, "__qualname__") and getattr(obj, "__module__", None):
                names.add(f"{obj.__module__}.{obj.__qualname__}")
    return names


def _run(tests):
    runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
    with np.printoptions(legacy=False):
        for test in tests:
            runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    skip = _public_test_names() if name != "backchain" else set()
    tests = [t for t in doctest.DocTestFinder().find(module) if t.name not in skip]
    result = _run(tests)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def _api_tests(namespace):
    parser = doctest.DocTestParser()
    tests, seen = [], set()
    for name, obj in public_callables(namespace):
        if numpy_own(namespace, name, obj):
            entries = API[namespace][1]
            if name in entries:  # run the entry shown in the API reference
                text = f">>> {np_examples.PREAMBLE}{entries[name][1]}"
                tests.append(parser.get_doctest(text, {}, f"{namespace}.{name}", None, 0))
            continue
        if id(obj) in seen:  # an alias (abs / absolute) runs once
            continue
        seen.add(id(obj))
        tests.append(parser.get_doctest(obj.__doc__ or "", {}, f"{namespace}.{name}", None, 0))
    return tests


@pytest.mark.parametrize("namespace", [n for n in API if n != "backchain.numpy.random"])
def test_public_function_examples(namespace):
    tests = _api_tests(namespace)
    assert tests, f"{namespace} has no public function"
    result = _run(tests)
    assert result.failed == 0, f"{result.failed} example(s) failed in {namespace}"
    assert result.attempted >= len([t for t in tests if t.examples])


@pytest.mark.parametrize("namespace", list(API))
def test_every_public_function_has_an_example(namespace):
    missing = []
    for name, obj in public_callables(namespace):
        if numpy_own(namespace, name, obj):
            # NumPy documents its own objects; the ones in the main namespaces get an entry here
            if namespace != "backchain.numpy.random" and name not in API[namespace][1]:
                missing.append(name)
        elif ">>>" not in (obj.__doc__ or ""):
            missing.append(name)
    assert not missing, f"{namespace}: no example in the docstring of {', '.join(missing)}"


@pytest.mark.parametrize("namespace", list(API))
def test_no_generated_one_line_docstring_is_left(namespace):
    generic = ("a differentiable primitive of backchain", "on the data of its arguments; the result carries")
    left = [name for name, obj in public_callables(namespace)
            if not numpy_own(namespace, name, obj) and any(g in (obj.__doc__ or "") for g in generic)]
    assert not left, f"{namespace}: generated one-line docstrings left for {', '.join(left)}"


def test_numpy_random_is_numpy_own_module():
    """backchain.numpy.random passes NumPy's random module through: NumPy documents it."""
    for name, obj in public_callables("backchain.numpy.random"):
        assert numpy_own("backchain.numpy.random", name, obj), name


def test_every_entry_names_a_public_function():
    from backchain.scipy import _examples as sp_examples

    tables = {
        "backchain.numpy": np_examples.NUMPY, "backchain.numpy.linalg": np_examples.LINALG,
        "backchain.numpy.fft": np_examples.FFT, "backchain.scipy.special": sp_examples.SPECIAL,
        "backchain.scipy.stats": sp_examples.STATS, "backchain.scipy.linalg": sp_examples.LINALG,
        "backchain.scipy.signal": sp_examples.SIGNAL,
    }
    for namespace, entries in tables.items():
        names = dict(public_callables(namespace))
        stale = sorted(set(entries) - set(names))
        assert not stale, f"{namespace}: entries for names it does not have: {stale}"
        for name, (summary, example) in entries.items():
            assert example.lstrip().startswith(">>>"), f"{namespace}.{name}: the example must start with >>>"
            if summary is None and not numpy_own(namespace, name, names[name]):
                assert names[name].__doc__.split("Examples\n--------")[0].strip(), \
                    f"{namespace}.{name} keeps its own docstring, but has none"
            if summary is not None:
                assert "\n" not in summary, f"{namespace}.{name}: the summary is one line"


def test_api_reference_pages_cover_every_public_function():
    """docs/api/numpy*.md and scipy.md are generated at build time (docs/hooks.py) from these docstrings."""
    import importlib.util
    import pathlib

    pytest.importorskip("markdown")
    docs = pathlib.Path(__file__).resolve().parent.parent / "docs"
    spec = importlib.util.spec_from_file_location("make_api_namespaces", docs / "make_api_namespaces.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    pages = make.pages()
    assert set(pages) == {"api/numpy.md", "api/numpy-linalg.md", "api/numpy-fft.md", "api/scipy.md"}
    text = pages["api/numpy.md"]
    for name in ("sin", "matmul", "maximum", "where", "einsum"):
        assert f"bnp.{name}" in text or f"`{name}`" in text, name
