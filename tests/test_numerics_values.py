"""Values of diff, ediff1d, gradient, interp, linspace, quantile and percentile on Tensors equal
NumPy's (their derivatives are checked against finite differences by the spec rows)."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def T(a):
    return bc.tensor(np.asarray(a), requires_grad=True)


RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))


@pytest.mark.parametrize("kw", [{}, {"n": 2}, {"axis": 0}, {"n": 0}, {"n": 7}, {"prepend": 0.0},
                                {"append": X[:, :1]}, {"n": 3, "axis": 1, "prepend": 1.0, "append": 2.0}])
def test_diff(kw):
    np.testing.assert_allclose(np.asarray(bnp.diff(T(X), **kw).data), np.diff(X, **kw))


def test_diff_and_ediff1d_errors_and_extras():
    with pytest.raises(ValueError, match="diff: order must be non-negative"):
        bnp.diff(T(X), n=-1)
    with pytest.raises(ValueError, match="at least one dimension"):
        bnp.diff(T(1.0))
    got = bnp.ediff1d(T(X), to_end=[1.0, 2.0], to_begin=5.0)
    np.testing.assert_allclose(got.data, np.ediff1d(X, to_end=[1.0, 2.0], to_begin=5.0))


@pytest.mark.parametrize("args", [(), (0.5,), (0.5, 2.0)])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient(args, edge_order):
    got, ref = bnp.gradient(T(X), *args, edge_order=edge_order), np.gradient(X, *args, edge_order=edge_order)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g.data, r)
    np.testing.assert_allclose(bnp.gradient(T(X), *args[:1], axis=1, edge_order=edge_order).data,
                               np.gradient(X, *args[:1], axis=1, edge_order=edge_order))


def test_gradient_refuses_coordinate_arrays_and_short_axes():
    with pytest.raises(NotImplementedError, match="scalar spacings"):
        bnp.gradient(T(X[0]), np.arange(5.0) ** 2)
    with pytest.raises(ValueError, match="at least edge_order"):
        bnp.gradient(T([1.0, 2.0]), edge_order=2)


def test_interp_inside_outside_and_on_knots():
    xp = np.sort(RNG.standard_normal(6))
    fp = RNG.standard_normal(6)
    x = np.concatenate([RNG.standard_normal(20) * 2, xp])  # includes every knot
    np.testing.assert_allclose(bnp.interp(T(x), xp, fp).data, np.interp(x, xp, fp))
    got = bnp.interp(x, T(xp), T(fp), left=-1.0, right=T(7.0))
    np.testing.assert_allclose(got.data, np.interp(x, xp, fp, left=-1.0, right=7.0))
    np.testing.assert_allclose(bnp.interp(T(0.3), [1.0], [2.0]).data, np.interp(0.3, [1.0], [2.0]))
    with pytest.raises(NotImplementedError, match="period"):
        bnp.interp(T(x), xp, fp, period=2.0)
    # on a knot the derivative is the slope of the segment above it; outside the range it is 0
    g = bc.grad(lambda x: bnp.sum(bnp.interp(x, [0.0, 1.0, 3.0], [0.0, 2.0, 3.0])))(np.array([1.0, -1.0, 3.5]))
    np.testing.assert_allclose(g, [0.5, 0.0, 0.0])


@pytest.mark.parametrize("start,stop", [(0.0, 1.0), (np.array([0.0, 1.0]), np.array([2.0, -1.0])),
                                        (np.float32(1.0), np.float32(3.0))])
@pytest.mark.parametrize("kw", [{}, {"endpoint": False}, {"axis": -1}, {"num": 1}, {"num": 0},
                                {"retstep": True}, {"dtype": np.float32}])
def test_linspace(start, stop, kw):
    kw = dict(kw)
    num = kw.pop("num", 6)
    got, ref = bnp.linspace(T(start), stop, num, **kw), np.linspace(start, stop, num, **kw)
    if kw.get("retstep"):
        np.testing.assert_allclose(np.asarray(getattr(got[1], "data", got[1])), ref[1])
        got, ref = got[0], ref[0]
    assert got.data.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_allclose(got.data, ref, rtol=1e-6)


def test_quantile_and_percentile_match_numpy():
    rng = np.random.default_rng(1)
    for _ in range(200):
        shape = tuple(int(s) for s in rng.integers(1, 5, rng.integers(1, 4)))
        x = rng.standard_normal(shape)
        if rng.random() < 0.3:
            x = np.round(x)  # ties
        axis = None if rng.random() < 0.3 else int(rng.integers(-len(shape), len(shape)))
        q = rng.random() if rng.random() < 0.5 else rng.random(tuple(int(s) for s in rng.integers(1, 3, 2)))
        for method in ("linear", "lower", "higher", "nearest", "midpoint"):
            keep = bool(rng.random() < 0.3)
            ref = np.quantile(x, q, axis=axis, method=method, keepdims=keep)
            got = bnp.quantile(T(x), q, axis=axis, method=method, keepdims=keep)
            assert got.shape == np.shape(ref)
            np.testing.assert_allclose(got.data, ref, atol=1e-12)
            np.testing.assert_allclose(bnp.percentile(T(x), np.asarray(q) * 100, axis=axis, method=method).data,
                                       np.percentile(x, np.asarray(q) * 100, axis=axis, method=method), atol=1e-12)
    assert np.isnan(bnp.quantile(T([1.0, np.nan, 2.0]), 0.5).data)


def test_quantile_errors():
    with pytest.raises(ValueError, match="range \\[0, 1\\]"):
        bnp.quantile(T(X), 1.5)
    with pytest.raises(ValueError, match="range \\[0, 100\\]"):
        bnp.percentile(T(X), -1)
    with pytest.raises(ValueError, match="method must be one of"):
        bnp.quantile(T(X), 0.5, method="hazen")


def test_nan_quantiles_match_numpy():
    import warnings

    rng = np.random.default_rng(2)
    for _ in range(150):
        shape = tuple(int(s) for s in rng.integers(1, 5, rng.integers(1, 4)))
        x = rng.standard_normal(shape)
        x[rng.random(shape) < 0.3] = np.nan
        axis = None if rng.random() < 0.3 else int(rng.integers(-len(shape), len(shape)))
        q = rng.random() if rng.random() < 0.5 else rng.random(2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on all-NaN slices
            for method in ("linear", "lower", "higher", "nearest", "midpoint"):
                ref = np.nanquantile(x, q, axis=axis, method=method)
                got = bnp.nanquantile(T(x), q, axis=axis, method=method)
                assert got.shape == np.shape(ref)
                np.testing.assert_allclose(got.data, ref, equal_nan=True)
            np.testing.assert_allclose(bnp.nanmedian(T(x), axis=axis).data, np.nanmedian(x, axis=axis),
                                       equal_nan=True)
            np.testing.assert_allclose(bnp.nanpercentile(T(x), 30, axis=axis).data,
                                       np.nanpercentile(x, 30, axis=axis), equal_nan=True)


def test_cov_corrcoef_cumulative_and_vector_products_match_numpy():
    rng = np.random.default_rng(3)
    x, y, z = rng.standard_normal((3, 5)), rng.standard_normal((2, 5)), rng.standard_normal(5)
    xc = x + 1j * rng.standard_normal((3, 5))
    for args, kw in [((x,), {}), ((x, y), {}), ((x.T,), {"rowvar": False}), ((z,), {}), ((z, 2 * z + 1), {}),
                     ((x,), {"bias": True}), ((x,), {"ddof": 2}), ((xc,), {})]:
        np.testing.assert_allclose(bnp.cov(*[T(a) for a in args], **kw).data, np.cov(*args, **kw))
        rv = {k: v for k, v in kw.items() if k == "rowvar"}
        np.testing.assert_allclose(bnp.corrcoef(*[T(a) for a in args], **rv).data, np.corrcoef(*args, **rv))
    with pytest.raises(NotImplementedError, match="fweights"):
        bnp.cov(T(x), fweights=np.ones(5, dtype=int))
    for inc in (False, True):
        np.testing.assert_allclose(bnp.cumulative_sum(T(x), axis=1, include_initial=inc).data,
                                   np.cumulative_sum(x, axis=1, include_initial=inc))
        np.testing.assert_allclose(bnp.cumulative_prod(T(z), include_initial=inc).data,
                                   np.cumulative_prod(z, include_initial=inc))
    with pytest.raises(ValueError, match="axis must be given"):
        bnp.cumulative_sum(T(x))
    np.testing.assert_allclose(bnp.vecdot(T(xc), x).data, np.vecdot(xc, x))
    np.testing.assert_allclose(bnp.matvec(T(x.T @ x), z).data, np.matvec(x.T @ x, z))
    np.testing.assert_allclose(bnp.vecmat(T(xc[:, 0]), x).data, np.vecmat(xc[:, 0], x))


def test_grids_integration_polynomials_and_aliases_match_numpy():
    rng = np.random.default_rng(4)
    a, b, c = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(2)
    for kw in [{}, {"indexing": "ij"}, {"sparse": True}, {"sparse": True, "indexing": "ij"}]:
        for g, r in zip(bnp.meshgrid(T(a), b, T(c), **kw), np.meshgrid(a, b, c, **kw)):
            np.testing.assert_allclose(getattr(g, "data", g), r)
    y, xs, x2 = rng.standard_normal((3, 5)), np.sort(rng.standard_normal(5)), np.sort(rng.standard_normal((3, 5)))
    np.testing.assert_allclose(bnp.trapezoid(T(y)).data, np.trapezoid(y))
    np.testing.assert_allclose(bnp.trapezoid(T(y), xs).data, np.trapezoid(y, xs))
    np.testing.assert_allclose(bnp.trapezoid(T(y), x2).data, np.trapezoid(y, x2))
    np.testing.assert_allclose(bnp.trapezoid(T(y.T), xs, axis=0).data, np.trapezoid(y.T, xs, axis=0))
    np.testing.assert_allclose(bnp.trapezoid(T(y), dx=0.3, axis=0).data, np.trapezoid(y, dx=0.3, axis=0))
    p, q = rng.standard_normal(4), rng.standard_normal((2, 3))
    np.testing.assert_allclose(bnp.polyval(T(p), q).data, np.polyval(p, q))
    np.testing.assert_allclose(bnp.polyval(p, T(q)).data, np.polyval(p, q))
    np.testing.assert_allclose(bnp.fabs(T(q)).data, np.fabs(q))
    with pytest.raises(TypeError, match="fabs: complex"):
        bnp.fabs(T(q * 1j))
    for start in (0, 1, 2, 3, -1, -3):
        for axis in (0, 2, -1):
            assert bnp.rollaxis(T(np.ones((2, 3, 4))), axis, start).shape == np.rollaxis(np.ones((2, 3, 4)), axis,
                                                                                        start).shape
    assert bnp.matrix_transpose(T(np.ones((5, 2, 3)))).shape == (5, 3, 2)
    t = T(rng.random((2, 3)) * 0.5)
    for name, ref in [("acos", np.arccos), ("asin", np.arcsin), ("atan", np.arctan), ("acosh", None)]:
        if ref is not None:
            np.testing.assert_allclose(getattr(np, name)(t).data, ref(t.data))  # NumPy's names route here
    assert np.concat([t, t]).shape == (4, 3) and np.permute_dims(t, (1, 0)).shape == (3, 2)
    assert bnp.pow(t, 2).grad_fn == "power"


def test_convolve_correlate_delete_diagflat_vander_match_numpy():
    rng = np.random.default_rng(5)
    for la in range(1, 6):
        for lv in range(1, 6):
            a = rng.standard_normal(la) + 1j * rng.standard_normal(la)
            v = rng.standard_normal(lv)
            for mode in ("full", "same", "valid"):
                np.testing.assert_allclose(bnp.convolve(T(a), v, mode).data, np.convolve(a, v, mode))
                np.testing.assert_allclose(bnp.correlate(T(a), T(v), mode).data, np.correlate(a, v, mode))
                np.testing.assert_allclose(bnp.correlate(v, T(a), mode).data, np.correlate(v, a, mode))
    with pytest.raises(ValueError, match="1-D"):
        bnp.convolve(T(np.ones((2, 2))), np.ones(2))
    x = rng.standard_normal((3, 4))
    for obj, axis in [(1, 1), ([0, 2], 0), (slice(0, 3, 2), 1), (5, None), ([-1], -1)]:
        np.testing.assert_allclose(bnp.delete(T(x), obj, axis).data, np.delete(x, obj, axis))
    for k in (0, 2, -1):
        np.testing.assert_allclose(bnp.diagflat(T(x[:2]), k).data, np.diagflat(x[:2], k))
    for n, increasing in [(None, False), (2, True), (5, False)]:
        np.testing.assert_allclose(bnp.vander(T(x[0]), n, increasing).data, np.vander(x[0], n, increasing))


def test_insert_and_apply_along_axis_match_numpy():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4))
    cases = [(1, 9.0, None), (1, 9.0, 1), ([0, 2], [7.0, 8.0], 1), (2, [[5.0], [6.0], [7.0]], 1),
             (slice(0, 2), 3.0, 0), (1, [1.0, 2.0, 3.0, 4.0], 0), ([1], [[1.0, 2.0, 3.0, 4.0]], 0),
             (3, [1.0, 2.0], None), ([0, 0], [5.0, 6.0], None), (-1, 2.0, 1)]
    for obj, values, axis in cases:
        ref = np.insert(x, obj, values, axis=axis)
        np.testing.assert_allclose(bnp.insert(T(x), obj, values, axis=axis).data, ref)
        np.testing.assert_allclose(bnp.insert(x, obj, T(values), axis=axis).data, ref)
    assert bnp.insert(T(x.astype(np.float32)), 1, T(2.0)).data.dtype == np.float32  # NumPy casts the values
    y = rng.standard_normal((2, 3, 4))
    for f in (lambda r: bnp.sum(r), lambda r: r * 2, lambda r: bnp.outer(r, r), lambda r: r[:2]):
        for axis in (0, 1, 2, -1):
            got = bnp.apply_along_axis(f, axis, T(y))
            np.testing.assert_allclose(got.data, np.apply_along_axis(lambda r: np.asarray(f(r)), axis, y))


def test_lstsq_and_polyfit_match_numpy():
    rng = np.random.default_rng(7)
    for shape, bshape in [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,)), ((4, 4), (4, 2))]:
        for cplx in (False, True):
            a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if cplx else 0)
            b = rng.standard_normal(bshape) + (1j * rng.standard_normal(bshape) if cplx else 0)
            ref = np.linalg.lstsq(a, b)
            got = bnp.linalg.lstsq(T(a), T(b))
            np.testing.assert_allclose(got[0].data, ref[0], atol=1e-12)
            np.testing.assert_allclose(np.asarray(getattr(got[1], "data", got[1])), ref[1], atol=1e-12)
            assert got[2] == ref[2]
            np.testing.assert_allclose(got[3].data, ref[3])
    a = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 3))  # rank 2: min-norm solution, no residuals
    ref, got = np.linalg.lstsq(a, np.arange(5.0)), bnp.linalg.lstsq(T(a), np.arange(5.0))
    np.testing.assert_allclose(got[0].data, ref[0], atol=1e-10)
    assert got[2] == ref[2] == 2 and np.shape(got[1]) == ref[1].shape == (0,)
    x, y, ys, w = np.sort(rng.standard_normal(8)), rng.standard_normal(8), rng.standard_normal((8, 2)), rng.random(8)
    for args, kw in [((x, y, 2), {}), ((x, ys, 3), {}), ((x, y, 1), {"w": w + 0.5}), ((x, ys, 2), {"w": w + 0.5})]:
        np.testing.assert_allclose(bnp.polyfit(T(args[0]), T(args[1]), args[2], **kw).data, np.polyfit(*args, **kw))
    got, ref = bnp.polyfit(T(x), y, 2, full=True), np.polyfit(x, y, 2, full=True)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(getattr(g, "data", g)), r)
