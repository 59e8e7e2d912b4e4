"""Every row of the rule table under ``vmap``: ``vmap(f)(X)`` against stacking ``f(x_i)``, with every
argument batched and with only the first, then the derivatives of the batch (``vmap(grad)``,
``vmap(jvp)`` and, to order two, ``vmap(jvp(grad))``) against the stacked derivatives of the
examples. A coverage test fails when a registered primitive has neither a batching rule nor an
explicit fallback mark (``batch=LOOP``)."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._core.primitive import ELEMENTWISE, LOOP, REGISTRY
from backchain.transforms import tree_flatten
from backchain._vmap.batched import BatchingWarning
from tests.specs import all_specs, sample

SPECS = all_specs()
# Public functions (composites, not rows of the table) that read their argument's values as a plain
# array; inside vmap that is allowed only where every example agrees, so with differing examples
# they raise vmap's TypeError. A function listed here must still raise it (test_not_batched_raise),
# and leaves the list when it is made batchable. Every spec batches today.
NOT_BATCHED = {}

CASES = [(s, s.shapes[0]) for s in SPECS]
B = 3


def _id(case):
    s, shapes = case
    return f"{s.name()}-{'x'.join(str(list(sh)) for sh in shapes)}"


def _batch(spec, shapes, seed):
    rng = np.random.default_rng(seed)
    examples = [sample(spec, shapes, rng) for _ in range(B)]
    return examples, [np.stack([e[k] for e in examples]) for k in range(len(shapes))]


def _leaves(out):
    return [np.asarray(v.data if isinstance(v, bc.Tensor) else v) for v in tree_flatten(out)[0]]


def _close(got, want, rtol=1e-9, atol=1e-11):
    got, want = _leaves(got), [np.stack(ws) for ws in zip(*[_leaves(w) for w in want])]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def _scalar(fn):
    """A real scalar of ``fn``'s outputs, smooth, that every output element reaches."""
    def s(*args):
        total = 0.0
        for leaf in tree_flatten(fn(*args))[0]:
            if np.result_type(leaf).kind not in "fc":
                continue
            total = total + bnp.sum(bnp.sin(bnp.real(leaf)))
        return total
    return s


def _diff(spec, nargs):
    return tuple(spec.argnums) if spec.argnums is not None else tuple(range(nargs))


def _run(spec, check):
    """``check()``; a function in NOT_BATCHED may instead raise the TypeError that names vmap (with
    differing examples it must, where its values are read: ``test_not_batched_raise``)."""
    if spec.name() in NOT_BATCHED:
        try:
            check()
        except TypeError as e:
            assert "vmap: a batched value" in str(e), e
    else:
        check()


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchingWarning)
        yield


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_values(case):
    spec, shapes = case
    examples, X = _batch(spec, shapes, 0)
    _run(spec, lambda: _close(bc.vmap(spec.fn)(*X), [spec.fn(*e) for e in examples]))
    if len(shapes) > 1:  # only the first argument batched
        rest = examples[0][1:]
        _run(spec, lambda: _close(bc.vmap(spec.fn, in_axes=(0,) + (None,) * (len(shapes) - 1))(X[0], *rest),
                                  [spec.fn(e[0], *rest) for e in examples]))


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_reverse(case):
    spec, shapes = case
    examples, X = _batch(spec, shapes, 1)
    nums = _diff(spec, len(shapes))
    g = bc.grad(_scalar(spec.fn), argnums=nums)
    _run(spec, lambda: _close(bc.vmap(g)(*X), [g(*e) for e in examples], rtol=1e-8, atol=1e-10))


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_forward(case):
    spec, shapes = case
    examples, X = _batch(spec, shapes, 2)
    nums = _diff(spec, len(shapes))
    rng = np.random.default_rng(3)
    T = [rng.normal(size=X[i].shape) for i in nums]

    def push(args, tangents):
        def f(*d):
            full = list(args)
            for i, v in zip(nums, d):
                full[i] = v
            return spec.fn(*full)
        return bc.jvp(f, tuple(args[i] for i in nums), tuple(tangents))[1]

    _run(spec, lambda: _close(bc.vmap(lambda *a: push(a[:len(shapes)], a[len(shapes):]))(*X, *T),
                              [push(e, [t[k] for t in T]) for k, e in enumerate(examples)], rtol=1e-8, atol=1e-10))


@pytest.mark.parametrize("case", [c for c in CASES if c[0].order >= 2], ids=_id)
def test_second_order(case):
    spec, shapes = case
    examples, X = _batch(spec, shapes, 4)
    i = _diff(spec, len(shapes))[0]
    T = np.random.default_rng(5).normal(size=X[i].shape)

    def hvp(args, t):
        def gi(xi):
            full = list(args)
            full[i] = xi
            return bc.grad(_scalar(spec.fn), argnums=i)(*full)
        return bc.jvp(gi, (args[i],), (t,))[1]

    _run(spec, lambda: _close(bc.vmap(lambda t, *a: hvp(a, t))(T, *X),
                              [hvp(e, T[k]) for k, e in enumerate(examples)], rtol=1e-7, atol=1e-9))


def test_not_batched_raise():
    for spec, shapes in [c for c in CASES if c[0].name() in NOT_BATCHED]:
        _, X = _batch(spec, shapes, 0)
        with pytest.raises(TypeError, match="vmap: a batched value"):
            bc.vmap(spec.fn)(*X)
    # a function that reads its values as plain numbers still raises where examples differ
    with pytest.raises(TypeError, match="vmap: a batched value"):
        bc.vmap(lambda x: x * 2 if float(bnp.sum(x)) > 0 else x)(np.array([[1.0], [-1.0]]))
    assert NOT_BATCHED.keys() <= {s.name() for s in SPECS}, "NOT_BATCHED names a spec that does not exist"


def test_every_primitive_has_a_batching_rule_or_a_loop_mark():
    import backchain.scipy  # noqa: F401  (registers its rows)
    import backchain.nn  # noqa: F401

    missing = sorted(name for name, prim in REGISTRY.items() if prim.batch is None)
    assert not missing, f"primitives without batch= (a rule, ELEMENTWISE or LOOP): {missing}"


def test_rule_kinds_are_known():
    for name, prim in REGISTRY.items():
        assert prim.batch in (ELEMENTWISE, LOOP) or callable(prim.batch), name
