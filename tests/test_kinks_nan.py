"""No NaN from the branch not taken; NaN and inf from the selected branch still propagate."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._core.primitive import safe_times

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.mark.parametrize("f,x", [
    (lambda x: bnp.where(x > 0, bnp.sqrt(x), 0.0), 0.0),
    (lambda x: bnp.where(x > 0, bnp.log(x), 0.0), 0.0),
    (lambda x: bnp.where(x != 0, 1 / x, 0.0), 0.0),
    (lambda x: bnp.where(x > 0, x / x, 0.0), 0.0),
    (lambda x: bnp.where(x < 50, bnp.exp(x), 0.0), np.float32(100.0)),
    (lambda x: bnp.where(x < 50, x * bnp.exp(x), 0.0), np.float32(100.0)),
    (lambda x: bnp.where(x < 800, bnp.cosh(x), 0.0), 1000.0),
    (lambda x: bnp.where(x < 50, bnp.sinh(x) + bnp.tan(x) * 0.0, 0.0), 1000.0),
    (lambda x: bnp.where(x < 20, bnp.exp2(x) * bnp.expm1(x), 0.0), np.float32(200.0)),
    (lambda x: bnp.where(x > 0, x ** 0.5, 0.0), 0.0),
    (lambda x: bnp.linalg.norm(x), np.zeros(3)),
])
def test_branch_not_taken_gives_exact_zero(f, x):
    x = np.asarray(x)
    g = bc.grad(lambda v: bnp.sum(f(v)))(x)
    np.testing.assert_array_equal(g, np.zeros_like(x))
    assert g.dtype == x.dtype
    _, t = bc.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(t, np.zeros_like(np.asarray(t)))


def test_arrays_mix_selected_and_excluded_elements():
    x = np.array([0.0, 4.0, -1.0])
    g = bc.grad(lambda v: bnp.sum(bnp.where(v > 0, bnp.sqrt(v), 0.0)))(x)
    np.testing.assert_array_equal(g, [0.0, 0.25, 0.0])


def test_selected_branch_nan_and_inf_propagate():
    assert np.isnan(bc.grad(lambda x: x / x)(0.0))
    assert bc.grad(bnp.sqrt)(0.0) == np.inf
    assert np.isnan(bc.grad(lambda x: bnp.where(x >= 0, x / x, 0.0))(0.0))
    g = bc.grad(lambda v: bnp.sum(bnp.where(v >= 0, bnp.sqrt(v), 0.0)))(np.array([0.0, 1.0]))
    assert g[0] == np.inf and g[1] == 0.5


def test_higher_order():
    f = lambda x: bnp.where(x > 0, bnp.sqrt(x) ** 3, 0.0)  # noqa: E731
    assert bc.grad(bc.grad(f))(0.0) == 0.0
    assert bc.grad(bc.grad(f))(4.0) == pytest.approx(0.75 / 2)


def test_safe_times():
    np.testing.assert_array_equal(safe_times(np.array([0.0, 1.0]), np.array([np.inf, np.inf])), [0.0, np.inf])
    np.testing.assert_array_equal(safe_times(np.zeros((2, 2)), np.full((2, 2), np.nan)), np.zeros((2, 2)))
    assert safe_times(np.float64(0.0), np.float64(np.nan)) == 0.0
    assert safe_times(0.0, np.inf) == 0.0
    assert np.isnan(safe_times(np.float64(1.0), np.float64(np.nan)))
    out = safe_times(np.zeros(3, dtype=np.float32), np.float32(np.inf))
    assert out.dtype == np.float32 and not out.any()
    x = bc.tensor(np.array([0.0, 2.0]))
    np.testing.assert_array_equal(safe_times(x, np.array([np.inf, 3.0])).data, [0.0, 6.0])


def test_a_zero_cotangent_times_an_infinite_derivative_warns_nothing():
    """The branch not taken multiplies its infinite derivative by an exact zero: 0, and no NumPy
    "invalid value" warning (it is not the user's error); a selected branch's NaN still propagates."""
    import warnings
    from backchain._core.primitive import safe_times
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = safe_times(np.array([0.0, 2.0]), np.array([np.inf, 3.0]))
        np.testing.assert_array_equal(out, [0.0, 6.0])
        assert np.isnan(safe_times(np.array([1.0]), np.array([np.nan])))[0]
        assert safe_times(np.float64(0.0), np.float64(np.inf)) == 0.0
