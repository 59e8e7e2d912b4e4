"""Composite functions and rows that batch inside ``vmap`` (the nan* reductions, order statistics,
weighted averages, interpolation, least squares, SciPy's solvers, sampling grids, recurrent layers,
max-pooling's routing): ``vmap(f)`` against ``jax.vmap`` / ``torch.func.vmap`` and against stacking
``f(x_i)``, per-example gradients against JAX's, and the vmapped function's derivatives against
float64 finite differences. Where a row has a batching rule, no ``BatchingWarning`` (the loop's)."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._vmap.batched import BatchingWarning
from tests.gradcheck import check_first_order

jax = pytest.importorskip("jax")
jnp = jax.numpy
jsl = pytest.importorskip("jax.scipy.linalg")
jstats = pytest.importorskip("jax.scipy.stats")


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):  # JAX in float64 inside these tests only
        yield


RNG = np.random.default_rng(21)
B = 4


def _nan(shape, seed, every=5):
    x = np.random.default_rng(seed).normal(size=shape)
    x.reshape(-1)[::every] = np.nan  # examples differ in where their NaNs are
    return x


def _spd(a):
    return a @ np.swapaxes(a, -1, -2) + 3.0 * np.eye(a.shape[-1])


def _bspd(a):
    return bnp.matmul(a, bnp.swapaxes(a, -1, -2)) + 3.0 * np.eye(np.shape(a)[-1])


def _jspd(a):
    return a @ jnp.swapaxes(a, -1, -2) + 3.0 * jnp.eye(a.shape[-1])


# name: (backchain function, JAX function, arguments (batched along axis 0), whether NaNs are in them)
CASES = {
    "nansum": (lambda x: bnp.nansum(x, axis=1), lambda x: jnp.nansum(x, axis=1), [_nan((B, 3, 5), 1)]),
    "nanmean": (lambda x: bnp.nanmean(x, axis=0), lambda x: jnp.nanmean(x, axis=0), [_nan((B, 3, 5), 2)]),
    "nanvar": (lambda x: bnp.nanvar(x, axis=1, ddof=1), lambda x: jnp.nanvar(x, axis=1, ddof=1),
               [_nan((B, 3, 5), 3)]),
    "nanstd": (bnp.nanstd, jnp.nanstd, [_nan((B, 6), 4, every=4)]),
    "nanmax": (lambda x: bnp.nanmax(x, axis=-1), lambda x: jnp.nanmax(x, axis=-1), [_nan((B, 3, 5), 5)]),
    "nancumsum": (lambda x: bnp.nancumsum(x, axis=1), lambda x: jnp.nancumsum(x, axis=1), [_nan((B, 2, 5), 6)]),
    "nanprod": (bnp.nanprod, jnp.nanprod, [_nan((B, 5), 7, every=3)]),
    "median": (lambda x: bnp.median(x, axis=1), lambda x: jnp.median(x, axis=1), [RNG.normal(size=(B, 4, 3))]),
    "median_odd": (bnp.median, jnp.median, [RNG.normal(size=(B, 7))]),
    "quantile": (lambda x: bnp.quantile(x, np.array([0.1, 0.5, 0.9]), axis=-1),
                 lambda x: jnp.quantile(x, jnp.array([0.1, 0.5, 0.9]), axis=-1), [RNG.normal(size=(B, 2, 6))]),
    "quantile_q": (bnp.quantile, jnp.quantile, [RNG.normal(size=(B, 6)), RNG.uniform(0.05, 0.95, size=(B, 2))]),
    "percentile_midpoint": (lambda x: bnp.percentile(x, 30.0, method="midpoint"),
                            lambda x: jnp.percentile(x, 30.0, method="midpoint"), [RNG.normal(size=(B, 5))]),
    "nanquantile": (lambda x: bnp.nanquantile(x, np.array([0.25, 0.8]), axis=1),
                    lambda x: jnp.nanquantile(x, jnp.array([0.25, 0.8]), axis=1), [_nan((B, 2, 7), 8, every=3)]),
    "nanmedian": (lambda x: bnp.nanmedian(x, axis=0), lambda x: jnp.nanmedian(x, axis=0), [_nan((B, 5, 2), 9)]),
    "average": (lambda x, w: bnp.average(x, axis=1, weights=w), lambda x, w: jnp.average(x, axis=1, weights=w),
                [RNG.normal(size=(B, 2, 3)), RNG.uniform(0.5, 1.5, size=(B, 3))]),
    "interp": (lambda x, d, fp: bnp.interp(x, bnp.cumsum(d), fp), lambda x, d, fp: jnp.interp(x, jnp.cumsum(d), fp),
               [RNG.uniform(-0.5, 3.0, size=(B, 5)), RNG.uniform(0.3, 1.0, size=(B, 4)), RNG.normal(size=(B, 4))]),
    "lstsq": (lambda a, b: bnp.linalg.lstsq(a, b)[0], lambda a, b: jnp.linalg.lstsq(a, b)[0],
              [RNG.normal(size=(B, 5, 3)), RNG.normal(size=(B, 5))]),
    "polyfit": (lambda x, y: bnp.polyfit(x, y, 2), lambda x, y: jnp.polyfit(x, y, 2),
                [RNG.normal(size=(B, 6)), RNG.normal(size=(B, 6))]),
    "select": (lambda a, b: bnp.select([a > 0.3, b < -0.2], [a * b, b], 0.5),
               lambda a, b: jnp.select([a > 0.3, b < -0.2], [a * b, b], 0.5),
               [RNG.normal(size=(B, 5)), RNG.normal(size=(B, 5))]),
    "vander": (lambda x: bnp.vander(x, 4), lambda x: jnp.vander(x, 4), [RNG.normal(size=(B, 3))]),
    "ediff1d": (lambda x: bnp.ediff1d(x, to_begin=x[:1]), lambda x: jnp.ediff1d(x, to_begin=x[:1]),
                [RNG.normal(size=(B, 2, 3))]),
    "linspace": (lambda a, b: bnp.linspace(a, b, 5), lambda a, b: jnp.linspace(a, b, 5),
                 [RNG.normal(size=(B, 2)), RNG.normal(size=(B, 2))]),
    "insert": (lambda x, v: bnp.insert(x, [0, 2], v, axis=1), lambda x, v: jnp.insert(x, jnp.array([0, 2]), v, axis=1),
               [RNG.normal(size=(B, 2, 3)), RNG.normal(size=(B, 2, 2))]),
    "solve_triangular": (lambda a, b: _sla().solve_triangular(a + 4.0 * np.eye(3), b, lower=True),
                         lambda a, b: jsl.solve_triangular(a + 4.0 * jnp.eye(3), b, lower=True),
                         [RNG.normal(size=(B, 3, 3)), RNG.normal(size=(B, 3))]),
    "solve_triangular_T": (lambda a, b: _sla().solve_triangular(a + 4.0 * np.eye(3), b, trans=1),
                           lambda a, b: jsl.solve_triangular(a + 4.0 * jnp.eye(3), b, trans=1),
                           [RNG.normal(size=(B, 3, 3)), RNG.normal(size=(B, 3, 2))]),
    "cholesky": (lambda a: _sla().cholesky(_bspd(a), lower=True), lambda a: jsl.cholesky(_jspd(a), lower=True),
                 [RNG.normal(size=(B, 3, 3))]),
    "lu_solve": (lambda a, b: _sla().lu_solve(_sla().lu_factor(a + 3.0 * np.eye(3)), b),
                 lambda a, b: jsl.lu_solve(jsl.lu_factor(a + 3.0 * jnp.eye(3)), b),
                 [RNG.normal(size=(B, 3, 3)), RNG.normal(size=(B, 3))]),
    "mvn_logpdf": (lambda x, m, a: _stats().multivariate_normal.logpdf(x, m, _bspd(a)),
                   lambda x, m, a: jstats.multivariate_normal.logpdf(x, m, _jspd(a)),
                   [RNG.normal(size=(B, 2, 3)), RNG.normal(size=(B, 3)), RNG.normal(size=(B, 3, 3))]),
}
HAS_NAN = {"nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nancumsum", "nanprod", "nanquantile", "nanmedian"}
NOT_SMOOTH = {"select"}  # piecewise: its derivative is compared away from the switches only


def _sla():
    import backchain.scipy.linalg as sla

    return sla


def _stats():
    import backchain.scipy.stats as st

    return st


def _strict():
    """A block where a loop over the batch (BatchingWarning) is an error."""
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("error", BatchingWarning)
    return w


def _plain(v):
    return np.asarray(v.detach().data if isinstance(v, bc.Tensor) else v)


@pytest.mark.parametrize("name", list(CASES))
def test_values_as_jax_and_stacking(name):
    f, jf, args = CASES[name]
    w = _strict()
    try:
        got = bc.vmap(f)(*args)
    finally:
        w.__exit__(None, None, None)
    want = np.asarray(jax.vmap(jf)(*args))
    np.testing.assert_allclose(_plain(got), want, rtol=1e-9, atol=1e-11)
    stacked = np.stack([_plain(f(*[a[i] for a in args])) for i in range(B)])
    np.testing.assert_allclose(_plain(got), stacked, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", list(CASES))
def test_per_example_gradients_as_jax(name):
    f, jf, args = CASES[name]
    nums = tuple(range(len(args)))
    got = bc.vmap(bc.grad(lambda *a: bnp.sum(bnp.sin(f(*a))), argnums=nums))(*args)
    want = jax.vmap(jax.grad(lambda *a: jnp.sum(jnp.sin(jf(*a))), argnums=nums))(*args)
    for g, wnt in zip(got, want):
        wnt = np.asarray(wnt)
        if name in HAS_NAN:  # JAX's NaN-ignoring reductions send NaN or 0 to the NaN entries; ours 0
            wnt = np.where(np.isnan(wnt), 0.0, wnt)
        np.testing.assert_allclose(_plain(g), wnt, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", [n for n in CASES if n not in NOT_SMOOTH])
def test_derivatives_of_the_vmapped_function_by_finite_differences(name):
    f, _, args = CASES[name]
    if name in HAS_NAN:  # finite differences need finite inputs: the batched NaN masks are then empty
        args = [np.where(np.isnan(a), np.random.default_rng(5).normal(size=np.shape(a)), a) for a in args]
    check_first_order(bc.vmap(f), args, np.random.default_rng(0), rtol=1e-5, atol=1e-7)


def test_batched_quantile_checks_every_example():
    q = np.array([[0.2], [1.5]])
    with pytest.raises(ValueError, match="quantile: quantiles must be in the range \\[0, 1\\] in every example"):
        bc.vmap(bnp.quantile)(np.ones((2, 4)), q)
    with pytest.raises(ZeroDivisionError, match="average: weights sum to zero in an example"):
        bc.vmap(lambda x, w: bnp.average(x, weights=w))(np.ones((2, 3)), np.array([[1.0, 1, 1], [0, 0, 0]]))


def test_lstsq_rank_per_example():
    a = RNG.normal(size=(3, 4, 3))
    a[1, :, 2] = a[1, :, 0]  # rank 2
    b = RNG.normal(size=(3, 4))
    x, res, rank, s = bc.vmap(bnp.linalg.lstsq)(bc.tensor(a), b)
    assert rank.tolist() == [np.linalg.lstsq(ai, bi)[2] for ai, bi in zip(a, b)] == [3, 2, 3]
    np.testing.assert_allclose(x, np.stack([np.linalg.lstsq(ai, bi)[0] for ai, bi in zip(a, b)]), rtol=1e-9,
                               atol=1e-12)
    # ranks that differ: every example's residuals, as jax.vmap(jnp.linalg.lstsq) gives them
    jres = jax.vmap(jnp.linalg.lstsq)(a, b)[1]
    np.testing.assert_allclose(res, np.asarray(jres), rtol=1e-9)
    full = [np.linalg.lstsq(ai, bi)[1] for ai, bi in zip(a, b)]
    np.testing.assert_allclose(res[[0, 2]], np.stack([full[0], full[2]]), rtol=1e-9)
    # every example rank-deficient: NumPy's empty residuals
    a2 = a.copy()
    a2[:, :, 2] = a2[:, :, 0]
    assert bc.vmap(bnp.linalg.lstsq)(bc.tensor(a2), b)[1].shape == (3, 0)


def test_singular_covariance_one_example_at_a_time():
    st = _stats()
    b = RNG.normal(size=(3, 3, 2))
    w = RNG.normal(size=(3, 2))
    def f(w, b):
        return st.multivariate_normal.logpdf(bnp.matmul(b, w), None, bnp.matmul(b, bnp.swapaxes(b, 0, 1)),
                                             allow_singular=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchingWarning)
        got = bc.vmap(f)(w, b)
    want = [__import__("scipy.stats").stats.multivariate_normal.logpdf(bi @ wi, None, bi @ bi.T, allow_singular=True)
            for wi, bi in zip(w, b)]
    np.testing.assert_allclose(got, want, rtol=1e-9)


# -- torch.func.vmap: sampling grids, interpolation, max-pooling's Jacobian --------------------------

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _sampling():
    from backchain._rules import sampling

    return sampling


@pytest.mark.parametrize("mode,padding", [("bilinear", "zeros"), ("bilinear", "border"), ("nearest", "zeros"),
                                          ("bilinear", "reflection")])
def test_grid_sample_affine_grid_as_torch_func(mode, padding):
    S = _sampling()
    x = RNG.normal(size=(B, 2, 3, 5, 6))
    theta = np.eye(2, 3) + 0.3 * RNG.normal(size=(B, 2, 2, 3))

    def f(x, t):
        return S.grid_sample(x, S.affine_grid(t, x.shape, align_corners=False), mode=mode, padding_mode=padding,
                             align_corners=False)

    def tf(x, t):
        return TF.grid_sample(x, TF.affine_grid(t, list(x.shape), align_corners=False), mode=mode,
                              padding_mode=padding, align_corners=False)

    w = _strict()
    try:
        got = bc.vmap(f)(x, theta)
    finally:
        w.__exit__(None, None, None)
    want = torch.func.vmap(tf)(torch.tensor(x), torch.tensor(theta)).numpy()
    np.testing.assert_allclose(_plain(got), want, rtol=1e-9, atol=1e-11)
    if mode == "bilinear":
        g = bc.vmap(bc.grad(lambda x, t: bnp.sum(bnp.sin(f(x, t))), argnums=(0, 1)))(x, theta)
        tg = torch.func.vmap(torch.func.grad(lambda x, t: torch.sum(torch.sin(tf(x, t))), argnums=(0, 1)))(
            torch.tensor(x), torch.tensor(theta))
        for a, b in zip(g, tg):
            np.testing.assert_allclose(_plain(a), b.numpy(), rtol=1e-8, atol=1e-10)
        check_first_order(bc.vmap(f), [x, theta], np.random.default_rng(1))


def test_interpolate_as_torch_func():
    S = _sampling()
    x = RNG.normal(size=(B, 1, 2, 3, 4))
    f = lambda x: S.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False)  # noqa: E731
    w = _strict()
    try:
        got = bc.vmap(f)(x)
        near = bc.vmap(lambda x: S.interpolate(x, scale_factor=2))(x)
    finally:
        w.__exit__(None, None, None)
    want = torch.func.vmap(lambda x: TF.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False))(
        torch.tensor(x)).numpy()
    np.testing.assert_allclose(_plain(got), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(_plain(near), torch.func.vmap(lambda x: TF.interpolate(x, scale_factor=2))(
        torch.tensor(x)).numpy())


def test_max_pool_jacobian_as_torch_func():
    """``jacobian`` batches the cotangents through tiled max-pooling's routing rows (no loop)."""
    from backchain._rules import pool as P

    x = RNG.normal(size=(2, 3, 4, 6))
    w = _strict()
    try:
        jac = bc.jacobian(lambda x: P.max_pool2d(x, 2))(x)
        fwd = bc.jacobian(lambda x: P.max_pool2d(x, 2), mode="fwd")(x)
    finally:
        w.__exit__(None, None, None)
    want = torch.func.jacrev(lambda x: TF.max_pool2d(x, 2))(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(_plain(jac), want)
    np.testing.assert_array_equal(_plain(fwd), want)


# -- recurrent layers: the batch folded into the sequences ---------------------------------------------

@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_batch_without_a_loop(cls):
    import backchain.nn as nn

    bc.manual_seed(0)
    m = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True).double().requires_grad_(False)
    x = RNG.normal(size=(B, 5, 2, 3))
    f = lambda x: m(x)[0]  # noqa: E731
    loss = lambda x: bnp.sum(bnp.sin(f(x)))  # noqa: E731
    w = _strict()
    try:
        got = bc.vmap(f)(x)
        g = bc.vmap(bc.grad(loss))(x)
    finally:
        w.__exit__(None, None, None)
    np.testing.assert_allclose(_plain(got), np.stack([_plain(f(bc.tensor(xi))) for xi in x]), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(_plain(g), np.stack([_plain(bc.grad(loss)(xi)) for xi in x]), rtol=1e-10, atol=1e-12)
    check_first_order(bc.vmap(f), [x], np.random.default_rng(2))


def test_recurrent_layer_with_a_batched_mask():
    from backchain._rules import rnn as R

    x = RNG.normal(size=(B, 4, 2, 3))
    h0, c0 = RNG.normal(size=(2, 2)), RNG.normal(size=(2, 2))
    wi, wh = RNG.normal(size=(8, 3)), RNG.normal(size=(8, 2))
    mask = np.ones((B, 4, 2), dtype=bool)
    mask[1, 2:, 0] = False
    mask[3, 1:, 1] = False
    f = lambda x, m: R.lstm_layer(x, h0, c0, wi, wh, None, None, mask=m)  # noqa: E731
    w = _strict()
    try:
        got = bc.vmap(f)(x, mask)
    finally:
        w.__exit__(None, None, None)
    for k in range(3):
        np.testing.assert_allclose(_plain(got[k]), np.stack([f(x[i], mask[i])[k] for i in range(B)]), rtol=1e-12,
                                   atol=1e-13)


def test_solve_banded_batches():
    sla = _sla()
    ab = RNG.normal(size=(B, 3, 5))
    ab[:, 1] += 5.0
    b = RNG.normal(size=(B, 5))
    bm = RNG.normal(size=(B, 5, 2))
    f = lambda ab, b: sla.solve_banded((1, 1), ab, b)  # noqa: E731
    w = _strict()
    try:
        got, gotm = bc.vmap(f)(ab, b), bc.vmap(f)(ab, bm)
        g = bc.vmap(bc.grad(lambda ab, b: bnp.sum(bnp.sin(f(ab, b))), argnums=(0, 1)))(ab, b)
    finally:
        w.__exit__(None, None, None)
    import scipy.linalg as sl

    np.testing.assert_allclose(got, np.stack([sl.solve_banded((1, 1), a, v) for a, v in zip(ab, b)]), rtol=1e-12)
    np.testing.assert_allclose(gotm, np.stack([sl.solve_banded((1, 1), a, v) for a, v in zip(ab, bm)]), rtol=1e-12)
    for k in range(2):
        want = np.stack([bc.grad(lambda ab, b: bnp.sum(bnp.sin(f(ab, b))), argnums=(0, 1))(ab[i], b[i])[k]
                         for i in range(B)])
        np.testing.assert_allclose(g[k], want, rtol=1e-10, atol=1e-12)
    check_first_order(bc.vmap(f), [ab, bm], np.random.default_rng(3))


@pytest.mark.parametrize("groups,stride,padding,dilation", [(1, 1, 0, 1), (2, 2, 1, 1), (4, 1, 1, 2)])
@pytest.mark.parametrize("x_batched", [False, True])
def test_conv_with_a_weight_per_example_as_torch_func(groups, stride, padding, dilation, x_batched):
    """An ensemble of convolutions: on one input, one convolution with every model's filters (no loop);
    inputs and weights both per example run one convolution each."""
    import backchain.nn.functional as F

    x = RNG.normal(size=(B, 2, 4, 6, 7) if x_batched else (2, 4, 6, 7))
    w = RNG.normal(size=(B, 8, 4 // groups, 3, 3))
    b = RNG.normal(size=(B, 8))
    ax = (0 if x_batched else None, 0, 0)
    geo = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    f = lambda x, w, b: F.conv2d(x, w, b, **geo)  # noqa: E731
    tf = lambda x, w, b: TF.conv2d(x, w, b, **geo)  # noqa: E731
    loss = lambda *a: bnp.sum(bnp.sin(f(*a)))  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if x_batched else "error", BatchingWarning)
        got = bc.vmap(f, in_axes=ax)(x, w, b)
        gw = bc.vmap(bc.grad(loss, argnums=(1, 2)), in_axes=ax)(x, w, b)
    with warnings.catch_warnings():  # differentiated inside vmap, x is a variable per example: one each
        warnings.simplefilter("ignore", BatchingWarning)
        g = bc.vmap(bc.grad(loss, argnums=(0, 1, 2)), in_axes=ax)(x, w, b)
    for a, c in zip(gw, g[1:]):
        np.testing.assert_allclose(_plain(a), _plain(c), rtol=1e-12, atol=1e-13)
    t = [torch.tensor(v) for v in (x, w, b)]
    np.testing.assert_allclose(_plain(got), torch.func.vmap(tf, in_dims=ax)(*t).numpy(), rtol=1e-10, atol=1e-11)
    tg = torch.func.vmap(torch.func.grad(lambda *a: torch.sum(torch.sin(tf(*a))), argnums=(0, 1, 2)), in_dims=ax)(*t)
    for a, c in zip(g, tg):
        np.testing.assert_allclose(_plain(a), c.numpy(), rtol=1e-9, atol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchingWarning)
        check_first_order(bc.vmap(f, in_axes=ax), [x, w, b], np.random.default_rng(4))
