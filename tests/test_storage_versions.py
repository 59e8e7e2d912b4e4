"""In-place semantics on storage versions (PyTorch's model, _core/versions.py), checked against
PyTorch as the oracle where both give a value, and the documented differences where backchain
keeps the old value for a recorded in-place op (PyTorch raises)."""
import threading

import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp


def _torch_grad(program, x0):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    program(x).sum().backward()
    return x.grad.numpy()


def _bc_grad(program, x0):
    x = bc.tensor(x0, requires_grad=True)
    program(x).sum().backward()
    return x.grad


def _self_add(x):
    y = x * 1
    y += y
    return y


def _self_add_method(x):
    y = x * 1
    y.add_(y)
    return y


def _add_product_of_self(x):
    y = x * 1
    y.add_(y * 2)
    return y


def _self_copy(x):
    y = x * 1
    y.copy_(y)
    return y * 3


def _chain_of_writes(x):
    y = x * 2
    y.add_(x)
    y.mul_(3)
    y.sub_(x * x)
    y.div_(2)
    return y


@pytest.mark.parametrize("program", [_self_add, _self_add_method, _add_product_of_self, _self_copy,
                                     _chain_of_writes])
def test_operand_that_is_its_own_output_matches_torch(program):
    x0 = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(_bc_grad(program, x0), _torch_grad(program, x0), rtol=1e-12)
    np.testing.assert_allclose(program(bc.tensor(x0)).data, program(torch.tensor(x0)).numpy())


def test_self_multiply_gives_the_derivative_of_the_square():
    # PyTorch raises (mul_ saved y and then overwrote it); backchain keeps the old value for the graph
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y *= y
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    np.testing.assert_array_equal(y.data, [1.0, 4.0])


def test_transforms_see_inplace_code():
    def f(a):
        y = a * 1
        y += y
        return bnp.sum(y * a)

    np.testing.assert_allclose(bc.grad(f)(np.array([1.0, 2.0])), [4.0, 8.0])
    g = bc.grad(lambda a: _chain_of_writes(a).sum())(np.array([0.3, -1.0]))
    np.testing.assert_allclose(g, _torch_grad(_chain_of_writes, np.array([0.3, -1.0])))


def test_write_through_a_view_of_a_saved_constant_raises():
    x = bc.tensor([1.0, 2, 3])
    y = x[0:2]
    w = bc.tensor(np.ones(3), requires_grad=True)
    loss = (w * x).sum()
    y.mul_(10)
    np.testing.assert_array_equal(x.data, [10.0, 20.0, 3.0])  # the view writes into x's storage
    with pytest.raises(bc.InplaceError, match=r"input 1 of 'multiply' \(float64\[3\]\) was modified in place "
                                              r"by mul_"):
        loss.backward()


def test_torch_raises_on_the_same_write_through_a_view():
    x = torch.tensor([1.0, 2, 3])
    y = x[0:2]
    w = torch.ones(3, requires_grad=True)
    loss = (w * x).sum()
    y.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_rules_that_read_nothing_accept_later_writes():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.sum()  # sum's rule reads no value
    y.add_(1)
    z.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    # mul by a constant reads the constant only
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = (y * 3.0).sum()
    with bc.no_grad():
        y.add_(5)
    z.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_write_under_no_grad_of_a_read_value_raises_and_names_the_op():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = bnp.exp(x)  # exp's rule reads its output
    with bc.no_grad():
        y.mul_(2)
    with pytest.raises(bc.InplaceError, match=r"the output of 'exp'.*mul_"):
        y.sum().backward()


def test_detach_shares_storage_even_when_the_source_is_saved():
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    d = y.detach()
    assert np.shares_memory(d.data, y.data)
    d.add_(1)
    np.testing.assert_array_equal(y.data, [3.0, 5.0])
    with pytest.raises(bc.InplaceError, match="add_"):
        z.backward()


def test_reinitialising_a_saved_parameter_is_reported():
    # linear's rule for its input reads the weight
    x = bc.tensor(np.ones((2, 3)), requires_grad=True)
    layer = bc.nn.Linear(3, 2)
    out = bnp.tanh(layer(x)).sum()
    bc.nn.init.ones_(layer.weight)
    with pytest.raises(bc.InplaceError, match="nn.init"):
        out.backward()


def test_view_of_a_leaf_that_requires_grad_cannot_be_written_while_recording():
    w = bc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = w[0:2]
    with pytest.raises(RuntimeError, match="view of a leaf that requires grad"):
        v.mul_(2.0)
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="leaf Variable|view"):  # torch refuses too
        tw = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        tw[0:2].mul_(2.0)


def test_base_changed_through_a_recorded_view_write_is_not_silently_used():
    a = bc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = a * 1
    v = x[0:2]
    w = bc.tensor([2.0, 2.0], requires_grad=True)
    v.mul_(w)  # x's values change; x's own node does not know
    np.testing.assert_array_equal(x.data, [2.0, 4.0, 3.0])
    loss = (x * 3).sum()
    with pytest.raises(bc.InplaceError, match="shares memory with a tensor that mul_ changed"):
        loss.backward()
    # the view itself carries the write: its gradient is right
    a = bc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = (a * 1)[0:2]
    w = bc.tensor([2.0, 5.0], requires_grad=True)
    v.mul_(w)
    v.sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 5.0, 0.0])
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])


def test_recorded_write_into_a_constant_makes_it_a_node():
    c = bc.tensor([1.0, 2.0])
    w = bc.tensor([3.0, 4.0], requires_grad=True)
    before = (c * w).sum()  # recorded with c's old value
    c.add_(w)  # c is now a node: c = c_old + w
    after = (c * c).sum()
    (before + after).backward()
    # d/dw [c0.w + (c0 + w)^2] = c0 + 2 (c0 + w)
    np.testing.assert_allclose(w.grad, np.array([1.0, 2.0]) + 2 * np.array([4.0, 6.0]))


def test_raw_write_into_a_saved_array_is_the_users_business_but_anomaly_mode_catches_it():
    w = bc.tensor([0.5, 1.0], requires_grad=True)
    loss = bnp.exp(w).sum()
    w.data[0] = 7.0  # no lock: as in PyTorch, .data writes are not tracked
    with bc.detect_anomaly():
        w2 = bc.tensor([0.5, 1.0], requires_grad=True)
        loss2 = bnp.exp(w2).sum()
        w2.data[0] = 7.0
        with pytest.raises(bc.InplaceError, match="'exp' saved its input 0.*modified in place"):
            loss2.backward()
    loss.backward()


def test_threads_train_side_by_side():
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
        except Exception as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=train, args=(s,)) for s in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_index_array_changed_after_the_forward_does_not_move_the_gradient():
    x = bc.tensor(np.arange(4.0), requires_grad=True)
    idx = np.array([0, 1])
    mask = np.array([True, False, True, False])
    y = x[idx].sum() + x[mask].sum() + x[(idx,)].sum()
    idx[0] = 3  # the caller's arrays stay theirs to change; the graph kept its own copies
    mask[:] = False
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 2.0, 1.0, 0.0])


def test_scalar_nodes_written_in_place():
    s = bc.tensor(1.5, requires_grad=True)
    z = s * 2.0
    z.mul_(s)
    z += 1.0
    z.backward()
    np.testing.assert_allclose(s.grad, 4 * 1.5)
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    tz = t * 2.0
    tz.mul_(t)
    tz += 1.0
    tz.backward()
    assert float(s.grad) == float(t.grad)


# -- clear errors --------------------------------------------------------------------------------
def test_out_argument_is_refused_for_traced_tensors():
    t = bc.tensor([1.0, 2.0], requires_grad=True)
    o = np.empty(2)
    with pytest.raises(TypeError, match=r"numpy.add\(\.\.\., out=\.\.\.\).*not differentiable"):
        np.add(t, 1, out=o)
    c = bc.tensor([1.0, 2.0])
    r = np.add(c, 1, out=o)  # nothing to differentiate: NumPy's behaviour
    np.testing.assert_array_equal(o, [2.0, 3.0])
    assert r is not None


def test_item_assignment_names_what_to_do():
    t = bc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"item assignment \(t\[0\] = \.\.\.\).*bnp.where"):
        t[0] = 5.0


# -- grad mode contexts (PyTorch's semantics) ------------------------------------------------------
def test_no_grad_acts_when_entered_not_when_made():
    ctx = bc.no_grad()
    assert bc.is_grad_enabled()
    with ctx:
        assert not bc.is_grad_enabled()
    assert bc.is_grad_enabled()
    with ctx:  # reusable
        assert not bc.is_grad_enabled()
    assert bc.is_grad_enabled()


def test_contexts_made_ahead_nest_in_any_order():
    a, b = bc.no_grad(), bc.enable_grad()
    with a:
        assert not bc.is_grad_enabled()
        with b:
            assert bc.is_grad_enabled()
            with a:  # the same object entered twice, nested
                assert not bc.is_grad_enabled()
            assert bc.is_grad_enabled()
        assert not bc.is_grad_enabled()
    assert bc.is_grad_enabled()
    with torch.no_grad():  # the oracle agrees on the observable modes
        assert not torch.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator():
    bc.set_grad_enabled(False)
    try:
        assert not bc.is_grad_enabled()
    finally:
        bc.set_grad_enabled(True)
    assert bc.is_grad_enabled()
    with bc.set_grad_enabled(False):
        assert not bc.is_grad_enabled()
    assert bc.is_grad_enabled()
    ctx = bc.set_grad_enabled(False)
    bc.set_grad_enabled(True)
    with ctx:
        assert not bc.is_grad_enabled()
    assert bc.is_grad_enabled()

    @bc.set_grad_enabled(False)
    def f():
        return bc.is_grad_enabled()

    assert bc.is_grad_enabled() and f() is False and bc.is_grad_enabled()

    @bc.no_grad()
    def g(x):
        return x * 2

    assert not g(bc.tensor([1.0], requires_grad=True)).requires_grad


def test_grad_mode_is_per_thread():
    ctx = bc.no_grad()
    seen = {}
    ready, go = threading.Event(), threading.Event()

    def other():
        ready.wait()
        seen["other"] = bc.is_grad_enabled()
        with ctx:
            seen["other_inside"] = bc.is_grad_enabled()
        go.set()

    th = threading.Thread(target=other)
    th.start()
    with ctx:
        ready.set()
        go.wait()
        assert not bc.is_grad_enabled()
    th.join()
    assert seen == {"other": True, "other_inside": False}
    assert bc.is_grad_enabled()


# -- integer and bool results are constants ---------------------------------------------------------
def test_integer_cast_passes_no_cotangent():
    f = lambda a: bnp.sum(bnp.astype(a, np.int64) * a)  # noqa: E731
    np.testing.assert_array_equal(bc.grad(f)(np.array([0.5, -1.5, 2.7])), [0.0, -1.0, 2.0])
    # the torch oracle: an integer tensor is a constant
    a = torch.tensor([0.5, -1.5, 2.7], dtype=torch.float64, requires_grad=True)
    (a.to(torch.int64) * a).sum().backward()
    np.testing.assert_array_equal(bc.grad(f)(np.array([0.5, -1.5, 2.7])), a.grad.numpy())


def test_integer_reductions_and_casts_are_constants_in_both_modes():
    x = bc.tensor([0.5, 1.5, 2.5], requires_grad=True)
    for y in (bnp.sum(x, dtype=np.int64), bnp.cumsum(x, dtype=np.int64), bnp.astype(x, bool),
              bnp.astype(x, np.int32)):
        assert not y.requires_grad and y.is_leaf
    out, t = bc.jvp(lambda a: bnp.astype(a, np.int64) * 1.0 + a, (np.array([0.5, 1.5]),), (np.ones(2),))
    np.testing.assert_array_equal(t, [1.0, 1.0])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match=r"floating point.*int64"):
        bc.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match=r"requires_grad_.*int64"):
        bc.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError):  # torch refuses too
        torch.tensor([1, 2], requires_grad=True)
    t = bc.tensor([1, 2])
    t.requires_grad = True  # the attribute itself is not checked; backward refuses to truncate
    with pytest.raises(TypeError, match=r"backward: a leaf of dtype int64.*truncated"):
        (t * bc.tensor([0.5, 0.25], requires_grad=True)).sum().backward()


# -- list operands ------------------------------------------------------------------------------------
@pytest.mark.parametrize("op, top", [
    (lambda t: t @ [1.0, 2.0], lambda t: t @ torch.tensor([1.0, 2.0], dtype=torch.float64)),
    (lambda t: bnp.dot([1.0, 2.0], t), lambda t: torch.dot(torch.tensor([1.0, 2.0], dtype=torch.float64), t)),
    (lambda t: (t ** [1.0, 3.0]).sum(), lambda t: (t ** torch.tensor([1.0, 3.0], dtype=torch.float64)).sum()),
    (lambda t: (t * [2.0, -1.0]).sum(), lambda t: (t * torch.tensor([2.0, -1.0], dtype=torch.float64)).sum()),
])
def test_list_operands_work_in_backward(op, top):
    x0 = np.array([1.5, -0.5])
    t = bc.tensor(x0, requires_grad=True)
    op(t).backward()
    tt = torch.tensor(x0, requires_grad=True)
    top(tt).backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-14)


def test_rules_written_with_safe_products_read_only_what_they_name():
    # divide's rule for x reads y only: writing x's storage later is fine, as in PyTorch
    def program(lib, x):
        y = x * 1
        z = (y / 2.0).sum()
        with lib.no_grad():
            y.add_(1)
        z.backward()
        return x.grad

    x, t = bc.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(program(bc, x), [0.5, 0.5])
    np.testing.assert_array_equal(x.grad, program(torch, t).numpy())


def test_division_by_a_python_zero_differentiates_like_numpy():
    with np.errstate(divide="ignore"):
        assert bc.grad(lambda x: x / 0)(1.0) == np.inf


def test_forward_mode_gives_a_tangent_its_outputs_dtype():
    # a rule whose constant is float64 (np.ones) would turn a float32 result's tangent into float64;
    # the forward sweep fits tangents to their outputs as backward fits cotangents to their inputs
    twice = bc.defprimitive("twice_float64_rule_for_tests", lambda x: x * 2,
                            deriv=(lambda ans, x: 2.0 * np.ones(np.shape(x)),), export=False)
    x = np.ones(3, np.float32)
    out, t = bc.jvp(twice, (x,), (x,))
    assert out.dtype == np.float32 and t.dtype == np.float32
    np.testing.assert_array_equal(t, [2.0, 2.0, 2.0])
    (g,) = bc.vjp(twice, x)[1](x)
    assert g.dtype == np.float32
