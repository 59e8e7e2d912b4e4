"""Tensor.register_hook, against PyTorch: the hook sees a tensor's whole gradient and may replace it."""
import gc

import numpy as np
import pytest
import torch

import backchain as bc
import backchain.torch as bt
from backchain._core.engine import HOOKS


def _both(program):
    x = bc.tensor([1.0, -2.0, 0.5], requires_grad=True)
    tx = torch.tensor([1.0, -2.0, 0.5], requires_grad=True, dtype=torch.float64)
    program(x, bc, lambda g: g)
    program(tx, torch, lambda g: g.numpy())
    return x.grad, tx.grad.numpy()


@pytest.mark.parametrize("program", [
    lambda x, m, _: (lambda y: (y.register_hook(lambda g: g * 10), (y * y).sum().backward()))(x * 3),
    lambda x, m, _: (x.register_hook(lambda g: g + 1), (x * 2).sum().backward()),
    lambda x, m, _: (lambda y: (y.register_hook(lambda g: None), y.register_hook(lambda g: g * -1),
                                (y.exp() + y).sum().backward()))(x * x),  # two hooks, in order; None keeps it
])
def test_hooks_replace_the_gradient_as_in_torch(program):
    got, want = _both(program)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_hook_sees_the_sum_over_every_path_and_can_be_removed():
    seen = []
    x = bc.tensor([2.0], requires_grad=True)
    y = x * 3
    handle = y.register_hook(lambda g: seen.append(np.array(g)))
    z = (y * y + y).sum()  # two paths through y: dz/dy = 2y + 1 = 13
    z.backward(retain_graph=True)
    assert [s.tolist() for s in seen] == [[13.0]]
    handle.remove()
    z.backward()
    assert len(seen) == 1 and not HOOKS


def test_hooks_die_with_their_tensor_and_refuse_bad_input():
    x = bc.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: g)
    del x
    gc.collect()
    assert not HOOKS
    with pytest.raises(RuntimeError, match="does not require grad"):
        bc.tensor([1.0]).register_hook(lambda g: g)
    y = bc.tensor([1.0, 2.0], requires_grad=True)
    y.register_hook(lambda g: g[:1])
    with pytest.raises(ValueError, match=r"register_hook: a hook returned shape \(1,\) for a gradient of shape \(2,\)"):
        (y * 2).sum().backward()


def test_torch_namespace_hooks_get_torch_tensors():
    x = bt.tensor([1.0, 2.0], requires_grad=True)
    kinds = []
    y = x * 2
    y.register_hook(lambda g: (kinds.append(type(g).__name__), g * 3)[1])
    y.sum().backward()
    assert kinds == ["Tensor"] and type(x.grad) is bt.Tensor
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
