"""Arrays a recorded graph saved for backward are read-only until that backward (or until the
graph is dropped); raw ndarray writes into them fail at the write instead of changing a gradient."""
import gc
import threading

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._core import saved


def _read_only(a):
    return not a.flags.writeable


def test_raw_write_into_a_saved_leaf_fails_then_works_after_backward():
    w = bc.tensor([0.5, 1.0], requires_grad=True)
    loss = bnp.exp(w).sum()
    with pytest.raises(ValueError, match="read-only"):
        w.data[0] = 7.0
    loss.backward()
    np.testing.assert_allclose(w.grad, np.exp([0.5, 1.0]))  # the value the forward used
    w.data[0] = 7.0  # writeable again
    assert w.data[0] == 7.0


def test_raw_write_into_a_saved_constant_and_numpy_view_fail():
    a = np.array([1.0, 2.0])
    w = bc.tensor([3.0, 4.0], requires_grad=True)
    y = bnp.sin(w * a)
    loss = y.sum()
    with pytest.raises(ValueError, match="read-only"):
        a[:] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        y.numpy()[0] = 0.0  # y's array is locked by its own node until backward
    loss.backward()
    np.testing.assert_allclose(w.grad, np.cos(np.array([3.0, 8.0])) * a)
    a[:] = 0.0
    y.numpy()[0] = 1.0
    assert not _read_only(a) and not _read_only(y.data)


def test_saved_view_locks_its_base():
    base = np.arange(6.0)
    w = bc.tensor(np.ones(3), requires_grad=True)
    loss = (w * base[1:4]).sum()
    with pytest.raises(ValueError, match="read-only"):
        base[2] = 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    base[2] = 100.0


def test_linear_ops_lock_nothing():
    c = np.array([1.0, 2.0])
    w = bc.tensor([3.0, 4.0], requires_grad=True)
    loss = (w + c).sum()  # add and sum read no values in backward
    c[0] = 5.0
    assert not _read_only(w.data)
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_dropped_graph_gives_its_locks_back():
    w = bc.tensor(np.ones(4), requires_grad=True)
    x = np.arange(4.0)
    before = len(saved._COUNTS)
    for _ in range(50):  # forward passes under grad mode that are never differentiated
        (bnp.tanh(w * x)).sum()
    gc.collect()
    assert len(saved._COUNTS) == before
    assert not _read_only(w.data) and not _read_only(x)
    w.data[0] = 2.0
    x[0] = 2.0


def test_a_second_graph_keeps_a_shared_leaf_locked():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    first = (w * w).sum()
    second = bnp.exp(w).sum()
    first.backward()
    with pytest.raises(ValueError, match="read-only"):  # 'exp' of the second graph still needs w
        w.data[0] = 0.0
    second.backward()
    np.testing.assert_allclose(w.grad, 2 * np.array([1.0, 2.0]) + np.exp([1.0, 2.0]))
    w.data[0] = 0.0


def test_retained_graph_keeps_locks_and_optimizer_updates_a_copy():
    model = bc.nn.Linear(3, 2)
    opt = bc.optim.SGD(model.parameters(), lr=0.1)
    loss = (bnp.tanh(model(bc.tensor(np.ones((4, 3))))) ** 2).mean()
    loss.backward(retain_graph=True)
    old = model.weight.data
    assert _read_only(old)
    opt.step()  # writes a copy: the retained graph keeps the weights it saw
    assert model.weight.data is not old and not _read_only(model.weight.data)
    with pytest.raises(bc.InplaceError, match="SGD.step"):
        loss.backward()


def test_arrays_read_only_before_stay_read_only():
    a = np.array([1.0, 2.0])
    a.flags.writeable = False
    w = bc.tensor([3.0, 4.0], requires_grad=True)
    (w * a).sum().backward()
    assert _read_only(a)  # backchain gives back only the locks it took


def test_inplace_tensor_ops_on_locked_arrays_write_a_copy():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    x = bc.tensor([3.0, 4.0])
    loss = (w * x).sum()
    old = x.data
    x.add_(1.0)  # x is not traced: written into a copy, the graph keeps the old x
    assert x.data is not old and old.tolist() == [3.0, 4.0]
    with pytest.raises(bc.InplaceError, match="add_"):
        loss.backward()


def test_training_loop_leaves_parameters_writeable():
    rng = np.random.default_rng(0)
    model = bc.nn.Sequential(bc.nn.Linear(4, 8), bc.nn.ReLU(), bc.nn.Linear(8, 2))
    opt = bc.optim.Adam(model.parameters(), lr=1e-2)
    x, y = rng.standard_normal((16, 4)), rng.integers(0, 2, 16)
    for _ in range(3):
        opt.zero_grad()
        loss = bc.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert all(not _read_only(p.data) for p in model.parameters())
    assert not _read_only(x)
    with bc.no_grad():
        model(x)  # nothing recorded, nothing locked
    assert all(not _read_only(p.data) for p in model.parameters())


def test_threads_lock_and_release_their_own_graphs():
    errors = []

    def train(seed):
        try:
            rng = np.random.default_rng(seed)
            w = bc.tensor(rng.standard_normal(5), requires_grad=True)
            x = rng.standard_normal(5)
            for _ in range(200):
                loss = (bnp.sin(w * x)).sum()
                loss.backward()
                np.testing.assert_allclose(w.grad, np.cos(w.data * x) * x)
                with bc.no_grad():
                    w -= 0.01 * w.grad
                w.grad = None
            assert w.data.flags.writeable and x.flags.writeable
        except Exception as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=train, args=(s,)) for s in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_reinitialising_a_saved_parameter_fills_a_copy_and_is_reported():
    layer = bc.nn.Linear(3, 2)
    loss = bnp.tanh(layer(bc.tensor(np.ones((1, 3))))).sum()
    old = layer.weight.data.copy()
    bc.nn.init.zeros_(layer.weight)
    assert np.all(layer.weight.data == 0) and not np.all(old == 0)
    with pytest.raises(bc.InplaceError, match="nn.init"):
        loss.backward()


def test_index_array_changed_after_the_forward_does_not_move_the_gradient():
    x = bc.tensor(np.arange(4.0), requires_grad=True)
    idx = np.array([0, 1])
    mask = np.array([True, False, True, False])
    y = x[idx].sum() + x[mask].sum() + x[(idx,)].sum()
    idx[0] = 3  # the caller's arrays stay theirs to change; the graph kept its own copies
    mask[:] = False
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 2.0, 1.0, 0.0])


def test_recorded_inplace_ops_keep_or_give_back_locks():
    v = bc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    s = bc.tensor(1.5, requires_grad=True)
    y = bnp.sin(v) * 2     # a node with an array
    z = s * 2.0            # a node of NumPy scalars: locks nothing
    y.mul_(v)              # the node that replaces y's holds the locks
    z.mul_(s)
    y += 1.0
    with pytest.raises(ValueError, match="read-only"):
        v.data[0] = 0.0
    (y.sum() + z).backward()
    np.testing.assert_allclose(v.grad, 2 * np.cos([1.0, 2.0]) * [1.0, 2.0] + 2 * np.sin([1.0, 2.0]))
    np.testing.assert_allclose(s.grad, 4 * 1.5)
    v.data[0] = 0.0
