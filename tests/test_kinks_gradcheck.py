"""gradcheck at kinks: values in the subdifferential pass and say so; values outside fail."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._rules.activations import relu

# relu with a wrong value at the kink: 2.0 is outside [0, 1]
WRONG_AT_KINK = bc.defprimitive(
    "relu_wrong_at_kink_for_tests", lambda x: np.maximum(x, 0),
    deriv=(lambda ans, x: bnp.where(x > 0, 1.0, bnp.where(x == 0, 2.0, 0.0)),), export=False)


def test_maximum_at_zero_passes_and_says_kink():
    report = bc.gradcheck(lambda x: bnp.maximum(x, 0), np.array(0.0))
    assert report.ok
    text = str(report)
    assert "kink at arg0 = 0: analytic value" in text and "within [" in text


def test_wrong_value_at_kink_fails():
    with pytest.raises(bc.check.GradcheckError) as err:
        bc.gradcheck(WRONG_AT_KINK, np.array(0.0))
    assert "outside [" in str(err.value) and "FAIL" in str(err.value)
    # the same rule away from the kink is right
    assert bc.gradcheck(WRONG_AT_KINK, np.array([0.7, -0.4]))


@pytest.mark.parametrize("pol", [{}, {"relu_at_zero": 1.0}, {"relu_at_zero": 0.5}])
def test_every_policy_value_lies_in_the_subdifferential(pol):
    with bc.kinks.policy(**pol):
        report = bc.gradcheck(lambda x: bnp.sum(relu(x)), np.array([0.0, 0.0, 1.0, -1.0]))
    assert report.ok and "kink" in str(report)


@pytest.mark.parametrize("f,x", [
    (lambda x: bnp.sum(bnp.abs(x)), np.array([0.0, 1.0, -2.0])),
    (lambda x: bnp.max(x), np.array([1.0, 3.0, 3.0])),
    (lambda x: bnp.clip(x, 0.0, 1.0), np.array([0.0, 0.5, 1.0])),
    (lambda x: bnp.linalg.norm(x), np.zeros(3)),
])
def test_kinks_of_the_library_pass(f, x):
    assert bc.gradcheck(f, x)


def test_jump_is_reported_not_checked():
    report = bc.gradcheck(bnp.floor, np.array(1.0), order=1)
    assert report.ok and "jump at arg0 = 1" in str(report)


def test_smooth_functions_report_no_kink():
    report = bc.gradcheck(lambda x: bnp.sum(bnp.tanh(x) ** 3 + bnp.exp(x)), np.array([0.0, 1.0, -2.0]))
    assert report.ok and "kink" not in str(report) and "jump" not in str(report)


def test_a_wrong_smooth_rule_still_fails():
    wrong = bc.defprimitive("wrong_cos_kinks_tests", np.cos, deriv=(lambda ans, x: bnp.sin(x),), export=False)
    with pytest.raises(bc.check.GradcheckError):
        bc.gradcheck(lambda x: bnp.sum(wrong(x)), np.array([0.3, 1.0]))


def test_check_ops_is_kink_aware():
    report = bc.check.ops(lambda x: bnp.sum(relu(x) * 2.0), np.array([0.0, 1.0]), quiet=True)
    assert report.ok
    report = bc.check.ops(lambda x: bnp.sum(WRONG_AT_KINK(x)), np.array([0.0, 1.0]), quiet=True)
    assert not report.ok
