"""Property tests: random graphs of primitives and every binary elementwise op, checked against
finite differences (bc.gradcheck) and NumPy, over Hypothesis-drawn shapes and dtypes."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backchain as bc
import backchain.numpy as bnp
from backchain._core.primitive import REGISTRY

SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))

# -- random DAGs -------------------------------------------------------------------------------
UNARY = {
    "sin": bnp.sin, "tanh": bnp.tanh, "exp": lambda a: bnp.exp(0.3 * a), "square": lambda a: a * a,
    "log1p2": lambda a: bnp.log(1.0 + a * a), "sigmoid": lambda a: 1.0 / (1.0 + bnp.exp(-a)),
    "neg": lambda a: -a, "cumsum0": lambda a: bnp.cumsum(a, axis=0) if a.ndim else a,
    "flip": lambda a: a[::-1] if a.ndim else a, "first": lambda a: a[:1] if a.ndim else a,
    "transpose": lambda a: a.T, "sum0": lambda a: bnp.sum(a, axis=0) if a.ndim else a,
    "mean_keep": lambda a: bnp.mean(a, axis=-1, keepdims=True) if a.ndim else a,
    "max": lambda a: bnp.max(a, axis=0) if a.ndim else a,
    "take": lambda a: bnp.take(a, [0, -1, 0], axis=0) if a.ndim else a,
    "reshape": lambda a: bnp.reshape(a, (-1,)), "expand": lambda a: bnp.expand_dims(a, 0),
    "norm": lambda a: bnp.sqrt(bnp.sum(a * a) + 1.0),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.5 + b * b), "hypot": lambda a, b: bnp.hypot(a, b + 3.0),
    "where": lambda a, b: bnp.where(np.asarray(_probe(a)) > 0, a, b),
}


def _probe(a):
    return a.data if isinstance(a, bc.Tensor) else a


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 2))
    shapes = [draw(st.sampled_from([(3, 4), (4,), (3, 1), (1, 4), ()])) for _ in range(n_inputs)]
    steps = []
    for k in range(draw(st.integers(2, 9))):
        n_values = n_inputs + k
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, n_values - 1))))
        else:
            steps.append(("b", draw(st.sampled_from(sorted(BINARY))), draw(st.integers(0, n_values - 1)),
                          draw(st.integers(0, n_values - 1))))  # may use one value twice: reuse
    seed = draw(st.integers(0, 2 ** 16))
    return shapes, steps, seed


def _run(steps, inputs):
    values = list(inputs)
    for step in steps:
        if step[0] == "u":
            values.append(UNARY[step[1]](values[step[2]]))
        else:
            a, b = values[step[2]], values[step[3]]
            try:
                np.broadcast_shapes(np.shape(_probe(a)), np.shape(_probe(b)))
            except ValueError:
                b = bnp.sum(b)  # incompatible shapes: combine with b's total instead
            values.append(BINARY[step[1]](a, b))
    # every value feeds the output (reuse and fan-out everywhere), with distinct weights
    return sum(bnp.sum(v) * (0.5 + 0.25 * k) for k, v in enumerate(values))


@settings(max_examples=120, **SETTINGS)
@given(programs())
def test_random_graphs_match_finite_differences(program):
    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    f = lambda *xs: _run(steps, xs)
    assert bc.gradcheck(f, *inputs, order=1, modes=("rev", "fwd"))


@settings(max_examples=40, **SETTINGS)
@given(programs())
def test_random_graphs_tensor_backward_equals_grad(program):
    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    ts = [bc.tensor(x, requires_grad=True) for x in inputs]
    out = _run(steps, ts)
    out.backward()
    grads = bc.grad(lambda *xs: _run(steps, xs), argnums=tuple(range(len(inputs))))(*inputs)
    for t, g in zip(ts, grads):
        np.testing.assert_allclose(t.grad, g, rtol=1e-12, atol=1e-12)


# -- every binary elementwise op -------------------------------------------------------------------
BINARY_UFUNCS = sorted(n for n, p in REGISTRY.items()
                       if isinstance(getattr(np, n, None), np.ufunc) and getattr(np, n).nin == 2 and n != "matmul")
HOLOMORPHIC = {"add", "subtract", "multiply", "divide", "power", "float_power"}


def test_binary_op_list_is_complete():
    assert {"add", "multiply", "power", "arctan2", "hypot", "maximum", "remainder"} <= set(BINARY_UFUNCS)


shape_pairs = st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((4, 1, 2), (3, 1)),
                               ((1,), ())])


def _operands(op, dtype, sx, sy, seed):
    rng = np.random.default_rng(seed)
    # x in (0.5, 1.5) and y in (1.6, 2.4): away from poles, branch cuts, ties and the jumps of
    # remainder / fmod / copysign / heaviside, so every op is differentiable at the point
    x = rng.uniform(0.5, 1.5, sx)
    y = rng.uniform(1.6, 2.4, sy)
    if dtype == np.complex128:
        x = x + 1j * rng.uniform(-0.3, 0.3, sx)
        y = y + 1j * rng.uniform(-0.3, 0.3, sy)
    return np.asarray(x).astype(dtype), np.asarray(y).astype(dtype)


@pytest.mark.parametrize("op", BINARY_UFUNCS)
@settings(max_examples=12, **SETTINGS)
@given(shapes=shape_pairs, dtype=st.sampled_from([np.float32, np.float64, np.complex128]), seed=st.integers(0, 999),
       swap=st.booleans())
def test_binary_op_values_dtypes_shapes_and_gradients(op, shapes, dtype, seed, swap):
    if dtype == np.complex128 and op not in HOLOMORPHIC:
        dtype = np.float64  # not complex-differentiable: checked in the real dtypes
    sx, sy = shapes[::-1] if swap else shapes
    x, y = _operands(op, dtype, sx, sy, seed)
    fn = getattr(bnp, op)
    expected = getattr(np, op)(x, y)
    out = fn(x, y)
    assert type(out) in (np.ndarray, type(expected)) and np.asarray(out).dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-13)
    # gradients: the inputs' shapes and dtypes (broadcasting undone, precision kept)
    tx, ty = bc.tensor(x, requires_grad=True), bc.tensor(y, requires_grad=True)
    r = fn(tx, ty)
    assert r.dtype == expected.dtype and r.shape == expected.shape
    (bnp.sum(bnp.real(r * bnp.conj(r))) if dtype == np.complex128 else bnp.sum(r * r)).backward()
    for t in (tx, ty):
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype, (op, t.grad.dtype, t.dtype)
    # values against finite differences, in float64 / complex128
    if dtype != np.float32:
        if dtype == np.complex128:
            f = lambda a, b: bnp.sum(bnp.real(fn(a, b) * bnp.conj(fn(a, b))))
        else:
            f = lambda a, b: bnp.sum(fn(a, b) * bnp.sin(fn(a, b)))
        assert bc.gradcheck(f, x, y, order=1)
