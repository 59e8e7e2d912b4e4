"""SciPy's n-dimensional convolution as a bilinear primitive.

``convolve(in1, in2)`` is linear in each input. In ``mode="full"`` the
transpose with respect to ``in1`` is the ``"valid"`` convolution of the
cotangent with ``in2`` flipped along every axis (and symmetrically for
``in2``); ``"same"`` and ``"valid"`` are centred crops of the full result, so
their cotangent is first placed back into the full shape (``pad_or_crop``).
No conjugation (autograd's convention): complex inputs are supported.

This module imports SciPy; ``import backchain`` does not load it.
"""
import numpy as np
import scipy.signal as ss

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor
from .._vmap import rules as R
from .fft import pad_or_crop

__all__ = ["convolve", "correlate", "fftconvolve"]


def _flip(x):
    return x[(slice(None, None, -1),) * x.ndim]


def _to_full(g, a, b):
    """The cotangent of a ``same``/``valid`` result placed at its offset in the ``full`` shape."""
    full = tuple(n + m - 1 for n, m in zip(np.shape(a), np.shape(b)))
    shape = np.shape(g)
    if tuple(shape) == full:
        return g
    start = tuple((f - s) // 2 for f, s in zip(full, shape))
    return pad_or_crop(g, shape=full, start=start)


def _conv_vjp_1(g, ans, in1, in2, mode, method):
    return convolve_p(_to_full(g, in1, in2), _flip(in2), mode="valid", method=method)


def _conv_vjp_2(g, ans, in1, in2, mode, method):
    return convolve_p(_to_full(g, in1, in2), _flip(in1), mode="valid", method=method)


convolve_p = primitive(
    "scipy.signal.convolve",
    lambda in1, in2, mode, method: ss.convolve(in1, in2, mode=mode, method=method),
    vjp=(_conv_vjp_1, _conv_vjp_2), linear=True,
    batch=R.LOOP,
)


def _check(name, in1, in2, mode, method):
    d1, d2 = np.shape(getattr(in1, "_data", in1)), np.shape(getattr(in2, "_data", in2))
    if len(d1) != len(d2):
        raise ValueError(f"{name}: in1 and in2 must have the same number of dimensions, got shapes {d1} and {d2}")
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"{name}: method must be 'auto', 'direct' or 'fft', got {method!r}")
    if mode == "valid" and not (all(a >= b for a, b in zip(d1, d2)) or all(b >= a for a, b in zip(d1, d2))):
        raise ValueError(f"{name}: in mode 'valid', one input must be at least as large as the other in every "
                         f"dimension, got shapes {d1} and {d2}")


def convolve(in1, in2, mode="full", method="auto"):
    """``scipy.signal.convolve``, differentiable in both inputs (n-dimensional; full, same, valid).

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.signal import convolve
    >>> bc.grad(lambda k: convolve(np.array([1.0, 2.0, 3.0]), k).sum())(np.array([1.0, -1.0]))
    array([6., 6.])
    """
    if not isinstance(in1, Tensor) and not isinstance(in2, Tensor):
        return ss.convolve(in1, in2, mode=mode, method=method)
    _check("convolve", in1, in2, mode, method)
    return convolve_p(in1, in2, mode=mode, method=method)


def correlate(in1, in2, mode="full", method="auto"):
    """``scipy.signal.correlate``: the convolution with ``in2`` flipped and conjugated, differentiable."""
    if not isinstance(in1, Tensor) and not isinstance(in2, Tensor):
        return ss.correlate(in1, in2, mode=mode, method=method)
    _check("correlate", in1, in2, mode, method)
    flipped = _flip(in2)
    if np.iscomplexobj(getattr(in2, "_data", in2)):
        flipped = bnp.conj(flipped)
    return convolve_p(in1, flipped, mode=mode, method=method)


# Convolution along some axes only (``fftconvolve(..., axes=)``): along the other axes the inputs
# broadcast elementwise. The transposes are the same as above with the flips, the full shape and
# the crops restricted to ``axes``; the engine sums the cotangent over broadcast axes.

def _flip_axes(x, axes):
    index = [slice(None)] * np.ndim(getattr(x, "_data", x))
    for ax in axes:
        index[ax] = slice(None, None, -1)
    return x[tuple(index)]


def _to_full_axes(g, a, b, axes):
    shape = tuple(np.shape(g))
    full, start = list(shape), [0] * len(shape)
    for ax in axes:
        full[ax] = np.shape(a)[ax] + np.shape(b)[ax] - 1
        start[ax] = (full[ax] - shape[ax]) // 2
    return g if tuple(full) == shape else pad_or_crop(g, shape=tuple(full), start=tuple(start))


def _fftconv_axes_vjp_1(g, ans, in1, in2, mode, axes):
    return fftconvolve_axes(_to_full_axes(g, in1, in2, axes), _flip_axes(in2, axes), mode="valid", axes=axes)


def _fftconv_axes_vjp_2(g, ans, in1, in2, mode, axes):
    return fftconvolve_axes(_to_full_axes(g, in1, in2, axes), _flip_axes(in1, axes), mode="valid", axes=axes)


fftconvolve_axes = primitive(
    "scipy.signal.fftconvolve_axes",
    lambda in1, in2, mode, axes: ss.fftconvolve(in1, in2, mode=mode, axes=axes),
    vjp=(_fftconv_axes_vjp_1, _fftconv_axes_vjp_2), linear=True,
    batch=R.LOOP,
)


def fftconvolve(in1, in2, mode="full", axes=None):
    """``scipy.signal.fftconvolve``, differentiable in both inputs: over every axis
    (``convolve(..., method="fft")``) or over ``axes`` only, the inputs broadcasting along the others.

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.signal import fftconvolve
    >>> rows = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]])
    >>> fftconvolve(rows, np.array([[1.0, 1.0]]), axes=1).round(6)  # each row with [1, 1]
    array([[1., 3., 5., 3.],
           [0., 1., 1., 0.]])
    >>> bc.grad(lambda k: fftconvolve(rows, k, axes=1).sum())(np.array([[1.0, -1.0]])).round(6)
    array([[7., 7.]])
    """
    if not isinstance(in1, Tensor) and not isinstance(in2, Tensor):
        return ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    if axes is None:
        return convolve(in1, in2, mode=mode, method="fft")
    d1, d2 = np.shape(getattr(in1, "_data", in1)), np.shape(getattr(in2, "_data", in2))
    nd = len(d1)
    if len(d2) != nd:
        raise ValueError(f"fftconvolve: in1 and in2 must have the same number of dimensions, got shapes {d1} and {d2}")
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    if any(not -nd <= int(ax) < nd for ax in axes):
        raise ValueError(f"fftconvolve: axes {axes} out of range for {nd} dimensions")
    axes = tuple(sorted({int(ax) % nd for ax in axes}))
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"fftconvolve: mode must be 'full', 'same' or 'valid', got {mode!r}")
    for ax in range(nd):
        if ax not in axes and d1[ax] != d2[ax] and 1 not in (d1[ax], d2[ax]):
            raise ValueError(f"fftconvolve: shapes {d1} and {d2} differ in axis {ax}, which is not convolved; "
                             "there they must be equal or 1")
    if mode == "valid" and not (all(d1[a] >= d2[a] for a in axes) or all(d2[a] >= d1[a] for a in axes)):
        raise ValueError(f"fftconvolve: in mode 'valid', one input must be at least as large as the other along "
                         f"every axis in {axes}, got shapes {d1} and {d2}")
    return fftconvolve_axes(in1, in2, mode=mode, axes=axes)
