"""``backchain.numpy.fft``: NumPy's discrete Fourier transforms, differentiable."""
from .._rules.fft import FFT_EXPORTS as _EX

globals().update(_EX)


def test(*args, **kwargs):
    """``numpy.fft.test``: runs NumPy's own tests of ``numpy.fft`` (arguments as NumPy's).

    >>> import backchain.numpy as bnp
    >>> callable(bnp.fft.test)
    True
    """
    import numpy

    return numpy.fft.test(*args, **kwargs)

_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """``numpy.fft.hfft``: the FFT of a signal with Hermitian symmetry (a real spectrum), as NumPy
    computes it: ``irfft(conj(a))`` with the normalization swapped; differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.fft.hfft(bnp.array([1.0, 2.0, 3.0]))
    array([ 8., -2.,  0., -2.])
    """
    from .. import numpy as bnp
    from ._arraylike import stacked

    a = stacked(a)
    if out is not None:
        raise TypeError("hfft: out= is not supported")
    if n is None:
        n = (bnp.shape(a)[axis] - 1) * 2
    return irfft(bnp.conj(a), n, axis, norm=_SWAPPED.get(norm, norm))  # noqa: F821 (from FFT_EXPORTS)


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """``numpy.fft.ihfft``: the inverse of :func:`hfft`, ``conj(rfft(a))`` with the normalization
    swapped; differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.fft.ihfft(bnp.array([8.0, -2.0, 0.0, -2.0]))
    array([1.-0.j, 2.-0.j, 3.-0.j])
    """
    from .. import numpy as bnp
    from ._arraylike import stacked

    a = stacked(a)
    if out is not None:
        raise TypeError("ihfft: out= is not supported")
    return bnp.conj(rfft(a, n, axis, norm=_SWAPPED.get(norm, norm)))  # noqa: F821 (from FFT_EXPORTS)


__all__ = sorted([*_EX, "hfft", "ihfft", "test"])
