"""Fusion of elementwise runs under bc.jit: which calls a kernel takes, and its values (the
kernels' math library may differ from NumPy's SIMD loops in the last bit: rtol 1e-13 in float64,
1e-6 in float32)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.jit import _fuse
from tests.test_jit import chain

pytest.importorskip("numba")


def test_groups_take_runs_of_one_shape_and_let_independent_calls_run_first():
    def f(x, y):
        a = bnp.sin(x) * 2.0 + 1.0       # run 1 (shape 4)
        s = bnp.sum(y)                   # reads no value of the run: runs before its kernel
        b = bnp.tanh(a) - 0.5
        t = bnp.sum(b)                   # reads the run: closes it
        return bnp.exp(b) * t + s

    prog = bc.jit(f, fuse=None).lower(np.ones(4), np.ones(3))
    names = [c.name for c in prog.steps]
    (first, *rest) = _fuse.groups(prog)
    assert [names[i] for i in first] == ["sin", "multiply", "add", "tanh", "subtract"]
    assert all(len(g) >= 2 for g in rest)


def test_fused_gradient_of_the_chain_matches_unfused():
    g = bc.grad(chain(bnp, 60))
    fused, plain = bc.jit(g, fuse="numba"), bc.jit(g, fuse=None)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal(16)
        np.testing.assert_allclose(fused(x), plain(x), rtol=1e-13, atol=1e-15)
    assert fused._cache and any(s.compiled.fused for p in fused._cache.values() for s in p)


def test_float32_runs_stay_float32():
    f = bc.jit(bc.grad(lambda x: bnp.sum(bnp.tanh(bnp.sin(x) * 1.5 + 0.25) * 3.0 - x * x)), fuse="numba")
    x = np.linspace(-1, 1, 12, dtype=np.float32)
    out = f(x)
    assert out.dtype == np.float32
    want = bc.grad(lambda x: bnp.sum(bnp.tanh(bnp.sin(x) * 1.5 + 0.25) * 3.0 - x * x))(x)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)
    (paths,) = f._cache.values()
    assert paths[0].compiled.fused


def test_scalars_and_broadcast_constants_enter_a_kernel():
    def f(x, k):
        return bnp.exp(bnp.sin(x) * k + 1.0) - k

    jf = bc.jit(f, fuse="numba")
    for k in (np.float64(2.0), np.float64(-1.0)):
        x = np.linspace(0, 1, 5)
        np.testing.assert_allclose(jf(x, k), f(x, k), rtol=1e-13)


def test_unknown_backend():
    with pytest.raises(ValueError, match="fuse must be"):
        bc.jit(lambda x: x, fuse="xla")
