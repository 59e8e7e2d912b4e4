"""Reductions over empty axes, forward and backward (against NumPy and torch), and cov/corrcoef dtypes."""
import warnings

import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp


def _backward(fn, shape, **kw):
    x = bc.tensor(np.ones(shape), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns about empty slices, as below
        y = fn(x, **kw)
        bnp.sum(y).backward()
    return y, x.grad


@pytest.mark.parametrize("name", ["prod", "cumprod", "var", "std", "mean", "sum", "nanprod", "nanvar"])
@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((0, 3), 1), ((3, 0), 1), ((0,), None), ((2, 0, 3), (1, 2))])
def test_empty_axis_forward_like_numpy_and_backward_empty_or_zero(name, shape, axis):
    if name == "cumprod" and isinstance(axis, tuple):  # one axis only, as in NumPy
        with pytest.raises(TypeError):
            np.cumprod(np.ones(shape), axis=axis)
        with pytest.raises(TypeError, match="cumprod: axis must be an int"):
            bnp.cumprod(bc.tensor(np.ones(shape)), axis=axis)
        return
    y, g = _backward(getattr(bnp, name), shape, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = getattr(np, name)(np.ones(shape), axis=axis)
    np.testing.assert_array_equal(y.data, expected)
    # a reduction over an empty axis reads no element: the input's cotangent is empty
    assert y.dtype == expected.dtype and g.shape == shape and g.dtype == np.float64


def test_var_with_ddof_equal_to_count_backward():
    # NumPy gives inf (0 / 0 -> nan for a constant slice); backward must not raise ZeroDivisionError
    x = bc.tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = bnp.var(x, axis=1, ddof=1)
        np.testing.assert_array_equal(y.data, np.var(x.data, axis=1, ddof=1))
        bnp.sum(y).backward()
    assert x.grad.shape == (2, 1)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "ptp"])
def test_extrema_of_empty_raise_like_numpy(name):
    with pytest.raises(ValueError, match="zero-size array") as np_err:
        getattr(np, name)(np.ones((0, 3)), axis=0)
    with pytest.raises(ValueError, match="zero-size array"):
        getattr(bnp, name)(bc.tensor(np.ones((0, 3)), requires_grad=True), axis=0)
    assert np_err.value is not None


def test_extrema_over_a_non_empty_axis_of_an_empty_array():
    y, g = _backward(bnp.max, (3, 0), axis=0)
    assert y.shape == (0,) and g.shape == (3, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.complex64])
@pytest.mark.parametrize("fn", ["cov", "corrcoef"])
def test_cov_corrcoef_dtype_same_for_tensor_and_ndarray(fn, dtype):
    x = np.random.default_rng(0).normal(size=(3, 5))
    if dtype == np.complex64:
        x = x + 1j * np.random.default_rng(1).normal(size=(3, 5))
    x = x.astype(dtype) if dtype != np.int64 else (x * 10).astype(np.int64)
    ref = getattr(np, fn)(x)
    got_nd = getattr(bnp, fn)(x)
    got_t = getattr(bnp, fn)(bc.tensor(x))
    assert got_nd.dtype == ref.dtype == got_t.dtype
    np.testing.assert_allclose(got_t.data, ref, rtol=1e-12, atol=1e-12)
    if fn == "cov" and dtype != np.int64:
        # torch.cov keeps the input's dtype; in float64 the values agree
        np.testing.assert_allclose(got_t.data, torch.cov(torch.from_numpy(x.astype(ref.dtype))).numpy(),
                                   rtol=1e-12, atol=1e-12)


def test_cov_with_y_and_float32_takes_numpy_dtype_and_gradient():
    m = np.random.default_rng(2).normal(size=(2, 4)).astype(np.float32)
    y = np.random.default_rng(3).normal(size=(4,)).astype(np.float32)
    ref = np.cov(m, y)
    got = bnp.cov(bc.tensor(m), y)
    assert got.dtype == ref.dtype == np.float64
    np.testing.assert_allclose(got.data, ref, rtol=1e-12)
    g = bc.grad(lambda m: bnp.sum(bnp.cov(m, y)))(m)
    assert g.dtype == np.float32  # the gradient keeps the argument's dtype
    mt = torch.tensor(m, dtype=torch.float64, requires_grad=True)
    torch.cov(torch.cat([mt, torch.tensor(y, dtype=torch.float64)[None]])).sum().backward()
    np.testing.assert_allclose(g, mt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_full_with_a_traced_fill_value():
    g = bc.grad(lambda s: bnp.sum(bnp.full((2, 3), s) * np.arange(6.0).reshape(2, 3)))(2.0)
    assert g == 15.0
    v = np.array([1.0, 2.0, 3.0])
    out, vjp_fn = bc.vjp(lambda s: bnp.full((2, 3), s), v)
    np.testing.assert_array_equal(out, np.full((2, 3), v))
    (gv,) = vjp_fn(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(gv, [3.0, 5.0, 7.0])
    s = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    torch.full((2, 3), 0.0, dtype=torch.float64).add(s).mul(torch.arange(6.0, dtype=torch.float64).reshape(2, 3)) \
        .sum().backward()
    assert g == s.grad.item()
    assert bnp.full((2,), bc.tensor(np.float32(1.5))).dtype == np.full((2,), np.float32(1.5)).dtype
    assert bnp.full((2,), bc.tensor(1.5), dtype=np.float32).dtype == np.float32
    t = bnp.full((2, 2), bc.tensor(1.0))
    assert isinstance(t, bc.Tensor)
    np.testing.assert_array_equal(bnp.full_like(np.zeros(3), 4.0), np.full(3, 4.0))
    assert bc.grad(lambda s: bnp.sum(bnp.full_like(np.zeros(3), s)))(1.0) == 3.0


def test_cov_of_a_list_and_a_tensor():
    y = bc.tensor(np.array([1.0, 0.0, 2.0], dtype=np.float32))
    ref = np.cov([0.0, 1.0, 2.0], y.data)
    got = bnp.cov([0.0, 1.0, 2.0], y)
    assert got.dtype == ref.dtype
    np.testing.assert_allclose(got.data, ref, rtol=1e-12)
