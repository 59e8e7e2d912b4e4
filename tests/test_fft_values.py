"""Forward values of backchain.numpy.fft equal NumPy's, on plain arrays and on traced tensors."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 6)) + 1j * RNG.standard_normal((3, 6))
R = RNG.standard_normal((3, 6))

CASES = [
    ("fft", X, {}), ("fft", X, {"n": 4, "axis": 0, "norm": "ortho"}), ("ifft", X, {"n": 9, "norm": "forward"}),
    ("rfft", R, {}), ("rfft", R, {"n": 5, "axis": 0}), ("irfft", X, {}), ("irfft", X, {"n": 7, "norm": "ortho"}),
    ("fft2", X, {}), ("ifft2", X, {"s": (2, 8)}), ("rfft2", R, {"norm": "forward"}), ("irfft2", X, {"s": (4, 5)}),
    ("fftn", X, {"axes": (1,)}), ("ifftn", X, {"s": (5, 2), "axes": (0, 1)}), ("rfftn", R, {}),
    ("irfftn", X, {"s": (3, 9), "axes": (0, 1)}), ("fftshift", X, {}), ("ifftshift", R, {"axes": 1}),
]


@pytest.mark.parametrize("name,x,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_forward_matches_numpy(name, x, kw):
    expected = getattr(np.fft, name)(x, **kw)
    plain = getattr(bnp.fft, name)(x, **kw)
    np.testing.assert_allclose(plain, expected, rtol=1e-13, atol=1e-13)
    traced = getattr(bnp.fft, name)(bc.tensor(x, requires_grad=True), **kw)
    assert traced.shape == expected.shape and traced.dtype == expected.dtype
    np.testing.assert_allclose(traced.data, expected, rtol=1e-13, atol=1e-13)


def test_float32_stays_single_precision():
    x = R.astype(np.float32)
    g = bc.grad(lambda x: bnp.sum(bnp.real(bnp.fft.rfft(x)) ** 2))(x)
    assert g.dtype == np.float32


def test_parseval_gradient():
    # sum |fft(x)|^2 = n sum x^2, so its gradient is 2 n x.
    x = R[0]
    g = bc.grad(lambda x: bnp.sum(bnp.abs(bnp.fft.fft(x)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * x.size * x, rtol=1e-12)


def test_rfft_gradient_counts_mirrored_terms():
    # sum |rfft(x)|^2 over the half spectrum = (sum |fft(x)|^2 + |X_0|^2 + |X_{n/2}|^2) / 2 for even n.
    x = R[0]
    n = x.size

    alt = (-1.0) ** np.arange(n)
    expected = (2 * n * x + 2 * np.sum(x) + 2 * np.sum(x * alt) * alt) / 2

    g = bc.grad(lambda x: bnp.sum(bnp.abs(bnp.fft.rfft(x)) ** 2))(x)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_numpy_fft_on_tensor_dispatches():
    x = bc.tensor(R[0], requires_grad=True)
    y = np.fft.fft(x)
    assert isinstance(y, bc.Tensor) and y.requires_grad


def test_frequencies_pass_through():
    np.testing.assert_array_equal(bnp.fft.fftfreq(6, 0.5), np.fft.fftfreq(6, 0.5))
    np.testing.assert_array_equal(bnp.fft.rfftfreq(7), np.fft.rfftfreq(7))


def test_bad_norm_names_the_operation():
    with pytest.raises(ValueError, match="fft: norm"):
        bnp.fft.fft(bc.tensor(R[0], requires_grad=True), norm="unitary")
