"""``backchain.autograd.scipy.signal``: autograd's ``convolve``, over ``backchain.scipy.signal``."""
import backchain.scipy.signal as _bsig

__all__ = ["convolve"]


def convolve(A, B, axes=None, dot_axes=[(), ()], mode="full"):  # noqa: B006  (autograd's signature)
    """autograd's n-dimensional convolution: ``scipy.signal.convolve(A, B, mode)`` when ``axes`` is None.

    autograd's generalisation (convolving chosen ``axes`` and contracting
    ``dot_axes``) is not available yet and raises a NotImplementedError.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> from backchain.autograd.scipy.signal import convolve
    >>> ag.grad(lambda a: np.sum(convolve(a, np.array([1.0, 2.0]))))(np.array([1.0, 1.0, 1.0]))
    array([3., 3., 3.])
    """
    if mode not in ("valid", "full", "same"):
        raise ValueError(f"convolve: mode must be 'valid', 'full' or 'same', got {mode!r}")
    ndim = len(getattr(A, "shape", ()))
    all_axes = axes is None or [list(a) for a in axes] == [list(range(ndim))] * 2
    if not all_axes or any(len(d) for d in dot_axes):
        raise NotImplementedError(
            "backchain.autograd.scipy.signal.convolve: axes= and dot_axes= (autograd's convolution over chosen "
            "axes with contracted axes) are not available: backchain.scipy.signal.convolve convolves all axes")
    return _bsig.convolve(A, B, mode=mode)
