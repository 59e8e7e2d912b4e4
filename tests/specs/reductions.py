"""Spec rows for backchain/_rules/reductions.py."""
import numpy as np

import backchain.numpy as bnp
from tests.specs import Spec

U = [((),), ((3,),), ((2, 3),)]
M = [((3,),), ((2, 3),)]            # at least one axis to reduce
M2 = [((2, 3),), ((2, 3, 2),)]      # at least two axes


def spread(x, *rest, gap=0.03):
    """avoid= helper: reject samples with two values closer than ``gap`` (ties, sort order changes)."""
    v = np.sort(np.real(np.ravel(x)))
    return bool(v.size > 1 and np.min(np.diff(v)) < gap)


def with_zeros(k):
    """domain= helper: uniform in (-2, 2) with ``k`` elements set exactly to zero."""
    def draw(rng, shape):
        a = rng.uniform(-2, 2, size=shape)
        if a.size >= k:
            flat = a.reshape(-1)
            flat[rng.choice(a.size, size=k, replace=False)] = 0.0
        return a
    return draw


def with_nan(rng, shape):
    """domain= helper: uniform in (-2, 2) with one NaN (when there are at least two elements)."""
    a = rng.uniform(-2, 2, size=shape)
    if a.size >= 2:
        a.reshape(-1)[rng.integers(a.size)] = np.nan
    return a


SPECS = [
    # sum (linear)
    Spec(bnp.sum, U, prims=("sum",), complex=True),
    Spec(lambda x: bnp.sum(x, axis=-1, keepdims=True), M, prims=("sum",), id="sum_axis-1_keepdims", complex=True),
    Spec(lambda x: bnp.sum(x, axis=(0, 2)), [((2, 3, 2),)], prims=("sum",), id="sum_axis02"),
    Spec(lambda x: bnp.sum(x, axis=1, where=np.array([True, False, True])), [((2, 3),)], prims=("sum",),
         id="sum_where"),
    # mean
    Spec(bnp.mean, U, prims=("sum", "divide"), id="mean", complex=True),
    Spec(lambda x: bnp.mean(x, axis=0, keepdims=True), M2, prims=("sum",), id="mean_axis0_keepdims"),
    # prod: smooth everywhere, so finite differences hold at zeros too
    Spec(bnp.prod, U, prims=("prod",), complex=True),
    Spec(lambda x: bnp.prod(x, axis=1), M2, prims=("prod",), id="prod_axis1"),
    Spec(lambda x: bnp.prod(x, axis=(0, -1), keepdims=True), [((2, 3, 2),)], prims=("prod",),
         id="prod_axis0-1_keepdims"),
    Spec(bnp.prod, [((4,),), ((2, 3),)], prims=("prod",), id="prod_one_zero", domain=with_zeros(1)),
    Spec(bnp.prod, [((4,),), ((2, 3),)], prims=("prod",), id="prod_two_zeros", domain=with_zeros(2)),
    Spec(lambda x: bnp.prod(x, axis=0), [((3, 2),)], prims=("prod",), id="prod_axis0_zeros",
         domain=with_zeros(2)),
    # max / min, away from ties
    Spec(bnp.max, U, prims=("amax",), avoid=spread),
    Spec(lambda x: bnp.amax(x, axis=0, keepdims=True), M2, prims=("amax",), id="amax_axis0_keepdims",
         avoid=spread),
    Spec(bnp.min, U, prims=("amin",), avoid=spread),
    Spec(lambda x: bnp.amin(x, axis=(-1,)), M2, prims=("amin",), id="amin_axis-1", avoid=spread),
    Spec(lambda x: bnp.ptp(x, axis=1), M2, prims=("amax", "amin"), id="ptp_axis1", avoid=spread),
    # variance and standard deviation
    Spec(bnp.var, M, prims=("sum",), id="var", complex=True),
    Spec(lambda x: bnp.var(x, axis=1, ddof=1, keepdims=True), M2, prims=("sum",), id="var_ddof1"),
    Spec(bnp.std, M, prims=("std",), complex=True),
    Spec(lambda x: bnp.std(x, axis=0, ddof=1), M2, prims=("std",), id="std_axis0_ddof1"),
    Spec(lambda x: bnp.std(x, axis=(0, 2), keepdims=True), [((2, 3, 2),)], prims=("std",),
         id="std_axis02_keepdims"),
    Spec(lambda x: bnp.std(x, axis=1, where=np.array([True, False, True, True])), [((2, 4),)], prims=("std",),
         id="std_where"),
    # average, differentiable in both a and weights
    Spec(lambda a, w: bnp.average(a, weights=w), [((3,), (3,)), ((2, 3), (2, 3))], prims=("sum",),
         id="average_weights", domain=(0.5, 2.0)),
    Spec(lambda a, w: bnp.average(a, axis=1, weights=w), [((2, 3), (3,))], prims=("sum",),
         id="average_axis1_1d_weights", domain=(0.5, 2.0)),
    Spec(lambda a, w: bnp.average(a, axis=0, weights=w, returned=True)[1] * bnp.average(a, axis=0, weights=w),
         [((2, 3), (2, 3))], prims=("sum",), id="average_returned", domain=(0.5, 2.0)),
    Spec(lambda a: bnp.average(a, axis=-1, keepdims=True), M2, prims=("sum",), id="average_no_weights"),
    # cumulative
    Spec(bnp.cumsum, U, prims=("cumsum",), complex=True),
    Spec(lambda x: bnp.cumsum(x, axis=0), M2, prims=("cumsum",), id="cumsum_axis0"),
    Spec(lambda x: bnp.cumsum(x, axis=-1), M2, prims=("cumsum",), id="cumsum_axis-1"),
    Spec(bnp.cumprod, U, prims=("cumprod",), complex=True),
    Spec(lambda x: bnp.cumprod(x, axis=0), M2, prims=("cumprod",), id="cumprod_axis0"),
    Spec(lambda x: bnp.cumprod(x, axis=-1), [((5,),), ((2, 4),)], prims=("cumprod",), id="cumprod_one_zero",
         domain=with_zeros(1)),
    Spec(lambda x: bnp.cumprod(x, axis=-1), [((6,),), ((2, 4),)], prims=("cumprod",), id="cumprod_two_zeros",
         domain=with_zeros(2)),
    Spec(lambda x: bnp.cumprod(x, axis=0), [((4, 2),)], prims=("cumprod",), id="cumprod_axis0_zeros",
         domain=with_zeros(3)),
    # NaN-ignoring variants: NaN entries get a zero gradient
    Spec(bnp.nansum, M, prims=("sum",), id="nansum", domain=with_nan),
    Spec(lambda x: bnp.nanmean(x, axis=1), [((2, 3),)], prims=("sum",), id="nanmean_axis1", domain=with_nan),
    Spec(bnp.nanprod, M, prims=("prod",), id="nanprod", domain=with_nan),
    Spec(bnp.nanmax, M, prims=("amax",), id="nanmax", domain=with_nan, avoid=spread),
    Spec(lambda x: bnp.nanmin(x, axis=0), [((3, 2),)], prims=("amin",), id="nanmin_axis0", domain=with_nan,
         avoid=spread),
    Spec(lambda x: bnp.nanvar(x, axis=1, ddof=1), [((2, 4),)], prims=("sum",), id="nanvar_ddof1",
         domain=with_nan),
    Spec(bnp.nanstd, [((4,),), ((2, 3),)], prims=("std",), id="nanstd", domain=with_nan),
    Spec(lambda x: bnp.nancumsum(x, axis=0), [((3, 2),)], prims=("cumsum",), id="nancumsum", domain=with_nan),
    Spec(bnp.nancumprod, M, prims=("cumprod",), id="nancumprod", domain=with_nan),
    # median: composite of getitem; away from ties (the sort order must not change)
    Spec(bnp.median, [((3,),), ((4,),), ((2, 3),)], prims=("getitem",), id="median", avoid=spread),
    Spec(lambda x: bnp.median(x, axis=1, keepdims=True), [((2, 4),), ((2, 3, 2),)], prims=("getitem",),
         id="median_axis1_keepdims", avoid=spread),
    Spec(lambda x: bnp.median(x, axis=(0, 2)), [((2, 3, 2),)], prims=("getitem",), id="median_axis02",
         avoid=spread),
    # quantile / percentile: gathers of order statistics, linear interpolation between two of them
    Spec(lambda x: bnp.quantile(x, [0.1, 0.5, 0.95]), [((4,),), ((2, 3),)], prims=("getitem",), id="quantile",
         avoid=spread),
    Spec(lambda x: bnp.quantile(x, 0.3, axis=1, keepdims=True), [((2, 4),)], prims=("getitem",),
         id="quantile_axis1_keepdims", avoid=spread),
    Spec(lambda x: bnp.percentile(x, [[20.0], [70.0]], axis=0, method="midpoint"), [((4, 2),)],
         prims=("getitem",), id="percentile_midpoint", avoid=spread),
    Spec(lambda x: bnp.quantile(x, 0.4, method="nearest") + bnp.quantile(x, 0.4, method="lower")
         + bnp.quantile(x, 0.4, method="higher"), [((5,),)], prims=("getitem",), id="quantile_methods",
         avoid=spread),
    # NaN-aware: order statistics among the values that are not NaN (NaN gets a zero gradient)
    Spec(lambda x: bnp.nanquantile(x, [0.2, 0.7], axis=1), [((2, 5),)], prims=("getitem",), id="nanquantile",
         domain=with_nan, avoid=spread),
    Spec(lambda x: bnp.nanmedian(x, axis=0) + bnp.nanpercentile(x, 40.0, axis=0, method="midpoint"),
         [((5, 2),)], prims=("getitem",), id="nanmedian_nanpercentile", domain=with_nan, avoid=spread),
    Spec(lambda x: bnp.cumulative_sum(x, axis=1, include_initial=True), [((2, 3),)], prims=("cumsum",),
         id="cumulative_sum"),
    Spec(lambda x: bnp.cumulative_prod(x, include_initial=True), [((4,),)], prims=("cumprod",),
         id="cumulative_prod"),
    Spec(lambda x: bnp.cov(x), [((3, 5),), ((4,),)], prims=("matmul",), id="cov", complex=True),
    Spec(lambda x, y: bnp.cov(x, y, rowvar=False, ddof=0), [((5, 2), (5,))], prims=("matmul",), id="cov_xy"),
    Spec(lambda x: bnp.corrcoef(x)[0, 1:], [((3, 6),)], prims=("matmul",), id="corrcoef"),
    # differentiable in q too (method 'linear'), away from q on an order statistic
    Spec(lambda x, q: bnp.quantile(x, q), [((4,), (2,))], prims=("getitem",), id="quantile_in_q",
         domain=(0.05, 0.3), avoid=lambda x, q: spread(x) or bool(np.any(np.abs(q * 3 - np.round(q * 3)) < 0.05))),
]

COVERED_ELSEWHERE = {}
