"""Module semantics: registration, traversal, modes, state_dict, functional_call, containers, seeding."""
import copy

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.nn as nn
import backchain.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.register_buffer("steps", np.zeros((), dtype=np.int64))
        self.register_buffer("cache", np.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.bn(self.fc1(x)))) * self.scale


def test_registration_and_traversal():
    net = Net()
    assert [k for k, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                                                      "fc2.weight", "fc2.bias"]
    assert [k for k, _ in net.named_buffers()] == ["steps", "cache", "bn.running_mean", "bn.running_var",
                                                   "bn.num_batches_tracked"]
    assert [k for k, _ in net.named_children()] == ["fc1", "bn", "act", "fc2"]
    assert [k for k, _ in net.named_modules()] == ["", "fc1", "bn", "act", "fc2"]
    assert len(list(net.modules())) == 5 and len(list(net.children())) == 4
    assert list(net.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                                      "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                                      "fc2.weight", "fc2.bias"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net.fc1.weight.dtype == np.float32


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [k for k, _ in seq.named_modules()] == ["", "0", "1"]


def test_assignment_errors_and_deletion():
    net = Net()
    with pytest.raises(TypeError, match="parameter 'scale'"):
        net.scale = np.ones(1)
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    del net.fc2
    assert "fc2" not in dict(net.named_children())

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\)"):
        Bad()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        Net().nope


def test_train_eval_and_batchnorm_modes():
    net = Net()
    assert net.training and net.bn.training
    net.eval()
    assert not net.training and not net.bn.training
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    with bc.no_grad():
        net(x)
    assert int(net.bn.num_batches_tracked.item()) == 0  # eval does not update
    net.train()
    net(x)
    assert int(net.bn.num_batches_tracked.item()) == 1


def test_zero_grad_requires_grad_apply_to():
    net = Net()
    x = np.ones((5, 3), dtype=np.float32)
    net(x).sum().backward()
    assert net.fc1.weight.grad is not None and net.fc1.weight.grad.dtype == np.float32
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert not net(x).requires_grad
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "ReLU", "Linear", "Net"]
    net.to(np.float64)
    assert net.fc1.weight.dtype == np.float64 and net.bn.running_mean.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64 and net.steps.dtype == np.int64
    assert net.to("cpu") is net and net.float().fc2.bias.dtype == np.float32


def test_state_dict_round_trip_and_errors():
    a, b = Net(), Net()
    a.fc1.weight.data[...] = 3.0
    a.bn.running_mean.data[...] = 0.5
    keep = b.fc1.weight
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.fc1.weight is keep  # loaded in place: optimizers keep their references
    np.testing.assert_array_equal(b.fc1.weight.data, 3.0)
    np.testing.assert_array_equal(b.bn.running_mean.data, 0.5)
    sd = dict(a.state_dict())
    del sd["fc2.bias"]
    sd["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(sd)
    assert 'Missing key(s) in state_dict: "fc2.bias"' in str(e.value)
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in str(e.value)
    res = b.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc2.bias"] and res.unexpected_keys == ["extra.weight"]
    sd = dict(a.state_dict())
    sd["fc1.weight"] = np.zeros((5, 3))
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: .*\(5, 3\).*\(4, 3\)"):
        b.load_state_dict(sd)
    # values may be Tensors, lists of numbers or arrays of another dtype
    b.load_state_dict({k: bc.tensor(v) for k, v in a.state_dict().items()})


def test_repr_like_pytorch():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.2), nn.LayerNorm(3)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.2, inplace=False)\n"
        "    (1): LayerNorm((3,), eps=1e-05, elementwise_affine=True)\n"
        "  )\n"
        ")")
    assert repr(nn.Parameter(np.zeros(2))).startswith("Parameter containing:\ntensor(")


def test_sequential_indexing_append_slicing():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.Linear) and len(s) == 3
    head = s[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is s[0]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and list(s.state_dict())[-1] == "2.bias"
    del s[1]
    assert [k for k, _ in s.named_children()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        s[7]
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict(enc=nn.Linear(2, 2), act=nn.Tanh()))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.Linear(2, 3))
    ml.extend([nn.ReLU()])
    assert len(ml) == 3 and [k for k, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.Linear(1, 2)
    assert list(md) == ["a", "b"] and "b" in md and len(md) == 2
    assert list(md.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    md.pop("a")
    assert list(md.keys()) == ["b"]


def test_functional_call_and_grad_wrt_param_dict():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    model.double()
    x = np.random.default_rng(0).normal(size=(5, 3))
    params = {k: v.detach().numpy().copy() for k, v in model.named_parameters()}

    def loss(p):
        return bnp.mean(nn.functional_call(model, p, x) ** 2)

    g = bc.grad(loss)(params)
    assert sorted(g) == sorted(params)
    # against backward on the module itself
    model.zero_grad()
    bnp.mean(model(x) ** 2).backward()
    for k, p in model.named_parameters():
        np.testing.assert_allclose(g[k], p.grad, rtol=1e-12)
    # the module is restored after the call
    assert isinstance(model[0].weight, nn.Parameter)
    # second order through functional_call
    hv = bc.hvp(lambda w: loss(dict(params, **{"0.weight": w})), params["0.weight"], np.ones((4, 3)))
    assert hv.shape == (4, 3)
    with pytest.raises(KeyError, match="not a parameter or buffer"):
        nn.functional_call(model, {"9.weight": np.zeros(1)}, x)


def test_deepcopy_is_independent():
    net = Net()
    c = copy.deepcopy(net)
    c.fc1.weight.data[...] = 0
    assert not np.all(net.fc1.weight.data == 0)
    assert isinstance(c.fc1.weight, nn.Parameter) and list(c.state_dict()) == list(net.state_dict())


def test_no_pickle():
    import pickle
    with pytest.raises(TypeError, match="never pickles"):
        pickle.dumps(Net())


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    outs = []
    h = lin.register_forward_hook(lambda m, args, out: outs.append(out))
    lin(np.ones((1, 2), dtype=np.float32))
    h.remove()
    lin(np.ones((1, 2), dtype=np.float32))
    assert len(outs) == 1


def test_call_hook_wraps_every_module_call():
    import contextlib
    from backchain.nn import module as M

    calls = []

    @contextlib.contextmanager
    def hook(m):
        calls.append(type(m).__name__)
        yield

    prev = M.set_call_hook(hook)
    try:
        nn.Sequential(nn.Linear(2, 2), nn.ReLU())(np.ones((1, 2), dtype=np.float32))
    finally:
        M.set_call_hook(prev)
    assert calls == ["Sequential", "Linear", "ReLU"]


def test_manual_seed_reproducible_init_and_dropout():
    bc.manual_seed(123)
    a = nn.Linear(5, 5)
    da = nn.Dropout(0.5)(np.ones(50))
    bc.manual_seed(123)
    b = nn.Linear(5, 5)
    db = nn.Dropout(0.5)(np.ones(50))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(da, db)
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(nn.Linear(3, 3, generator=g1).weight.data, nn.Linear(3, 3, generator=g2).weight.data)
    state = bc.random.get_rng_state()
    x = bc.random.default_generator().random()
    bc.random.set_rng_state(state)
    assert bc.random.default_generator().random() == x


def test_dropout_statistics_and_modes():
    x = np.ones((200, 50))
    d = nn.Dropout(0.3, generator=np.random.default_rng(0))
    y = d(x)
    assert set(np.unique(y)) <= {0.0, 1 / 0.7}
    assert abs((y == 0).mean() - 0.3) < 0.02
    d.eval()
    assert d(x) is x
    t = bc.tensor(np.ones(10), requires_grad=True)
    out = F.dropout(t, 0.5, generator=np.random.default_rng(1))
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, out.data)  # gradient is the mask, scaled


def test_dense_activations():
    for name in ["relu", "tanh", "sigmoid", "gelu", "silu", "swish", "softmax", "linear", None, "leaky_relu"]:
        layer = nn.Dense(3, 2, activation=name)
        assert layer(np.ones((4, 3), dtype=np.float32)).shape == (4, 2)
        assert list(layer.state_dict()) == ["weight", "bias"]
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        nn.Dense(3, 2, activation="relux")


def test_init_functions():
    g = np.random.default_rng(0)
    w = nn.Parameter(np.empty((300, 200), dtype=np.float32))
    nn.init.xavier_uniform_(w, generator=g)
    assert np.abs(w.data).max() <= np.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g)
    np.testing.assert_allclose(w.data.std(), np.sqrt(2 / 200), rtol=0.03)
    nn.init.kaiming_uniform_(w, mode="fan_out", generator=g)
    np.testing.assert_allclose(w.data.std(), np.sqrt(2 / (1 + 0.01 ** 2)) / np.sqrt(300), rtol=0.03)
    nn.init.xavier_normal_(w, gain=2.0, generator=g)
    np.testing.assert_allclose(w.data.std(), 2 * np.sqrt(2 / 500), rtol=0.03)
    q = nn.Parameter(np.empty((4, 6)))
    nn.init.orthogonal_(q, generator=g)
    np.testing.assert_allclose(q.data @ q.data.T, np.eye(4), atol=1e-12)
    for fn, v in ((nn.init.zeros_, 0.0), (nn.init.ones_, 1.0), (lambda t: nn.init.constant_(t, 2.5), 2.5)):
        fn(w)
        assert np.all(w.data == v)
    nn.init.normal_(w, 1.0, 0.1, generator=g)
    assert abs(w.data.mean() - 1.0) < 0.01
    nn.init.uniform_(w, -0.1, 0.2, generator=g)
    assert w.data.min() >= -0.1 and w.data.max() <= 0.2
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(np.sqrt(2 / 1.04))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swishy")


def test_init_matches_torch_formulas():
    torch = pytest.importorskip("torch")
    for name in ["linear", "relu", "tanh", "sigmoid", "selu", "leaky_relu"]:
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init._calculate_fan_in_and_fan_out(np.empty((8, 3, 5, 5))) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(8, 3, 5, 5))


def test_clip_grad():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([0.0, 4.0])
    total = nn.utils.clip_grad_norm_([a, b], 2.5)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), [1.5, 0, 0, 2.0], rtol=1e-6)
    a.grad = np.array([3.0, -7.0])
    assert float(nn.utils.clip_grad_norm_(a, 1.0, norm_type="inf")) == 7.0
    a.grad = np.array([3.0, -7.0])
    nn.utils.clip_grad_value_(a, 2.0)
    np.testing.assert_array_equal(a.grad, [2.0, -2.0])
    a.grad = np.array([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    gs = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    ps = [nn.Parameter(np.zeros_like(g)) for g in gs]
    tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
    for p, tp, g in zip(ps, tps, gs):
        p.grad, tp.grad = g.copy(), torch.tensor(g)
    for norm_type in (2.0, 1.0, float("inf")):
        n = nn.utils.clip_grad_norm_(ps, 0.5, norm_type)
        tn = torch.nn.utils.clip_grad_norm_(tps, 0.5, norm_type)
        assert float(n) == pytest.approx(float(tn), rel=1e-12)
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)


def test_errors_name_the_operation():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) does not fit weight of shape \(4, 3\)"):
        nn.Linear(3, 4)(np.ones((2, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="BatchNorm1d: expected 2D or 3D input, got 4D"):
        nn.BatchNorm1d(3)(np.ones((2, 3, 4, 5)))
    with pytest.raises(IndexError, match="cross_entropy: target values must be in"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="mse_loss: target shape"):
        F.mse_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="reduction must be"):
        F.l1_loss(np.zeros(3), np.zeros(3), reduction="avg")


def test_large_logits_are_stable():
    logits = bc.tensor(np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 1.0]]), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad))
    z = bc.tensor(np.array([1e4, -1e4]), requires_grad=True)
    l2 = F.binary_cross_entropy_with_logits(z, np.array([0.0, 1.0]), reduction="sum")
    l2.backward()
    assert l2.item() == pytest.approx(2e4) and np.all(np.isfinite(z.grad))
    assert np.all(np.isfinite(F.sigmoid(np.array([-1e4, 1e4]))))


def test_float32_stays_float32():
    m = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.GELU(), nn.BatchNorm1d(4), nn.SiLU(), nn.Linear(4, 3))
    x = np.ones((5, 3), dtype=np.float32)
    out = m(x)
    assert out.dtype == np.float32
    loss = F.cross_entropy(out, np.array([0, 1, 2, 0, 1]), label_smoothing=0.1)
    assert loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in m.parameters())
