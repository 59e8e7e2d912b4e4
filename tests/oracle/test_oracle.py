"""backchain against JAX and PyTorch: values, dtypes, VJP, JVP, second order and kinks, per op (ops.py)."""
import pytest

from . import harness
from .ops import KNOWN_DEFECTS, OPS

RUN = [o for o in OPS if o.key not in KNOWN_DEFECTS]


def test_table_has_no_duplicates():
    keys = [o.key for o in OPS]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("op", RUN, ids=lambda o: o.key)
def test_against_oracle(op):
    for layout, shapes, dtype in harness.combos(op, KNOWN_DEFECTS):
        harness.run_case(op, layout, shapes, dtype)


@pytest.mark.parametrize("op", [o for o in RUN if o.kinks], ids=lambda o: o.key)
def test_kinks(op):
    harness.run_kinks(op)


def test_x64_stays_scoped():
    """JAX runs in float64 only inside the oracle's calls: the rest of the suite keeps JAX's default."""
    import jax

    harness.run_case(RUN[0], "contiguous", RUN[0].cases["contiguous"], harness.DTYPES[0])
    assert not jax.config.jax_enable_x64
