"""Transforms over random pytrees (dicts, lists, tuples, nested up to depth 3) against JAX's layouts and values.

Hypothesis draws the containers and the leaves' shapes (0-d included); a few fixed smooth
functions run under grad, value_and_grad, vjp, jvp, jacobian (both modes) and hessian in
backchain and in JAX (float64, ``jax.enable_x64`` around each JAX call, so nothing outside
this module sees x64; each test's JAX side is one ``jax.jit``, compiled once per example:
JAX's eager mode compiles every operation for every new shape, several seconds per example). Both results must have the same pytree structure
(``jax.tree_util.tree_structure``), shapes, dtypes and values to 1e-10. A fixed seed and a few
examples by default; set ``BACKCHAIN_ORACLE_EXAMPLES`` to an integer for more.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backchain as bc
import backchain.numpy as bnp

jax = pytest.importorskip("jax")
jnp = jax.numpy
tree_util = jax.tree_util

EXAMPLES = int(os.environ.get("BACKCHAIN_ORACLE_EXAMPLES", "3"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
SHAPES = [(), (1,), (2,), (3,), (2, 2), (1, 3)]
KEYS = ["a", "b", "c"]


def _skeletons(depth, leaf=True):
    """Containers of shape indices (the leaves), nesting at most ``depth`` deep (a container at the
    top unless ``leaf``). Dicts hold their keys in the order drawn: both libraries take a dict's
    leaves in sorted key order."""
    one = st.sampled_from(range(len(SHAPES))).map(lambda i: ("leaf", i))
    if depth == 0:
        return one
    child = _skeletons(depth - 1)
    return st.one_of(
        *([one] if leaf else []),
        st.lists(child, min_size=1, max_size=3),
        st.lists(child, min_size=1, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(KEYS), child, min_size=1, max_size=3),  # keys in any order
    )


def _fill(skeleton, rng):
    """The skeleton with float64 leaves of its shapes, drawn from ``rng``."""
    if isinstance(skeleton, dict):
        return {k: _fill(v, rng) for k, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [_fill(v, rng) for v in skeleton]
    if isinstance(skeleton, tuple) and skeleton[:1] != ("leaf",):
        return tuple(_fill(v, rng) for v in skeleton)
    return rng.uniform(-1.0, 1.0, size=SHAPES[skeleton[1]])


def _leaves(tree):
    return tree_util.tree_leaves(tree)  # plain containers: the same order as backchain's tree_flatten (sorted keys)


def trees():
    return st.tuples(_skeletons(3, leaf=False), st.integers(0, 2 ** 32 - 1)).map(
        lambda s: _fill(s[0], np.random.default_rng(s[1])))


# -- the functions, written once for both libraries ---------------------------------------------------

def scalar_fn(xp):
    def f(p):
        ls = _leaves(p)
        total = 0.0
        for k, leaf in enumerate(ls):
            total = total + xp.sum(xp.tanh(leaf) * leaf) * (k + 1.0)
        return total + xp.sum(ls[0]) * xp.sum(xp.sin(ls[-1]))  # couples the first and last leaves
    return f


def log_fn(xp):
    def f(p):
        return xp.log(1.0 + sum(xp.sum(leaf ** 2) for leaf in _leaves(p)))
    return f


def tree_fn(xp):
    """A pytree output: a dict holding a list (one entry per leaf) and a tuple."""
    def f(p):
        ls = _leaves(p)
        return {"u": [xp.tanh(leaf) * 2.0 for leaf in ls],
                "v": (sum(xp.sum(leaf ** 3) for leaf in ls), xp.exp(ls[0] * 0.5))}
    return f


def two_arg_fn(xp):
    def f(p, q):
        return xp.sum(xp.cos(_leaves(p)[0])) * scalar_fn(xp)(q) + log_fn(xp)(p)
    return f


# -- comparison ---------------------------------------------------------------------------------------

def oracle(fn, *args):
    """``fn(*args)`` with JAX: compiled as one program, in float64."""
    with jax.enable_x64(True):
        return jax.jit(fn)(*args)


def assert_like_jax(got, expected):
    """Same pytree structure, shapes, dtypes and values (to 1e-10)."""
    assert tree_util.tree_structure(got) == tree_util.tree_structure(expected)
    for a, b in zip(_leaves(got), _leaves(expected)):
        assert not isinstance(a, bc.Tensor)
        b = np.asarray(b)
        assert np.shape(a) == b.shape and np.asarray(a).dtype == b.dtype
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-10)


def _size(tree):
    return sum(np.size(leaf) for leaf in _leaves(tree))


def _like(tree, rng):
    return tree_util.tree_map(lambda leaf: rng.standard_normal(np.shape(leaf)), tree)


@SETTINGS
@given(p=trees())
def test_grad_and_value_and_grad(p):
    expected, (v_expected, g_expected) = oracle(
        lambda p: (jax.grad(scalar_fn(jnp))(p), jax.value_and_grad(log_fn(jnp))(p)), p)
    assert_like_jax(bc.grad(scalar_fn(bnp))(p), expected)
    v, g = bc.value_and_grad(log_fn(bnp))(p)
    assert v == pytest.approx(float(v_expected), rel=1e-12)
    assert_like_jax(g, g_expected)


@SETTINGS
@given(p=trees(), q=trees())
def test_grad_of_two_pytree_arguments(p, q):
    expected = oracle(jax.grad(two_arg_fn(jnp), argnums=(0, 1)), p, q)
    assert_like_jax(bc.grad(two_arg_fn(bnp), argnums=(0, 1))(p, q), expected)


@SETTINGS
@given(p=trees(), seed=st.integers(0, 1000))
def test_vjp_and_jvp(p, seed):
    rng = np.random.default_rng(seed)
    out, vjp_fn = bc.vjp(tree_fn(bnp), p)
    ct = _like(out, rng)
    tangent = _like(p, rng)
    def both(p, ct, tangent):
        out_j, vjp_j = jax.vjp(tree_fn(jnp), p)
        return out_j, vjp_j(ct), jax.jvp(tree_fn(jnp), (p,), (tangent,))
    out_j, expected_ct, expected_jvp = oracle(both, p, ct, tangent)
    assert_like_jax(out, out_j)
    assert_like_jax(vjp_fn(ct), expected_ct)
    assert_like_jax(bc.jvp(tree_fn(bnp), (p,), (tangent,)), expected_jvp)


@SETTINGS
@given(p=trees())
def test_jacobian_both_modes(p):
    if _size(p) > 12:
        p = _leaves(p)[0]  # keep the number of sweeps small
    rev, fwd = oracle(lambda p: (jax.jacrev(tree_fn(jnp))(p), jax.jacfwd(tree_fn(jnp))(p)), p)
    assert_like_jax(bc.jacobian(tree_fn(bnp))(p), rev)
    assert_like_jax(bc.jacobian(tree_fn(bnp), mode="fwd")(p), fwd)


@SETTINGS
@given(p=trees(), q=trees())
def test_hessian(p, q):
    if _size(p) > 8:
        p = _leaves(p)[0]
    if _size(q) > 4:
        q = _leaves(q)[-1]
    expected, expected2 = oracle(
        lambda p, q: (jax.hessian(scalar_fn(jnp))(p), jax.hessian(two_arg_fn(jnp), argnums=(0, 1))(p, q)), p, q)
    assert_like_jax(bc.hessian(scalar_fn(bnp))(p), expected)
    assert_like_jax(bc.hessian(two_arg_fn(bnp), argnums=(0, 1))(p, q), expected2)


def test_fixed_nested_example():
    """One hand-written tree through every transform (the examples above are drawn)."""
    p = {"a": [np.array(0.3), (np.array([0.1, -0.2]), {"b": np.array([[0.5, 0.4], [-0.6, 0.2]])})],
         "c": (np.array([1.0, -1.0, 0.5]),)}
    expected = oracle(lambda p: (jax.grad(scalar_fn(jnp))(p), jax.jacrev(tree_fn(jnp))(p),
                                 jax.hessian(log_fn(jnp))(p)), p)
    got = (bc.grad(scalar_fn(bnp))(p), bc.jacobian(tree_fn(bnp))(p), bc.hessian(log_fn(bnp))(p))
    assert_like_jax(got, expected)
