"""The layout copies and fast paths inside the convolution, ReLU and max-pool kernels.

The blocked batch-first / batch-last copies of backchain._rules.conv must give exactly
the elements of a plain moved-axis copy for every batch size (including sizes that do
not fill the last block); ReLU's array-of-zeros path must give the bytes of
``np.maximum(x, 0)`` (signed zeros, NaN, inf included) and never overwrite a result
that is still referenced; the uint8 tie counts of the tiled max-pool must split a
window's gradient as the intp counts did. Batches larger than one block run through
the whole convolution against PyTorch.
"""
import numpy as np
import pytest

import backchain as bc
from backchain._rules import conv as C, pool as P
from backchain._rules.activations import relu


@pytest.mark.parametrize("n", [1, 5, 16, 17, 33, 64, 70])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rest", [(3, 5, 7), (8, 24, 24), (2, 1)])
def test_batch_first_and_last_are_moved_axis_copies(n, dtype, rest):
    rng = np.random.default_rng(n)
    a = rng.standard_normal(rest + (n,)).astype(dtype)
    got = C._batch_first(a, "test_batch_first")
    assert got.flags.c_contiguous and got.shape == (n,) + rest
    np.testing.assert_array_equal(got, np.moveaxis(a, -1, 0))
    b = rng.standard_normal((n,) + rest).astype(dtype)
    out = np.empty(rest + (n,), dtype)
    C._batch_last(b, out)
    np.testing.assert_array_equal(out, np.moveaxis(b, 0, -1))


def test_batch_first_and_last_of_strided_views():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 10, 40))[:, ::2]           # not contiguous: the plain copy
    np.testing.assert_array_equal(C._batch_first(a, "test_batch_first"), np.moveaxis(a, -1, 0))
    b = rng.standard_normal((40, 3, 12))[:, :, 1::3]
    out = np.empty((3, 4, 40))
    C._batch_last(b, out)
    np.testing.assert_array_equal(out, np.moveaxis(b, 0, -1))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_large_arrays_are_bytes_of_maximum(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 8, 24, 24)).astype(dtype)
    flat = x.reshape(-1)
    flat[:6] = [-0.0, 0.0, np.nan, -np.inf, np.inf, -np.nan]
    assert x.nbytes >= 64 * 1024
    y = relu(x)
    assert y.dtype == x.dtype and y.shape == x.shape
    assert y.tobytes() == np.maximum(x, 0).tobytes()
    xs = x[:, :, ::2]                                      # a strided input
    assert relu(xs).tobytes() == np.maximum(xs, 0).tobytes()


def test_relu_small_and_integer_inputs_take_the_plain_path():
    for x in (np.array([-1.0, 0.0, 2.0]), np.arange(-5, 5), np.float32(-3.0), -2.5):
        np.testing.assert_array_equal(relu(x), np.maximum(x, 0))
    big_int = np.arange(-50000, 50000)
    np.testing.assert_array_equal(relu(big_int), np.maximum(big_int, 0))


def test_relu_results_in_use_are_never_recycled():
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((64, 8, 24, 24)).astype(np.float32) for _ in range(8)]
    ys = [relu(x) for x in xs]                              # all held: eight distinct arrays
    assert len({id(y) for y in ys}) == 8
    for x, y in zip(xs, ys):
        np.testing.assert_array_equal(y, np.maximum(x, 0))
    view = relu(xs[0])[1:]                                  # only a view keeps the result alive
    for x in xs[1:]:
        relu(x)
    np.testing.assert_array_equal(view, np.maximum(xs[0], 0)[1:])


def test_relu_gradient_of_a_large_map():
    rng = np.random.default_rng(3)
    x = bc.tensor(rng.standard_normal((16, 8, 24, 24)).astype(np.float32), requires_grad=True)
    for _ in range(3):   # repeated steps reuse the pooled outputs
        y = relu(x)
        (y * 2.0).sum().backward()
        np.testing.assert_array_equal(x.grad, np.where(x.data > 0, 2.0, 0.0).astype(np.float32))
        x.grad = None


@pytest.mark.parametrize("k", [2, 3, 16])
def test_tiled_max_pool_splits_ties_evenly(k):
    # constant windows: every entry is a maximum; k=16 has 256 entries (intp counts, not uint8)
    x = np.zeros((2, 3, 2 * k, k))
    x[0, 0, :k, :] = np.arange(k * k).reshape(k, k)          # one window with a single maximum
    g = bc.grad(lambda x: P.max_pool2d(x, k, ties="split").sum())(x)
    expect = np.full(x.shape, 1.0 / (k * k))
    expect[0, 0, :k, :] = 0.0
    expect[0, 0, k - 1, k - 1] = 1.0
    np.testing.assert_array_equal(g, expect)


def test_conv2d_large_batch_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((70, 3, 14, 13)), rng.standard_normal((5, 3, 3, 4)), rng.standard_normal(5)
    for kw in (dict(), dict(padding=1), dict(stride=2)):
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        yt = torch.nn.functional.conv2d(xt, wt, bt, **kw)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        xs, ws, bs = (bc.tensor(a, requires_grad=True) for a in (x, w, b))
        y = C.conv2d(xs, ws, bs, **kw)
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
        y.backward(g)
        for ours, theirs in ((xs, xt), (ws, wt), (bs, bt)):
            np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-9)
