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
)


def _check(name, in1, in2, mode, method):
    d1, d2 = np.shape(getattr(in1, "data", in1)), np.shape(getattr(in2, "data", in2))
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
    if np.iscomplexobj(getattr(in2, "data", in2)):
        flipped = bnp.conj(flipped)
    return convolve_p(in1, flipped, mode=mode, method=method)


def fftconvolve(in1, in2, mode="full", axes=None):
    """``scipy.signal.fftconvolve`` (all axes): ``convolve(..., method="fft")``, differentiable."""
    if not isinstance(in1, Tensor) and not isinstance(in2, Tensor):
        return ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    if axes is not None:
        raise NotImplementedError("fftconvolve: axes= is not supported for differentiable arrays")
    return convolve(in1, in2, mode=mode, method="fft")
