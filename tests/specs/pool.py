"""Spec rows for backchain/_rules/pool.py (samples away from ties; exact tie values in test_layers_pool.py)."""
import numpy as np

from backchain._rules import pool as P
from tests.specs import Spec


def distinct(rng, shape):
    """A random permutation of well-separated values: no two within 0.05 of each other."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1


W = ("pool_windows", "pool_windows_T")
M = W + ("window_max",)
T = ("tiled_max", "tiled_route", "tiled_gather")

SPECS = [
    Spec(lambda x: P.max_pool1d(x, 3, stride=2, padding=1, ceil_mode=True), [((2, 2, 8),)], prims=M,
         id="max_pool1d", domain=distinct),
    Spec(lambda x: P.max_pool2d(x, 2), [((2, 2, 4, 4),)], prims=T, id="max_pool2d", domain=distinct),
    Spec(lambda x: P.max_pool1d(x, 3), [((2, 2, 6),)], prims=T, id="max_pool1d-tiled", domain=distinct),
    Spec(lambda x: P.max_pool3d(x, (1, 2, 2)), [((1, 2, 2, 4, 2),)], prims=T, id="max_pool3d-tiled",
         domain=distinct),
    Spec(lambda x: P.max_pool2d(x, 2, return_indices=True)[0], [((1, 2, 4, 4),)], prims=M,
         id="max_pool2d-indices", domain=distinct),
    Spec(lambda x: P.max_pool2d(x, 3, stride=1, padding=1), [((1, 2, 4, 5),)], prims=M,
         id="max_pool2d-overlapping", domain=distinct),
    Spec(lambda x: P.max_pool2d(x, (3, 2), stride=2, dilation=(1, 2), ceil_mode=True), [((1, 1, 6, 7),)],
         prims=M, id="max_pool2d-dilation-ceil", domain=distinct),
    Spec(lambda x: P.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False), [((2, 2, 7),)], prims=W,
         id="avg_pool1d"),
    Spec(lambda x: P.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), [((1, 2, 6, 5),)], prims=W,
         id="avg_pool2d-ceil"),
    Spec(lambda x: P.avg_pool2d(x, 2, stride=1, divisor_override=3), [((1, 1, 3, 4),)], prims=W,
         id="avg_pool2d-divisor"),
    Spec(lambda x: P.adaptive_avg_pool1d(x, 3), [((2, 2, 7),)], prims=("matmul",), id="adaptive_avg_pool1d"),
    Spec(lambda x: P.adaptive_avg_pool2d(x, (2, 3)), [((1, 2, 5, 7),)], prims=("matmul",), id="adaptive_avg_pool2d"),
    Spec(lambda x: P.adaptive_max_pool2d(x, (2, 3)), [((1, 2, 5, 7),)], prims=("take_flat", "scatter_flat",
                                                                                  "window_max"),
         id="adaptive_max_pool2d", domain=distinct),
    Spec(lambda x: P.adaptive_max_pool1d(x, 4), [((2, 1, 7),)], prims=("take_flat", "window_max"),
         id="adaptive_max_pool1d", domain=distinct),
    Spec(lambda x: P.max_unpool2d(x, np.array([[[[0, 3], [9, 14]]]]), 2), [((1, 1, 2, 2),)],
         prims=("scatter_flat", "take_flat"), id="max_unpool2d"),
    Spec(lambda x: P.max_unpool1d(x, np.array([[[1, 1, 3]]]), 2, output_size=(5,)), [((1, 1, 3),)],
         prims=("scatter_flat",), id="max_unpool1d-repeated-index"),
]

COVERED_ELSEWHERE = {}
