"""The edges of networks, optimizers and checkpoints (issue #16, section 6), against PyTorch where it has
a counterpart: losses with every target ignored, Embedding's index checks, optimizers on complex parameters,
state_dict with shared submodules, functional_call, MultiheadAttention's mask checks."""
import re

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


# -- optimizers on complex parameters --------------------------------------------------------------

TARGET = 1 + 2j
OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=False)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.02, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.5)),
    ("Adagrad", dict(lr=0.5, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
]


def _distance_loss(z, target):
    d = z - target
    return (d * bc.numpy.conj(d)).real.sum() if isinstance(z, bc.Tensor) else (d * d.conj()).real.sum()


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=[f"{n}-{sorted(k)}" for n, k in OPTIMIZERS])
def test_complex_parameters_follow_torch_trajectory(name, kw):
    z0 = np.array([-0.5 + 0.25j, 3.0 - 1.0j, 0.0 + 0.0j])
    z = bc.tensor(z0.copy(), requires_grad=True)
    tz = torch.tensor(z0.copy(), requires_grad=True)
    opt = getattr(bc.optim, name)([z], **kw)
    topt = getattr(torch.optim, name)([tz], **kw)
    for step in range(60):
        opt.zero_grad()
        _distance_loss(z, TARGET).backward()
        np.testing.assert_allclose(z.grad, 2 * np.conj(z.data - TARGET), rtol=1e-15)  # autograd/JAX convention
        opt.step()
        topt.zero_grad()
        _distance_loss(tz, TARGET).backward()
        topt.step()
        np.testing.assert_allclose(z.data, tz.detach().numpy(), rtol=1e-12, atol=1e-13, err_msg=f"step {step}")
    assert z.data.dtype == np.complex128
    tstate = topt.state_dict()["state"]
    assert sorted(opt.state_dict()["state"].get(0, {})) == sorted(tstate.get(0, {}))
    for key, value in tstate.get(0, {}).items():
        mine = opt.state_dict()["state"][0][key]
        np.testing.assert_allclose(mine, value.numpy() if hasattr(value, "numpy") else value, rtol=1e-12,
                                   atol=1e-13, err_msg=key)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
                                     ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1, weight_decay=0.0)),
                                     ("RMSprop", dict(lr=0.02)), ("Adagrad", dict(lr=1.0))])
def test_complex_parameter_converges_to_the_minimum(name, kw):
    z = bc.tensor(np.array([4.0 - 3.0j], np.complex64), requires_grad=True)
    opt = getattr(bc.optim, name)([z], **kw)
    for _ in range(400):
        opt.zero_grad()
        _distance_loss(z, TARGET).backward()
        opt.step()
    assert z.data.dtype == np.complex64
    assert abs(complex(z.data[0]) - TARGET) < 0.05, z.data


def test_complex_parameter_that_is_not_contiguous_follows_torch():
    z0 = (np.arange(6.0).reshape(3, 2) + 1j * np.arange(6.0).reshape(3, 2)).T   # a transposed view
    z, tz = bc.tensor(z0, requires_grad=True), torch.tensor(z0.copy(), requires_grad=True)
    opt, topt = bc.optim.RMSprop([z], lr=0.05, momentum=0.5), torch.optim.RMSprop([tz], lr=0.05, momentum=0.5)
    for _ in range(5):
        for o, p in ((opt, z), (topt, tz)):
            o.zero_grad()
            _distance_loss(p, TARGET).backward()
            o.step()
    assert not z.data.flags.c_contiguous
    np.testing.assert_allclose(z.data, tz.detach().numpy(), rtol=1e-13)


def test_complex_state_dict_round_trip():
    z = bc.tensor(np.array([0.5 - 1j, 2j]), requires_grad=True)
    opt = bc.optim.Adam([z], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        _distance_loss(z, TARGET).backward()
        opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["exp_avg"].dtype == np.complex128 and sd["state"][0]["exp_avg"].shape == (2,)
    z2 = bc.tensor(z.data.copy(), requires_grad=True)
    opt2 = bc.optim.Adam([z2], lr=0.1)
    opt2.load_state_dict(sd)
    for o, p in ((opt, z), (opt2, z2)):
        o.zero_grad()
        _distance_loss(p, TARGET).backward()
        o.step()
    np.testing.assert_array_equal(z.data, z2.data)


# -- state_dict of a submodule registered twice; functional_call as torch.func.functional_call -----

class _Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 3)
        self.b = self.a

    def forward(self, x):
        return self.a(x) + self.b(x)


class _TTwice(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(2, 3)
        self.b = self.a

    def forward(self, x):
        return self.a(x) + self.b(x)


def test_state_dict_of_a_submodule_registered_twice_matches_torch():
    m, tm = _Twice().double(), _TTwice().double()
    assert list(m.state_dict()) == list(tm.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in tm.named_parameters()] == ["a.weight", "a.bias"]
    tm.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})  # strict: every key
    m2 = _Twice().double()
    m2.load_state_dict(m.state_dict())
    x = np.random.default_rng(3).standard_normal((4, 2))
    np.testing.assert_array_equal(m2(x).data, m(x).data)
    np.testing.assert_allclose(m(x).data, tm(torch.tensor(x)).detach().numpy(), rtol=1e-13)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "b.weight", "b.bias"'):
        m2.load_state_dict({"a.weight": m.a.weight.data, "a.bias": m.a.bias.data})


def test_named_modules_refuses_a_module_inside_itself():
    m = nn.Sequential(nn.Linear(2, 2))
    m.append(m)
    with pytest.raises(ValueError, match="contains itself"):
        m.state_dict()


class _Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x, y, scale=1.0):
        return self.lin(x) * scale + y


class _TTwo(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)

    def forward(self, x, y, scale=1.0):
        return self.lin(x) * scale + y


def test_functional_call_args_like_torch_func():
    m, tm = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    w = np.arange(6.0).reshape(2, 3)
    x = np.random.default_rng(4).standard_normal((4, 3))
    b = np.array([0.5, -1.0])
    expected = torch.func.functional_call(tm, {"weight": torch.tensor(w), "bias": torch.tensor(b)},
                                          (torch.tensor(x),))
    before = m.weight.data.copy()
    for args in ((x,), x):
        out = nn.functional_call(m, {"weight": w, "bias": b}, args)
        assert out.shape == tuple(expected.shape) == (4, 2)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-13)
    m2, tm2 = _Two().double(), _TTwo().double()
    y = np.ones((4, 2))
    expected = torch.func.functional_call(tm2, {"lin.weight": torch.tensor(w), "lin.bias": torch.zeros(2).double()},
                                          (torch.tensor(x), torch.tensor(y)), {"scale": 2.0})
    out = nn.functional_call(m2, [{"lin.weight": w}, {"lin.bias": np.zeros(2)}], (x, y), {"scale": 2.0})
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-13)
    with pytest.raises(TypeError, match="kwargs must be a dict.*as one tuple"):
        nn.functional_call(m2, {}, x, y)
    np.testing.assert_array_equal(m.weight.data, before)  # replaced only during the call


def test_functional_call_ties_weights_like_torch():
    m, tm = _Twice().double(), _TTwice().double()
    x = np.random.default_rng(5).standard_normal((4, 2))
    w = np.ones((3, 2))
    expected = torch.func.functional_call(tm, {"a.weight": torch.tensor(w), "a.bias": torch.zeros(3).double()},
                                          (torch.tensor(x),))
    out = nn.functional_call(m, {"a.weight": w, "a.bias": np.zeros(3)}, (x,))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-13)
    with pytest.raises(ValueError, match="tied"):
        torch.func.functional_call(tm, {"a.weight": torch.tensor(w), "b.weight": torch.tensor(2 * w)},
                                   (torch.tensor(x),))
    with pytest.raises(ValueError, match="'a.weight' and 'b.weight' name the same tied tensor"):
        nn.functional_call(m, {"a.weight": w, "b.weight": 2 * w}, (x,))
    # one Parameter in two layers: replaced in both unless tie_weights=False
    shared = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)).double()
    shared[1].weight = shared[0].weight
    g = bc.grad(lambda w: bc.numpy.sum(nn.functional_call(shared, {"0.weight": w}, (x,))))(np.eye(2))
    g_untied = bc.grad(lambda w: bc.numpy.sum(nn.functional_call(shared, {"0.weight": w}, (x,),
                                                                   tie_weights=False)))(np.eye(2))
    tshared = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.Linear(2, 2, bias=False)).double()
    tshared[1].weight = tshared[0].weight
    with torch.no_grad():
        tshared[0].weight.copy_(torch.tensor(shared[0].weight.data))
    for tie, mine in ((True, g), (False, g_untied)):
        tw = torch.eye(2, dtype=torch.float64, requires_grad=True)
        torch.func.functional_call(tshared, {"0.weight": tw}, (torch.tensor(x),), tie_weights=tie).sum().backward()
        np.testing.assert_allclose(getattr(mine, "data", mine), tw.grad.numpy(), rtol=1e-14)


# -- max-pool with padding over -inf inputs ---------------------------------------------------------

POOL_GEOMETRIES = [
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, dilation=2),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
]


def _inf_input(rng, shape):
    x = rng.integers(-2, 2, size=shape).astype(np.float64)  # many ties
    x[rng.random(shape) < 0.6] = -np.inf
    x[..., :2] = -np.inf                                       # windows that hold padding and only -inf
    return x


@pytest.mark.parametrize("geo", POOL_GEOMETRIES)
@pytest.mark.parametrize("nd", [1, 2])
def test_max_pool_first_with_padding_and_minus_inf_matches_torch(nd, geo):
    rng = np.random.default_rng(nd)
    shape = (2, 3) + (9,) * nd
    x = _inf_input(rng, shape)
    op = getattr(F, f"max_pool{nd}d")
    xb = bc.tensor(x, requires_grad=True)
    y, idx = op(xb, return_indices=True, ties="first", **geo)
    g = rng.integers(1, 9, size=y.shape).astype(np.float64)  # sums of overlapping windows stay exact
    (y * g).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    yt, it = getattr(TF, f"max_pool{nd}d")(xt, return_indices=True, **geo)
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    np.testing.assert_array_equal(idx, it.numpy())
    np.testing.assert_array_equal(xb.grad, xt.grad.numpy())
    xb2 = bc.tensor(x, requires_grad=True)   # without return_indices: the same gradient
    with bc.kinks.policy(ties="first"):
        (op(xb2, **geo) * g).sum().backward()
    np.testing.assert_array_equal(xb2.grad, xt.grad.numpy())


@pytest.mark.parametrize("geo", POOL_GEOMETRIES)
def test_max_pool_split_never_gives_the_padding_a_share(geo):
    x = np.full((1, 1, 7), -np.inf)
    xb = bc.tensor(x, requires_grad=True)
    y = F.max_pool1d(xb, ties="split", **geo)
    y.sum().backward()
    # every window's cotangent reaches the input, none is lost in the padding
    np.testing.assert_allclose(xb.grad.sum(), y.shape[-1], rtol=1e-15)
    if geo == POOL_GEOMETRIES[0]:   # windows (pad, 0, 1), (0, 1, 2), ..., (5, 6, pad)
        np.testing.assert_allclose(xb.grad[0, 0], [1 / 2 + 1 / 3, 1 / 2 + 2 / 3, 1, 1, 1, 2 / 3 + 1 / 2, 1 / 3 + 1 / 2],
                                   rtol=1e-15)


@pytest.mark.parametrize("ties", ["split", "first", "last"])
def test_adaptive_max_pool_all_minus_inf_windows_keep_the_cotangent(ties):
    x = np.full((1, 1, 7), -np.inf)
    xb = bc.tensor(x, requires_grad=True)
    y = F.adaptive_max_pool1d(xb, 3, ties=ties)
    y.sum().backward()
    assert xb.grad.sum() == 3
    xt = torch.tensor(x, requires_grad=True)
    TF.adaptive_max_pool1d(xt, 3).sum().backward()
    if ties == "first":
        np.testing.assert_array_equal(xb.grad, xt.grad.numpy())


# -- sign_ste at -1 and 1: hardtanh's derivative, the kink table's bound convention ----------------

def test_sign_ste_derivative_at_the_bounds_follows_the_kink_policy():
    from backchain.surrogate import sign_ste
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    d = bc.grad(lambda v: bc.numpy.sum(sign_ste(v)))
    np.testing.assert_array_equal(d(x), [0, 0, 1, 1, 1, 0, 0])          # default: 0 at the bounds (min-norm)
    hard = bc.grad(lambda v: bc.numpy.sum(F.hardtanh(v)))(x)
    np.testing.assert_array_equal(d(x), hard)
    th = torch.tensor(x, requires_grad=True)
    TF.hardtanh(th).sum().backward()   # PyTorch's hardtanh gives 0 at its bounds too
    np.testing.assert_array_equal(d(x), th.grad.numpy())
    with bc.kinks.policy(clip_at_bound=1.0):                              # Hubara et al.: 1 where |x| <= 1
        np.testing.assert_array_equal(d(x), [0, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(sign_ste(x), np.sign(x))
    assert "1 on (-1, 1)" in sign_ste.__doc__ and "[-1, 1]" not in sign_ste.__doc__


# -- MultiheadAttention: masks of the wrong shape ----------------------------------------------------

MASK_CASES = [
    ("attn_mask", (4, 5), "(5, 5) or (6, 5, 5)"),
    ("attn_mask", (6, 5, 4), "(5, 5) or (6, 5, 5)"),
    ("attn_mask", (2, 5, 5), "(5, 5) or (6, 5, 5)"),
    ("attn_mask", (5,), "(5, 5) or (6, 5, 5)"),
    ("key_padding_mask", (3, 4), "(3, 5)"),
    ("key_padding_mask", (5, 3), "(3, 5)"),
]


@pytest.mark.parametrize("which,shape,expected", MASK_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_names_a_mask_of_the_wrong_shape(which, shape, expected, batch_first):
    m = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    x = np.zeros((3, 5, 8) if batch_first else (5, 3, 8), np.float32)
    mask = np.zeros(shape, bool)
    with pytest.raises((RuntimeError, AssertionError)):   # PyTorch refuses it too
        tm(torch.tensor(x), torch.tensor(x), torch.tensor(x), **{which: torch.tensor(mask)})
    with pytest.raises(ValueError) as err:
        m(x, x, x, **{which: mask})
    msg = str(err.value)
    for part in ("MultiheadAttention", which, f"shape {shape}", f"expected {expected}", "L=5", "S=5", "N=3",
                 "num_heads=2"):
        assert part in msg, (part, msg)


def test_multihead_attention_unbatched_mask_shapes():
    m = nn.MultiheadAttention(8, 2)
    x = np.zeros((5, 8), np.float32)
    assert m(x, x, x, key_padding_mask=np.zeros(5, bool), attn_mask=np.zeros((2, 5, 5), bool))[0].shape == (5, 8)
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(1, 5\); expected \(5,\)"):
        m(x, x, x, key_padding_mask=np.zeros((1, 5), bool))
    with pytest.raises(ValueError, match=r"attn_mask has shape \(5, 4\); expected \(5, 5\) or \(2, 5, 5\)"):
        m(x, x, x, attn_mask=np.zeros((5, 4), bool))


@pytest.mark.parametrize("loss,smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.1), ("nll_loss", 0.0)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ignored_sample_with_a_minus_inf_logit_matches_torch(loss, smoothing, reduction):
    """A masked class (logit -inf) where the target is ignored: PyTorch skips the sample, so must we (was NaN)."""
    x = np.array([[-np.inf, 1.0, 2.0], [0.0, 1.0, 2.0], [-np.inf, 0.5, -np.inf]])
    t = np.array([-100, 1, -100])
    kw = dict(reduction=reduction, **({"label_smoothing": smoothing} if loss == "cross_entropy" else {}))
    xb = bc.tensor(x, requires_grad=True)
    out = getattr(F, loss)(xb, t, **kw)
    out.sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    tout = getattr(TF, loss)(xt, torch.tensor(t), **kw)
    tout.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-14, atol=0)
    assert np.all(np.isfinite(out.detach().numpy()))
    np.testing.assert_allclose(xb.grad, xt.grad.numpy(), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("geo", [dict(kernel_size=4), dict(kernel_size=3, stride=1, padding=1),
                                 dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)])
@pytest.mark.parametrize("nd", [1, 2])
def test_max_pool_first_with_nan_takes_the_last_nan_like_torch(nd, geo):
    rng = np.random.default_rng(10 + nd)
    shape = (2, 2) + (8,) * nd
    x = rng.integers(-2, 2, size=shape).astype(np.float64)
    x[rng.random(shape) < 0.3] = np.nan
    op = getattr(F, f"max_pool{nd}d")
    g = rng.integers(1, 9, size=getattr(TF, f"max_pool{nd}d")(torch.tensor(x), **geo).shape).astype(np.float64)
    xt = torch.tensor(x, requires_grad=True)
    yt, it = getattr(TF, f"max_pool{nd}d")(xt, return_indices=True, **geo)
    (yt * torch.tensor(g)).sum().backward()
    for return_indices in (True, False):   # the window path and, for kernel == stride, the tiled one
        xb = bc.tensor(x, requires_grad=True)
        out = op(xb, return_indices=return_indices, ties="first", **geo)
        y = out[0] if return_indices else out
        (y * g).sum().backward()
        np.testing.assert_array_equal(y.data, yt.detach().numpy())
        np.testing.assert_array_equal(xb.grad, xt.grad.numpy())
        if return_indices:
            np.testing.assert_array_equal(out[1], it.numpy())


@pytest.mark.parametrize("shape", [(5, 5), (2, 3, 6, 5), (4, 5, 6)])
def test_scaled_dot_product_attention_names_a_mask_that_does_not_broadcast(shape):
    q, k = np.ones((2, 3, 5, 4)), np.ones((2, 3, 6, 4))
    mask = np.zeros(shape, bool)
    with pytest.raises(RuntimeError):   # PyTorch refuses it too
        TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(k), attn_mask=torch.tensor(mask))
    with pytest.raises(ValueError, match=rf"scaled_dot_product_attention: attn_mask of shape {re.escape(str(shape))} "
                                         r"does not broadcast to the scores' shape \(2, 3, 5, 6\)"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=mask)
    ok = F.scaled_dot_product_attention(q, k, k, attn_mask=np.ones((5, 6), bool))
    assert ok.shape == (2, 3, 5, 4)
