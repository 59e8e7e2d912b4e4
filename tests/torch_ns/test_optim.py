"""The optimizers PyTorch programs use, through backchain.torch, against torch.optim: the same weights
after every step of a small problem (float32, weight decay and the other options included)."""
import numpy as np
import pytest
import torch

import backchain.torch as bt

CASES = [
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.8), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("ASGD", dict(lr=0.05, t0=5)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, weight_decay=0.1)),
    ("Rprop", dict(lr=0.05)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1), maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_optimizer_steps_match_torch(name, kwargs):
    w0 = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    tw, bw = torch.tensor(w0, requires_grad=True), bt.tensor(w0, requires_grad=True)
    topt, bopt = getattr(torch.optim, name)([tw], **kwargs), getattr(bt.optim, name)([bw], **kwargs)
    for step in range(25):
        for w, opt, T in ((tw, topt, torch), (bw, bopt, bt)):
            opt.zero_grad()
            (T.sin(3 * w) * w + w ** 2).sum().backward()
            opt.step()
        np.testing.assert_allclose(bw.detach().numpy(), tw.detach().numpy(), rtol=2e-6, atol=2e-7,
                                   err_msg=f"{name} step {step}")
    if name == "ASGD":  # the running average too
        np.testing.assert_allclose(bopt.state[bw]["ax"], topt.state[tw]["ax"].numpy(), rtol=2e-6, atol=2e-7)


def test_optimizers_reject_bad_hyperparameters():
    w = bt.zeros(2, requires_grad=True)
    for make in (lambda: bt.optim.NAdam([w], betas=(1.0, 0.9)), lambda: bt.optim.RAdam([w], eps=-1.0),
                 lambda: bt.optim.Adadelta([w], rho=1.5)):
        with pytest.raises(ValueError):
            make()


def _schedule(T, make, epochs=12):
    w = T.zeros(2, requires_grad=True)
    opt = T.optim.SGD([w, ], lr=0.8)
    sched = make(T, opt)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return lrs


SCHEDULES = [
    ("LambdaLR", lambda T, o: T.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))),
    ("MultiplicativeLR", lambda T, o: T.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9)),
    ("ConstantLR", lambda T, o: T.optim.lr_scheduler.ConstantLR(o, factor=0.3, total_iters=4)),
    ("PolynomialLR", lambda T, o: T.optim.lr_scheduler.PolynomialLR(o, total_iters=7, power=2.0)),
    ("CosineAnnealingWarmRestarts", lambda T, o: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01)),
    ("SequentialLR", lambda T, o: T.optim.lr_scheduler.SequentialLR(
        o, [T.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
            T.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6)], milestones=[3])),
    ("ChainedScheduler", lambda T, o: T.optim.lr_scheduler.ChainedScheduler(
        [T.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
         T.optim.lr_scheduler.ExponentialLR(o, gamma=0.8)])),
]


SCHEDULES += [
    ("CyclicLR", lambda T, o: T.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, step_size_up=3, step_size_down=2)),
    ("CyclicLR_triangular2", lambda T, o: T.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, 2, mode="triangular2")),
    ("CyclicLR_exp_range", lambda T, o: T.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, 2, mode="exp_range",
                                                                        gamma=0.9, cycle_momentum=False)),
]


def test_cyclic_lr_cycles_momentum_and_beta1_as_torch():
    for opt_name, key in (("SGD", "momentum"), ("Adam", "betas")):
        seen = {}
        for T in (torch, bt):
            w = T.zeros(2, requires_grad=True)
            opt = getattr(T.optim, opt_name)([w], lr=0.1, **({"momentum": 0.9} if key == "momentum" else {}))
            sched = T.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, base_momentum=0.7,
                                                  max_momentum=0.95)
            values = []
            for _ in range(6):
                opt.step()
                sched.step()
                m = opt.param_groups[0][key]
                values.append((opt.param_groups[0]["lr"], m[0] if key == "betas" else m))
            seen[T] = values
        np.testing.assert_allclose(np.array(seen[bt]), np.array(seen[torch]), rtol=1e-12)


@pytest.mark.parametrize("name, make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedulers_match_torch(name, make):
    np.testing.assert_allclose(_schedule(bt, make), _schedule(torch, make), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, max_iter=5, history_size=3),
                                    dict(lr=0.1, max_iter=4, max_eval=3, tolerance_change=1e-4)])
def test_lbfgs_matches_torch(kwargs):
    w0 = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    target = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    runs = {}
    for T in (torch, bt):
        w = T.tensor(w0, requires_grad=True)
        opt = T.optim.LBFGS([w], **kwargs)

        def closure():
            opt.zero_grad()
            loss = ((w - T.tensor(target)) ** 2).sum() + (T.sin(3 * w) * 0.1).sum() + (w ** 4).sum() * 0.01
            loss.backward()
            return loss
        # three steps: near the optimum a step ends when the float32 loss stops changing, which a last-bit
        # rounding difference decides
        losses = [float(opt.step(closure).detach()) for _ in range(3)]
        runs[T] = (losses, w.detach().numpy().copy(), opt.state[w]["func_evals"], opt.state[w]["n_iter"])
    np.testing.assert_allclose(runs[bt][0], runs[torch][0], rtol=1e-5)
    np.testing.assert_allclose(runs[bt][1], runs[torch][1], rtol=1e-4, atol=1e-5)
    assert runs[bt][2:] == runs[torch][2:]


def test_lbfgs_refuses_a_line_search_it_does_not_have():
    # "strong_wolfe" is there (tests/test_optim_torch_extra.py); any other name is refused
    with pytest.raises(ValueError, match="strong_wolfe"):
        bt.optim.LBFGS([bt.zeros(2, requires_grad=True)], line_search_fn="backtracking")
