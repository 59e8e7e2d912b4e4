"""Every layer and loss against PyTorch on copied weights and inputs (float64): forward values, input
gradients, every parameter gradient, running statistics, and state_dict key names."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12


def _rand(rng, shape, scale=2.0):
    return rng.uniform(-scale, scale, size=shape)


def _copy_weights(m, tm):
    """Copy backchain's state into torch by name: also asserts the keys are identical."""
    sd = {k: torch.tensor(np.array(v)) for k, v in m.state_dict().items()}
    assert list(sd) == list(tm.state_dict()), f"state_dict keys differ: {list(sd)} vs {list(tm.state_dict())}"
    tm.load_state_dict(sd)


def compare_module(m, tm, inputs, passes=1, train=True, int_inputs=(), grad_rtol=1e-9):
    """Run both modules ``passes`` times on ``inputs``; compare outputs, gradients and buffers."""
    m.double()
    tm.double()
    _copy_weights(m, tm)
    m.train(train)
    tm.train(train)
    rng = np.random.default_rng(5)
    for _ in range(passes):
        xs = [bc.tensor(x, requires_grad=i not in int_inputs) for i, x in enumerate(inputs)]
        txs = [torch.tensor(x, requires_grad=i not in int_inputs) for i, x in enumerate(inputs)]
        m.zero_grad()
        tm.zero_grad()
        out = m(*xs)
        tout = tm(*txs)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="forward")
        u = rng.standard_normal(out.shape)
        if out.requires_grad:
            (out * u).sum().backward()
        if tout.requires_grad:
            (tout * torch.tensor(u)).sum().backward()
        for i, (x, tx) in enumerate(zip(xs, txs)):
            if i in int_inputs:
                continue
            g = np.zeros(x.shape) if x.grad is None else x.grad
            tg = np.zeros(x.shape) if tx.grad is None else tx.grad.numpy()
            np.testing.assert_allclose(g, tg, rtol=grad_rtol, atol=1e-11, err_msg=f"gradient of input {i}")
        tparams = dict(tm.named_parameters())
        names = [k for k, _ in m.named_parameters()]
        assert names == list(tparams), f"parameter names differ: {names} vs {list(tparams)}"
        for name, p in m.named_parameters():
            tp = tparams[name]
            g = np.zeros(p.shape) if p.grad is None else p.grad
            tg = np.zeros(p.shape) if tp.grad is None else tp.grad.numpy()
            np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-11, err_msg=f"gradient of {name}")
        tbufs = dict(tm.named_buffers())
        for name, b in m.named_buffers():
            np.testing.assert_allclose(np.asarray(b.data), tbufs[name].numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"buffer {name}")


R = np.random.default_rng(0)
LAYERS = [
    ("linear", lambda: nn.Linear(3, 4), lambda: tnn.Linear(3, 4), [(5, 3)]),
    ("linear_3d", lambda: nn.Linear(3, 4), lambda: tnn.Linear(3, 4), [(2, 5, 3)]),
    ("linear_1d", lambda: nn.Linear(3, 4), lambda: tnn.Linear(3, 4), [(3,)]),
    ("linear_nobias", lambda: nn.Linear(3, 4, bias=False), lambda: tnn.Linear(3, 4, bias=False), [(5, 3)]),
    ("bilinear", lambda: nn.Bilinear(3, 2, 4), lambda: tnn.Bilinear(3, 2, 4), [(5, 3), (5, 2)]),
    ("dense", lambda: nn.Dense(3, 4, activation="tanh"), lambda: tnn.Linear(3, 4), None),
    ("identity", lambda: nn.Identity(), lambda: tnn.Identity(), [(4, 3)]),
    ("flatten", lambda: nn.Flatten(), lambda: tnn.Flatten(), [(2, 3, 4)]),
    ("flatten_0_1", lambda: nn.Flatten(0, 1), lambda: tnn.Flatten(0, 1), [(2, 3, 4)]),
    ("unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: tnn.Unflatten(1, (2, 3)), [(4, 6)]),
    ("layernorm", lambda: nn.LayerNorm(5), lambda: tnn.LayerNorm(5), [(3, 5)]),
    ("layernorm_2d", lambda: nn.LayerNorm((4, 5)), lambda: tnn.LayerNorm((4, 5)), [(2, 4, 5)]),
    ("layernorm_nobias", lambda: nn.LayerNorm(5, bias=False), lambda: tnn.LayerNorm(5, bias=False), [(3, 5)]),
    ("layernorm_noaffine", lambda: nn.LayerNorm(5, elementwise_affine=False),
     lambda: tnn.LayerNorm(5, elementwise_affine=False), [(3, 5)]),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), lambda: tnn.GroupNorm(2, 4), [(3, 4, 5)]),
    ("groupnorm_4d", lambda: nn.GroupNorm(3, 6), lambda: tnn.GroupNorm(3, 6), [(2, 6, 3, 2)]),
    ("rmsnorm", lambda: nn.RMSNorm(5), lambda: tnn.RMSNorm(5), [(3, 5)]),
    ("rmsnorm_eps", lambda: nn.RMSNorm((2, 5), eps=1e-3), lambda: tnn.RMSNorm((2, 5), eps=1e-3), [(3, 2, 5)]),
    ("relu", lambda: nn.ReLU(), lambda: tnn.ReLU(), [(4, 5)]),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2), [(4, 5)]),
    ("prelu", lambda: nn.PReLU(), lambda: tnn.PReLU(), [(4, 5)]),
    ("prelu_channels", lambda: nn.PReLU(4, init=0.1), lambda: tnn.PReLU(4, init=0.1), [(5, 4, 3)]),
    ("elu", lambda: nn.ELU(0.5), lambda: tnn.ELU(0.5), [(4, 5)]),
    ("selu", lambda: nn.SELU(), lambda: tnn.SELU(), [(4, 5)]),
    ("celu", lambda: nn.CELU(0.7), lambda: tnn.CELU(0.7), [(4, 5)]),
    ("gelu", lambda: nn.GELU(), lambda: tnn.GELU(), [(4, 5)]),
    ("gelu_tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh"), [(4, 5)]),
    ("silu", lambda: nn.SiLU(), lambda: tnn.SiLU(), [(4, 5)]),
    ("mish", lambda: nn.Mish(), lambda: tnn.Mish(), [(4, 5)]),
    ("softplus", lambda: nn.Softplus(), lambda: tnn.Softplus(), [(4, 5)]),
    ("softplus_beta_threshold", lambda: nn.Softplus(2.0, 3.0), lambda: tnn.Softplus(2.0, 3.0), [(4, 5)]),
    ("softsign", lambda: nn.Softsign(), lambda: tnn.Softsign(), [(4, 5)]),
    ("tanh", lambda: nn.Tanh(), lambda: tnn.Tanh(), [(4, 5)]),
    ("sigmoid", lambda: nn.Sigmoid(), lambda: tnn.Sigmoid(), [(4, 5)]),
    ("logsigmoid", lambda: nn.LogSigmoid(), lambda: tnn.LogSigmoid(), [(4, 5)]),
    ("hardtanh", lambda: nn.Hardtanh(-0.5, 0.8), lambda: tnn.Hardtanh(-0.5, 0.8), [(4, 5)]),
    ("relu6", lambda: nn.ReLU6(), lambda: tnn.ReLU6(), [(4, 5)]),
    ("hardsigmoid", lambda: nn.Hardsigmoid(), lambda: tnn.Hardsigmoid(), [(4, 5)]),
    ("hardswish", lambda: nn.Hardswish(), lambda: tnn.Hardswish(), [(4, 5)]),
    ("softmax", lambda: nn.Softmax(dim=1), lambda: tnn.Softmax(dim=1), [(4, 5)]),
    ("softmax_implicit_dim", lambda: nn.Softmax(), lambda: tnn.Softmax(), [(4, 5, 2)]),
    ("log_softmax", lambda: nn.LogSoftmax(dim=-1), lambda: tnn.LogSoftmax(dim=-1), [(4, 5)]),
]


@pytest.mark.parametrize("name,make,tmake,shapes", [c for c in LAYERS if c[3] is not None],
                         ids=[c[0] for c in LAYERS if c[3] is not None])
def test_layer_matches_torch(name, make, tmake, shapes):
    rng = np.random.default_rng(1)
    scale = 8.0 if name.startswith(("hard", "relu6", "softplus")) else 3.0
    inputs = [_rand(rng, s, scale) for s in shapes]
    # torch's CELU and Hardsigmoid backward round 1/alpha and 1/6 to float32 (relative error ~1e-8); ours is exact (see the gradchecks)
    compare_module(make(), tmake(), inputs, passes=2, grad_rtol=1e-7 if name in ("celu", "hardsigmoid") else 1e-9)


def test_dense_is_linear_then_activation():
    rng = np.random.default_rng(2)
    m = nn.Dense(3, 4, activation="tanh")
    tm = tnn.Sequential()  # same weights, then tanh
    lin = tnn.Linear(3, 4).double()
    m.double()
    lin.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})
    x = _rand(rng, (5, 3))
    np.testing.assert_allclose(m(x).data, torch.tanh(lin(torch.tensor(x))).detach().numpy(), rtol=1e-12)
    del tm


BN = [
    ("bn1d", lambda: nn.BatchNorm1d(4), lambda: tnn.BatchNorm1d(4), (8, 4)),
    ("bn1d_3d", lambda: nn.BatchNorm1d(4), lambda: tnn.BatchNorm1d(4), (6, 4, 5)),
    ("bn1d_momentum_none", lambda: nn.BatchNorm1d(4, momentum=None), lambda: tnn.BatchNorm1d(4, momentum=None),
     (8, 4)),
    ("bn1d_momentum_0.3", lambda: nn.BatchNorm1d(4, momentum=0.3), lambda: tnn.BatchNorm1d(4, momentum=0.3), (8, 4)),
    ("bn1d_no_affine", lambda: nn.BatchNorm1d(4, affine=False), lambda: tnn.BatchNorm1d(4, affine=False), (8, 4)),
    ("bn1d_no_stats", lambda: nn.BatchNorm1d(4, track_running_stats=False),
     lambda: tnn.BatchNorm1d(4, track_running_stats=False), (8, 4)),
    ("bn2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 5, 5)),
    ("bn2d_eps", lambda: nn.BatchNorm2d(3, eps=1e-2), lambda: tnn.BatchNorm2d(3, eps=1e-2), (2, 3, 4, 3)),
]


@pytest.mark.parametrize("name,make,tmake,shape", BN, ids=[c[0] for c in BN])
def test_batchnorm_matches_torch_train_then_eval(name, make, tmake, shape):
    rng = np.random.default_rng(3)
    m, tm = make(), tmake()
    # non-trivial affine parameters
    for p in m.parameters():
        p.data[...] = rng.uniform(0.5, 1.5, p.shape)
    x = _rand(rng, shape) + 1.0
    compare_module(m, tm, [x], passes=3, train=True)  # running statistics updated three times
    x2 = _rand(rng, shape)
    m.eval()
    tm.eval()
    xs, txs = bc.tensor(x2, requires_grad=True), torch.tensor(x2, requires_grad=True)
    m.zero_grad()
    tm.zero_grad()
    out, tout = m(xs), tm(txs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(xs.grad, txs.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (k, p), (tk, tp) in zip(m.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)
    for (k, b), (tk, tb) in zip(m.named_buffers(), tm.named_buffers()):
        np.testing.assert_allclose(np.asarray(b.data), tb.numpy(), rtol=1e-12, err_msg=k)


EMB = [
    ("plain", dict()),
    ("padding_idx", dict(padding_idx=2)),
    ("negative_padding_idx", dict(padding_idx=-1)),
    ("max_norm", dict(max_norm=1.0)),
    ("scale_grad_by_freq", dict(scale_grad_by_freq=True)),
]


@pytest.mark.parametrize("name,kw", EMB, ids=[c[0] for c in EMB])
def test_embedding_matches_torch(name, kw):
    idx = np.array([[1, 2, 4, 2], [9, 2, 1, 0]])
    m, tm = nn.Embedding(10, 3, **kw), tnn.Embedding(10, 3, **kw)
    m.weight.data *= 2.0  # some rows above max_norm
    m.double()
    tm.double()
    _copy_weights(m, tm)
    out = m(idx)
    tout = tm(torch.tensor(idx))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    u = np.random.default_rng(0).standard_normal(out.shape)
    (out * u).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(m.weight.grad, tm.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.weight.data, tm.weight.detach().numpy(), rtol=1e-6)  # max_norm renormalised


def test_dropout_eval_and_p0_match_torch():
    x = _rand(np.random.default_rng(0), (4, 5))
    compare_module(nn.Dropout(0.3), tnn.Dropout(0.3), [x], train=False)
    compare_module(nn.Dropout(0.0), tnn.Dropout(0.0), [x], train=True)


# -- losses -----------------------------------------------------------------------------------

def _both(fn, tfn, args, targs, diff, kwargs, tkwargs=None, skip=None):
    """Compare ``fn(*args)`` with ``tfn(*targs)`` and the gradients of the arguments listed in ``diff``."""
    tkwargs = kwargs if tkwargs is None else tkwargs
    xs = [bc.tensor(a, requires_grad=i in diff) if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]
    txs = [torch.tensor(a, requires_grad=i in diff) if isinstance(a, np.ndarray) else a for i, a in enumerate(targs)]
    out = fn(*xs, **kwargs)
    tout = tfn(*txs, **tkwargs)
    np.testing.assert_allclose(np.asarray(out.data), tout.detach().numpy(), rtol=1e-10, atol=1e-12,
                               err_msg="loss value")
    u = np.random.default_rng(0).standard_normal(np.shape(out.data))
    (out * u).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    for i in diff:
        g, tg = xs[i].grad, txs[i].grad.numpy()
        if skip is not None and i in skip:
            g, tg = g[~skip[i]], tg[~skip[i]]
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-12, err_msg=f"gradient of argument {i}")
    return xs


REDUCTIONS = ["mean", "sum", "none"]
rng0 = np.random.default_rng(7)
X = rng0.normal(size=(6, 4)) * 2
Y = rng0.normal(size=(6, 4)) * 2
P = rng0.uniform(0.05, 0.95, size=(6, 4))
T01 = rng0.uniform(0, 1, size=(6, 4))
W = rng0.uniform(0.5, 2.0, size=(6, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_match_torch(name, reduction):
    _both(getattr(F, name), getattr(TF, name), [X, Y], [X, Y], (0, 1), dict(reduction=reduction))


@pytest.mark.parametrize("beta", [0.5, 2.0, 0.0])
def test_smooth_l1_beta(beta):
    _both(F.smooth_l1_loss, TF.smooth_l1_loss, [X, Y], [X, Y], (0, 1), dict(beta=beta))


@pytest.mark.parametrize("delta", [0.5, 3.0])
def test_huber_delta(delta):
    _both(F.huber_loss, TF.huber_loss, [X, Y], [X, Y], (0, 1), dict(delta=delta))


CE_LOGITS = rng0.normal(size=(7, 5)) * 3
CE_TARGET = np.array([0, 4, 2, -100, 1, 2, 3])
CE_WEIGHT = rng0.uniform(0.2, 2.0, size=5)
CE_CASES = [
    ("plain", CE_LOGITS, np.array([0, 4, 2, 3, 1, 2, 3]), dict()),
    ("ignore_index", CE_LOGITS, CE_TARGET, dict()),
    ("ignore_index_custom", CE_LOGITS, np.array([0, 4, 2, 7, 1, 7, 3]), dict(ignore_index=7)),
    ("weight", CE_LOGITS, CE_TARGET, dict(weight=CE_WEIGHT)),
    ("label_smoothing", CE_LOGITS, CE_TARGET, dict(label_smoothing=0.1)),
    ("label_smoothing_weight", CE_LOGITS, CE_TARGET, dict(label_smoothing=0.2, weight=CE_WEIGHT)),
    ("spatial", rng0.normal(size=(3, 4, 2, 2)), rng0.integers(0, 4, size=(3, 2, 2)), dict(label_smoothing=0.1)),
    ("unbatched", rng0.normal(size=(5,)), np.array(3), dict()),
    ("large_logits", CE_LOGITS * 1000, CE_TARGET, dict()),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,logits,target,kw", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy_matches_torch(name, logits, target, kw, reduction):
    tkw = dict(kw)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"])
    _both(F.cross_entropy, TF.cross_entropy, [logits, target], [logits, torch.tensor(target)], (0,),
          dict(kw, reduction=reduction), dict(tkw, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.15), dict(weight=CE_WEIGHT)],
                         ids=["plain", "label_smoothing", "weight"])
def test_cross_entropy_probabilities_match_torch(kw, reduction):
    probs = np.exp(rng0.normal(size=(7, 5)))
    probs /= probs.sum(1, keepdims=True)
    tkw = dict(kw)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"])
    _both(F.cross_entropy, TF.cross_entropy, [CE_LOGITS, probs], [CE_LOGITS, probs], (0, 1),
          dict(kw, reduction=reduction), dict(tkw, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [dict(), dict(weight=CE_WEIGHT), dict(ignore_index=1)], ids=["plain", "weight", "ignore"])
def test_nll_loss_matches_torch(kw, reduction):
    logp = CE_LOGITS - np.log(np.exp(CE_LOGITS).sum(1, keepdims=True))
    target = np.array([0, 4, 2, 1, 1, 2, 3])
    tkw = dict(kw)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"])
    _both(F.nll_loss, TF.nll_loss, [logp, target], [logp, torch.tensor(target)], (0,),
          dict(kw, reduction=reduction), dict(tkw, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_matches_torch(reduction, weighted):
    kw = dict(reduction=reduction, weight=W if weighted else None)
    tkw = dict(reduction=reduction, weight=torch.tensor(W) if weighted else None)
    _both(F.binary_cross_entropy, TF.binary_cross_entropy, [P, T01], [P, T01], (0, 1), kw, tkw)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 1.0])
    assert float(F.binary_cross_entropy(p, t, reduction="sum")) == pytest.approx(
        float(TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction="sum")))


BCEL = [
    ("plain", dict()),
    ("pos_weight", dict(pos_weight=rng0.uniform(0.5, 3.0, size=4))),
    ("weight", dict(weight=W)),
    ("both", dict(weight=W, pos_weight=rng0.uniform(0.5, 3.0, size=4))),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", BCEL, ids=[c[0] for c in BCEL])
def test_bce_with_logits_matches_torch(name, kw, reduction):
    tkw = {k: torch.tensor(v) for k, v in kw.items()}
    _both(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, [X * 20, T01], [X * 20, T01],
          (0, 1), dict(kw, reduction=reduction), dict(tkw, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logq = X - np.log(np.exp(X).sum(1, keepdims=True))
    p = np.exp(Y) / np.exp(Y).sum(1, keepdims=True)
    p[0, 1] = 0.0  # a zero target contributes 0
    target = np.log(p + 1e-3) if log_target else p
    zero = np.zeros(p.shape, dtype=bool)
    if not log_target:
        zero[0, 1] = True
    xs = _both(F.kl_div, TF.kl_div, [logq, target], [logq, target], (0, 1),
               dict(reduction=reduction, log_target=log_target), skip={1: zero})
    if not log_target:
        # d/dt (t log t) at t = 0 is the one-sided limit -inf (PyTorch gives NaN)
        assert np.isinf(xs[1].grad[0, 1])


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity_matches_torch(dim):
    _both(F.cosine_similarity, TF.cosine_similarity, [X, Y], [X, Y], (0, 1), dict(dim=dim))


LOSS_MODULES = [
    (lambda: nn.CrossEntropyLoss(weight=CE_WEIGHT, ignore_index=-100, label_smoothing=0.1),
     lambda: tnn.CrossEntropyLoss(weight=torch.tensor(CE_WEIGHT), label_smoothing=0.1), CE_LOGITS, CE_TARGET),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=np.full(4, 2.0)),
     lambda: tnn.BCEWithLogitsLoss(pos_weight=torch.full((4,), 2.0, dtype=torch.float64)), X, T01),
    (lambda: nn.MSELoss(reduction="sum"), lambda: tnn.MSELoss(reduction="sum"), X, Y),
    (lambda: nn.KLDivLoss(reduction="batchmean"), lambda: tnn.KLDivLoss(reduction="batchmean"), X, T01),
    (lambda: nn.HuberLoss(delta=0.5), lambda: tnn.HuberLoss(delta=0.5), X, Y),
    (lambda: nn.SmoothL1Loss(beta=0.5), lambda: tnn.SmoothL1Loss(beta=0.5), X, Y),
    (lambda: nn.L1Loss(), lambda: tnn.L1Loss(), X, Y),
    (lambda: nn.NLLLoss(), lambda: tnn.NLLLoss(), X, np.array([0, 1, 2, 3, 0, 1])),
    (lambda: nn.BCELoss(), lambda: tnn.BCELoss(), P, T01),
]


@pytest.mark.parametrize("k", range(len(LOSS_MODULES)))
def test_loss_modules_match_torch(k):
    make, tmake, a, b = LOSS_MODULES[k]
    m, tm = make(), tmake()
    assert list(m.state_dict()) == list(tm.state_dict())
    tb = torch.tensor(b)
    _both(m, tm, [a, b], [a, tb], (0,), {})


def test_cosine_similarity_module():
    np.testing.assert_allclose(nn.CosineSimilarity(dim=0)(X, Y),
                               tnn.CosineSimilarity(dim=0)(torch.tensor(X), torch.tensor(Y)).numpy(), rtol=1e-12)


def test_state_dict_keys_of_a_network_equal_torch():
    m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1), nn.LayerNorm(8),
                      nn.Embedding(3, 2) if False else nn.Identity(), nn.PReLU(), nn.Linear(8, 3, bias=False))
    tm = tnn.Sequential(tnn.Linear(4, 8), tnn.BatchNorm1d(8), tnn.ReLU(), tnn.Dropout(0.1), tnn.LayerNorm(8),
                        tnn.Identity(), tnn.PReLU(), tnn.Linear(8, 3, bias=False))
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in tm.named_parameters()]
    assert [k for k, _ in m.named_buffers()] == [k for k, _ in tm.named_buffers()]
    assert [k for k, _ in m.named_modules()] == [k for k, _ in tm.named_modules()]
    # torch's weights load into backchain by name, and the outputs then agree
    sd = {k: v.numpy() for k, v in tm.state_dict().items()}
    m.load_state_dict(sd)
    m.eval()
    tm.eval()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    with bc.no_grad():
        np.testing.assert_allclose(m(x), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_torch_weights_load_into_nested_modules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3)])
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 1), "b": nn.BatchNorm1d(3)})

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.body = tnn.ModuleList([tnn.Linear(3, 3), tnn.Linear(3, 3)])
            self.heads = tnn.ModuleDict({"a": tnn.Linear(3, 1), "b": tnn.BatchNorm1d(3)})

    assert list(Net().state_dict()) == list(TNet().state_dict())


def test_default_initialisation_distribution_like_torch():
    bc.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    assert m.weight.dtype == np.float32 and m.bias.dtype == np.float32
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.weight.data).max() > 0.95 * bound
    assert np.abs(m.bias.data).max() <= bound
    np.testing.assert_allclose(m.weight.data.std(), bound / np.sqrt(3), rtol=0.02)
    e = nn.Embedding(1000, 50)
    np.testing.assert_allclose([e.weight.data.mean(), e.weight.data.std()], [0.0, 1.0], atol=0.02)
    b = nn.Bilinear(20, 5, 7)
    assert np.abs(b.weight.data).max() <= 1 / np.sqrt(20)
