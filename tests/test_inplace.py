"""In-place Tensor operations: PyTorch semantics where they are sound, a clear error otherwise,
and never a silently wrong gradient from a saved value changed before backward."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

torch = pytest.importorskip("torch")

OPS = [("add_", lambda a, b: a + b), ("sub_", lambda a, b: a - b), ("mul_", lambda a, b: a * b),
       ("div_", lambda a, b: a / b)]


@pytest.mark.parametrize("name,f", OPS, ids=[o[0] for o in OPS])
def test_untraced_inplace_writes_into_the_buffer(name, f):
    x = bc.tensor([1.0, 2.0, 4.0])
    buf = x.data
    out = getattr(x, name)(bc.tensor([2.0, 2.0, 2.0]))
    assert out is x and x.data is buf
    np.testing.assert_array_equal(buf, f(np.array([1.0, 2.0, 4.0]), 2.0))


@pytest.mark.parametrize("name,f", OPS, ids=[o[0] for o in OPS])
def test_recorded_inplace_on_non_leaf_matches_torch(name, f):
    w0 = np.array([0.5, -1.5, 2.0])
    v0 = np.array([1.5, 0.25, -3.0])
    w, v = bc.tensor(w0, requires_grad=True), bc.tensor(v0, requires_grad=True)
    y = bnp.sin(w) * 2
    getattr(y, name)(v)
    (y * y).sum().backward()
    tw, tv = torch.tensor(w0, requires_grad=True), torch.tensor(v0, requires_grad=True)
    ty = torch.sin(tw) * 2
    getattr(ty, name)(tv)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(w.grad, tw.grad.numpy())
    np.testing.assert_allclose(v.grad, tv.grad.numpy())
    assert y.grad_fn is not None


def test_augmented_operators_are_inplace():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    y = w * 1.0
    ident = id(y)
    y += w
    y *= 3.0
    y -= 1.0
    y /= 2.0
    assert id(y) == ident
    y.sum().backward()
    np.testing.assert_allclose(w.grad, [3.0, 3.0])


def test_leaf_that_requires_grad_cannot_be_modified_under_grad_mode():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_(), lambda: w.fill_(1.0),
                 lambda: w.copy_(np.ones(2))):
        with pytest.raises(RuntimeError, match=r"float64\[2\]\) is a leaf that requires grad.*no_grad"):
            call()
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        w += 1.0
    with bc.no_grad():
        w.sub_(0.5)
    np.testing.assert_array_equal(w.data, [0.5, 1.5])


def test_recorded_inplace_op_keeps_the_old_value_for_the_graph():
    # exp saved h; a recorded h.mul_ keeps h's old value for exp's rule (PyTorch raises here)
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1.0
    y = bnp.exp(h)
    h.mul_(10.0)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, np.exp([1.0, 2.0]))
    np.testing.assert_array_equal(h.data, [10.0, 20.0])


def test_modifying_an_input_saved_by_a_graph_under_no_grad_raises_at_backward():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1.0
    y = bnp.sin(h)  # sin's rule reads h
    with bc.no_grad():
        h.mul_(10.0)
    with pytest.raises(bc.InplaceError, match=r"input 0 of 'sin' \(float64\[2\]\) was modified in place by mul_"):
        y.sum().backward()


def test_a_rule_that_reads_only_its_output_accepts_a_changed_input():
    # exp's rule reads its output, not its input: PyTorch accepts this too
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1.0
    y = bnp.exp(h)
    with bc.no_grad():
        h.mul_(10.0)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, np.exp([1.0, 2.0]))
    import torch
    tw = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    th = tw * 1.0
    ty = torch.exp(th)
    with torch.no_grad():
        th.mul_(10.0)
    ty.sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy())


def test_leaf_updated_between_forward_and_backward_is_detected():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    loss = (bnp.sin(w) * w).sum()
    with bc.no_grad():
        w.add_(1.0)
    with pytest.raises(bc.InplaceError, match=r"'sin'|'multiply'"):
        loss.backward()


def test_optimizer_step_before_backward_detected_after_backward_fine():
    # the second layer's weight is read by the rule that gives the first layer's gradient
    model = bc.nn.Sequential(bc.nn.Linear(3, 2), bc.nn.Linear(2, 2))
    opt = bc.optim.SGD(model.parameters(), lr=0.1)
    x = bc.tensor(np.ones((4, 3), np.float32))
    for _ in range(3):  # the normal order keeps working
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        opt.step()
    loss = (model(x) ** 2).mean()
    loss.backward(retain_graph=True)
    opt.step()  # changes the weights that the retained graph saved
    with pytest.raises(bc.InplaceError, match=r"SGD.step"):
        loss.backward()


def test_constant_modified_under_no_grad_is_detected():
    c = bc.tensor([2.0, 3.0])
    w = bc.tensor([1.0, 1.0], requires_grad=True)
    loss = (w * c).sum()
    c.fill_(100.0)
    with pytest.raises(bc.InplaceError, match="input 1 of 'multiply'.*fill_"):
        loss.backward()


def test_non_leaf_changed_under_no_grad_is_detected():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    y = bnp.exp(w)
    with bc.no_grad():
        y.mul_(2.0)
    with pytest.raises(bc.InplaceError, match="output of 'exp'.*mul_"):
        y.sum().backward()


def test_fill_zero_copy_recorded():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    s = bc.tensor([5.0, 6.0], requires_grad=True)
    y = w * 2
    y.copy_(s * 3)
    z = w * 1
    z.zero_()
    (y.sum() + z.sum() + (w * 1).fill_(2.0).sum()).backward()
    np.testing.assert_array_equal(s.grad, [3.0, 3.0])
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])  # every use of w was overwritten
    np.testing.assert_array_equal(y.data, [15.0, 18.0])


def test_dtype_and_shape_rules():
    x = bc.tensor([1, 2])
    with pytest.raises(TypeError, match=r"add_.*float64.*int64"):
        x.add_(0.5)
    x.add_(1)
    np.testing.assert_array_equal(x.data, [2, 3])
    y = bc.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"mul_.*shape \(2, 2\).*shape \(2,\)"):
        y.mul_(np.ones((2, 2)))
    f32 = bc.tensor(np.ones(2, np.float32))
    f32.add_(np.ones(2))  # float64 into float32: same kind, kept float32
    assert f32.dtype == np.float32


def test_total_plus_equals_loss_warns_once_with_the_fix(monkeypatch):
    from backchain._core import inplace

    monkeypatch.setattr(inplace, "_trap_warned", [False])  # once per process: reset for this test
    w = bc.tensor([1.0], requires_grad=True)
    total = 0.0
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(250):
            total += (w * 2).sum()
    trap = [r for r in rec if "total += loss" in str(r.message)]
    assert len(trap) == 1 and "loss.item()" in str(trap[0].message)
    logged = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(250):
            logged += (w * 2).sum().item()
    assert logged == 500.0


def test_zero_overhead_flag_false_until_first_inplace():
    import subprocess
    import sys

    code = ("import backchain as bc, backchain.numpy as bnp\n"
            "from backchain._core.versions import WRITES\n"
            "w = bc.tensor([1.0], requires_grad=True); (bnp.sin(w) * w).sum().backward()\n"
            "assert not WRITES.used\n"
            "bc.tensor([1.0]).add_(1.0); assert WRITES.used\n")
    subprocess.run([sys.executable, "-c", code], check=True)
