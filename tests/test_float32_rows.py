"""Float32 stays float32, over the whole rule table: every spec row, run on float32 inputs, gives a
result of the dtype NumPy's (or SciPy's) own call gives the same inputs, or float32 where they
promote to float64 (backchain keeps the precision it is given), and float32 gradients."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from tests.specs import all_specs, sample

ROWS = [s for s in all_specs()]


@pytest.mark.parametrize("spec", ROWS, ids=[s.name() for s in ROWS])
def test_row_keeps_float32(spec):
    rng = np.random.default_rng(0)
    args = [a.astype(np.float32) for a in sample(spec, spec.shapes[0], rng)]
    diff = spec.argnums or tuple(range(len(args)))
    xs = [bc.tensor(a, requires_grad=i in diff) for i, a in enumerate(args)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref = np.asarray(spec.fn(*args)).dtype
        except ValueError:  # SciPy's own checks can refuse float32 (a simplex summing to 1 + 1e-7)
            ref = np.dtype(np.float32)
        out = spec.fn(*xs)
    got = np.asarray(out.data if isinstance(out, bc.Tensor) else out).dtype
    assert got == ref or (ref == np.float64 and got == np.float32), \
        f"{spec.name()}: float32 inputs give {got}; the plain call gives {ref}"
    if isinstance(out, bc.Tensor) and out.requires_grad:
        (out if out.ndim == 0 else bnp.sum(out)).backward()
        for i in diff:
            if xs[i].grad is not None:
                assert np.asarray(xs[i].grad).dtype == np.float32, f"{spec.name()}: gradient of input {i} is " \
                                                                   f"{np.asarray(xs[i].grad).dtype}"
