"""Pooling: max, average, adaptive and unpooling, 1-D and 2-D (3-D where the code is the same).

Three primitives for windows in general:

* ``pool_windows`` copies every pooling window of the padded input into a
  leading axis, ``(prod(kernel), N, C, *out)``: one strided slice per kernel
  position (the window axis leads, so that reductions over it are vectorised);
* ``pool_windows_T`` is its transpose: it adds the window entries back into
  the input, one strided add per kernel position (overlapping windows add up;
  never ``np.add.at``);
* ``window_max`` is the maximum over the leading axis, whose derivative
  passes the cotangent to the maxima of each window by the tie rule
  (``_tie_weights``).

and three for the common max-pool whose windows tile the input (kernel ==
stride, no padding, no dilation), which copy no windows: ``tiled_max`` (a
running maximum over the strided slices), ``tiled_route`` (its derivative:
each window's cotangent times its tie weights, written into the input) and
``tiled_gather`` (the transpose of ``tiled_route``).

Average pooling is the sum over ``pool_windows`` divided by the window counts;
adaptive pooling uses per-axis averaging matrices (average) or a gather of
padded variable-size windows (max); unpooling is a scatter.

Ties (DESIGN.md section 4): by default the cotangent of a window is split
evenly among its tied maxima (the minimum-norm subgradient); under the
``"first"`` policy it goes to the first maximum in the window's row-major
order, which is what PyTorch does (as PyTorch, the last NaN of a window that
holds NaN; padding is never a maximum); ``"last"`` picks the last one. The mode is
read from the ``backchain.kinks`` policy (``bc.kinks.policy(ties=...)``), or
given per call with ``ties=``.
"""
import itertools

import numpy as np

import backchain.numpy as bnp
from .. import _ld
from .._core.primitive import primitive
from .._core.tensor import Tensor
from .._core.scratch import recycled as _output
from .._vmap import rules as R
from .conv import _tuple
from .sampling import take_flat, scatter_flat

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "max_unpool1d", "max_unpool2d"]

TIES = ("split", "first", "last")


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _ties_mode(ties=None):
    """The tie rule to use: ``ties`` if given, else the ``backchain.kinks`` policy of this thread."""
    if ties is None:
        from .. import kinks
        ties = kinks.get_policy()["ties"]
    if ties not in TIES:
        raise ValueError(f"max pooling: ties must be one of {TIES}, got {ties!r}")
    return ties


def _tie_weights(is_max_mask, axis, ties="split", dtype=np.float64):
    """How a window's cotangent is shared among its maxima: ``backchain.kinks.tie_weights`` under ``ties``."""
    from .. import kinks
    with kinks.policy(ties=ties):
        return kinks.tie_weights(is_max_mask, axis=axis, dtype=dtype)


# -- the window primitives -----------------------------------------------------------------------

def _window_slices(kernel, stride, dilation, out):
    """For each kernel position (row-major), the strided slice of the padded input it reads."""
    nd = len(kernel)
    for k in itertools.product(*(range(kk) for kk in kernel)):
        yield (slice(None), slice(None)) + tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
            for i in range(nd))


def _pool_windows_impl(x, kernel, stride, padding, dilation, out, fill):
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=fill) if any(map(any, padding)) else x
    return np.stack([xp[sl] for sl in _window_slices(kernel, stride, dilation, out)])


def _pool_windows_T_impl(v, xshape, kernel, stride, padding, dilation, out):
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(xshape[2:], padding))
    # col2im: one strided add per kernel position; overlapping windows accumulate (never np.add.at).
    disjoint = all(d * (k - 1) < st for k, st, d in zip(kernel, stride, dilation)) and v.shape[0] > 0
    # windows that tile the input exactly (kernel == stride, no padding): no zero fill needed
    covered = all(d == 1 and k == st and st * o == n for k, st, d, o, n in zip(kernel, stride, dilation, out, padded))
    buf = (np.empty if covered and v.shape[0] > 0 else np.zeros)(tuple(xshape[:2]) + padded, dtype=v.dtype)
    for vk, sl in zip(v, _window_slices(kernel, stride, dilation, out)):
        if disjoint:
            buf[sl] = vk   # windows that do not overlap: every position is written at most once
        else:
            buf[sl] += vk
    crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(xshape[2:], padding))
    return buf[(slice(None), slice(None)) + crop]


def _pool_windows_vjp(g, ans, x, kernel, stride, padding, dilation, out, fill):
    return pool_windows_T(g, xshape=tuple(x.shape), kernel=kernel, stride=stride, padding=padding,
                          dilation=dilation, out=out)


def _pool_windows_jvp(t, ans, x, kernel, stride, padding, dilation, out, fill):
    # Affine in x (the padding is a constant): the tangent of the padding is 0, whatever `fill` is.
    return pool_windows(t, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out=out, fill=0.0)


pool_windows = primitive(
    "pool_windows", _pool_windows_impl, vjp=(_pool_windows_vjp,), jvp=(_pool_windows_jvp,),
    doc="Every pooling window of the input padded with `fill`, as a trailing axis.",
    batch=R.pool_windows_rule,
)


def _pool_windows_T_vjp(g, ans, v, xshape, kernel, stride, padding, dilation, out):
    return pool_windows(g, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out=out, fill=0.0)


pool_windows_T = primitive(
    "pool_windows_T", _pool_windows_T_impl, vjp=(_pool_windows_T_vjp,), linear=True,
    doc="The transpose of pool_windows: window entries added back into the input (col2im).",
    batch=R.pool_windows_T_rule,
)


def _window_maxima(v, ans, valid, ties):
    """The entries of each window equal to its maximum (NaN counting as equal to NaN), padding excluded:
    the fill of the padding ties with a window of -inf inputs, but is no input (PyTorch never picks it)."""
    mask = v == ans
    if ans.dtype.kind in "fc" and np.isnan(ans).any():
        mask |= np.isnan(v) & np.isnan(ans)
        mask = _last_nan(mask, ans, ties)
    if valid is not None:
        mask &= valid
    return mask


def _last_nan(mask, ans, ties):
    """Under "first", a window whose maximum is NaN keeps only its last NaN: PyTorch takes every NaN it
    meets (``val > max or isnan(val)``), so its choice is the last one."""
    nan = np.isnan(ans)
    if ties != "first" or not nan.any():
        return mask
    last = len(mask) - 1 - np.argmax(mask[::-1], axis=0)
    keep = np.arange(len(mask)).reshape((-1,) + (1,) * ans.ndim) == last
    return np.where(nan, mask & keep, mask)


def _window_max_weights(v, ans, ties, valid):
    v, ans = np.asarray(_data(v)), np.asarray(_data(ans))
    return _tie_weights(_window_maxima(v, ans, valid, ties), 0, ties,
                        dtype=v.dtype if v.dtype.kind in "fc" else np.float64)


def _window_max_vjp(g, ans, v, ties, valid=None):
    return bnp.expand_dims(g, 0) * _window_max_weights(v, ans, ties, valid)


def _window_max_jvp(t, ans, v, ties, valid=None):
    return bnp.sum(t * _window_max_weights(v, ans, ties, valid), axis=0)


window_max = primitive(
    "window_max", lambda v, ties, valid=None: np.max(v, axis=0), vjp=(_window_max_vjp,), jvp=(_window_max_jvp,),
    ld=_ld.WINDOW_MAX,
    kinks="max-pool ties: the cotangent is split evenly among the tied maxima of a window (min-norm); "
          "policy 'first' (PyTorch) or 'last' gives it all to one; overlapping windows add up; padding "
          "(``valid`` False) is never a maximum",
    doc="Maximum over the leading (window) axis, with the pooling tie rule; ``valid`` (boolean, broadcast "
        "against ``v``, or None) marks the entries that are inputs rather than padding.",
    batch=R.window_max_rule,
)


# -- non-overlapping windows that tile the input (kernel == stride, no padding, no dilation) --------
# The common max-pool (kernel 2, stride 2): no window copy at all. The forward is a running maximum
# over the prod(kernel) strided slices of the input; the derivative routes each window's cotangent
# to its maxima, one strided write per kernel position. The routing weights have the layout of
# pool_windows, (prod(kernel), N, C, *out), so that the tie rule (axis 0, row-major window order)
# is the same as window_max's.

def _tile_slices(kernel):
    """For each kernel position (row-major), the strided slice of the input it reads."""
    for k in itertools.product(*(range(kk) for kk in kernel)):
        yield (slice(None), slice(None)) + tuple(slice(k[i], None, kernel[i]) for i in range(len(kernel)))


def _tiled_max_impl(x, kernel, ties):
    slices = iter(_tile_slices(kernel))
    first = x[next(slices)]
    y = _output("tiled_max", first.shape, first.dtype)
    np.copyto(y, first)
    for sl in slices:
        np.maximum(y, x[sl], out=y)
    return y


def _tiled_max_weights(x, ans, kernel, ties):
    """Routing weights: ``(mask, scale)``, the weight of window entry k being ``mask[k] * scale``.

    ``mask`` (boolean, ``(prod(kernel), N, C, *out)``) marks the maxima that receive the cotangent;
    ``scale`` is None (each window has one such entry) or, under the "split" rule with ties, one over
    the number of tied maxima of each window, ``(N, C, *out)``. The weights are those of
    ``backchain.kinks.tie_weights`` over the window's row-major order, without float temporaries
    of the windows' size (ties are common after a ReLU: windows of zeros).
    """
    x, ans = np.asarray(_data(x)), np.asarray(_data(ans))
    mask = np.empty((int(np.prod(kernel)),) + ans.shape, dtype=bool)
    nan = ans.dtype.kind in "fc" and np.isnan(ans).any()
    for m, sl in zip(mask, _tile_slices(kernel)):
        np.equal(x[sl], ans, out=m)
        if nan:
            m |= np.isnan(x[sl]) & np.isnan(ans)
    if nan:
        mask = _last_nan(mask, ans, ties)
    if np.count_nonzero(mask) == ans.size:   # one maximum per window: every tie rule gives the mask
        return mask, None
    if ties == "split":
        if len(mask) < 256:   # NOTE: uint8 counts (no overflow below 256 entries): 20x faster than intp
            u = mask.view(np.uint8)
            count = u[0].copy()
            for uk in u[1:]:
                count += uk
        else:
            count = np.add.reduce(mask, axis=0, dtype=np.intp)
        dtype = x.dtype if x.dtype.kind in "fc" else np.float64
        return mask, np.divide(1, count, dtype=dtype)
    taken = np.zeros(ans.shape, dtype=bool)      # "first" or "last": one maximum per window keeps its mark
    for m in (mask if ties == "first" else mask[::-1]):
        m &= ~taken
        taken |= m
    return mask, None


def _tiled_route_impl(g, weights, scale, kernel):
    xshape = g.shape[:2] + tuple(o * k for o, k in zip(g.shape[2:], kernel))
    if scale is not None:
        g = g * scale
    out = _output("tiled_route", xshape, g.dtype if g.dtype.kind in "fc" else np.result_type(g, np.float64))
    for wk, sl in zip(weights, _tile_slices(kernel)):
        np.multiply(g, wk, out=out[sl])
    return out


def _tiled_gather_impl(c, weights, scale, kernel):
    slices = iter(_tile_slices(kernel))
    out = c[next(slices)] * weights[0]
    for wk, sl in zip(weights[1:], slices):
        out += c[sl] * wk
    return out if scale is None else out * scale


def _tiled_max_vjp(g, ans, x, kernel, ties):
    mask, scale = _tiled_max_weights(x, ans, kernel, ties)
    return tiled_route(g, weights=mask, scale=scale, kernel=kernel)


def _tiled_max_jvp(t, ans, x, kernel, ties):
    mask, scale = _tiled_max_weights(x, ans, kernel, ties)
    return tiled_gather(t, weights=mask, scale=scale, kernel=kernel)


tiled_max = primitive(
    "tiled_max", _tiled_max_impl, vjp=(_tiled_max_vjp,), jvp=(_tiled_max_jvp,),
    ld=_ld.TILED_MAX,
    kinks="max-pool ties, as window_max: the cotangent is split evenly among the tied maxima of a window "
          "(min-norm); policy 'first' (PyTorch) or 'last' gives it all to one",
    doc="Max pooling with kernel == stride over an input the windows tile exactly (no padding, no dilation).",
    batch=R.fold_rule(),
)


def _tiled_route_vjp(c, ans, g, weights, scale, kernel):
    return tiled_gather(c, weights=weights, scale=scale, kernel=kernel)


tiled_route = primitive(
    "tiled_route", _tiled_route_impl, vjp=(_tiled_route_vjp,), linear=True,
    doc="Each window's value times its routing weights, written into the tiled input (kernel == stride).",
    batch=R.tiled_rule,
)


def _tiled_gather_vjp(g, ans, c, weights, scale, kernel):
    return tiled_route(g, weights=weights, scale=scale, kernel=kernel)


tiled_gather = primitive(
    "tiled_gather", _tiled_gather_impl, vjp=(_tiled_gather_vjp,), linear=True,
    doc="The transpose of tiled_route: the weighted sum over each tiling window.",
    batch=R.tiled_rule,
)


def _chosen(vd, ties, valid=None):
    """Position in each window of the maximum that return_indices reports (first, or last under "last")."""
    rule = "last" if ties == "last" else "first"
    return np.argmax(_tie_weights(_window_maxima(vd, vd.max(0), valid, rule), 0, rule), axis=0)


# -- argument handling ---------------------------------------------------------------------------

def _batched(op, input, nd):
    shape = np.shape(_data(input))
    if len(shape) == nd + 1:
        return bnp.expand_dims(input, 0), True
    if len(shape) != nd + 2:
        raise ValueError(f"{op}: input must be (N, C, *spatial) with {nd} spatial dims, or unbatched, got shape "
                         f"{shape}")
    return input, False


def _out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    if ceil_mode:
        out = -(-num // s) + 1
        if (out - 1) * s >= n + p:  # the last window must start inside the input or its left padding
            out -= 1
    else:
        out = num // s + 1
    return out


def _geometry(op, shape, nd, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _tuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, "stride", op)
    padding = _tuple(padding, nd, "padding", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive and padding non-negative, got "
                         f"kernel_size={kernel}, stride={stride}, padding={padding}, dilation={dilation}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    space = shape[2:]
    out = tuple(_out_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(space, kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{op}: input of spatial shape {space} is too small for kernel {kernel} (dilation "
                         f"{dilation}, padding {padding}): the output would be {out}")
    pads = tuple((p, max((o - 1) * s + d * (k - 1) + 1 - n - p, 0))
                 for n, k, s, p, d, o in zip(space, kernel, stride, padding, dilation, out))
    return dict(kernel=kernel, stride=stride, padding=pads, dilation=dilation, out=out)


# -- max pooling ---------------------------------------------------------------------------------

def _tiles(shape, geo):
    """Whether the windows tile the input exactly: kernel == stride, no padding, no dilation."""
    return all(k == st and d == 1 and lo == 0 and hi == 0 and o * k == n
               for k, st, d, (lo, hi), o, n in zip(geo["kernel"], geo["stride"], geo["dilation"], geo["padding"],
                                                   geo["out"], shape[2:])) and min(shape) > 0


def _max_poolnd(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, ties):
    ties = _ties_mode(ties)
    input, unbatched = _batched(op, input, nd)
    shape = np.shape(_data(input))
    geo = _geometry(op, shape, nd, kernel_size, stride, padding, dilation, ceil_mode)
    dtype = (input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype)
    fill = -np.inf if dtype.kind == "f" else np.iinfo(dtype).min
    if not return_indices and _tiles(shape, geo):
        y = tiled_max(input, kernel=geo["kernel"], ties=ties)
        return y[0] if unbatched else y
    v = pool_windows(input, fill=fill, **geo)
    valid = None
    if any(lo or hi for lo, hi in geo["padding"]):  # which window entries are inputs: (K, 1, 1, *out)
        valid = _pool_windows_impl(np.ones((1, 1) + shape[2:], dtype=bool), fill=False, **geo)
    y = window_max(v, ties=ties, valid=valid)
    if unbatched:
        y = y[0]
    if not return_indices:
        return y
    # Index of the chosen maximum into the flattened input plane (PyTorch's convention).
    def indices(vd):
        kpos = np.unravel_index(_chosen(vd, ties, valid), geo["kernel"])
        pos = []
        for i in range(nd):
            o = np.arange(geo["out"][i]).reshape((-1,) + (1,) * (nd - 1 - i))
            pos.append(o * geo["stride"][i] - geo["padding"][i][0] + kpos[i] * geo["dilation"][i])
        return np.ravel_multi_index(tuple(pos), shape[2:])

    if getattr(v, "_batched", False):  # inside vmap: each example's windows
        from .._vmap.batched import constant_per_example

        idx = constant_per_example(indices, v)
    else:
        idx = indices(np.asarray(_data(v)))
    return y, (idx[0] if unbatched else idx)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
               *, ties=None):
    """1-D max pooling, ``torch.nn.functional.max_pool1d``.

    Parameters
    ----------
    input : array or Tensor, shape (N, C, L) or (C, L)
    kernel_size, stride, padding, dilation : int or tuple
        ``stride`` defaults to ``kernel_size``; padding (at most half the kernel) is -inf.
    ceil_mode : bool
        Round the output length up (a last, partial window).
    return_indices : bool
        Also return the flat index of each maximum in its input plane (for ``max_unpool1d``).
    ties : {"split", "first", "last"}, optional
        How tied maxima share the gradient; default: the ``backchain.kinks`` policy, else "split".

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> from backchain._rules.pool import max_pool1d
    >>> x = np.array([[[1.0, 3.0, 3.0, 2.0]]])
    >>> max_pool1d(x, 2)
    array([[[3., 3.]]])
    >>> bc.grad(lambda x: max_pool1d(x, 3, stride=1).sum())(x)
    array([[[0., 1., 1., 0.]]])
    """
    return _max_poolnd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       ties)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
               *, ties=None):
    """2-D max pooling, ``torch.nn.functional.max_pool2d``; see :func:`max_pool1d`.

    Overlapping windows add up their gradients; tied maxima share a window's gradient
    by the tie rule ("first" equals PyTorch).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> from backchain._rules.pool import max_pool2d
    >>> x = np.array([[[[1.0, 2.0], [2.0, 0.0]]]])
    >>> bc.grad(lambda x: max_pool2d(x, 2).sum())(x)
    array([[[[0. , 0.5],
             [0.5, 0. ]]]])
    >>> bc.grad(lambda x: max_pool2d(x, 2, ties="first").sum())(x)
    array([[[[0., 1.],
             [0., 0.]]]])
    """
    return _max_poolnd("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       ties)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
               *, ties=None):
    """3-D max pooling, ``torch.nn.functional.max_pool3d``; see :func:`max_pool1d`.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import max_pool3d
    >>> max_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2).ravel()
    array([7.])
    """
    return _max_poolnd("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       ties)


# -- average pooling -----------------------------------------------------------------------------

def _divisor(geo, space, count_include_pad, divisor_override):
    if divisor_override:
        return float(divisor_override)
    nd = len(space)
    div = np.ones(geo["out"])
    for i in range(nd):
        n, k, s, p = space[i], geo["kernel"][i], geo["stride"][i], geo["padding"][i][0]
        start = np.arange(geo["out"][i]) * s - p
        end = np.minimum(start + k, n + p)
        size = end - start
        count = np.minimum(end, n) - np.maximum(start, 0)
        div = div * (size if count_include_pad else count).reshape((-1,) + (1,) * (nd - 1 - i))
    return div


def _avg_poolnd(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    input, unbatched = _batched(op, input, nd)
    shape = np.shape(_data(input))
    geo = _geometry(op, shape, nd, kernel_size, stride, padding, 1, ceil_mode)
    div = _divisor(geo, shape[2:], count_include_pad, divisor_override)
    dtype = (input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype)
    y = bnp.sum(pool_windows(input, fill=0.0, **geo), axis=0) / np.asarray(div, dtype=dtype)
    return y[0] if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling, ``torch.nn.functional.avg_pool1d``.

    ``count_include_pad`` counts the zero padding in each window's divisor.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import avg_pool1d
    >>> avg_pool1d(np.array([[[1.0, 2.0, 3.0]]]), 2, padding=1, count_include_pad=False)
    array([[[1. , 2.5]]])
    """
    return _avg_poolnd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling, ``torch.nn.functional.avg_pool2d`` (``divisor_override`` replaces every divisor).

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import avg_pool2d
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return _avg_poolnd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling, ``torch.nn.functional.avg_pool3d``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import avg_pool3d
    >>> avg_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2).ravel()
    array([3.5])
    """
    return _avg_poolnd("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


# -- adaptive pooling ----------------------------------------------------------------------------

def _adaptive_bounds(n, out):
    i = np.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _adaptive_sizes(op, shape, output_size, nd):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(shape[2 + i] if o is None else int(o) for i, o in enumerate(output_size))
    if len(output_size) != nd or min(output_size) < 1:
        raise ValueError(f"{op}: output_size must be {nd} positive ints, got {output_size}")
    return output_size


def _adaptive_avg(op, nd, input, output_size):
    input, unbatched = _batched(op, input, nd)
    shape = np.shape(_data(input))
    out = _adaptive_sizes(op, shape, output_size, nd)
    dtype = (input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype)
    y = input
    for i in range(nd):
        n = shape[2 + i]
        start, end = _adaptive_bounds(n, out[i])
        j = np.arange(n)
        a = ((j >= start[:, None]) & (j < end[:, None])) / (end - start)[:, None]
        axis = 2 + i
        if axis == nd + 1:
            y = bnp.matmul(y, a.T.astype(dtype))
        else:
            y = bnp.moveaxis(bnp.matmul(bnp.moveaxis(y, axis, -1), a.T.astype(dtype)), -1, axis)
    return y[0] if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling to a given length, ``torch.nn.functional.adaptive_avg_pool1d``.

    Window ``i`` covers ``[floor(i L / out), ceil((i + 1) L / out))``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import adaptive_avg_pool1d
    >>> adaptive_avg_pool1d(np.array([[[1.0, 2.0, 3.0]]]), 2)
    array([[[1.5, 2.5]]])
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Adaptive average pooling to a given ``(H_out, W_out)``, ``torch.nn.functional.adaptive_avg_pool2d``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import adaptive_avg_pool2d
    >>> adaptive_avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 1)
    array([[[[7.5]]]])
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def _adaptive_max(op, nd, input, output_size, return_indices, ties):
    ties = _ties_mode(ties)
    input, unbatched = _batched(op, input, nd)
    shape = np.shape(_data(input))
    out = _adaptive_sizes(op, shape, output_size, nd)
    per_axis = []
    for i in range(nd):
        start, end = _adaptive_bounds(shape[2 + i], out[i])
        kmax = int((end - start).max())
        idx = start[:, None] + np.arange(kmax)
        per_axis.append(np.where(idx < end[:, None], idx, -1))
    # Flat index of every (window, offset) pair: (*out, *kmax) -> (prod(out) * prod(kmax),), -1 for padding.
    grids = np.meshgrid(*[a.ravel() for a in per_axis], indexing="ij")
    grids = [g.reshape(sum(([o, a.shape[1]] for o, a in zip(out, per_axis)), [])) for g in grids]
    valid = np.logical_and.reduce([g >= 0 for g in grids])
    flat = np.where(valid, np.ravel_multi_index(tuple(np.maximum(g, 0) for g in grids), shape[2:]), -1)
    perm = tuple(range(0, 2 * nd, 2)) + tuple(range(1, 2 * nd, 2))
    flat = flat.transpose(perm).reshape(tuple(out) + (-1,))
    dtype = (input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype)
    fill = -np.inf if dtype.kind == "f" else np.iinfo(dtype).min
    # The window offsets lead: (prod(kmax), N, C, *out), as pool_windows lays them out.
    v = take_flat(bnp.reshape(input, shape[:2] + (-1,)), index=np.moveaxis(flat, -1, 0).reshape(-1), fill=fill)
    v = bnp.moveaxis(bnp.reshape(v, shape[:2] + (flat.shape[-1],) + tuple(out)), 2, 0)
    valid = np.moveaxis(flat >= 0, -1, 0)[:, None, None]
    valid = None if valid.all() else valid
    y = window_max(v, ties=ties, valid=valid)
    if unbatched:
        y = y[0]
    if not return_indices:
        return y
    vd = np.asarray(_data(v))
    k = _chosen(vd, ties, valid)
    lead = np.moveaxis(flat, -1, 0).reshape((flat.shape[-1], 1, 1) + tuple(out))
    idx = np.take_along_axis(np.broadcast_to(lead, vd.shape), k[None], axis=0)[0]
    return y, (idx[0] if unbatched else idx)


def adaptive_max_pool1d(input, output_size, return_indices=False, *, ties=None):
    """Adaptive max pooling to a given length, ``torch.nn.functional.adaptive_max_pool1d``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import adaptive_max_pool1d
    >>> adaptive_max_pool1d(np.array([[[1.0, 5.0, 3.0]]]), 2)
    array([[[5., 5.]]])
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices, ties)


def adaptive_max_pool2d(input, output_size, return_indices=False, *, ties=None):
    """Adaptive max pooling to ``(H_out, W_out)``, ``torch.nn.functional.adaptive_max_pool2d``.

    Windows of different sizes are gathered padded with -inf; ties follow :func:`max_pool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import adaptive_max_pool2d
    >>> adaptive_max_pool2d(np.arange(9.0).reshape(1, 1, 3, 3), 2)
    array([[[[4., 5.],
             [7., 8.]]]])
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices, ties)


# -- unpooling -----------------------------------------------------------------------------------

def _max_unpoolnd(op, nd, input, indices, kernel_size, stride, padding, output_size):
    input, unbatched = _batched(op, input, nd)
    shape = np.shape(_data(input))
    indices = np.asarray(_data(indices))
    if unbatched:
        indices = indices[None]
    if indices.shape != shape or indices.dtype.kind not in "iu":
        raise ValueError(f"{op}: indices must be integers of the input's shape {shape}, got {indices.dtype} "
                         f"{indices.shape}")
    kernel = _tuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None else _tuple(stride, nd, "stride", op)
    padding = _tuple(padding, nd, "padding", op)
    if output_size is None:
        space = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(shape[2:], stride, padding, kernel))
    else:
        space = tuple(int(s) for s in tuple(output_size)[-nd:])
    size = int(np.prod(space))
    idx = indices.reshape(shape[:2] + (-1,))
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"{op}: indices must lie in [0, {size}) for the output spatial shape {space}")
    # Like PyTorch, a repeated index keeps one value (the last written), not the sum: the others are masked.
    rows = np.arange(int(np.prod(shape[:2])))[:, None]
    idx2 = idx.reshape(rows.shape[0], -1)
    order = np.broadcast_to(np.arange(idx2.shape[-1]), idx2.shape)
    src = np.full((rows.shape[0], size), -1)
    src[rows, idx2] = order
    winner = (np.take_along_axis(src, idx2, axis=-1) == order).reshape(idx.shape)
    winner = winner.astype((input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype))
    flat = bnp.reshape(input, shape[:2] + (-1,))
    if not winner.all():
        flat = flat * winner
    y = bnp.reshape(scatter_flat(flat, index=idx, size=size), shape[:2] + space)
    return y[0] if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Place values back at the indices of :func:`max_pool1d`, zeros elsewhere (``F.max_unpool1d``).

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import max_unpool1d
    >>> max_unpool1d(np.array([[[5.0, 7.0]]]), np.array([[[1, 2]]]), 2)
    array([[[0., 5., 7., 0.]]])
    """
    return _max_unpoolnd("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d`, ``torch.nn.functional.max_unpool2d``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.pool import max_pool2d, max_unpool2d
    >>> x = np.array([[[[1.0, 4.0], [3.0, 2.0]]]])
    >>> y, i = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(y, i, 2)
    array([[[[0., 4.],
             [0., 0.]]]])
    """
    return _max_unpoolnd("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)
