"""Resampling: padding, interpolation, pixel shuffles, affine grids and grid sampling.

Two primitives carry every gather here: ``take_flat`` reads ``x[..., index]``
along the last axis (an index of -1 reads ``fill``), and ``scatter_flat`` is
its transpose, adding values into bins with one ``np.bincount`` (never
``np.add.at``). Everything else is a composite of them and of
``backchain.numpy``, so derivatives of any order come for free.

Bilinear sampling is piecewise linear in the sample coordinate; its kinks sit
at integer pixel coordinates. Convention (``GRID_SAMPLE_KINKS``): at an integer
coordinate the derivative with respect to the coordinate is the one-sided
derivative from the right, ``x[i + 1] - x[i]`` (the cell ``[floor(c), floor(c) + 1]``),
as in PyTorch, which also takes ``floor``. A coordinate within a few rounding
errors of an integer is snapped onto it (by adding a constant, so the
derivative is unchanged): the identity transform then returns the input
exactly, and its gradient lies in the documented cell.
"""
import math

import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor
from .._vmap import rules as R

__all__ = ["pad", "interpolate", "pixel_shuffle", "pixel_unshuffle", "affine_grid", "grid_sample"]

GRID_SAMPLE_KINKS = ("grid_sample/bilinear at an integer pixel coordinate: the right-sided derivative "
                     "x[i+1] - x[i] (floor picks the cell); coordinates within rounding of an integer snap onto it; "
                     "clipped coordinates (border, reflection) have derivative 0 at and beyond the edges; "
                     "nearest: derivative 0 with respect to the grid")


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _const(a):
    """The values of ``a`` as constants: a plain array, or inside ``vmap`` the batched value cut from
    the graph (its examples differ, so the positions computed from it are batched too)."""
    if getattr(a, "_batched", False):
        return a.detach()
    return np.asarray(_data(a))


# -- the gather / scatter pair ------------------------------------------------------------------

def _take_flat_impl(x, index, fill):
    index = np.broadcast_to(index, x.shape[:-1] + index.shape[-1:])
    valid = index >= 0
    out = np.take_along_axis(x, np.where(valid, index, 0), axis=-1)
    if not valid.all():
        out = np.where(valid, out, np.asarray(fill, dtype=out.dtype))
    return out


def _scatter_flat_impl(v, index, size):
    index = np.broadcast_to(index, v.shape)
    lead = v.shape[:-1]
    rows = int(np.prod(lead))
    bins = np.where(index >= 0, index, size).reshape(rows, -1) + (size + 1) * np.arange(rows)[:, None]
    n = rows * (size + 1)

    def count(w):
        return np.bincount(bins.ravel(), weights=w.ravel(), minlength=n).reshape(rows, size + 1)[:, :size]

    if np.iscomplexobj(v):
        out = count(v.real) + 1j * count(v.imag)
    else:
        out = count(v)
    return out.astype(v.dtype, copy=False).reshape(lead + (size,))


def _take_flat_vjp(g, ans, x, index, fill):
    return scatter_flat(g, index=index, size=x.shape[-1])


def _take_flat_jvp(t, ans, x, index, fill):
    return take_flat(t, index=index, fill=0.0)


take_flat = primitive(
    "take_flat", _take_flat_impl, vjp=(_take_flat_vjp,), jvp=(_take_flat_jvp,),
    doc="x[..., index] along the last axis (index broadcast over the leading axes); -1 reads `fill`.",
    batch=R.take_flat_rule,
)

scatter_flat = primitive(
    "scatter_flat", _scatter_flat_impl,
    vjp=(lambda g, ans, v, index, size: take_flat(g, index=index, fill=0.0),), linear=True,
    doc="Zeros of (..., size) with v[..., m] added at index[..., m] (-1 dropped): the transpose of take_flat.",
    batch=R.scatter_flat_rule,
)


# -- pad -----------------------------------------------------------------------------------------

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """Pad the last dimensions, ``torch.nn.functional.pad``.

    Parameters
    ----------
    input : array or Tensor
    pad : tuple of ints
        ``(left, right)`` for the last axis, then ``(top, bottom)`` for the one before, ...
        (the last dimension first, as in PyTorch). Negative amounts crop (constant mode).
    mode : {"constant", "reflect", "replicate", "circular"}
    value : float, optional
        The fill of constant padding (default 0).

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.sampling import pad
    >>> pad(np.array([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    array([[3., 2., 1., 2., 3., 2.]])
    """
    pad = tuple(int(p) for p in pad)
    shape = np.shape(_data(input))
    nd = len(shape)
    if len(pad) % 2 or len(pad) // 2 > nd:
        raise ValueError(f"pad: the pad tuple {pad} must have an even length of at most 2 * ndim = {2 * nd} "
                         f"(input shape {shape})")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode != "constant":
        if value not in (None, 0, 0.0):
            raise ValueError(f"pad: value= is only used by mode='constant', got mode={mode!r}")
        for ax, (lo, hi) in enumerate(widths):
            if lo < 0 or hi < 0:
                raise ValueError(f"pad: negative padding {pad} is only supported in mode 'constant'")
            if mode == "reflect" and (lo >= shape[ax] or hi >= shape[ax]) and (lo or hi):
                raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the size {shape[ax]} of "
                                 f"axis {ax} (input shape {shape})")
            if mode == "circular" and (lo > shape[ax] or hi > shape[ax]):
                raise ValueError(f"pad: circular padding ({lo}, {hi}) must be at most the size {shape[ax]} of "
                                 f"axis {ax} (input shape {shape})")
            if mode == "replicate" and shape[ax] == 0 and (lo or hi):
                raise ValueError(f"pad: cannot replicate-pad the empty axis {ax} (input shape {shape})")
        return bnp.pad(input, widths, mode=_PAD_MODES[mode])
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        crop = tuple(slice(-min(lo, 0), n + min(hi, 0)) for n, (lo, hi) in zip(shape, widths))
        input = input[crop]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    value = 0.0 if value is None else value
    if not any(lo or hi for lo, hi in widths):
        return input
    return bnp.pad(input, widths, mode="constant", constant_values=value)


# -- interpolate ---------------------------------------------------------------------------------

def _out_sizes(op, shape, size, scale_factor, nd):
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        size = (int(size),) * nd if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
        if len(size) != nd:
            raise ValueError(f"{op}: size {size} must have {nd} entries for an input of shape {shape}")
        return size, None
    sf = (float(scale_factor),) * nd if np.isscalar(scale_factor) else tuple(float(s) for s in scale_factor)
    if len(sf) != nd:
        raise ValueError(f"{op}: scale_factor {sf} must have {nd} entries for an input of shape {shape}")
    return tuple(int(math.floor(n * s)) for n, s in zip(shape[2:], sf)), sf


def _nearest_index(n_in, n_out, sf, exact):
    # PyTorch computes the nearest source index in single precision.
    scale = np.float32(1.0 / sf) if sf is not None else np.float32(n_in) / np.float32(n_out)
    dst = np.arange(n_out, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    return np.minimum(np.floor(dst * scale).astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, sf, align_corners, dtype):
    """The (n_out, n_in) matrix of 1-D linear interpolation (two entries per row)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = dst * scale
    else:
        scale = 1.0 / sf if sf is not None else n_in / n_out
        src = np.maximum(scale * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    l1 = src - i0
    a = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    a[rows, i0] = 1.0 - l1
    a[rows, i1] += l1
    return a.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dimensions, ``torch.nn.functional.interpolate``.

    Modes ``nearest``, ``nearest-exact``, ``linear`` (3-D input), ``bilinear`` (4-D),
    ``trilinear`` (5-D). Linear modes are separable: one small interpolation matrix per
    axis, applied by a matrix product; nearest is one gather.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.sampling import interpolate
    >>> interpolate(np.array([[[0.0, 1.0]]]), scale_factor=2, mode="linear", align_corners=True)
    array([[[0.        , 0.33333333, 0.66666667, 1.        ]]])
    """
    shape = np.shape(_data(input))
    nd = len(shape) - 2
    if nd < 1:
        raise ValueError(f"interpolate: input must be (N, C, *spatial), got shape {shape}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    linear = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode in linear:
        if linear[mode] != nd:
            raise ValueError(f"interpolate: mode {mode!r} needs {linear[mode] + 2}-D input, got shape {shape}")
    elif mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(f"interpolate: align_corners is only for the linear modes, not {mode!r}")
    else:
        raise ValueError(f"interpolate: mode must be nearest, nearest-exact, linear, bilinear or trilinear, "
                         f"got {mode!r}")
    out, sf = _out_sizes("interpolate", shape, size, scale_factor, nd)
    if recompute_scale_factor:
        sf = None
    sfs = sf if sf is not None else (None,) * nd
    if mode in linear:
        dtype = input.dtype if input.dtype.kind in "fc" else np.float64
        y = input
        for ax in range(nd):
            a = _linear_matrix(shape[2 + ax], out[ax], sfs[ax], bool(align_corners), dtype)
            axis = 2 + ax
            if axis == len(shape) - 1:
                y = bnp.matmul(y, a.T)
            else:
                y = bnp.moveaxis(bnp.matmul(bnp.moveaxis(y, axis, -1), a.T), -1, axis)
        return y
    idx = [_nearest_index(shape[2 + ax], out[ax], sfs[ax], mode == "nearest-exact") for ax in range(nd)]
    flat = np.ravel_multi_index(np.meshgrid(*idx, indexing="ij"), shape[2:]).ravel()
    y = take_flat(bnp.reshape(input, shape[:2] + (-1,)), index=flat, fill=0.0)
    return bnp.reshape(y, shape[:2] + out)


# -- pixel shuffle -------------------------------------------------------------------------------

def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C r^2, H, W)`` to ``(*, C, H r, W r)``, ``torch.nn.functional.pixel_shuffle``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.sampling import pixel_shuffle
    >>> pixel_shuffle(np.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0]
    array([[0., 1.],
           [2., 3.]])
    """
    r = int(upscale_factor)
    shape = np.shape(_data(input))
    if len(shape) < 3 or shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: input of shape {shape} must be (*, C * {r}^2, H, W)")
    lead, (c, h, w) = shape[:-3], shape[-3:]
    k = len(lead)
    y = bnp.reshape(input, lead + (c // (r * r), r, r, h, w))
    y = bnp.transpose(y, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return bnp.reshape(y, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(*, C, H r, W r)`` to ``(*, C r^2, H, W)``: the inverse of :func:`pixel_shuffle`.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.sampling import pixel_unshuffle
    >>> pixel_unshuffle(np.arange(4.0).reshape(1, 1, 2, 2), 2).ravel()
    array([0., 1., 2., 3.])
    """
    r = int(downscale_factor)
    shape = np.shape(_data(input))
    if len(shape) < 3 or shape[-1] % r or shape[-2] % r:
        raise ValueError(f"pixel_unshuffle: input of shape {shape} must be (*, C, H * {r}, W * {r})")
    lead, (c, h, w) = shape[:-3], shape[-3:]
    k = len(lead)
    y = bnp.reshape(input, lead + (c, h // r, r, w // r, r))
    y = bnp.transpose(y, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return bnp.reshape(y, lead + (c * r * r, h // r, w // r))


# -- spatial transformer: affine_grid and grid_sample ---------------------------------------------

def _base_coords(n, align_corners):
    # PyTorch's linspace_from_neg_one.
    if n <= 1:
        return np.zeros(max(n, 0))
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    """Sampling grid of an affine map, ``torch.nn.functional.affine_grid``.

    ``theta`` is ``(N, 2, 3)`` for ``size = (N, C, H, W)`` (grid ``(N, H, W, 2)``, x first)
    or ``(N, 3, 4)`` for ``size = (N, C, D, H, W)`` (grid ``(N, D, H, W, 3)``).

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.sampling import affine_grid
    >>> affine_grid(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), (1, 1, 2, 2), align_corners=True)[0, :, :, 0]
    array([[-1.,  1.],
           [-1.,  1.]])
    """
    align_corners = bool(align_corners)
    size = tuple(int(s) for s in size)
    tshape = np.shape(_data(theta))
    nd = len(size) - 2
    if nd not in (2, 3) or tshape != (size[0], nd, nd + 1):
        raise ValueError(f"affine_grid: theta of shape {tshape} does not fit size {size}; expected "
                         f"theta (N, 2, 3) with size (N, C, H, W) or (N, 3, 4) with (N, C, D, H, W)")
    space = size[2:]
    axes = [_base_coords(n, align_corners) for n in reversed(space)]     # x (width) first
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]
    base = np.stack(list(mesh) + [np.ones(space)], axis=-1).reshape(1, -1, nd + 1)
    dtype = theta.dtype if theta.dtype.kind == "f" else np.float64
    grid = bnp.matmul(base.astype(dtype), bnp.swapaxes(theta, 1, 2))
    return bnp.reshape(grid, (size[0],) + space + (nd,))


def _unnormalize(c, n, align_corners):
    if align_corners:
        return (c + 1) / 2 * (n - 1)
    return ((c + 1) * n - 1) / 2


def _reflect(c, twice_low, twice_high):
    if twice_low == twice_high:
        return c * 0.0
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = bnp.abs(c - lo)
    flips = np.floor(_data(c) / span)
    extra = bnp.fmod(c, span)
    return bnp.where(flips % 2 == 0, extra + lo, span - extra + lo)


def _source_index(c, n, padding_mode, align_corners):
    c = _unnormalize(c, n, align_corners)
    if padding_mode == "border":
        c = bnp.clip(c, 0, n - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        c = bnp.clip(c, 0, n - 1)
    # Snap coordinates within rounding of an integer onto it (a constant shift: derivative unchanged).
    cd = _const(c)
    r = np.round(cd)
    close = np.abs(cd - r) <= 8 * np.finfo(cd.dtype).eps * np.maximum(1.0, np.abs(cd))
    if getattr(cd, "_batched", False) or close.any():
        c = c + bnp.astype(np.where(close, r - cd, 0.0), cd.dtype)
    return c


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the points of ``grid``, ``torch.nn.functional.grid_sample`` (2-D).

    Parameters
    ----------
    input : array or Tensor, shape (N, C, H, W)
    grid : array or Tensor, shape (N, H_out, W_out, 2)
        Normalised coordinates in [-1, 1], x (width) first.
    mode : {"bilinear", "nearest"}
    padding_mode : {"zeros", "border", "reflection"}
    align_corners : bool, optional (default False)

    Gradients flow to ``input`` and (bilinear) to ``grid``; see ``GRID_SAMPLE_KINKS`` for the
    convention at integer pixel coordinates. The identity grid returns the input exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.sampling import affine_grid, grid_sample
    >>> x = np.arange(6.0).reshape(1, 1, 2, 3)
    >>> grid = affine_grid(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), x.shape)
    >>> bool((grid_sample(x, grid) == x).all())
    True
    """
    align_corners = bool(align_corners)
    xs, gs = np.shape(_data(input)), np.shape(_data(grid))
    if len(xs) != 4 or len(gs) != 4 or gs[-1] != 2 or gs[0] != xs[0]:
        raise ValueError(f"grid_sample: expected input (N, C, H, W) and grid (N, H_out, W_out, 2), "
                         f"got shapes {xs} and {gs}")
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}")
    n, c, h, w = xs
    _, ho, wo, _ = gs
    flat_x = bnp.reshape(input, (n, c, h * w))
    ix = _source_index(bnp.reshape(grid[..., 0], (n, 1, ho * wo)), w, padding_mode, align_corners)
    iy = _source_index(bnp.reshape(grid[..., 1], (n, 1, ho * wo)), h, padding_mode, align_corners)

    def corner(xi, yi):
        valid = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
        index = bnp.astype(np.where(valid, yi * w + xi, -1), np.int64)
        return take_flat(flat_x, index=index, fill=0.0)

    if mode == "nearest":
        xn = bnp.astype(np.rint(_const(ix)), np.int64)
        yn = bnp.astype(np.rint(_const(iy)), np.int64)
        return bnp.reshape(corner(xn, yn), (n, c, ho, wo))
    x0 = np.floor(_const(ix))
    y0 = np.floor(_const(iy))
    x1, y1 = x0 + 1, y0 + 1
    wx0, wx1 = x1 - ix, ix - x0
    wy0, wy1 = y1 - iy, iy - y0
    x0i, y0i, x1i, y1i = (bnp.astype(a, np.int64) for a in (x0, y0, x1, y1))
    out = (corner(x0i, y0i) * (wx0 * wy0) + corner(x1i, y0i) * (wx1 * wy0)
           + corner(x0i, y1i) * (wx0 * wy1) + corner(x1i, y1i) * (wx1 * wy1))
    return bnp.reshape(out, (n, c, ho, wo))
