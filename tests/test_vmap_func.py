"""``bc.func``: per-example gradients of modules, ensembles by stacked parameters, ``jacrev``/``jacfwd``,
random draws inside vmap, and ``backchain.torch.func.vmap``; against torch.func, JAX and loops."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.nn.functional as F


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):  # JAX in float64 inside these tests only
        yield


torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = jax.numpy

RNG = np.random.default_rng(1)


def _mlp(dtype=np.float64):
    bc.manual_seed(0)
    model = bc.nn.Sequential(bc.nn.Linear(5, 7), bc.nn.Tanh(), bc.nn.Linear(7, 3))
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    return model


def _torch_copy(model):
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)).double()
    with torch.no_grad():
        for (k, p), (_, q) in zip(model.named_parameters(), tm.named_parameters()):
            q.copy_(torch.tensor(np.asarray(p.data)))
    return tm


def test_per_example_grads_match_torch_func():
    from torch.func import functional_call as tcall, grad as tgrad, vmap as tvmap

    model = _mlp()
    x, y = RNG.normal(size=(8, 5)), RNG.integers(0, 3, size=8)
    got = bc.func.per_example_grads(model, F.cross_entropy, x, y)
    tm = _torch_copy(model)
    tparams = {k: v.detach() for k, v in tm.named_parameters()}

    def tloss(p, xi, yi):
        return torch.nn.functional.cross_entropy(tcall(tm, p, (xi[None],)), yi[None])

    ref = tvmap(tgrad(tloss), in_dims=(None, 0, 0))(tparams, torch.tensor(x), torch.tensor(y))
    for k in tparams:
        assert got[k].shape == (8,) + tuple(tparams[k].shape)
        np.testing.assert_allclose(got[k], ref[k].numpy(), rtol=1e-10, atol=1e-13)


def test_per_example_grads_sum_to_the_batch_gradient():
    model = _mlp()
    x, y = RNG.normal(size=(6, 5)), RNG.integers(0, 3, size=6)
    pe = bc.func.per_example_grads(model, F.cross_entropy, x, y)
    params = {k: np.asarray(p.data) for k, p in model.named_parameters()}
    batch = bc.grad(lambda p: F.cross_entropy(bc.nn.functional_call(model, p, (x,)), y, reduction="sum"))(params)
    for k in params:
        np.testing.assert_allclose(pe[k].sum(0), batch[k], rtol=1e-10, atol=1e-13)


def test_per_example_grads_float32_and_mismatch():
    model = _mlp(np.float32)
    x, y = RNG.normal(size=(4, 5)).astype(np.float32), RNG.integers(0, 3, size=4)
    g = bc.func.per_example_grads(model, F.cross_entropy, x, y)
    assert all(v.dtype == np.float32 for v in g.values())
    with pytest.raises(ValueError, match="x has 4 examples but y has 3"):
        bc.func.per_example_grads(model, F.cross_entropy, x, y[:3])


def test_per_example_hessian_of_parameters_as_jax():
    W = RNG.normal(size=(3, 2))
    X = RNG.normal(size=(4, 3))
    f = lambda w, x: bnp.sum(bnp.tanh(x @ w) ** 2)  # noqa: E731
    jf = lambda w, x: jnp.sum(jnp.tanh(x @ w) ** 2)  # noqa: E731
    got = bc.vmap(bc.hessian(f), in_axes=(None, 0))(W, X)
    ref = jax.vmap(jax.hessian(jf), in_axes=(None, 0))(W, X)
    np.testing.assert_allclose(got, np.asarray(ref), rtol=1e-11)


def test_ensemble_with_stacked_parameters():
    models = [_mlp() for _ in range(3)]
    for k, m in enumerate(models):
        for p in m.parameters():
            p.data = p.data + 0.1 * k
    params, buffers = bc.func.stack_module_state(models)
    assert params["0.weight"].shape == (3, 7, 5) and buffers == {}
    x = RNG.normal(size=(4, 5))
    out = bc.vmap(lambda p: bc.func.functional_call(models[0], p, (x,)))(params)
    ref = np.stack([np.asarray(m(x).data) for m in models])
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_stack_module_state_refuses_different_models():
    with pytest.raises(ValueError, match="model 1 .* other parameters"):
        bc.func.stack_module_state([bc.nn.Linear(2, 3), bc.nn.Linear(3, 3)])


def test_jacrev_and_jacfwd_names():
    f = lambda x: bnp.sin(x) * bnp.sum(x)  # noqa: E731
    x = RNG.normal(size=4)
    ref = np.asarray(jax.jacrev(lambda x: jnp.sin(x) * jnp.sum(x))(x))
    np.testing.assert_allclose(bc.func.jacrev(f)(x), ref, rtol=1e-13)
    np.testing.assert_allclose(bc.func.jacfwd(f)(x), ref, rtol=1e-13)
    g, v = bc.func.grad_and_value(lambda x: bnp.sum(x ** 2))(x)
    np.testing.assert_allclose(g, 2 * x)


def test_dropout_draws_one_mask_per_example():
    X = np.ones((6, 50))
    bc.manual_seed(0)
    out = bc.vmap(lambda x: F.dropout(x, 0.5))(X)
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert len({row.tobytes() for row in out}) == 6  # different masks
    same = bc.vmap(lambda x: F.dropout(x, 0.5), randomness="same")(X)
    assert len({row.tobytes() for row in same}) == 1
    with pytest.raises(RuntimeError, match="randomness='error'"):
        bc.vmap(lambda x: F.dropout(x, 0.5), randomness="error")(X)


def test_torch_func_vmap():
    import backchain.torch as btorch

    x = btorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = btorch.func.vmap(btorch.func.grad(lambda v: (v ** 3).sum()))(x)
    assert isinstance(out, btorch.Tensor)
    np.testing.assert_allclose(out.numpy(), 3 * np.array([[1.0, 2.0], [3.0, 4.0]]) ** 2)
    w = btorch.tensor([1.0, -1.0])
    out = btorch.func.vmap(lambda v, w: btorch.dot(v, w), in_dims=(0, None))(x, w)
    np.testing.assert_allclose(out.numpy(), [-1.0, -1.0])


def test_per_example_benchmark_runs(capsys):
    from benchmarks import per_example

    assert per_example.main(["--batch", "4", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "backchain vmap(grad)" in out and "loop over basis vectors" in out


def test_dp_sgd_example_trains():
    pytest.importorskip("sklearn")
    import importlib
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples"))
    try:
        dp = importlib.import_module("dp_sgd_digits")
    finally:
        sys.path.pop(0)
    results = dp.main(["--epochs", "2"])
    assert results["SGD"] > 0.7 and results["DP-SGD"] > 0.6
    # the private gradient: each example's contribution clipped to the norm given
    model = dp.model_for(0)
    x, y = np.random.default_rng(0).random((5, 64)).astype(np.float32), np.arange(5)
    g = dp.private_gradient(model, x, y, clip=1e-3, noise=0.0, rng=np.random.default_rng(0))
    total = np.sqrt(sum((v.astype(np.float64) ** 2).sum() for v in g.values()))
    assert total <= 1e-3 + 1e-9


def _looped(model, loss, x, y):
    params = {k: np.asarray(p.data) for k, p in model.named_parameters()}
    return [bc.grad(lambda p: loss(bc.nn.functional_call(model, p, (x[i:i + 1],)), y[i:i + 1]))(params)
            for i in range(len(x))]


class _LSTMHead(bc.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = bc.nn.LSTM(3, 5, batch_first=True)
        self.fc = bc.nn.Linear(5, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class _Encoder(bc.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = bc.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.fc = bc.nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.enc(x).mean(axis=1))


def _models():
    rng = np.random.default_rng(3)
    bc.manual_seed(0)
    f32 = lambda *s: rng.normal(size=s).astype(np.float32)  # noqa: E731
    bn = bc.nn.Sequential(bc.nn.Linear(5, 4), bc.nn.BatchNorm1d(4), bc.nn.Linear(4, 2))
    bn.eval()
    return {
        "cnn": (bc.nn.Sequential(bc.nn.Conv2d(1, 4, 3, padding=1), bc.nn.ReLU(), bc.nn.MaxPool2d(2), bc.nn.Flatten(),
                                 bc.nn.Linear(4 * 4 * 4, 10)), f32(5, 1, 8, 8), rng.integers(0, 10, 5), F.cross_entropy),
        "layernorm-gelu": (bc.nn.Sequential(bc.nn.Linear(5, 8), bc.nn.LayerNorm(8), bc.nn.GELU(), bc.nn.Linear(8, 3)),
                           f32(5, 5), rng.integers(0, 3, 5), F.cross_entropy),
        "embedding": (bc.nn.Sequential(bc.nn.Embedding(20, 6), bc.nn.Flatten(), bc.nn.Linear(24, 3)),
                      rng.integers(0, 20, (5, 4)), rng.integers(0, 3, 5), F.cross_entropy),
        "lstm": (_LSTMHead(), f32(4, 7, 3), rng.integers(0, 2, 4), F.cross_entropy),
        "transformer": (_Encoder(), f32(4, 5, 8), rng.integers(0, 2, 4), F.cross_entropy),
        "mse": (bc.nn.Sequential(bc.nn.Linear(5, 4), bc.nn.Sigmoid(), bc.nn.Linear(4, 2)), f32(5, 5), f32(5, 2),
                F.mse_loss),
        "batchnorm-eval": (bn, f32(5, 5), rng.integers(0, 2, 5), F.cross_entropy),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_per_example_grads_of_layers_match_a_loop(name):
    import warnings

    model, x, y, loss = _models()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows that loop (the LSTM layer) warn once
        got = bc.func.per_example_grads(model, loss, x, y)
    for i, ref in enumerate(_looped(model, loss, x, y)):
        for k in ref:
            np.testing.assert_allclose(got[k][i], ref[k], rtol=1e-4, atol=1e-6, err_msg=f"{name} {k} example {i}")


@pytest.mark.parametrize("groups", [1, 2])
def test_per_example_conv_weight_gradients_first_and_second_order(groups):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 2, 4, 6, 5))            # 3 examples of a batch of 2 images, 4 channels
    w = rng.normal(size=(6, 4 // groups, 3, 2))
    b = rng.normal(size=6)
    t = rng.normal(size=w.shape)

    def loss(w, b, xi):
        return bnp.sum(bnp.tanh(F.conv2d(xi, w, b, stride=(2, 1), padding=1, groups=groups)) ** 2)

    got = bc.vmap(bc.grad(loss, argnums=(0, 1)), in_axes=(None, None, 0))(w, b, x)
    hvp = bc.vmap(lambda xi: bc.jvp(lambda v: bc.grad(loss)(v, b, xi), (w,), (t,))[1])(x)
    for i in range(3):
        gw, gb = bc.grad(loss, argnums=(0, 1))(w, b, x[i])
        np.testing.assert_allclose(got[0][i], gw, rtol=1e-10)
        np.testing.assert_allclose(got[1][i], gb, rtol=1e-10)
        ref = bc.jvp(lambda v: bc.grad(loss)(v, b, x[i]), (w,), (t,))[1]
        np.testing.assert_allclose(hvp[i], ref, rtol=1e-9)


def test_jacobian_of_a_convolution_with_respect_to_its_weights_is_batched():
    import warnings

    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    f = lambda w: bnp.tanh(F.conv2d(x, w, padding=1)).sum(axis=(0, 2))  # noqa: E731  (3 outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no loop: conv_weight_grad has its batching rule
        J = bc.jacobian(f)(w)
    tx, tw = torch.tensor(x), torch.tensor(w)
    ref = torch.autograd.functional.jacobian(
        lambda w: torch.tanh(torch.nn.functional.conv2d(tx, w, padding=1)).sum(dim=(0, 2)), tw)
    np.testing.assert_allclose(J, ref.numpy(), rtol=1e-10)
