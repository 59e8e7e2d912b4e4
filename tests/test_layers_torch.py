"""Forward values and gradients of the layer primitives against torch.nn.functional (the oracle).

Every case copies the same float64 inputs into PyTorch and backchain, runs both
forward, pulls the same random cotangent back and compares the output and the
gradients of every differentiable input (input, weight, bias, grid). Max-pool
ties are compared under the "first" rule, which is PyTorch's.
"""
import itertools

import numpy as np
import pytest

import backchain as bc
from backchain._rules import conv as C, pool as P, sampling as S

torch = pytest.importorskip("torch")
F = torch.nn.functional


def compare(bc_fn, torch_fn, arrays, seed=0, rtol=1e-10, atol=1e-11):
    """Run both; compare outputs (and returned indices) and the gradients of the float inputs."""
    rng = np.random.default_rng(seed)
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    yt = torch_fn(*ts)
    it = None
    if isinstance(yt, tuple):
        yt, it = yt
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    bs = [bc.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y = bc_fn(*bs)
    if isinstance(y, tuple):
        y, i = y
        np.testing.assert_array_equal(i, it.numpy(), err_msg="indices")
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")
    y.backward(g)
    for k, (b, t) in enumerate(zip(bs, ts)):
        if not t.requires_grad:
            continue
        tg = np.zeros_like(b.data) if t.grad is None else t.grad.numpy()
        bg = np.zeros_like(b.data) if b.grad is None else b.grad
        np.testing.assert_allclose(bg, tg, rtol=rtol * 10, atol=atol * 10, err_msg=f"gradient of input {k}")


RNG = np.random.default_rng(1234)


def randn(*shape):
    return RNG.standard_normal(shape)


# -- convolution ---------------------------------------------------------------------------------

CONV2D = [dict(stride=s, padding=p, dilation=d, groups=g)
          for s, p, d, g in itertools.product([1, 2, (2, 1)], [0, 1, (2, 1)], [1, 2], [1, 2])]
CONV2D += [dict(padding="same"), dict(padding="same", dilation=(2, 1)), dict(padding="valid", stride=3),
           dict(groups=4, padding=1), dict(groups=4, stride=2, padding="valid")]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's own note on its padded copy
@pytest.mark.parametrize("kw", CONV2D, ids=str)
def test_conv2d(kw):
    g = kw.get("groups", 1)
    compare(lambda x, w, b: C.conv2d(x, w, b, **kw), lambda x, w, b: F.conv2d(x, w, b, **kw),
            [randn(2, 4, 7, 6), randn(6 if g != 4 else 8, 4 // g, 3, 2), randn(6 if g != 4 else 8)])


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_mode(mode, padding):
    x, w, b = randn(2, 3, 6, 5), randn(4, 3, 3, 3), randn(4)
    mod = torch.nn.Conv2d(3, 4, 3, padding=padding, padding_mode=mode).double()
    with torch.no_grad():
        mod.weight.copy_(torch.tensor(w))
        mod.bias.copy_(torch.tensor(b))

    def torch_fn(x, w, b):  # the module's weight is replaced by the leaf so that its gradient is compared
        mod.weight, mod.bias = torch.nn.Parameter(w), torch.nn.Parameter(b)
        out = mod(x)
        w.grad, b.grad = None, None
        return out

    rng = np.random.default_rng(0)
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    yt = torch_fn(*ts)
    gy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(gy))
    bs = [bc.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = C.conv2d(*bs, padding=padding, padding_mode=mode)
    y.backward(gy)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(bs[0].grad, ts[0].grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(bs[1].grad, mod.weight.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(bs[2].grad, mod.bias.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(stride=3, dilation=2, padding=2),
                                dict(padding="same", dilation=3), dict(groups=3, stride=2)], ids=str)
def test_conv1d(kw):
    compare(lambda x, w, b: C.conv1d(x, w, b, **kw), lambda x, w, b: F.conv1d(x, w, b, **kw),
            [randn(2, 3, 11), randn(6, 3 // kw.get("groups", 1), 3), randn(6)])


@pytest.mark.parametrize("kw", [dict(), dict(stride=(1, 2, 2), padding=1), dict(dilation=2, groups=2)], ids=str)
def test_conv3d(kw):
    compare(lambda x, w, b: C.conv3d(x, w, b, **kw), lambda x, w, b: F.conv3d(x, w, b, **kw),
            [randn(2, 2, 5, 6, 5), randn(4, 2 // kw.get("groups", 1), 2, 3, 2), randn(4)])


def test_conv2d_unbatched():
    compare(lambda x, w: C.conv2d(x, w, padding=1), lambda x, w: F.conv2d(x, w, padding=1),
            [randn(3, 5, 5), randn(2, 3, 3, 3)])


CONVT = [dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
         for s, p, op, g, d in itertools.product([1, 2, (3, 2)], [0, 1], [0, 1], [1, 2], [1, 2]) if op < min(
             (s,) if isinstance(s, int) else s)]


@pytest.mark.parametrize("kw", CONVT, ids=str)
def test_conv_transpose2d(kw):
    g = kw["groups"]
    compare(lambda x, w, b: C.conv_transpose2d(x, w, b, **kw), lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
            [randn(2, 4, 4, 5), randn(4, 6 // g, 3, 2), randn(6)])


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(dilation=2, groups=3)],
                         ids=str)
def test_conv_transpose1d(kw):
    g = kw.get("groups", 1)
    compare(lambda x, w, b: C.conv_transpose1d(x, w, b, **kw), lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
            [randn(2, 3, 6), randn(3, 6 // g, 4), randn(6)])


def test_conv_float32_keeps_dtype():
    x, w = randn(2, 3, 8, 8).astype(np.float32), randn(4, 3, 3, 3).astype(np.float32)
    y = C.conv2d(bc.tensor(x), bc.tensor(w, requires_grad=True), padding=1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, F.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy(), rtol=1e-4,
                               atol=1e-5)


# -- pooling ---------------------------------------------------------------------------------------

def ties(*shape):
    """Small integers: many tied maxima in every window."""
    return np.round(RNG.standard_normal(shape) * 1.5)


MAXPOOL2D = [dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=c)
             for k, s, p, d, c in itertools.product([2, 3, (3, 2)], [None, 1, 2], [0, 1], [1, 2], [False, True])]


@pytest.mark.parametrize("kw", MAXPOOL2D, ids=str)
@pytest.mark.parametrize("data", ["distinct", "ties"])
def test_max_pool2d(kw, data):
    x = randn(2, 3, 7, 8) if data == "distinct" else ties(2, 3, 7, 8)
    compare(lambda x: P.max_pool2d(x, return_indices=True, ties="first", **kw),
            lambda x: F.max_pool2d(x, return_indices=True, **kw), [x])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=3, stride=1, dilation=2, padding=1)], ids=str)
def test_max_pool1d(kw):
    compare(lambda x: P.max_pool1d(x, return_indices=True, ties="first", **kw),
            lambda x: F.max_pool1d(x, return_indices=True, **kw), [ties(2, 3, 11)])


AVGPOOL2D = [dict(kernel_size=k, stride=s, padding=p, ceil_mode=c, count_include_pad=i)
             for k, s, p, c, i in itertools.product([2, 3, (3, 2)], [None, 1, 2], [0, 1], [False, True],
                                                    [True, False])]
AVGPOOL2D += [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=d) for d in (1, 5)]


@pytest.mark.parametrize("kw", AVGPOOL2D, ids=str)
def test_avg_pool2d(kw):
    compare(lambda x: P.avg_pool2d(x, **kw), lambda x: F.avg_pool2d(x, **kw), [randn(2, 3, 7, 8)])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)], ids=str)
def test_avg_pool1d(kw):
    compare(lambda x: P.avg_pool1d(x, **kw), lambda x: F.avg_pool1d(x, **kw), [randn(2, 3, 10)])


@pytest.mark.parametrize("size", [1, 3, (2, 5), (7, 8), (4, 3)], ids=str)
def test_adaptive_pool2d(size):
    x = ties(2, 3, 7, 8)
    compare(lambda x: P.adaptive_avg_pool2d(x, size), lambda x: F.adaptive_avg_pool2d(x, size), [x])
    compare(lambda x: P.adaptive_max_pool2d(x, size, return_indices=True, ties="first"),
            lambda x: F.adaptive_max_pool2d(x, size, return_indices=True), [x])


@pytest.mark.parametrize("size", [1, 3, 4, 10])
def test_adaptive_pool1d(size):
    x = ties(2, 3, 10)
    compare(lambda x: P.adaptive_avg_pool1d(x, size), lambda x: F.adaptive_avg_pool1d(x, size), [x])
    compare(lambda x: P.adaptive_max_pool1d(x, size, return_indices=True, ties="first"),
            lambda x: F.adaptive_max_pool1d(x, size, return_indices=True), [x])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=3, padding=1)], ids=str)
def test_max_unpool2d(kw):
    # Non-overlapping windows: every index appears once (see test_layers_pool for repeated indices).
    y, idx = F.max_pool2d(torch.tensor(randn(2, 3, 7, 8)), return_indices=True, **kw)
    compare(lambda y: P.max_unpool2d(y, idx.numpy(), output_size=(7, 8), **kw),
            lambda y: F.max_unpool2d(y, idx, output_size=(7, 8), **kw), [y.numpy()])


# -- resampling -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (1, 2, 2, 1), (0, 0, 3, 1), (1, 0, 2, 2, 1, 3)], ids=str)
def test_pad(mode, pad):
    shape = (2, 3, 5, 4, 6)[:len(pad) // 2 + 2]   # PyTorch's non-constant modes pad N, C, *spatial inputs
    compare(lambda x: S.pad(x, pad, mode=mode), lambda x: F.pad(x, pad, mode=mode), [randn(*shape)])


def test_pad_constant_value_and_negative():
    compare(lambda x: S.pad(x, (-1, 2, 0, 1, 1, 0), value=2.5), lambda x: F.pad(x, (-1, 2, 0, 1, 1, 0), value=2.5),
            [randn(2, 3, 5, 4)])


INTERP = [dict(scale_factor=2, mode="nearest"), dict(scale_factor=0.5, mode="nearest"),
          dict(size=(5, 11), mode="nearest"), dict(size=(5, 11), mode="nearest-exact"),
          dict(scale_factor=1.7, mode="nearest")]
INTERP += [dict(size=s, mode="bilinear", align_corners=a) for s in [(5, 11), (3, 3), (14, 16), (1, 4)]
           for a in (True, False)]
INTERP += [dict(scale_factor=f, mode="bilinear", align_corners=a) for f in (2, 1.7, 0.6) for a in (True, False)]


@pytest.mark.parametrize("kw", INTERP, ids=str)
def test_interpolate(kw):
    compare(lambda x: S.interpolate(x, **kw), lambda x: F.interpolate(x, **kw), [randn(2, 3, 7, 8)])


@pytest.mark.parametrize("kw", [dict(scale_factor=2, mode="linear", align_corners=False),
                                dict(size=7, mode="linear", align_corners=True), dict(size=9, mode="nearest")],
                         ids=str)
def test_interpolate_1d(kw):
    compare(lambda x: S.interpolate(x, **kw), lambda x: F.interpolate(x, **kw), [randn(2, 3, 5)])


def test_interpolate_trilinear():
    kw = dict(size=(3, 5, 4), mode="trilinear", align_corners=False)
    compare(lambda x: S.interpolate(x, **kw), lambda x: F.interpolate(x, **kw), [randn(1, 2, 2, 3, 4)])


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle(r):
    compare(lambda x: S.pixel_shuffle(x, r), lambda x: F.pixel_shuffle(x, r), [randn(2, 2 * r * r, 3, 4)])
    compare(lambda x: S.pixel_unshuffle(x, r), lambda x: F.pixel_unshuffle(x, r), [randn(2, 2, 3 * r, 2 * r)])


@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid(align_corners):
    compare(lambda t: S.affine_grid(t, (2, 3, 5, 4), align_corners=align_corners),
            lambda t: F.affine_grid(t, (2, 3, 5, 4), align_corners=align_corners), [randn(2, 2, 3)])
    compare(lambda t: S.affine_grid(t, (2, 1, 3, 5, 4), align_corners=align_corners),
            lambda t: F.affine_grid(t, (2, 1, 3, 5, 4), align_corners=align_corners), [randn(2, 3, 4)])


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("spread", [0.9, 2.5])
def test_grid_sample(mode, padding_mode, align_corners, spread):
    grid = RNG.uniform(-spread, spread, (2, 4, 6, 2))
    compare(lambda x, g: S.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners),
            lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners),
            [randn(2, 3, 5, 7), grid])


@pytest.mark.parametrize("align_corners", [True, False])
def test_spatial_transformer_pipeline(align_corners):
    def bc_fn(x, theta):
        return S.grid_sample(x, S.affine_grid(theta, (2, 3, 6, 5), align_corners=align_corners),
                             align_corners=align_corners)

    def torch_fn(x, theta):
        return F.grid_sample(x, F.affine_grid(theta, (2, 3, 6, 5), align_corners=align_corners),
                             align_corners=align_corners)

    # Generic values: no sample point lands on an integer pixel coordinate (a kink, where PyTorch's side
    # depends on rounding and ours is the documented right-hand cell).
    theta = np.array([[[0.93, 0.21, 0.11], [-0.17, 1.07, -0.053]], [[0.71, -0.31, 0.19], [0.247, 0.83, 0.097]]])
    compare(bc_fn, torch_fn, [randn(2, 3, 6, 5), theta])
