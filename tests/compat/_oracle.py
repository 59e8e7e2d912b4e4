"""Run one program with HIPS autograd and with backchain.autograd; compare what they return."""
import importlib
import warnings

import numpy as onp

TOL = 1e-10


def modules(which):
    """``(ag, np)``: the package and its numpy namespace, autograd's or backchain's."""
    root = "autograd" if which == "autograd" else "backchain.autograd"
    return importlib.import_module(root), importlib.import_module(root + ".numpy")


def run(program, which):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return program(*modules(which))


def assert_same(got, want, where="result"):
    """Same container structure, shapes and values (to ``TOL``, relative to the size of the values)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: {got!r} vs {want!r}"
        for k in want:
            assert_same(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {type(got)} vs {type(want)}"
        for k, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{k}]")
    elif isinstance(want, (str, bytes, type(None))):
        assert got == want, f"{where}: {got!r} vs {want!r}"
    else:
        g, w = onp.asarray(got), onp.asarray(want)
        assert type(got).__module__.split(".")[0] != "backchain", f"{where}: a {type(got).__name__}, not a plain array"
        assert g.shape == w.shape, f"{where}: shape {g.shape} vs autograd's {w.shape}"
        assert g.dtype.kind == w.dtype.kind, f"{where}: dtype {g.dtype} vs autograd's {w.dtype}"
        finite = onp.isfinite(w)
        assert onp.array_equal(finite, onp.isfinite(g)) and onp.array_equal(g[~finite], w[~finite], equal_nan=True), \
            f"{where}: infinities or NaNs differ:\n{g}\nvs autograd's\n{w}"
        scale = max(1.0, float(onp.max(onp.abs(w[finite])))) if finite.any() else 1.0
        assert onp.allclose(g[finite], w[finite], rtol=0, atol=TOL * scale), f"{where}:\n{g}\nvs autograd's\n{w}"


def check(program):
    """Run ``program(ag, np)`` with both and compare; return backchain's result."""
    want = run(program, "autograd")
    got = run(program, "backchain")
    assert_same(got, want)
    return got
