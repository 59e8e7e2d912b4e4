"""``F.fractional_max_pool2d/3d`` and ``nn.FractionalMaxPool2d/3d`` against PyTorch 2.13: with the same
``_random_samples`` the outputs and indices are PyTorch's exactly, and so are the gradients under the
"first" tie rule (backchain.torch's); finite differences in float64 for the default rule."""
import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.nn.functional as F
import backchain.torch as bt
from tests.gradcheck import check_first_order

TF = torch.nn.functional


def _shapes(nd, count, seed):
    rng = np.random.default_rng(seed)
    for i in range(count):
        space = tuple(int(s) for s in rng.integers(4, 14 if nd == 3 else 30, nd))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
        # PyTorch's 3-D kernel asks for output + kernel - 1 < input (its 2-D kernel allows equality)
        slack = 1 if nd == 2 else 0
        out = tuple(int(rng.integers(1, s - k + 1 + slack)) for s, k in zip(space, kernel))
        dtype = (np.float32, np.float64)[i % 2]
        yield rng, space, kernel, out, dtype


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_outputs_indices_and_gradients_equal_torch(nd, seed):
    t_fn = TF.fractional_max_pool2d if nd == 2 else TF.fractional_max_pool3d
    b_fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    for rng, space, kernel, out, dtype in _shapes(nd, 12 if nd == 2 else 4, seed):
        x = rng.standard_normal((2, 3) + space).astype(dtype)
        samples = rng.random((2, 3, nd)).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        yt, it = t_fn(xt, kernel, output_size=out, return_indices=True, _random_samples=torch.tensor(samples))
        cot = rng.standard_normal(yt.shape).astype(dtype)
        yt.backward(torch.tensor(cot))
        xb = bc.tensor(x, requires_grad=True)
        yb, ib = b_fn(xb, kernel, output_size=out, return_indices=True, _random_samples=samples, ties="first")
        bnp.sum(yb * cot).backward()
        assert yb.dtype == dtype and ib.dtype == np.int64
        np.testing.assert_array_equal(yb.data, yt.detach().numpy())
        np.testing.assert_array_equal(ib, it.numpy())
        np.testing.assert_allclose(xb.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_output_ratio_and_unbatched_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 11, 9))
    samples = rng.random((1, 3, 2))
    yt, it = TF.fractional_max_pool2d(torch.tensor(x), (2, 3), output_ratio=(0.5, 0.6), return_indices=True,
                                      _random_samples=torch.tensor(samples))
    yb, ib = F.fractional_max_pool2d(x, (2, 3), output_ratio=(0.5, 0.6), return_indices=True,
                                     _random_samples=samples[0][None])
    assert yb.shape == tuple(yt.shape) == (3, 5, 5)
    np.testing.assert_array_equal(yb, yt.numpy())
    np.testing.assert_array_equal(ib, it.numpy())
    np.testing.assert_array_equal(F.fractional_max_pool2d(x[None], 2, output_ratio=0.5, _random_samples=samples),
                                  TF.fractional_max_pool2d(torch.tensor(x[None]), 2, output_ratio=(0.5, 0.5),
                                                           _random_samples=torch.tensor(samples)).numpy())


def test_overlapping_windows_add_gradients_and_ties_split_by_default():
    # 5 inputs, 4 windows of 2: windows overlap, gradients add up
    x = np.array([[[[1.0, 3.0, 2.0, 5.0, 4.0]]]])
    s = np.full((1, 1, 2), 0.5)
    g = bc.grad(lambda a: bnp.sum(F.fractional_max_pool2d(a, (1, 2), output_size=(1, 4), _random_samples=s)))(x)
    xt = torch.tensor(x, requires_grad=True)
    TF.fractional_max_pool2d(xt, (1, 2), output_size=(1, 4), _random_samples=torch.tensor(s)).sum().backward()
    np.testing.assert_array_equal(g, xt.grad.numpy())
    np.testing.assert_array_equal(g, [[[[0.0, 2.0, 0.0, 2.0, 0.0]]]])
    # a tied window: backchain splits (min-norm), "first" gives it to the first maximum, as PyTorch
    x = np.array([[[[2.0, 2.0]]]])
    one = np.zeros((1, 1, 2))
    split = bc.grad(lambda a: bnp.sum(F.fractional_max_pool2d(a, (1, 2), output_size=1, _random_samples=one)))(x)
    first = bc.grad(lambda a: bnp.sum(F.fractional_max_pool2d(a, (1, 2), output_size=1, _random_samples=one,
                                                                 ties="first")))(x)
    np.testing.assert_array_equal(split, [[[[0.5, 0.5]]]])
    np.testing.assert_array_equal(first, [[[[1.0, 0.0]]]])
    with bc.kinks.policy(ties="first"):
        np.testing.assert_array_equal(
            bc.grad(lambda a: bnp.sum(F.fractional_max_pool2d(a, (1, 2), output_size=1, _random_samples=one)))(x),
            first)


def test_nan_is_the_maximum_as_in_torch():
    x = np.array([[[[1.0, np.nan, 3.0, np.nan, 0.0]]]])
    s = np.full((1, 1, 2), 0.3)
    yb, ib = F.fractional_max_pool2d(x, (1, 3), output_size=(1, 2), return_indices=True, _random_samples=s)
    yt, it = TF.fractional_max_pool2d(torch.tensor(x), (1, 3), output_size=(1, 2), return_indices=True,
                                      _random_samples=torch.tensor(s))
    np.testing.assert_array_equal(yb, yt.numpy())
    np.testing.assert_array_equal(ib, it.numpy())


def test_finite_differences_float64():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 7, 6))
    s = rng.random((2, 2, 2))
    check_first_order(lambda a: F.fractional_max_pool2d(a, 2, output_size=(4, 3), _random_samples=s), (x,), rng)
    x3 = rng.standard_normal((1, 2, 5, 6, 4))
    s3 = rng.random((1, 2, 3))
    check_first_order(lambda a: F.fractional_max_pool3d(a, 2, output_size=(3, 2, 2), _random_samples=s3), (x3,),
                      rng)


def test_samples_drawn_from_backchains_generator():
    x = np.random.default_rng(3).standard_normal((2, 3, 12, 12)).astype(np.float32)
    bc.manual_seed(5)
    a = F.fractional_max_pool2d(x, 2, output_size=7)
    b = F.fractional_max_pool2d(x, 2, output_size=7)
    bc.manual_seed(5)
    np.testing.assert_array_equal(F.fractional_max_pool2d(x, 2, output_size=7), a)
    assert not np.array_equal(a, b)
    # the draw is one uniform sample per (batch, channel, axis), in the input's dtype
    bc.manual_seed(5)
    samples = bc.random.default_generator().random((2, 3, 2), dtype=np.float32)
    np.testing.assert_array_equal(a, F.fractional_max_pool2d(x, 2, output_size=7, _random_samples=samples))


def test_modules_and_torch_namespace():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    s = rng.random((2, 3, 2)).astype(np.float32)
    ref = torch.nn.FractionalMaxPool2d(3, output_size=(4, 5), return_indices=True, _random_samples=torch.tensor(s))
    xt = torch.tensor(x, requires_grad=True)
    yt, it = ref(xt)
    yt.sum().backward()
    pool = bt.nn.FractionalMaxPool2d(3, output_size=(4, 5), return_indices=True, _random_samples=bt.tensor(s))
    assert repr(pool) == "FractionalMaxPool2d(kernel_size=3, output_size=(4, 5))"
    xb = bt.tensor(x, requires_grad=True)
    yb, ib = pool(xb)
    yb.sum().backward()
    assert isinstance(yb, bt.Tensor) and isinstance(ib, bt.Tensor) and ib.dtype == bt.int64
    np.testing.assert_array_equal(yb.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(ib.numpy(), it.numpy())
    np.testing.assert_array_equal(xb.grad.numpy(), xt.grad.numpy())
    assert bc.nn.FractionalMaxPool2d(2, output_ratio=0.5)(x).shape == (2, 3, 4, 5)
    y3 = bt.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0.5))(bt.tensor(rng.standard_normal((1, 2, 6, 6, 8))))
    assert y3.shape == bt.Size([1, 2, 3, 3, 4])
    y2 = bt.nn.functional.fractional_max_pool2d(xb, 2, output_size=3)
    assert isinstance(y2, bt.Tensor) and y2.shape == bt.Size([2, 3, 3, 3])


@pytest.mark.parametrize("args, kwargs, match", [
    ((2,), {}, "either an output size, or a pooling ratio"),
    ((2,), dict(output_size=3, output_ratio=0.5), "only one of output_size"),
    ((2,), dict(output_ratio=1.5), "between 0 and 1"),
])
def test_module_errors_as_torch(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        bc.nn.FractionalMaxPool2d(*args, **kwargs)
    with pytest.raises(ValueError):
        torch.nn.FractionalMaxPool2d(*args, **kwargs)
    with pytest.raises(ValueError, match=match):
        bt.nn.FractionalMaxPool2d(*args, **kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda x: F.fractional_max_pool2d(x, 2), "either an output_size or an output_ratio"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=7), r"needs at least output \+ kernel - 1 = 9 inputs"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=np.zeros((2, 3, 2))),
     r"_random_samples must be float32 of shape \(N, C, 2\) = \(2, 3, 2\)"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=np.zeros((2, 3), np.float32)),
     "_random_samples must be"),
    (lambda x: F.fractional_max_pool2d(x[0, 0, 0], 2, output_size=3), r"input must be \(N, C, \*spatial\)"),
    (lambda x: F.fractional_max_pool2d(x.astype(np.int64), 2, output_size=3), "fractional_max_pool2d"),
])
def test_function_errors(call, match):
    x = np.zeros((2, 3, 8, 8), dtype=np.float32)
    with pytest.raises((ValueError, TypeError), match=match):
        call(x)
