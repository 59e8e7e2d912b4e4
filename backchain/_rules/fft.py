"""Discrete Fourier transforms: linear primitives whose VJPs are transforms too.

Four primitives carry every transform of ``numpy.fft``: ``fftn``, ``ifftn``,
``rfftn`` and ``irfftn``, each with NumPy's normalized ``s``, ``axes`` and
``norm``; the 1-D and 2-D functions call them. A fifth, ``pad_or_crop``, zero
pads or crops an array to a shape (the ``n``/``s`` argument), and its
transpose is itself with the shapes exchanged.

Complex convention (autograd/JAX): the VJP is the plain transpose, with no
conjugation. The matrix of the unnormalized DFT, ``F[j, k] = exp(-2 pi i jk/n)``,
is symmetric, so the transpose of ``fftn`` is ``fftn`` (same norm), and that of
``ifftn`` is ``ifftn``. ``rfftn`` is the first ``n//2 + 1`` rows of ``fftn`` on
a real input: its transpose zero-pads the cotangent to the full spectrum,
applies ``fftn`` and keeps the real part. ``irfftn`` reads each interior
frequency twice (once for itself, once for its conjugate mirror) and the DC and
Nyquist terms once, taking only their real parts: its transpose is ``ifftn`` of
the (real) cotangent, cut to the half spectrum, with the interior terms doubled.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked
from .._vmap import rules as R

__all__ = []


def _data(a):
    return a._data if isinstance(a, Tensor) else a


# -- zero padding / cropping ------------------------------------------------------

def _pad_or_crop_impl(x, shape, start=None):
    """``x`` placed in zeros of ``shape`` at offset ``start`` (negative offsets crop)."""
    x = np.asarray(x)
    if x.shape == tuple(shape) and not any(start or ()):
        return x
    start = (0,) * x.ndim if start is None else start
    out = np.zeros(shape, dtype=x.dtype)
    src, dst = [], []
    for n_in, n_out, s in zip(x.shape, shape, start):
        lo, hi = max(s, 0), min(s + n_in, n_out)
        if hi <= lo:
            return out
        dst.append(slice(lo, hi))
        src.append(slice(lo - s, hi - s))
    out[tuple(dst)] = x[tuple(src)]
    return out


def _pad_or_crop_vjp(g, ans, x, shape, start=None):
    back = None if start is None else tuple(-s for s in start)
    return pad_or_crop(g, shape=np.shape(x), start=back)


# Linear; its transpose places the cotangent back at the opposite offset.
pad_or_crop = primitive("pad_or_crop", _pad_or_crop_impl, vjp=(_pad_or_crop_vjp,), linear=True,
                        doc="Zero-pad or crop to `shape`, the input placed at offset `start`.",
                        batch=R.pad_or_crop_rule)


def _resize(x, shape):
    if tuple(np.shape(x)) == tuple(shape):
        return x
    return pad_or_crop(x, shape=tuple(shape))


def _with(shape, axes, sizes):
    shape = list(shape)
    for a, n in zip(axes, sizes):
        shape[a] = n
    return tuple(shape)


# -- the four transforms ----------------------------------------------------------

def _fftn_vjp(g, ans, x, s, axes, norm):
    return _resize(fftn_p(g, s=None, axes=axes, norm=norm), np.shape(x))


def _ifftn_vjp(g, ans, x, s, axes, norm):
    return _resize(ifftn_p(g, s=None, axes=axes, norm=norm), np.shape(x))


def _rfftn_vjp(g, ans, x, s, axes, norm):
    full = _with(np.shape(g), axes[-1:], s[-1:])
    return bnp.real(_resize(fftn_p(_resize(g, full), s=None, axes=axes, norm=norm), np.shape(x)))


def _half_weights(n, m, ndim, axis, dtype):
    """1 for the DC (and, for even ``n``, Nyquist) term, 2 for the interior of the half spectrum."""
    w = np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = m
    return w.reshape(shape).astype(np.finfo(dtype).dtype if np.dtype(dtype).kind in "fc" else np.float64)


def _irfftn_vjp(g, ans, x, s, axes, norm):
    n = s[-1]
    m = n // 2 + 1
    spec = ifftn_p(g, s=None, axes=axes, norm=norm)
    half = _resize(spec, _with(np.shape(spec), axes[-1:], (m,)))
    w = _half_weights(n, m, len(np.shape(g)), axes[-1], g.dtype)
    return _resize(half * w, np.shape(x))


fftn_p = primitive("fftn", lambda x, s, axes, norm: np.fft.fftn(x, s, axes, norm),
                   vjp=(_fftn_vjp,), linear=True, batch=R.fft_rule)
ifftn_p = primitive("ifftn", lambda x, s, axes, norm: np.fft.ifftn(x, s, axes, norm),
                    vjp=(_ifftn_vjp,), linear=True, batch=R.fft_rule)
rfftn_p = primitive("rfftn", lambda x, s, axes, norm: np.fft.rfftn(x, s, axes, norm),
                    vjp=(_rfftn_vjp,), linear=True, batch=R.fft_rule)
irfftn_p = primitive("irfftn", lambda x, s, axes, norm: np.fft.irfftn(x, s, axes, norm),
                     vjp=(_irfftn_vjp,), linear=True, batch=R.fft_rule)


def _shift_vjp(inverse):
    def vjp(g, ans, x, axes):
        return (fftshift_p if inverse else ifftshift_p)(g, axes=axes)
    return vjp


fftshift_p = primitive("fftshift", lambda x, axes: np.fft.fftshift(x, axes),
                       vjp=(_shift_vjp(False),), linear=True, batch=R.axes_rule)
ifftshift_p = primitive("ifftshift", lambda x, axes: np.fft.ifftshift(x, axes),
                        vjp=(_shift_vjp(True),), linear=True, batch=R.axes_rule)


# -- NumPy's signatures --------------------------------------------------------------

_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(name, norm):
    if norm not in _NORMS:
        raise ValueError(f"{name}: norm must be one of 'backward', 'ortho', 'forward' or None, got {norm!r}")
    return norm or "backward"


def _axes_and_sizes(name, shape, s, axes, real_inverse=False):
    """NumPy's rules for ``s`` and ``axes``, as explicit tuples of sizes and non-negative axes."""
    nd = len(shape)
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    axes = tuple(int(a) for a in axes)
    for a in axes:
        if not -nd <= a < nd:
            raise np.exceptions.AxisError(f"{name}: axis {a} is out of bounds for an array of shape {shape}")
    axes = tuple(a % nd for a in axes)
    if not axes:
        raise ValueError(f"{name}: no axes to transform (input of shape {shape})")
    if s is None:
        s = [shape[a] for a in axes]
        if real_inverse:
            s[-1] = 2 * (shape[axes[-1]] - 1)
    s = tuple(int(n) for n in s)
    if len(s) != len(axes):
        raise ValueError(f"{name}: s and axes have different lengths ({len(s)} and {len(axes)})")
    if any(n < 1 for n in s):
        raise ValueError(f"{name}: invalid number of data points {s} for an input of shape {shape}")
    return s, axes


def _make(name, prim, np_fn, one_d=False, default_axes=None, real_inverse=False):
    if one_d:
        def fn(a, n=None, axis=-1, norm=None, out=None):
            if out is not None:
                raise TypeError(f"{name}: out= is not supported")
            if a.__class__ is list or a.__class__ is tuple:
                a = stacked(a)
            if not isinstance(a, Tensor):
                return np_fn(a, n=n, axis=axis, norm=norm)
            nrm = _check_norm(name, norm)
            s, axes = _axes_and_sizes(name, a.shape, None if n is None else (n,), (axis,), real_inverse)
            return prim(a, s=s, axes=axes, norm=nrm)
    else:
        def fn(a, s=None, axes=default_axes, norm=None, out=None):
            if out is not None:
                raise TypeError(f"{name}: out= is not supported")
            if a.__class__ is list or a.__class__ is tuple:
                a = stacked(a)
            if not isinstance(a, Tensor):
                return np_fn(a, s=s, axes=axes, norm=norm)
            nrm = _check_norm(name, norm)
            s, axes = _axes_and_sizes(name, a.shape, s, axes, real_inverse)
            return prim(a, s=s, axes=axes, norm=nrm)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``numpy.fft.{name}``, differentiable (VJP: the plain transpose, autograd's convention).\n\n"
                  f"    >>> import backchain as bc, backchain.numpy as bnp\n"
                  f"    >>> x = bnp.array([1.0, 2.0, 0.5, -1.0])\n"
                  f"    >>> bc.grad(lambda x: bnp.sum(bnp.real(bnp.fft.fft(x)) ** 2))(x).shape\n"
                  f"    (4,)\n")
    return fn


fft = _make("fft", fftn_p, np.fft.fft, one_d=True)
ifft = _make("ifft", ifftn_p, np.fft.ifft, one_d=True)
rfft = _make("rfft", rfftn_p, np.fft.rfft, one_d=True)
irfft = _make("irfft", irfftn_p, np.fft.irfft, one_d=True, real_inverse=True)
fft2 = _make("fft2", fftn_p, np.fft.fft2, default_axes=(-2, -1))
ifft2 = _make("ifft2", ifftn_p, np.fft.ifft2, default_axes=(-2, -1))
rfft2 = _make("rfft2", rfftn_p, np.fft.rfft2, default_axes=(-2, -1))
irfft2 = _make("irfft2", irfftn_p, np.fft.irfft2, default_axes=(-2, -1), real_inverse=True)
fftn = _make("fftn", fftn_p, np.fft.fftn)
ifftn = _make("ifftn", ifftn_p, np.fft.ifftn)
rfftn = _make("rfftn", rfftn_p, np.fft.rfftn)
irfftn = _make("irfftn", irfftn_p, np.fft.irfftn, real_inverse=True)


def _shift(name, prim, np_fn):
    def fn(x, axes=None):
        if x.__class__ is list or x.__class__ is tuple:
            x = stacked(x)
        if not isinstance(x, Tensor):
            return np_fn(x, axes)
        nd = x.ndim
        if axes is None:
            ax = tuple(range(nd))
        elif isinstance(axes, (int, np.integer)):
            ax = (int(axes) % nd,)
        else:
            ax = tuple(int(a) % nd for a in axes)
        return prim(x, axes=ax)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.fft.{name}``, differentiable (a permutation; its transpose is the inverse shift)."
    return fn


fftshift = _shift("fftshift", fftshift_p, np.fft.fftshift)
ifftshift = _shift("ifftshift", ifftshift_p, np.fft.ifftshift)

# Frequencies are constants: NumPy's own functions.
fftfreq = np.fft.fftfreq
rfftfreq = np.fft.rfftfreq

# Names of backchain.numpy.fft (NumPy's numpy.fft names) -> functions.
FFT_EXPORTS = {
    "fft": fft, "ifft": ifft, "rfft": rfft, "irfft": irfft,
    "fft2": fft2, "ifft2": ifft2, "rfft2": rfft2, "irfft2": irfft2,
    "fftn": fftn, "ifftn": ifftn, "rfftn": rfftn, "irfftn": irfftn,
    "fftshift": fftshift, "ifftshift": ifftshift, "fftfreq": fftfreq, "rfftfreq": rfftfreq,
}
