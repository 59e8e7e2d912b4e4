"""The kink table against the code: every row's probe is differentiated at its kink and
compared exactly with the value the table states, under several policies."""
import pathlib

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain import kinks
from backchain._core.primitive import REGISTRY

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1 / 0, 0 * inf: the point here

POLICIES = [
    {},
    {"ties": "first"},
    {"ties": "last"},
    {"relu_at_zero": 1.0, "leaky_relu_at_zero": 0.5, "clip_at_bound": 1.0, "hardsigmoid_at_bound": 1 / 6,
     "hardswish_at_lower": -0.5, "hardswish_at_upper": 1.5},
    {"relu_at_zero": 0.5, "clip_at_bound": 0.25, "hardsigmoid_at_bound": 0.1, "hardswish_at_lower": -0.25,
     "hardswish_at_upper": 1.25, "ties": "first"},
]
ROWS = kinks._rows()
PROBES = [(r, k) for r in ROWS for k in range(len(r.probes))]
# Degeneracies where the derivative does not exist and no convention is chosen.
NO_PROBE = {"eigh", "eig", "svd", "svdvals", "qr", "pinv"}


def _grads(fn, args):
    args = tuple(np.asarray(a) if not isinstance(a, np.ndarray) else a for a in args)
    g = bc.grad(lambda *a: bnp.sum(fn(*a)), argnums=tuple(range(len(args))))(*args)
    return g


@pytest.mark.parametrize("pol", POLICIES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default")
@pytest.mark.parametrize("row,k", PROBES, ids=[f"{r.op}-{k}" for r, k in PROBES])
def test_row_matches_gradient_at_kink(row, k, pol):
    with kinks.policy(**pol):
        fn, args, _ = row.probes[k]
        expected = row.expected(row.probes[k])
        got = _grads(fn, args)
        assert len(got) == len(expected), f"{row.op}: probe has {len(got)} arguments, expected {len(expected)}"
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(e, dtype=np.asarray(g).dtype),
                                          err_msg=f"{row.op} under {pol}")


def _core(name):
    return not name.startswith("scipy.")  # backchain.scipy's rows come from their kinks= text, unprobed


def test_every_primitive_with_kinks_has_a_probed_row():
    rows = kinks._rows()
    probed = {r.primitive for r in rows if r.probes}
    missing = [n for n, p in REGISTRY.items()
               if p.kinks is not None and not p.user and _core(n) and n not in probed and n not in NO_PROBE]
    assert not missing
    # every other primitive with kinks (backchain.scipy, once imported) is listed with its text
    import backchain.scipy.special  # noqa: F401
    listed = {r[0] for r in kinks.table()} | {r.primitive for r in kinks._rows()}
    assert all(n in listed for n, p in REGISTRY.items() if p.kinks is not None and not p.user)


def test_every_row_but_the_degeneracies_has_a_probe():
    user = {n for n, p in REGISTRY.items() if p.user}
    assert {r.op for r in kinks._rows() if not r.probes and _core(r.op) and r.primitive not in user} == NO_PROBE


def test_issue_list_is_in_the_table():
    ops = " ".join(r[0] for r in kinks.table())
    for name in ["relu", "leaky_relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "clip", "absolute",
                 "maximum", "minimum", "amax", "amin", "max, min", "median", "sort", "topk", "round", "floor",
                 "sign", "heaviside", "linalg.norm", "sqrt", "power"]:
        assert name in ops, name


def test_table_values_follow_the_policy():
    rows = {r[0]: r for r in kinks.table()}
    assert rows["relu"][2] == "0" and rows["maximum"][2] == "0.5 / 0.5"
    assert rows["hardsigmoid"][4] == "hardsigmoid_at_bound"
    with kinks.policy(ties="first", relu_at_zero=1.0, hardsigmoid_at_bound=1 / 6):
        rows = {r[0]: r for r in kinks.table()}
        assert rows["relu"][2] == "1" and rows["maximum"][2] == "1 / 0"
        assert rows["amax"][2].startswith("all to the first")
        assert rows["hardsigmoid"][2] == "1/6"


def test_register_adds_a_checked_row():
    row = kinks.Row("test_relu_composite", "x = 0", 0.0, "", "", None,
                    [(lambda x: bnp.where(x > 0, x, 0.0), (0.0,), None)])
    try:
        kinks.register(row)
        assert any(r[0] == "test_relu_composite" for r in kinks.table())
        (g,) = _grads(*row.probes[0][:2])
        assert g == row.expected(row.probes[0])[0]
        with pytest.raises(TypeError, match="kinks.Row"):
            kinks.register(("op", "where"))
        with pytest.raises(ValueError, match="names no primitive"):
            kinks.register(row, count=lambda out, x: 0)
    finally:
        kinks._registered[:] = [r for r in kinks._registered if r.op != "test_relu_composite"]


def test_markdown_table_is_printable():
    text = str(kinks.table())
    assert text.startswith("| op | kink at | value used |")
    assert text.count("\n") == len(kinks.table()) + 1


def test_docs_kinks_page_gets_the_table():
    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "kinks.md"
    text = kinks._fill(doc.read_text())  # what docs/hooks.py does when the site is built
    table = text.split(kinks._START, 1)[1].split(kinks._END, 1)[0]
    assert table == kinks.markdown() + "\n"
    assert "| relu | x = 0 |" in table and "| hardtanh |" in table  # rows of the built-in primitives
