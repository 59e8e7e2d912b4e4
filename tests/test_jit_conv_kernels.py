"""The replay's own float32 convolutions (backchain/jit/_conv_kernels.py): forward, weight and input
gradients against the rule's functions and PyTorch, every shape the kernels take (ragged tiles,
1 x 1, a kernel as large as the input, one sample), the same bits on one thread and on two, the
rule's functions for what they do not take, and fuse="exact" keeping the rule's bits (the LSTM's
too)."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F

numba = pytest.importorskip("numba")
from backchain._rules import conv as C  # noqa: E402
from backchain.jit import _conv_kernels as K, _simd  # noqa: E402
from tests.test_jit_gemm import _on_threads  # noqa: E402

pytestmark = pytest.mark.skipif(not _simd._avx512(), reason="the replay's own kernels run where the CPU has AVX-512")
P = dict(stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
SHAPES = [(64, 1, 28, 28, 8, 5, 5), (64, 8, 12, 12, 16, 5, 5), (3, 2, 7, 9, 5, 3, 2), (1, 1, 1, 1, 1, 1, 1),
          (17, 3, 10, 6, 20, 4, 6), (5, 4, 6, 6, 3, 6, 6), (2, 3, 9, 9, 33, 1, 1)]


def _case(shape, seed=0):
    n, c, h, w, o, kh, kw = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    gy = rng.standard_normal((n, o, h - kh + 1, w - kw + 1)).astype(np.float32)
    return x, wt, b, gy


def _close(got, want):
    assert got.dtype == np.float32 and got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * scale)


@pytest.mark.parametrize("shape", SHAPES)
def test_against_the_rules_functions(shape):
    x, w, b, gy = _case(shape)
    _close(K.forward(x, w, b), C._conv_bias_impl(x, w, b, **P))
    _close(K.forward(x, w), C._conv_impl(x, w, **P))
    _close(K.weight_grad(x, gy, w.shape), C._conv_weight_grad_impl(x, gy, wshape=w.shape, **P))
    _close(K.input_grad(gy, w, x.shape), C._conv_input_grad_impl(gy, w, xshape=x.shape, **P))


def test_against_torch():
    torch = pytest.importorskip("torch")
    x, w, b, gy = _case((6, 3, 11, 13, 10, 3, 4), seed=3)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb)
    ty.backward(torch.tensor(gy))
    _close(K.forward(x, w, b), ty.detach().numpy())
    _close(K.weight_grad(x, gy, w.shape), tw.grad.numpy())
    _close(K.input_grad(gy, w, x.shape), tx.grad.numpy())


@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1], (37, 2, 9, 9, 5, 3, 3)])
def test_the_same_bits_on_one_thread_and_on_two(shape):
    x, w, b, gy = _case(shape, seed=1)
    calls = [lambda: K.forward(x, w, b), lambda: K.weight_grad(x, gy, w.shape), lambda: K.input_grad(gy, w, x.shape)]
    for f in calls:
        np.testing.assert_array_equal(_on_threads(1, f), _on_threads(2, f))


def test_what_the_kernels_take():
    assert K.takes((2, 3, 8, 8), (4, 3, 3, 3), P, np.float32)
    for key, value in (("stride", (2, 2)), ("dilation", (1, 2)), ("padding", ((1, 1), (0, 0))), ("groups", 3)):
        assert not K.takes((2, 3, 8, 8), (3, 1 if key == "groups" else 3, 3, 3), {**P, key: value}, np.float32)
    assert not K.takes((2, 3, 8, 8), (4, 3, 3, 3), P, np.float64)
    assert not K.takes((2, 3, 2, 8), (4, 3, 3, 3), P, np.float32)     # a kernel taller than the input
    assert not K.takes((2, 3, 8), (4, 3, 3), P, np.float32)           # 1-D


def _lenet_step(model, opt, x, y):
    def step():
        loss = F.cross_entropy(model(bc.tensor(x)), bc.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach()
    return step


@pytest.mark.parametrize("fuse", ["auto", "exact"])
def test_a_training_step_against_eager(fuse):
    """A CNN step under bc.jit: with fuse="auto" its convolutions take the kernels (float32's rounding
    from the eager step), with "exact" the rule's (the eager bits)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 1, 20, 20)).astype(np.float32)
    y = rng.integers(0, 10, 16)

    def make():
        bc.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 12, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12 * 3 * 3, 10))
        return model, bc.optim.SGD(model.parameters(), lr=0.05)

    (me, oe), (mj, oj) = make(), make()
    eager, jitted = _lenet_step(me, oe, x, y), bc.jit(_lenet_step(mj, oj, x, y), fuse=fuse)
    for _ in range(5):
        le, lj = float(eager()), float(jitted())
        for a, b in zip(me.parameters(), mj.parameters()):
            if fuse == "exact":
                np.testing.assert_array_equal(b.data, a.data)
            else:
                np.testing.assert_allclose(b.data, a.data, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(lj, le, rtol=1e-5)
    (paths,) = jitted._cache.values()
    names = [getattr(s, "name", "") for s in paths[0].compiled.rewritten.steps]
    kernels = [n for n in names if n.endswith("(kernels)") and "conv" in n]
    assert len(kernels) == (5 if fuse == "auto" else 0), names   # two forward, two weight, one input gradient


def test_padded_or_strided_convolutions_keep_the_rules_functions():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 2, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)

    def f(x, w):
        return bc.numpy.sum(F.conv2d(x, w, padding=1) ** 2) + bc.numpy.sum(F.conv2d(x, w, stride=2))

    g = bc.grad(f, argnums=(0, 1))
    jf = bc.jit(g)
    for a, e in zip(jf(x, w), g(x, w)):
        np.testing.assert_array_equal(a, e)
    (paths,) = jf._cache.values()
    assert not any(getattr(s, "name", "").endswith("(kernels)") for s in paths[0].compiled.rewritten.steps)


def test_fuse_exact_keeps_the_lstm_rule_bit_for_bit():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((7, 16, 5)).astype(np.float32)

    def make():
        bc.manual_seed(2)
        return nn.LSTM(5, 8)

    le, lj = make(), make()
    fe = lambda: _lstm_grads(le, x)   # noqa: E731
    fj = bc.jit(lambda: _lstm_grads(lj, x), fuse="exact")
    for _ in range(3):
        for a, b in zip(fe(), fj()):
            np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
    (paths,) = fj._cache.values()
    assert not any("(kernels)" in getattr(s, "name", "") for s in paths[0].compiled.rewritten.steps)


def _lstm_grads(m, x):
    out, _ = m(bc.tensor(x))
    loss = bc.numpy.sum(out ** 2)
    for p in m.parameters():
        p.grad = None
    loss.backward()
    return [p.grad for p in m.parameters()]
