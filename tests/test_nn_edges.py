"""The edges of networks, optimizers and checkpoints (issue #16, section 6), against PyTorch where it has
a counterpart: losses with every target ignored, Embedding's index checks, optimizers on complex parameters,
state_dict with shared submodules, functional_call, MultiheadAttention's mask checks."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# -- losses with every target ignored ------------------------------------------------------------

def _ignored_case(loss, reduction, weighted, smoothing, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    if loss == "nll_loss":
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    t = np.full(shape[:1] + shape[2:], -100)
    w = np.array([1.0, 2.0, 0.5]) if weighted else None
    kw = dict(weight=w, reduction=reduction)
    if loss == "cross_entropy":
        kw["label_smoothing"] = smoothing
    return x, t, kw


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
@pytest.mark.parametrize("loss,smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.2), ("nll_loss", 0.0)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_target_ignored_matches_torch(loss, reduction, weighted, smoothing, shape):
    x, t, kw = _ignored_case(loss, reduction, weighted, smoothing, shape)
    xb = bc.tensor(x, requires_grad=True)
    out = getattr(F, loss)(xb, t, **kw)
    bnp_sum = out.sum() if reduction == "none" else out
    bnp_sum.backward()
    xt = torch.tensor(x, requires_grad=True)
    tkw = dict(kw, weight=None if kw["weight"] is None else torch.tensor(kw["weight"]))
    tout = getattr(TF, loss)(xt, torch.tensor(t), **tkw)
    tout.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())  # NaN for 'mean', like torch
    assert out.dtype == np.float64
    np.testing.assert_array_equal(xb.grad, xt.grad.numpy())
    np.testing.assert_array_equal(xb.grad, np.zeros(shape))


def test_every_target_ignored_keeps_float32_and_training_finite():
    lin = nn.Linear(3, 3)
    opt = bc.optim.SGD(lin.parameters(), lr=0.1)
    x = np.ones((2, 3), np.float32)
    loss = F.cross_entropy(lin(x), np.array([-1, -1]), ignore_index=-1)
    assert loss.dtype == np.float32 and np.isnan(loss.item())
    loss.backward()
    opt.step()
    for p in lin.parameters():
        assert np.all(np.isfinite(p.data)), "a batch with every target ignored turned the parameters NaN"
        np.testing.assert_array_equal(p.grad, 0)


def test_partly_ignored_mean_still_matches_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4))
    t = np.array([1, -100, 3, -100, 0])
    for kw in (dict(), dict(label_smoothing=0.1), dict(weight=np.array([1.0, 0.5, 2.0, 3.0]))):
        xb = bc.tensor(x, requires_grad=True)
        F.cross_entropy(xb, t, **kw).backward()
        xt = torch.tensor(x, requires_grad=True)
        tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        TF.cross_entropy(xt, torch.tensor(t), **tkw).backward()
        np.testing.assert_allclose(xb.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(xb.grad[[1, 3]], 0)


# -- Embedding: indices in [0, num_embeddings), as in PyTorch --------------------------------------

@pytest.mark.parametrize("bad", [-1, -5, 5, 7])
def test_embedding_refuses_out_of_range_indices_like_torch(bad):
    emb = nn.Embedding(5, 2)
    idx = np.array([[0, 1], [bad, 2]])
    with pytest.raises(IndexError, match="index out of range"):
        torch.nn.Embedding(5, 2)(torch.tensor(idx))
    with pytest.raises(IndexError) as err:
        emb(idx)
    msg = str(err.value)
    for part in ("Embedding", f"index {bad} ", "position (1, 0)", "num_embeddings=5", "[0, 5)"):
        assert part in msg, (part, msg)
    with pytest.raises(IndexError, match="num_embeddings=5"):
        F.embedding(idx, np.zeros((5, 2)))


def test_embedding_negative_padding_idx_matches_torch():
    w = np.random.default_rng(2).standard_normal((5, 2))
    idx = np.array([3, 1, 3, 4])
    emb = nn.Embedding(5, 2, padding_idx=-2)
    temb = torch.nn.Embedding(5, 2, padding_idx=-2)
    assert emb.padding_idx == temb.padding_idx == 3
    np.testing.assert_array_equal(emb.weight.data[3], 0)
    wb = bc.tensor(w, requires_grad=True)
    F.embedding(idx, wb, padding_idx=-2).sum().backward()
    wt = torch.tensor(w, requires_grad=True)
    TF.embedding(torch.tensor(idx), wt, padding_idx=-2).sum().backward()
    np.testing.assert_array_equal(wb.grad, wt.grad.numpy())
    np.testing.assert_array_equal(wb.grad[3], 0)
    for bad in (5, -6):
        with pytest.raises(AssertionError):
            TF.embedding(torch.tensor(idx), wt, padding_idx=bad)
        with pytest.raises(ValueError, match=f"padding_idx={bad} must be in \\[-5, 5\\)"):
            F.embedding(idx, wb, padding_idx=bad)
        with pytest.raises(ValueError, match="padding_idx"):
            nn.Embedding(5, 2, padding_idx=bad)
