"""The engine: graphs of any size, accumulation, freeing, nesting, the fast path."""
import gc
import os
import threading
import weakref

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def _rss_mb():
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


def test_long_chain_records_and_backwards_without_recursion():
    # 1,000,000 recorded operations: no recursion limit in recording or backward, and the
    # graph is freed by backward (by reference counting: no cycle for the collector to find).
    gc.collect()
    before = _rss_mb()
    x = bc.tensor(1.0, requires_grad=True)
    y = x
    nodes = []
    for i in range(500_000):
        y = y * 1.000001 + 0.0
        if i % 50_000 == 0:
            nodes.append(weakref.ref(y))
    recorded = _rss_mb()
    y.backward()
    expected = 1.000001 ** 500_000
    assert np.isclose(x.grad, expected, rtol=1e-9)
    assert all(r() is None for r in nodes)  # backward released them, without gc.collect()
    del y
    if before is not None:
        freed = _rss_mb()
        assert recorded - before > 100  # the graph did take memory ...
        # ... and gave it back: to the system, but for the free memory that glibc keeps at the
        # top of its heap for reuse (up to its trim threshold, which backchain sets: _core/malloc.py)
        from backchain._core import malloc

        kept = malloc.TRIM_THRESHOLD / 2**20 if "trim" in malloc.STATE["malloc"] else 0
        assert freed - before < 30 + kept, (before, recorded, freed)


def test_a_recorded_op_adds_one_object_for_the_garbage_collector():
    # The node keeps its inputs in slots, not in a tuple: on long graphs the collector's full
    # passes walk every tracked object, and a second one per op doubled their cost.
    x = bc.tensor(np.ones(3), requires_grad=True)
    y = x
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(1000):
        y = bnp.sin(y * 1.5 + 0.5)  # one, two and two-argument rows
    assert len(gc.get_objects()) - before <= 3000 + 10
    assert y.grad_fn == "sin" and y._inputs[0].grad_fn == "add" and y._inputs[0]._inputs[1] == 0.5
    z = bnp.concatenate([y, y, x])  # three arguments: kept in a tuple
    assert len(z._inputs) == 3 and z._inputs[2] is x
    z.sum().backward()
    assert y._inputs is None and x.grad.shape == (3,)


def test_deep_chain_repr_and_transform():
    f = lambda x: x
    def deep(x):
        for _ in range(20_000):
            x = bnp.sin(x) * 0.5 + x * 0.5
        return x
    g = bc.grad(deep)(0.1)
    # d/dx of x -> 0.5 sin x + 0.5 x, composed: product of (0.5 cos x_k + 0.5) along the chain
    x, d = 0.1, 1.0
    for _ in range(20_000):
        d *= 0.5 * np.cos(x) + 0.5
        x = 0.5 * np.sin(x) + 0.5 * x
    assert np.isclose(g, d, rtol=1e-9)
    assert "grad_fn" in repr(deep(bc.tensor(0.1, requires_grad=True)))


def test_gradients_accumulate_for_reused_values():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = x * x + x * 3.0 + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * np.array([1.0, 2.0]) + 4.0)
    # .grad accumulates across backward calls, like PyTorch
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * np.array([1.0, 2.0]) + 6.0)


def test_diamond_graph_and_broadcasting_undone():
    a = bc.tensor(np.ones((3, 1)), requires_grad=True)
    b = bc.tensor(np.arange(4.0), requires_grad=True)
    c = a * b  # (3, 4)
    d = c + c * a
    d.sum().backward()
    # d = a*b + a^2*b -> dd/da = sum_j b_j (1 + 2a), dd/db = sum_i (a + a^2)
    np.testing.assert_allclose(a.grad, np.full((3, 1), 6.0 * 3.0))
    np.testing.assert_allclose(b.grad, np.full(4, 6.0))
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)


def test_released_graph_raises_clear_error():
    x = bc.tensor(2.0, requires_grad=True)
    y = bnp.sin(x) * x
    y.backward()
    with pytest.raises(RuntimeError, match="released"):
        y.backward()
    z = bnp.sin(x) * x
    z.backward(retain_graph=True)
    z.backward()
    assert np.isclose(x.grad, np.sin(2.0) + 2.0 * np.cos(2.0) + 2 * (np.sin(2.0) + 2.0 * np.cos(2.0)))


def test_saved_arrays_are_freed_after_backward():
    x = bc.tensor(np.ones(1000), requires_grad=True)
    big = np.random.default_rng(0).standard_normal(1000)
    ref = weakref.ref(big)
    y = (x * big).sum()
    del big
    assert ref() is not None  # held by the graph
    y.backward()
    gc.collect()
    assert ref() is None  # released by backward


def test_fast_path_returns_plain_numpy():
    a = np.arange(3.0)
    out = bnp.sin(a)
    assert type(out) is np.ndarray
    assert type(bnp.sum(a)) is np.float64
    assert type(bnp.matmul(np.ones((2, 2)), np.ones(2))) is np.ndarray


def test_untraced_tensor_ops_record_nothing():
    x = bc.tensor([1.0, 2.0])
    y = bnp.exp(x) * 2
    assert isinstance(y, bc.Tensor) and not y.requires_grad and y.is_leaf


def test_no_grad_and_enable_grad():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    with bc.no_grad():
        y = x * 2
        with bc.enable_grad():
            z = x * 2
    assert not y.requires_grad and z.requires_grad

    @bc.no_grad()
    def f(v):
        return v * 3
    assert not f(x).requires_grad
    assert bc.is_grad_enabled()


def test_grad_mode_is_thread_local():
    results = {}
    barrier = threading.Barrier(2)

    def off():
        with bc.no_grad():
            barrier.wait()
            results["off"] = (bc.tensor(1.0, requires_grad=True) * 2).requires_grad
            barrier.wait()

    def on():
        barrier.wait()
        x = bc.tensor(1.0, requires_grad=True)
        y = x * 2
        y.backward()
        results["on"] = (y.requires_grad, float(x.grad))
        barrier.wait()

    ts = [threading.Thread(target=off), threading.Thread(target=on)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == {"off": False, "on": (True, 2.0)}


def test_create_graph_gives_differentiable_grad():
    x = bc.tensor(0.7, requires_grad=True)
    y = bnp.sin(x) ** 3
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, bc.Tensor) and g.requires_grad
    x.grad = None
    g.backward()
    # d2/dx2 sin^3 = 6 sin cos^2 - 3 sin^3
    s, c = np.sin(0.7), np.cos(0.7)
    assert np.isclose(x.grad, 6 * s * c * c - 3 * s ** 3)


def test_multiple_roots_seeded_backward_pass():
    from backchain._core.engine import backward_pass
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 2.0, x * x
    leaves = backward_pass([a, b], [np.ones(2), np.array([1.0, 0.0])])
    np.testing.assert_array_equal(leaves[id(x)][1], [2.0 + 2.0, 2.0])


def test_float32_stays_float32():
    x = bc.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (bnp.tanh(x * 2.0) + 1.5) * x
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    g = bc.grad(lambda v: bnp.sum(bnp.exp(v) * 0.5))(np.ones(3, dtype=np.float32))
    assert g.dtype == np.float32


def test_cotangent_dtype_follows_input_when_mixing_precisions():
    x = bc.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w = np.ones(3, dtype=np.float64)
    y = (x * w).sum()  # float64 result
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32


def _joint_product():
    """A toy primitive (x, y, k) -> x * y with a Joint VJP that counts its evaluations."""
    from backchain._core.primitive import Joint, primitive

    calls = []

    class Holder:  # an object that lives only as long as the evaluation keeps it
        pass

    def vjp_all(needs, g, ans, x, y, k):
        calls.append(needs)
        h = Holder()
        calls.append(weakref.ref(h))
        h.cts = (g * y if needs[0] else None, g * x if needs[1] else None, None)
        return h.cts

    fn = primitive("test.joint_product", lambda x, y, k: x * y, vjp=Joint(vjp_all, 3, nondiff=(2,)),
                   jvp=(lambda t, ans, x, y, k: t * y, lambda t, ans, x, y, k: x * t, None), register=False)
    return fn, calls


def test_joint_vjp_is_evaluated_once_per_node_for_the_inputs_that_need_it():
    fn, calls = _joint_product()
    x = bc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = bc.tensor(np.array([3.0, 4.0]), requires_grad=True)
    c = bc.tensor(np.array([5.0, 6.0]))  # needs no gradient
    (fn(x, y, 0) + fn(x, c, 1)).sum().backward()
    needs = [n for n in calls if isinstance(n, tuple)]
    assert sorted(needs) == [(True, False, False), (True, True, False)]
    np.testing.assert_allclose(x.grad, [8.0, 10.0])
    np.testing.assert_allclose(y.grad, [1.0, 2.0])
    # nothing of an evaluation outlives its node's backward step
    assert all(r() is None for r in calls if isinstance(r, weakref.ref))


def test_joint_vjp_gives_per_input_rules_and_higher_order():
    fn, calls = _joint_product()
    prim = fn.prim
    assert prim.vjps[2] is None and len(prim.vjps) == 3
    np.testing.assert_allclose(prim.vjps[1](np.ones(2), None, np.array([1.0, 2.0]), np.array([3.0, 4.0]), 0),
                               [1.0, 2.0])
    assert calls[0] == (False, True, False)
    # second order through the Joint rule: d/dx sum(d/dx sum(x * x * x)) = sum(6x)
    g = bc.grad(lambda v: bc.grad(lambda u: fn(fn(u, u, 0), u, 0).sum())(v).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [6.0, 12.0])
