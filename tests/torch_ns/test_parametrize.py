"""Parametrizations, weight norm and spectral norm against PyTorch 2.13: the same state (copied by
name), the same outputs, gradients, state_dict keys and power-iteration updates."""
import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.torch as bt


def _copy_state(src, dst):
    """torch module -> backchain.torch module, by state_dict key (the keys must be the same)."""
    state = {k: v.detach().numpy().copy() for k, v in src.state_dict().items()}
    assert list(state) == list(dst.state_dict()), (list(state), list(dst.state_dict()))
    dst.load_state_dict({k: bt.tensor(v) for k, v in state.items()})


def _run(module, x, T):
    xt = T.tensor(x, requires_grad=True)
    out = module(xt)
    w = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * T.tensor(w)).sum().backward()
    grads = {n: p.grad.numpy().copy() for n, p in module.named_parameters()}
    return out.detach().numpy(), xt.grad.numpy(), grads


def _compare(tm, bm, x, rtol=2e-5, atol=2e-6):
    want, got = _run(tm, x, torch), _run(bm, x, bt)
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=atol)
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=atol)
    assert list(got[2]) == list(want[2])
    for k in want[2]:
        np.testing.assert_allclose(got[2][k], want[2][k], rtol=rtol, atol=atol, err_msg=k)


LAYERS = [
    ("linear", lambda T: T.nn.Linear(5, 4), (3, 5)),
    ("conv2d", lambda T: T.nn.Conv2d(2, 3, 3), (2, 2, 6, 6)),
    ("conv_transpose2d", lambda T: T.nn.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4)),
]


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_weight_norm_parametrization_matches_torch(name, make, shape, dim):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm = torch.nn.utils.parametrizations.weight_norm(make(torch), dim=dim)
    bm = bt.nn.utils.parametrizations.weight_norm(make(bt), dim=dim)
    _copy_state(tm, bm)
    _compare(tm, bm, x)
    assert type(bm).__name__ == type(tm).__name__
    assert bt.nn.utils.parametrize.is_parametrized(bm, "weight") and not bt.nn.utils.parametrize.is_parametrized(
        bm, "bias")
    np.testing.assert_allclose(bm.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_old_weight_norm_matches_torch_and_removes(name, make, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm, bm = make(torch), make(bt)
    _copy_state(tm, bm)
    torch.nn.utils.weight_norm(tm)
    bt.nn.utils.weight_norm(bm)
    assert list(bm.state_dict()) == list(tm.state_dict())  # bias, weight_g, weight_v
    _copy_state(tm, bm)
    _compare(tm, bm, x)
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        bt.nn.utils.weight_norm(bm)
    torch.nn.utils.remove_weight_norm(tm)
    bt.nn.utils.remove_weight_norm(bm)
    assert list(bm.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(bm.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert isinstance(bm.weight, bt.nn.Parameter)
    with pytest.raises(ValueError, match="not found"):
        bt.nn.utils.remove_weight_norm(bm)


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_spectral_norm_parametrization_matches_torch_in_training_and_eval(name, make, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm = torch.nn.utils.parametrizations.spectral_norm(make(torch))
    bm = bt.nn.utils.parametrizations.spectral_norm(make(bt))
    assert list(bm.state_dict()) == list(tm.state_dict())  # ... original, 0._u, 0._v
    _copy_state(tm, bm)
    for step in range(3):  # each training forward refines u and v by one power-iteration step
        for m in (tm, bm):
            m.zero_grad()
        _compare(tm, bm, x, rtol=1e-4, atol=1e-5)
        for k in ("parametrizations.weight.0._u", "parametrizations.weight.0._v"):
            np.testing.assert_allclose(bm.state_dict()[k].numpy(), tm.state_dict()[k].numpy(), rtol=1e-4,
                                       atol=1e-6, err_msg=f"{k} after step {step}")
    tm.eval(), bm.eval()
    u = bm.state_dict()["parametrizations.weight.0._u"].numpy().copy()
    _compare(tm, bm, x, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bm.state_dict()["parametrizations.weight.0._u"].numpy(), u)
    # the result is the weight over its largest singular value (to the power iteration's accuracy)
    w = bm.parametrizations.weight.original.detach().numpy()
    mat = np.moveaxis(w, 1, 0) if name == "conv_transpose2d" else w
    sigma = np.linalg.svd(mat.reshape(mat.shape[0], -1), compute_uv=False)[0]
    np.testing.assert_allclose(bm.weight.detach().numpy(), w / sigma, rtol=0.05)


def test_old_spectral_norm_matches_torch():
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    tm, bm = torch.nn.Linear(5, 4), bt.nn.Linear(5, 4)
    torch.nn.utils.spectral_norm(tm)
    bt.nn.utils.spectral_norm(bm)
    assert list(bm.state_dict()) == list(tm.state_dict())  # bias, weight_orig, weight_u, weight_v
    _copy_state(tm, bm)
    for _ in range(2):
        tm.zero_grad(), bm.zero_grad()
        _compare(tm, bm, x, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(bm.weight_u.numpy(), tm.weight_u.numpy(), rtol=1e-4, atol=1e-6)
    torch.nn.utils.remove_spectral_norm(tm)
    bt.nn.utils.remove_spectral_norm(bm)
    assert list(bm.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(bm.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-4, atol=1e-6)


class _Symmetric:
    @staticmethod
    def make(T):
        class Symmetric(T.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()
        return Symmetric()


def _scale(T):
    class Scale(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.s = T.nn.Parameter(T.tensor(2.0))

        def forward(self, X):
            return X * self.s
    return Scale()


def test_custom_parametrizations_stack_assign_cache_and_remove_as_in_torch():
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    mods = {}
    for T in (torch, bt):
        T.manual_seed(0)
        m = T.nn.Linear(4, 4)
        P = T.nn.utils.parametrize
        P.register_parametrization(m, "weight", _Symmetric.make(T))
        P.register_parametrization(m, "weight", _scale(T))
        mods[T] = m
    tm, bm = mods[torch], mods[bt]
    assert list(bm.state_dict()) == list(tm.state_dict())
    _copy_state(tm, bm)
    _compare(tm, bm, x)
    np.testing.assert_allclose(bm.weight.detach().numpy(), bm.weight.detach().numpy().T)
    # assignment goes through every right_inverse: Scale has none, so both refuse
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    for T, m in mods.items():
        with pytest.raises(RuntimeError, match="Scale does not implement right_inverse"):
            m.weight = T.tensor(a)
        m.parametrizations.weight[1].right_inverse = lambda X, m=m: X / m.parametrizations.weight[1].s
        with T.no_grad():
            m.weight = T.tensor(a)
    np.testing.assert_array_equal(bm.parametrizations.weight.original.detach().numpy(),
                                  tm.parametrizations.weight.original.detach().numpy())
    with bt.nn.utils.parametrize.cached():
        assert bm.weight is bm.weight
    assert bm.weight is not bm.weight
    assert bt.nn.utils.parametrize.type_before_parametrizations(bm) is bt.nn.Linear
    for keep in (True,):
        for T, m in mods.items():
            T.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=keep)
        assert type(bm) is bt.nn.Linear and list(bm.state_dict()) == list(tm.state_dict())
        np.testing.assert_allclose(bm.weight.detach().numpy(), tm.weight.detach().numpy())


def test_parametrization_errors_name_the_tensor():
    m = bt.nn.Linear(3, 2)
    with pytest.raises(ValueError, match="no parameter or buffer 'weights'"):
        bt.nn.utils.parametrize.register_parametrization(m, "weights", _scale(bt))

    class Flat(bt.nn.Module):
        def forward(self, X):
            return X.flatten()
    with pytest.raises(ValueError, match=r"gives shape .*6.* the original has .*2, 3"):
        bt.nn.utils.parametrize.register_parametrization(m, "weight", Flat())
    assert not bt.nn.utils.parametrize.is_parametrized(m)
    with pytest.raises(ValueError, match="no parametrization on 'weight'"):
        bt.nn.utils.parametrize.remove_parametrizations(m, "weight")


def test_numpy_flavoured_modules_train_through_a_parametrization():
    bc.manual_seed(0)
    lin = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2, dtype=np.float64))
    opt = bc.optim.SGD(lin.parameters(), lr=0.1)
    x = np.random.default_rng(0).standard_normal((8, 3))
    g_before = lin.parametrizations.weight.original0.data.copy()

    def loss_fn(v):
        return bnp.sum(lin(x) ** 2)

    loss = loss_fn(None)
    loss.backward()
    g = lin.parametrizations.weight.original0.grad
    # the gradient of g against finite differences
    eps = 1e-6
    fd = np.zeros_like(g_before)
    for i in range(fd.size):
        with bc.no_grad():
            lin.parametrizations.weight.original0.data.flat[i] += eps
            up = float(loss_fn(None))
            lin.parametrizations.weight.original0.data.flat[i] -= 2 * eps
            down = float(loss_fn(None))
            lin.parametrizations.weight.original0.data.flat[i] += eps
        fd.flat[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)
    opt.step()
    assert not np.allclose(lin.parametrizations.weight.original0.data, g_before)


def test_a_parametrized_model_saved_whole_loads_with_its_parametrizations(tmp_path):
    bt.manual_seed(0)
    model = bt.nn.Sequential(bt.nn.utils.parametrizations.weight_norm(bt.nn.Linear(3, 4)), bt.nn.Tanh(),
                             bt.nn.utils.parametrizations.spectral_norm(bt.nn.Linear(4, 2)))
    model.eval()
    bt.save(model, tmp_path / "model.pt")
    loaded = bt.load(tmp_path / "model.pt", weights_only=True)
    assert type(loaded[0]).__name__ == "ParametrizedLinear" and bt.nn.utils.parametrize.is_parametrized(loaded[2])
    assert list(loaded.state_dict()) == list(model.state_dict())
    x = bt.randn(5, 3)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
    loaded[0].parametrizations.weight.original0.data.mul_(2)  # the loaded weight is read through its originals
    np.testing.assert_allclose(loaded[0].weight.detach().numpy(), 2 * model[0].weight.detach().numpy(), rtol=1e-6)
    # the older hook form cannot be stored as data, and says so
    old = bt.nn.utils.weight_norm(bt.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="has hooks"):
        bt.save(old, tmp_path / "old.pt")
