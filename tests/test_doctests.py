"""Every example in backchain's docstrings runs and shows what it says.

Two runs share the work: the examples of the public functions of the NumPy and
SciPy namespaces (``API``) run from the objects themselves, with no globals
(each example imports what it uses), and every module's own docstrings run as
``doctest.testmod`` would, minus those public functions. Coverage tests fail
when a public function of those namespaces has no example, and when any public
callable of any public namespace (``PUBLIC``: functions and classes, exceptions
included) has no example, or has one that neither run reaches.
"""
import doctest
import importlib
import os
import pkgutil
import subprocess
import sys

import numpy as np
import pytest

import backchain
from backchain.numpy import _examples as np_examples

MODULES = ["backchain"] + sorted(
    m.name for m in pkgutil.walk_packages(backchain.__path__, prefix="backchain.")
    if not m.name.endswith("__main__")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# The public namespaces: every module whose dotted name has no part starting with "_".
PUBLIC = [m for m in MODULES if not any(part.startswith("_") for part in m.split("."))]
# The namespaces users are pointed to; PUBLIC must keep holding them.
MAIN = ["backchain", "backchain.nn", "backchain.nn.functional", "backchain.nn.init", "backchain.nn.utils",
        "backchain.nn.utils.rnn", "backchain.optim", "backchain.optim.lr_scheduler", "backchain.kinks",
        "backchain.check", "backchain.viz", "backchain.data", "backchain.io", "backchain.train", "backchain.random",
        "backchain.surrogate", "backchain.distributed", "backchain.numpy", "backchain.numpy.linalg",
        "backchain.numpy.fft", "backchain.numpy.random", "backchain.scipy.special", "backchain.scipy.stats",
        "backchain.scipy.linalg", "backchain.scipy.signal", "backchain.scipy.integrate"]
# Examples that may be skipped entirely, with the reason: they need what a plain install lacks.
SKIPPED = {
    "backchain.data.datasets.digits": "needs scikit-learn (the [data] extra)",
    "backchain.data.datasets.fashion_mnist": "needs the Fashion-MNIST files (a Debian data package)",
}

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


def foreign(obj):
    """Whether ``obj`` is another package's own object re-exported unchanged (``bc.float32`` is
    ``np.float32``, ``bc.random.Generator`` is NumPy's): that package documents it."""
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] == "backchain":
        return False
    owner = sys.modules.get(module)
    return owner is not None and getattr(owner, getattr(obj, "__name__", ""), None) is obj


def public_objects(namespace):
    """``[(name, obj)]``: every public callable of a namespace, classes and exceptions included;
    modules, other packages' own objects and the primitives of a user's ``bc.defprimitive`` left out."""
    module = importlib.import_module(namespace)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    out = []
    for name in names:
        obj = getattr(module, name)
        if type(obj).__name__ == "module" or foreign(obj):
            continue
        if getattr(getattr(obj, "prim", None), "user", False):
            continue
        if callable(obj):
            out.append((name, obj))
    if namespace in API:  # the methods of backchain.scipy.stats's distributions
        out.extend((n, o) for n, o in public_callables(namespace) if "." in n)
    return out


def _run(tests):
    runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
    with np.printoptions(legacy=False):
        for test in tests:
            runner.run(test)
    return runner.summarize(verbose=False)


def _module_tests(name):
    """The docstring tests of module ``name`` that run from the module (the API's run on their own)."""
    module = importlib.import_module(name)
    skip = _public_test_names() if name != "backchain" else set()
    return [t for t in doctest.DocTestFinder().find(module) if t.name not in skip]


def _starts_a_process_group(tests):
    return any("distributed.init(" in ex.source for t in tests for ex in t.examples)


# Runs the tests of one module as test_docstring_examples does, in a process of its own.
_IN_OWN_PROCESS = """
import doctest, sys
import numpy as np
from tests.test_doctests import FLAGS, _module_tests
runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
with np.printoptions(legacy=False):
    for test in _module_tests(sys.argv[1]):
        runner.run(test)
result = runner.summarize(verbose=False)
print(f"attempted {result.attempted}, failed {result.failed}")
sys.exit(1 if result.failed or not result.attempted else 0)
"""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    tests = _module_tests(name)
    if _starts_a_process_group(tests):
        # bc.distributed.init() loads MPI and starts a group of one for good: not in the test process,
        # whose other tests expect no group. Each such module runs in a fresh process, so its examples
        # also see the state before init() (DistributedError's example does).
        pytest.importorskip("mpi4py")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        out = subprocess.run([sys.executable, "-c", _IN_OWN_PROCESS, name], capture_output=True, text=True,
                             timeout=300, cwd=root, env=env)
        assert out.returncode == 0, f"docstring examples failed in {name}:\n{out.stdout}\n{out.stderr}"
        return
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
    """backchain.numpy.random passes NumPy's random module through, its draws wrapped so that they
    follow ``bc.vmap``'s ``randomness=``: NumPy documents them (the wrappers keep its docstrings)."""
    for name, obj in public_callables("backchain.numpy.random"):
        own = getattr(np.random, name, None)
        assert numpy_own("backchain.numpy.random", name, obj) or (
            own is not None and (obj.__doc__ or "").startswith(own.__doc__ or "")), name


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
    """docs/api/numpy*.md, scipy.md and torch.md are generated at build time (docs/hooks.py) from these docstrings."""
    import importlib.util
    import pathlib

    pytest.importorskip("markdown")
    docs = pathlib.Path(__file__).resolve().parent.parent / "docs"
    spec = importlib.util.spec_from_file_location("make_api_namespaces", docs / "make_api_namespaces.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    pages = make.pages()
    assert set(pages) == {"api/numpy.md", "api/numpy-linalg.md", "api/numpy-fft.md", "api/scipy.md", "api/torch.md"}
    text = pages["api/numpy.md"]
    for name in ("sin", "matmul", "maximum", "where", "einsum"):
        assert f"bnp.{name}" in text or f"`{name}`" in text, name


def test_public_namespaces_include_the_main_ones():
    assert not set(MAIN) - set(PUBLIC), sorted(set(MAIN) - set(PUBLIC))


@pytest.mark.parametrize("namespace", PUBLIC)
def test_every_public_callable_has_an_example(namespace):
    """Functions and classes (exceptions too) of every public namespace; a class counts when its own
    docstring has an example. NumPy's objects in the API namespaces are checked above (entries)."""
    missing = [name for name, obj in public_objects(namespace)
               if not (namespace in API and numpy_own(namespace, name, obj)) and ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"{namespace}: no example in the docstring of {', '.join(missing)}"


def _docstrings_that_run():
    """The docstrings whose examples the runs above execute: the modules' tests and the API's."""
    run = {}
    for name in MODULES:
        for t in _module_tests(name):
            run[id(t.docstring)] = t
    for namespace in API:
        for t in _api_tests(namespace):
            run.setdefault(id(t.docstring), t)
    return run


def test_every_example_is_run():
    """A re-exported object is found by the doctest run of the module that defines it; one defined
    where that run does not look (a factory, a wrapper) would have examples that never run."""
    run = _docstrings_that_run()
    docs = {}
    for namespace in PUBLIC:
        for name, obj in public_objects(namespace):
            if ">>>" in (obj.__doc__ or "") and not (namespace in API and numpy_own(namespace, name, obj)):
                docs.setdefault(id(obj.__doc__), f"{namespace}.{name}")
    not_run = sorted(where for key, where in docs.items() if key not in run)
    assert not not_run, f"examples that no doctest run reaches: {', '.join(not_run)}"
    only_skipped = sorted(t.name for key, t in run.items() if key in docs and t.name not in SKIPPED
                          and t.examples and all(ex.options.get(doctest.SKIP) for ex in t.examples))
    assert not only_skipped, f"examples that are all marked +SKIP: {', '.join(only_skipped)}"
    for name in SKIPPED:
        module, _, attr = name.rpartition(".")
        assert getattr(importlib.import_module(module), attr).__doc__, f"{name}: stale SKIPPED entry"
