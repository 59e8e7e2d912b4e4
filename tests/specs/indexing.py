"""Spec rows for backchain/_rules/indexing.py (getitem, take, select, sort, partition)."""
import numpy as np

import backchain as bc
import backchain.numpy as bnp
from backchain._rules.indexing import _scatter
from tests.specs import Spec

_MASK = np.array([[True, False, True], [False, False, True]])


def _away(points, margin=0.05):
    """avoid= helper for the first argument."""
    def avoid(x, *rest):
        return any(bool(np.any(np.abs(x - p) < margin)) for p in points)
    return avoid


def _distinct(x, *rest, margin=1e-3):
    """avoid= helper for sorting: no two entries closer than ``margin`` (no ties under perturbation)."""
    v = np.sort(np.ravel(x))
    return v.size > 1 and bool(np.min(np.diff(v)) < margin)


SPECS = [
    # getitem: basic
    Spec(lambda x: x[1], [((3,),), ((2, 3),)], prims=("getitem",), id="getitem_int", complex=True),
    Spec(lambda x: x[-1, ::2], [((2, 3),)], prims=("getitem",), id="getitem_negative_step"),
    Spec(lambda x: x[None, ..., 1:], [((2, 3),)], prims=("getitem",), id="getitem_none_ellipsis"),
    Spec(lambda x: x[()], [((),), ((2,),)], prims=("getitem",), id="getitem_empty_tuple"),
    Spec(lambda x: x[::-1] * x, [((3,),)], prims=("getitem",), id="getitem_reverse_nonlinear"),
    # getitem: advanced
    Spec(lambda x: x[[0, 0, 1]], [((3,),), ((2, 3),)], prims=("getitem", "index_add"), id="getitem_repeated",
         complex=True),
    Spec(lambda x: x[[-1, 0, -1]] ** 2, [((3,),)], prims=("getitem",), id="getitem_negative_repeated"),
    Spec(lambda x: x[np.array([[0, 1], [1, 1]]), np.array([2, 0])], [((2, 3),)], prims=("getitem",),
         id="getitem_pairs"),
    Spec(lambda x: x[_MASK], [((2, 3),)], prims=("getitem",), id="getitem_mask", complex=True),
    Spec(lambda x: x[:, np.array([True, False, True])] ** 2, [((2, 3),)], prims=("getitem",),
         id="getitem_mask_slice"),
    Spec(lambda x: x[[0, 1, 1], :, [1, 0, 1]], [((2, 3, 2),)], prims=("getitem",), id="getitem_split_advanced"),
    Spec(lambda x: x[..., [2, 2], None], [((2, 3),)], prims=("getitem",), id="getitem_ellipsis_advanced"),
    Spec(lambda x: x[bc.tensor([1, 0, 1])] * x[bc.tensor(1)], [((3,),)], prims=("getitem",),
         id="getitem_tensor_index"),
    Spec(lambda x: _scatter(x, shape=(4, 3), index=(np.array([0, 0, 2]),)), [((3, 3),)], prims=("index_add",),
         id="index_add", complex=True),
    Spec(lambda x: _scatter(x, shape=(3, 4), index=(slice(None), slice(1, 3))) ** 2, [((3, 2),)],
         prims=("index_add",), id="index_add_basic"),
    # take
    Spec(lambda x: bnp.take(x, [3, 0, 3]), [((2, 3),)], prims=("getitem",), id="take"),
    Spec(lambda x: bnp.take(x, [[2, 0], [0, 0]], axis=1), [((2, 3),)], prims=("getitem",), id="take_axis"),
    Spec(lambda x: bnp.take(x, [-1, 4, 7], axis=0, mode="wrap"), [((3, 2),)], prims=("getitem",),
         id="take_wrap"),
    Spec(lambda x: bnp.take(x, [-1, 4, 1], mode="clip") ** 2, [((3,),)], prims=("getitem",), id="take_clip"),
    Spec(lambda x: bnp.take_along_axis(x, np.array([[0, 0, 2], [1, 2, 1]]), axis=1), [((2, 3),)],
         prims=("getitem",), id="take_along_axis", complex=True),
    Spec(lambda x: bnp.take_along_axis(x, np.array([[1], [1]]), axis=0), [((2, 3),)], prims=("getitem",),
         id="take_along_axis_broadcast"),
    Spec(lambda x: bnp.take_along_axis(x, np.array([4, 0, 4]), axis=None) ** 2, [((2, 3),)],
         prims=("getitem",), id="take_along_axis_none"),
    # select, choose, compress, extract
    Spec(lambda a, b: bnp.select([bnp.greater(a, 0.5), bnp.less(b, -0.5)], [a * b, b], default=0.25),
         [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3))], prims=("where",), id="select", broadcast=True,
         avoid=lambda a, b: bool(np.any(np.abs(a - 0.5) < 0.05) or np.any(np.abs(b + 0.5) < 0.05))),
    Spec(lambda a, b, d: bnp.select([_MASK, _MASK[::-1]], [a, b], d), [((2, 3), (3,), ())], prims=("where",),
         id="select_default_tensor"),
    Spec(lambda a, b: bnp.choose(np.array([[0, 1, 1], [1, 0, 0]]), [a, b]), [((2, 3), (3,))],
         prims=("where",), id="choose"),
    Spec(lambda x: bnp.compress([True, False, True], x, axis=1), [((2, 3),)], prims=("getitem",),
         id="compress"),
    Spec(lambda x: bnp.extract(_MASK, x), [((2, 3),)], prims=("getitem",), id="extract"),
    # sort and partition (samples keep entries apart: ties are pinned in test_indexing_kinks.py)
    Spec(lambda x: bnp.sort(x), [((4,),), ((2, 3),)], prims=("sort",), id="sort", avoid=_distinct),
    Spec(lambda x: bnp.sort(x, axis=0) * bnp.arange(1.0, 4.0), [((3, 3),)], prims=("sort",), id="sort_axis0",
         avoid=_distinct),
    Spec(lambda x: bnp.sort(x, axis=None) ** 2, [((2, 3),)], prims=("sort",), id="sort_flat", avoid=_distinct),
    Spec(lambda x: bnp.sort(x)[..., :2], [((2, 3),)], prims=("sort",), id="sort_complex", avoid=_distinct,
         complex=True),
    Spec(lambda x: bnp.partition(x, 1)[..., 1], [((4,),), ((2, 3),)], prims=("getitem",), id="partition",
         avoid=_distinct),
    Spec(lambda x: bnp.partition(x, (0, 2), axis=0)[np.array([0, 2])] ** 2, [((3, 2),)], prims=("getitem",),
         id="partition_kths", avoid=_distinct),
]

COVERED_ELSEWHERE = {}
