"""Learning-rate schedulers against PyTorch: the same learning rates (and momenta), step by step."""
import warnings

import numpy as np
import pytest

import backchain as bc
from backchain import optim
from backchain.optim import lr_scheduler as ls

torch = pytest.importorskip("torch")

SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=6)),
    ("LinearLR", dict()),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=15)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=5, anneal_strategy="linear", three_phase=True)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=12, pct_start=0.25, cycle_momentum=False, div_factor=10.0)),
]

OPTIMIZERS = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1))]


def _groups(lib):
    tensor = (lambda v: bc.tensor(v, requires_grad=True)) if lib is bc else (lambda v: torch.tensor(v, requires_grad=True))
    return [{"params": [tensor(np.ones(2))]}, {"params": [tensor(np.ones(3))], "lr": 0.05}]


def _trace(lib, opt_name, opt_kw, sched_name, sched_kw, steps):
    optmod = optim if lib is bc else torch.optim
    schedmod = ls if lib is bc else torch.optim.lr_scheduler
    opt = getattr(optmod, opt_name)(_groups(lib), **opt_kw)
    sched = getattr(schedmod, sched_name)(opt, **sched_kw)
    key = "betas" if opt_name == "Adam" else "momentum"
    out = [(list(sched.get_last_lr()), [g[key] for g in opt.param_groups])]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append((list(sched.get_last_lr()), [g[key] for g in opt.param_groups]))
    return out


@pytest.mark.parametrize("opt_name,opt_kw", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
@pytest.mark.parametrize("sched_name,sched_kw", SCHEDULERS, ids=[f"{n}{k}" for n, k in SCHEDULERS])
def test_learning_rates_match_pytorch(opt_name, opt_kw, sched_name, sched_kw):
    steps = 12 if sched_name == "OneCycleLR" else 20
    ours = _trace(bc, opt_name, opt_kw, sched_name, sched_kw, steps)
    theirs = _trace(torch, opt_name, opt_kw, sched_name, sched_kw, steps)
    for (lr, mom), (tlr, tmom) in zip(ours, theirs):
        np.testing.assert_allclose(lr, tlr, rtol=1e-14, atol=0)
        np.testing.assert_allclose(np.array(mom, dtype=float), np.array(tmom, dtype=float), rtol=1e-14)


@pytest.mark.parametrize("kwargs", [
    dict(patience=2, factor=0.5),
    dict(mode="max", patience=1, threshold=0.1, threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.04]),
    dict(patience=0, threshold_mode="abs", eps=0.02),
])
def test_reduce_on_plateau_matches_pytorch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.85, 0.85, 0.9, 0.9, 0.7, 0.71, 0.72, 0.73, 0.74]
    results = []
    for lib, optmod, schedmod in [(bc, optim, ls), (torch, torch.optim, torch.optim.lr_scheduler)]:
        opt = optmod.SGD(_groups(lib), lr=0.1)
        sched = schedmod.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append(list(sched.get_last_lr()))
        results.append(lrs)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-15)


@pytest.mark.parametrize("sched_name,sched_kw", SCHEDULERS + [("ReduceLROnPlateau", dict(patience=1))],
                         ids=[f"{n}{k}" for n, k in SCHEDULERS] + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_through_a_checkpoint(sched_name, sched_kw, tmp_path):
    def make():
        opt = optim.SGD(_groups(bc), lr=0.1, momentum=0.9)
        return opt, getattr(ls, sched_name)(opt, **sched_kw)

    def advance(opt, sched, k):
        opt.step()
        sched.step(*([1.0 / (1 + k % 3)] if sched_name == "ReduceLROnPlateau" else []))
        return sched.get_last_lr()

    opt, sched = make()
    full = [advance(opt, sched, k) for k in range(12)]
    opt, sched = make()
    for k in range(5):
        advance(opt, sched, k)
    path = tmp_path / "sched.safetensors"
    bc.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    opt2, sched2 = make()
    state = bc.load(path)
    opt2.load_state_dict(state["optimizer"])
    sched2.load_state_dict(state["scheduler"])
    rest = [advance(opt2, sched2, k) for k in range(5, 12)]
    assert rest == full[5:]


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = optim.SGD(_groups(bc), lr=0.1)
    sched = ls.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match=r"`lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    opt = optim.SGD(_groups(bc), lr=0.1)
    sched = ls.StepLR(opt, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
        sched.step()


def test_get_lr_outside_step_warns_and_epoch_argument_is_deprecated():
    opt = optim.SGD(_groups(bc), lr=0.1)
    sched = ls.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(3)
    assert sched.get_last_lr() == [0.1 * 0.5 ** 3, 0.05 * 0.5 ** 3]


def test_one_cycle_past_the_end_raises():
    opt = optim.SGD(_groups(bc), lr=0.1, momentum=0.9)
    sched = ls.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(ValueError, match="tried to step 4 times; the specified number of total steps is 3"):
        sched.step()


def test_one_cycle_needs_momentum_or_betas():
    opt = optim.Adagrad(_groups(bc))
    with pytest.raises(ValueError, match="cycle_momentum"):
        ls.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    ls.OneCycleLR(opt, max_lr=1.0, total_steps=3, cycle_momentum=False)


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = optim.SGD(_groups(bc), lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(opt, step_size=2, last_epoch=3)


def test_scheduler_needs_a_backchain_optimizer():
    with pytest.raises(TypeError, match="expected a backchain.optim optimizer"):
        ls.StepLR(object(), step_size=1)
