"""Softmax, its VJP and LayerNorm over the last axis, a row at a time (backchain/jit/_rows.py), in a
replay that fuses: values within float32's rounding of the eager ones (the sums run in another
order, exp is libmvec's), special values as eagerly, the same bits on one thread and on two, and
NumPy's calls where the kernels do not apply (another axis, float64, fuse="exact")."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F
import backchain.numpy as bnp

numba = pytest.importorskip("numba")
from backchain._rules.nn import _layer_norm_impl, _softmax_impl  # noqa: E402
from backchain.jit import _rows, _vmath  # noqa: E402
from tests.test_jit_gemm import _on_threads  # noqa: E402

pytestmark = pytest.mark.skipif(not _vmath.supports(np.float32, ["exp"]), reason="no libmvec here")
RNG = np.random.default_rng(11)
SHAPES = [(5, 1), (5, 3), (4, 17), (3, 64), (2, 3, 130), (7, 0), (0, 5), (2, 4, 8, 64)]


def _close(got, want, rtol=3e-6, atol=1e-7):
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_and_its_vjp_against_numpy(shape):
    x = (RNG.standard_normal(shape) * 4).astype(np.float32)
    g = RNG.standard_normal(shape).astype(np.float32)
    ans = _softmax_impl(x.copy(), -1)
    _close(_rows.softmax(x), ans)
    want = ans * (g - np.sum(g * ans, axis=-1, keepdims=True))
    _close(_rows.softmax_vjp(g, ans), want, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
def test_layer_norm_against_numpy(shape, affine):
    x = (RNG.standard_normal(shape) * 3 + 1).astype(np.float32)
    d = shape[-1]
    w = (1 + 0.2 * RNG.standard_normal(d)).astype(np.float32) if affine != "none" else None
    b = (0.3 * RNG.standard_normal(d)).astype(np.float32) if affine == "both" else None
    with np.errstate(all="ignore"):   # (NumPy's mean of an empty row)
        want = _layer_norm_impl(x, w, b, (len(shape) - 1,), 1e-5)
    _close(_rows.layer_norm(x, w, b, 1e-5), want, atol=2e-6)


def test_special_values_as_eagerly():
    x = np.array([[0.0, 1.0, np.nan, 2.0],          # a NaN: the row is NaN
                  [np.inf, 0.0, 1.0, -1.0],         # an infinite maximum: shifted by 0, inf / inf
                  [-np.inf, -np.inf, -np.inf, -np.inf],
                  [-np.inf, 0.0, 1.0, 2.0],
                  [1e30, 1e30, -1e30, 0.0]], np.float32)
    with np.errstate(all="ignore"):
        want = _softmax_impl(x.copy(), -1)
        got = _rows.softmax(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    fin = ~np.isnan(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=3e-6, atol=1e-7)
    y = np.array([[1.0, 1.0, 1.0], [np.nan, 0.0, 1.0], [np.inf, 0.0, 0.0]], np.float32)
    with np.errstate(all="ignore"):
        want, got = _layer_norm_impl(y, None, None, (1,), 1e-5), _rows.layer_norm(y, None, None, 1e-5)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[0], want[0])   # (a constant row: exactly 0)


def test_rows_split_across_threads_give_the_same_bits():
    x = RNG.standard_normal((64, 16, 128)).astype(np.float32)   # large enough to be split
    w, b = RNG.standard_normal(128).astype(np.float32), RNG.standard_normal(128).astype(np.float32)
    g = RNG.standard_normal(x.shape).astype(np.float32)
    calls = [lambda: _rows.softmax(x), lambda: _rows.layer_norm(x, w, b, 1e-5),
             lambda: _rows.softmax_vjp(g, _rows.softmax(x))]
    one = [_on_threads(1, f) for f in calls]
    two = [_on_threads(2, f) for f in calls]
    for a, c in zip(one, two):
        np.testing.assert_array_equal(a, c)
    out = np.empty_like(x)
    assert _rows.softmax(x, out) is out and _rows.softmax(x, x) is not x   # (never into its own input)


def _transformer_bits(x, w, b):
    h = F.layer_norm(x, (x.shape[-1],), w, b)
    p = F.softmax(h @ bnp.swapaxes(h, -1, -2) * 0.25, dim=-1)
    return bnp.sum((p @ h) ** 2)


def test_a_replay_takes_the_row_kernels_and_matches_eager():
    x = RNG.standard_normal((8, 64, 64)).astype(np.float32)   # (at least _fuse.ROW_MIN elements)
    w, b = (1 + 0.1 * RNG.standard_normal(64)).astype(np.float32), RNG.standard_normal(64).astype(np.float32) * 0.1
    grad = bc.grad(_transformer_bits, argnums=(0, 1, 2))
    jf = bc.jit(grad)
    for k in range(3):
        xi = x * np.float32(1 + 0.2 * k)
        for got, want in zip(jf(xi, w, b), grad(xi, w, b)):   # (float32 sums of ~500 terms: scaled atol)
            np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5 * np.abs(want).max())
    (paths,) = jf._cache.values()
    names = {getattr(f[0], "__name__", "") for f in paths[0].compiled.fused.values()}
    assert {"softmax", "softmax_vjp", "layer_norm"} <= names, names
    assert "out=b" in paths[0].compiled.source
    exact = bc.jit(grad, fuse="exact")     # NumPy's own calls: eager's bits
    for got, want in zip(exact(x, w, b), grad(x, w, b)):
        np.testing.assert_array_equal(got, want)


def test_other_axes_and_float64_keep_numpys_calls():
    def f(x):
        return bnp.sum(F.softmax(x, dim=0) * F.softmax(x, dim=-1))

    for dtype in (np.float32, np.float64):
        x = RNG.standard_normal((256, 64)).astype(dtype)
        jf = bc.jit(bc.grad(f))
        want = bc.grad(f)(x)
        got = jf(x)
        (paths,) = jf._cache.values()
        names = {getattr(k[0], "__name__", "") for k in paths[0].compiled.fused.values()}
        if dtype == np.float64:
            assert not names & {"softmax", "softmax_vjp", "layer_norm"}
            np.testing.assert_array_equal(got, want)
        else:
            assert "softmax" in names       # (the last axis's; axis 0 keeps NumPy's)
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)
    small = bc.jit(bc.grad(f))            # fewer than _fuse.ROW_MIN elements: NumPy's calls, eager's bits
    x = RNG.standard_normal((8, 6)).astype(np.float32)
    np.testing.assert_array_equal(small(x), bc.grad(f)(x))
