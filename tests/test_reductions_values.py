"""Forward values of the reductions equal NumPy's, on Tensors and on plain arrays (the fast path)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import backchain as bc
import backchain.numpy as bnp

RNG = np.random.default_rng(0)
X = RNG.uniform(-2, 2, size=(3, 4, 2))
XNAN = X.copy()
XNAN[0, 1, 0] = XNAN[2, 3, 1] = XNAN[1, 0, 1] = np.nan
XZ = X.copy()
XZ[1, 2, 0] = XZ[0, 0, 1] = 0.0
MASK = RNG.uniform(size=(3, 4, 2)) > 0.3
MASK[:, 0, :] = True

AXES = [None, 0, -1, (0, 2), (-1, 1), (0, 1, 2)]

CASES = [
    ("sum", X, {}), ("sum", X, {"initial": 1.5}), ("sum", X, {"where": MASK, "axis": 1}),
    ("sum", X.astype(np.float32), {"dtype": np.float64}),
    ("mean", X, {}), ("mean", X, {"where": MASK, "axis": (0, 1)}),
    ("prod", XZ, {}), ("prod", X, {"initial": 2.0}), ("prod", X, {"where": MASK, "axis": -1}),
    ("max", X, {}), ("amax", X, {}), ("min", X, {}), ("amin", X, {}), ("ptp", X, {}),
    ("var", X, {}), ("var", X, {"ddof": 1}), ("var", X, {"correction": 1}), ("var", X, {"where": MASK, "axis": 1}),
    ("std", X, {}), ("std", X, {"ddof": 1}), ("std", X, {"where": MASK, "axis": 1, "ddof": 1}),
    ("nansum", XNAN, {}), ("nanmean", XNAN, {}), ("nanprod", XNAN, {}), ("nanmax", XNAN, {}),
    ("nanmin", XNAN, {}), ("nanvar", XNAN, {"ddof": 1}), ("nanstd", XNAN, {}),
    ("median", X, {}), ("median", X[:, :3], {}),
]


def _call(name, x, axis, keepdims, kw):
    args = dict(kw)
    if axis != "none-given":
        args["axis"] = axis
    if keepdims:
        args["keepdims"] = True
    return getattr(bnp, name)(x, **args), getattr(np, name)(np.asarray(x.data if isinstance(x, bc.Tensor) else x), **args)


# Cases that fix their own axis run once per keepdims, not once per axis.
MATRIX = [(c, axis) for c in CASES for axis in (AXES if "axis" not in c[2] else [None])]


@pytest.mark.filterwarnings("ignore:Degrees of freedom")
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("case,axis", MATRIX, ids=[f"{c[0]}{sorted(c[2])}-{a}" for c, a in MATRIX])
def test_matches_numpy(case, axis, keepdims):
    name, x, kw = case
    if "axis" in kw:
        axis = "none-given"
    t = bc.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        ours, ref = _call(name, t, axis, keepdims, kw)
    assert isinstance(ours, bc.Tensor)
    assert ours.shape == np.shape(ref)
    assert ours.dtype == np.asarray(ref).dtype
    assert_allclose(ours.data, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "ptp", "var", "std", "median",
                                  "nansum", "nanmean", "nanmax", "cumsum", "cumprod"])
def test_fast_path_is_numpy(name):
    ours = getattr(bnp, name)(X, axis=1)
    ref = getattr(np, name)(X, axis=1)
    assert type(ours) is type(ref)
    assert_array_equal(ours, ref)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumulative_matches_numpy(name, axis):
    x = XNAN[:, :, 0] if name.startswith("nan") else XZ[:, :, 0]
    ours = getattr(bnp, name)(bc.tensor(x, requires_grad=True), axis=axis)
    ref = getattr(np, name)(x, axis=axis)
    assert ours.shape == ref.shape
    assert_allclose(ours.data, ref, rtol=1e-13)


def test_cumsum_dtype():
    ours = bnp.cumsum(bc.tensor(X[0].astype(np.float32), requires_grad=True), axis=0, dtype=np.float64)
    assert ours.dtype == np.float64
    assert_allclose(ours.data, np.cumsum(X[0].astype(np.float32), axis=0, dtype=np.float64))


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "std", "var", "cumsum"])
def test_float32_stays_float32(name):
    x = bc.tensor(X.astype(np.float32), requires_grad=True)
    out = getattr(bnp, name)(x, axis=1)
    assert out.dtype == np.float32
    g = bc.grad(lambda v: getattr(bnp, name)(v, axis=1).sum())(X.astype(np.float32))
    assert g.dtype == np.float32


@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"axis": 1, "keepdims": True}])
def test_average_matches_numpy(kw):
    a, w = X[:, :, 0], RNG.uniform(0.5, 2, size=(3, 4))
    ours = bnp.average(bc.tensor(a, requires_grad=True), weights=bc.tensor(w, requires_grad=True), **kw)
    assert_allclose(ours.data, np.average(a, weights=w, **kw), rtol=1e-13)
    avg, scl = bnp.average(bc.tensor(a), weights=w, returned=True, **kw)
    ref_avg, ref_scl = np.average(a, weights=w, returned=True, **kw)
    assert_allclose(avg.data, ref_avg, rtol=1e-13)
    assert_allclose(np.asarray(getattr(scl, "data", scl)), ref_scl, rtol=1e-13)
    assert np.shape(getattr(scl, "data", scl)) == np.shape(ref_scl)


def test_average_1d_weights_along_axis_and_no_weights():
    a, w = X[:, :, 0], np.array([1.0, 2.0, 0.5, 1.5])
    assert_allclose(bnp.average(bc.tensor(a), axis=1, weights=w).data, np.average(a, axis=1, weights=w))
    avg, scl = bnp.average(bc.tensor(a, requires_grad=True), axis=0, returned=True)
    ref_avg, ref_scl = np.average(a, axis=0, returned=True)
    assert_allclose(avg.data, ref_avg)
    assert_array_equal(scl, ref_scl)


def test_average_gradient_in_weights():
    a, w = np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 2.0])
    g = bc.grad(lambda w_: bnp.average(a, weights=w_))(w)
    # d/dw_i sum(a w) / sum(w) = (a_i - avg) / sum(w); avg = 11 / 4
    assert_allclose(g, (a - 11 / 4) / 4, rtol=1e-15)


def test_numpy_functions_dispatch_on_tensors():
    t = bc.tensor(X, requires_grad=True)
    for fn in (np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.std, np.var, np.median):
        out = fn(t, axis=1)
        assert isinstance(out, bc.Tensor)
        assert_allclose(out.data, fn(X, axis=1), rtol=1e-13)


def test_tensor_methods():
    t = bc.tensor(X, requires_grad=True)
    assert_allclose(t.sum(1).data, X.sum(1))
    assert_allclose(t.mean(axis=0, keepdims=True).data, X.mean(axis=0, keepdims=True))
    assert_allclose(t.prod(-1).data, X.prod(-1))
    assert_allclose(t.max(0).data, X.max(0))
    assert_allclose(t.min(axis=(0, 1)).data, X.min(axis=(0, 1)))
    assert_allclose(t.std(1, ddof=1).data, X.std(1, ddof=1))
    assert_allclose(t.var(None).data, X.var(None))
    assert_allclose(t.cumsum(1).data, X.cumsum(1))
    assert_allclose(t.cumprod(0).data, X.cumprod(0))
    assert_allclose(t.ptp(2).data, np.ptp(X, 2))


@pytest.mark.parametrize("name", ["all", "any", "argmax", "argmin", "count_nonzero"])
@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": -1, "keepdims": True}])
def test_nondifferentiable_reductions(name, kw):
    x = np.round(X[:, :, 0])
    out = getattr(bnp, name)(bc.tensor(x, requires_grad=True), **kw)
    ref = getattr(np, name)(x, **kw)
    assert not isinstance(out, bc.Tensor)
    assert_array_equal(out, ref)
    assert np.shape(out) == np.shape(ref)


@pytest.mark.parametrize("name", ["all", "any", "argmax", "argmin"])
def test_nondifferentiable_methods(name):
    x = np.round(X[:, :, 0])
    out = getattr(bc.tensor(x, requires_grad=True), name)(axis=0)
    assert not isinstance(out, bc.Tensor)
    assert_array_equal(out, getattr(x, name)(axis=0))


def test_errors_name_the_operation():
    t = bc.tensor(X, requires_grad=True)
    with pytest.raises(np.exceptions.AxisError, match="sum"):
        bnp.sum(t, axis=3)
    with pytest.raises(ValueError, match="duplicate"):
        bnp.mean(t, axis=(1, -2))
    with pytest.raises(TypeError, match="max: initial= and where="):
        bnp.max(t, initial=0.0)
    with pytest.raises(TypeError, match="cumsum: axis must be an int"):
        bnp.cumsum(t, axis=(0, 1))
    with pytest.raises(TypeError, match="out="):
        bnp.sum(t, out=np.empty(()))
    with pytest.raises(ZeroDivisionError, match="average"):
        bnp.average(t, axis=0, weights=bc.tensor(np.zeros((3, 4, 2))))
    with pytest.raises(ValueError, match="amax"):
        bnp.max(bc.tensor(np.zeros((0, 2)), requires_grad=True), axis=0)
