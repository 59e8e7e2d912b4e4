"""Common subexpressions under bc.jit (``backchain/jit/_cse.py``): a primitive called again on the
same inputs runs once in the replay, and the values stay the eager ones bit for bit; nothing is
merged across an effect, and no two outputs become one array."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F
import backchain.numpy as bnp
from backchain.jit._cse import eliminate


def _programs(jf):
    """(traced program, replayed program) of the one signature ``jf`` has run."""
    (paths,) = jf._cache.values()
    return paths[0].program, paths[0].compiled.program


def _count(program, name):
    return sum(1 for s in program.calls if s.name == name)


@pytest.mark.parametrize("fuse", [None, "exact", "auto"])
def test_layer_norm_gradient_normalises_once_and_equals_eager(fuse):
    """LayerNorm's VJP normalises x for the input's cotangent and again for the weight's: the replay
    runs the second normalisation's calls no more."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 8))
    w, b = 1 + 0.1 * rng.standard_normal(8), 0.1 * rng.standard_normal(8)
    g = rng.standard_normal((4, 6, 8))

    def f(x, w, b):
        return bnp.sum(F.layer_norm(x, (8,), w, b) * g)

    grad = bc.grad(f, argnums=(0, 1, 2))
    jf = bc.jit(grad, fuse=fuse)
    for _ in range(2):
        got, want = jf(x, w, b), grad(x, w, b)
        for a, e in zip(got, want):
            np.testing.assert_array_equal(a, e)
        x = x + 0.5
    traced, replayed = _programs(jf)
    assert _count(traced, "sqrt") == 2 and _count(replayed, "sqrt") == 1
    assert len(replayed.calls) < len(traced.calls) - 8


@pytest.mark.parametrize("write", ["setitem", "inplace"])
def test_nothing_merged_across_a_write_into_a_traced_array(write):
    def f(x):
        y = x * 1.0
        before = bnp.exp(y)
        if write == "setitem":
            y.data[0] = 5.0
        else:
            y.data += 1.0
        after = bnp.exp(y)
        return before, after

    jf = bc.jit(f)
    for x in (np.arange(3.0), np.ones(3)):
        got, want = jf(bc.tensor(x)), f(bc.tensor(x))
        for a, e in zip(got, want):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(e))
        assert not np.array_equal(np.asarray(got[0]), np.asarray(got[1]))
    traced, replayed = _programs(jf)
    assert _count(replayed, "exp") == _count(traced, "exp") == 2


def test_outputs_stay_separate_arrays():
    jf = bc.jit(lambda x: (bnp.exp(x), bnp.exp(x), bnp.exp(x) + 1.0))
    for _ in range(2):
        a, b, c = jf(np.arange(3.0))
        assert a is not b and not np.shares_memory(a, b)
        a[0] = -1.0
        np.testing.assert_array_equal(b, np.exp(np.arange(3.0)))
        np.testing.assert_array_equal(c, np.exp(np.arange(3.0)) + 1.0)


def test_signed_zeros_types_and_constant_arrays_are_told_apart():
    c1, c2 = np.array([1.0, 2.0]), np.array([1.0, 2.0])

    def f(x):
        return (x * 0.0, x * -0.0, x * 2, x * 2.0, x * np.float32(2), x + c1, x + c2,
                bnp.sum(x * 0.0), bnp.sum(x * -0.0))

    jf = bc.jit(f)
    x = np.array([-1.0, 3.0])
    for _ in range(2):
        got, want = jf(x), f(x)
        for a, e in zip(got, want):
            np.testing.assert_array_equal(a, e)
            assert np.array_equal(np.signbit(a), np.signbit(e)) and np.asarray(a).dtype == np.asarray(e).dtype


def test_random_draws_are_never_merged():
    def g(x):
        return F.dropout(x, 0.5, training=True), F.dropout(x, 0.5, training=True)

    jf = bc.jit(g)
    x = np.ones(200)
    a, b = jf(x)
    assert not np.array_equal(a, b)
    a2, b2 = jf(x)
    assert not np.array_equal(a, a2) and not np.array_equal(a2, b2)


def test_merged_values_in_containers_guards_and_later_calls():
    def f(x):
        s1 = bnp.sum(bnp.exp(x))
        s2 = bnp.sum(bnp.exp(x))
        if s2 > 5.0:       # a guard reading a merged value
            y = bnp.concatenate([bnp.exp(x), x])
        else:
            y = bnp.concatenate([x, bnp.exp(x)])
        return bnp.stack([bnp.exp(x), bnp.exp(x)]).sum() + y.sum() * s1

    jf = bc.jit(f)
    for x in (np.zeros(3), np.ones(3), np.zeros(3), np.full(3, 0.1)):
        assert jf(x) == f(x)
    traced, replayed = _programs(jf)
    assert _count(replayed, "exp") == 1 < _count(traced, "exp")


def test_a_program_without_repeats_is_returned_as_is():
    prog = bc.jit(lambda x: bnp.sin(x) * 2).lower(np.ones(3))
    assert eliminate(prog) is prog
