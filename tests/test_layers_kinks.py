"""Exact values at the kinks of the layer primitives: max-pool ties, bilinear sampling at integer
coordinates, repeated unpooling indices; the identity transform; errors that name the operation."""
import sys
import types

import numpy as np
import pytest

import backchain as bc
from backchain._rules import conv as C, pool as P, sampling as S


def test_tie_weights_rules():
    m = np.array([[True, False, True, True], [False, False, False, False]])
    np.testing.assert_array_equal(P._tie_weights(m, -1, "split"), [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0, 0, 0]])
    np.testing.assert_array_equal(P._tie_weights(m, -1, "first"), [[1, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(P._tie_weights(m, -1, "last"), [[0, 0, 0, 1], [0, 0, 0, 0]])


@pytest.mark.parametrize("ties, expected", [
    ("split", [[0.25, 0.25], [0.25, 0.25]]), ("first", [[1, 0], [0, 0]]), ("last", [[0, 0], [0, 1]])])
def test_max_pool_ties_exact(ties, expected):
    g = bc.grad(lambda x: P.max_pool2d(x, 2, ties=ties).sum())(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(g[0, 0], expected)


def test_max_pool_overlapping_windows_add_up():
    x = np.array([[[0.0, 5.0, 1.0, 2.0]]])
    g = bc.grad(lambda x: P.max_pool1d(x, 3, stride=1).sum())(x)
    np.testing.assert_array_equal(g, [[[0.0, 2.0, 0.0, 0.0]]])


def test_max_pool_ties_across_overlapping_windows():
    x = np.array([[[1.0, 1.0, 1.0]]])
    g = bc.grad(lambda x: P.max_pool1d(x, 2, stride=1).sum())(x)
    np.testing.assert_array_equal(g, [[[0.5, 1.0, 0.5]]])


def test_ties_policy_read_from_kinks():
    with bc.kinks.policy(ties="last"):
        assert P._ties_mode() == "last"
        g = bc.grad(lambda x: P.max_pool2d(x, 2).sum())(np.ones((1, 1, 2, 2)))
        np.testing.assert_array_equal(g[0, 0], [[0, 0], [0, 1]])
        assert P._ties_mode("split") == "split"  # an explicit argument wins
    assert P._ties_mode() == "split"


def test_ties_mode_rejects_unknown():
    with pytest.raises(ValueError, match="ties must be one of"):
        P.max_pool2d(np.ones((1, 1, 2, 2)), 2, ties="random")


def test_max_pool_nan_propagates_with_gradient():
    x = np.array([[[1.0, np.nan, 0.0, 2.0]]])
    y = P.max_pool1d(x, 2)
    assert np.isnan(y[0, 0, 0]) and y[0, 0, 1] == 2.0
    g = bc.grad(lambda x: P.max_pool1d(x, 2).sum())(x)
    np.testing.assert_array_equal(g, [[[0.0, 1.0, 0.0, 1.0]]])


def test_max_unpool_repeated_index_keeps_one_value():
    # Two inputs name the same output slot: like PyTorch the slot holds one value (the last written),
    # and only that input receives the slot's gradient (PyTorch passes it to both).
    x = np.array([[[3.0, 4.0, 5.0]]])
    idx = np.array([[[1, 1, 3]]])
    y = P.max_unpool1d(x, idx, 2, output_size=(5,))
    np.testing.assert_array_equal(y, [[[0.0, 4.0, 0.0, 5.0, 0.0]]])
    g = bc.grad(lambda x: (P.max_unpool1d(x, idx, 2, output_size=(5,)) * np.arange(5.0)).sum())(x)
    np.testing.assert_array_equal(g, [[[0.0, 1.0, 3.0]]])


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 1, 6, 6), (1, 2, 1, 4)])
def test_identity_transform_is_exact(align_corners, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    theta = np.tile(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (shape[0], 1, 1))
    grid = S.affine_grid(theta, shape, align_corners=align_corners)
    for mode in ("bilinear", "nearest"):
        for pm in ("zeros", "border", "reflection"):
            out = S.grid_sample(x, grid, mode=mode, padding_mode=pm, align_corners=align_corners)
            assert np.array_equal(out, x), (mode, pm)


def test_grid_sample_kink_is_right_sided():
    # One row, sampled at the pixel coordinate 1 exactly (align_corners=True: g = 2 * 1 / (4 - 1) - 1).
    x = np.array([[[[0.0, 1.0, 5.0, 6.0]]]])
    grid = np.array([[[[2.0 / 3.0 - 1.0, 0.0]]]])
    dg = bc.grad(lambda g: S.grid_sample(x, g, align_corners=True).sum())(grid)
    # d value / d coordinate = x[2] - x[1] = 4 (right-hand cell); d coordinate / d g = (4 - 1) / 2.
    np.testing.assert_allclose(dg[0, 0, 0], [4.0 * 1.5, 0.0], rtol=1e-12)


def test_conv_second_order_mixed_derivative():
    # d/dw <dL/dx, v> for L = sum(conv(x, w) ** 2): exercised through the three conv primitives.
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    assert bc.gradcheck(lambda x, w: (C.conv2d(x, w, padding=1, stride=2) ** 2).sum(), x, w, order=2)


def test_conv_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(1, 3, 5, 5\).*groups=2"):
        C.conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="conv2d: padding='same' is not supported for strided"):
        C.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="conv1d: the .*input.*smaller than the dilated kernel"):
        C.conv1d(np.ones((1, 1, 2)), np.ones((1, 1, 3)))
    with pytest.raises(ValueError, match="max_pool2d: padding"):
        P.max_pool2d(np.ones((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="grid_sample: expected input"):
        S.grid_sample(np.ones((1, 1, 3, 3)), np.ones((1, 2, 2, 3)))
    with pytest.raises(ValueError, match="pad: reflect padding"):
        S.pad(np.ones((1, 1, 3)), (3, 0), mode="reflect")


def test_float32_stays_float32():
    x = bc.tensor(np.ones((1, 2, 6, 6), np.float32), requires_grad=True)
    w = bc.tensor(np.ones((2, 2, 3, 3), np.float32), requires_grad=True)
    y = P.avg_pool2d(P.max_pool2d(C.conv2d(x, w, padding=1), 2), 1)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("n", [1, 3])
def test_conv_results_do_not_share_scratch_memory(n):
    rng = np.random.default_rng(4)
    w = rng.standard_normal((2, 3, 3, 3))
    x1, x2 = rng.standard_normal((n, 3, 5, 5)), rng.standard_normal((n, 3, 5, 5))
    y1 = C.conv2d(x1, w)
    keep = y1.copy()
    C.conv2d(x2, w)
    C.conv_transpose2d(x2[:, :2, :3, :3], w)
    np.testing.assert_array_equal(y1, keep)
