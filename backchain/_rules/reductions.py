"""Reductions: sums, means, products, max/min with ties, statistics, cumulative ops.

All take NumPy's ``axis`` (None, an int, a negative int or a tuple) and
``keepdims``. Called with no Tensor among the arguments, each public function
is the NumPy function itself (the fast path). The VJP of a reduction broadcasts
the cotangent back over the reduced axes (``_expand``).

Primitives: ``sum``, ``prod``, ``amax``, ``amin``, ``std``, ``cumsum``,
``cumprod``. Everything else (mean, var, ptp, average, median, the nan*
variants) is a composite of these and of elementwise/indexing primitives.

Kinks (DESIGN.md section 4):

* ``amax``/``amin`` with ties: the ties policy of ``backchain.kinks``; by
  default the cotangent is split evenly among the tied elements (min-norm
  subgradient), "first" reproduces ``torch.max(dim)``;
* ``std`` at zero variance: derivative 0 (min-norm subgradient), never NaN;
* ``median``: sort ties stable; the gradient goes to the middle element(s) of
  the stable sort, 0.5 / 0.5 to the two middle ones for an even count.
"""
import numpy as np

import backchain.numpy as bnp
from ..kinks import tie_weights
from .. import _ld
from .._core.primitive import primitive
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked
from .._vmap import rules as R

__all__ = [
    "sum", "mean", "prod", "max", "amax", "min", "amin", "ptp", "var", "std", "average",
    "cumsum", "cumprod", "nansum", "nanmean", "nanprod", "nanmax", "nanmin", "nanvar", "nanstd",
    "nancumsum", "nancumprod", "median", "quantile", "percentile", "nanmedian", "nanquantile", "nanpercentile",
    "cumulative_sum", "cumulative_prod", "cov", "corrcoef",
]


# -- helpers ------------------------------------------------------------------

def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _shape_of(a):
    return np.shape(_data(a))


def _traced(a):
    return isinstance(a, Tensor) and a.requires_grad


def _norm_axis(axis, ndim, op="reduction"):
    """``axis`` as a sorted tuple of non-negative ints (None: all axes)."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    out = []
    for a in axis:
        try:
            a = int(a.__index__())
        except (AttributeError, TypeError):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}") from None
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(f"{op}: axis {a} is out of bounds for array of dimension {ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: duplicate value in 'axis': {axis!r}")
    return tuple(sorted(out))


def _one_axis(axis, ndim, op):
    """A single ``axis`` as a non-negative int."""
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    return _norm_axis(axis, ndim, op)[0]


def _count(shape, axes):
    return int(np.prod([shape[i] for i in axes], dtype=np.int64)) if axes else 1


def _by_count(s, n):
    """``s / n`` for an element count ``n``; a zero Python count becomes a 0-d array of ``s``'s real dtype.

    Empty slices give NaN or inf as in NumPy; the divide rule's ``1.0 / n`` would raise
    ZeroDivisionError on a Python 0 in backward.
    """
    if isinstance(n, (int, float)) and n == 0:
        n = np.zeros((), dtype=_real_dtype(np.result_type(_data(s))))
    return s / n


def _expand(g, x, axis, keepdims):
    """Broadcast a reduction's cotangent ``g`` back to the shape of ``x``."""
    shape = np.shape(x)
    if not keepdims:
        kept = list(shape)
        for a in axis:
            kept[a] = 1
        g = bnp.reshape(g, tuple(kept))
    return bnp.broadcast_to(g, shape)


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _out_shape(shape, axes, keepdims):
    if keepdims:
        return _kept_shape(shape, axes)
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _np_kwargs(**kw):
    """Keyword arguments for the NumPy call, leaving out the ones not given (None)."""
    return {k: v for k, v in kw.items() if v is not None}


def _no_out(op, out):
    if out is not None:
        raise TypeError(f"{op}: out= is not supported when an argument is a Tensor; assign the result instead")


def _real_dtype(dtype):
    return np.empty(0, dtype=dtype).real.dtype


def _to_last(x, axes):
    """Move ``axes`` of ``x`` to the end and merge them into one: shape ``(*kept, n)``.

    Returns the reshaped array and the function that undoes it for an array
    of the same shape.
    """
    shape = _shape_of(x)
    nd = len(shape)
    rest = [i for i in range(nd) if i not in axes]
    perm = tuple(rest) + tuple(axes)
    kept = tuple(shape[i] for i in rest)
    n = _count(shape, axes)
    moved = tuple(shape[i] for i in perm)
    inv = tuple(np.argsort(perm))
    y = bnp.reshape(bnp.transpose(x, perm), kept + (n,)) if perm != tuple(range(nd)) else bnp.reshape(x, kept + (n,))

    def back(z):
        z = bnp.reshape(z, moved)
        return bnp.transpose(z, inv) if perm != tuple(range(nd)) else z

    return y, back


def _flip(a, axis):
    """``a`` reversed along ``axis`` (a basic index, so differentiable as getitem)."""
    return bnp.getitem(a, (slice(None),) * axis + (slice(None, None, -1),))


# -- sum ----------------------------------------------------------------------

_sum = primitive(
    "sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
    vjp=(lambda g, ans, x, axis, keepdims: _expand(g, x, axis, keepdims),),
    linear=True,
    batch=R.reduce_axis,
)


def _apply_where(a, where, neutral):
    """``a`` with the elements outside ``where`` replaced by ``neutral`` (their gradient is 0)."""
    if where is None:
        return a
    mask = np.asarray(_data(where), dtype=bool)
    return bnp.where(mask, a, neutral)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.sum``, differentiable.

    ``initial`` is added to the sum; elements outside ``where`` get a zero gradient.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(x * x, axis=0).sum())(bnp.array([[1.0], [2.0]]))
    array([[2.],
           [4.]])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                      **_np_kwargs(initial=initial, where=where))
    _no_out("sum", out)
    if dtype is not None:
        a = bnp.astype(a, dtype)
    a = _apply_where(a, where, 0)
    s = _sum(a, axis=_norm_axis(axis, len(_shape_of(a)), "sum"), keepdims=bool(keepdims))
    return s if initial is None else s + initial


def _float_dtype(a, dtype):
    """NumPy's accumulation dtype for mean/var: float64 for integer and bool input."""
    if dtype is None and (a.dtype if isinstance(a, Tensor) else np.asarray(a).dtype).kind in "biu":
        return np.float64
    return dtype


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """``numpy.mean``, differentiable; elements outside ``where`` get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **_np_kwargs(where=where))
    _no_out("mean", out)
    shape = _shape_of(a)
    axes = _norm_axis(axis, len(shape), "mean")
    s = sum(a, axis=axes, dtype=_float_dtype(a, dtype), keepdims=keepdims, where=where)
    if where is None:
        return _by_count(s, _count(shape, axes))
    n = np.sum(np.broadcast_to(np.asarray(_data(where), dtype=bool), shape), axis=axes, keepdims=keepdims)
    return s / n.astype(_real_dtype(s.dtype))


# -- prod ---------------------------------------------------------------------

def _exclusive_products(x):
    """``out[..., i] = prod_{j != i} x[..., j]``, exact with zeros, no division.

    A plain array ``x`` takes exclusive prefix and suffix products, O(n). A
    traced ``x`` (derivatives of higher order) is recorded: ``prod(x) / x`` when
    ``x`` has no zero; otherwise the ``(..., n, n)`` matrix of ``x`` with its
    diagonal set to 1, reduced with ``prod``: O(n^2), exact at zeros to any order.
    """
    n = _shape_of(x)[-1]
    if _traced(x):
        if not np.any(x._data == 0):
            return _prod(x, axis=(len(x.shape) - 1,), keepdims=True) / x
        eye = np.eye(n, dtype=bool)
        rows = bnp.where(eye, 1.0, bnp.reshape(x, x.shape[:-1] + (1, n)))
        return _prod(rows, axis=(len(x.shape),), keepdims=False)
    x = np.asarray(_data(x))
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


def _prod_others(x, axis):
    """The product over ``axis`` of all the elements but one, at each element of ``x``."""
    if not axis or 0 in _shape_of(x):  # an empty input's cotangent is empty: any value will do
        return np.ones_like(_data(x))
    xr, back = _to_last(x, axis) if _traced(x) else _to_last(np.asarray(_data(x)), axis)
    return back(_exclusive_products(xr))


def _prod_vjp(g, ans, x, axis, keepdims):
    return _expand(g, x, axis, keepdims) * _prod_others(x, axis)


def _prod_jvp(t, ans, x, axis, keepdims):
    return _sum(t * _prod_others(x, axis), axis=axis, keepdims=keepdims)


# The VJP multiplies by the product of the other elements, never divides by x:
# exact with one zero (only that element gets a gradient) and several zeros (all 0).
_prod = primitive(
    "prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    vjp=(_prod_vjp,), jvp=(_prod_jvp,),
    batch=R.reduce_axis,
)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.prod``, differentiable, exact where elements are zero.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(bnp.prod)(bnp.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       **_np_kwargs(initial=initial, where=where))
    _no_out("prod", out)
    if dtype is not None:
        a = bnp.astype(a, dtype)
    a = _apply_where(a, where, 1)
    p = _prod(a, axis=_norm_axis(axis, len(_shape_of(a)), "prod"), keepdims=bool(keepdims))
    return p if initial is None else p * initial


# -- max / min ----------------------------------------------------------------

def _tie_weights(x, ans, axis, keepdims):
    """The weights of the elements equal to the extremum of their slice, by the ties policy
    (``backchain.kinks.tie_weights``): 1/k to each of k ties by default."""
    xd = np.asarray(_data(x))
    ad = np.asarray(_data(ans))
    if not keepdims:
        ad = np.reshape(ad, _kept_shape(xd.shape, axis))
    hit = xd == ad
    nan = np.isnan(ad)
    if nan.any():  # a NaN extremum came from the NaN elements of its slice
        hit |= nan & np.isnan(xd)
    return tie_weights(hit, axis, _real_dtype(xd.dtype))


def _extremum_vjp(g, ans, x, axis, keepdims):
    return _expand(g, x, axis, keepdims) * _tie_weights(x, ans, axis, keepdims)


def _extremum_jvp(t, ans, x, axis, keepdims):
    return _sum(t * _tie_weights(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


# Ties: by the ties policy; by default the cotangent is split evenly among the tied elements
# (min-norm subgradient), "first" matches torch.max(dim).
_amax = primitive(
    "amax", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
    vjp=(_extremum_vjp,), jvp=(_extremum_jvp,),
    ld=_ld.AMAX, kinks="ties: the ties policy (default: split evenly among the tied maxima)",
    batch=R.reduce_axis,
)
_amin = primitive(
    "amin", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
    vjp=(_extremum_vjp,), jvp=(_extremum_jvp,),
    ld=_ld.AMIN, kinks="ties: the ties policy (default: split evenly among the tied minima)",
    batch=R.reduce_axis,
)


def _extremum(op, np_fn, prim, a, axis, out, keepdims, initial, where):
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np_fn(a, axis=axis, out=out, keepdims=keepdims, **_np_kwargs(initial=initial, where=where))
    _no_out(op, out)
    if initial is not None or where is not None:
        raise TypeError(f"{op}: initial= and where= are not supported for Tensors "
                        f"(shape {a.shape}); mask the input with backchain.numpy.where instead")
    return prim(a, axis=_norm_axis(axis, a.ndim, op), keepdims=bool(keepdims))


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.max``, differentiable; ties share the gradient evenly.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(bnp.max)(bnp.array([1.0, 3.0, 3.0]))
    array([0. , 0.5, 0.5])
    """
    return _extremum("max", np.max, _amax, a, axis, out, keepdims, initial, where)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.min``, differentiable; ties share the gradient evenly."""
    return _extremum("min", np.min, _amin, a, axis, out, keepdims, initial, where)


def amax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.amax``: the same as :func:`max`."""
    return _extremum("amax", np.amax, _amax, a, axis, out, keepdims, initial, where)


def amin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.amin``: the same as :func:`min`."""
    return _extremum("amin", np.amin, _amin, a, axis, out, keepdims, initial, where)


def ptp(a, axis=None, out=None, keepdims=False):
    """``numpy.ptp`` (max - min), differentiable; ties share the gradient evenly."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.ptp(a, axis=axis, out=out, keepdims=keepdims)
    return max(a, axis, out, keepdims) - min(a, axis, out, keepdims)


# -- variance and standard deviation -------------------------------------------

def _ddof(op, ddof, correction):
    if correction is not None:
        if ddof not in (0, None):
            raise ValueError(f"{op}: ddof and correction can't be provided simultaneously")
        return correction
    return ddof


def _centered(x, axis, where):
    """``x`` minus its mean over ``axis`` (zero outside ``where``) and the element count per slice."""
    shape = _shape_of(x)
    if where is None:
        n = _count(shape, axis)
        mu = _by_count(_sum(x, axis=axis, keepdims=True), n)
        return x - mu, n
    mask = np.broadcast_to(np.asarray(_data(where), dtype=bool), shape)
    n = np.sum(mask, axis=axis, keepdims=True).astype(_real_dtype(_data(x).dtype))
    xm = bnp.where(mask, x, 0)
    mu = _sum(xm, axis=axis, keepdims=True) / n
    return bnp.where(mask, x - mu, 0), n


def _reduce_count(n, axis, keepdims):
    """A per-slice count kept with keepdims=True, shaped like the reduction's output."""
    if np.ndim(n) == 0 or keepdims:
        return n
    return np.squeeze(n, axis=axis)


def _sq(d):
    """|d|**2, real for complex d."""
    if np.iscomplexobj(_data(d)):
        return bnp.real(d * bnp.conj(d))
    return d * d


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):
    """``numpy.var``, differentiable (real for complex input)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.var(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                      **_np_kwargs(ddof=ddof, where=where, mean=mean, correction=correction))
    _no_out("var", out)
    if mean is not None:
        raise TypeError("var: mean= is not supported for Tensors; it is computed from the input")
    ddof = _ddof("var", ddof, correction)
    dtype = _float_dtype(a, dtype)
    if dtype is not None:
        a = bnp.astype(a, dtype)
    axes = _norm_axis(axis, a.ndim, "var")
    d, n = _centered(a, axes, where)
    n = _reduce_count(n, axes, keepdims)
    return _by_count(_sum(_sq(d), axis=axes, keepdims=bool(keepdims)), n - ddof)


def _std_impl(x, axis, ddof, keepdims, where):
    return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims, **_np_kwargs(where=where))


def _std_parts(ans, x, axis, ddof, keepdims, where):
    """(x - mean) / ((n - ddof) * std), shaped like x; 0 where std == 0 (min-norm subgradient)."""
    d, n = _centered(x, axis, where)
    s = ans if keepdims else bnp.reshape(ans, _kept_shape(_shape_of(x), axis))
    zero = np.asarray(_data(s)) == 0
    inv = bnp.where(zero, 0.0, 1.0 / (bnp.where(zero, 1.0, s) * (n - ddof)))
    if np.iscomplexobj(_data(x)):
        d = bnp.conj(d)
    return d * inv


def _std_vjp(g, ans, x, axis, ddof, keepdims, where):
    return _expand(g, x, axis, keepdims) * _std_parts(ans, x, axis, ddof, keepdims, where)


def _std_jvp(t, ans, x, axis, ddof, keepdims, where):
    out = _sum(t * _std_parts(ans, x, axis, ddof, keepdims, where), axis=axis, keepdims=keepdims)
    return bnp.real(out) if np.iscomplexobj(_data(out)) else out


# A primitive rather than sqrt(var): at zero variance sqrt'(0) = inf times var' = 0
# would give NaN; the min-norm subgradient of std there is 0.
_std = primitive(
    "std", _std_impl, vjp=(_std_vjp,), jvp=(_std_jvp,),
    ld=_ld.STD, kinks="zero variance: derivative 0 (min-norm subgradient)",
    batch=R.reduce_axis,
)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):
    """``numpy.std``, differentiable; at zero variance the gradient is 0, not NaN.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(bnp.std)(bnp.array([2.0, 2.0, 2.0]))
    array([0., 0., 0.])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.std(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                      **_np_kwargs(ddof=ddof, where=where, mean=mean, correction=correction))
    _no_out("std", out)
    if mean is not None:
        raise TypeError("std: mean= is not supported for Tensors; it is computed from the input")
    ddof = _ddof("std", ddof, correction)
    dtype = _float_dtype(a, dtype)
    if dtype is not None:
        a = bnp.astype(a, dtype)
    where = None if where is None else np.asarray(_data(where), dtype=bool)
    return _std(a, axis=_norm_axis(axis, a.ndim, "std"), ddof=ddof, keepdims=bool(keepdims), where=where)


# -- average ------------------------------------------------------------------

def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """``numpy.average``, differentiable in ``a`` and in ``weights``.

    With ``returned=True`` also returns the sum of the weights, broadcast to the
    shape of the average.
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if weights.__class__ is list or weights.__class__ is tuple:
        weights = stacked(weights)
    if not isinstance(a, Tensor) and not isinstance(weights, Tensor):
        return np.average(a, axis=axis, weights=weights, returned=returned, keepdims=keepdims)
    if not isinstance(a, Tensor):
        a = np.asarray(a)
    shape = _shape_of(a)
    axes = _norm_axis(axis, len(shape), "average")
    if weights is None:
        avg = mean(a, axis=axes, keepdims=keepdims)
        scl = np.full(_shape_of(avg), _count(shape, axes), dtype=_data(avg).dtype)
    else:
        wshape = _shape_of(weights)
        if wshape != shape:
            if axis is None:
                raise TypeError(f"average: axis must be specified when shapes of a {shape} and weights "
                                f"{wshape} differ")
            if len(axes) != len(wshape) or wshape != tuple(shape[i] for i in axes):
                raise ValueError(f"average: shape of weights {wshape} must be consistent with shape of a "
                                 f"{shape} along the specified axis {axis}")
            wfull = [1] * len(shape)
            for i in axes:
                wfull[i] = shape[i]
            weights = bnp.reshape(weights, tuple(wfull))
        scl = sum(bnp.broadcast_to(weights, shape) if _shape_of(weights) != shape else weights,
                  axis=axes, keepdims=keepdims)
        if _batched(scl):  # inside vmap: checked over every example
            from .._vmap.batched import any_example

            if any_example(scl == 0.0):
                raise ZeroDivisionError("average: weights sum to zero in an example of the batch, can't be normalized")
        elif np.any(np.asarray(_data(scl)) == 0.0):
            raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
        avg = sum(a * weights, axis=axes, keepdims=keepdims) / scl
    if returned:
        if _shape_of(scl) != _shape_of(avg):
            scl = bnp.broadcast_to(scl, _shape_of(avg))
        return avg, scl
    return avg


# -- cumulative sums and products ---------------------------------------------

def _cumsum_vjp(g, ans, x, axis):
    return _flip(_cumsum(_flip(g, axis), axis=axis), axis)


_cumsum = primitive(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis),
    vjp=(_cumsum_vjp,), linear=True,
    batch=R.flat_axis,
)


def _cumulative(op, np_fn, prim, a, axis, dtype, out):
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np_fn(a, axis=axis, dtype=dtype, out=out)
    _no_out(op, out)
    if dtype is not None:
        a = bnp.astype(a, dtype)
    if axis is None:
        a = bnp.reshape(a, (-1,))
        axis = 0
    return prim(a, axis=_one_axis(axis, a.ndim, op))


def cumsum(a, axis=None, dtype=None, out=None):
    """``numpy.cumsum``, differentiable (``axis=None`` runs over the flattened array)."""
    return _cumulative("cumsum", np.cumsum, _cumsum, a, axis, dtype, out)


def _cumprod_terms(x):
    """``C[..., i, k] = prod_{j <= k, j != i} x[..., j]`` for ``i <= k``, else 0 (x traced, axis last).

    The O(n^2) form of the cumprod derivatives: x with its diagonal set to 1,
    cumprod along each row. Recorded, so exact at zeros to any order.
    """
    n = x.shape[-1]
    eye = np.eye(n, dtype=bool)
    rows = bnp.where(eye, 1.0, bnp.reshape(x, x.shape[:-1] + (1, n)))
    upper = np.triu(np.ones((n, n), dtype=bool))
    return bnp.where(upper, _cumprod(rows, axis=len(x.shape)), 0.0)


def _first_zero(x):
    """Masks (before, at) the first zero of each slice along the last axis of a plain array."""
    n = x.shape[-1]
    zero = x == 0
    z = np.where(zero.any(axis=-1), np.argmax(zero, axis=-1), n)[..., None]
    idx = np.arange(n)
    return idx < z, idx == z


def _cumprod_rule(c, ans, x, axis, transpose):
    """VJP (``transpose``) or JVP of cumprod along ``axis``, exact where x has zeros.

    Plain x: O(n): before the first zero of a slice, the usual ``ans / x``
    formula (x is non-zero there); at the first zero, the products with that
    zero replaced by 1; after it, nothing. Traced x (higher order), recorded:
    the ``ans / x`` formula when x has no zero, else O(n^2) through ``_cumprod_terms``.
    """
    if 0 in _shape_of(x):  # empty: nothing to differentiate
        return np.zeros(_shape_of(x), dtype=np.result_type(_data(c), _data(x)))
    last = len(_shape_of(x)) - 1
    if axis != last:
        x, c, ans = bnp.swapaxes(x, axis, last), bnp.swapaxes(c, axis, last), bnp.swapaxes(ans, axis, last)
    if _traced(x) and not np.any(x._data == 0):
        if transpose:
            out = _flip(_cumsum(_flip(c * ans, last), axis=last), last) / x
        else:
            out = _cumsum(c / x, axis=last) * ans
    elif _traced(x):
        terms = _cumprod_terms(x)
        if transpose:
            out = _sum(bnp.reshape(c, c.shape[:-1] + (1, c.shape[-1])) * terms, axis=(last + 1,), keepdims=False)
        else:
            out = _sum(bnp.reshape(c, c.shape + (1,)) * terms, axis=(last,), keepdims=False)
    else:
        xd = np.asarray(_data(x))
        before, at = _first_zero(xd)
        ans0 = np.cumprod(xd, axis=-1)
        ans1 = np.cumprod(np.where(at, 1, xd), axis=-1)      # first zero of each slice set to 1
        inv = np.where(before, 1 / np.where(before, xd, 1), 0)  # 1/x before the first zero
        if transpose:
            rev = lambda v: _flip(_cumsum(_flip(v, last), axis=last), last)  # noqa: E731
            out = rev(c * ans0) * inv + bnp.where(at, rev(c * ans1), 0)
        else:
            cz = _sum(bnp.where(at, c, 0), axis=(last,), keepdims=True)
            out = _cumsum(c * inv, axis=last) * bnp.where(before, ans0, 0) + bnp.where(before, 0, cz * ans1)
    if axis != last:
        out = bnp.swapaxes(out, axis, last)
    return out


_cumprod = primitive(
    "cumprod", lambda x, axis: np.cumprod(x, axis=axis),
    vjp=(lambda g, ans, x, axis: _cumprod_rule(g, ans, x, axis, True),),
    jvp=(lambda t, ans, x, axis: _cumprod_rule(t, ans, x, axis, False),),
    batch=R.flat_axis,
)


def cumprod(a, axis=None, dtype=None, out=None):
    """``numpy.cumprod``, differentiable, exact where elements are zero.

    The derivative costs O(n) per slice; recorded for higher order, it is O(n)
    without zeros and O(n^2) (the matrix of partial products) for inputs with
    zeros, exact there.
    """
    return _cumulative("cumprod", np.cumprod, _cumprod, a, axis, dtype, out)


# -- NaN-ignoring variants (composites: NaN elements get a zero gradient) ----------

def _batched(a):
    """Whether ``a`` is one example of a batch inside ``vmap`` (its values differ per example: masks
    and counts read from them are batched too, computed with ``backchain.numpy``)."""
    return getattr(a, "_batched", False)


def _nan_mask(a):
    if _batched(a):
        return bnp.isnan(a)
    return np.isnan(np.asarray(_data(a)))


def _masked_mean(a, keep, axis, dtype, keepdims):
    """The mean of ``a`` over ``axis`` counting only ``keep`` (a batched mask): the sum of the kept
    elements over their number, written with batching operations."""
    total = sum(bnp.where(keep, a, 0), axis, dtype, None, keepdims)
    count = sum(bnp.astype(keep, _data_dtype(total)), axis, None, None, keepdims)
    return total / count


def _data_dtype(t):
    d = t.dtype
    return d if d.kind in "fc" else np.dtype(np.float64)


def _masked_var(a, keep, axis, dtype, ddof, keepdims, root):
    """``nanvar`` / ``nanstd`` with a batched mask ``keep``: the squared deviations of the kept elements
    from their mean, over their number less ``ddof``."""
    m = _masked_mean(a, keep, axis, dtype, True)
    d = bnp.where(keep, a - m, 0)
    sq = bnp.real(d * bnp.conj(d)) if d.dtype.kind == "c" else d * d
    count = sum(bnp.astype(keep, _data_dtype(sq)), axis, None, None, keepdims)
    v = sum(sq, axis, None, None, keepdims) / bnp.maximum(count - ddof, 0)
    return bnp.sqrt(v) if root else v


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.nansum``, differentiable; NaN elements get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nansum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                         **_np_kwargs(initial=initial, where=where))
    return sum(bnp.where(_nan_mask(a), 0, a), axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.nanprod``, differentiable; NaN elements count as 1 and get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nanprod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                          **_np_kwargs(initial=initial, where=where))
    return prod(bnp.where(_nan_mask(a), 1, a), axis, dtype, out, keepdims, initial, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """``numpy.nanmean``, differentiable; NaN elements get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nanmean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **_np_kwargs(where=where))
    keep = _kept(a, where)
    if _batched(keep):
        _no_out("nanmean", out)
        return _masked_mean(a, keep, axis, dtype, keepdims)
    return mean(bnp.where(keep, a, 0), axis, dtype, out, keepdims, where=keep)


def _kept(a, where):
    """The elements a nan-reduction uses: not NaN, and selected by ``where``."""
    keep = ~_nan_mask(a)
    if where is not None:
        keep = keep & (where if _batched(where) else np.asarray(_data(where), dtype=bool))
    return keep


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
           correction=None):
    """``numpy.nanvar``, differentiable; NaN elements get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nanvar(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                         **_np_kwargs(ddof=ddof, where=where, mean=mean, correction=correction))
    keep = _kept(a, where)
    if _batched(keep) and mean is None:
        _no_out("nanvar", out)
        return _masked_var(a, keep, axis, dtype, _ddof("nanvar", ddof, correction), keepdims, False)
    return var(bnp.where(keep, a, 0), axis, dtype, out, ddof, keepdims, where=keep, mean=mean,
               correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
           correction=None):
    """``numpy.nanstd``, differentiable; NaN elements get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nanstd(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                         **_np_kwargs(ddof=ddof, where=where, mean=mean, correction=correction))
    keep = _kept(a, where)
    if _batched(keep) and mean is None:
        _no_out("nanstd", out)
        return _masked_var(a, keep, axis, dtype, _ddof("nanstd", ddof, correction), keepdims, True)
    return std(bnp.where(keep, a, 0), axis, dtype, out, ddof, keepdims, where=keep, mean=mean,
               correction=correction)


def _nanextremum(op, np_fn, fn, fill, a, axis, out, keepdims, initial, where):
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np_fn(a, axis=axis, out=out, keepdims=keepdims, **_np_kwargs(initial=initial, where=where))
    nan = _nan_mask(a)
    r = fn(bnp.where(nan, fill, a), axis, out, keepdims, initial, where)
    if _batched(nan):  # whether a slice is all NaN differs per example
        return bnp.where(bnp.all(nan, axis=axis, keepdims=keepdims), np.nan, r)
    all_nan = np.all(nan, axis=axis, keepdims=keepdims)
    return bnp.where(all_nan, np.nan, r) if np.any(all_nan) else r


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.nanmax``, differentiable; NaN elements get a zero gradient, ties share it."""
    return _nanextremum("nanmax", np.nanmax, max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``numpy.nanmin``, differentiable; NaN elements get a zero gradient, ties share it."""
    return _nanextremum("nanmin", np.nanmin, min, np.inf, a, axis, out, keepdims, initial, where)


def nancumsum(a, axis=None, dtype=None, out=None):
    """``numpy.nancumsum``, differentiable; NaN elements count as 0 and get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nancumsum(a, axis=axis, dtype=dtype, out=out)
    return cumsum(bnp.where(_nan_mask(a), 0, a), axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    """``numpy.nancumprod``, differentiable; NaN elements count as 1 and get a zero gradient."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nancumprod(a, axis=axis, dtype=dtype, out=out)
    return cumprod(bnp.where(_nan_mask(a), 1, a), axis, dtype, out)


# -- median -------------------------------------------------------------------

def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.median``, differentiable.

    Sort ties are stable (DESIGN.md section 4): the gradient goes to the middle
    element(s) of the stable sort of each slice, 0.5 / 0.5 to the two middle
    ones for an even count. A slice holding NaN has median NaN and a zero gradient.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(bnp.median)(bnp.array([4.0, 1.0, 3.0, 2.0]))
    array([0. , 0. , 0.5, 0.5])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.median(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    _no_out("median", out)
    shape = a.shape
    axes = _norm_axis(axis, len(shape), "median")
    n = _count(shape, axes)
    if n == 0:
        raise ValueError(f"median: empty slices (shape {shape}, axis {axis}) have no median")
    xr, _ = _to_last(a, axes)
    xr = bnp.reshape(xr, (-1, n))
    if _batched(xr):  # inside vmap: the middle of each example's sorted slices
        med = _sum(bnp.sort(xr, axis=-1)[:, [(n - 1) // 2, n // 2]], axis=(1,), keepdims=False) / 2
        med = bnp.where(bnp.any(bnp.isnan(xr), axis=-1), np.nan, med)
        return bnp.reshape(med, _out_shape(shape, axes, keepdims))
    order = np.argsort(np.asarray(xr._data), axis=-1, kind="stable")
    mid = order[:, [(n - 1) // 2, n // 2]]
    rows = np.arange(mid.shape[0])[:, None]
    med = _sum(bnp.getitem(xr, (rows, mid)), axis=(1,), keepdims=False) / 2
    nan = np.isnan(np.asarray(xr._data)).any(axis=-1)
    if nan.any():
        med = bnp.where(nan, np.nan, med)
    return bnp.reshape(med, _out_shape(shape, axes, keepdims))


# -- quantile / percentile ------------------------------------------------------

_QUANTILE_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    """``numpy.quantile``, differentiable in ``a`` and (method 'linear') in ``q``.

    Methods 'linear' (the default), 'lower', 'higher', 'nearest' and 'midpoint'. As
    for :func:`median`, sort ties are stable and the gradient goes to the order
    statistics the result is read from; 'linear' interpolates between two of them,
    so its derivative in ``q`` is their difference, taken on the segment above at a
    ``q`` that falls exactly on one. A slice holding NaN gives NaN and a zero gradient.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> x = bnp.array([4.0, 1.0, 3.0, 2.0])
    >>> float(bnp.quantile(x, 0.5)), float(bnp.quantile(x, 0.25))
    (2.5, 1.75)
    >>> bc.grad(lambda x: bnp.quantile(x, 0.25))(x)
    array([0.  , 0.25, 0.  , 0.75])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if q.__class__ is list or q.__class__ is tuple:
        q = stacked(q)
    if not isinstance(a, Tensor) and not isinstance(q, Tensor):
        return np.quantile(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method,
                        keepdims=keepdims, weights=weights)
    return _quantile(a, q, axis, out, method, keepdims, weights, "quantile", nan_aware=False)


def _quantile(a, q, axis, out, method, keepdims, weights, op, nan_aware):
    """``quantile`` and ``nanquantile`` on Tensors: order statistics gathered from a stable sort
    (NaN sorts last), counted among the values that are not NaN when ``nan_aware``."""
    _no_out(op, out)
    if weights is not None:
        raise NotImplementedError(f"{op}: weights= is not supported for Tensors")
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{op}: method must be one of {', '.join(_QUANTILE_METHODS)} for Tensors, "
                         f"got {method!r}")
    if _batched(q):  # one set of quantiles per example
        _check_batched_q(q, 1, op)
        qd = None
    else:
        qd = np.asarray(_data(q), dtype=np.float64)
        if qd.size and (np.any(qd < 0) or np.any(qd > 1) or np.any(np.isnan(qd))):
            raise ValueError(f"{op}: quantiles must be in the range [0, 1], got {qd.ravel()[:5]}")
    shape = _shape_of(a)
    axes = _norm_axis(axis, len(shape), op)
    n = _count(shape, axes)
    if n == 0:
        raise ValueError(f"{op}: empty slices (shape {shape}, axis {axis}) have no quantiles")
    xr = bnp.reshape(_to_last(a, axes)[0], (-1, n))
    if _batched(xr) or qd is None:
        val = _quantile_batched(xr, q, qd, n, method, nan_aware)
        qshape = q.shape if qd is None else qd.shape
        return bnp.reshape(bnp.transpose(val), qshape + _out_shape(shape, axes, keepdims))
    xd = np.asarray(_data(xr))
    order = np.argsort(xd, axis=-1, kind="stable")
    rows = np.arange(order.shape[0])[:, None]
    nan = np.isnan(xd)
    valid = (n - nan.sum(axis=-1)) if nan_aware else np.full(xd.shape[0], n)
    last = np.maximum(valid - 1, 0)[:, None]                  # (M, 1): the largest valid index
    pos = qd.ravel()[None, :] * last                          # (M, K)
    lo = np.clip(np.floor(pos), 0, last).astype(np.intp)
    hi = np.clip(np.ceil(pos), 0, last).astype(np.intp)

    def order_stat(k):  # (M, K): the k-th smallest of each row, for each quantile
        return bnp.getitem(xr, (rows, np.take_along_axis(order, k, axis=-1)))

    if method == "lower":
        val = order_stat(lo)
    elif method == "higher":
        val = order_stat(hi)
    elif method == "nearest":
        val = order_stat(np.clip(np.around(pos), 0, last).astype(np.intp))
    elif method == "midpoint":
        val = (order_stat(lo) + order_stat(hi)) * 0.5
    else:  # linear: the segment above lo (a q on an order statistic reads the one above it too)
        up = np.minimum(lo + 1, last)
        below, above = order_stat(lo), order_stat(up)
        dtype = np.result_type(xd.dtype, np.float16)  # the data's floating dtype (NumPy keeps float32)
        if isinstance(q, Tensor):
            frac = bnp.astype(bnp.reshape(q, (1, -1)) * last - lo, dtype)
        else:
            frac = (pos - lo).astype(dtype)
        val = below + (above - below) * frac
    empty = (valid == 0) if nan_aware else nan.any(axis=-1)  # NaN results (all-NaN rows / any NaN)
    if empty.any():
        val = bnp.where(empty[:, None], np.nan, val)
    val = bnp.transpose(val)  # (K, M)
    return bnp.reshape(val, qd.shape + _out_shape(shape, axes, keepdims))


def _quantile_batched(xr, q, qd, n, method, nan_aware):
    """The (M, K) quantiles of the rows of ``xr`` (M, n), one example of a batch inside ``vmap``: order
    statistics read from each example's sorted rows (NaN last, stable ties: the gradient goes where
    the unbatched path sends it), their positions batched where the NaN count is."""
    srt = bnp.sort(xr, axis=-1)
    nan = bnp.isnan(xr)
    m = xr.shape[0]
    rows = np.arange(m)[:, None]
    if nan_aware:
        valid = n - bnp.sum(bnp.astype(nan, np.intp), axis=-1)          # (M,), batched
        last = bnp.reshape(bnp.maximum(valid - 1, 0), (m, 1))
        empty = valid == 0
    else:
        last = np.full((m, 1), n - 1)
        empty = bnp.any(nan, axis=-1)
    pos = bnp.reshape(q, (1, -1)) * last if isinstance(q, Tensor) else qd.ravel()[None, :] * last
    fixed = pos.detach() if isinstance(pos, Tensor) else pos  # the order statistics read: constants
    lo = bnp.astype(bnp.clip(bnp.floor(fixed), 0, last), np.intp)
    hi = bnp.astype(bnp.clip(bnp.ceil(fixed), 0, last), np.intp)
    near = bnp.astype(bnp.clip(bnp.around(fixed), 0, last), np.intp)
    up = bnp.minimum(lo + 1, last)

    def order_stat(k):  # (M, K): the k-th smallest of each row, for each quantile
        return bnp.getitem(srt, (rows, k))

    if method == "lower":
        val = order_stat(lo)
    elif method == "higher":
        val = order_stat(hi)
    elif method == "nearest":
        val = order_stat(near)
    elif method == "midpoint":
        val = (order_stat(lo) + order_stat(hi)) * 0.5
    else:
        below, above = order_stat(lo), order_stat(up)
        dtype = np.result_type(xr.dtype, np.float16)
        val = below + (above - below) * bnp.astype(pos - lo, dtype)
    return bnp.where(bnp.reshape(empty, (m, 1)), np.nan, val)


def _check_batched_q(q, top, op):
    from .._vmap.batched import any_example

    if any_example((q < 0) | (q > top) | bnp.isnan(q)):
        raise ValueError(f"{op}: {'quantiles' if top == 1 else 'percentiles'} must be in the range [0, {top}] "
                         f"in every example of the batch")


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
               weights=None):
    """``numpy.percentile``: :func:`quantile` at ``q / 100``, differentiable in ``a`` and ``q``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> float(bnp.percentile(bnp.array([4.0, 1.0, 3.0, 2.0]), 25))
    1.75
    """
    return _percentile("percentile", np.percentile, quantile, a, q, axis, out, overwrite_input, method, keepdims,
                       weights)


def _percentile(op, plain, differentiable, a, q, axis, out, overwrite_input, method, keepdims, weights):
    """``percentile`` and ``nanpercentile``: NumPy's on plain arrays, else the quantile at ``q / 100``."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if q.__class__ is list or q.__class__ is tuple:
        q = stacked(q)
    if not isinstance(a, Tensor) and not isinstance(q, Tensor):
        return plain(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method, keepdims=keepdims,
                     weights=weights)
    return differentiable(a, _fraction(q, op), axis=axis, out=out, method=method, keepdims=keepdims,
                          weights=weights)


def _fraction(q, op):
    """Percentiles ``q`` (checked to lie in [0, 100]) as fractions: ``q / 100``."""
    if _batched(q):
        _check_batched_q(q, 100, op)
        return q / 100.0
    qd = np.asarray(_data(q), dtype=np.float64)
    if qd.size and (np.any(qd < 0) or np.any(qd > 100) or np.any(np.isnan(qd))):
        raise ValueError(f"{op}: percentiles must be in the range [0, 100], got {qd.ravel()[:5]}")
    return q / 100.0 if isinstance(q, Tensor) else qd / 100.0


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                weights=None):
    """``numpy.nanquantile``: :func:`quantile` of the values that are not NaN, differentiable (NaN
    elements get a zero gradient; a slice of NaN only gives NaN).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> float(bnp.nanquantile(bnp.array([4.0, bnp.nan, 1.0, 3.0]), 0.5))
    3.0
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if q.__class__ is list or q.__class__ is tuple:
        q = stacked(q)
    if not isinstance(a, Tensor) and not isinstance(q, Tensor):
        return np.nanquantile(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method,
                              keepdims=keepdims, weights=weights)
    return _quantile(a, q, axis, out, method, keepdims, weights, "nanquantile", nan_aware=True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  weights=None):
    """``numpy.nanpercentile``: :func:`nanquantile` at ``q / 100``.

    >>> import backchain.numpy as bnp
    >>> float(bnp.nanpercentile(bnp.array([4.0, bnp.nan, 1.0, 3.0]), 50))
    3.0
    """
    return _percentile("nanpercentile", np.nanpercentile, nanquantile, a, q, axis, out, overwrite_input, method,
                       keepdims, weights)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.nanmedian``: the median of the values that are not NaN, differentiable.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(bnp.nanmedian)(bnp.array([4.0, bnp.nan, 1.0, 3.0]))
    array([0., 0., 0., 1.])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.nanmedian(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    return _quantile(a, 0.5, axis, out, "midpoint", keepdims, None, "nanmedian", nan_aware=True)


def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """``numpy.cumulative_sum``: ``cumsum``, optionally with the initial 0 first, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.cumulative_sum(bnp.array([1.0, 2.0, 3.0]), include_initial=True)
    array([0., 1., 3., 6.])
    """
    return _cumulative_api(x, axis, dtype, out, include_initial, "cumulative_sum", np.cumulative_sum, cumsum, 0)


def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """``numpy.cumulative_prod``: ``cumprod``, optionally with the initial 1 first, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.cumulative_prod(bnp.array([1.0, 2.0, 3.0]))
    array([1., 2., 6.])
    """
    return _cumulative_api(x, axis, dtype, out, include_initial, "cumulative_prod", np.cumulative_prod, cumprod, 1)


def _cumulative_api(x, axis, dtype, out, include_initial, op, np_fn, fn, initial):
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not isinstance(x, Tensor):
        return np_fn(x, axis=axis, dtype=dtype, out=out, include_initial=include_initial)
    _no_out(op, out)
    nd = len(_shape_of(x))
    if axis is None:
        if nd > 1:
            raise ValueError(f"{op}: axis must be given for an array of more than one dimension, "
                             f"got shape {_shape_of(x)}")
        axis = 0
    res = fn(x, axis=axis, dtype=dtype)
    if not include_initial:
        return res
    axis = _norm_axis(axis, nd, op)[0]
    shape = list(_shape_of(res))
    shape[axis] = 1
    return bnp.concatenate([np.full(shape, initial, dtype=np.result_type(_data(res))), res], axis=axis)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """``numpy.cov`` (without frequency or analytic weights), differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.cov(bnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if y.__class__ is list or y.__class__ is tuple:
        y = stacked(y)
    if not isinstance(m, Tensor) and not isinstance(y, Tensor):
        return np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights= and aweights= are not supported for Tensors")
    if len(_shape_of(m)) > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {_shape_of(m)})")

    def as_rows(v):
        v = bnp.atleast_2d(v)
        return v if rowvar or _shape_of(v)[0] == 1 else bnp.transpose(v)

    x = as_rows(m)
    if y is not None:
        x = bnp.concatenate([x, as_rows(y)], axis=0)
    if dtype is None:  # NumPy computes in at least float64, whatever the input
        dtype = np.result_type(*[_data(v) if isinstance(v, Tensor) else np.asarray(v) for v in (m, y) if v is not None],
                               np.float64)
    if _data(x).dtype != dtype:
        x = bnp.astype(x, dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    n = _shape_of(x)[1]
    xc = x - bnp.mean(x, axis=1, keepdims=True)
    c = bnp.matmul(xc, bnp.conj(bnp.transpose(xc)) if np.iscomplexobj(_data(xc)) else bnp.transpose(xc))
    c = c / float(n - ddof)
    return bnp.squeeze(c) if _shape_of(c) == (1, 1) else c


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """``numpy.corrcoef``: ``cov`` normalised by the standard deviations, differentiable (NumPy
    clips the real part to [-1, 1]; so does this, with the clip's convention at the bounds).

    >>> import backchain.numpy as bnp
    >>> bnp.corrcoef(bnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.5]])).round(4)
    array([[ 1.   , -0.982],
           [-0.982,  1.   ]])
    """
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if y.__class__ is list or y.__class__ is tuple:
        y = stacked(y)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        return np.corrcoef(x, y, rowvar, dtype=dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if np.ndim(_data(c)) == 0:
        return c / c
    d = bnp.diagonal(c)
    if np.iscomplexobj(_data(d)):
        d = bnp.real(d)
    std = bnp.sqrt(d)
    c = c / std[:, None] / std[None, :]
    if np.iscomplexobj(_data(c)):
        return bnp.clip(bnp.real(c), -1, 1) + 1j * bnp.clip(bnp.imag(c), -1, 1)
    return bnp.clip(c, -1, 1)
