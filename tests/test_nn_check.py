"""bc.check.layers on Modules: per-parameter gradient table, failures caught, dead units, zero gradients."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.nn as nn
import backchain.nn.functional as F

WRONG = bc.defprimitive("wrong_tanh_for_layer_tests", np.tanh, deriv=(lambda ans, x: 1.2 * (1 - ans * ans),),
                        export=False)
STEP = bc.defprimitive("step_for_layer_tests", lambda x: (x > 0).astype(x.dtype),
                       deriv=(lambda ans, x: bnp.zeros_like(x),), export=False)


class WrongTanhLayer(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin = nn.Linear(n, n)

    def forward(self, x):
        return WRONG(self.lin(x))


class Step(nn.Module):
    def forward(self, x):
        return STEP(x)


X = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32)
Y = np.random.default_rng(1).integers(0, 3, size=16)


def ce(out):
    return F.cross_entropy(out, Y)


def test_layers_passes_on_a_correct_model_and_leaves_it_untouched(capsys):
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 8),
                          nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 3))
    before = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    report = bc.check.layers(model, X, ce)
    assert report.ok
    printed = capsys.readouterr().out
    assert "max rel. error" in printed and "all layer gradients agree" in printed
    assert [(r[0], r[1]) for r in report.rows] == [("0", "weight"), ("0", "bias"), ("1", "weight"), ("1", "bias"),
                                                   ("4", "weight"), ("4", "bias"), ("6", "weight"), ("6", "bias"),
                                                   ("7", "weight"), ("7", "bias")]
    assert all(r[3] < 1e-5 for r in report.rows)
    for k, v in model.state_dict().items():  # the check works on a float64 copy
        np.testing.assert_array_equal(v, before[k])
        assert v.dtype == before[k].dtype
    assert model[0].weight.dtype == np.float32


def test_layers_catches_a_wrong_rule_in_the_right_layer():
    model = nn.Sequential(nn.Linear(5, 4), WrongTanhLayer(4), nn.Linear(4, 3))
    report = bc.check.layers(model, X, ce, quiet=True)
    assert not report.ok
    status = {f"{r[0]}.{r[1]}": r[4] for r in report.rows}
    # the wrong rule sits after layer 1's Linear: the layers before it see a wrong gradient, the last one does not
    assert status["2.weight"] and status["2.bias"]
    assert not status["1.lin.weight"] and not status["0.weight"]
    assert "DISAGREE" in str(report) and "FAIL" in str(report)


def test_layers_reports_dead_units():
    model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))
    model[0].bias.data[:2] = -100.0  # two units never fire
    model[0].bias.data[2:] = 100.0  # the others always do
    report = bc.check.layers(model, X, ce, quiet=True)
    assert report.ok
    assert report.dead_units == {"1": 2}
    assert "dead (never positive)" in str(report)


def test_layers_reports_identically_zero_gradients_with_a_hint():
    model = nn.Sequential(nn.Linear(5, 6), Step(), nn.Linear(6, 3))
    report = bc.check.layers(model, X, ce, quiet=True)
    assert report.zero_grads == ["0.weight", "0.bias"]
    assert "bc.straight_through" in str(report)


def test_layers_on_a_custom_module_with_several_inputs_and_default_loss():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.bil = nn.Bilinear(5, 2, 3)
            self.scale = nn.Parameter(np.array(2.0, dtype=np.float32))

        def forward(self, a, b):
            return bnp.tanh(self.bil(a, b)) * self.scale

    report = bc.check.layers(Two(), (X, X[:, :2]), quiet=True)
    assert report.ok and [(r[0], r[1]) for r in report.rows] == [("(model)", "scale"), ("bil", "weight"),
                                                                   ("bil", "bias")]


def test_layers_frozen_parameters_are_skipped():
    model = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))
    model[0].requires_grad_(False)
    report = bc.check.layers(model, X, ce, quiet=True)
    assert [r[0] for r in report.rows] == ["1", "1"]


def test_layers_keeps_the_function_behaviour_for_callables():
    report = bc.check.layers(lambda x: bnp.tanh(x) * 2.0, np.ones(3), lambda y: bnp.sum(y), quiet=True)
    assert report.ok and [r[1] for r in report.rows] == ["tanh", "multiply", "sum"]


def test_layers_check_is_not_fooled_by_a_kink_within_the_step():
    """A ReLU input 5e-8 from 0: the central difference at eps = 1e-6 straddles the kink and averages
    the two slopes; the check looks closer (one-sided quotients, as gradcheck) and passes. A wrong
    derivative rule still fails."""
    import numpy as np
    model = bc.nn.Sequential(bc.nn.Linear(1, 1), bc.nn.ReLU())
    with bc.no_grad():
        model[0].weight.data[:] = 1.0
        model[0].bias.data[:] = 5e-8 - 0.5
    x = np.array([[0.5]])
    central = bc.check.layers(model, x, quiet=True)
    assert central.ok, central
    # the same line with a plainly wrong rule is still caught
    @bc.elementwise(derivative=lambda x, y: np.where(x > 0, 1.5, 0.0))
    def bad_relu(x):
        return np.maximum(x, 0)

    class Bad(bc.nn.Module):
        def forward(self, x):
            return bad_relu(x)

    wrong = bc.nn.Sequential(bc.nn.Linear(1, 1), Bad())
    with bc.no_grad():
        wrong[0].weight.data[:] = 1.0
        wrong[0].bias.data[:] = 0.25
    assert not bc.check.layers(wrong, x, quiet=True).ok


def test_layers_check_says_when_the_conventions_gradient_is_no_generalized_gradient():
    import numpy as np

    class Identity(bc.nn.Module):  # relu(h) - relu(-h) is h: its derivative is 1 everywhere
        def __init__(self):
            super().__init__()
            self.lin = bc.nn.Linear(2, 2)

        def forward(self, x):
            h = self.lin(x)
            return bc.nn.functional.relu(h) - bc.nn.functional.relu(-h)

    m = Identity()
    with bc.no_grad():
        m.lin.weight.data[:] = np.eye(2)
        m.lin.bias.data[:] = 0.0
    report = bc.check.layers(m, np.zeros((1, 2), np.float32), kinks=True, quiet=True)
    verdicts = {(p, n): v for p, n, h, v in report.kink_rows}
    assert verdicts[("lin", "weight")] == "conventions = LD"  # x = 0: the weight's gradient is 0 either way
    assert "NOT a generalized gradient" in verdicts[("lin", "bias")]
    assert "gradient at the kinks" in str(report)
    plain = bc.check.layers(m, np.ones((1, 2), np.float32), kinks=True, quiet=True)
    assert all(v == "no kink hit" for *_, v in plain.kink_rows)
