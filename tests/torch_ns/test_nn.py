"""backchain's layers, optimizers, data loaders, autograd and checkpoints reached through
``backchain.torch``: fed torch Tensors they return torch Tensors, with PyTorch's values and gradients
(weights copied from the PyTorch layer)."""
import io

import numpy as np
import pytest
import torch

import backchain as bc
import backchain.torch as bt

rng = np.random.default_rng(0)


def _x(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# (name, make(T) -> layer, input shape or array, how to read the output)
LAYERS = [
    ("Linear", lambda T: T.nn.Linear(5, 3), _x(4, 5)),
    ("Bilinear_as_seq", lambda T: T.nn.Sequential(T.nn.Linear(5, 6), T.nn.ReLU(), T.nn.Linear(6, 2)), _x(4, 5)),
    ("Conv1d", lambda T: T.nn.Conv1d(3, 4, 3, padding=1), _x(2, 3, 7)),
    ("Conv2d", lambda T: T.nn.Conv2d(2, 3, 3, stride=2, padding=1), _x(2, 2, 6, 6)),
    ("ConvTranspose2d", lambda T: T.nn.ConvTranspose2d(2, 3, 3, stride=2), _x(1, 2, 4, 4)),
    ("MaxPool2d", lambda T: T.nn.MaxPool2d(2), _x(2, 3, 6, 6)),
    ("AvgPool2d", lambda T: T.nn.AvgPool2d(2), _x(2, 3, 6, 6)),
    ("AdaptiveAvgPool2d", lambda T: T.nn.AdaptiveAvgPool2d((2, 3)), _x(2, 3, 6, 6)),
    ("BatchNorm1d", lambda T: T.nn.BatchNorm1d(5), _x(8, 5)),
    ("BatchNorm2d", lambda T: T.nn.BatchNorm2d(3), _x(4, 3, 5, 5)),
    ("LayerNorm", lambda T: T.nn.LayerNorm(5), _x(4, 5)),
    ("GroupNorm", lambda T: T.nn.GroupNorm(2, 4), _x(3, 4, 5)),
    ("Embedding", lambda T: T.nn.Embedding(10, 4), np.array([[1, 2, 9], [0, 0, 5]])),
    ("LSTM", lambda T: T.nn.LSTM(5, 6, num_layers=2, batch_first=True), _x(3, 4, 5)),
    ("GRU", lambda T: T.nn.GRU(5, 6), _x(4, 3, 5)),
    ("RNN", lambda T: T.nn.RNN(5, 6, nonlinearity="relu"), _x(4, 3, 5)),
    ("MultiheadAttention", lambda T: T.nn.MultiheadAttention(8, 2, batch_first=True), _x(2, 5, 8)),
    ("TransformerEncoderLayer", lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
     _x(2, 5, 8)),
    ("GELU", lambda T: T.nn.GELU(), _x(3, 4)),
    ("Softmax", lambda T: T.nn.Softmax(dim=1), _x(3, 4)),
    ("Flatten", lambda T: T.nn.Flatten(), _x(2, 3, 4)),
    ("Dropout_eval", lambda T: T.nn.Dropout(0.5).eval(), _x(3, 4)),
    ("Softmin", lambda T: T.nn.Softmin(dim=1), _x(3, 4)),
    ("GLU", lambda T: T.nn.GLU(), _x(3, 4)),
    ("Tanhshrink", lambda T: T.nn.Tanhshrink(), _x(3, 4)),
    ("PairwiseDistance", lambda T: T.nn.PairwiseDistance(), _x(3, 4)),
    ("MaxPool3d", lambda T: T.nn.MaxPool3d(2), _x(1, 2, 4, 4, 4)),
    ("AvgPool3d", lambda T: T.nn.AvgPool3d(2), _x(1, 2, 4, 4, 4)),
    ("Transformer", lambda T: T.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True), _x(2, 5, 8)),
    ("BatchNorm3d", lambda T: T.nn.BatchNorm3d(3), _x(2, 3, 2, 3, 2)),
    ("InstanceNorm1d", lambda T: T.nn.InstanceNorm1d(3), _x(2, 3, 5)),
    ("InstanceNorm1d_unbatched", lambda T: T.nn.InstanceNorm1d(3, affine=True), _x(3, 5)),
    ("InstanceNorm2d", lambda T: T.nn.InstanceNorm2d(3, affine=True), _x(2, 3, 4, 4)),
    ("Unfold", lambda T: T.nn.Unfold(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), _x(2, 3, 5, 6)),
    ("Fold", lambda T: T.nn.Fold(output_size=(4, 5), kernel_size=2, padding=1, stride=2), _x(2, 12, 9)),
    ("MultiLabelSoftMarginLoss", lambda T: T.nn.MultiLabelSoftMarginLoss(), _x(3, 4)),
    ("MultiMarginLoss", lambda T: T.nn.MultiMarginLoss(p=2, margin=0.7, reduction="sum"), _x(3, 4)),
    ("LocalResponseNorm", lambda T: T.nn.LocalResponseNorm(3, alpha=0.1, beta=0.6, k=2.0), _x(2, 5, 3, 2)),
    ("LocalResponseNorm_even", lambda T: T.nn.LocalResponseNorm(2), _x(2, 4, 3)),
    ("AlphaDropout_eval", lambda T: T.nn.AlphaDropout(0.3).eval(), _x(3, 4)),
    ("AdaptiveAvgPool3d", lambda T: T.nn.AdaptiveAvgPool3d((2, 3, None)), _x(2, 2, 5, 4, 3)),
    ("AdaptiveAvgPool3d_global", lambda T: T.nn.AdaptiveAvgPool3d(1), _x(1, 3, 2, 3, 4)),
    ("LPPool2d", lambda T: T.nn.LPPool2d(2, (2, 3), stride=1), _x(2, 2, 4, 5)),
    ("Hardshrink", lambda T: T.nn.Hardshrink(0.3), _x(3, 4)),
    ("Softshrink", lambda T: T.nn.Softshrink(), _x(3, 4)),
    ("Threshold", lambda T: T.nn.Threshold(0.1, -2.0), _x(3, 4)),
    ("Softmax2d", lambda T: T.nn.Softmax2d(), _x(2, 3, 2, 2)),
    ("ConstantPad1d", lambda T: T.nn.ConstantPad1d((1, 2), 0.5), _x(2, 3, 4)),
    ("UpsamplingNearest2d", lambda T: T.nn.UpsamplingNearest2d(scale_factor=2), _x(1, 2, 3, 3)),
    ("UpsamplingBilinear2d", lambda T: T.nn.UpsamplingBilinear2d(size=(5, 4)), _x(1, 2, 3, 3)),
    ("MarginRankingLoss", lambda T: T.nn.MarginRankingLoss(margin=0.3), _x(6)),
    ("HingeEmbeddingLoss", lambda T: T.nn.HingeEmbeddingLoss(margin=0.5, reduction="sum"), _x(6)),
    ("CosineEmbeddingLoss", lambda T: T.nn.CosineEmbeddingLoss(margin=0.1), _x(4, 5)),
    ("PoissonNLLLoss", lambda T: T.nn.PoissonNLLLoss(full=True), _x(6)),
    ("PoissonNLLLoss_rates", lambda T: T.nn.PoissonNLLLoss(log_input=False, reduction="none"), _x(6)),
    ("GaussianNLLLoss", lambda T: T.nn.GaussianNLLLoss(full=True), _x(6)),
    ("TripletMarginLoss", lambda T: T.nn.TripletMarginLoss(margin=0.5, swap=True), _x(4, 5)),
]


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _call(layer, x, name):
    if name == "MultiheadAttention":
        return layer(x, x, x)
    if name == "PairwiseDistance":
        return layer(x, x * 0.5)
    T = torch if isinstance(x, torch.Tensor) else bt
    signs = T.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    if name in ("MarginRankingLoss", "HingeEmbeddingLoss"):
        return layer(x, x * x - 0.5, signs) if name == "MarginRankingLoss" else layer(x, signs.long())
    if name == "CosineEmbeddingLoss":
        return layer(x, x.flip(0) + 0.3, T.tensor([1, -1, -1, 1]))
    if name == "PoissonNLLLoss":
        return layer(x, T.tensor([0.0, 1.0, 2.0, 3.0, 5.0, 1.0]))
    if name == "PoissonNLLLoss_rates":
        return layer(x * x + 0.1, T.tensor([0.0, 1.0, 2.0, 3.0, 5.0, 1.0]))
    if name == "MultiLabelSoftMarginLoss":
        return layer(x, (x > 0).float())
    if name == "MultiMarginLoss":
        return layer(x, T.tensor([3, 0, 1]))
    if name == "GaussianNLLLoss":
        return layer(x, T.ones(6) * 0.5, x * x + 1e-7)
    if name == "TripletMarginLoss":
        return layer(x, x.flip(0), x * 0.5 + 0.2)
    if name == "Transformer":
        return layer(x, x[:, :3] * 0.5)
    return layer(x)


@pytest.mark.parametrize("name, make, data", LAYERS, ids=[c[0] for c in LAYERS])
def test_layers_on_torch_tensors_match_torch(name, make, data):
    torch.manual_seed(0)
    tl = make(torch)
    bl = make(bt)
    bl.load_state_dict({k: v.detach().numpy().copy() for k, v in tl.state_dict().items()})
    assert all(type(p) is bt.nn.Parameter for p in bl.parameters())
    floating = data.dtype.kind == "f"
    tx = torch.tensor(data, requires_grad=floating)
    bx = bt.tensor(data, requires_grad=floating)
    tout, bout = _first(_call(tl, tx, name)), _first(_call(bl, bx, name))
    assert isinstance(bout, bt.Tensor) and bout.dtype == bt.float32 and bout.shape == tuple(tout.shape)
    np.testing.assert_allclose(bout.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = rng.standard_normal(tuple(tout.shape)).astype(np.float32)
    (tout * torch.tensor(w)).sum().backward()
    (bout * bt.tensor(w)).sum().backward()
    if floating:
        np.testing.assert_allclose(bx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (k, tp), bp in zip(tl.named_parameters(), bl.parameters()):
        assert isinstance(bp.grad, bt.Tensor), k
        np.testing.assert_allclose(bp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=k)
    for (k, tb), bb in zip(tl.named_buffers(), bl.buffers()):  # running statistics updated alike
        assert isinstance(bb, bt.Tensor), k
        np.testing.assert_allclose(bb.numpy(), tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_plain_backchain_layers_fed_torch_tensors_return_torch_tensors():
    layer = bc.nn.Linear(3, 2)
    out = layer(bt.ones(4, 3))
    assert isinstance(out, bt.Tensor) and type(layer.weight) is bc.nn.Parameter
    assert type(layer(np.ones((4, 3), dtype=np.float32))) is bc.Tensor


@pytest.mark.parametrize("make, x", [
    (lambda T: T.nn.Linear(3, 2), lambda T: T.ones(4, 3, dtype=T.float64)),
    (lambda T: T.nn.Sequential(T.nn.Linear(3, 2)), lambda T: T.ones(4, 3, dtype=T.float64)),
    (lambda T: T.nn.Conv2d(1, 2, 3), lambda T: T.ones(1, 1, 5, 5, dtype=T.float64)),
])
def test_a_float32_layer_fed_float64_raises_as_torch(make, x):
    with pytest.raises(RuntimeError) as want:
        make(torch)(x(torch))
    with pytest.raises(RuntimeError) as got:
        make(bt)(x(bt))
    head = str(want.value).split(" (")[0]
    assert str(got.value).startswith(head.split(",")[0]), (str(got.value), head)
    assert make(bt).double()(x(bt)).dtype == bt.float64  # cast the model, as in PyTorch


@pytest.mark.filterwarnings("ignore:size_average and reduce args")
def test_functional_linear_checks_dtypes_and_legacy_loss_arguments():
    F, TF = bt.nn.functional, torch.nn.functional
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        F.linear(bt.ones(2, 3, dtype=bt.float64), bt.ones(4, 3))
    logp = np.log(np.array([[0.2, 0.8], [0.6, 0.4]], dtype=np.float32))
    target = np.array([1, 0])
    for kw in (dict(size_average=False), dict(reduce=False), dict(size_average=True), dict(reduction="sum")):
        want = TF.nll_loss(torch.tensor(logp), torch.tensor(target), **kw).numpy()
        got = F.nll_loss(bt.tensor(logp), bt.tensor(target), **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_channel_dropout_zeroes_whole_channels():
    bt.manual_seed(0)
    y = bt.nn.Dropout2d(0.5)(bt.ones(4, 6, 3, 3)).numpy()
    per_channel = y.reshape(4, 6, 9)
    assert set(np.unique(per_channel).tolist()) <= {0.0, 2.0}
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert bt.nn.Dropout1d(0.5).eval()(bt.ones(2, 3, 4)).numpy().tolist() == np.ones((2, 3, 4)).tolist()


def test_adadelta_matches_torch_with_weight_decay():
    w0 = _x(3, 4)
    tw = torch.tensor(w0, requires_grad=True)
    bw = bt.tensor(w0, requires_grad=True)
    topt = torch.optim.Adadelta([tw], lr=0.5, rho=0.8, weight_decay=0.1)
    bopt = bt.optim.Adadelta([bw], lr=0.5, rho=0.8, weight_decay=0.1)
    for _ in range(5):
        for w, opt, T in ((tw, topt, torch), (bw, bopt, bt)):
            opt.zero_grad()
            (T.sin(w) * w).sum().backward()
            opt.step()
    np.testing.assert_allclose(bw.detach().numpy(), tw.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_dataloader_yields_torch_tensors_and_shuffles_reproducibly_after_manual_seed():
    x, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
    ds = bt.utils.data.TensorDataset(bt.tensor(x), bt.tensor(y))
    xi, yi = ds[3]
    assert isinstance(xi, bt.Tensor) and yi.item() == 3

    def order():
        bt.manual_seed(5)
        loader = bt.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, pin_memory=True)
        batches = list(loader)
        assert all(isinstance(b, bt.Tensor) for pair in batches for b in pair)
        assert batches[0][0].dtype == bt.float32 and batches[0][1].dtype == bt.int64
        return [b[1].tolist() for b in batches]
    first = order()
    assert first == order() and sorted(sum(first, [])) == list(range(10)) and first[0] != [0, 1, 2, 3]
    a, b = bt.utils.data.random_split(ds, [7, 3], generator=bt.Generator().manual_seed(42))
    assert len(a) == 7 and len(b) == 3


def test_autograd_grad_matches_torch_for_leaves_intermediates_and_second_order():
    for T in (torch, bt):
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = T.sin(x) * x
        y = (h ** 2).sum()
        gx, gh = T.autograd.grad(y, [x, h], create_graph=True)
        (g2,) = T.autograd.grad(gx.sum(), x)
        if T is torch:
            want = [v.detach().numpy() for v in (gx, gh, g2)]
        else:
            got = [v.detach().numpy() for v in (gx, gh, g2)]
            assert isinstance(gx, bt.Tensor) and gx.requires_grad and x.grad is None
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        z = bt.tensor([1.0], requires_grad=True)
        bt.autograd.grad((z * 2).sum(), [z, bt.tensor([1.0], requires_grad=True)])


def test_custom_function_sees_torch_tensors():
    class MyReLU(bt.autograd.Function):  # the tutorial's, which uses torch methods on its arguments
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    x = bt.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    y = MyReLU.apply(x)
    assert isinstance(y, bt.Tensor) and y.tolist() == [0.0, 2.0, 3.0]
    (y * bt.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 3.0]
    assert isinstance(MyReLU.apply(bt.tensor([1.0, -1.0])), bt.Tensor)


def test_save_and_load_state_dicts_and_containers_through_paths_and_files(tmp_path):
    model = bt.nn.Sequential(bt.nn.Linear(3, 4), bt.nn.BatchNorm1d(4))
    ckpt = {"model": model.state_dict(), "epoch": 3, "name": "run", "best": 0.25, "flags": [True, None],
            "extra": (bt.tensor([1, 2]),)}
    path = tmp_path / "ckpt.pt"
    bt.save(ckpt, path)
    buf = io.BytesIO()
    bt.save(ckpt, buf)
    buf.seek(0)
    for back in (bt.load(path), bt.load(buf, map_location="cpu", weights_only=True)):
        assert back["epoch"] == 3 and back["name"] == "run" and back["flags"] == [True, None]
        assert isinstance(back["extra"][0], bt.Tensor) and back["extra"][0].tolist() == [1, 2]
        fresh = bt.nn.Sequential(bt.nn.Linear(3, 4), bt.nn.BatchNorm1d(4))
        fresh.load_state_dict(back["model"])
        np.testing.assert_array_equal(fresh[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    model.activation = lambda x: x  # code, which a file cannot hold
    with pytest.raises(TypeError, match="function, which a module file cannot store"):
        bt.save(model, tmp_path / "model.pt")


def test_module_to_device_and_dtype():
    model = bt.nn.Linear(2, 2).to(bt.device("cpu"))
    assert model.to("cpu", bt.float64).weight.dtype == bt.float64
    assert model.to(bt.ones(1, dtype=bt.float32)).weight.dtype == bt.float32
    assert repr(model.weight).startswith("Parameter containing:\ntensor([[")


def test_fit_trains_a_torch_namespace_model():
    bt.manual_seed(0)
    x = bt.randn(32, 3)
    y = (x.sum(1) > 0).long()
    model = bt.nn.Sequential(bt.nn.Linear(3, 8), bt.nn.ReLU(), bt.nn.Linear(8, 2))
    loader = bt.utils.data.DataLoader(bt.utils.data.TensorDataset(x, y), batch_size=8)
    opt = bt.optim.SGD(model.parameters(), lr=0.1)
    first = float(bt.nn.functional.cross_entropy(model(x), y))
    bc.fit(model, loader, loss="cross_entropy", optimizer=opt, epochs=3, verbose=0)
    assert float(bt.nn.functional.cross_entropy(model(x), y)) < first


def test_parameter_list_and_dict_register_their_parameters():
    class Net(bt.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = bt.nn.ParameterList([bt.nn.Parameter(bt.ones(2)), bt.zeros(3)])
            self.named = bt.nn.ParameterDict({"a": bt.nn.Parameter(bt.ones(1))})

    net = Net()
    assert list(net.state_dict()) == ["ws.0", "ws.1", "named.a"]
    assert len(net.ws) == 2 and net.ws[1].shape == (3,) and "a" in net.named
    assert all(isinstance(p, bt.nn.Parameter) and p.requires_grad for p in net.parameters())


def test_concat_dataset_and_samplers():
    a = bt.utils.data.TensorDataset(bt.arange(3))
    b = bt.utils.data.TensorDataset(bt.arange(10, 14))
    both = bt.utils.data.ConcatDataset([a, b])
    assert len(both) == 7 and both[2][0].item() == 2 and both[3][0].item() == 10 and both[-1][0].item() == 13
    bt.manual_seed(0)
    sampler = bt.utils.data.SubsetRandomSampler([1, 3, 5])
    assert sorted(sampler) == [1, 3, 5] and len(sampler) == 3
    loader = bt.utils.data.DataLoader(both, batch_size=2, sampler=bt.utils.data.SubsetRandomSampler([0, 4]))
    assert sorted(v for (batch,) in loader for v in batch.tolist()) == [0, 11]
    drawn = list(bt.utils.data.WeightedRandomSampler([0.0, 1.0, 0.0], 5))
    assert drawn == [1] * 5 and bt.utils.data.get_worker_info() is None


def test_autograd_functional_matches_torch():
    x0 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    v0 = np.array([1.0, 0.5, -2.0], dtype=np.float32)
    for name in ("jacobian", "hessian", "vjp", "jvp", "hvp"):
        out = {}
        for T in (torch, bt):
            fn = getattr(T.autograd.functional, name)
            x, v = T.tensor(x0), T.tensor(v0)
            if name == "jacobian":
                r = fn(lambda x: T.sin(x) * x, x)
            elif name == "hessian":
                r = fn(lambda x: (x ** 3 * T.cos(x)).sum(), x)
            elif name == "hvp":
                r = fn(lambda x: (x ** 3 * T.cos(x)).sum(), x, v)[1]
            else:
                r = fn(lambda x: T.sin(x) * x, x, v)[1]
            out[T] = r.numpy()
        np.testing.assert_allclose(out[bt], out[torch], rtol=1e-5, atol=1e-6, err_msg=name)
    assert bt.autograd.Variable(bt.ones(2), requires_grad=True).requires_grad


class _Tied(bt.nn.Module):
    """A user's model: shared weights, a plain attribute, an activation function, nested layers."""

    def __init__(self):
        super().__init__()
        self.emb = bt.nn.Embedding(7, 4)
        self.body = bt.nn.Sequential(bt.nn.Linear(4, 4), bt.nn.GELU(), bt.nn.LayerNorm(4))
        self.enc = bt.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
        self.head = bt.nn.Linear(4, 7, bias=False)
        self.head.weight = self.emb.weight
        self.bn = bt.nn.BatchNorm1d(4)
        self.scale = 0.5
        self.kind = ("tied", 2)

    def forward(self, idx):
        h = self.enc(self.body(self.emb(idx)) * self.scale)
        return self.head(self.bn(h.transpose(1, 2)).transpose(1, 2))


def test_whole_modules_save_and_load_from_allowed_classes_only(tmp_path):
    bt.manual_seed(0)
    model = _Tied()
    idx = bt.tensor([[1, 2, 3], [4, 5, 6]])
    model(idx)  # the batch norm's running statistics move
    model.eval()
    want = model(idx).detach().numpy()
    path = tmp_path / "model.pt"
    bt.save(model, path)
    with pytest.raises(RuntimeError, match=r"_Tied, which is not allowed.*add_safe_globals"):
        bt.load(path)
    with bt.serialization.safe_globals([_Tied]):
        back = bt.load(path, weights_only=True)
    assert type(back) is _Tied and not back.training and back.kind == ("tied", 2) and back.scale == 0.5
    assert back.head.weight is back.emb.weight and isinstance(back.head.weight, bt.nn.Parameter)
    np.testing.assert_array_equal(back(idx).detach().numpy(), want)
    np.testing.assert_array_equal(back.bn.running_var.numpy(), model.bn.running_var.numpy())
    assert list(back.state_dict()) == list(model.state_dict())
    back.train()
    back(idx).sum().backward()
    assert back.emb.weight.grad is not None


def test_backchain_layers_load_without_an_allow_list():
    import io
    for model in (bt.nn.Sequential(bt.nn.Conv2d(1, 2, 3), bt.nn.ReLU(), bt.nn.Flatten(), bt.nn.Dropout(0.1)),
                  bt.nn.LSTM(3, 4, num_layers=2), bt.nn.Transformer(8, 2, 1, 1, 16), bc.nn.Linear(2, 2)):
        buf = io.BytesIO()
        bt.save({"model": model, "step": 7}, buf)
        back = bt.load(io.BytesIO(buf.getvalue()))
        assert back["step"] == 7 and type(back["model"]) is type(model)
        for (k, a), (k2, b) in zip(model.state_dict().items(), back["model"].state_dict().items()):
            assert k == k2
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_file_naming_any_other_class_or_function_is_refused_before_importing_it(tmp_path):
    node = {"class": "no_such_module_anywhere:Thing", "training": True, "attrs": {}, "parameters": {}, "buffers": {},
            "non_persistent": [], "modules": {}}
    path = tmp_path / "evil.pt"
    bc.save({"__backchain_module__": {"nodes": [node], "arrays": []}}, str(path))
    # the allow-list refuses it before any import is tried (a ModuleNotFoundError would mean an import)
    with pytest.raises(RuntimeError, match="no_such_module_anywhere:Thing, which is not allowed"):
        bt.load(path)
    node = dict(node, **{"class": "backchain.torch.nn:Linear",
                         "attrs": {"f": {"__backchain_global__": "os:system"}}})
    bc.save({"__backchain_module__": {"nodes": [node], "arrays": []}}, str(path))
    with pytest.raises(RuntimeError, match="os:system, which is not allowed"):
        bt.load(path)
    model = bt.nn.Linear(2, 2)
    model.register_forward_hook(lambda *a: None)
    with pytest.raises(TypeError, match="hooks"):
        bt.save(model, tmp_path / "hooked.pt")


def test_distributed_data_parallel_averages_gradients_in_backward(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from tests.torch_ns import _ddp_worker as worker
    mpiexec = shutil.which("mpiexec", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = tmp_path / "weights.npz"
    done = subprocess.run([mpiexec, "-n", "2", sys.executable, worker.__file__, str(out)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    # one process on the whole batch: the mean loss's gradient is the average of the halves'
    x, y = worker.data()
    net = worker.model()
    opt = bt.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        bt.nn.functional.cross_entropy(net(bt.from_numpy(x)), bt.from_numpy(y)).backward()
        opt.step()
    got = np.load(out)
    for k, p in enumerate(net.parameters()):
        np.testing.assert_allclose(got[f"arr_{k}"], p.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, value", [
    (lambda T, a, b: T.distributions.Normal(a, b.abs() + 0.5), lambda T: T.tensor([0.3, -1.0, 2.0])),
    (lambda T, a, b: T.distributions.Uniform(a - 3, b.abs() + 3), lambda T: T.tensor([0.3, -1.0, 2.0])),
    (lambda T, a, b: T.distributions.Categorical(logits=T.stack([a, b])), lambda T: T.tensor([2, 0])),
    (lambda T, a, b: T.distributions.Categorical(probs=T.stack([a, b]).abs() + 0.1), lambda T: T.tensor([1, 1])),
    (lambda T, a, b: T.distributions.Bernoulli(logits=a), lambda T: T.tensor([1.0, 0.0, 1.0])),
    (lambda T, a, b: T.distributions.Bernoulli(probs=T.sigmoid(b)), lambda T: T.tensor([0.0, 0.0, 1.0])),
])
def test_distributions_match_torch(make, value):
    a0, b0 = np.array([0.2, -0.7, 1.1], np.float32), np.array([-0.4, 0.9, 0.3], np.float32)
    out = {}
    for T in (torch, bt):
        a, b = T.tensor(a0, requires_grad=True), T.tensor(b0, requires_grad=True)
        d = make(T, a, b)
        lp, ent = d.log_prob(value(T)), d.entropy()
        (lp.sum() + ent.sum()).backward()
        sample = d.sample((5,))
        grads = [None if t.grad is None else t.grad.numpy() for t in (a, b)]
        out[T] = [lp.detach().numpy(), ent.detach().numpy()] + grads + [tuple(sample.shape), str(sample.dtype)]
    for w, g in zip(out[torch][:4], out[bt][:4]):
        assert (w is None) == (g is None)
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert out[bt][4:] == out[torch][4:]


def test_normal_rsample_and_kl_divergence():
    N = bt.distributions.Normal
    loc, scale = bt.tensor([0.5], requires_grad=True), bt.tensor([2.0], requires_grad=True)
    bt.manual_seed(0)
    z = N(loc, scale).rsample((1000,))
    z.mean().backward()
    assert loc.grad.item() == pytest.approx(1.0) and abs(z.mean().item() - 0.5) < 0.2
    tk = torch.distributions.kl_divergence(torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor(1.5)),
                                           torch.distributions.Normal(torch.tensor(0.3), torch.tensor([1.0, 2.0])))
    bk = bt.distributions.kl_divergence(N(bt.tensor([0.0, 1.0]), bt.tensor(1.5)),
                                        N(bt.tensor(0.3), bt.tensor([1.0, 2.0])))
    np.testing.assert_allclose(bk.numpy(), tk.numpy(), rtol=1e-6)


def test_dataloader_with_a_batch_sampler_matches_torch():
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    out = {}
    for T in (torch, bt):
        ds = T.utils.data.TensorDataset(T.from_numpy(x))
        sampler = T.utils.data.BatchSampler(T.utils.data.SequentialSampler(ds), batch_size=3, drop_last=False)
        loader = T.utils.data.DataLoader(ds, batch_sampler=sampler)
        out[T] = (len(loader), [b[0].tolist() for b in loader])
        with pytest.raises(ValueError, match="mutually exclusive"):
            T.utils.data.DataLoader(ds, batch_sampler=sampler, batch_size=2)
    assert out[bt] == out[torch]


def test_alpha_dropout_keeps_mean_and_variance_and_gumbel_softmax_is_straight_through():
    bt.manual_seed(0)
    x = bt.randn(200000)
    y = bt.nn.functional.alpha_dropout(x, 0.3, training=True)
    assert abs(y.mean().item()) < 0.01 and abs(y.std().item() - 1.0) < 0.01
    logits = bt.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
    sample = bt.nn.functional.gumbel_softmax(logits, tau=0.5, hard=True)
    assert sorted(sample.tolist()[0]) == [0.0, 0.0, 1.0]
    (sample * bt.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    np.testing.assert_allclose(bt.nn.functional.upsample(bt.ones(1, 1, 2), scale_factor=2).numpy(), np.ones((1, 1, 4)))


def test_dirac_init_matches_torch():
    for shape, groups in (((4, 2, 3, 3), 2), ((3, 5, 1), 1), ((2, 2, 3, 3, 3), 1)):
        want = torch.nn.init.dirac_(torch.empty(shape), groups=groups).numpy()
        got = bt.nn.init.dirac_(bt.nn.Parameter(bt.empty(*shape)), groups=groups)
        np.testing.assert_array_equal(got.detach().numpy(), want)



@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_torch(mode):
    w0 = np.random.default_rng(3).standard_normal((10, 4)).astype(np.float32)
    out = {}
    for T in (torch, bt):
        bag = T.nn.EmbeddingBag(10, 4, mode=mode)
        bag.load_state_dict({"weight": T.tensor(w0)})
        text = T.tensor([1, 2, 4, 5, 4, 3, 2, 9])
        offsets = T.tensor([0, 4, 5])
        y1 = bag(text, offsets)
        y2 = bag(T.tensor([[1, 2], [4, 4]]))
        ((y1 * T.arange(12.0).view(3, 4)).sum() + y2.sum()).backward()
        extra = []
        if mode == "sum":
            extra = [bag(text, offsets, per_sample_weights=T.linspace(0.1, 0.8, 8)).detach().numpy()]
        out[T] = [y1.detach().numpy(), y2.detach().numpy(), bag.weight.grad.numpy()] + extra
    for w, g in zip(out[torch], out[bt]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:size_average and reduce args")
def test_loss_layers_take_the_legacy_arguments_as_torch():
    x = np.log(np.array([[0.2, 0.8], [0.6, 0.4]], dtype=np.float32))
    t = np.array([1, 0])
    for kw in (dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)):
        want = torch.nn.NLLLoss(**kw)(torch.tensor(x), torch.tensor(t)).numpy()
        got = bt.nn.NLLLoss(**kw)(bt.tensor(x), bt.tensor(t)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6)
    want = torch.nn.MSELoss(size_average=False)(torch.ones(3), torch.zeros(3)).item()
    assert bt.nn.MSELoss(size_average=False)(bt.ones(3), bt.zeros(3)).item() == want


def test_nanogpt_style_checkpoint_resumes_training_exactly(tmp_path):
    def make():
        return bt.nn.Sequential(bt.nn.Linear(3, 4), bt.nn.ReLU(), bt.nn.Linear(4, 2))

    def step(model, opt, x):
        opt.zero_grad(set_to_none=True)
        model(x).pow(2).mean().backward()
        opt.step()

    bt.manual_seed(0)
    x = bt.randn(5, 3)
    model = make()
    opt = bt.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.95))
    step(model, opt, x)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "model_args": dict(n_layer=2),
                  "iter_num": 1, "best_val_loss": bt.tensor(1.5), "config": {"lr": 1e-2, "name": "run"}}
    bt.save(checkpoint, tmp_path / "ckpt.pt")
    back = bt.load(tmp_path / "ckpt.pt", map_location="cpu")
    resumed = make()
    resumed.load_state_dict(back["model"])
    ropt = bt.optim.AdamW(resumed.parameters(), lr=1e-2)
    ropt.load_state_dict(back["optimizer"])
    assert back["iter_num"] == 1 and back["best_val_loss"].item() == 1.5 and back["config"]["name"] == "run"
    assert ropt.param_groups[0]["betas"] == (0.9, 0.95)
    step(model, opt, x)
    step(resumed, ropt, x)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_lazy_layers_take_their_input_size_and_become_the_layer():
    for T in (torch, bt):
        layer = T.nn.LazyLinear(3)
        conv = T.nn.LazyConv2d(4, 3, padding=1, bias=False)
        assert layer(T.ones(2, 5)).shape == (2, 3) and type(layer).__name__ == "Linear"
        assert conv(T.ones(1, 2, 5, 5)).shape == (1, 4, 5, 5) and conv.bias is None
        assert tuple(layer.weight.shape) == (3, 5) and tuple(conv.weight.shape) == (4, 2, 3, 3)
        assert list(layer.state_dict()) == ["weight", "bias"]
    # backchain's placeholders are the parameters: an optimizer made before the first forward updates them
    layer = bt.nn.LazyLinear(2)
    opt = bt.optim.SGD(layer.parameters(), lr=0.1)
    layer(bt.ones(1, 4)).sum().backward()
    before = layer.weight.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(layer.weight.detach().numpy(), before - 0.1, rtol=1e-6)


def test_sparse_init_zeroes_the_fraction_of_each_column():
    bt.manual_seed(0)
    w = bt.nn.init.sparse_(bt.nn.Parameter(bt.empty(10, 4)), sparsity=0.25, std=0.5)
    t = torch.nn.init.sparse_(torch.empty(10, 4), sparsity=0.25, std=0.5)
    assert (w == 0).sum(0).tolist() == (t == 0).sum(0).tolist() == [3, 3, 3, 3]
    assert 0.2 < float(w.detach().numpy()[w.detach().numpy() != 0].std()) < 1.0


def test_data_parallel_runs_the_module_as_torch_does_on_the_cpu():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    out = {}
    for T in (torch, bt):
        T.manual_seed(0)
        inner = T.nn.Linear(3, 2)
        model = T.nn.DataParallel(inner, device_ids=[0, 1])
        assert model.module is inner and list(model.state_dict()) == ["module.weight", "module.bias"]
        assert isinstance(T.nn.parallel.DataParallel(inner), T.nn.Module)
        y = model(T.tensor(x))
        y.sum().backward()
        out[T] = y.detach().numpy(), inner.weight.grad.numpy()
    bt_state = {k: bt.tensor(v.detach().numpy()) for k, v in torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict().items()}
    model = bt.nn.DataParallel(bt.nn.Linear(3, 2))
    model.load_state_dict(bt_state)  # a DataParallel checkpoint loads by its prefixed keys
    np.testing.assert_array_equal(model.module.weight.detach().numpy(), bt_state["module.weight"].numpy())
    np.testing.assert_allclose(out[bt][1], out[torch][1], rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda T, x: T.nn.functional.max_pool2d(x, 2, return_indices=True),
    lambda T, x: T.nn.functional.max_pool1d(x[0], 2, return_indices=True),
    lambda T, x: T.nn.functional.max_pool3d(x[None], 2, return_indices=True),
    lambda T, x: T.nn.functional.adaptive_max_pool2d(x, 2, return_indices=True),
    lambda T, x: T.nn.functional.adaptive_max_pool1d(x[0], 2, return_indices=True),
    lambda T, x: T.nn.MaxPool2d(2, return_indices=True)(x),
    lambda T, x: T.nn.AdaptiveMaxPool2d(2, return_indices=True)(x),
], ids=["max_pool2d", "max_pool1d", "max_pool3d", "adaptive_max_pool2d", "adaptive_max_pool1d", "MaxPool2d",
        "AdaptiveMaxPool2d"])
def test_pooling_indices_are_int64_torch_tensors_equal_to_torch(call):
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    (tv, ti), (bv, bi) = call(torch, torch.tensor(x)), call(bt, bt.tensor(x))
    assert type(bi) is bt.Tensor and bi.dtype == bt.int64
    np.testing.assert_array_equal(bi.numpy(), ti.numpy())
    np.testing.assert_array_equal(bv.numpy(), tv.numpy())
