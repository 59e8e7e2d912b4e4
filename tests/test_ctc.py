"""``F.ctc_loss`` / ``nn.CTCLoss`` against PyTorch 2.13 (values, gradients through ``log_softmax``,
dtypes, impossible alignments, errors) and against finite differences in float64."""
import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.nn.functional as F
import backchain.torch as bt
from tests.gradcheck import check_first_order, check_second_order

TF = torch.nn.functional


def _case(T, N, C, S, seed, dtype=np.float64, short=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, N, C)).astype(dtype)
    tl = rng.integers(0 if short else 1, S + 1, N)
    tg = rng.integers(1, C, (N, S))
    # at least as many frames as labels plus the blanks that separate repeats
    need = np.array([tl[i] + np.sum(tg[i, 1:tl[i]] == tg[i, :max(tl[i] - 1, 0)]) for i in range(N)])
    il = np.array([rng.integers(min(T, max(need[i], 1)), T + 1) for i in range(N)])
    return x, tg, il, tl


def _torch(x, tg, il, tl, concat=False, **kw):
    xt = torch.tensor(x, requires_grad=True)
    targets = torch.tensor(np.concatenate([tg[i, :tl[i]] for i in range(len(tl))]) if concat else tg)
    loss = TF.ctc_loss(xt.log_softmax(2), targets, torch.tensor(il), torch.tensor(tl), **kw)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


def _ours(x, tg, il, tl, concat=False, **kw):
    xb = bc.tensor(x, requires_grad=True)
    targets = np.concatenate([tg[i, :tl[i]] for i in range(len(tl))]) if concat else tg
    loss = F.ctc_loss(F.log_softmax(xb, 2), targets, il, tl, **kw)
    bnp.sum(loss).backward()
    return loss.data, xb.grad


@pytest.mark.parametrize("shape", [(6, 2, 4, 3), (12, 4, 6, 5), (30, 3, 10, 8), (1, 2, 3, 1)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("concat", [False, True])
def test_values_and_gradients_match_torch(shape, reduction, concat):
    x, tg, il, tl = _case(*shape, seed=sum(shape))
    lt, gt = _torch(x, tg, il, tl, concat, reduction=reduction)
    lb, gb = _ours(x, tg, il, tl, concat, reduction=reduction)
    assert lb.shape == lt.shape and lb.dtype == np.float64
    np.testing.assert_allclose(lb, lt, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb, gt, rtol=1e-10, atol=1e-12)


def test_repeated_labels_need_a_blank_between():
    # "1 1" needs three frames (1, blank, 1); with two frames it is impossible, "1 2" is not
    x = np.log(np.full((2, 2, 3), 1 / 3))
    tg = np.array([[1, 1], [1, 2]])
    lb = F.ctc_loss(x, tg, [2, 2], [2, 2], reduction="none")
    lt = TF.ctc_loss(torch.tensor(x), torch.tensor(tg), torch.tensor([2, 2]), torch.tensor([2, 2]),
                     reduction="none").numpy()
    assert np.isinf(lb[0]) and lb[0] > 0
    np.testing.assert_allclose(lb, lt)
    np.testing.assert_allclose(lb[1], -np.log(1 / 9))
    # three frames, target "1 1": the only alignment is 1, blank, 1
    x3 = np.log(np.full((3, 1, 3), 1 / 3))
    np.testing.assert_allclose(F.ctc_loss(x3, np.array([[1, 1]]), [3], [2], reduction="sum"), 3 * np.log(3))


def test_hand_computed_value():
    # two classes, three frames, uniform: 6 of the 8 paths collapse to "1"
    lp = np.log(np.full((3, 1, 2), 0.5))
    np.testing.assert_allclose(F.ctc_loss(lp, np.array([[1]]), [3], [1], reduction="sum"), -np.log(6 / 8))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_impossible_alignment_is_inf_with_finite_gradients(reduction):
    x, tg, il, tl = _case(8, 3, 5, 4, seed=3, short=False)
    tl[0], il[0] = 4, 2                      # four labels in two frames
    xb = bc.tensor(x, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(xb, 2), tg, il, tl, reduction=reduction)
    assert np.isinf(np.asarray(loss.data)).any()
    bnp.sum(loss).backward()
    assert np.isfinite(xb.grad).all()
    np.testing.assert_array_equal(xb.grad[:, 0], 0.0)
    # the other samples' gradients are torch's (torch's are NaN for the impossible one)
    lt, gt = _torch(x, tg, il, tl, reduction=reduction)
    np.testing.assert_allclose(loss.data, lt)
    np.testing.assert_allclose(xb.grad[:, 1:], gt[:, 1:], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_zero_infinity_matches_torch(reduction):
    x, tg, il, tl = _case(8, 3, 5, 4, seed=4, short=False)
    tl[1], il[1] = 4, 3
    lt, gt = _torch(x, tg, il, tl, reduction=reduction, zero_infinity=True)
    lb, gb = _ours(x, tg, il, tl, reduction=reduction, zero_infinity=True)
    assert np.isfinite(lb).all() and np.isfinite(gb).all()
    np.testing.assert_allclose(lb, lt, rtol=1e-12)
    np.testing.assert_allclose(gb, gt, rtol=1e-10, atol=1e-12)


def test_empty_targets_and_zero_length_inputs():
    x = np.random.default_rng(5).standard_normal((4, 3, 3))
    tg, il, tl = np.array([[1, 2], [0, 0], [2, 0]]), np.array([4, 3, 0]), np.array([2, 0, 0])
    lt, gt = _torch(x, tg, il, tl, reduction="sum")
    lb, gb = _ours(x, tg, il, tl, reduction="sum")
    np.testing.assert_allclose(lb, lt, rtol=1e-12)
    np.testing.assert_allclose(gb, gt, rtol=1e-10, atol=1e-12)
    # no frame and a label: impossible
    lb = F.ctc_loss(F.log_softmax(x, 2), tg, [4, 3, 0], [2, 0, 1], reduction="none")
    assert np.isinf(lb[2])


def test_padding_past_target_lengths_is_ignored():
    x, tg, il, tl = _case(7, 3, 5, 4, seed=6)
    junk = tg.copy()
    for i in range(3):
        junk[i, tl[i]:] = 99          # out of range, but past the length
    np.testing.assert_allclose(F.ctc_loss(x, junk, il, tl, reduction="none"),
                               F.ctc_loss(x, tg, il, tl, reduction="none"))


def test_other_blank_index():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 2, 5))
    tg = np.array([[0, 1, 1], [2, 3, 0]])
    il, tl = np.array([9, 8]), np.array([3, 2])
    lt, gt = _torch(x, tg, il, tl, blank=4)
    lb, gb = _ours(x, tg, il, tl, blank=4)
    np.testing.assert_allclose(lb, lt, rtol=1e-12)
    np.testing.assert_allclose(gb, gt, rtol=1e-10, atol=1e-12)


def test_unbatched_input():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((6, 4))
    tg = np.array([1, 3, 3])
    for reduction in ("none", "mean", "sum"):
        xt = torch.tensor(x, requires_grad=True)
        lt = TF.ctc_loss(xt.log_softmax(1), torch.tensor(tg), torch.tensor(6), torch.tensor(3), reduction=reduction)
        lt.backward()
        xb = bc.tensor(x, requires_grad=True)
        lb = F.ctc_loss(F.log_softmax(xb, 1), tg, 6, 3, reduction=reduction)
        lb.backward()
        assert np.shape(lb.data) == tuple(lt.shape) == ()
        np.testing.assert_allclose(lb.data, lt.item(), rtol=1e-12)
        np.testing.assert_allclose(xb.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_keeps_its_dtype_and_matches_torch():
    x, tg, il, tl = _case(20, 4, 8, 6, seed=9, dtype=np.float32)
    lt, gt = _torch(x, tg, il, tl)
    lb, gb = _ours(x, tg, il, tl)
    assert lb.dtype == np.float32 and gb.dtype == np.float32
    np.testing.assert_allclose(lb, lt, rtol=1e-5)
    np.testing.assert_allclose(gb, gt, rtol=1e-4, atol=1e-6)


def test_gradient_with_respect_to_log_probs_is_exact():
    # the derivative with respect to log_probs themselves (finite differences); PyTorch's adds exp(log_probs),
    # which cancels through log_softmax
    x, tg, il, tl = _case(5, 2, 4, 2, seed=10, short=False)
    lp = np.asarray(F.log_softmax(x, 2))
    for reduction in ("mean", "sum"):
        f = lambda a: F.ctc_loss(a, tg, il, tl, reduction=reduction)  # noqa: E731
        check_first_order(f, (lp,), np.random.default_rng(0))
        g = bc.grad(f)(lp)
        lpt = torch.tensor(lp, requires_grad=True)
        TF.ctc_loss(lpt, torch.tensor(tg), torch.tensor(il), torch.tensor(tl), reduction=reduction).backward()
        mask = (np.arange(5)[:, None] < il)[..., None]
        scale = 1.0 / np.maximum(tl, 1) / len(tl) if reduction == "mean" else np.ones(len(tl))
        np.testing.assert_allclose(g, lpt.grad.numpy() - mask * np.exp(lp) * scale[:, None], rtol=1e-10,
                                   atol=1e-12)


def test_second_order():
    x, tg, il, tl = _case(4, 2, 3, 2, seed=11, short=False)
    check_second_order(lambda a: F.ctc_loss(F.log_softmax(a, 2), tg, il, tl), (x,), np.random.default_rng(1))


def test_module_and_torch_namespace():
    x, tg, il, tl = _case(10, 3, 6, 4, seed=12, dtype=np.float32)
    layer = bc.nn.CTCLoss(blank=0, reduction="sum")
    assert repr(layer) == "CTCLoss(blank=0, reduction='sum', zero_infinity=False)"
    np.testing.assert_allclose(layer(F.log_softmax(x, 2), tg, il, tl), _torch(x, tg, il, tl, reduction="sum")[0],
                               rtol=1e-6)
    xt = bt.tensor(x, requires_grad=True)
    for reduction, node in (("mean", "MeanBackward0"), ("none", "CtcLossBackward0")):
        loss = bt.nn.CTCLoss(reduction=reduction)(xt.log_softmax(2), bt.tensor(tg), bt.tensor(il), bt.tensor(tl))
        assert isinstance(loss, bt.Tensor) and loss.dtype == bt.float32
        assert loss.grad_fn.name() == node
        ref = torch.nn.CTCLoss(reduction=reduction)(torch.tensor(x).log_softmax(2), torch.tensor(tg),
                                                     torch.tensor(il), torch.tensor(tl))
        np.testing.assert_allclose(loss.detach().numpy(), ref.numpy(), rtol=1e-6)
    loss = bt.nn.functional.ctc_loss(xt.log_softmax(2), bt.tensor(tg), bt.tensor(il), bt.tensor(tl))
    loss.backward()
    assert xt.grad.dtype == bt.float32 and xt.grad.shape == x.shape


@pytest.mark.parametrize("call, match", [
    (lambda x: F.ctc_loss(x[0, 0], np.array([[1]]), [3], [1]), r"log_probs must be \(T, N, C\) or \(T, C\)"),
    (lambda x: F.ctc_loss(x, np.array([[1, 2]]), [3, 3], [1, 1]), "first dimension"),
    (lambda x: F.ctc_loss(x, np.array([[1], [2]]), [4, 3], [1, 1]), r"input_lengths \[4, 3\] must lie in \[0, 3\]"),
    (lambda x: F.ctc_loss(x, np.array([[1], [5]]), [3, 3], [1, 1]), r"labels must lie in \[0, 4\)"),
    (lambda x: F.ctc_loss(x, np.array([[1], [2]]), [3, 3], [2, 1]), "exceed the 1 columns"),
    (lambda x: F.ctc_loss(x, np.array([1, 2, 3]), [3, 3], [1, 1]), "hold 3 labels but target_lengths sum to 2"),
    (lambda x: F.ctc_loss(x, np.array([[1], [2]]), [3, 3], [1, 1], reduction="avg"), "reduction must be"),
    (lambda x: F.ctc_loss(x, np.array([[1], [2]]), [3, 3], [1, 1], blank=4), r"blank=4 must be a class index"),
    (lambda x: F.ctc_loss(x, np.array([[1.0], [2.0]]), [3, 3], [1, 1]), "targets must be integer"),
    (lambda x: F.ctc_loss(x, np.array([[1], [2]]), [3, 3, 3], [1, 1]), "one length per batch element"),
])
def test_errors(call, match):
    x = np.log(np.full((3, 2, 4), 0.25))
    with pytest.raises((ValueError, TypeError), match=match):
        call(x)
