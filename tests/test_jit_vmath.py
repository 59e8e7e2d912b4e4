"""Fused kernels on registers of lanes (``backchain/jit/_vmath.py``): libmvec's functions within
4 ulp of NumPy's, special values as NumPy gives them, arithmetic bit for bit with the scalar
kernel, every tail of a size that is not a multiple of the lanes, and the scalar kernel wherever
the vector one does not apply."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.jit import _fuse
from tests.test_jit import chain

pytest.importorskip("numba")
from backchain.jit import _vmath  # noqa: E402

FUNCS = sorted(_vmath.FUNCS) + ["sqrt", "absolute", "square", "negative"]
vector = pytest.mark.skipif(not _vmath.lanes(np.float64), reason="no libmvec (glibc >= 2.35, x86-64) here")


def _kernel_source(jf):
    (paths,) = jf._cache.values()
    (fused,) = [g for g in paths[0].compiled.fused.values()]
    return fused[0].source


def _fused(name):
    """``x -> name(x * 1.0) * 1.0`` under bc.jit with every run fused (one kernel of 3 calls)."""
    f = getattr(bnp, name)
    return bc.jit(lambda x: f(x * 1.0) * 1.0, fuse="numba")


def _inputs(name, dtype, rng):
    for scale in (1e-6, 0.1, 1.0, 3.0, 20.0, 300.0):
        x = rng.standard_normal(257) * scale
        if name in ("log", "sqrt"):
            x = np.abs(x)
        elif name == "log1p":
            x = np.abs(x) - 0.5 * min(scale, 1.0)
        yield x.astype(dtype)


@vector
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", FUNCS)
def test_each_function_within_4_ulp_of_numpy(name, dtype):
    jf = _fused(name)
    rng = np.random.default_rng(0)
    for x in _inputs(name, dtype, rng):
        with np.errstate(all="ignore"):
            want, got = getattr(np, name)(x), jf(x)
        assert got.dtype == dtype
        finite = np.isfinite(want)
        np.testing.assert_array_equal(np.isfinite(got), finite)
        ulp = np.abs(got[finite].astype(np.float64) - want[finite]) / np.spacing(np.abs(want[finite]))
        assert ulp.max(initial=0) <= 4, (name, dtype, ulp.max())
    assert "vm." in _kernel_source(jf)


@vector
@pytest.mark.parametrize("name", FUNCS)
def test_special_values_as_numpy(name):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 710.0, -745.0, 5e-324])
    jf = _fused(name)
    with np.errstate(all="ignore"):
        want, got = getattr(np, name)(x), jf(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    same = ~np.isnan(want) & (np.isinf(want) | (want == 0))
    np.testing.assert_array_equal(got[same], want[same])
    np.testing.assert_array_equal(np.signbit(got[same]), np.signbit(want[same]))


@vector
@pytest.mark.parametrize("n", [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_tail_and_the_lanes_past_it(n, dtype, monkeypatch):
    """The masked last register: values for sizes around the lanes, the same as the scalar kernel's
    within the functions' ulps; arithmetic alone bit for bit."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    k = np.asarray(rng.standard_normal(n), dtype)

    def arith(x, k):
        return ((x * 1.5 - k) / (x * x + 2.0) + bnp.sqrt(bnp.abs(k))) * -x

    def trans(x, k):
        return bnp.tanh(bnp.sin(x) * k + 0.5) - bnp.exp(x * 0.25)

    for f, exact in ((arith, True), (trans, False)):
        jv = bc.jit(f, fuse="numba")
        got = jv(x, k)
        assert "vm." in _kernel_source(jv)
        monkeypatch.setattr(_fuse, "VECTOR", False)
        js = bc.jit(f, fuse="numba")
        want = js(x, k)
        assert "vm." not in _kernel_source(js)
        monkeypatch.setattr(_fuse, "VECTOR", True)
        assert got.shape == (n,) and got.dtype == dtype
        if exact:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == np.float32 else 1e-14, atol=1e-7)


@vector
def test_w2_gradient_on_registers_matches_scalar_kernel_and_unfused(monkeypatch):
    g = bc.grad(chain(bnp, 60))
    x = np.random.default_rng(1).standard_normal(19)
    vec = bc.jit(g, fuse="numba")
    got = vec(x)
    assert "vm.tanh" in _kernel_source(vec) and "vm.cos" in _kernel_source(vec)
    np.testing.assert_allclose(got, bc.jit(g, fuse=None)(x), rtol=1e-13, atol=1e-15)
    monkeypatch.setattr(_fuse, "VECTOR", False)
    np.testing.assert_allclose(got, bc.jit(g, fuse="numba")(x), rtol=1e-13, atol=1e-15)


def test_scalars_constant_arrays_and_2d_shapes():
    """0-d inputs are splat, constant arrays loaded by the register, a 2-d group runs flat."""
    c = np.linspace(-1, 1, 15).reshape(3, 5)

    def f(x, s):
        return bnp.exp(bnp.sin(x) * s + c) * c - s

    jf = bc.jit(f, fuse="numba")
    for s in (np.float64(0.5), np.float64(-2.0)):
        x = np.random.default_rng(2).standard_normal((3, 5))
        np.testing.assert_allclose(jf(x, s), f(x, s), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_float16_and_long_double_runs_are_not_fused(dtype):
    """Numba computes neither: their runs replay NumPy's calls (a float16 run failed to compile)."""
    assert not _vmath.supports(dtype, ["sin"]) and _vmath.lanes(dtype) == 0
    f = lambda x: bnp.sin(x * 1.0) * 1.0  # noqa: E731
    jf = bc.jit(f, fuse="numba")
    x = np.linspace(0, 1, 9, dtype=dtype)
    out = jf(x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, f(x))
    (paths,) = jf._cache.values()
    assert not paths[0].compiled.fused


@vector
def test_a_function_libmvec_lacks_keeps_the_scalar_kernel(monkeypatch):
    monkeypatch.setitem(_vmath.FUNCS, "sin", "no_such_function")
    assert not _vmath.supports(np.float64, ["sin"])
    jf = bc.jit(lambda x: bnp.sin(x * 1.0) * 1.0, fuse="numba")
    x = np.linspace(0, 1, 9)
    np.testing.assert_allclose(jf(x), np.sin(x), rtol=1e-15)
    assert "vm." not in _kernel_source(jf)
