"""Exact derivatives of the activation primitives at their kinks (DESIGN.md section 4)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._rules import activations as A

CASES = [
    ("relu at 0", A.relu, 0.0, 0.0),
    ("relu at 1", A.relu, 1.0, 1.0),
    ("relu at -1", A.relu, -1.0, 0.0),
    ("leaky_relu at 0", lambda x: A.leaky_relu(x, 0.1), 0.0, 0.1),
    ("hardtanh at -1", A.hardtanh, -1.0, 0.0),
    ("hardtanh at 1", A.hardtanh, 1.0, 0.0),
    ("hardtanh inside", A.hardtanh, 0.5, 1.0),
    ("relu6 at 0", A.relu6, 0.0, 0.0),
    ("relu6 at 6", A.relu6, 6.0, 0.0),
    ("relu6 inside", A.relu6, 3.0, 1.0),
    ("hardsigmoid at -3", A.hardsigmoid, -3.0, 0.0),
    ("hardsigmoid at 3", A.hardsigmoid, 3.0, 0.0),
    ("hardsigmoid inside", A.hardsigmoid, 0.0, 1.0 / 6.0),
    ("hardswish at -3", A.hardswish, -3.0, 0.0),
    ("hardswish at 3", A.hardswish, 3.0, 1.0),
    ("hardswish at 0", A.hardswish, 0.0, 0.5),
]


@pytest.mark.parametrize("name,fn,x,expected", CASES, ids=[c[0] for c in CASES])
def test_exact_kink_values(name, fn, x, expected):
    assert bc.grad(fn)(x) == expected
    assert bc.jvp(fn, (x,), (1.0,))[1] == expected


def test_relu_is_not_maximum_at_zero():
    # the composite maximum(x, 0) splits the tie: 0.5; the relu row says 0
    assert bc.grad(lambda x: bnp.maximum(x, 0.0))(0.0) == 0.5
    assert bc.grad(A.relu)(0.0) == 0.0


def test_float32_preserved():
    x = bc.tensor(np.array([-1.0, 0.0, 2.0], dtype=np.float32), requires_grad=True)
    y = A.relu(x) + A.leaky_relu(x, 0.2) + A.hardtanh(x) + A.hardswish(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
