"""Differences, interpolation, integration and grids: ``diff``, ``ediff1d``, ``gradient``,
``interp``, ``trapezoid``, ``polyval``, ``linspace`` and ``meshgrid``, differentiable as
composites of slicing, arithmetic and gathers.

Called with no Tensor among the arguments, each is the NumPy function itself.

Kinks (DESIGN.md section 4): ``interp`` is piecewise linear in ``x``; at a point ``x``
exactly on a knot ``xp[j]`` the derivative is the slope of the segment above it (the
segment NumPy reads the value from), and 0 outside ``[xp[0], xp[-1]]``.
"""
import operator

import numpy as np

import backchain.numpy as bnp
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked, stacked_each

__all__ = ["diff", "ediff1d", "gradient", "interp", "linspace", "meshgrid", "trapezoid", "polyval", "vander",
           "polyfit", "convolve", "correlate", "delete", "insert", "diagflat", "apply_along_axis"]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _any_tensor(*args):
    return any(isinstance(a, Tensor) for a in args)


def _axis(axis, nd, op):
    axis = operator.index(axis)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(f"{op}: axis {axis} is out of bounds for an array of dimension {nd}")
    return axis % nd


def _along(nd, axis, index):
    """An index tuple that applies ``index`` (a slice) along ``axis`` only."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (nd - axis - 1)


def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """``numpy.diff``: the n-th discrete difference along ``axis``, differentiable.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.diff(bnp.array([1.0, 4.0, 9.0, 16.0]))
    array([3., 5., 7.])
    >>> bc.grad(lambda x: bnp.sum(bnp.diff(x, n=2) ** 2))(bnp.array([1.0, 4.0, 9.0, 16.0]))
    array([ 4., -4., -4.,  4.])
    """
    pre = () if prepend is np._NoValue else (prepend,)
    app = () if append is np._NoValue else (append,)
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    pre = stacked_each(pre)
    app = stacked_each(app)
    if not _any_tensor(a, *pre, *app):
        return np.diff(a, n=n, axis=axis, prepend=prepend, append=append)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got n={n}")
    if n == 0:
        return a
    shape = np.shape(_data(a))
    nd = len(shape)
    if nd == 0:
        raise ValueError("diff: requires an input of at least one dimension")
    axis = _axis(axis, nd, "diff")
    if pre or app:
        edge = shape[:axis] + (1,) + shape[axis + 1:]
        fit = [v if np.ndim(_data(v)) else bnp.broadcast_to(v, edge) for v in (*pre, *app)]
        a = bnp.concatenate(fit[:len(pre)] + [a] + fit[len(pre):], axis=axis)
    later, earlier = _along(nd, axis, slice(1, None)), _along(nd, axis, slice(None, -1))
    for _ in range(n):
        a = a[later] - a[earlier]
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """``numpy.ediff1d``: differences of the flattened array, with values put before and after.

    >>> import backchain.numpy as bnp
    >>> bnp.ediff1d(bnp.array([[1.0, 2.0], [4.0, 7.0]]), to_begin=0.0)
    array([0., 1., 2., 3.])
    """
    ary, to_end, to_begin = stacked_each((ary, to_end, to_begin))
    if not _any_tensor(ary, to_end, to_begin):
        return np.ediff1d(ary, to_end=to_end, to_begin=to_begin)
    flat = bnp.ravel(ary)
    dtype = flat.dtype
    parts = [flat[1:] - flat[:-1]]
    fit = lambda v: bnp.ravel(v if isinstance(v, Tensor) else np.asarray(v, dtype=dtype))  # NumPy: ary's dtype
    if to_begin is not None:
        parts.insert(0, fit(to_begin))
    if to_end is not None:
        parts.append(fit(to_end))
    return parts[0] if len(parts) == 1 else bnp.concatenate(parts)


def gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` with uniform spacing (scalars): central differences inside, one-sided
    differences of ``edge_order`` 1 or 2 at the ends; differentiable in ``f`` and in the spacings.

    >>> import backchain.numpy as bnp
    >>> bnp.gradient(bnp.array([1.0, 4.0, 9.0, 16.0]), 0.5)
    array([ 6.,  8., 12., 14.])
    """
    if f.__class__ is list or f.__class__ is tuple:
        f = stacked(f)
    varargs = stacked_each(varargs)
    if not _any_tensor(f, *varargs):
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    nd = np.ndim(_data(f))
    axes = tuple(range(nd)) if axis is None else tuple(
        _axis(ax, nd, "gradient") for ax in ((axis,) if isinstance(axis, (int, np.integer)) else axis))
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(_data(varargs[0])) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes) and all(np.ndim(_data(v)) == 0 for v in varargs):
        spacing = list(varargs)
    else:
        raise NotImplementedError("gradient: only scalar spacings are supported for Tensors (one for all axes, "
                                  "or one per axis); coordinate arrays are not")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    out = []
    for ax, h in zip(axes, spacing):
        m = np.shape(_data(f))[ax]
        if m < edge_order + 1:
            raise ValueError(f"gradient: the shape of the array along axis {ax} is {m}; at least "
                             f"edge_order + 1 = {edge_order + 1} points are needed")
        s = lambda a, b=None: f[_along(nd, ax, slice(a, b))]
        inside = (s(2, None) - s(None, -2)) / (2.0 * h)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / h
            last = (s(-1, None) - s(-2, -1)) / h
        else:
            first = (-1.5 * s(0, 1) + 2.0 * s(1, 2) - 0.5 * s(2, 3)) / h
            last = (0.5 * s(-3, -2) - 2.0 * s(-2, -1) + 1.5 * s(-1, None)) / h
        out.append(bnp.concatenate([first, inside, last], axis=ax))
    return out[0] if len(out) == 1 else tuple(out)


def _float_array(a):
    """A Tensor as it is; anything else as an array of a floating (or complex) dtype."""
    if isinstance(a, Tensor):
        return a
    a = np.asarray(a)
    return a if a.dtype.kind in "fc" else a.astype(np.float64)


def interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp``: piecewise-linear interpolation, differentiable in ``x``, ``xp`` and ``fp``
    (and ``left``/``right``). ``xp`` must be increasing, as NumPy requires.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> xp, fp = bnp.array([0.0, 1.0, 3.0]), bnp.array([0.0, 2.0, 3.0])
    >>> bnp.interp(bnp.array([0.5, 2.0, 4.0]), xp, fp)
    array([1. , 2.5, 3. ])
    >>> bc.grad(lambda x: bnp.sum(bnp.interp(x, xp, fp)))(bnp.array([0.5, 2.0, 4.0]))
    array([2. , 0.5, 0. ])
    """
    x, xp, fp, left, right = stacked_each((x, xp, fp, left, right))
    if not _any_tensor(x, xp, fp, left, right):
        return np.interp(x, xp, fp, left=left, right=right, period=period)
    if period is not None:
        raise NotImplementedError("interp: period= is not supported for Tensors")
    xp, fp = _float_array(xp), _float_array(fp)
    if any(getattr(v, "_batched", False) for v in (x, xp, fp, left, right)):
        return _interp_batched(_float_array(x), xp, fp, left, right)
    xpd, fpd = np.asarray(_data(xp)), np.asarray(_data(fp))
    if xpd.ndim != 1 or fpd.ndim != 1 or len(xpd) != len(fpd) or len(xpd) == 0:
        raise ValueError(f"interp: xp and fp must be 1-D sequences of the same nonzero length, got shapes "
                         f"{xpd.shape} and {fpd.shape}")
    x = _float_array(x)
    xd = np.asarray(_data(x))
    k = len(xpd)
    if k == 1:
        j = np.zeros(xd.shape, dtype=np.intp)
        value = fp[j]
    else:
        # segment j: xp[j] <= x < xp[j + 1] (the last segment also takes x == xp[-1])
        j = np.clip(np.searchsorted(xpd, xd, side="right") - 1, 0, k - 2)
        x0, x1, f0, f1 = xp[j], xp[j + 1], fp[j], fp[j + 1]
        value = f0 + (f1 - f0) * ((x - x0) / (x1 - x0))
    below, above = xd < xpd[0], xd > xpd[-1]
    if below.any():
        value = bnp.where(below, fp[0] if left is None else left, value)
    if above.any():
        value = bnp.where(above, fp[-1] if right is None else right, value)
    want = np.result_type(np.float64, fpd.dtype)  # NumPy's: float64 (complex128 for complex fp)
    return value if value.dtype == want else bnp.astype(value, want)


def _interp_batched(x, xp, fp, left, right):
    """``interp`` inside ``vmap``, where the segments differ per example: each point's segment counted
    with comparisons (``searchsorted``'s, for an increasing ``xp``), the ends read by gathers."""
    if np.ndim(xp) != 1 or np.ndim(fp) != 1 or np.shape(xp) != np.shape(fp) or np.shape(xp)[0] == 0:
        raise ValueError(f"interp: xp and fp must be 1-D sequences of the same nonzero length, got shapes "
                         f"{np.shape(xp)} and {np.shape(fp)}")
    k = np.shape(xp)[0]
    const = lambda v: v.detach() if isinstance(v, Tensor) else np.asarray(v)  # noqa: E731
    xd, xpd = const(x), const(xp)
    if k == 1:
        value = bnp.getitem(fp, np.zeros(np.shape(x), dtype=np.intp))
    else:
        # segment j: xp[j] <= x < xp[j + 1], clipped to the first and the last: the xp[1:-1] at or below x
        j = bnp.sum(bnp.astype(bnp.expand_dims(xd, -1) >= xpd[1:k - 1], np.intp), axis=-1)
        x0, x1 = bnp.getitem(xp, j), bnp.getitem(xp, j + 1)
        f0, f1 = bnp.getitem(fp, j), bnp.getitem(fp, j + 1)
        value = f0 + (f1 - f0) * ((x - x0) / (x1 - x0))
    value = bnp.where(xd < xpd[0], fp[0] if left is None else left, value)
    value = bnp.where(xd > xpd[-1], fp[-1] if right is None else right, value)
    want = np.result_type(np.float64, fp.dtype)
    return value if value.dtype == want else bnp.astype(value, want)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``numpy.linspace``, differentiable in ``start`` and ``stop`` (each value is linear in them).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.linspace(0.0, 1.0, 5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> bc.grad(lambda s: bnp.sum(bnp.linspace(s, 1.0, 5)))(0.0)
    array(2.5)
    """
    start, stop = stacked_each((start, stop))
    if not _any_tensor(start, stop):
        return np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    div = (num - 1) if endpoint else num
    sd, ed = (v if isinstance(v, Tensor) else np.asarray(v) for v in (start, stop))  # their shapes and dtypes
    shape = np.broadcast_shapes(np.shape(sd), np.shape(ed))
    dt = np.result_type(sd.dtype, ed.dtype, float(num))
    frac = np.arange(num, dtype=dt).reshape((num,) + (1,) * len(shape))
    span = stop - start
    if div > 0:  # NumPy's formula: arange(num) * step + start, the last value exactly stop
        step = span / div
        y = frac * step + start
    else:
        step = span * np.nan
        y = frac * span + start
    if endpoint and num > 1:
        y = bnp.concatenate([y[:-1], bnp.expand_dims(bnp.broadcast_to(stop, shape), 0)], axis=0)
    if axis != 0:
        y = bnp.moveaxis(y, 0, axis)
    if dtype is not None:
        y = bnp.astype(y, dtype)
    return (y, step) if retstep else y


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """``numpy.meshgrid``, differentiable: each coordinate vector reshaped and broadcast.

    >>> import backchain.numpy as bnp
    >>> xs, ys = bnp.meshgrid(bnp.array([1.0, 2.0, 3.0]), bnp.array([10.0, 20.0]))
    >>> xs.shape, ys[:, 0]
    ((2, 3), array([10., 20.]))
    """
    xi = stacked_each(xi)
    if not _any_tensor(*xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    nd = len(xi)
    shapes = [(1,) * i + (-1,) + (1,) * (nd - i - 1) for i in range(nd)]
    if indexing == "xy" and nd > 1:
        shapes[0], shapes[1] = (1, -1) + (1,) * (nd - 2), (-1, 1) + (1,) * (nd - 2)
    out = [bnp.reshape(x, s) for x, s in zip(xi, shapes)]
    if not sparse:
        full = np.broadcast_shapes(*[np.shape(_data(o)) for o in out])
        out = [bnp.broadcast_to(o, full) for o in out]
        if copy:
            out = [o + 0 if isinstance(o, Tensor) else np.array(o) for o in out]
    return tuple(out)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``numpy.trapezoid``: the trapezoidal rule along ``axis``, differentiable in ``y``, ``x`` and ``dx``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> float(bnp.trapezoid(bnp.array([1.0, 2.0, 3.0]), dx=0.5))
    2.0
    >>> bc.grad(lambda y: bnp.trapezoid(y, dx=0.5))(bnp.array([1.0, 2.0, 3.0]))
    array([0.25, 0.5 , 0.25])
    """
    y, x, dx = stacked_each((y, x, dx))
    if not _any_tensor(y, x, dx):
        return np.trapezoid(y, x=x, dx=dx, axis=axis)
    y = _float_array(y)
    nd = np.ndim(_data(y))
    axis = _axis(axis, nd, "trapezoid")
    if x is None:
        d = dx
    else:
        x = _float_array(x)
        if np.ndim(_data(x)) == 1:
            d = diff(x)
            d = bnp.reshape(d, (1,) * axis + (-1,) + (1,) * (nd - axis - 1)) if nd > 1 else d
        else:
            d = diff(x, axis=axis)
    later, earlier = _along(nd, axis, slice(1, None)), _along(nd, axis, slice(None, -1))
    return bnp.sum(d * (y[later] + y[earlier]) / 2.0, axis=axis)


def polyval(p, x):
    """``numpy.polyval``: ``p[0] x^(n-1) + ... + p[n-1]`` by Horner's rule, differentiable in ``p`` and ``x``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.polyval(bnp.array([3.0, 0.0, 1.0]), bnp.array([1.0, 2.0]))
    array([ 4., 13.])
    >>> bc.grad(lambda x: bnp.sum(bnp.polyval(bnp.array([3.0, 0.0, 1.0]), x)))(bnp.array([1.0, 2.0]))
    array([ 6., 12.])
    """
    p, x = stacked_each((p, x))
    if not _any_tensor(p, x):
        return np.polyval(p, x)
    p, x = _float_array(p), _float_array(x)
    if np.ndim(_data(p)) != 1:
        raise ValueError(f"polyval: p must be a 1-D array of coefficients, got shape {np.shape(_data(p))}")
    k = np.shape(_data(p))[0]
    if k == 0:
        return bnp.zeros_like(x)
    y = p[0] + 0 * x
    for i in range(1, k):
        y = y * x + p[i]
    return y


def vander(x, N=None, increasing=False):
    """``numpy.vander``: columns of powers of ``x``, differentiable in ``x``.

    >>> import backchain.numpy as bnp
    >>> bnp.vander(bnp.array([1.0, 2.0, 3.0]), 3)
    array([[1., 1., 1.],
           [4., 2., 1.],
           [9., 3., 1.]])
    """
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.vander(x, N, increasing)
    if np.ndim(x) != 1:
        raise ValueError(f"vander: x must be a one-dimensional array, got shape {np.shape(x)}")
    n = np.shape(x)[0] if N is None else operator.index(N)
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    # NumPy's dtype: powers are integers, so float32 becomes float64 (complex64 stays complex64)
    return bnp.expand_dims(x, -1) ** powers.astype(np.promote_types(x.dtype, np.int_))


def convolve(a, v, mode="full"):
    """``numpy.convolve``: the discrete linear convolution of two 1-D arrays, differentiable in both.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.convolve(bnp.array([1.0, 2.0, 3.0]), bnp.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    a, v = stacked_each((a, v))
    if not _any_tensor(a, v):
        return np.convolve(a, v, mode)
    from .signal import convolve as sconv
    a, v = _float_array(a), _float_array(v)
    _check_1d("convolve", a, v)
    if np.shape(_data(v))[0] > np.shape(_data(a))[0]:  # NumPy swaps them (convolution commutes)
        a, v = v, a
    return sconv(a, v, mode=mode)


def correlate(a, v, mode="valid"):
    """``numpy.correlate``: ``c[k] = sum_n a[n + k] conj(v[n])`` of two 1-D arrays, differentiable in both.

    >>> import backchain.numpy as bnp
    >>> bnp.correlate(bnp.array([1.0, 2.0, 3.0]), bnp.array([0.0, 1.0, 0.5]), "full")
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    a, v = stacked_each((a, v))
    if not _any_tensor(a, v):
        return np.correlate(a, v, mode)
    from .signal import correlate as scorr
    a, v = _float_array(a), _float_array(v)
    _check_1d("correlate", a, v)
    la, lv = np.shape(_data(a))[0], np.shape(_data(v))[0]
    if mode == "same" and lv > la:  # NumPy's output has the longer length; its crop starts at la // 2
        return scorr(a, v, mode="full")[la // 2: la // 2 + lv]
    return scorr(a, v, mode=mode)


def _check_1d(op, a, v):
    sa, sv = np.shape(_data(a)), np.shape(_data(v))
    if len(sa) != 1 or len(sv) != 1 or not sa[0] or not sv[0]:
        raise ValueError(f"{op}: a and v must be non-empty 1-D arrays, got shapes {sa} and {sv}")


def delete(arr, obj, axis=None):
    """``numpy.delete``: the sub-array without the entries ``obj`` along ``axis`` (flattened when
    None), differentiable (a gather of the entries kept).

    >>> import backchain.numpy as bnp
    >>> bnp.delete(bnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), 1, axis=1)
    array([[1., 3.],
           [4., 6.]])
    """
    if arr.__class__ is list or arr.__class__ is tuple:
        arr = stacked(arr)
    if not _any_tensor(arr):
        return np.delete(arr, obj, axis=axis)
    if axis is None:
        arr, axis = bnp.ravel(arr), 0
    nd = np.ndim(_data(arr))
    axis = _axis(axis, nd, "delete")
    keep = np.delete(np.arange(np.shape(_data(arr))[axis]), obj)
    return arr[(slice(None),) * axis + (keep,)]


def diagflat(v, k=0):
    """``numpy.diagflat``: the flattened input on the ``k``-th diagonal of a square matrix, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.diagflat(bnp.array([[1.0, 2.0]]), 1)
    array([[0., 1., 0.],
           [0., 0., 2.],
           [0., 0., 0.]])
    """
    if v.__class__ is list or v.__class__ is tuple:
        v = stacked(v)
    if not _any_tensor(v):
        return np.diagflat(v, k)
    return bnp.diag(bnp.ravel(v), k)


def insert(arr, obj, values, axis=None):
    """``numpy.insert``: ``values`` inserted before the indices ``obj`` along ``axis`` (flattened when
    None), differentiable in ``arr`` and ``values``: a gather from the two, at the positions that
    NumPy's own ``insert`` gives their entries' numbers (so every placement and broadcast is NumPy's).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.insert(bnp.array([1.0, 2.0, 3.0]), 1, 9.0)
    array([1., 9., 2., 3.])
    >>> bc.grad(lambda v: bnp.sum(bnp.insert(bnp.array([1.0, 2.0]), [0, 2], v) ** 2))(bnp.array([3.0, 4.0]))
    array([6., 8.])
    """
    arr, values = stacked_each((arr, values))
    if not _any_tensor(arr, values):
        return np.insert(arr, obj, values, axis=axis)
    ad = arr if isinstance(arr, Tensor) else np.asarray(arr)  # its shape and dtype (an example's, in vmap)
    vals = values if isinstance(values, Tensor) else np.asarray(values, dtype=ad.dtype)
    if vals.dtype != ad.dtype:  # NumPy casts the values to the array's dtype
        vals = bnp.astype(vals, ad.dtype)
    vd = vals
    n = int(np.prod(ad.shape, dtype=np.int64))
    index = np.insert(np.arange(n).reshape(ad.shape), obj, (n + np.arange(int(np.prod(vd.shape, dtype=np.int64))))
                      .reshape(vd.shape), axis=axis)
    return bnp.concatenate([bnp.ravel(arr), bnp.ravel(vals)])[index]


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``numpy.apply_along_axis``: ``func1d`` applied to every 1-D slice along ``axis``, differentiable
    when ``func1d`` is (one call per slice, the results stacked as NumPy places them).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.apply_along_axis(lambda r: bnp.sum(r ** 2), 1, bnp.array([[1.0, 2.0], [3.0, 4.0]]))
    array([ 5., 25.])
    """
    if arr.__class__ is list or arr.__class__ is tuple:
        arr = stacked(arr)
    if not _any_tensor(arr):
        return np.apply_along_axis(func1d, axis, arr, *args, **kwargs)
    shape = np.shape(_data(arr))
    nd = len(shape)
    axis = _axis(axis, nd, "apply_along_axis")
    outer = shape[:axis] + shape[axis + 1:]
    m = int(np.prod(outer))
    if m == 0:
        raise ValueError(f"apply_along_axis: cannot apply a function to the 0 slices of an array of shape {shape}")
    rows = bnp.reshape(bnp.moveaxis(arr, axis, -1), (m, shape[axis]))
    out = bnp.stack([func1d(rows[i], *args, **kwargs) for i in range(m)])
    res = np.shape(_data(out))[1:]
    out = bnp.reshape(out, outer + res)
    r = len(res)
    perm = list(range(axis)) + list(range(nd - 1, nd - 1 + r)) + list(range(axis, nd - 1))
    return out if perm == list(range(len(perm))) else bnp.transpose(out, perm)


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """``numpy.polyfit``: least-squares polynomial coefficients, highest power first, differentiable
    in ``x``, ``y`` and ``w`` (NumPy's column scaling and cut-off, through ``linalg.lstsq``).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> x = bnp.array([0.0, 1.0, 2.0, 3.0])
    >>> bnp.polyfit(x, 2.0 * x + 1.0, 1).round(6) + 0.0
    array([2., 1.])
    >>> bc.grad(lambda y: bnp.polyfit(x, y, 1)[0])(2.0 * x + 1.0).round(6) + 0.0  # the slope's weights
    array([-0.3, -0.1,  0.1,  0.3])
    """
    x, y, w = stacked_each((x, y, w))
    if not _any_tensor(x, y, w):
        return np.polyfit(x, y, deg, rcond=rcond, full=full, w=w, cov=cov)
    if cov:
        raise NotImplementedError("polyfit: cov=True is not supported for Tensors")
    deg = operator.index(deg)
    x, y = _float_array(x), _float_array(y)
    xd, yd = x, y  # for their shapes and dtypes (inside vmap, an example's)
    if deg < 0 or xd.ndim != 1 or xd.size == 0 or yd.ndim not in (1, 2) or yd.shape[0] != xd.size:
        raise ValueError(f"polyfit: x must be non-empty 1-D, y 1-D or 2-D with as many rows, deg >= 0; got "
                         f"shapes {xd.shape} and {yd.shape}, deg {deg}")
    if rcond is None:
        rcond = xd.size * np.finfo(np.result_type(xd.dtype, np.float32)).eps
    lhs, rhs = vander(x, deg + 1), y
    if w is not None:
        w = _float_array(w)
        lhs = lhs * bnp.expand_dims(w, -1)
        rhs = rhs * (w if yd.ndim == 1 else bnp.expand_dims(w, -1))
    scale = bnp.sqrt(bnp.sum(lhs * lhs, axis=0))  # NumPy scales the columns before solving
    c, resids, rank, s = bnp.linalg.lstsq(lhs / scale, rhs, rcond)
    c = c / (scale if yd.ndim == 1 else bnp.expand_dims(scale, -1))
    return (c, resids, rank, s, rcond) if full else c
