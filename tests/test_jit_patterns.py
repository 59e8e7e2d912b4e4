"""The buffered replay's pattern kernels (backchain/jit/_patterns.py): bias + ReLU, the ReLU backward,
the max-pool (+ ReLU) backward, a convolution's columns shared with its weight gradient. Each
computes the same IEEE operations as the calls it replaces: replayed values equal eager ones bit
for bit (ties, NaN, other policies and other layouts included), and gradients match JAX and
central differences."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.nn.functional as F
from backchain.jit import _patterns

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _kernels_compiled_at_the_request(monkeypatch):
    """The pattern kernels compile in the background by default, and a replay takes the NumPy route
    until they are ready: these tests compile them when asked for, so that the replays run them."""
    monkeypatch.setenv("BACKCHAIN_JIT_COMPILE", "sync")

PATTERNS = {"bias_relu", "relu_pool", "sgd_update", "conv_input_grad(col2im)", "relu_vjp", "pool_relu_vjp",
            "pool_vjp", "conv_bias+cols", "conv+cols", "conv_weight_grad(cols)", "conv2d(kernels)",
            "conv_weight_grad(kernels)", "conv_input_grad(kernels)"}


def _same_bits(a, b):
    """Equal bit for bit (signed zeros told apart), NaN where NaN."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def _rewritten(jf):
    (paths,) = jf._cache.values()
    return [s.name for s in paths[0].compiled.rewritten.steps if getattr(s, "name", None) in PATTERNS]


def _mlp_loss(ps, x, y):
    w1, b1, w2, b2, w3, b3 = ps
    h = F.relu(x @ w1 + b1)
    h = F.relu(h @ w2 + b2)
    return F.cross_entropy(h @ w3 + b3, y)


def _mlp(dtype, seed=0):
    rng = np.random.default_rng(seed)
    sizes = (12, 16, 16, 5)
    ps = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        ps += [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype), (0.1 * rng.standard_normal(b)).astype(dtype)]
    x = rng.standard_normal((8, 12)).astype(dtype)
    y = rng.integers(0, 5, 8)
    return ps, x, y


def _cnn_loss(ps, x, y):
    w1, b1, w2, b2, w3, b3 = ps
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
    return F.cross_entropy(F.linear(F.flatten(h, 1), w3, b3), y)


def _cnn(dtype, seed=0, batch=4):
    rng = np.random.default_rng(seed)
    shapes = [(4, 1, 3, 3), (4,), (6, 4, 3, 3), (6,), (3, 6 * 2 * 2), (3,)]
    ps = [(0.5 * rng.standard_normal(s)).astype(dtype) for s in shapes]
    x = rng.standard_normal((batch, 1, 14, 14)).astype(dtype)
    y = rng.integers(0, 3, batch)
    return ps, x, y


def _sgd(loss):
    def step(ps, x, y):
        g = bc.grad(loss)(ps, x, y)
        return [p - 0.05 * gp for p, gp in zip(ps, g)]
    return step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_training_step_replays_bit_for_bit(dtype):
    ps, x, y = _mlp(dtype)
    step = _sgd(_mlp_loss)
    jstep = bc.jit(step, fuse="auto")
    eager = jitted = ps
    for i in range(6):
        xi = x + np.asarray(0.01 * i, dtype)
        eager, jitted = step(eager, xi, y), jstep(jitted, xi, y)
        for a, b in zip(eager, jitted):
            assert b.dtype == dtype
            _same_bits(a, b)
    names = _rewritten(jstep)
    assert names.count("bias_relu") == 2 and names.count("relu_vjp") == 2


@pytest.mark.parametrize("dtype, fuse", [(np.float32, "exact"), (np.float64, "auto"), (np.float32, "auto")])
def test_cnn_training_step_replays_bit_for_bit(dtype, fuse):
    """The bit-for-bit rewrites (columns shared with the weight gradient, col2im in one loop, the pooling
    kernels); with fuse="auto" a float32 step's convolutions take the replay's own kernels where the CPU
    has AVX-512 (_conv_kernels.py: other sums, float32's rounding)."""
    from backchain.jit import _simd

    ps, x, y = _cnn(dtype)
    step = _sgd(_cnn_loss)
    jstep = bc.jit(step, fuse=fuse)
    own = dtype == np.float32 and fuse == "auto" and _simd.AVX512
    eager = jitted = ps
    for i in range(6):
        xi = x * np.asarray(1 + 0.1 * i, dtype)
        eager, jitted = step(eager, xi, y), jstep(jitted, xi, y)
        for a, b in zip(eager, jitted):
            if own:
                np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
            else:
                _same_bits(a, b)
    names = _rewritten(jstep)
    assert names.count("pool_relu_vjp") == 2 and names.count("relu_pool") == 2
    if own:
        assert names.count("conv2d(kernels)") == 2 and names.count("conv_weight_grad(kernels)") == 2
        assert names.count("conv_input_grad(kernels)") == 1
    else:
        assert names.count("conv_bias+cols") == 2 and names.count("conv_weight_grad(cols)") == 2


def test_pool_vjp_splits_ties_as_eager():
    """Windows of zeros after the ReLU, and windows of equal positive values: the cotangent is split
    among the tied maxima (1/2, 1/3, 1/4 of it), as the NumPy route does."""
    def f(x, w):
        return bnp.sum(F.max_pool2d(F.relu(x * 1.5), 2) * w)

    x = np.array([[1.0, 1.0, -1.0, -2.0, 3.0, 3.0],
                  [1.0, 1.0, -3.0, 0.0, 3.0, 0.5],
                  [2.0, 0.5, 0.0, 0.0, 7.0, 7.0],
                  [0.5, 0.5, 0.0, 0.0, 1.0, 2.0]], np.float32)[None, None]
    x = np.concatenate([x, -x, x[..., ::-1]], axis=1)
    w = np.linspace(0.3, 1.7, 3 * 2 * 3).astype(np.float32).reshape(1, 3, 2, 3)
    g = bc.grad(f)
    jg = bc.jit(g, fuse="auto")
    for s in (1.0, 2.0, -1.0):
        np.testing.assert_array_equal(jg(x * np.float32(s), w), g(x * np.float32(s), w))
    assert "pool_relu_vjp" in _rewritten(jg)
    got = jg(x, w)[0, 0]
    quarter = np.float32(w[0, 0, 0, 0]) * np.float32(0.25) * np.float32(1.5)   # four tied maxima
    assert got[0, 0] == got[0, 1] == got[1, 0] == got[1, 1] == quarter
    third = np.float32(w[0, 0, 0, 2]) * (np.float32(1) / np.float32(3)) * np.float32(1.5)   # three
    assert got[0, 4] == got[0, 5] == got[1, 4] == third
    assert got[1, 5] == 0 and got[2, 2] == 0                        # not maxima; windows of zeros


def test_pool_without_relu_and_with_3x3_windows():
    def f(x, w):
        return bnp.sum(F.max_pool2d(x * 2.0, 3) * w)

    rng = np.random.default_rng(1)
    x = rng.integers(-2, 3, (2, 3, 9, 6)).astype(np.float64)      # small integers: many ties
    w = rng.standard_normal((2, 3, 3, 2))
    g = bc.grad(f)
    jg = bc.jit(g, fuse="auto")
    for k in range(3):
        xk = x + k
        np.testing.assert_array_equal(jg(xk, w), g(xk, w))
    assert "pool_vjp" in _rewritten(jg)


def test_relu_pool_forward_matches_numpy_with_zeros_nan_and_ties():
    from backchain.jit import _kernels as K
    from backchain._rules import activations, pool

    rng = np.random.default_rng(6)
    x = rng.integers(-2, 3, (3, 2, 6, 8)).astype(np.float32)
    x[0, 0, 0, :4] = [-0.0, 0.0, -0.0, -0.0]
    x[1, 1, 2, 3] = np.nan
    h, y = np.empty_like(x), np.empty((3, 2, 3, 4), np.float32)
    K.relu_pool2(x, np.float32(0), h, y)
    want_h = activations._relu_impl(x)
    _same_bits(h, want_h)
    _same_bits(y, pool._tiled_max_impl(want_h, (2, 2), "split"))
    jf = bc.jit(lambda x: F.max_pool2d(F.relu(x * 1.0), 2) * 2.0, fuse="auto")
    jf(x)
    _same_bits(jf(x), F.max_pool2d(F.relu(x * 1.0), 2) * 2.0)
    assert "relu_pool" in _rewritten(jf)


def test_nan_in_a_pool_window_takes_the_numpy_route():
    def f(x):
        return bnp.sum(F.max_pool2d(F.relu(x), 2) * 3.0)

    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4) - 10
    g = bc.grad(f)
    jg = bc.jit(g, fuse="auto")
    jg(x)
    bad = x.copy()
    bad[0, 1, 2, 3] = np.nan
    np.testing.assert_array_equal(jg(bad), g(bad))                 # NaN compares equal here
    np.testing.assert_array_equal(jg(x), g(x))


def test_relu_at_zero_policy_is_read_on_every_replay():
    def f(ps, x, y):
        return _mlp_loss(ps, x, y)

    ps, x, y = _mlp(np.float64)
    x = np.round(x)                                                 # exact zeros before the ReLU
    ps[0] = np.round(ps[0] * 4)
    ps[1] = np.zeros_like(ps[1])
    g = bc.grad(f)
    jg = bc.jit(g, fuse="auto")
    for a, b in zip(jg(ps, x, y), g(ps, x, y)):
        np.testing.assert_array_equal(a, b)
    with bc.kinks.policy(relu_at_zero=1.0):
        want = g(ps, x, y)
        got = jg(ps, x, y)
    assert any(not np.array_equal(a, b) for a, b in zip(want, g(ps, x, y)))   # the policy matters here
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_non_contiguous_inputs_take_the_numpy_route():
    def f(a, b):
        return bnp.sum(F.relu(a @ np.eye(4) + b) * bnp.arange(4.0))

    g = bc.grad(f, argnums=(0, 1))
    jg = bc.jit(g, fuse="auto")
    a = np.random.default_rng(2).standard_normal((4, 6)).T.copy()
    b = np.linspace(-1, 1, 4)
    for got, want in zip(jg(a, b), g(a, b)):
        np.testing.assert_array_equal(got, want)
    assert "bias_relu" in _rewritten(jg)
    at = np.asfortranarray(a)
    for got, want in zip(jg(at, b), g(at, b)):
        np.testing.assert_array_equal(got, want)


def test_the_replay_without_buffers_keeps_the_calls():
    """A replay started while the buffered one runs takes the program as traced: same values."""
    ps, x, y = _cnn(np.float64)
    jg = bc.jit(bc.grad(_cnn_loss), fuse="auto")
    want = jg(ps, x, y)
    (paths,) = jg._cache.values()
    compiled = paths[0].compiled
    assert compiled.rewritten is not compiled.program
    with compiled.lock:                       # as while another thread runs the buffered replay
        plain = jg(ps, x, y)
    assert compiled._plain is not None
    eager = bc.grad(_cnn_loss)(ps, x, y)
    for a, b, c in zip(want, plain, eager):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, c)


def test_no_rewrite_without_fusion():
    ps, x, y = _cnn(np.float32)
    jg = bc.jit(bc.grad(_cnn_loss), fuse=None)
    jg(ps, x, y)
    (paths,) = jg._cache.values()
    assert paths[0].compiled.rewritten is paths[0].compiled.program


def test_program_outputs_are_never_pattern_buffers():
    """A value the function returns is not written by a later replay."""
    def f(a, b):
        z = a @ np.eye(3) + b
        return F.relu(z), z

    jf = bc.jit(f, fuse="auto")
    a, b = np.ones((2, 3)), np.arange(3.0)
    h1, z1 = jf(a, b)
    h2, z2 = jf(-a, b)
    np.testing.assert_array_equal(h1, np.maximum(a + b, 0))
    np.testing.assert_array_equal(z1, a + b)
    np.testing.assert_array_equal(z2, -a + b)


def test_cnn_gradient_matches_jax_and_finite_differences():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    ps, x, y = _cnn(np.float64, seed=3, batch=2)
    got = bc.jit(bc.grad(_cnn_loss), fuse="auto")(ps, x, y)
    got = bc.jit(bc.grad(_cnn_loss), fuse="auto")(ps, x, y)

    def jloss(ps, x, y):
        w1, b1, w2, b2, w3, b3 = ps

        def block(h, w, b):
            h = jax.lax.conv_general_dilated(h, w, (1, 1), "VALID") + b[None, :, None, None]
            h = jnp.maximum(h, 0)
            return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

        h = block(block(x, w1, b1), w2, b2).reshape(x.shape[0], -1)
        z = h @ w3.T + b3
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(len(y)), y])

    want = jax.grad(jloss)([jnp.asarray(p) for p in ps], jnp.asarray(x), jnp.asarray(y))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-10, atol=1e-12)
    # central differences along a random direction, in float64
    rng = np.random.default_rng(4)
    v = [rng.standard_normal(p.shape) for p in ps]
    eps = 1e-6
    plus = _cnn_loss([p + eps * d for p, d in zip(ps, v)], x, y)
    minus = _cnn_loss([p - eps * d for p, d in zip(ps, v)], x, y)
    num = (float(plus) - float(minus)) / (2 * eps)
    assert abs(sum(float(np.sum(a * d)) for a, d in zip(got, v)) - num) < 1e-6 * max(1, abs(num))


def test_kernels_against_numpy():
    from backchain.jit import _kernels as K

    rng = np.random.default_rng(5)
    a = rng.standard_normal((7, 5)).astype(np.float32)
    a[0, :3] = [0.0, -0.0, np.nan]
    b = rng.standard_normal(5).astype(np.float32)
    z, h = np.empty_like(a), np.empty_like(a)
    K.bias_relu(a, b, np.float32(0), z, h)
    np.testing.assert_array_equal(z, a + b)
    want = np.maximum(a + b, np.zeros_like(a))
    np.testing.assert_array_equal(h, want)
    assert not np.signbit(h[~np.isnan(h)]).any()
    g = rng.standard_normal(35).astype(np.float32)
    out = np.empty_like(g)
    K.relu_vjp(g, (a + b).reshape(-1), np.float32(0), np.float32(1), out)
    np.testing.assert_array_equal(out, g * ((a + b).reshape(-1) > 0))


def test_rewrite_leaves_a_program_without_patterns_alone():
    prog = bc.jit(lambda x: bnp.sin(x) * 2, fuse="auto").lower(np.ones(3))
    assert _patterns.rewrite(prog) is prog


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 2), (2, 0, 1, 2)])
def test_convolution_gradients_with_strides_padding_dilation_groups(stride, padding, dilation, groups):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 11, 10))
    w = rng.standard_normal((6, 4 // groups, 3, 3))
    b = rng.standard_normal(6)

    def f(x, w, b):
        y = F.conv2d(x * 1.0, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
        return bnp.sum(bnp.tanh(y) * 0.5)

    g = bc.grad(f, argnums=(0, 1, 2))
    jg = bc.jit(g, fuse="auto")
    for k in range(3):
        xk = x + 0.1 * k
        for a, e in zip(jg(xk, w, b), g(xk, w, b)):
            _same_bits(a, e)
    names = _rewritten(jg)
    assert "conv_input_grad(col2im)" in names and "conv_weight_grad(cols)" in names


class _Manual:
    """A training step written as the benchmarks' eager cases: ``p.data -= lr * p.grad``."""

    def __init__(self, dtype, guard=False):
        ps, self.x, self.y = _mlp(dtype, seed=8)
        self.params = [bc.tensor(p, requires_grad=True) for p in ps]
        self.guard = guard

    def step(self):
        loss = _mlp_loss(self.params, self.x, self.y)
        loss.backward()
        for p in self.params:
            p.data -= 0.05 * p.grad
            p.grad = None
        if self.guard == "loss" and float(loss) > 1e9:  # read after the updates: a guard of the program
            return 0.0
        if self.guard == "param" and float(self.params[0].data.sum()) > 1e9:  # reads an updated value
            return 0.0
        return loss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_update_writes_parameters_in_place_as_eager(dtype):
    eager, jitted = _Manual(dtype), _Manual(dtype)
    step = bc.jit(jitted.step, fuse="auto")
    arrays = None
    for i in range(5):
        eager.step()
        step()
        for a, b in zip(eager.params, jitted.params):
            _same_bits(a.data, b.data)
        if i == 1:
            arrays = [p._data for p in jitted.params]
    assert all(p._data is a for p, a in zip(jitted.params, arrays))   # the same arrays, updated in place
    assert _rewritten(step).count("sgd_update") == 6


@pytest.mark.parametrize("guard", ["loss", "param"])
def test_no_in_place_update_before_a_guard(guard):
    """A guard on the loss runs before the updates (the program moves it to where the loss is made),
    so they can be written in place; one on an updated parameter runs after that update, which is
    then not written in place (a failed guard traces the step again)."""
    eager, jitted = _Manual(np.float64, guard=guard), _Manual(np.float64, guard=guard)
    step = bc.jit(jitted.step, fuse="auto")
    for _ in range(4):
        eager.step()
        step()
        for a, b in zip(eager.params, jitted.params):
            _same_bits(a.data, b.data)
    assert step.traces == 4  # float(...) of a changing value: every step retraced
    # the guard on params[0] runs right after its update: the five later updates are written in place
    assert _rewritten(step).count("sgd_update") == (6 if guard == "loss" else 5)


def test_convolutions_without_bias_and_two_of_one_input():
    """Two convolutions of the same input (one without bias) and their weight gradients: each pair
    shares columns (those of one input, kernel size and stride are the same array)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 9, 9))
    w1, w2, w3 = (rng.standard_normal((4, 3, 3, 3)) for _ in range(3))
    b = rng.standard_normal(4)

    def f(x, w1, w2, w3, b):
        y = F.conv2d(x * 1.0, w1) * F.conv2d(x * 1.0, w2, b) + F.conv2d(x * 1.0, w3, stride=2).sum()
        return bnp.sum(bnp.sin(y))

    g = bc.grad(f, argnums=(0, 1, 2, 3, 4))
    jg = bc.jit(g, fuse="auto")
    for k in range(3):
        for a, e in zip(jg(x + k, w1, w2, w3, b), g(x + k, w1, w2, w3, b)):
            _same_bits(a, e)
    names = _rewritten(jg)
    assert "conv+cols" in names and names.count("conv_weight_grad(cols)") >= 2
