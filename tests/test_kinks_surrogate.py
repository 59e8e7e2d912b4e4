"""straight_through and the surrogate activations: exact forward, surrogate derivative in every mode."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.surrogate import round_ste, sign_ste, step

heav = lambda x: (x > 0).astype(x.dtype)  # noqa: E731


def test_forward_is_exactly_fn():
    x = np.array([-1.5, 0.0, 0.3, 2.0])
    st = bc.straight_through(heav, surrogate=bnp.tanh)
    np.testing.assert_array_equal(st(x), heav(x))
    y = st(bc.tensor(x, requires_grad=True))
    assert isinstance(y, bc.Tensor) and y.dtype == np.float64
    np.testing.assert_array_equal(y.data, heav(x))


@pytest.mark.parametrize("surrogate,slope,d", [
    (None, 1.0, lambda x: np.ones_like(x)),
    ("identity", 2.0, lambda x: 2 * np.ones_like(x)),
    (bnp.tanh, 1.0, lambda x: 1 - np.tanh(x) ** 2),
    ("tanh", 3.0, lambda x: 3 * (1 - np.tanh(3 * x) ** 2)),
    ("sigmoid", 4.0, lambda x: 4 / (1 + np.exp(-4 * x)) * (1 - 1 / (1 + np.exp(-4 * x)))),
    ("hardtanh", 1.0, lambda x: (np.abs(x) < 1).astype(float)),
])
def test_derivative_is_the_surrogates(surrogate, slope, d):
    x = np.array([-1.5, -0.2, 0.3, 2.0])
    st = bc.straight_through(heav, surrogate, slope=slope)
    np.testing.assert_allclose(bc.grad(lambda v: bnp.sum(st(v)))(x), d(x), rtol=1e-12)
    np.testing.assert_allclose(bc.jvp(st, (x,), (np.ones_like(x),))[1], d(x), rtol=1e-12)
    t = bc.tensor(x, requires_grad=True)
    st(t).sum().backward()
    np.testing.assert_allclose(t.grad, d(x), rtol=1e-12)


def test_second_order_is_the_surrogates():
    st = bc.straight_through(heav, surrogate=bnp.tanh)
    x = 0.4
    assert bc.grad(bc.grad(st))(x) == pytest.approx(-2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rel=1e-12)
    sq = bc.straight_through(np.round, surrogate=lambda v: v ** 3 / 3)
    assert bc.grad(bc.grad(sq))(0.7) == pytest.approx(1.4)


def test_one_hot_argmax_with_softmax_surrogate():
    def one_hot(z):
        out = np.zeros_like(z)
        out[np.argmax(z)] = 1.0
        return out

    def softmax(z):
        e = bnp.exp(z - bnp.max(z))
        return e / bnp.sum(e)

    st = bc.straight_through(one_hot, surrogate=softmax)
    z = np.array([0.1, 2.0, -1.0])
    w = np.array([1.0, 2.0, 3.0])
    assert float(bnp.sum(st(z) * w)) == 2.0
    got = bc.grad(lambda v: bnp.sum(st(v) * w))(z)
    want = bc.grad(lambda v: bnp.sum(softmax(v) * w))(z)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_activations():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(step(x), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(step(v)))(x), np.ones(5))
    np.testing.assert_array_equal(sign_ste(x), np.sign(x))
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(sign_ste(v)))(x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(round_ste(np.array([0.4, 1.6, 2.5])), [0.0, 2.0, 2.0])
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(round_ste(v)))(x), np.ones(5))
    assert bc.grad(lambda v: step(v, surrogate="sigmoid", slope=4.0))(0.0) == 1.0
    assert bc.grad(lambda v: sign_ste(v, surrogate=None))(5.0) == 1.0
    assert bc.grad(lambda v: round_ste(v, surrogate="tanh"))(0.0) == 1.0


def test_float32_kept():
    x = bc.tensor(np.array([-1.0, 1.0], dtype=np.float32), requires_grad=True)
    y = step(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_errors():
    with pytest.raises(ValueError, match="surrogate must be None, 'identity'"):
        bc.straight_through(heav, surrogate="relu")
    with pytest.raises(TypeError, match="fn must be callable"):
        bc.straight_through(3)
    with pytest.raises(TypeError, match="slope must be a number"):
        bc.straight_through(heav, slope="2")
    bad = bc.straight_through(lambda v: v[:1])
    with pytest.raises(ValueError, match=r"straight_through\(<lambda>\): fn returned shape \(1,\)"):
        bc.grad(lambda v: bnp.sum(bad(v)))(np.ones(3))
    bad_s = bc.straight_through(heav, surrogate=lambda v: bnp.sum(v))
    with pytest.raises(ValueError, match="the surrogate returned shape"):
        bc.grad(lambda v: bnp.sum(bad_s(v)))(np.ones(3))


def test_without_surrogate_the_step_has_no_gradient():
    g = bc.grad(lambda v: bnp.sum(bnp.heaviside(v, 0.0) * v ** 0))(np.array([-1.0, 0.5]))
    np.testing.assert_array_equal(g, [0.0, 0.0])
