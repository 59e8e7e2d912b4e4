"""The rest of NumPy's functions that have a derivative, written as composites of the
differentiable functions of ``backchain.numpy`` (no new primitive): ``r_``, ``c_``, ``block``,
``resize``, ``piecewise``, the polynomial helpers, ``unique`` and its array-API forms, and the
piecewise-linear functions (``modf``, ``frexp``, ``ldexp``, ``nextafter``, ``unwrap``), whose
value is NumPy's own and whose derivative is the slope of the piece (:func:`_linear_at`).

Called with no Tensor (and no list holding one), each is NumPy's function.
"""
import operator

import numpy as np
from numpy.lib._arraysetops_impl import UniqueAllResult, UniqueCountsResult, UniqueInverseResult

from .. import numpy as bnp
from .._core.primitive import _holds_tensor
from .._core.tensor import Tensor
from ._arraylike import stacked

__all__ = [
    "r_", "c_", "real_if_close", "asanyarray", "ascontiguousarray", "asfortranarray", "asarray_chkfinite",
    "require", "block", "row_stack", "resize", "trim_zeros", "apply_over_axes", "piecewise", "frexp", "modf",
    "divmod", "ldexp", "nextafter", "i0", "unwrap", "sort_complex", "polyadd", "polysub", "polymul", "polyder",
    "polydiv", "polyint", "poly", "roots", "unique", "unique_all", "unique_counts", "unique_inverse",
    "unique_values", "union1d", "intersect1d", "setdiff1d", "setxor1d", "test", "vectorize",
]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _held(a):
    """Whether ``a`` is a Tensor or a list or tuple holding one."""
    return isinstance(a, Tensor) or ((a.__class__ is list or a.__class__ is tuple) and _holds_tensor(a))


def _linear_at(x, value, slope=None):
    """NumPy's ``value`` (exactly) with the derivative ``slope`` in ``x`` (1 when None): the tangent
    of a function that is linear piece by piece, at a point inside a piece. Where ``x`` is not
    finite the derivative is 0."""
    step = bnp.where(np.isfinite(x._data), x - x._data, 0.0)  # exactly 0, with derivative 1
    return (step if slope is None else step * slope) + value


# -- index tricks -------------------------------------------------------------------------------

class _Concatenator:
    """``numpy.r_`` / ``numpy.c_`` over Tensors: NumPy's rules for slices, scalars, directives and
    ``ndmin``; the pieces are joined with :func:`backchain.numpy.concatenate`."""

    def __init__(self, name, axis, ndmin, trans1d):
        self.name, self.axis, self.ndmin, self.trans1d = name, axis, ndmin, trans1d

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        if not any(_held(k) for k in key):
            return getattr(np, self.name)[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError(f"{self.name}: special directives must be the first entry")
                parts = item.split(",")
                if item in ("r", "c") or len(parts) > 3:
                    raise NotImplementedError(f"{self.name}: the matrix directive {item!r} is not supported "
                                              "for Tensors")
                axis = int(parts[0])
                ndmin = int(parts[1]) if len(parts) > 1 else ndmin
                trans1d = int(parts[2]) if len(parts) > 2 else trans1d
                continue
            if isinstance(item, slice):
                obj = np.r_[item]
                if ndmin > 1:
                    obj = np.array(obj, ndmin=ndmin)
                    obj = obj.swapaxes(-1, trans1d) if trans1d != -1 else obj
                kinds.append(obj.dtype)
            elif type(item) in np.ScalarType:
                obj = item
                kinds.append(item)
            else:
                obj = _with_ndmin(stacked(item), ndmin, trans1d)
                kinds.append(np.dtype(_data(obj).dtype))
            objs.append(obj)
        dtype = np.result_type(*kinds)
        objs = [_with_ndmin(o if isinstance(o, Tensor) else np.asarray(o), ndmin, -1) for o in objs]
        objs = [bnp.astype(o, dtype) if _data(o).dtype != dtype else o for o in objs]
        return bnp.concatenate(objs, axis=axis)


def _with_ndmin(a, ndmin, trans1d):
    """NumPy's ``array(a, ndmin=ndmin)`` (ones prepended), its axes placed as ``r_`` places them."""
    nd = np.ndim(_data(a))
    if nd >= ndmin:
        return a
    a = bnp.reshape(a, (1,) * (ndmin - nd) + np.shape(_data(a)))
    if trans1d == -1:
        return a
    k1, k2 = trans1d + (ndmin - nd + 1 if trans1d < 0 else 0), ndmin - nd
    axes = list(range(ndmin))
    return bnp.transpose(a, axes[:k1] + axes[k2:] + axes[k1:k2])


r_ = _Concatenator("r_", 0, 1, -1)
r_.__doc__ = """``numpy.r_``: pieces joined along the first axis (slices, scalars, Tensors, directives),
differentiable in the Tensors.

>>> import backchain as bc, backchain.numpy as bnp
>>> bc.grad(lambda v: bnp.sum(bnp.r_[v[:2], 1.0, v] ** 2))(bnp.array([1.0, 2.0, 3.0]))
array([4., 8., 6.])
"""
c_ = _Concatenator("c_", -1, 2, 0)
c_.__doc__ = """``numpy.c_``: pieces joined along the last axis (1-d ones as columns), differentiable.

>>> import backchain as bc, backchain.numpy as bnp
>>> bnp.c_[bnp.array([1.0, 2.0]), bnp.array([3.0, 4.0])]
array([[1., 3.],
       [2., 4.]])
"""


# -- conversions ----------------------------------------------------------------------------------

def real_if_close(a, tol=100):
    """``numpy.real_if_close``: the real part when every imaginary part is within ``tol`` machine
    epsilons of 0 (differentiable, through ``real``), else ``a`` itself.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda v: bnp.sum(bnp.real_if_close(v + 0j) ** 2))(bnp.array([1.0, 2.0]))
    array([2., 4.])
    """
    a = stacked(a)
    if not isinstance(a, Tensor):
        return np.real_if_close(a, tol)
    if a.dtype.kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(a.dtype).eps * tol
    return bnp.real(a) if np.all(np.abs(a._data.imag) < tol) else a


def _converted(name, fn):
    def convert(a, dtype=None, *args, **kwargs):
        a = stacked(a)
        if not isinstance(a, Tensor):
            return fn(a, dtype, *args, **kwargs)
        if name == "asarray_chkfinite" and not np.isfinite(a._data).all():
            raise ValueError(f"asarray_chkfinite: array must not contain infs or NaNs (shape {a.shape})")
        a = bnp.asarray(a, dtype=dtype)
        return bnp.reshape(a, (1,)) if a.ndim == 0 and name in ("ascontiguousarray", "asfortranarray") else a

    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = (f"``numpy.{name}``: a Tensor as it is (cast to ``dtype``; NumPy's memory layout "
                       "options do not apply), differentiable.\n\n"
                       ">>> import backchain as bc, backchain.numpy as bnp\n"
                       f">>> bc.grad(lambda v: bnp.sum(bnp.{name}(v) ** 2))(bnp.array([1.0, 2.0]))\n"
                       "array([2., 4.])\n")
    return convert


asanyarray = _converted("asanyarray", np.asanyarray)
ascontiguousarray = _converted("ascontiguousarray", np.ascontiguousarray)
asfortranarray = _converted("asfortranarray", np.asfortranarray)
asarray_chkfinite = _converted("asarray_chkfinite", np.asarray_chkfinite)
require = _converted("require", np.require)


# -- shapes ---------------------------------------------------------------------------------------------

def block(arrays):
    """``numpy.block``: nested lists of blocks joined, the innermost along the last axis,
    differentiable in every block.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.block([[bnp.ones((2, 2)), bnp.zeros((2, 1))], [bnp.full((1, 3), 2.0)]])
    array([[1., 1., 0.],
           [1., 1., 0.],
           [2., 2., 2.]])
    """
    if not _held(arrays):
        return np.block(arrays)
    leaves, depth, stack = [], None, [(arrays, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, list):
            if not item:
                raise ValueError(f"block: lists cannot be empty (at depth {level})")
            stack.extend((v, level + 1) for v in item)
        elif isinstance(item, tuple):
            raise TypeError("block: arrays is a tuple; only lists can be used to arrange blocks")
        else:
            leaves.append(item)
            depth = level if depth is None else depth
            if level != depth:
                raise ValueError(f"block: list depths are mismatched ({level} and {depth})")
    nd = max([depth] + [np.ndim(_data(v)) for v in leaves])
    results, stack = [], [(arrays, 0, False)]
    while stack:  # post-order: the blocks of a list are joined once all are built
        item, level, done = stack.pop()
        if done:
            parts = results[len(results) - len(item):]
            del results[len(results) - len(item):]
            results.append(bnp.concatenate(parts, axis=level - depth))
        elif isinstance(item, list):
            stack.append((item, level, True))
            stack.extend((v, level + 1, False) for v in reversed(item))
        else:
            v = item if isinstance(item, Tensor) else np.asarray(item)
            results.append(bnp.reshape(v, (1,) * (nd - v.ndim) + v.shape))
    return results[0]


def row_stack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.row_stack``, NumPy's deprecated name of :func:`vstack`.

    >>> import backchain.numpy as bnp
    >>> bnp.row_stack([bnp.array([1.0, 2.0]), bnp.array([3.0, 4.0])])
    array([[1., 2.],
           [3., 4.]])
    """
    return bnp.vstack(tup, dtype=dtype, casting=casting)


def resize(a, new_shape):
    """``numpy.resize``: the flattened ``a`` repeated to fill ``new_shape``, differentiable.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda v: bnp.sum(bnp.resize(v, (2, 3))))(bnp.array([1.0, 2.0]))
    array([3., 3.])
    """
    a = stacked(a)
    if not isinstance(a, Tensor):
        return np.resize(a, new_shape)
    new_shape = (operator.index(new_shape),) if np.ndim(new_shape) == 0 else tuple(new_shape)
    size = int(np.prod(new_shape))
    if a.size == 0 or size == 0:
        return np.zeros(new_shape, dtype=a.dtype)
    flat = bnp.ravel(a)
    flat = bnp.concatenate([flat] * -(-size // a.size)) if size > a.size else flat
    return bnp.reshape(flat[:size], new_shape)


def trim_zeros(filt, trim="fb", axis=None):
    """``numpy.trim_zeros``: leading (``f``) and trailing (``b``) zeros cut off, differentiable
    (a slice of ``filt``).

    >>> import backchain.numpy as bnp
    >>> bnp.trim_zeros(bnp.array([0.0, 1.0, 0.0, 2.0, 0.0]))
    array([1., 0., 2.])
    """
    filt = stacked(filt)
    if not isinstance(filt, Tensor):
        return np.trim_zeros(filt, trim, axis)
    d, trim = filt._data, trim.lower()
    axes = range(d.ndim) if axis is None else [a % d.ndim for a in np.atleast_1d(axis)]
    index = [slice(None)] * d.ndim
    for ax in axes:
        kept = np.flatnonzero(np.any(d != 0, axis=tuple(i for i in range(d.ndim) if i != ax)))
        start = (kept[0] if kept.size else 0) if "f" in trim else 0
        stop = (kept[-1] + 1 if kept.size else 0) if "b" in trim else d.shape[ax]
        index[ax] = slice(int(start), int(max(stop, start)))
    return filt[tuple(index)]


def apply_over_axes(func, a, axes):
    """``numpy.apply_over_axes``: ``func(a, axis)`` applied over each axis in turn, the reduced
    axis kept; differentiable when ``func`` is.

    >>> import backchain.numpy as bnp
    >>> bnp.apply_over_axes(bnp.sum, bnp.ones((2, 3, 4)), [0, 2])
    array([[[8.],
            [8.],
            [8.]]])
    """
    a = stacked(a)
    if not isinstance(a, Tensor):
        return np.apply_over_axes(func, a, axes)
    val, n = a, a.ndim
    for axis in np.atleast_1d(axes).tolist():
        axis = axis + n if axis < 0 else axis
        res = func(val, axis)
        if np.ndim(_data(res)) != np.ndim(_data(val)):
            res = bnp.expand_dims(res, axis)
            if np.ndim(_data(res)) != np.ndim(_data(val)):
                raise ValueError("apply_over_axes: function is not returning an array of the correct shape")
        val = res
    return val


def piecewise(x, condlist, funclist, *args, **kw):
    """``numpy.piecewise``: ``funclist[i]`` applied to ``x[condlist[i]]`` (a constant put there when
    it is not callable), later conditions taking precedence; differentiable in ``x`` where the
    functions are.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> f = lambda x: bnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])
    >>> bc.grad(lambda x: bnp.sum(f(x)))(bnp.array([-2.0, 3.0]))
    array([-1.,  6.])
    """
    x = stacked(x)
    if not isinstance(x, Tensor):
        return np.piecewise(x, _data(condlist), funclist, *args, **kw)
    if isinstance(condlist, Tensor):
        condlist = condlist._data
    n2 = len(funclist)
    if np.isscalar(condlist) or (not isinstance(condlist[0], (list, np.ndarray, Tensor)) and x.ndim != 0):
        condlist = [condlist]
    conds = np.asarray([np.asarray(_data(c), dtype=bool) for c in condlist], dtype=bool)
    if len(conds) == n2 - 1:
        conds = np.concatenate([conds, ~np.any(conds, axis=0, keepdims=True)], axis=0)
    elif len(conds) != n2:
        raise ValueError(f"piecewise: with {len(conds)} condition(s), either {len(conds)} or {len(conds) + 1} "
                         f"functions are expected, got {n2}")
    y = np.zeros(x.shape, dtype=x.dtype)
    for cond, func in zip(conds, funclist):
        cond = np.broadcast_to(cond, x.shape)
        k = int(cond.sum())
        if k == 0:
            continue
        vals = func(x[cond], *args, **kw) if callable(func) else func
        vals = bnp.broadcast_to(vals, (k,)) if np.ndim(_data(vals)) < 1 else vals
        if _data(vals).dtype != x.dtype:
            vals = bnp.astype(vals, x.dtype)
        pos = np.zeros(x.shape, dtype=np.intp)
        pos[cond] = np.arange(k)
        y = bnp.where(cond, bnp.take(vals, pos), y)  # each selected element gets its value's gradient
    return y


# -- piecewise-linear elementwise functions -----------------------------------------------------------

def frexp(x, /):
    """``numpy.frexp``: ``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``; the mantissa's
    derivative is ``2**-exponent``, the exponent is an integer (a constant).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.frexp(x)[0]))(bnp.array([3.0, 0.5]))
    array([0.25, 1.  ])
    """
    x = stacked(x)
    if not isinstance(x, Tensor):
        return np.frexp(x)
    m, e = np.frexp(x._data)
    return _linear_at(x, m, np.ldexp(np.ones_like(m), -e)), e


def modf(x, /):
    """``numpy.modf``: ``(fractional part, integral part)``; the fractional part has derivative 1,
    the integral part 0.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.modf(x)[0]))(bnp.array([2.5, -1.25]))
    array([1., 1.])
    """
    x = stacked(x)
    if not isinstance(x, Tensor):
        return np.modf(x)
    frac, whole = np.modf(x._data)
    return _linear_at(x, frac), whole


def divmod(x1, x2, /):
    """``numpy.divmod``: ``(floor_divide(x1, x2), mod(x1, x2))``; the quotient is piecewise constant
    (no gradient), the remainder differentiable as :func:`mod`.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.divmod(x, 2.0)[1]))(bnp.array([5.0, -3.0]))
    array([1., 1.])
    """
    x1, x2 = stacked(x1), stacked(x2)
    if not (isinstance(x1, Tensor) or isinstance(x2, Tensor)):
        return np.divmod(x1, x2)
    return np.floor_divide(_data(x1), _data(x2)), bnp.mod(x1, x2)


def ldexp(x1, x2, /):
    """``numpy.ldexp``: ``x1 * 2**x2`` for integer ``x2``; derivative ``2**x2`` in ``x1``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.ldexp(x, 3)))(bnp.array([1.5, -2.0]))
    array([8., 8.])
    """
    x1 = stacked(x1)
    value = np.ldexp(_data(x1), _data(x2))
    if not isinstance(x1, Tensor):
        return value
    return _linear_at(x1, value, np.ldexp(np.ones_like(value), _data(x2)))


def nextafter(x1, x2, /):
    """``numpy.nextafter``: the next float after ``x1`` towards ``x2``; derivative 1 in ``x1`` (the
    step is below rounding), 0 in ``x2``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.nextafter(x, 2.0)))(bnp.array([1.0, 3.0]))
    array([1., 1.])
    """
    x1 = stacked(x1)
    value = np.nextafter(_data(x1), _data(stacked(x2)))
    return _linear_at(x1, value) if isinstance(x1, Tensor) else value


def i0(x):
    """``numpy.i0``: the modified Bessel function of the first kind, order 0; derivative ``i1``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.i0(x)))(bnp.array([0.0, 1.0]))
    array([0.       , 0.5651591])
    """
    x = stacked(x)
    if not isinstance(x, Tensor):
        return np.i0(x)
    from .._rules.special import i0 as scipy_i0  # imports SciPy: only when a Tensor needs it

    return scipy_i0(x)


def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """``numpy.unwrap``: jumps larger than ``discont`` replaced by their complement to ``period``;
    the corrections are multiples of ``period`` (piecewise constant), so the derivative is 1.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.unwrap(bnp.array([0.0, 4.0, 8.0]))
    array([ 0.        , -2.28318531, -4.56637061])
    """
    p = stacked(p)
    value = np.unwrap(_data(p), discont, axis, period=period)
    return _linear_at(p, value) if isinstance(p, Tensor) else value


def sort_complex(a):
    """``numpy.sort_complex``: sorted by real part, then imaginary part, as a complex array;
    differentiable (the gradient goes back to each element's place).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.sort_complex(bnp.array([3.0, 1.0, 2.0]))
    array([1.+0.j, 2.+0.j, 3.+0.j])
    """
    a = stacked(a)
    if not isinstance(a, Tensor):
        return np.sort_complex(a)
    b = bnp.sort(a)
    if a.dtype.kind == "c":
        return b
    kind = np.complex64 if a.dtype.char in "bhBH" else np.clongdouble if a.dtype.char == "g" else np.complex128
    return bnp.astype(b, kind)


# -- polynomials (coefficients, highest power first) ----------------------------------------------------

def _padded(a1, a2):
    a1, a2 = bnp.atleast_1d(a1), bnp.atleast_1d(a2)
    n1, n2 = np.shape(_data(a1))[0], np.shape(_data(a2))[0]
    pad = lambda a, k: bnp.concatenate([np.zeros(k, dtype=_data(a).dtype), a]) if k else a
    return pad(a1, max(n2 - n1, 0)), pad(a2, max(n1 - n2, 0))


def polyadd(a1, a2):
    """``numpy.polyadd``: the sum of two polynomials, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.polyadd(bnp.array([1.0, 2.0]), bnp.array([9.0, 5.0, 4.0]))
    array([9., 6., 6.])
    """
    a1, a2 = stacked(a1), stacked(a2)
    if not (isinstance(a1, Tensor) or isinstance(a2, Tensor)):
        return np.polyadd(a1, a2)
    a1, a2 = _padded(a1, a2)
    return a1 + a2


def polysub(a1, a2):
    """``numpy.polysub``: the difference of two polynomials, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.polysub(bnp.array([2.0, 10.0, -2.0]), bnp.array([3.0, 10.0, -4.0]))
    array([-1.,  0.,  2.])
    """
    a1, a2 = stacked(a1), stacked(a2)
    if not (isinstance(a1, Tensor) or isinstance(a2, Tensor)):
        return np.polysub(a1, a2)
    a1, a2 = _padded(a1, a2)
    return a1 - a2


def polymul(a1, a2):
    """``numpy.polymul``: the product of two polynomials (a convolution), differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.polymul(bnp.array([1.0, 2.0, 3.0]), bnp.array([9.0, 5.0, 1.0]))
    array([ 9., 23., 38., 17.,  3.])
    """
    a1, a2 = stacked(a1), stacked(a2)
    if not (isinstance(a1, Tensor) or isinstance(a2, Tensor)):
        return np.polymul(a1, a2)
    return bnp.convolve(bnp.atleast_1d(a1), bnp.atleast_1d(a2))


def polydiv(u, v):
    """``numpy.polydiv``: quotient and remainder of polynomial division, by NumPy's long division (so
    NumPy's values), differentiable in ``u`` and ``v``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.polydiv(bnp.array([1.0, -3.0, 2.0]), bnp.array([1.0, -1.0]))
    (array([ 1., -2.]), array([0.]))
    >>> bc.grad(lambda u: bnp.sum(bnp.polydiv(u, bnp.array([2.0, 1.0]))[0]))(bnp.array([1.0, 0.0, 1.0]))
    array([0.25, 0.5 , 0.  ])
    """
    u, v = stacked(u), stacked(v)
    if not (isinstance(u, Tensor) or isinstance(v, Tensor)):
        return np.polydiv(u, v)
    u, v = bnp.atleast_1d(u) + 0.0, bnp.atleast_1d(v) + 0.0
    dtype = np.result_type(_data(u).dtype, _data(v).dtype)
    m, n = np.shape(_data(u))[0] - 1, np.shape(_data(v))[0] - 1
    scale = 1.0 / v[0]
    r = [u[i] for i in range(m + 1)]
    q = []
    for k in range(m - n + 1):
        d = scale * r[k]
        q.append(d)
        for j in range(n + 1):
            r[k + j] = r[k + j] - d * v[j]
    while len(r) > 1 and np.allclose(_data(r[0]), 0, rtol=1e-14):
        r = r[1:]
    q = bnp.astype(bnp.stack(q), dtype) if q else np.zeros((1,), dtype)
    return q, bnp.astype(bnp.stack(r), dtype)


def polyder(p, m=1):
    """``numpy.polyder``: the ``m``-th derivative of a polynomial, differentiable in its coefficients.

    >>> import backchain.numpy as bnp
    >>> bnp.polyder(bnp.array([1.0, 1.0, 1.0, 1.0]), 2)
    array([6., 2.])
    """
    p = stacked(p)
    if not isinstance(p, Tensor):
        return np.polyder(p, m)
    m = operator.index(m)
    if m < 0:
        raise ValueError(f"polyder: order of derivative must be positive, got m={m}")
    for _ in range(m):
        n = p.shape[0] - 1
        p = p[:-1] * np.arange(n, 0, -1)
    return p


def polyint(p, m=1, k=None):
    """``numpy.polyint``: the ``m``-th antiderivative (integration constants ``k``), differentiable in
    ``p`` and ``k``.

    >>> import backchain.numpy as bnp
    >>> bnp.polyint(bnp.array([3.0, 2.0, 1.0]))
    array([1., 1., 1., 0.])
    """
    p, k = stacked(p), stacked(k)
    if not (isinstance(p, Tensor) or isinstance(k, Tensor)):
        return np.polyint(p, m, k)
    m = operator.index(m)
    if m < 0:
        raise ValueError(f"polyint: order of integral must be positive, got m={m}")
    k = np.zeros(m) if k is None else bnp.atleast_1d(k)
    if np.shape(_data(k))[0] == 1 and m > 1:
        k = bnp.broadcast_to(k[0], (m,))
    if np.shape(_data(k))[0] < m:
        raise ValueError(f"polyint: k must be a scalar or a rank-1 array of length 1 or >= m={m}")
    p = bnp.atleast_1d(p)
    for i in range(m):
        n = np.shape(_data(p))[0]
        p = bnp.concatenate([p / np.arange(n, 0, -1), bnp.reshape(k[i], (1,))])
    return p


def poly(seq_of_zeros):
    """``numpy.poly``: the coefficients of the monic polynomial with the given roots (of the
    eigenvalues of a square matrix), differentiable.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.poly(bnp.array([1.0, 2.0]))
    array([ 1., -3.,  2.])
    """
    seq = stacked(seq_of_zeros)
    if not isinstance(seq, Tensor):
        return np.poly(seq)
    seq = bnp.atleast_1d(seq)
    sh = seq.shape
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        seq = bnp.linalg.eigvals(seq)
    elif len(sh) != 1:
        raise ValueError(f"poly: input must be 1d or non-empty square 2d array, got shape {sh}")
    if sh[0] == 0:
        return 1.0
    dt = np.dtype(np.mintypecode(seq.dtype.char))
    seq = bnp.astype(seq, dt) if seq.dtype != dt else seq
    a = np.ones((1,), dtype=dt)
    for i in range(seq.shape[0]):
        a = bnp.convolve(a, bnp.stack([np.ones((), dtype=dt), -seq[i]]))
    if dt.kind == "c":
        roots = seq._data
        if np.all(np.sort(roots) == np.sort(roots.conjugate())):
            a = bnp.real(a)
    return a


def roots(p):
    """``numpy.roots``: the roots of a polynomial, as the eigenvalues of its companion matrix;
    differentiable where the roots are simple.

    >>> import backchain.numpy as bnp
    >>> bnp.roots(bnp.array([1.0, -3.0, 2.0]))
    array([2., 1.])
    """
    p = stacked(p)
    if not isinstance(p, Tensor):
        return np.roots(p)
    p = bnp.atleast_1d(p)
    if p.ndim != 1:
        raise ValueError(f"roots: input must be a rank-1 array, got shape {p.shape}")
    nonzero = np.flatnonzero(p._data)
    if nonzero.size == 0:
        return np.array([])
    trailing = p.shape[0] - int(nonzero[-1]) - 1
    p = p[int(nonzero[0]): int(nonzero[-1]) + 1]
    p = p if p.dtype.kind in "fc" else bnp.astype(p, float)
    n = p.shape[0]
    if n > 1:
        below = np.eye(n - 2, n - 1, dtype=p.dtype)
        companion = bnp.concatenate([bnp.reshape(-p[1:] / p[0], (1, n - 1)), below])
        r = bnp.linalg.eigvals(companion)
    else:
        r = np.array([], dtype=p.dtype)
    return bnp.concatenate([r, np.zeros(trailing, dtype=_data(r).dtype)]) if trailing else r


# -- unique values: a gather of each value's first occurrence ------------------------------------------

def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True,
           sorted=True):
    """``numpy.unique``; the values are differentiable: each is taken from its first occurrence,
    which receives its gradient (a gather; JAX's unique gives a zero gradient, PyTorch's none).
    Indices, inverse and counts are integers.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.sum(bnp.unique(x) * bnp.array([1.0, 10.0])))(bnp.array([3.0, 1.0, 3.0]))
    array([10.,  1.,  0.])
    """
    ar = stacked(ar)
    if not isinstance(ar, Tensor):
        return np.unique(ar, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan, sorted=sorted)
    res = np.unique(ar._data, True, return_inverse, return_counts, axis, equal_nan=equal_nan, sorted=sorted)
    values = bnp.take(ar, res[1], axis=axis)
    rest = res[1:] if return_index else res[2:]
    return (values, *rest) if rest else values


def _set_operation(name, ar1, ar2, **kwargs):
    """NumPy's set operation on the data; each value gathered from its first occurrence in ``ar1``
    then ``ar2`` (as :func:`unique` does), so that occurrence receives its gradient."""
    ar1, ar2 = stacked(ar1), stacked(ar2)
    fn = getattr(np, name)
    if not (isinstance(ar1, Tensor) or isinstance(ar2, Tensor)):
        return fn(ar1, ar2, **kwargs)
    res = fn(_data(ar1), _data(ar2), **kwargs)
    values = res[0] if isinstance(res, tuple) else res
    both = bnp.concatenate([bnp.ravel(ar1), bnp.ravel(ar2)])
    first, index = np.unique(_data(both), return_index=True)
    gathered = bnp.take(both, index[np.searchsorted(first, values)]) if values.size else values
    return (gathered, *res[1:]) if isinstance(res, tuple) else gathered


def union1d(ar1, ar2):
    """``numpy.union1d``: the sorted values in either array; each taken from its first occurrence
    (in ``ar1``, then ``ar2``), which receives its gradient.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda a: bnp.sum(bnp.union1d(a, bnp.array([2.0, 5.0])) ** 2))(bnp.array([2.0, 1.0]))
    array([4., 2.])
    """
    return _set_operation("union1d", ar1, ar2)


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """``numpy.intersect1d``: the sorted values in both arrays, taken from ``ar1`` (their first
    occurrence there receives the gradient); the indices are NumPy's.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda a: bnp.sum(bnp.intersect1d(a, bnp.array([2.0, 5.0])) * 3.0))(bnp.array([2.0, 1.0]))
    array([3., 0.])
    """
    return _set_operation("intersect1d", ar1, ar2, assume_unique=assume_unique, return_indices=return_indices)


def setdiff1d(ar1, ar2, assume_unique=False):
    """``numpy.setdiff1d``: the sorted values of ``ar1`` not in ``ar2``, differentiable in ``ar1``
    (first occurrences).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda a: bnp.sum(bnp.setdiff1d(a, bnp.array([2.0])) * 3.0))(bnp.array([2.0, 1.0, 1.0]))
    array([0., 3., 0.])
    """
    return _set_operation("setdiff1d", ar1, ar2, assume_unique=assume_unique)


def setxor1d(ar1, ar2, assume_unique=False):
    """``numpy.setxor1d``: the sorted values in exactly one of the arrays, each from its first
    occurrence, differentiable.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda b: bnp.sum(bnp.setxor1d(bnp.array([1.0, 2.0]), b) * 3.0))(bnp.array([2.0, 4.0]))
    array([0., 3.])
    """
    return _set_operation("setxor1d", ar1, ar2, assume_unique=assume_unique)


def _unique_api(x, name):
    x = stacked(x)
    plain = not isinstance(x, Tensor)
    if plain:
        return getattr(np, name)(x)
    values, index, inverse, counts = np.unique(x._data, True, True, True, equal_nan=False)
    values = bnp.take(x, index)
    inverse = inverse.reshape(x.shape) if x.ndim else inverse
    return {"unique_values": lambda: values,
            "unique_counts": lambda: UniqueCountsResult(values, counts),
            "unique_inverse": lambda: UniqueInverseResult(values, inverse),
            "unique_all": lambda: UniqueAllResult(values, index, inverse, counts)}[name]()


def unique_values(x):
    """``numpy.unique_values``: the sorted distinct values (NaNs kept apart), differentiable as
    :func:`unique`.

    >>> import backchain.numpy as bnp
    >>> bnp.unique_values(bnp.array([3.0, 1.0, 3.0]))
    array([1., 3.])
    """
    return _unique_api(x, "unique_values")


def unique_counts(x):
    """``numpy.unique_counts``: ``UniqueCountsResult(values, counts)``, the values differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.unique_counts(bnp.array([3.0, 1.0, 3.0])).counts
    array([1, 2])
    """
    return _unique_api(x, "unique_counts")


def unique_inverse(x):
    """``numpy.unique_inverse``: ``UniqueInverseResult(values, inverse_indices)``, the values
    differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.unique_inverse(bnp.array([3.0, 1.0, 3.0])).inverse_indices
    array([1, 0, 1])
    """
    return _unique_api(x, "unique_inverse")


def unique_all(x):
    """``numpy.unique_all``: ``UniqueAllResult(values, indices, inverse_indices, counts)``, the values
    differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.unique_all(bnp.array([3.0, 1.0, 3.0])).indices
    array([1, 0])
    """
    return _unique_api(x, "unique_all")


def test(*args, **kwargs):
    """``numpy.test``: runs NumPy's own test suite (arguments as NumPy's).

    >>> import numpy as np, backchain.numpy as bnp
    >>> callable(bnp.test)
    True
    """
    return np.test(*args, **kwargs)


class vectorize(np.vectorize):
    """``numpy.vectorize``, differentiable: given Tensors (or lists holding them), ``pyfunc`` is called
    on each element as a 0-d Tensor (after broadcasting, in C order) and the results are stacked, so
    its derivative is ``pyfunc``'s. As slow as NumPy's (a Python call per element); without Tensors it
    is NumPy's. ``signature=`` is NumPy's only (a Tensor raises).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> f = bnp.vectorize(lambda x, y: x * y if x > 0 else y)
    >>> bc.grad(lambda x: bnp.sum(f(x, bnp.array([2.0, 3.0]))))(bnp.array([1.0, -1.0]))
    array([2., 0.])
    """

    def __call__(self, *args, **kwargs):
        if not any(_held(a) for a in (*args, *kwargs.values())):
            return super().__call__(*args, **kwargs)
        if self.signature is not None:
            raise NotImplementedError(f"vectorize: signature={self.signature!r} is not supported for Tensors")
        names = [k for k in kwargs if k not in self.excluded]
        pos = [i for i in range(len(args)) if i not in self.excluded]
        vals = [stacked(args[i]) for i in pos] + [stacked(kwargs[k]) for k in names]
        vals = [v if isinstance(v, Tensor) else np.asarray(v) for v in vals]
        shape = np.broadcast_shapes(*[np.shape(_data(v)) for v in vals])
        vals = [bnp.broadcast_to(v, shape) for v in vals]
        outs = []
        for idx in np.ndindex(*shape):
            call_args, call_kw = list(args), dict(kwargs)
            for j, v in enumerate(vals):
                if j < len(pos):
                    call_args[pos[j]] = v[idx]
                else:
                    call_kw[names[j - len(pos)]] = v[idx]
            outs.append(self.pyfunc(*call_args, **call_kw))
        if not outs:
            raise ValueError("vectorize: cannot call the function on an empty Tensor (no element to learn its "
                             "output from)")
        several = isinstance(outs[0], tuple)
        columns = list(zip(*outs)) if several else [outs]
        results = []
        for k, column in enumerate(columns):
            r = bnp.reshape(bnp.array(list(column)), shape)
            dtype = self.otypes[k] if self.otypes else None
            results.append(bnp.astype(r, np.dtype(dtype)) if dtype is not None and _data(r).dtype != np.dtype(dtype)
                           else r)
        return tuple(results) if several else results[0]
