"""Indexing: basic and advanced ``__getitem__``, take, take_along_axis, select, sort, partition.

Gathering is one primitive (``getitem``); its VJP scatters the cotangent back
into zeros (``index_add``), where repeated indices add up. ``sort`` is a
primitive of its own so that its tie convention sits in one place: the gradient
of each output goes to the input it was taken from, in stable order.
Index arguments are never differentiated; Tensor indices are used by value.
"""
import operator

import numpy as np

import backchain.numpy as bnp
from .. import _ld
from .._core.primitive import primitive
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked, stacked_each
from .._vmap import rules as R

__all__ = [
    "getitem", "take", "take_along_axis", "select", "choose", "compress", "extract", "sort", "partition",
]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _axis(axis, ndim, op):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{op}: axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


# -- getitem and its transpose ----------------------------------------------------------------

def _no_repeats(index):
    """True when ``index`` cannot select an element twice: basic items and boolean masks only."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)):
            continue
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            continue
        return False
    return True


def _scatter_impl(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype)
    if _no_repeats(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


_scatter = primitive(
    "index_add", _scatter_impl,
    vjp=(lambda g, ans, x, shape, index: getitem(g, index),),
    linear=True,
    doc="Zeros of `shape` with `x` added at `index`: the transpose of getitem.",
    batch=R.index_add_rule,
)


def _getitem_vjp(g, ans, x, index):
    return _scatter(g, shape=np.shape(x), index=index)


_getitem = primitive("getitem", lambda x, index: x[index], vjp=(_getitem_vjp,), linear=True, batch=R.getitem_rule)


def _clean_item(i):
    if isinstance(i, Tensor):
        return i._data
    if isinstance(i, list):
        flat = [_clean_item(v) for v in i]
        if any(v is None or v is Ellipsis or isinstance(v, slice) for v in flat):
            return tuple(flat)
        return np.asarray(flat)
    return i


def _clean_index(index):
    """The index with Tensors replaced by their data and lists by arrays."""
    if isinstance(index, tuple):
        return tuple(_clean_item(i) for i in index)
    return _clean_item(index)


def getitem(x, index):
    """``x[index]`` for basic and advanced indices, differentiable in ``x``.

    Integers, slices, ``None``, ``Ellipsis``, integer arrays, boolean masks and
    their combinations, as in NumPy. Tensor indices are used by value. The VJP
    places the cotangent back where it came from; repeated indices add up.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: x[[0, 0, 1]].sum())(bnp.array([1.0, 2.0, 3.0]))
    array([2., 1., 0.])
    """
    index = _clean_index(index)
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not isinstance(x, Tensor):
        if not any(getattr(i, "_batched", False) for i in (index if isinstance(index, tuple) else (index,))):
            return x[index]
        x = Tensor(x)  # a batched index (inside vmap): the row's batching rule gathers per example
    return _getitem(x, index=_own_copy(index) if x.requires_grad else index)


def _own_copy(index):
    """The index with its arrays copied: the node keeps its own, so a later write into the
    caller's index array cannot move the gradient (the arrays are small next to the gather)."""
    if isinstance(index, tuple):
        return tuple(np.array(i) if type(i) is np.ndarray else i for i in index)
    return np.array(index) if type(index) is np.ndarray else index


# -- take and friends (composites of getitem) ---------------------------------------------------

def _take_index(indices, n, mode, op):
    idx = np.asarray(_data(indices))
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            idx = idx.astype(np.intp)
        else:
            raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    if mode == "wrap":
        return idx % n if n else idx
    if mode == "clip":
        return np.clip(idx, 0, max(n - 1, 0))
    if mode != "raise":
        raise ValueError(f"{op}: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"{op}: index out of range for an axis of length {n} "
                         f"(indices from {idx.min()} to {idx.max()})")
    return idx


def take(a, indices, axis=None, out=None, mode="raise"):
    """``numpy.take``, differentiable in ``a``: a gather along ``axis`` (flattened if None)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.take(a, _data(indices), axis=axis, out=out, mode=mode)
    if out is not None:
        raise TypeError("take: out= is not supported for differentiable arrays")
    if axis is None:
        a, axis = bnp.ravel(a), 0
    axis = _axis(axis, a.ndim, "take")
    idx = _take_index(indices, a.shape[axis], mode, "take")
    return getitem(a, (slice(None),) * axis + (idx,))


def _along_axis_index(shape, indices, axis):
    nd = len(shape)
    index = []
    for d in range(nd):
        if d == axis:
            index.append(indices)
        else:
            ish = [1] * nd
            ish[d] = shape[d]
            index.append(np.arange(shape[d]).reshape(ish))
    return tuple(index)


def take_along_axis(arr, indices, axis=-1):
    """``numpy.take_along_axis``, differentiable in ``arr`` (repeated indices add up in the VJP)."""
    indices = _data(indices)
    if arr.__class__ is list or arr.__class__ is tuple:
        arr = stacked(arr)
    batched = getattr(indices, "_batched", False)  # inside vmap, one set of indices per example
    if not isinstance(arr, Tensor) and not batched:
        return np.take_along_axis(arr, indices, axis=axis)
    if not batched:
        indices = np.asarray(indices)
    if axis is None:
        arr, axis = bnp.ravel(arr), 0
    if indices.ndim != arr.ndim:
        raise ValueError(f"take_along_axis: indices of shape {indices.shape} and arr of shape {arr.shape} "
                         "must have the same number of dimensions")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    axis = _axis(axis, arr.ndim, "take_along_axis")
    return getitem(arr, _along_axis_index(arr.shape, indices, axis))


def _any_tensor(seq):
    return any(isinstance(a, Tensor) for a in seq)


def select(condlist, choicelist, default=0):
    """``numpy.select``, differentiable in the choices and ``default``.

    The first condition that holds picks its choice; written as a chain of
    ``where``, so unselected choices receive exact zeros.
    """
    # a condition batched inside vmap stays batched (its examples differ)
    condlist = [c if getattr(c, "_batched", False) else np.asarray(_data(c)) for c in condlist]
    choicelist = stacked_each(choicelist)
    if default.__class__ is list or default.__class__ is tuple:
        default = stacked(default)
    if not _any_tensor(choicelist) and not isinstance(default, Tensor) and not _any_tensor(condlist):
        return np.select(condlist, choicelist, default)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: list of cases ({len(condlist)}) must be the same length as the list of "
                         f"conditions ({len(choicelist)})")
    for k, c in enumerate(condlist):
        if c.dtype != np.bool_:
            raise TypeError(f"select: condlist[{k}] must be boolean, got dtype {c.dtype}")
    result = default
    for c, choice in zip(reversed(condlist), reversed(choicelist)):
        result = bnp.where(c, choice, result)
    shape = np.broadcast_shapes(*[np.shape(_data(v)) for v in condlist + choicelist + [default]])
    if np.shape(_data(result)) != shape:
        result = bnp.broadcast_to(result, shape)
    return result


def choose(a, choices, out=None, mode="raise"):
    """``numpy.choose``, differentiable in the choices (``a`` is an index array)."""
    a = np.asarray(_data(a))
    choices = stacked_each(choices)
    if not _any_tensor(choices):
        return np.choose(a, choices, out=out, mode=mode)
    if out is not None:
        raise TypeError("choose: out= is not supported for differentiable arrays")
    n = len(choices)
    a = _take_index(a, n, mode, "choose") % max(n, 1)
    return select([a == k for k in range(n)], choices, np.zeros((), dtype=np.result_type(
        *[_data(c) for c in choices])))


def compress(condition, a, axis=None, out=None):
    """``numpy.compress``, differentiable in ``a``."""
    condition = np.asarray(_data(condition))
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.compress(condition, a, axis=axis, out=out)
    if condition.ndim != 1:
        raise ValueError(f"compress: condition must be a 1-d array, got shape {condition.shape}")
    return take(a, np.nonzero(condition)[0], axis=axis)


def extract(condition, arr):
    """``numpy.extract``: the elements of ``arr`` where ``condition`` is true, differentiable in ``arr``."""
    condition = np.asarray(_data(condition))
    if arr.__class__ is list or arr.__class__ is tuple:
        arr = stacked(arr)
    if not isinstance(arr, Tensor):
        return np.extract(condition, arr)
    return take(bnp.ravel(arr), np.nonzero(np.ravel(condition))[0])


# -- sorting ----------------------------------------------------------------------------------

def _stable_order(x, axis, ans=None):
    """``argsort(x, kind="stable")``, from the faster default sort when no two entries tie.

    ``ans``, the sorted ``x`` if known, saves a gather in the tie check.
    """
    x = np.asarray(_data(x))
    perm = np.argsort(x, axis=axis)
    n = x.shape[axis]
    if n > 1:
        v = np.take_along_axis(x, perm, axis=axis) if ans is None else np.asarray(_data(ans))
        lo = np.take(v, np.arange(n - 1), axis=axis)
        hi = np.take(v, np.arange(1, n), axis=axis)
        if np.any(lo == hi) or np.any(np.count_nonzero(v != v, axis=axis) > 1):  # ties, or several NaNs
            perm = np.argsort(x, axis=axis, kind="stable")
    return perm


def _sort_vjp(g, ans, x, axis):
    # Ties: each output's cotangent goes back to the input it was taken from, in stable
    # order (DESIGN.md section 4). The transpose of a permutation is its inverse.
    perm = _stable_order(x, axis, ans)
    if not isinstance(g, Tensor):  # first order: scatter directly
        out = np.empty_like(g)
        np.put_along_axis(out, perm, g, axis=axis)
        return out
    inv = np.empty_like(perm)
    ranks = np.arange(perm.shape[axis]).reshape([-1 if d == axis else 1 for d in range(perm.ndim)])
    np.put_along_axis(inv, perm, np.broadcast_to(ranks, perm.shape), axis=axis)
    return take_along_axis(g, inv, axis)


def _sort_jvp(t, ans, x, axis):
    return take_along_axis(bnp.broadcast_to(t, np.shape(x)), _stable_order(x, axis, ans), axis)


_sort = primitive(
    "sort", lambda x, axis: np.sort(x, axis=axis),
    vjp=(_sort_vjp,), jvp=(_sort_jvp,),
    ld=_ld.SORT, kinks="ties: stable order, each output's gradient goes to the input it was taken from",
    batch=R.flat_axis,
)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.sort``, differentiable.

    At ties the gradient of each output goes to the input it was taken from,
    in the order of a stable sort (``argsort(kind="stable")``).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.sort(x) * bnp.array([1.0, 2.0, 3.0])))(bnp.array([3.0, 1.0, 1.0]))
    array([3., 1., 2.])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise ValueError("sort: order= applies to structured arrays, which cannot be differentiated")
    if axis is None:
        a, axis = bnp.ravel(a), 0
    if a.ndim == 0:
        raise np.exceptions.AxisError(f"sort: axis {axis} is out of bounds for array of dimension 0")
    return _sort(a, axis=_axis(axis, a.ndim, "sort"))


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``, differentiable: a gather with ``argpartition``'s order.

    Each output's gradient goes to the input it was taken from. The order of the
    elements on either side of ``kth`` is unspecified, as in NumPy.
    """
    kth = _data(kth)
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    if order is not None:
        raise ValueError("partition: order= applies to structured arrays, which cannot be differentiated")
    if axis is None:
        a, axis = bnp.ravel(a), 0
    axis = _axis(axis, a.ndim, "partition")
    perm = np.argpartition(a._data, kth, axis=axis, kind=kind)
    return take_along_axis(a, perm, axis)
