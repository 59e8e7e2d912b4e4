"""``bc.vmap``: semantics (in_axes, out_axes, containers, nesting, errors) against looping over the
examples and against ``jax.vmap``, and its composition with the derivative transforms."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))
W = RNG.normal(size=(3, 5))


def stacked(f, *args, in_axes=0):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]) for i in range(n)]
    return np.stack([np.asarray(o) for o in outs])


# -- semantics ----------------------------------------------------------------------------------

def test_elementwise_and_reduction_match_a_loop():
    f = lambda x: bnp.sum(bnp.tanh(x) * bnp.exp(-x)) / bnp.max(x)  # noqa: E731
    np.testing.assert_allclose(bc.vmap(f)(X), stacked(f, X), rtol=1e-13)


def test_in_axes_none_broadcasts_an_argument():
    f = lambda x, w: bnp.tanh(x @ w)  # noqa: E731
    out = bc.vmap(f, in_axes=(0, None))(X, W)
    np.testing.assert_allclose(out, stacked(f, X, W, in_axes=(0, None)), rtol=1e-13)
    ref = jax.vmap(lambda x, w: jnp.tanh(x @ w), in_axes=(0, None))(X, W)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-12)


def test_negative_in_axes_and_out_axes_as_jax():
    f = lambda x: x * bnp.sum(x)  # noqa: E731
    out = bc.vmap(f, in_axes=-1, out_axes=1)(X)
    ref = jax.vmap(lambda x: x * jnp.sum(x), in_axes=-1, out_axes=1)(X)
    assert out.shape == ref.shape == (4, 3)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-13)


def test_out_axes_none_for_an_unbatched_result():
    value, same = bc.vmap(lambda x: (x * 2, bnp.ones(2)), out_axes=(0, None))(X)
    np.testing.assert_allclose(value, X * 2)
    np.testing.assert_array_equal(same, np.ones(2))


def test_unbatched_outputs_are_broadcast_along_the_batch():
    out = bc.vmap(lambda x: 3.0)(X)
    np.testing.assert_array_equal(out, np.full(4, 3.0))


def test_containers_in_and_out():
    params = {"w": W, "b": np.arange(5.0)}

    def f(p, xs):
        return {"y": bnp.tanh(xs[0] @ p["w"] + p["b"]), "s": [bnp.sum(xs[1])]}

    out = bc.vmap(f, in_axes=({"w": None, "b": None}, [0, 1]))(params, [X, X.T])
    ref = jax.vmap(lambda p, xs: {"y": jnp.tanh(xs[0] @ p["w"] + p["b"]), "s": [jnp.sum(xs[1])]},
                   in_axes=({"w": None, "b": None}, [0, 1]))(params, [X, X.T])
    np.testing.assert_allclose(out["y"], np.asarray(ref["y"]), rtol=1e-12)
    np.testing.assert_allclose(out["s"][0], np.asarray(ref["s"][0]), rtol=1e-12)


def test_nested_vmap_is_a_double_loop():
    A = RNG.normal(size=(2, 4, 3))
    B = RNG.normal(size=(5, 3))
    f = lambda a, b: bnp.dot(a, b) * bnp.sum(a)  # noqa: E731
    out = bc.vmap(bc.vmap(f, in_axes=(None, 0)), in_axes=(0, None))(A[:, 0], B)
    ref = np.array([[f(a, b) for b in B] for a in A[:, 0]])
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    out3 = bc.vmap(bc.vmap(lambda x: bnp.sum(x ** 2)))(A)
    np.testing.assert_allclose(out3, (A ** 2).sum(-1), rtol=1e-13)


def test_nested_vmap_over_the_same_argument_axes():
    A = RNG.normal(size=(2, 3, 4))
    out = bc.vmap(bc.vmap(lambda x: x / bnp.sum(x), in_axes=1), in_axes=2)(A)
    ref = jax.vmap(jax.vmap(lambda x: x / jnp.sum(x), in_axes=1), in_axes=2)(A)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-13)


def test_axis_size_with_no_mapped_argument():
    out = bc.vmap(lambda w: w * 2, in_axes=None, axis_size=3)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, np.array([[2.0, 4.0]] * 3))


def test_keyword_arguments_are_mapped_over_axis_0():
    out = bc.vmap(lambda x, scale=1.0: x * scale)(X, scale=np.arange(4.0))
    np.testing.assert_allclose(out, X * np.arange(4.0)[:, None])


def test_tensor_arguments_keep_the_graph():
    x = bc.tensor(X, requires_grad=True)
    y = bc.vmap(lambda v: bnp.sum(bnp.sin(v)))(x)
    bnp.sum(y).backward()
    np.testing.assert_allclose(x.grad, np.cos(X), rtol=1e-13)


# -- errors -------------------------------------------------------------------------------------

def test_mismatched_batch_sizes_name_the_arguments():
    def f(x, y):
        return x + y

    with pytest.raises(ValueError, match=r"different sizes \(size 4: argument 0 \(x\).*size 3: argument 1 \(y\)"):
        bc.vmap(f)(X, np.ones((3, 3)))


def test_in_axes_out_of_range_names_the_argument_and_shape():
    with pytest.raises(ValueError, match=r"axis 2 for argument 0 \(x\), of shape \(4, 3\)"):
        bc.vmap(lambda x: x, in_axes=2)(X)


def test_scalar_cannot_be_mapped():
    with pytest.raises(ValueError, match="scalar cannot be mapped"):
        bc.vmap(lambda x, s: x * s)(X, 2.0)


def test_in_axes_length_must_match_the_arguments():
    with pytest.raises(ValueError, match="in_axes has 1 entries but the function was called with 2"):
        bc.vmap(lambda x, y: x, in_axes=(0,))(X, X)


def test_no_mapped_argument_needs_axis_size():
    with pytest.raises(ValueError, match="axis_size"):
        bc.vmap(lambda x: x, in_axes=None)(X)


def test_out_axes_none_for_a_batched_result_raises():
    with pytest.raises(ValueError, match="out_axes is None"):
        bc.vmap(lambda x: x, out_axes=None)(X)


def test_python_control_flow_on_a_batched_value_raises():
    with pytest.raises(TypeError, match="cannot become a plain NumPy array or Python number inside vmap"):
        bc.vmap(lambda x: x if bnp.sum(x) > 0 else -x)(X)


def test_bad_in_axes_type():
    with pytest.raises(TypeError, match="in_axes must be an int, None"):
        bc.vmap(lambda x: x, in_axes="0")


def test_no_hook_left_behind():
    from backchain._core import primitive

    with pytest.raises(ValueError):
        bc.vmap(lambda x, y: x + y)(X, np.ones((2, 3)))
    bc.vmap(lambda x: x)(X)
    assert primitive._batch_hook is None


# -- non-differentiable functions on batched values ---------------------------------------------

def test_comparisons_where_argmax_and_constants():
    def f(x):
        m = x > 0
        return bnp.where(m, x, bnp.zeros_like(x)) + bnp.argmax(x) + bnp.isnan(x)

    np.testing.assert_allclose(bc.vmap(f)(X), stacked(f, X))


# -- the fallback loop --------------------------------------------------------------------------

def test_row_without_rule_loops_and_warns_once():
    from backchain._vmap import batched

    batched._WARNED.discard("dct")
    A = RNG.normal(size=(3, 8))
    from backchain._rules.dct import dct

    with pytest.warns(batched.BatchingWarning, match="'dct' has no batching rule"):
        out = bc.vmap(lambda a: dct(a))(A)
    np.testing.assert_allclose(out, stacked(lambda a: dct(a), A), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bc.vmap(lambda a: dct(a))(A)  # once only
