"""Every row of the rule table under ``bc.jit``: the traced call and a replay on new inputs give
exactly the values of the eager calls on traced Tensors, forward and gradient (a replay runs the same
NumPy functions on the same arrays, so the values are the same bit for bit), and the eager values on
plain arrays (which may take other NumPy routes, such as ``np.dot`` for ``dot``) to rounding."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.transforms import tree_flatten
from tests.specs import all_specs, sample

SPECS = all_specs()
CASES = [(s, s.shapes[-1]) for s in SPECS]


def _id(case):
    s, shapes = case
    return f"{s.name()}-{'x'.join(str(list(sh)) for sh in shapes)}"


def _leaves(x):
    leaves, _ = tree_flatten(x)
    return [np.asarray(v.data if isinstance(v, bc.Tensor) else v) for v in leaves]


def _same(got, want, exact=True):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        if exact:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-13)


def _traced(fn, args):
    """``fn`` evaluated eagerly on Tensors that require grad: the route that tracing records."""
    with bc.enable_grad():
        return fn(*[bc.tensor(a, requires_grad=a.dtype.kind in "fc") for a in args])


def _loss(fn):
    def loss(*args):
        total = 0.0
        for k, leaf in enumerate(tree_flatten(fn(*args))[0]):
            if isinstance(leaf, bc.Tensor) or np.result_type(leaf).kind == "f":
                total = total + bnp.sum(bnp.sin(bnp.real(leaf) * (k + 1.0)))
        return total
    return loss


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_forward_replay(case):
    spec, shapes = case
    first = sample(spec, shapes, np.random.default_rng(0))
    second = sample(spec, shapes, np.random.default_rng(1))
    f = bc.jit(spec.fn, fuse=None)  # unfused: the replay runs the traced NumPy calls (test_jit_fuse.py fuses)
    _same(f(*first), _traced(spec.fn, first))     # the traced call
    _same(f(*second), _traced(spec.fn, second))   # a replay on new values
    _same(f(*first), spec.fn(*first), exact=False)
    _same(f(*second), spec.fn(*second), exact=False)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_gradient_replay(case):
    spec, shapes = case
    argnums = spec.argnums if spec.argnums is not None else tuple(range(len(shapes)))
    first = sample(spec, shapes, np.random.default_rng(2))
    second = sample(spec, shapes, np.random.default_rng(3))
    g = bc.grad(_loss(spec.fn), argnums=argnums)
    f = bc.jit(g, fuse=None)
    traced = f(*first)
    _same(traced, g(*first), exact=False)   # the traced backward: its rules on Tensors where they allow it
    _same(f(*second), g(*second), exact=False)
    _same(f(*first), traced)                # a replay is the traced computation, bit for bit
