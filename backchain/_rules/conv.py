"""Convolutions (1-D, 2-D, 3-D) and transposed convolutions, as three bilinear primitives.

Why primitives and not composites: a convolution written with indexing and sums
records thousands of small operations; here each pass is one strided window
view of the (zero-padded) input, one copy of it into columns (im2col) and one
matrix product per group.

A fourth, ``conv_bias(x, w, b)``, is ``conv(x, w)`` plus a per-channel bias
added in the same pass (its bias derivative is a sum of the cotangent).

The three primitives close under differentiation, so derivatives of any order
need no further rules. With ``conv(x, w) = y``:

* ``conv_input_grad(gy, w)`` is the transpose of ``x -> conv(x, w)`` (the
  transposed convolution, col2im: one strided add per kernel position, never
  ``np.add.at``);
* ``conv_weight_grad(x, gy)`` is the transpose of ``w -> conv(x, w)`` (one
  matrix product over batch and output positions).

Each is linear in each of its two inputs, so every JVP applies the op itself
to the tangent, and every VJP is one of the three ops:
``<c, conv_input_grad(gy, w)> = <conv(c, w), gy>`` and
``<c, conv_weight_grad(x, gy)> = <gy, conv(x, c)>``.

Layouts and parameters follow ``torch.nn.functional``: input ``(N, C, *spatial)``
(or unbatched ``(C, *spatial)``), weight ``(out_channels, in_channels / groups,
*kernel)``; a transposed convolution's weight is ``(in_channels, out_channels /
groups, *kernel)``, which is exactly the weight of the convolution it transposes.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.scratch import recycled as _output, temporary as _scratch
from .._core.tensor import Tensor
from .._vmap import rules as R

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


# -- the NumPy kernels ---------------------------------------------------------------------------

# NOTE: inside the kernels the batch axis is moved last, (C, *spatial, N). Every row of the
# columns then reads runs of ``out_w * N`` contiguous numbers (not ``out_w``), which makes the
# im2col copy and the col2im adds several times faster on small images.

def _channels_first(x, padding):
    """``(N, C, *S)`` -> zero-padded ``(C, *S_padded, N)``, contiguous."""
    nd = x.ndim - 2
    xt = np.moveaxis(x, 0, -1)
    if any(lo or hi for lo, hi in padding):
        return np.pad(xt, ((0, 0),) + tuple(padding) + ((0, 0),))
    return np.ascontiguousarray(xt) if nd else xt


def _batch_first(a, slot):
    """``(C, *S, N)`` -> a new contiguous ``(N, C, *S)`` (a pooled ``_output`` array).

    NOTE: a plain ``np.copyto`` of the moved-axis view reads the source with a stride of N
    elements across all of it (measured: 0.2 ms for the first LeNet feature map, 1.2 MB). Copied
    in blocks of rows that stay in the L1 cache, it takes half that; the same elements, copied.
    """
    n = a.shape[-1]
    res = _output(slot, (n,) + a.shape[:-1], a.dtype)
    if not a.flags.c_contiguous or n == 1:
        np.copyto(res, np.moveaxis(a, -1, 0))
        return res
    src, dst = a.reshape(-1, n), res.reshape(n, -1)
    m = src.shape[0]
    step = max(8, 40960 // (n * a.itemsize))   # rows per block: about 40 KiB of source
    for i in range(0, m, step):
        np.copyto(dst[:, i:i + step], src[i:i + step].T)
    return res


def _batch_last(a, out):
    """Copy ``(N, *R)`` into ``out`` of shape ``(*R, N)``.

    NOTE: a plain ``np.copyto`` from the moved-axis view reads N rows far apart for every
    N contiguous numbers it writes (measured: 0.2 ms for the first LeNet cotangent, 1.2 MB).
    Copied 16 batch rows at a time (one cache line of output per row), it takes half that.
    """
    n = a.shape[0]
    if not a.flags.c_contiguous or n <= 16:
        np.copyto(out, np.moveaxis(a, 0, -1))
        return out
    src, dst = a.reshape(n, -1), out.reshape(-1, n)
    for i in range(0, n, 16):
        np.copyto(dst[:, i:i + 16], src[i:i + 16].T)
    return out


def _out_shape(space, kernel, stride, dilation):
    return tuple((s - d * (k - 1) - 1) // st + 1 for s, k, st, d in zip(space, kernel, stride, dilation))


def _columns(x, kernel, stride, padding, dilation, groups):
    """im2col: ``(groups, C/groups * prod(kernel), prod(out) * N)`` and the output's spatial shape."""
    nd = len(kernel)
    xt = _channels_first(x, padding)
    c, n = xt.shape[0], xt.shape[-1]
    out = _out_shape(xt.shape[1:-1], kernel, stride, dilation)
    st = xt.strides
    view = as_strided(xt, (c,) + tuple(kernel) + out + (n,),
                      (st[0],) + tuple(st[1 + i] * dilation[i] for i in range(nd))
                      + tuple(st[1 + i] * stride[i] for i in range(nd)) + (st[-1],), writeable=False)
    cols = _scratch("cols", view.shape, x.dtype)
    np.copyto(cols, view)
    return cols.reshape(groups, (c // groups) * int(np.prod(kernel)), int(np.prod(out)) * n), out


def _grouped_cotangent(gy, groups):
    """``(N, O, *out)`` -> ``(groups, O/groups, prod(out) * N)``."""
    o = gy.shape[1]
    gt = _scratch("cotangent", gy.shape[1:] + gy.shape[:1], gy.dtype)
    _batch_last(gy, gt)
    return gt.reshape(groups, o // groups, -1)


def _conv_impl(x, w, stride, padding, dilation, groups, b=None):
    kernel = w.shape[2:]
    cols, out = _columns(x, kernel, stride, padding, dilation, groups)
    o = w.shape[0]
    wg = w.reshape(groups, o // groups, -1)
    y = _scratch("image", (groups, o // groups, cols.shape[2]), np.result_type(wg, cols, *(() if b is None else (b,))))
    np.matmul(wg, cols, out=y)                                        # (g, O/g, P * N)
    if b is not None:
        y += b.reshape(groups, o // groups, 1)                        # the bias, in the same pass's buffer
    # always a copy: y lives in a scratch buffer
    return _batch_first(y.reshape((o,) + out + (x.shape[0],)), "conv")


def _conv_weight_grad_impl(x, gy, wshape, stride, padding, dilation, groups):
    cols, _ = _columns(x, tuple(wshape[2:]), stride, padding, dilation, groups)
    gw = np.matmul(_grouped_cotangent(gy, groups), np.swapaxes(cols, 1, 2))   # (g, O/g, C/g * K)
    return gw.reshape(wshape)


def _conv_input_grad_impl(gy, w, xshape, stride, padding, dilation, groups):
    nd = w.ndim - 2
    kernel = w.shape[2:]
    o, cg = w.shape[:2]
    n, out = gy.shape[0], gy.shape[2:]
    wt = np.swapaxes(w.reshape(groups, o // groups, -1), 1, 2)               # (g, C/g * K, O/g)
    gt = _grouped_cotangent(gy, groups)
    dtype = np.result_type(wt, gt)
    dcols = _scratch("cols", (groups, wt.shape[1], gt.shape[2]), dtype)
    np.matmul(wt, gt, out=dcols)                                             # (g, C/g * K, P * N)
    dcols = dcols.reshape((groups * cg,) + tuple(kernel) + tuple(out) + (n,))
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(xshape[2:], padding))
    buf = _scratch("image", (groups * cg,) + padded + (n,), dtype)
    buf.fill(0)
    # col2im: one vectorised strided add per kernel position (never np.add.at).
    for k in itertools.product(*(range(kk) for kk in kernel)):
        sl = tuple(slice(k[i] * dilation[i], k[i] * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
                   for i in range(nd))
        buf[(slice(None),) + sl] += dcols[(slice(None),) + k]
    crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(xshape[2:], padding))
    return _batch_first(buf[(slice(None),) + crop], "conv_input_grad")   # always a copy: buf is scratch


# -- the primitives ------------------------------------------------------------------------------

def _conv_vjp_x(g, ans, x, w, stride, padding, dilation, groups):
    return conv_input_grad(g, w, xshape=tuple(x.shape), stride=stride, padding=padding, dilation=dilation,
                           groups=groups)


def _conv_vjp_w(g, ans, x, w, stride, padding, dilation, groups):
    return conv_weight_grad(x, g, wshape=tuple(w.shape), stride=stride, padding=padding, dilation=dilation,
                            groups=groups)


conv = primitive(
    "conv", _conv_impl, vjp=(_conv_vjp_x, _conv_vjp_w), linear=True,
    doc="Cross-correlation of (N, C, *S) with (O, C/groups, *K): zero padding (lo, hi) per axis, "
        "stride, dilation, groups.",
    batch=R.conv_rule,
)


def _conv_bias_impl(x, w, b, stride, padding, dilation, groups):
    return _conv_impl(x, w, stride, padding, dilation, groups, b=b)


def _conv_bias_vjp_b(g, ans, x, w, b, stride, padding, dilation, groups):
    return bnp.sum(g, axis=(0,) + tuple(range(2, len(ans.shape))))


def _conv_bias_jvp_x(t, ans, x, w, b, stride, padding, dilation, groups):
    return conv(t, w, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _conv_bias_jvp_w(t, ans, x, w, b, stride, padding, dilation, groups):
    return conv(x, t, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _conv_bias_jvp_b(t, ans, x, w, b, stride, padding, dilation, groups):
    shape = tuple(ans.shape)
    return bnp.broadcast_to(bnp.reshape(t, (1, shape[1]) + (1,) * (len(shape) - 2)), shape)


def _conv_bias_vjp_x(g, ans, x, w, b, stride, padding, dilation, groups):
    return _conv_vjp_x(g, ans, x, w, stride, padding, dilation, groups)


def _conv_bias_vjp_w(g, ans, x, w, b, stride, padding, dilation, groups):
    return _conv_vjp_w(g, ans, x, w, stride, padding, dilation, groups)


conv_bias = primitive(
    "conv_bias", _conv_bias_impl, vjp=(_conv_bias_vjp_x, _conv_bias_vjp_w, _conv_bias_vjp_b),
    jvp=(_conv_bias_jvp_x, _conv_bias_jvp_w, _conv_bias_jvp_b),
    doc="conv(x, w) plus a bias of shape (O,) per output channel, added in the convolution's own pass.",
    batch=R.conv_rule,
)


def _cig_vjp_gy(c, ans, gy, w, xshape, stride, padding, dilation, groups):
    return conv(c, w, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _cig_vjp_w(c, ans, gy, w, xshape, stride, padding, dilation, groups):
    return conv_weight_grad(c, gy, wshape=tuple(w.shape), stride=stride, padding=padding, dilation=dilation,
                            groups=groups)


conv_input_grad = primitive(
    "conv_input_grad", _conv_input_grad_impl, vjp=(_cig_vjp_gy, _cig_vjp_w), linear=True,
    doc="The transpose of x -> conv(x, w) applied to gy (transposed convolution; col2im).",
    batch=R.fold_rule("xshape"),
)


def _cwg_vjp_x(c, ans, x, gy, wshape, stride, padding, dilation, groups):
    return conv_input_grad(gy, c, xshape=tuple(x.shape), stride=stride, padding=padding, dilation=dilation,
                           groups=groups)


def _cwg_vjp_gy(c, ans, x, gy, wshape, stride, padding, dilation, groups):
    return conv(x, c, stride=stride, padding=padding, dilation=dilation, groups=groups)


conv_weight_grad = primitive(
    "conv_weight_grad", _conv_weight_grad_impl, vjp=(_cwg_vjp_x, _cwg_vjp_gy), linear=True,
    doc="The transpose of w -> conv(x, w) applied to gy.",
    batch=R.conv_weight_grad_rule,
)


# -- argument handling ---------------------------------------------------------------------------

def _tuple(v, nd, name, op):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {v}")
    return v


def _check_input(op, x, w, nd):
    xs, ws = np.shape(_data(x)), np.shape(_data(w))
    if len(ws) != nd + 2:
        raise ValueError(f"{op}: weight must have {nd + 2} dimensions (out, in/groups, *kernel), got shape {ws}")
    if len(xs) not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: input must have {nd + 2} dimensions (N, C, *spatial) or {nd + 1} (unbatched), "
                         f"got shape {xs}")
    return len(xs) == nd + 1


def _add_bias(y, bias, nd, op):
    if bias is None:
        return y
    bs = np.shape(_data(bias))
    if bs != (y.shape[1],):
        raise ValueError(f"{op}: bias must have shape ({y.shape[1]},), got {bs}")
    b = bnp.reshape(bias, (1, -1) + (1,) * nd)
    return y + b


def _pad_mode_name(padding_mode, op):
    modes = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
    if padding_mode not in modes:
        raise ValueError(f"{op}: padding_mode must be one of {sorted(modes)}, got {padding_mode!r}")
    return modes[padding_mode]


def _convnd(op, nd, input, weight, bias, stride, padding, dilation, groups, padding_mode):
    unbatched = _check_input(op, input, weight, nd)
    if unbatched:
        input = bnp.expand_dims(input, 0)
    xs, ws = np.shape(_data(input)), np.shape(_data(weight))
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    groups = int(groups)
    kernel = ws[2:]
    if min(stride) < 1 or min(dilation) < 1 or groups < 1:
        raise ValueError(f"{op}: stride, dilation and groups must be positive, got stride={stride}, "
                         f"dilation={dilation}, groups={groups}")
    if xs[1] % groups or ws[0] % groups or ws[1] * groups != xs[1]:
        raise ValueError(f"{op}: input of shape {xs} (C={xs[1]}) and weight of shape {ws} do not fit groups={groups}:"
                         f" expected C divisible by groups, weight.shape[1] == C / groups and out_channels "
                         f"divisible by groups")
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions (stride={stride})")
            tot = [d * (k - 1) for d, k in zip(dilation, kernel)]
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise ValueError(f"{op}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    else:
        p = _tuple(padding, nd, "padding", op)
        if min(p) < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {p}")
        pads = tuple((i, i) for i in p)
    mode = _pad_mode_name(padding_mode, op)
    if mode is not None and any(lo or hi for lo, hi in pads):
        from .sampling import pad as _pad

        flat = tuple(v for lo, hi in reversed(pads) for v in (lo, hi))
        input = _pad(input, flat, mode=mode)
        xs = np.shape(_data(input))
        pads = ((0, 0),) * nd
    for i in range(nd):
        if xs[2 + i] + sum(pads[i]) < dilation[i] * (kernel[i] - 1) + 1:
            raise ValueError(f"{op}: the (padded) input of spatial shape "
                             f"{tuple(s + lo + hi for s, (lo, hi) in zip(xs[2:], pads))} is smaller than the "
                             f"dilated kernel {tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))}")
    if bias is None:
        y = conv(input, weight, stride=stride, padding=pads, dilation=dilation, groups=groups)
    else:
        bs = np.shape(_data(bias))
        if bs != (ws[0],):
            raise ValueError(f"{op}: bias must have shape ({ws[0]},), got {bs}")
        y = conv_bias(input, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups)
    return y[0] if unbatched else y


def _conv_transposend(op, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    unbatched = _check_input(op, input, weight, nd)
    if unbatched:
        input = bnp.expand_dims(input, 0)
    xs, ws = np.shape(_data(input)), np.shape(_data(weight))
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    padding = _tuple(padding, nd, "padding", op)
    output_padding = _tuple(output_padding, nd, "output_padding", op)
    groups = int(groups)
    if xs[1] != ws[0] or ws[0] % groups:
        raise ValueError(f"{op}: input of shape {xs} and weight of shape {ws} (in_channels, out_channels/groups, "
                         f"*kernel) do not fit groups={groups}: expected weight.shape[0] == C, divisible by groups")
    if any(op_ >= s for op_, s in zip(output_padding, stride)) or min(output_padding) < 0 or min(padding) < 0:
        raise ValueError(f"{op}: output_padding must be non-negative and smaller than stride, and padding "
                         f"non-negative; got output_padding={output_padding}, stride={stride}, padding={padding}")
    kernel = ws[2:]
    space = tuple((h - 1) * s - 2 * p + d * (k - 1) + op_ + 1
                  for h, s, p, d, k, op_ in zip(xs[2:], stride, padding, dilation, kernel, output_padding))
    if min(space) < 1:
        raise ValueError(f"{op}: the output would have spatial shape {space}; padding {padding} is too large")
    xshape = (xs[0], ws[1] * groups) + space
    y = conv_input_grad(input, weight, xshape=xshape, stride=stride, padding=tuple((p, p) for p in padding),
                        dilation=dilation, groups=groups)
    y = _add_bias(y, bias, nd, op)
    return y[0] if unbatched else y


# -- public functions ----------------------------------------------------------------------------

def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, padding_mode="zeros"):
    """1-D convolution (cross-correlation), ``torch.nn.functional.conv1d``.

    Parameters
    ----------
    input : array or Tensor, shape (N, C_in, L) or (C_in, L)
    weight : array or Tensor, shape (C_out, C_in / groups, K)
    bias : array or Tensor, shape (C_out,), optional
    stride, dilation : int or tuple
    padding : int, tuple, "same" or "valid"
        Amount of padding on both sides ("same" keeps the length; stride must be 1).
    groups : int
        Split channels into groups (``groups == C_in`` is a depthwise convolution).
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        How the padding is filled (the ``padding_mode`` of ``torch.nn.Conv1d``).

    Returns
    -------
    Tensor or ndarray, shape (N, C_out, L_out)

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.conv import conv1d
    >>> conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding=1)
    array([[[2., 3., 3., 3., 2.]]])
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, padding_mode="zeros"):
    """2-D convolution (cross-correlation), ``torch.nn.functional.conv2d``.

    Input ``(N, C_in, H, W)`` or ``(C_in, H, W)``, weight ``(C_out, C_in / groups, kH, kW)``;
    the other parameters as in :func:`conv1d`. One window view and one matrix product per
    pass; gradients for input, weight and bias, to any order.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> from backchain._rules.conv import conv2d
    >>> x, w = np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 2, 2))
    >>> conv2d(x, w, stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    >>> bc.grad(lambda w: conv2d(x, w).sum())(w)
    array([[[[45., 54.],
             [81., 90.]]]])
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, padding_mode="zeros"):
    """3-D convolution, ``torch.nn.functional.conv3d``: input ``(N, C_in, D, H, W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.conv import conv3d
    >>> conv3d(np.ones((1, 1, 3, 3, 3)), np.ones((2, 1, 2, 2, 2))).shape
    (1, 2, 2, 2, 2)
    """
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution, ``torch.nn.functional.conv_transpose1d``.

    Weight ``(C_in, C_out / groups, K)``; output length
    ``(L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1``.
    It is the transpose (the input gradient) of :func:`conv1d` with the same weight.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.conv import conv_transpose1d
    >>> conv_transpose1d(np.ones((1, 1, 3)), np.ones((1, 1, 2)), stride=2)
    array([[[1., 1., 1., 1., 1., 1.]]])
    """
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution, ``torch.nn.functional.conv_transpose2d``.

    Weight ``(C_in, C_out / groups, kH, kW)``; see :func:`conv_transpose1d`.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.conv import conv_transpose2d
    >>> conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 4, 3, 3)), stride=2, padding=1).shape
    (1, 4, 5, 5)
    """
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution, ``torch.nn.functional.conv_transpose3d``.

    Examples
    --------
    >>> import numpy as np
    >>> from backchain._rules.conv import conv_transpose3d
    >>> conv_transpose3d(np.ones((1, 1, 2, 2, 2)), np.ones((1, 3, 2, 2, 2))).shape
    (1, 3, 3, 3, 3)
    """
    return _conv_transposend("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)
