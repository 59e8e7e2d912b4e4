"""Convolution, pooling, resampling, recurrent and attention modules against PyTorch (float64, copied weights):
forward values, input gradients, every parameter gradient, parameter names and state_dict keys."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn
from backchain.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch = pytest.importorskip("torch")
tnn = torch.nn

RTOL, ATOL = 1e-9, 1e-11


def _flat(out):
    """The array outputs of a module call, flattened out of nested tuples (None dropped)."""
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _flat(o)]
    return [] if out is None else [out]


def compare(m, tm, inputs, kwargs=None, tkwargs=None, train=False, seed=5):
    """Copy torch's weights into ``m`` by name, run both, compare outputs and every gradient."""
    kwargs, tkwargs = kwargs or {}, tkwargs or {}
    m.double()
    tm.double()
    tsd = tm.state_dict()
    assert list(m.state_dict()) == list(tsd), f"state_dict keys differ: {list(m.state_dict())} vs {list(tsd)}"
    m.load_state_dict({k: v.detach().numpy() for k, v in tsd.items()})
    m.train(train)
    tm.train(train)
    xs = [bc.tensor(x, requires_grad=True) for x in inputs]
    txs = [torch.tensor(x, requires_grad=True) for x in inputs]
    outs, touts = _flat(m(*xs, **kwargs)), _flat(tm(*txs, **tkwargs))
    assert len(outs) == len(touts)
    rng = np.random.default_rng(seed)
    loss, tloss = 0.0, 0.0
    for o, to in zip(outs, touts):
        np.testing.assert_allclose(o.data, to.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="forward")
        u = rng.standard_normal(o.shape)
        loss = loss + (o * u).sum()
        tloss = tloss + (to * torch.tensor(u)).sum()
    loss.backward()
    tloss.backward()
    for i, (x, tx) in enumerate(zip(xs, txs)):
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=f"gradient of input {i}")
    tparams = dict(tm.named_parameters())
    assert [k for k, _ in m.named_parameters()] == list(tparams)
    for name, p in m.named_parameters():
        tg = tparams[name].grad
        tg = np.zeros(p.shape) if tg is None else tg.numpy()
        np.testing.assert_allclose(p.grad, tg, rtol=1e-8, atol=1e-10, err_msg=f"gradient of {name}")


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


# -- convolution -------------------------------------------------------------------------------------

CONV = [
    ("Conv1d", dict(in_channels=4, out_channels=6, kernel_size=3), (2, 4, 9)),
    ("Conv1d", dict(in_channels=4, out_channels=4, kernel_size=3, groups=4, padding="same",
                    padding_mode="circular"), (2, 4, 9)),
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 7, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=(1, 2), dilation=(1, 2),
                    groups=2, bias=False), (2, 4, 9, 8)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, padding_mode="reflect"), (1, 2, 6, 6)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="replicate"),
     (2, 2, 5, 4)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=4, padding="same"), (1, 2, 6, 7)),
    ("Conv3d", dict(in_channels=2, out_channels=3, kernel_size=2, stride=(1, 2, 1), padding=1), (1, 2, 4, 5, 3)),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=1,
                             output_padding=1), (2, 4, 5)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, groups=2,
                             dilation=2), (2, 4, 4, 3)),
    ("ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=(2, 3), bias=False), (1, 3, 3, 4)),
]


@pytest.mark.parametrize("name,kw,shape", CONV, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CONV)])
def test_conv_modules(name, kw, shape):
    compare(getattr(nn, name)(**kw), getattr(tnn, name)(**kw), [_x(shape)])


def test_conv_transpose_output_size():
    m, tm = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), tnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    compare(m, tm, [_x((1, 2, 4, 4))], kwargs=dict(output_size=(8, 8)), tkwargs=dict(output_size=(8, 8)))


def test_conv_default_init_matches_pytorch_bounds():
    m = nn.Conv2d(6, 8, 3, groups=2, generator=np.random.default_rng(0))
    fan_in = 3 * 9
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    assert m.weight.shape == (8, 3, 3, 3) and m.weight.dtype == np.float32
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.weight.data).max() > 0.9 * bound
    assert np.abs(m.bias.data).max() <= bound
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)


# -- pooling and resampling --------------------------------------------------------------------------

POOL = [
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9)),
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 6, 6)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True), (1, 2, 7, 8)),
    ("MaxPool2d", dict(kernel_size=2, stride=1, dilation=2), (1, 2, 6, 5)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 3, 8)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (1, 2, 7, 7)),
    ("AvgPool2d", dict(kernel_size=2, divisor_override=3), (1, 2, 4, 6)),
    ("AdaptiveAvgPool1d", dict(output_size=4), (2, 3, 10)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 2)), (2, 3, 7, 5)),
    ("AdaptiveMaxPool2d", dict(output_size=(2, 3)), (2, 3, 7, 8)),
    ("Upsample", dict(scale_factor=2, mode="nearest"), (1, 2, 3, 4)),
    ("Upsample", dict(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    ("Upsample", dict(scale_factor=1.5, mode="bilinear", align_corners=False), (1, 2, 4, 4)),
    ("PixelShuffle", dict(upscale_factor=2), (1, 8, 3, 3)),
    ("PixelUnshuffle", dict(downscale_factor=2), (1, 2, 4, 6)),
    ("ChannelShuffle", dict(groups=3), (2, 6, 2, 2)),
    ("ZeroPad2d", dict(padding=(1, 2, 0, 1)), (1, 2, 3, 3)),
    ("ConstantPad2d", dict(padding=1, value=0.5), (1, 2, 3, 3)),
    ("ReflectionPad2d", dict(padding=(2, 1, 1, 2)), (1, 2, 4, 4)),
    ("ReplicationPad2d", dict(padding=2), (1, 2, 3, 3)),
    ("ReflectionPad1d", dict(padding=2), (1, 2, 5)),
    ("ReplicationPad1d", dict(padding=(0, 3)), (1, 2, 5)),
]


@pytest.mark.parametrize("name,kw,shape", POOL, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(POOL)])
def test_pool_and_resampling_modules(name, kw, shape):
    compare(getattr(nn, name)(**kw), getattr(tnn, name)(**kw), [_x(shape)])


def test_max_unpool2d_module():
    x = _x((2, 3, 6, 6))
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    ty, tidx = tnn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(idx, tidx.numpy())
    out = nn.MaxUnpool2d(2)(bc.tensor(y.data, requires_grad=True), idx)
    np.testing.assert_allclose(out.data, tnn.MaxUnpool2d(2)(ty, tidx).numpy())


# -- recurrent ---------------------------------------------------------------------------------------

RNNS = [
    ("RNN", dict(input_size=3, hidden_size=4)),
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu", batch_first=True)),
    ("RNN", dict(input_size=3, hidden_size=4, bidirectional=True, bias=False)),
    ("LSTM", dict(input_size=3, hidden_size=5)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, batch_first=True, bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=5, proj_size=2, num_layers=2)),
    ("LSTM", dict(input_size=3, hidden_size=5, proj_size=3, bidirectional=True, batch_first=True)),
    ("GRU", dict(input_size=3, hidden_size=4)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(input_size=3, hidden_size=4, bias=False, num_layers=2)),
]


def _rnn_input(kw, n=3, steps=6):
    return _x((n, steps, 3) if kw.get("batch_first") else (steps, n, 3))


def _hx(name, kw, n=3):
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h = _x((dirs * layers, n, kw.get("proj_size") or kw["hidden_size"]), seed=3)
    return [h, _x((dirs * layers, n, kw["hidden_size"]), seed=4)] if name == "LSTM" else [h]


@pytest.mark.parametrize("name,kw", RNNS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RNNS)])
def test_recurrent_modules(name, kw):
    compare(getattr(nn, name)(**kw), getattr(tnn, name)(**kw), [_rnn_input(kw)])


@pytest.mark.parametrize("name,kw", RNNS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RNNS)])
def test_recurrent_modules_with_initial_state(name, kw):
    m, tm = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    if name == "LSTM":
        class Wrap(nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, x, h, c):
                return self.inner(x, (h, c))

        class TWrap(tnn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, x, h, c):
                return self.inner(x, (h, c))

        m, tm = Wrap(m), TWrap(tm)
    compare(m, tm, [_rnn_input(kw)] + _hx(name, kw))


@pytest.mark.parametrize("name,kw", [r for r in RNNS if not r[1].get("batch_first")],
                         ids=[f"{n}-{i}" for i, (n, kw) in enumerate(RNNS) if not kw.get("batch_first")])
def test_recurrent_packed_sequences(name, kw):
    """Unsorted lengths, packed: backchain's PackedSequence and lengths= equal PyTorch's packed run."""
    lengths = [4, 6, 2]
    x = _rnn_input(kw)
    m, tm = getattr(nn, name)(**kw).double(), getattr(tnn, name)(**kw).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    xb, xt = bc.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, state = m(pack_padded_sequence(xb, lengths, enforce_sorted=False))
    tout, tstate = tm(tnn.utils.rnn.pack_padded_sequence(xt, lengths, enforce_sorted=False))
    np.testing.assert_array_equal(out.batch_sizes, tout.batch_sizes.numpy())
    np.testing.assert_array_equal(out.sorted_indices, tout.sorted_indices.numpy())
    np.testing.assert_allclose(out.data.data, tout.data.detach().numpy(), rtol=RTOL, atol=ATOL)
    padded, lens = pad_packed_sequence(out)
    tpadded, tlens = tnn.utils.rnn.pad_packed_sequence(tout)
    np.testing.assert_array_equal(lens, tlens.numpy())
    states, tstates = _flat(state), _flat(tstate)
    for s, ts in zip(states, tstates):
        np.testing.assert_allclose(s.data, ts.detach().numpy(), rtol=RTOL, atol=ATOL)
    u = np.random.default_rng(1).standard_normal(padded.shape)
    (padded * u).sum().backward() if not states else ((padded * u).sum() + sum(s.sum() for s in states)).backward()
    ((tpadded * torch.tensor(u)).sum() + sum(s.sum() for s in tstates)).backward()
    np.testing.assert_allclose(xb.grad, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    for k, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, dict(tm.named_parameters())[k].grad.numpy(), rtol=1e-8, atol=1e-10)
    # the lengths= argument on the padded batch gives the same numbers
    out2, state2 = m(bc.tensor(x), lengths=lengths)
    np.testing.assert_allclose(out2.data, padded.data, rtol=1e-12, atol=1e-12)
    for s, s2 in zip(states, _flat(state2)):
        np.testing.assert_allclose(s.data, s2.data, rtol=1e-12, atol=1e-12)


CELLS = [("RNNCell", dict(input_size=3, hidden_size=4)), ("RNNCell", dict(input_size=3, hidden_size=4,
                                                                           nonlinearity="relu", bias=False)),
         ("LSTMCell", dict(input_size=3, hidden_size=4)), ("GRUCell", dict(input_size=3, hidden_size=4)),
         ("GRUCell", dict(input_size=3, hidden_size=4, bias=False))]


@pytest.mark.parametrize("name,kw", CELLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CELLS)])
def test_cells(name, kw):
    compare(getattr(nn, name)(**kw), getattr(tnn, name)(**kw), [_x((5, 3))])
    if name != "LSTMCell":
        compare(getattr(nn, name)(**kw), getattr(tnn, name)(**kw), [_x((5, 3)), _x((5, 4), seed=2)])
        compare(getattr(nn, name)(**kw), getattr(tnn, name)(**kw), [_x((3,))])


def test_lstm_loads_pytorch_weights_unchanged_in_float32():
    tm = tnn.LSTM(4, 8, num_layers=2, bidirectional=True)
    m = nn.LSTM(4, 8, num_layers=2, bidirectional=True)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = _x((5, 2, 4)).astype(np.float32)
    out, (h, c) = m(x)
    tout, (th, tc) = tm(torch.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.data, tc.detach().numpy(), rtol=1e-5, atol=1e-6)


# -- attention ---------------------------------------------------------------------------------------

def _mha_case(batch_first, kdim=None, vdim=None, n=2, L=4, S=5, e=8):
    q = _x((n, L, e) if batch_first else (L, n, e), seed=1)
    k = _x((n, S, kdim or e) if batch_first else (S, n, kdim or e), seed=2)
    v = _x((n, S, vdim or e) if batch_first else (S, n, vdim or e), seed=3)
    return q, k, v


MHA = [
    dict(batch_first=False),
    dict(batch_first=True),
    dict(batch_first=True, kdim=6, vdim=3),
    dict(batch_first=False, bias=False, average_attn_weights=False),
    dict(batch_first=True, key_padding_mask="bool"),
    dict(batch_first=False, attn_mask="bool"),
    dict(batch_first=True, attn_mask="float", key_padding_mask="float"),
    dict(batch_first=True, attn_mask="3d", need_weights=False),
    dict(batch_first=True, add_bias_kv=True, key_padding_mask="bool"),
    dict(batch_first=False, add_zero_attn=True, attn_mask="bool"),
]


@pytest.mark.parametrize("case", MHA, ids=[str(i) for i in range(len(MHA))])
def test_multihead_attention(case):
    case = dict(case)
    batch_first, kdim, vdim = case.pop("batch_first"), case.pop("kdim", None), case.pop("vdim", None)
    fkw = {k: case.pop(k) for k in ("average_attn_weights", "need_weights") if k in case}
    am, kpm = case.pop("attn_mask", None), case.pop("key_padding_mask", None)
    e, heads, n, L, S = 8, 2, 2, 4, 5
    rng = np.random.default_rng(7)
    if am == "bool":
        fkw["attn_mask"] = rng.random((L, S)) < 0.3
    elif am == "float":
        fkw["attn_mask"] = rng.standard_normal((L, S))
    elif am == "3d":
        fkw["attn_mask"] = rng.random((n * heads, L, S)) < 0.3
    if kpm == "bool":
        fkw["key_padding_mask"] = np.array([[False] * S, [False] * 3 + [True] * 2])
    elif kpm == "float":
        fkw["key_padding_mask"] = rng.standard_normal((n, S))
    m = nn.MultiheadAttention(e, heads, batch_first=batch_first, kdim=kdim, vdim=vdim, **case)
    tm = tnn.MultiheadAttention(e, heads, batch_first=batch_first, kdim=kdim, vdim=vdim, **case)
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in fkw.items()}
    compare(m, tm, list(_mha_case(batch_first, kdim, vdim)), kwargs=fkw, tkwargs=tkw)


def test_multihead_self_attention_is_causal():
    m, tm = nn.MultiheadAttention(8, 4, batch_first=True), tnn.MultiheadAttention(8, 4, batch_first=True)
    x = _x((2, 5, 8))
    mask = np.triu(np.ones((5, 5), bool), 1)

    class Self(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x, x, x, is_causal=True)

    class TSelf(tnn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x, x, x, attn_mask=torch.tensor(mask), is_causal=True)

    compare(Self(m), TSelf(tm), [x])


ENCODER = [dict(norm_first=False, activation="relu"), dict(norm_first=True, activation="gelu"),
           dict(norm_first=True, activation="relu", batch_first=True),
           dict(norm_first=False, activation="gelu", batch_first=True)]


@pytest.mark.parametrize("kw", ENCODER, ids=[str(i) for i in range(len(ENCODER))])
def test_transformer_encoder_layer_eval(kw):
    m = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw)
    tm = tnn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw)
    shape = (2, 5, 8) if kw.get("batch_first") else (5, 2, 8)
    compare(m, tm, [_x(shape)])
    mask = np.array([[False] * 5, [False] * 3 + [True] * 2])
    compare(m, tm, [_x(shape)], kwargs=dict(src_key_padding_mask=mask),
            tkwargs=dict(src_key_padding_mask=torch.tensor(mask)))


def test_transformer_encoder_stack_eval():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    tlayer = tnn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    m = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    tm = tnn.TransformerEncoder(tlayer, 2, norm=tnn.LayerNorm(8), enable_nested_tensor=False)
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    compare(m, tm, [_x((2, 5, 8))], kwargs=dict(mask=causal), tkwargs=dict(mask=torch.tensor(causal)))


def test_scaled_dot_product_attention_function():
    F, TF = nn.functional, torch.nn.functional
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4, 6)), rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((2, 3, 5, 2))
    masks = [None, rng.random((4, 5)) < 0.7, rng.standard_normal((2, 1, 4, 5))]
    for mask in masks:
        for causal in ([False, True] if mask is None else [False]):
            for scale in (None, 0.3):
                args = [bc.tensor(a, requires_grad=True) for a in (q, k, v)]
                targs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
                out = F.scaled_dot_product_attention(*args, attn_mask=mask, is_causal=causal, scale=scale)
                tout = TF.scaled_dot_product_attention(*targs, attn_mask=None if mask is None else torch.tensor(mask),
                                                       is_causal=causal, scale=scale)
                np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
                u = rng.standard_normal(out.shape)
                (out * u).sum().backward()
                (tout * torch.tensor(u)).sum().backward()
                for a, ta in zip(args, targs):
                    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-9, atol=1e-11)
