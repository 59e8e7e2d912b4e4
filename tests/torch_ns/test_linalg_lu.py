"""torch.linalg.lu / lu_factor / lu_solve and torch.lu_unpack against PyTorch 2.13: values, pivots,
gradients, batches."""
import numpy as np
import pytest
import torch

import backchain.torch as bt

RNG = np.random.default_rng(0)


def _grads(T, a, fn, w):
    x = T.tensor(a, requires_grad=True)
    outs = fn(T, x)
    loss = sum((o * T.tensor(wi)).sum() for o, wi in zip(outs, w))
    loss.backward()
    return [o.detach().numpy() for o in outs], x.grad.numpy()


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)], ids=str)
def test_lu_matches_torch(shape):
    a = RNG.standard_normal(shape)
    w = [RNG.standard_normal(o.shape) for o in torch.linalg.lu(torch.tensor(a))]
    want = _grads(torch, a, lambda T, x: T.linalg.lu(x), w)
    got = _grads(bt, a, lambda T, x: bt.linalg.lu(x), w)
    for g, t in zip(got[0], want[0]):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-12)
    assert type(bt.linalg.lu(bt.tensor(a)).P) is bt.Tensor


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (2, 3, 3)], ids=str)
def test_lu_factor_and_unpack_match_torch(shape):
    a = RNG.standard_normal(shape)
    w = [RNG.standard_normal(torch.linalg.lu_factor(torch.tensor(a)).LU.shape)]
    want = _grads(torch, a, lambda T, x: [T.linalg.lu_factor(x).LU], w)
    got = _grads(bt, a, lambda T, x: [T.linalg.lu_factor(x).LU], w)
    np.testing.assert_allclose(got[0][0], want[0][0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-12)
    tp, bp = torch.linalg.lu_factor(torch.tensor(a)).pivots, bt.linalg.lu_factor(bt.tensor(a)).pivots
    assert bp.dtype == bt.int32 and bp.tolist() == tp.tolist()
    for T in (torch, bt):
        f, piv = T.linalg.lu_factor(T.tensor(a))
        P, L, U = T.lu_unpack(f, piv)
        if T is torch:
            want_plu = [t.numpy() for t in (P, L, U)]
        else:
            for g, t in zip((P, L, U), want_plu):
                np.testing.assert_allclose(g.numpy(), t, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("left, adjoint", [(True, False), (False, False), (True, True), (False, True)])
def test_lu_solve_matches_torch(left, adjoint):
    a = RNG.standard_normal((3, 3))
    b = RNG.standard_normal((3, 2) if left else (2, 3))
    out = {}
    for T in (torch, bt):
        x, y = T.tensor(a, requires_grad=True), T.tensor(b, requires_grad=True)
        f, piv = T.linalg.lu_factor(x)
        s = T.linalg.lu_solve(f, piv, y, left=left, adjoint=adjoint)
        (s * T.tensor(np.arange(s.numel()).reshape(tuple(s.shape)) * 0.1)).sum().backward()
        out[T] = s.detach().numpy(), x.grad.numpy(), y.grad.numpy()
    for g, t in zip(out[bt], out[torch]):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


def test_lu_without_pivoting_is_refused_as_on_torch_cpu():
    for T in (torch, bt):
        with pytest.raises(RuntimeError, match="LU without pivoting is not implemented on the CPU"):
            T.linalg.lu(T.eye(2), pivot=False)
