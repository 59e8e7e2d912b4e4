"""Counting kink hits in forward passes, per op and per layer."""
import threading

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain import kinks
from backchain._core import primitive as P
from backchain._rules import activations as A


def test_counts_per_op_in_forward_passes_only():
    x = np.array([-1.0, 0.0, 0.0, 2.0])
    with kinks.count() as hits:
        bc.grad(lambda v: bnp.sum(A.relu(v) + bnp.abs(v) + bnp.maximum(v, 2.0)))(x)
    assert hits["relu"] == 2 and hits["absolute"] == 2 and hits["maximum"] == 1
    # the backward pass ran where/sign on the same data: not counted
    assert hits["sign"] == 0 and "where" not in hits.seen
    assert hits.seen["relu"] == 4 and hits.total == 5
    assert set(hits) == {"relu", "absolute", "maximum"}


@pytest.mark.parametrize("f,x,op,n", [
    (lambda v: bnp.clip(v, 0.0, 1.0), [0.0, 0.5, 1.0, 1.0], "clip", 3),
    (lambda v: A.hardtanh(v), [-1.0, 0.0, 1.0], "hardtanh", 2),
    (lambda v: A.relu6(v), [0.0, 6.0, 3.0], "hardtanh", 2),
    (lambda v: A.hardswish(v) + A.hardsigmoid(v), [-3.0, 3.0, 1.0], "hardswish", 2),
    (lambda v: A.leaky_relu(v, 0.1), [0.0, 1.0], "leaky_relu", 1),
    (lambda v: bnp.max(v, axis=1), [[1.0, 3.0, 3.0], [2.0, 1.0, 0.0]], "amax", 2),
    (lambda v: bnp.min(v), [1.0, 1.0, 1.0], "amin", 3),
    (lambda v: bnp.sqrt(v), [0.0, 4.0], "sqrt", 1),
    (lambda v: v ** 0.5, [0.0, 4.0], "power", 1),
    (lambda v: bnp.sort(v), [2.0, 1.0, 2.0, 2.0], "sort", 3),
    (lambda v: bnp.linalg.norm(v, axis=1), [[0.0, 0.0], [3.0, 4.0]], "vector_norm", 1),
    (lambda v: bnp.floor(v), [1.0, 1.5], "floor", 1),
    (lambda v: bnp.round(v), [0.5, 1.2], "round", 1),
    (lambda v: bnp.sign(v), [0.0, 1.0], "sign", 1),
])
def test_counted_ops(f, x, op, n):
    with kinks.count() as hits:
        f(bc.tensor(x, requires_grad=True))
    assert hits[op] == n


def test_plain_arrays_are_counted_too():
    with kinks.count() as hits:
        A.relu(np.array([0.0, 1.0]))
    assert hits["relu"] == 1


def test_nested_blocks_both_count():
    with kinks.count() as outer:
        A.relu(np.array([0.0]))
        with kinks.count() as inner:
            A.relu(np.array([0.0, 0.0]))
    assert outer["relu"] == 3 and inner["relu"] == 2


def test_hook_is_off_outside_blocks():
    assert P._kink_hook is None
    with kinks.count():
        assert P._kink_hook is not None
    assert P._kink_hook is None


def test_primitives_without_kinks_never_call_the_counting_hook(monkeypatch):
    from backchain._core import primitive as pm
    seen = []
    monkeypatch.setattr(pm, "_kink_hook", lambda prim, *rest: seen.append(prim.name))
    x = bc.tensor(np.zeros(3), requires_grad=True)
    bnp.sin(x), bnp.sin(np.zeros(3)), A.relu(x), A.relu(np.zeros(3))
    assert seen == ["relu", "relu"]


def test_other_threads_are_not_counted():
    with kinks.count() as hits:
        t = threading.Thread(target=lambda: A.relu(np.zeros(5)))
        t.start()
        t.join()
        A.relu(np.zeros(2))
    assert hits["relu"] == 2


def test_per_layer_scope():
    with kinks.count() as hits:
        with kinks._layer_scope("features.0"):
            A.relu(np.array([0.0, 1.0]))
            with kinks._layer_scope("features.1"):
                A.relu(np.array([0.0, 0.0]))
        A.relu(np.array([0.0]))
    assert hits.layer("features.0") == {"relu": 1}
    assert hits.layer("features.1") == {"relu": 2}
    assert hits["relu"] == 4
    text = str(hits)
    assert "per layer" in text and "features.1" in text and "relu" in text


def test_layer_scope_is_free_when_not_counting():
    assert kinks._layer_scope("x") is kinks._layer_scope("y")


def test_table_print():
    with kinks.count() as hits:
        A.relu(np.array([0.0, 1.0, 2.0, 3.0]))
    text = str(hits)
    assert "relu" in text and "25.00%" in text
    assert "relu" in repr(hits)
    with kinks.count() as none:
        pass
    assert str(none) == "no primitive with kinks ran"


def test_register_a_counter():
    prim = bc.defprimitive("kinky_abs_for_count_tests", np.abs, deriv=(lambda ans, x: bnp.sign(x),),
                           kinks="x = 0: 0", export=False)
    row = kinks.Row("kinky_abs_for_count_tests", "x = 0", 0.0, primitive="kinky_abs_for_count_tests",
                    probes=[(prim, (0.0,), None)])
    try:
        kinks.register(row, count=lambda out, x: int(np.count_nonzero(np.asarray(x) == 0)))
        with kinks.count() as hits:
            prim(np.array([0.0, 0.0, 3.0]))
        assert hits["kinky_abs_for_count_tests"] == 2
    finally:
        kinks._registered[:] = [r for r in kinks._registered if r.op != row.op]
        kinks._COUNTERS.pop("kinky_abs_for_count_tests", None)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=2, stride=1), dict(kernel_size=3, padding=1, stride=2)])
def test_max_pool_ties_are_counted(kw):
    """Each element tied for its window's maximum is one hit (a window of k tied maxima: k), as for amax."""
    import backchain.nn.functional as F
    x = np.array([[[[1., 1., 0., 2.], [0., 0., 2., 2.], [3., 0., 5., 4.], [1., 3., 4., 5.]]]])
    k, s, p = kw["kernel_size"], kw.get("stride", kw["kernel_size"]), kw.get("padding", 0)
    padded = np.pad(x[0, 0], p, constant_values=-np.inf)
    want = 0
    for i in range(0, padded.shape[0] - k + 1, s):
        for j in range(0, padded.shape[1] - k + 1, s):
            window = padded[i:i + k, j:j + k]
            tied = int(np.sum(window == window.max()))
            want += tied if tied > 1 else 0
    with bc.kinks.count() as hits:
        F.max_pool2d(bc.tensor(x, requires_grad=True), **kw)
    assert sum(hits[op] for op in ("window_max", "tiled_max")) == want > 0
