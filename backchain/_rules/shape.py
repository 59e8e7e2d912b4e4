"""Shape and joining: reshape, transpose, concatenate, stack, split, tile, pad and friends.

These are linear maps, so each row gives only the VJP (the transpose map); the
JVP applies the op to the tangent (``linear=True``). Only a few are primitives
(reshape, transpose, concatenate, stack, split, roll); the rest are composites
of them and of indexing, exact by construction. Every public function keeps the
fast path: with no Tensor among its arguments it is a plain NumPy call.
"""
import operator

import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.basic import broadcast_to  # noqa: F401  (re-exported)
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked, stacked_each
from .._vmap import rules as R
from .indexing import _scatter, getitem

__all__ = [
    "reshape", "transpose", "broadcast_to", "broadcast_arrays", "astype", "expand_dims", "swapaxes",
    "ravel", "moveaxis", "rollaxis", "matrix_transpose", "squeeze", "atleast_1d", "atleast_2d", "atleast_3d",
    "copy",
    "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "append",
    "split", "array_split", "hsplit", "vsplit", "dsplit", "unstack",
    "tile", "repeat", "flip", "fliplr", "flipud", "roll", "rot90", "pad", "triu", "tril",
]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _any_tensor(seq):
    for a in seq:
        if isinstance(a, Tensor):
            return True
    return False


def _shape(a):
    return np.shape(_data(a))


def _axis(axis, ndim, op):
    """``axis`` as a non-negative int, with NumPy's error naming the op."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{op}: axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _shape_after(fn, shape, *args, **kwargs):
    """The shape NumPy's ``fn`` gives an array of ``shape`` (on a zero-memory stand-in)."""
    return np.shape(fn(np.broadcast_to(np.empty((), dtype=np.bool_), shape), *args, **kwargs))


# -- reshape and transpose ------------------------------------------------------------

_reshape = primitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    vjp=(lambda g, ans, x, shape: _reshape(g, shape=np.shape(x)),),
    linear=True,
    batch=R.reshape_rule,
)


def _fortran_first(a, order, op):
    """Whether ``order`` ('C', 'F' or 'A') reads ``a`` in Fortran order ('A': if its data is
    Fortran-contiguous and not C-contiguous, as NumPy decides)."""
    if order == "C":
        return False
    if order == "F":
        return True
    if order == "A":
        return bool(np.isfortran(np.asarray(a._data)))
    raise ValueError(f"{op}: order must be 'C', 'F' or 'A', got {order!r}")


def reshape(a, shape=None, order="C", *, newshape=None):
    """``numpy.reshape``, differentiable (orders 'C', 'F' and 'A')."""
    if shape is None:
        shape = newshape
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.reshape(a, shape, order=order)
    if _fortran_first(a, order, "reshape"):  # Fortran order: C order on the axes reversed
        return transpose(reshape(transpose(a), shape[::-1]))
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        size = int(np.size(a._data))
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape an array of shape {a.shape} into shape {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if shape == np.shape(a._data):
        return a
    return _reshape(a, shape=shape)


_transpose = primitive(
    "transpose", lambda x, axes: np.transpose(x, axes),
    vjp=(lambda g, ans, x, axes: _transpose(g, axes=tuple(np.argsort(axes))),),
    linear=True,
    batch=R.transpose_rule,
)


def transpose(a, axes=None):
    """``numpy.transpose``, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.transpose(a, axes)
    nd = np.ndim(a._data)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(_axis(x, nd, "transpose") for x in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {nd} axes of shape {a.shape}")
    if axes == tuple(range(nd)):
        return a
    return _transpose(a, axes=axes)


def astype(x, dtype):
    """Cast to ``dtype`` (``ndarray.astype``); the cotangent is cast back."""
    from .._core.basic import cast
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not isinstance(x, Tensor):
        return np.asarray(x).astype(dtype)
    if np.dtype(dtype) == x.dtype:
        return x
    return cast(x, dtype=np.dtype(dtype))


def expand_dims(a, axis):
    """``numpy.expand_dims``, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.expand_dims(a, axis)
    return reshape(a, _shape_after(np.expand_dims, a.shape, axis))


def swapaxes(a, axis1, axis2):
    """``numpy.swapaxes``, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.swapaxes(a, axis1, axis2)
    nd = a.ndim
    axes = list(range(nd))
    i, j = _axis(axis1, nd, "swapaxes"), _axis(axis2, nd, "swapaxes")
    axes[i], axes[j] = axes[j], axes[i]
    return transpose(a, axes)


def ravel(a, order="C"):
    """``numpy.ravel``, differentiable, in every order: 'C', 'F', 'A' (Fortran order if the data is
    Fortran-contiguous) and 'K' (memory order: the axes taken by decreasing stride)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.ravel(a, order=order)
    if order == "K":
        if getattr(a, "_batched", False):  # inside vmap: an example's layout
            from .._vmap.batched import example_strides

            strides = example_strides(a)
        else:
            strides = np.asarray(a._data).strides
        perm = tuple(sorted(range(len(strides)), key=lambda i: -abs(strides[i])))  # stable, as NumPy's
        return reshape(transpose(a, perm) if perm != tuple(range(len(perm))) else a, (-1,))
    return reshape(a, (-1,), order=order)


def rollaxis(a, axis, start=0):
    """``numpy.rollaxis``: ``axis`` moved to just before position ``start``, differentiable (a transpose).

    >>> import backchain.numpy as bnp
    >>> bnp.rollaxis(bnp.ones((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.rollaxis(a, axis, start)
    nd = a.ndim
    axis = _axis(axis, nd, "rollaxis")
    start = operator.index(start)
    if start < 0:  # as NumPy: a negative start counts from the end like an axis
        start += nd
    if not 0 <= start <= nd:
        raise np.exceptions.AxisError(f"rollaxis: start {start} is out of bounds for an array of dimension {nd}")
    axes = list(range(nd))
    axes.remove(axis)
    axes.insert(start if start <= axis else start - 1, axis)
    return a if axes == list(range(nd)) else transpose(a, axes)


def matrix_transpose(x, /):
    """``numpy.matrix_transpose``: the last two axes swapped, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.matrix_transpose(bnp.ones((5, 2, 3))).shape
    (5, 3, 2)
    """
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if np.ndim(_data(x)) < 2:
        raise ValueError(f"matrix_transpose: input must have at least 2 dimensions, got shape {np.shape(_data(x))}")
    if not isinstance(x, Tensor):
        return np.matrix_transpose(x)
    return swapaxes(x, -1, -2)


def moveaxis(a, source, destination):
    """``numpy.moveaxis``, differentiable: a transpose."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.moveaxis(a, source, destination)
    nd = a.ndim
    src = [_axis(s, nd, "moveaxis") for s in np.atleast_1d(source)]
    dst = [_axis(d, nd, "moveaxis") for d in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must have the same length")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def squeeze(a, axis=None):
    """``numpy.squeeze``, differentiable: a reshape."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.squeeze(a, axis=axis)
    try:
        shape = _shape_after(np.squeeze, a.shape, axis=axis)
    except ValueError as e:
        raise ValueError(f"squeeze: {e} (shape {a.shape}, axis {axis})") from None
    return reshape(a, shape)


def _atleast(fn, arys):
    arys = stacked_each(arys)
    if not _any_tensor(arys):
        return fn(*arys)
    out = tuple(reshape(a, _shape_after(fn, _shape(a))) if isinstance(a, Tensor) else fn(a) for a in arys)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    """``numpy.atleast_1d``, differentiable."""
    return _atleast(np.atleast_1d, arys)


def atleast_2d(*arys):
    """``numpy.atleast_2d``, differentiable."""
    return _atleast(np.atleast_2d, arys)


def atleast_3d(*arys):
    """``numpy.atleast_3d``, differentiable: (N,) -> (1, N, 1), (M, N) -> (M, N, 1)."""
    return _atleast(np.atleast_3d, arys)


def copy(a, order="K", subok=False):
    """``numpy.copy``; a Tensor that requires grad is copied through the identity ``positive``."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.copy(a, order=order, subok=subok)
    if a.requires_grad or getattr(a, "_batched", False):  # (inside vmap: the examples copied)
        return bnp.positive(a)
    return Tensor(a._data.copy())


def broadcast_arrays(*args):
    """``numpy.broadcast_arrays``, differentiable: one ``broadcast_to`` per Tensor."""
    args = stacked_each(args)
    if not _any_tensor(args):
        return np.broadcast_arrays(*args)
    shape = np.broadcast_shapes(*[_shape(a) for a in args])
    return tuple(broadcast_to(a, shape) if isinstance(a, Tensor) else np.broadcast_to(a, shape) for a in args)


# -- joining -----------------------------------------------------------------------------

def _offsets(args, axis):
    ends = np.cumsum([np.shape(a)[axis] for a in args])
    return [0] + ends.tolist()


def _concatenate_vjp(i, g, ans, *args, axis):
    start, stop = _offsets(args, axis)[i:i + 2]
    return getitem(g, (slice(None),) * axis + (slice(start, stop),))


def _concatenate_jvp(i, t, ans, *args, axis):
    # Jointly linear (not multilinear): input i contributes its tangent in its own block, zeros elsewhere.
    start, stop = _offsets(args, axis)[i:i + 2]
    index = (slice(None),) * axis + (slice(start, stop),)
    return _scatter(broadcast_to(t, np.shape(args[i])), shape=np.shape(ans), index=index)


_concatenate = primitive(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    vjp=_concatenate_vjp, jvp=_concatenate_jvp, variadic=True,
    batch=R.join_rule,
)


def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concatenate``, differentiable in every array (one variadic primitive)."""
    arrays = stacked_each(arrays)
    if not _any_tensor(arrays):
        return np.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise TypeError("concatenate: out= is not supported for differentiable arrays")
    if not arrays:
        raise ValueError("concatenate: need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = [a if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
    nd = np.ndim(_data(arrays[0]))
    if nd == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return _concatenate(*arrays, axis=_axis(axis, nd, "concatenate"))


def _stack_vjp(i, g, ans, *args, axis):
    return getitem(g, (slice(None),) * axis + (i,))


def _stack_jvp(i, t, ans, *args, axis):
    t = broadcast_to(t, np.shape(args[i]))
    return _scatter(t, shape=np.shape(ans), index=(slice(None),) * axis + (i,))


# NOTE: stack is a primitive rather than expand_dims + concatenate: `array([s0, s1, ...])` of
# scalar tensors would otherwise record one reshape per element.
_stack = primitive(
    "stack", lambda *xs, axis: np.stack(xs, axis=axis),
    vjp=_stack_vjp, jvp=_stack_jvp, variadic=True,
    batch=R.join_rule,
)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.stack``, differentiable in every array."""
    arrays = stacked_each(arrays)
    if not _any_tensor(arrays):
        return np.stack(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise TypeError("stack: out= is not supported for differentiable arrays")
    arrays = [a if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
    shapes = {np.shape(_data(a)) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got {sorted(shapes)}")
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    nd = np.ndim(_data(arrays[0])) + 1
    return _stack(*arrays, axis=_axis(axis, nd, "stack"))


def _cast_all(arrays, dtype):
    return arrays if dtype is None else [astype(a, dtype) for a in arrays]


def vstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.vstack``, differentiable: concatenate along axis 0 after ``atleast_2d``."""
    tup = stacked_each(tup)
    if not _any_tensor(tup):
        return np.vstack(tup, dtype=dtype, casting=casting)
    return concatenate(_cast_all([atleast_2d(a) for a in tup], dtype), axis=0)


def hstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.hstack``, differentiable: along axis 1 (axis 0 for 1-d arrays)."""
    tup = stacked_each(tup)
    if not _any_tensor(tup):
        return np.hstack(tup, dtype=dtype, casting=casting)
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(_cast_all(arrs, dtype), axis=0 if np.ndim(_data(arrs[0])) == 1 else 1)


def dstack(tup):
    """``numpy.dstack``, differentiable: along axis 2 after ``atleast_3d``."""
    tup = stacked_each(tup)
    if not _any_tensor(tup):
        return np.dstack(tup)
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup):
    """``numpy.column_stack``, differentiable: 1-d arrays become columns."""
    tup = stacked_each(tup)
    if not _any_tensor(tup):
        return np.column_stack(tup)
    cols = []
    for a in tup:
        nd = np.ndim(_data(a))
        if nd < 2:
            a = reshape(a, (-1, 1)) if isinstance(a, Tensor) else np.reshape(a, (-1, 1))
        cols.append(a)
    return concatenate(cols, axis=1)


def append(arr, values, axis=None):
    """``numpy.append``, differentiable in both arguments."""
    arr, values = stacked_each((arr, values))
    if not _any_tensor((arr, values)):
        return np.append(arr, values, axis=axis)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# -- splitting ---------------------------------------------------------------------------

def _split_impl(x, indices, axis):
    return tuple(np.split(x, list(indices), axis=axis))


def _split_vjp(g, ans, x, indices, axis):
    # g: one cotangent per piece (zeros filled in for unused pieces); the transpose joins them.
    return bnp.concatenate(list(g), axis=axis)


_split = primitive(
    "split", _split_impl,
    vjp=(_split_vjp,),
    jvp=(lambda t, ans, x, indices, axis: list(_split(t, indices=indices, axis=axis)),),
    multiple_results=True,
    batch=R.split_rule,
)


def _cuts(n, indices_or_sections, op, even):
    if np.ndim(indices_or_sections) == 0:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{op}: number of sections must be larger than 0, got {sections}")
        each, extra = divmod(n, sections)
        if even and extra:
            raise ValueError(f"{op}: array split does not result in an equal division "
                             f"({n} elements into {sections} sections)")
        sizes = [each + 1] * extra + [each] * (sections - extra)
        return tuple(np.cumsum(sizes)[:-1].tolist())
    return tuple(operator.index(i) for i in indices_or_sections)


def array_split(ary, indices_or_sections, axis=0):
    """``numpy.array_split``, differentiable; the backward pass joins the pieces' cotangents."""
    if ary.__class__ is list or ary.__class__ is tuple:
        ary = stacked(ary)
    if not isinstance(ary, Tensor):
        return np.array_split(ary, indices_or_sections, axis=axis)
    axis = _axis(axis, ary.ndim, "array_split")
    cuts = _cuts(ary.shape[axis], indices_or_sections, "array_split", even=False)
    return list(_split(ary, indices=cuts, axis=axis))


def split(ary, indices_or_sections, axis=0):
    """``numpy.split``, differentiable (sections must divide the axis evenly)."""
    if ary.__class__ is list or ary.__class__ is tuple:
        ary = stacked(ary)
    if not isinstance(ary, Tensor):
        return np.split(ary, indices_or_sections, axis=axis)
    axis = _axis(axis, ary.ndim, "split")
    cuts = _cuts(ary.shape[axis], indices_or_sections, "split", even=True)
    return list(_split(ary, indices=cuts, axis=axis))


def hsplit(ary, indices_or_sections):
    """``numpy.hsplit``: split along axis 1 (axis 0 for 1-d arrays)."""
    if ary.__class__ is list or ary.__class__ is tuple:
        ary = stacked(ary)
    if not isinstance(ary, Tensor):
        return np.hsplit(ary, indices_or_sections)
    if ary.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, axis=1 if ary.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    """``numpy.vsplit``: split along axis 0 (arrays of 2 or more dimensions)."""
    if ary.__class__ is list or ary.__class__ is tuple:
        ary = stacked(ary)
    if not isinstance(ary, Tensor):
        return np.vsplit(ary, indices_or_sections)
    if ary.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions, got shape {ary.shape}")
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """``numpy.dsplit``: split along axis 2 (arrays of 3 or more dimensions)."""
    if ary.__class__ is list or ary.__class__ is tuple:
        ary = stacked(ary)
    if not isinstance(ary, Tensor):
        return np.dsplit(ary, indices_or_sections)
    if ary.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions, got shape {ary.shape}")
    return split(ary, indices_or_sections, axis=2)


def unstack(x, /, *, axis=0):
    """``numpy.unstack``, differentiable: one split, then a reshape per piece."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not isinstance(x, Tensor):
        return np.unstack(x, axis=axis)
    axis = _axis(axis, x.ndim, "unstack")
    n = x.shape[axis]
    shape = x.shape[:axis] + x.shape[axis + 1:]
    return tuple(reshape(p, shape) for p in _split(x, indices=tuple(range(1, n)), axis=axis)) if n else ()


# -- repetition ----------------------------------------------------------------------------

def tile(A, reps):
    """``numpy.tile``, differentiable: reshape, broadcast, reshape (the VJP sums the copies)."""
    if A.__class__ is list or A.__class__ is tuple:
        A = stacked(A)
    if not isinstance(A, Tensor):
        return np.tile(A, reps)
    reps = (operator.index(reps),) if np.ndim(reps) == 0 else tuple(operator.index(r) for r in reps)
    shape = A.shape
    d = max(len(shape), len(reps))
    shape = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + reps
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions {reps}")
    inter = tuple(v for s in shape for v in (1, s))
    wide = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    x = reshape(A, inter)
    return reshape(broadcast_to(x, wide), tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis=None):
    """``numpy.repeat``, differentiable.

    A scalar count is a reshape and a broadcast (the VJP sums the copies); per-element
    counts gather with an index array (the VJP adds the repeats up).
    """
    repeats = _data(repeats)
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.repeat(a, repeats, axis=axis)
    if axis is None:
        a, axis = ravel(a), 0
    nd = a.ndim
    axis = _axis(axis, nd, "repeat")
    n = a.shape[axis]
    reps = np.asarray(repeats)
    if reps.size == 1:
        r = operator.index(reps.reshape(()).item())
        if r < 0:
            raise ValueError(f"repeat: negative repeat count {r}")
        shape = a.shape
        x = reshape(a, shape[:axis + 1] + (1,) + shape[axis + 1:])
        x = broadcast_to(x, shape[:axis + 1] + (r,) + shape[axis + 1:])
        return reshape(x, shape[:axis] + (n * r,) + shape[axis + 1:])
    if reps.shape != (n,):
        raise ValueError(f"repeat: repeats of shape {reps.shape} do not match axis {axis} of length {n}")
    index = np.repeat(np.arange(n), reps)
    return getitem(a, (slice(None),) * axis + (index,))


# -- reordering ------------------------------------------------------------------------------

def flip(m, axis=None):
    """``numpy.flip``, differentiable: a reversed basic slice."""
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if not isinstance(m, Tensor):
        return np.flip(m, axis=axis)
    nd = m.ndim
    axes = range(nd) if axis is None else [_axis(a, nd, "flip") for a in np.atleast_1d(axis)]
    index = [slice(None)] * nd
    for a in axes:
        index[a] = slice(None, None, -1)
    return getitem(m, tuple(index))


def fliplr(m):
    """``numpy.fliplr``: reverse axis 1."""
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if not isinstance(m, Tensor):
        return np.fliplr(m)
    if m.ndim < 2:
        raise ValueError(f"fliplr: input must be >= 2-d, got shape {m.shape}")
    return flip(m, 1)


def flipud(m):
    """``numpy.flipud``: reverse axis 0."""
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if not isinstance(m, Tensor):
        return np.flipud(m)
    if m.ndim < 1:
        raise ValueError("flipud: input must be >= 1-d")
    return flip(m, 0)


def _roll_vjp(g, ans, x, shift, axis):
    return _roll(g, shift=tuple(-s for s in shift), axis=axis)


# A primitive: its transpose is the opposite roll, cheaper than a gather or two slices and a join.
_roll = primitive("roll", lambda x, shift, axis: np.roll(x, shift, axis=axis), vjp=(_roll_vjp,), linear=True,
                  batch=R.roll_rule)


def roll(a, shift, axis=None):
    """``numpy.roll``, differentiable (the VJP rolls back)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not isinstance(a, Tensor):
        return np.roll(a, shift, axis=axis)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    axes = np.atleast_1d(axis)
    shifts = np.atleast_1d(shift)
    axes, shifts = np.broadcast_arrays(axes, shifts)
    nd = a.ndim
    axes = tuple(_axis(ax, nd, "roll") for ax in axes.tolist())
    return _roll(a, shift=tuple(int(s) for s in shifts.tolist()), axis=axes)


def rot90(m, k=1, axes=(0, 1)):
    """``numpy.rot90``, differentiable: flips and a transpose, as NumPy does."""
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if not isinstance(m, Tensor):
        return np.rot90(m, k, axes)
    axes = tuple(axes)
    nd = m.ndim
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    a0, a1 = _axis(axes[0], nd, "rot90"), _axis(axes[1], nd, "rot90")
    if a0 == a1:
        raise ValueError(f"rot90: axes must be different, got {axes}")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (a0, a1))
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, a1), perm)
    return flip(transpose(m, perm), a1)


# -- padding and triangles ---------------------------------------------------------------------

_PAD_GATHER = ("edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad``, differentiable in ``array`` for modes constant, empty, edge, reflect, symmetric, wrap.

    Constant padding places the array into a zero array (the VJP slices the middle
    back out); the other modes join, along each axis, the array with gathers for the
    two pads, whose index maps ``numpy.pad`` itself computes on ``arange``, so the
    VJP adds up every copy of an element.
    ``constant_values`` are constants (no gradient flows to them).
    """
    if array.__class__ is list or array.__class__ is tuple:
        array = stacked(array)
    if not isinstance(array, Tensor):
        return np.pad(array, pad_width, mode=mode, **{k: _data(v) for k, v in kwargs.items()})
    nd = array.ndim
    shape = array.shape
    try:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (nd, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit an array of shape {shape}") from None
    if (pw < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    if mode in ("constant", "empty"):
        cv = _data(kwargs.pop("constant_values", 0)) if mode == "constant" else 0
        if kwargs:
            raise TypeError(f"pad: unsupported keyword arguments {sorted(kwargs)} for mode {mode!r}")
        out_shape = tuple(int(s + b + a) for s, (b, a) in zip(shape, pw))
        index = tuple(slice(int(b), int(b) + s) for s, (b, _) in zip(shape, pw))
        out = _scatter(array, shape=out_shape, index=index)
        if np.any(np.asarray(cv) != 0):
            out = out + np.pad(np.zeros(shape, dtype=array.dtype), pw, mode="constant", constant_values=cv)
        return out
    if mode not in _PAD_GATHER:
        raise NotImplementedError(f"pad: mode {mode!r} is not differentiable here; use one of "
                                  f"constant, empty, {', '.join(_PAD_GATHER)}")
    if kwargs.get("reflect_type", "even") != "even" or set(kwargs) - {"reflect_type"}:
        raise NotImplementedError(f"pad: unsupported options {kwargs} for mode {mode!r} (only reflect_type='even')")
    out = array
    for ax, (b, a) in enumerate(pw.tolist()):
        if b == 0 and a == 0:
            continue
        if shape[ax] == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} of shape {shape} using mode {mode!r}")
        # The middle is the array itself; only the pads gather (so the VJP adds up small pieces).
        index = np.pad(np.arange(shape[ax]), (b, a), mode=mode)
        lead = (slice(None),) * ax
        parts = [getitem(out, lead + (index[:b],))] if b else []
        parts.append(out)
        if a:
            parts.append(getitem(out, lead + (index[b + shape[ax]:],)))
        out = concatenate(parts, axis=ax)
    return out


def _tri_mask(m, k, upper):
    shape = _shape(m)
    n, cols = shape[-2:] if len(shape) >= 2 else (shape[-1], shape[-1])
    # tri: ones on and below diagonal k
    return np.tri(n, cols, k=k - 1 if upper else k, dtype=np.bool_)


def triu(m, k=0):
    """``numpy.triu``, differentiable: the lower part gets an exact zero (a ``where``)."""
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if not isinstance(m, Tensor):
        return np.triu(m, k)
    if m.ndim == 0:
        raise ValueError("triu: input must be at least 1-d")
    return bnp.where(_tri_mask(m, k, True), np.zeros((), dtype=m.dtype), m)


def tril(m, k=0):
    """``numpy.tril``, differentiable: the upper part gets an exact zero (a ``where``)."""
    if m.__class__ is list or m.__class__ is tuple:
        m = stacked(m)
    if not isinstance(m, Tensor):
        return np.tril(m, k)
    if m.ndim == 0:
        raise ValueError("tril: input must be at least 1-d")
    return bnp.where(_tri_mask(m, k, False), m, np.zeros((), dtype=m.dtype))
