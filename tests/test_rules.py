"""Every row of the rule table, checked against finite differences in float64:
VJP and JVP by random projection, their adjointness, cotangent shapes, second
order, complex inputs where declared, and broadcasting drawn by Hypothesis."""
import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import backchain  # noqa: F401
from backchain._core.primitive import REGISTRY
from tests.specs import all_specs, not_differentiable, sample
from tests.gradcheck import check_first_order, check_second_order

SPECS = all_specs()
CASES = [(s, shapes) for s in SPECS for shapes in s.shapes]


def _id(case):
    s, shapes = case
    return f"{s.name()}-{'x'.join(str(list(sh)) for sh in shapes)}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_first_order(case):
    spec, shapes = case
    rng = np.random.default_rng(0)
    args = sample(spec, shapes, rng)
    check_first_order(spec.fn, args, rng, spec.rtol, spec.atol, spec.eps, spec.argnums)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].order >= 2], ids=_id)
def test_second_order(case):
    spec, shapes = case
    rng = np.random.default_rng(1)
    args = sample(spec, shapes, rng)
    check_second_order(spec.fn, args, rng, spec.rtol * 20, spec.atol * 20, argnums=spec.argnums)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].complex], ids=_id)
def test_complex(case):
    spec, shapes = case
    rng = np.random.default_rng(2)
    args = sample(spec, shapes, rng, dtype=np.complex128)
    check_first_order(spec.fn, args, rng, spec.rtol, spec.atol, spec.eps, spec.argnums)


BROADCAST = [s for s in SPECS if s.broadcast]


@pytest.mark.parametrize("spec", BROADCAST, ids=[s.name() for s in BROADCAST])
def test_broadcasting(spec):
    nargs = len(spec.shapes[0])

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutually_broadcastable_shapes(num_shapes=nargs, min_dims=0, max_dims=3, max_side=3),
           st.integers(0, 2**31 - 1))
    def run(bshapes, seed):
        rng = np.random.default_rng(seed)
        args = sample(spec, bshapes.input_shapes, rng)
        check_first_order(spec.fn, args, rng, spec.rtol, spec.atol, spec.eps, spec.argnums)

    run()


def test_every_primitive_has_a_spec():
    import backchain.numpy  # noqa: F401
    for mod in ("backchain.scipy.special", "backchain.scipy.stats", "backchain.scipy.linalg",
                "backchain.scipy.signal", "backchain.scipy.integrate"):
        try:
            __import__(mod)
        except ModuleNotFoundError:
            pass
    covered = {name for s in SPECS for name in s.covers()} | set(not_differentiable())
    library = {name for name, p in REGISTRY.items() if not p.user}
    missing = sorted(library - covered)
    assert not missing, f"primitives with no spec row and no mark: {missing}"
