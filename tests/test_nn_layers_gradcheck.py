"""Float64 gradient checks of the convolution, pooling, recurrent, attention, ACDC and spatial-transformer
modules (inputs and every parameter, through functional_call), long backpropagation through time, the
ACDC fit and the spatial transformer's identity start."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.nn as nn


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _flat(o)]
    return [] if out is None else [out]


def check_module(m, *inputs, order=1, kwargs=None):
    """Gradcheck the module's scalar projection with respect to its inputs and all its parameters."""
    kwargs = kwargs or {}
    m.double().eval()
    names = [k for k, _ in m.named_parameters()]
    params = [p.data.copy() for _, p in m.named_parameters()]
    outs = _flat(m(*inputs, **kwargs))
    rng = np.random.default_rng(3)
    us = [rng.standard_normal(o.shape) for o in outs]
    k = len(inputs)

    def f(*args):
        out = _flat(nn.functional_call(m, dict(zip(names, args[k:])), tuple(args[:k]), kwargs))
        return sum(bnp.sum(o * u) for o, u in zip(out, us))

    assert bc.gradcheck(f, *inputs, *params, order=order)


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


MODULES = [
    (lambda: nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular"), [(2, 2, 5)]),
    (lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2), [(2, 2, 5, 5)]),
    (lambda: nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect"), [(1, 2, 4, 4)]),
    (lambda: nn.Conv3d(1, 2, 2), [(1, 1, 3, 3, 3)]),
    (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), [(1, 2, 4)]),
    (lambda: nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=1), [(1, 2, 3, 3)]),
    (lambda: nn.MaxPool2d(2), [(1, 2, 4, 4)]),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), [(1, 2, 5, 5)]),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), [(1, 2, 5, 7)]),
    (lambda: nn.AdaptiveMaxPool2d(2), [(1, 2, 5, 5)]),
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), [(1, 1, 3, 3)]),
    (lambda: nn.PixelShuffle(2), [(1, 4, 2, 2)]),
    (lambda: nn.ReflectionPad2d(1), [(1, 1, 3, 3)]),
    (lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True), [(5, 2, 3)]),
    (lambda: nn.LSTM(3, 4, batch_first=True), [(2, 5, 3)]),
    (lambda: nn.LSTM(3, 4, proj_size=2, bidirectional=True), [(4, 2, 3)]),
    (lambda: nn.GRU(3, 4, num_layers=2), [(4, 2, 3)]),
    (lambda: nn.LSTMCell(3, 4), [(2, 3)]),
    (lambda: nn.GRUCell(3, 4), [(2, 3)]),
    (lambda: nn.RNNCell(3, 4), [(2, 3)]),
    (lambda: nn.MultiheadAttention(4, 2, batch_first=True), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    (lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=2), [(3, 2, 4), (5, 2, 3), (5, 2, 2)]),
    (lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, norm_first=True, activation="gelu"), [(3, 2, 4)]),
    (lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True), [(2, 3, 4)]),
    (lambda: nn.ACDC(6), [(3, 6)]),
    (lambda: nn.ACDCStack(6, depth=3, activation=nn.Tanh(), generator=np.random.default_rng(0)), [(3, 6)]),
]


@pytest.mark.parametrize("make,shapes", MODULES, ids=[f"m{i}" for i in range(len(MODULES))])
def test_module_gradients_float64(make, shapes):
    bc.manual_seed(0)
    check_module(make(), *[_x(s, seed=i) for i, s in enumerate(shapes)])


def test_lstm_second_order():
    bc.manual_seed(0)
    check_module(nn.LSTM(2, 3), _x((3, 2, 2)), order=2)


def test_gru_second_order():
    bc.manual_seed(0)
    check_module(nn.GRU(2, 3, bidirectional=True), _x((3, 2, 2)), order=2)


def test_gru_layer_nodes_sharing_a_cotangent():
    # two layer nodes reached by the same cotangent object (through an add): each node's rules
    # evaluate for that node
    from backchain._rules.rnn import gru_layer

    rng = np.random.default_rng(0)
    x, h0, h0b = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    w = [bc.tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for s in [(12, 3), (12, 4), (12,), (12,)]]
    (gru_layer(x, h0, *w)[0] + gru_layer(x, h0b, *w)[0]).sum().backward()
    both = [p.grad for p in w]
    singles = []
    for h in (h0, h0b):
        for p in w:
            p.grad = None
        gru_layer(x, h, *w)[0].sum().backward()
        singles.append([p.grad for p in w])
    for b, s1, s2 in zip(both, *singles):
        np.testing.assert_allclose(b, s1 + s2, rtol=1e-12, atol=1e-12)


def test_recurrent_lengths_gradients():
    bc.manual_seed(0)
    check_module(nn.GRU(3, 4, bidirectional=True), _x((5, 3, 3)), kwargs=dict(lengths=[5, 2, 3]))
    check_module(nn.LSTM(3, 4), _x((5, 3, 3)), kwargs=dict(lengths=[1, 5, 3]))


def test_spatial_transformer_gradients():
    bc.manual_seed(0)
    loc = nn.Sequential(nn.Flatten(), nn.Linear(16, 6))
    st = nn.SpatialTransformer(loc)
    st.double()
    loc[1].weight.data[...] = _x((6, 16), seed=4) * 0.1   # away from the identity, where sample points are integers
    check_module(st, _x((2, 1, 4, 4)))


def test_check_layers_report_on_a_cnn():
    bc.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 2 * 2, 3))
    x = np.random.default_rng(0).standard_normal((5, 1, 4, 4)).astype(np.float32)
    report = bc.check.layers(model, x, lambda out: nn.functional.cross_entropy(out, np.array([0, 1, 2, 0, 1])),
                             quiet=True)
    assert report.ok, str(report)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_backprop_through_1000_time_steps(name):
    """A thousand steps: the gradient of the first input is finite and equals finite differences."""
    bc.manual_seed(0)
    m = getattr(nn, name)(2, 3).double()
    x = _x((1000, 1, 2)) * 0.5
    xt = bc.tensor(x, requires_grad=True)
    out, state = m(xt)
    h = state[0] if name == "LSTM" else state
    (bnp.sum(out[-1]) + bnp.sum(out[0])).backward()
    assert np.all(np.isfinite(xt.grad))
    assert np.abs(xt.grad[0]).sum() > 0
    for p in m.parameters():
        assert np.all(np.isfinite(p.grad))
    # directional finite difference of the same scalar in the last input and in weight_hh_l0
    f = lambda x: float(np.sum(m(x)[0].data[-1]) + np.sum(m(x)[0].data[0]))
    v = np.zeros_like(x)
    v[-5:] = np.random.default_rng(1).standard_normal((5, 1, 2))
    eps = 1e-6
    fd = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.sum(xt.grad * v), fd, rtol=1e-6, atol=1e-9)


def test_lstm_two_thousand_steps_train_step_is_finite():
    m = nn.LSTM(4, 8)
    x = _x((2000, 2, 4)).astype(np.float32)
    out, (h, c) = m(x)
    bnp.sum(h).backward()
    assert all(np.all(np.isfinite(p.grad)) for p in m.parameters())


def test_acdc_stack_fits_a_random_linear_map_and_deeper_fits_better():
    from examples.acdc_fit import fit

    errors = {depth: fit(depth=depth, seed=0) for depth in (8, 32)}
    assert errors[32] < 2e-2, errors
    assert errors[32] < errors[8], errors


def test_acdc_stack_saves_its_permutations():
    s = nn.ACDCStack(8, depth=3, generator=np.random.default_rng(0))
    keys = list(s.state_dict())
    assert "perm_0" in keys and "perm_1" in keys and "layers.2.d" in keys
    t = nn.ACDCStack(8, depth=3, generator=np.random.default_rng(1))
    t.load_state_dict(s.state_dict())
    x = _x((2, 8)).astype(np.float32)
    np.testing.assert_array_equal(s(x).data, t(x).data)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_spatial_transformer_identity_returns_the_input(align_corners, mode):
    loc = nn.Sequential(nn.Flatten(), nn.Linear(3 * 7 * 9, 8), nn.ReLU(), nn.Linear(8, 6))
    st = nn.SpatialTransformer(loc, align_corners=align_corners, mode=mode)
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9)).astype(np.float32)
    np.testing.assert_array_equal(st.theta(x).data, np.tile(np.array([[1, 0, 0], [0, 1, 0]], np.float32), (2, 1, 1)))
    y = st(x)
    np.testing.assert_allclose(y.data, x, rtol=0, atol=2e-6)
    st.double()
    np.testing.assert_allclose(st(x.astype(np.float64)).data, x, rtol=0, atol=1e-12)


def test_spatial_transformer_needs_a_final_linear_of_six():
    with pytest.raises(ValueError, match="6"):
        nn.SpatialTransformer(nn.Sequential(nn.Flatten(), nn.Linear(4, 5)))


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_masked_layer_matches_the_per_step_path(cell, reverse):
    # padded sequences (one of length 0): the fused layer with mask= against the per-step cells
    from backchain._rules.rnn import gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_tanh_layer

    rng = np.random.default_rng(1)
    T, N, I, H = 6, 4, 3, 5
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[cell] * H
    masks = (np.arange(T)[:, None] < np.array([6, 2, 4, 0])[None, :])[:, :, None]
    inputs = [rng.standard_normal(s) for s in [(T, N, I), (N, H)] + ([(N, H)] if cell == "LSTM" else [])]
    inputs += [rng.standard_normal(s) * 0.5 for s in [(G, I), (G, H), (G,), (G,)]]
    weights = [rng.standard_normal((T, N, H)), rng.standard_normal((N, H)), rng.standard_normal((N, H))]
    mT = lambda w: bnp.swapaxes(w, 0, 1)

    def run(fused):
        args = [bc.tensor(a, requires_grad=True) for a in inputs]
        if fused:
            x = args[0][::-1] if reverse else args[0]
            layer = {"LSTM": lstm_layer, "GRU": gru_layer, "RNN": rnn_tanh_layer}[cell]
            res = layer(x, *args[1:], mask=masks[::-1, :, 0] if reverse else masks[:, :, 0])
            res = ((res[0][::-1] if reverse else res[0]),) + tuple(res[1:])
        else:
            x, h = args[:2]
            c = args[2] if cell == "LSTM" else None
            wi, wh, bi, bh = args[-4:]
            outs = [None] * T
            for t in (range(T - 1, -1, -1) if reverse else range(T)):
                if cell == "LSTM":
                    h_new, c_new = lstm_cell(x[t] @ mT(wi) + bi + h @ mT(wh) + bh, c)
                    c = bnp.where(masks[t], c_new, c)
                elif cell == "GRU":
                    h_new = gru_cell(x[t] @ mT(wi) + bi, h @ mT(wh) + bh, h)
                else:
                    h_new = bnp.tanh(x[t] @ mT(wi) + bi + h @ mT(wh) + bh)
                h = bnp.where(masks[t], h_new, h)
                outs[t] = h_new * masks[t]
            res = (bnp.stack(outs, axis=0), h) + ((c,) if cell == "LSTM" else ())
        sum(bnp.sum(r * w) for r, w in zip(res, weights)).backward()
        return [r.data for r in res] + [a.grad for a in args]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
