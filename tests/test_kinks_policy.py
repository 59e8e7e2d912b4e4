"""Kink policies: values, validation, nesting, threads, and torch.max(dim) under ties="first"."""
import threading

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain import kinks
from backchain._rules import activations as A


def g(f, x):
    return bc.grad(lambda v: bnp.sum(f(v)))(np.asarray(x, dtype=float))


def test_defaults_are_design_section_4():
    assert kinks.get_policy() == kinks.DEFAULTS
    assert g(A.relu, 0.0) == 0.0
    assert g(lambda x: bnp.maximum(x, 0.0), 0.0) == 0.5


def test_relu_written_as_maximum_is_not_relu():
    with kinks.policy(ties="first"):
        assert g(lambda x: bnp.maximum(x, 0.0), 0.0) == 1.0
        assert g(A.relu, 0.0) == 0.0  # relu follows its own row, not the ties policy


def test_nesting_restores_each_level():
    with kinks.policy(relu_at_zero=1.0, ties="last"):
        with kinks.policy(relu_at_zero=0.5):
            assert g(A.relu, 0.0) == 0.5
            assert kinks.get_policy()["ties"] == "last"
        assert g(A.relu, 0.0) == 1.0
    assert g(A.relu, 0.0) == 0.0
    assert kinks.get_policy() == kinks.DEFAULTS


def test_policy_as_decorator():
    @kinks.policy(relu_at_zero=1.0)
    def d(x):
        return bc.grad(A.relu)(x)
    assert d(0.0) == 1.0 and g(A.relu, 0.0) == 0.0


def test_set_policy_is_global_and_policy_blocks_override_it():
    try:
        kinks.set_policy(ties="last")
        seen = []
        t = threading.Thread(target=lambda: seen.append(kinks.get_policy()["ties"]))
        t.start()
        t.join()
        assert seen == ["last"]
        with kinks.policy(ties="first"):
            assert kinks.get_policy()["ties"] == "first"
        assert kinks.get_policy()["ties"] == "last"
    finally:
        kinks.reset_policy()
    assert kinks.get_policy() == kinks.DEFAULTS


def test_policy_blocks_are_thread_local():
    barrier = threading.Barrier(2)
    seen = {}

    def worker():
        barrier.wait()  # the main thread is inside its block now
        seen["relu"] = float(bc.grad(A.relu)(0.0))
        barrier.wait()

    t = threading.Thread(target=worker)
    t.start()
    with kinks.policy(relu_at_zero=1.0):
        barrier.wait()
        barrier.wait()
        assert bc.grad(A.relu)(0.0) == 1.0
    t.join()
    assert seen["relu"] == 0.0


@pytest.mark.parametrize("kw,match", [
    ({"ties": "random"}, "ties must be 'split', 'first' or 'last'"),
    ({"relu_at_zero": 2.0}, r"relu_at_zero=2 is outside \[0, 1\]"),
    ({"relu_at_zero": True}, "finite real number"),
    ({"relu_at_zero": float("nan")}, "finite real number"),
    ({"clip_at_bound": -0.1}, r"outside \[0, 1\]"),
    ({"hardsigmoid_at_bound": 0.5}, r"outside \[0, 1/6\]|outside \[0, 0.166667\]"),
    ({"hardswish_at_lower": 0.5}, r"outside \[-0.5, 0\]"),
    ({"hardswish_at_upper": 0.0}, r"outside \[1, 1.5\]"),
    ({"leaky_relu_at_zero": "slope"}, "finite real number"),
])
def test_invalid_values_are_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        kinks.policy(**kw)
    with pytest.raises(ValueError, match=match):
        kinks.set_policy(**kw)
    assert kinks.get_policy() == kinks.DEFAULTS


def test_unknown_setting():
    with pytest.raises(TypeError, match="unknown setting 'relu_at_0'"):
        kinks.policy(relu_at_0=1.0)


def test_leaky_value_outside_its_interval_fails_when_differentiating():
    with kinks.policy(leaky_relu_at_zero=0.05):
        with pytest.raises(ValueError, match="leaky_relu_at_zero=0.05 is not between negative_slope=0.1 and 1"):
            bc.grad(lambda x: A.leaky_relu(x, 0.1))(0.0)
        assert bc.grad(lambda x: A.leaky_relu(x, 0.01))(0.0) == 0.05


def test_policy_applies_when_the_rule_runs():
    x = bc.tensor([0.0, 1.0], requires_grad=True)
    with kinks.policy(relu_at_zero=1.0):
        y = A.relu(x).sum()
        y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("ties,gx,gy", [("split", 0.5, 0.5), ("first", 1.0, 0.0), ("last", 0.0, 1.0)])
@pytest.mark.parametrize("op", [bnp.maximum, bnp.minimum, bnp.fmax, bnp.fmin])
def test_binary_ties(op, ties, gx, gy):
    with kinks.policy(ties=ties):
        a, b = bc.grad(lambda x, y: bnp.sum(op(x, y)), argnums=(0, 1))(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
        assert a[0] == gx and b[0] == gy
        _, t = bc.jvp(lambda x: op(x, np.array([1.0, 3.0])), (np.array([1.0, 2.0]),), (np.ones(2),))
        assert t[0] == gx
    assert kinks.binary_tie() == (0.5, 0.5)


def test_tie_weights_over_several_axes():
    m = np.zeros((2, 2, 2), dtype=bool)
    m[0, 0, 1] = m[0, 1, 0] = m[1, 1, 1] = True
    with kinks.policy(ties="first"):
        w = kinks.tie_weights(m, axis=(1, 2))
    assert w[0, 0, 1] == 1 and w[0, 1, 0] == 0 and w[1, 1, 1] == 1 and w.sum() == 2
    with kinks.policy(ties="last"):
        w = kinks.tie_weights(m, axis=(1, 2))
    assert w[0, 1, 0] == 1 and w[0, 0, 1] == 0
    w = kinks.tie_weights(m, axis=(1, 2))
    assert w[0, 0, 1] == 0.5 and w[0, 1, 0] == 0.5
    np.testing.assert_array_equal(kinks.tie_weights(np.zeros((2, 3), bool), axis=1), np.zeros((2, 3)))


def test_higher_order_and_forward_mode_follow_the_policy():
    with kinks.policy(ties="first"):
        h = bc.hessian(lambda x: bnp.max(x) ** 2)(np.array([2.0, 2.0]))
        np.testing.assert_array_equal(h, [[2.0, 0.0], [0.0, 0.0]])
        _, t = bc.jvp(bnp.max, (np.array([2.0, 2.0]),), (np.array([1.0, 5.0]),))
        assert t == 1.0


# -- torch.max(dim) under ties="first" ---------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("op", ["max", "min"])
def test_first_reproduces_torch_max_dim(op, dim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(dim + 7)
    x = rng.integers(0, 3, size=(3, 4, 5)).astype(np.float64)  # many ties
    w = rng.standard_normal(np.delete(np.array(x.shape), dim % 3))
    t = torch.tensor(x, requires_grad=True)
    (getattr(torch, op)(t, dim=dim).values * torch.tensor(w)).sum().backward()
    with kinks.policy(ties="first"):
        ours = bc.grad(lambda v: bnp.sum(getattr(bnp, op)(v, axis=dim) * w))(x)
    np.testing.assert_array_equal(ours, t.grad.numpy())


def test_split_reproduces_torch_amax():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    t = torch.tensor(x, requires_grad=True)
    torch.amax(t, dim=1).sum().backward()
    np.testing.assert_allclose(bc.grad(lambda v: bnp.sum(bnp.amax(v, axis=1)))(x), t.grad.numpy())
