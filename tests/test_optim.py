"""Optimizers against PyTorch: ten steps on the same parameters and gradients."""
import warnings

import numpy as np
import pytest

import backchain as bc
from backchain import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (4,), ()]

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1, alpha=0.9)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6)),
]


def _ids(config):
    name, kw = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


def _start(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _grads(step, params, rng_seed=1):
    """Gradients that depend on the parameters (so that state matters) plus fixed noise."""
    rng = np.random.default_rng(rng_seed + step)
    return [(2 * (p - 0.5) + 0.3 * rng.standard_normal(p.shape)).astype(p.dtype) for p in params]


def run_bc(name, kwargs, values, steps=10, groups=None):
    ps = [bc.tensor(v, requires_grad=True) for v in values]
    spec = ps if groups is None else [dict(g, params=[ps[i] for i in g["params"]]) for g in groups]
    opt = getattr(optim, name)(spec, **kwargs)
    for k in range(steps):
        opt.zero_grad()
        for p, g in zip(ps, _grads(k, [p.data for p in ps])):
            p.grad = g
        opt.step()
    return [p.data for p in ps], opt


def run_torch(name, kwargs, values, steps=10, groups=None):
    ps = [torch.tensor(v, requires_grad=True) for v in values]
    spec = ps if groups is None else [dict(g, params=[ps[i] for i in g["params"]]) for g in groups]
    opt = getattr(torch.optim, name)(spec, **kwargs)
    for k in range(steps):
        opt.zero_grad()
        for p, g in zip(ps, _grads(k, [p.detach().numpy() for p in ps])):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in ps], opt


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_ten_steps_match_pytorch(config, dtype, rtol):
    name, kwargs = config
    values = _start(dtype)
    ours, opt = run_bc(name, kwargs, values)
    theirs, topt = run_torch(name, kwargs, values)
    for a, b in zip(ours, theirs):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    # the state has PyTorch's names and values
    ts = topt.state_dict()["state"]
    for i, s in opt.state_dict()["state"].items():
        assert set(s) == set(ts[i]), (s.keys(), ts[i].keys())
        for key, value in s.items():
            np.testing.assert_allclose(np.asarray(value, dtype=np.float64),
                                       ts[i][key].detach().numpy().astype(np.float64), rtol=rtol * 10, atol=rtol)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.99))),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
])
def test_param_groups_match_pytorch(name, kwargs):
    values = _start(np.float64)
    groups = [{"params": [0, 2]}, {"params": [1], "lr": 0.003, "weight_decay": 0.2}]
    ours, opt = run_bc(name, kwargs, values, groups=groups)
    theirs, topt = run_torch(name, kwargs, values, groups=groups)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.003
    assert sorted(sd["state"]) == sorted(tsd["state"])


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_state_dict_round_trip_is_exact(config):
    name, kwargs = config
    values = _start(np.float32)
    full, _ = run_bc(name, kwargs, values, steps=10)
    half, opt = run_bc(name, kwargs, values, steps=5)
    sd = opt.state_dict()
    ps = [bc.tensor(v, requires_grad=True) for v in half]
    fresh = getattr(optim, name)(ps, **kwargs)
    fresh.load_state_dict(sd)
    for k in range(5, 10):
        fresh.zero_grad()
        for p, g in zip(ps, _grads(k, [p.data for p in ps])):
            p.grad = g
        fresh.step()
    for a, b in zip(full, ps):
        np.testing.assert_array_equal(a, b.data)


def test_state_dict_is_a_copy_and_load_casts_to_param_dtype():
    w = bc.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = np.ones(3, np.float32)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"][:] = 100
    assert opt.state[w]["exp_avg"][0] != 100
    sd["state"][0]["exp_avg_sq"] = sd["state"][0]["exp_avg_sq"].astype(np.float64)
    opt.load_state_dict(sd)
    assert opt.state[w]["exp_avg_sq"].dtype == np.float32
    assert opt.state[w]["step"] == 1


def test_update_is_in_place_and_records_nothing():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    buffer = w.data
    opt = optim.SGD([w], lr=0.5, momentum=0.9)
    loss = (w * w).sum()
    loss.backward()
    opt.step()
    assert w.data is buffer and w.is_leaf and w.grad_fn is None
    np.testing.assert_array_equal(w.data, [0.0, 0.0])


def test_params_without_grad_are_skipped_and_get_no_state():
    a, b = bc.tensor([1.0], requires_grad=True), bc.tensor([1.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.array([1.0])
    opt.step()
    assert b.data[0] == 1.0 and a.data[0] != 1.0
    assert list(opt.state_dict()["state"]) == [0]


def test_zero_grad():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.array([3.0, 4.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_gradient_from_create_graph_is_accepted():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    (w ** 3).sum().backward(create_graph=True)
    assert isinstance(w.grad, bc.Tensor)
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, [1.0 - 0.3, 2.0 - 1.2])


def test_closure_is_called_with_grad_enabled():
    w = bc.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with bc.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 4.0 and w.data[0] == 1.0


def test_add_param_group_and_repr():
    a, b = bc.tensor([1.0], requires_grad=True), bc.tensor([1.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.01" in text


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD([p], lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD([p], lr=-1.0), "learning rate"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.9)), "beta parameter at index 0"),
    (lambda p: optim.Adam([p], weight_decay=-1), "weight_decay"),
    (lambda p: optim.SGD([], lr=0.1), "empty"),
    (lambda p: optim.SGD([p, p], lr=0.1), "more than once"),
    (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1), "more than one parameter group"),
])
def test_invalid_settings_raise(make, match):
    p = bc.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        make(p)


def test_type_errors_name_the_problem():
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(bc.tensor([1.0], requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="floating point"):
        optim.SGD([bc.tensor([1, 2])], lr=0.1)


def test_load_state_dict_checks_sizes():
    a, b = bc.tensor([1.0], requires_grad=True), bc.tensor([1.0], requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter group 0 has 2 parameters"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="3 parameter groups, the optimizer has 2"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": sd["param_groups"] * 2 + sd["param_groups"]})


def test_gradient_shape_mismatch_is_reported():
    w = bc.tensor([1.0, 2.0], requires_grad=True)
    w.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"shape \(2,\) has shape \(3,\)"):
        optim.SGD([w], lr=0.1).step()


def test_no_warnings_in_normal_use():
    w = bc.tensor([1.0], requires_grad=True)
    opt = optim.Adam([w])
    w.grad = np.ones(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
