"""``bc.jit(..., donate_argnums=...)``: outputs written into the arrays the caller gave up, never
into an array that is still read, shared with another argument, read-only, strided or a Tensor."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def _loss(ps, x):
    return bnp.sum(bnp.tanh(x @ ps[0] + ps[1]) ** 2)


def _update(ps, x):
    g = bc.grad(_loss)(ps, x)
    return [p - 0.1 * gp for p, gp in zip(ps, g)]


def _params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)], \
        rng.standard_normal((5, 4)).astype(dtype)


def _source(j):
    (paths,) = j._cache.values()
    return paths[0].compiled.source


@pytest.mark.parametrize("fuse", ["auto", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_donated_parameters_are_updated_in_place_and_equal_eager(fuse, dtype):
    ps, x = _params(dtype)
    ref = [p.copy() for p in ps]
    step = bc.jit(_update, donate_argnums=0, fuse=fuse)
    cur = [p.copy() for p in ps]
    for n in range(4):
        ref = _update(ref, x)
        new = step(cur, x)
        if n:  # replays: the results are the donated arrays themselves
            assert all(a is b for a, b in zip(new, cur))
        for a, b in zip(new, ref):
            assert a.dtype == dtype
            np.testing.assert_array_equal(a, b)
        cur = new
    assert "out=s0" in _source(step) and "out=s1" in _source(step)


def test_without_donation_the_arguments_are_not_written():
    ps, x = _params()
    step = bc.jit(_update)
    keep = [p.copy() for p in ps]
    for _ in range(3):
        new = step(ps, x)
        assert all(a is not b for a, b in zip(new, ps))
    for a, b in zip(ps, keep):
        np.testing.assert_array_equal(a, b)


def test_an_input_read_after_the_output_is_made_is_not_written_early():
    def f(x, y):
        first = x + 1.0          # an output of x's shape, made while x is still read below
        return first, bnp.sum(x * y)

    step = bc.jit(f, donate_argnums=0)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(6), rng.standard_normal(6)
    for _ in range(3):
        want = f(x.copy(), y)
        got = step(x.copy(), y)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_an_input_returned_as_it_is_is_never_written():
    step = bc.jit(lambda x: (x, x * 2.0), donate_argnums=0)
    x = np.arange(4.0)
    for _ in range(3):
        a = x.copy()
        same, double = step(a)
        np.testing.assert_array_equal(same, np.arange(4.0))
        np.testing.assert_array_equal(double, 2 * np.arange(4.0))
        np.testing.assert_array_equal(a, np.arange(4.0))


def test_an_array_given_twice_or_as_a_view_of_another_argument_is_not_written():
    step = bc.jit(lambda x, y: (x * 2.0, y + 1.0), donate_argnums=0)
    x = np.arange(6.0)
    step(x.copy(), x.copy())
    for other in (lambda a: a, lambda a: a[::-1]):
        a = np.arange(6.0)
        doubled, plus = step(a, other(a))
        np.testing.assert_array_equal(doubled, 2 * np.arange(6.0))
        np.testing.assert_array_equal(plus, other(np.arange(6.0)) + 1.0)
        np.testing.assert_array_equal(a, np.arange(6.0))  # not written: y reads it


def test_read_only_and_strided_arrays_are_not_written():
    step = bc.jit(lambda x: bnp.sin(x) * 2.0, donate_argnums=0)
    step(np.ones(4))
    ro = np.arange(4.0)
    ro.flags.writeable = False
    np.testing.assert_array_equal(step(ro), np.sin(np.arange(4.0)) * 2.0)
    big = np.arange(8.0)
    view = big[::2]
    out = step(view)
    np.testing.assert_array_equal(out, np.sin(np.arange(0.0, 8.0, 2.0)) * 2.0)
    np.testing.assert_array_equal(big, np.arange(8.0))


def test_tensors_are_never_written():
    step = bc.jit(lambda t: t * 2.0, donate_argnums=0)
    t = bc.Tensor(np.arange(3.0))
    for _ in range(3):
        out = step(t)
        np.testing.assert_array_equal(t._data, np.arange(3.0))
        np.testing.assert_array_equal(np.asarray(out._data if isinstance(out, bc.Tensor) else out),
                                      2 * np.arange(3.0))


def test_outputs_of_another_shape_or_dtype_take_no_donated_array():
    step = bc.jit(lambda x: (bnp.sum(x, axis=0), x.astype(np.float32) * 2), donate_argnums=0)
    x = np.ones((3, 2))
    for _ in range(2):
        a = x.copy()
        s, d = step(a)
        np.testing.assert_array_equal(a, x)
        np.testing.assert_array_equal(s, [3.0, 3.0])
        assert d.dtype == np.float32
    (paths,) = step._cache.values()
    assert not paths[0].compiled.donated


def test_donate_with_kwargs_and_static_arguments():
    def f(x, scale, y=None):
        return x * scale + y

    step = bc.jit(f, donate_argnums=0, static_argnums=1)
    y = np.ones(3)
    for _ in range(3):
        a = np.arange(3.0)
        out = step(a, 2.0, y=y)
        np.testing.assert_array_equal(out, np.arange(3.0) * 2.0 + 1.0)
    assert out is a


def test_an_array_the_program_holds_as_a_constant_is_not_written():
    w = np.ones(3)
    step = bc.jit(lambda x, y: (x * 2.0, bnp.sum(y * w)), donate_argnums=0)
    y = np.ones(3)
    step(np.ones(3), y)
    for donated in (w, w[:]):  # the closure's array, or a view of it, donated
        doubled, total = step(donated, y)
        assert total == 3.0
        np.testing.assert_array_equal(doubled, [2.0, 2.0, 2.0])
        np.testing.assert_array_equal(w, np.ones(3))
    doubled, total = step(np.ones(3), y)  # another array: written
    assert total == 3.0


def test_a_closure_array_written_in_place_is_read_by_later_replays_as_eagerly():
    w = np.ones(3)
    f = lambda y: bnp.sum(y * w)  # noqa: E731
    step = bc.jit(f)
    y = np.arange(3.0)
    assert step(y) == f(y) == 3.0
    w[:] = 5.0
    assert step(y) == f(y) == 15.0
