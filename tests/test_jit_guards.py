"""Guards against the replay's effects and NumPy's shared scalars: a replay whose guard fails never
leaves an optimizer step, a random draw or a donated output applied before it traces again, and
every comparison Python branches on is a guard of its own (NumPy returns the one object np.False_
for every false comparison)."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F
from backchain.jit import Guard


def _value(v):
    """A result as an ndarray (eager calls return Tensors, replays on ndarrays return arrays)."""
    return np.asarray(getattr(v, "_data", v))


def test_two_false_comparisons_are_two_guards():
    def f(a, b):
        if (a > 0).all():
            if (b > 0).all():
                return a + b
            return a - b
        if (b > 0).all():
            return a * b
        return a / b

    step = bc.jit(f)
    combos = [(1, 1), (-1, -1), (1, -1), (-1, 1), (-1, -1), (1, 1), (-1, 1), (1, -1)]
    for a, b in combos:
        x, y = np.full(2, float(a)), np.full(2, float(b))
        np.testing.assert_array_equal(step(x, y), f(x, y))
    assert step.traces == 4
    prog = step.lower(np.full(2, -1.0), np.full(2, -1.0))
    assert len(prog.guards) == 2 and len({g.slot for g in prog.guards}) == 2


def test_false_comparison_of_a_loss_after_a_false_input_check_is_guarded():
    # mse_loss checks its target for NaN (False) before the function compares the loss (False too)
    rng = np.random.default_rng(0)
    model = nn.Linear(3, 1)
    x, y = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 1)).astype(np.float32)

    def f(x, y, limit):
        loss = F.mse_loss(model(x), y)
        return loss * (1.0 if loss > limit else 2.0)

    eager = float(F.mse_loss(model(x), y)._data)
    step = bc.jit(f, static_argnums=2)
    for limit in (eager + 1.0, eager - 1.0):
        want = eager * (1.0 if eager > limit else 2.0)
        np.testing.assert_allclose(_value(step(x, y, limit)), want, rtol=1e-6)
    prog = step.lower(x, y, eager + 1.0)
    assert len(prog.guards) == 2 and len({g.slot for g in prog.guards}) == 2


def _train(use_jit, momentum=0.0, dropout=False, thresh=0.5, n=16):
    bc.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3) if dropout else nn.Identity(), nn.Linear(8, 1))
    opt = bc.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.standard_normal((8, 1)).astype(np.float32)

    def step(x, y):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss > thresh:  # a branch on the loss, after the optimizer's step
            return loss * 1.0
        return loss * 2.0

    f = bc.jit(step) if use_jit else step
    outs = [float(_value(f(x, y))) for _ in range(n)]
    params = [p._data.copy() for p in model.parameters()]
    return np.array(outs), params, f, bc.random.get_rng_state()


@pytest.mark.parametrize("momentum, dropout, thresh", [(0.0, False, 0.5), (0.9, False, 0.45),
                                                       (0.9, True, 0.45), (0.0, True, 0.5)])
def test_a_branch_on_the_loss_after_the_step_equals_eager(momentum, dropout, thresh):
    want, want_params, _, want_rng = _train(False, momentum, dropout, thresh)
    got, got_params, f, got_rng = _train(True, momentum, dropout, thresh)
    assert f.traces == 2  # the branch flipped: both were traced
    np.testing.assert_array_equal(got, want)
    for a, b in zip(got_params, want_params):
        np.testing.assert_array_equal(a, b)
    assert got_rng == want_rng  # dropout drew as many numbers as the eager steps


def test_the_guard_on_the_loss_runs_before_the_optimizer_step():
    _, _, f, _ = _train(True)
    (paths,) = f._cache.values()
    for path in paths:
        steps = path.program.steps
        at_step = next(i for i, s in enumerate(steps) if s.__class__ is not Guard and s.name.endswith(".step"))
        guard_at = [i for i, s in enumerate(steps) if s.__class__ is Guard]
        assert guard_at and max(guard_at) < at_step
        assert not path.compiled.late


def test_a_guard_after_a_random_draw_is_late_and_restored():
    _, _, f, _ = _train(True, dropout=True)
    (paths,) = f._cache.values()
    assert all(p.compiled.late for p in paths)


def test_no_donated_output_is_written_before_a_guard():
    def f(x, y):
        doubled = x * 2.0  # the output, made before the guard that reads it
        if (doubled > y).all():
            return doubled
        return doubled + 1.0

    step = bc.jit(f, donate_argnums=0)
    for limit in (-1.0, -1.0, 3.0, -1.0, 3.0, 3.0):
        x, y = np.arange(1.0, 4.0), np.full(3, limit)
        np.testing.assert_array_equal(step(x.copy(), y), f(x, y))
    assert step.traces == 2


def test_writing_an_argument_in_place_names_jit():
    def f(x):
        x += 1.0
        return x * 2

    with pytest.raises(RuntimeError, match="bc.jit compiles is written in place"):
        bc.jit(f)(np.ones(3))
