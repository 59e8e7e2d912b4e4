"""``backchain.autograd.scipy.signal``: autograd's ``convolve``, over ``backchain.scipy.signal``.

Without ``axes`` and ``dot_axes`` it is ``backchain.scipy.signal.convolve``.
With them (autograd's convolution over chosen axes, contracting others, as in
its convnet example) it is a composite of ``backchain.numpy`` operations: one
``tensordot`` per position of ``B``'s convolved axes.
"""
import itertools

import numpy as _np

import backchain.numpy as _bnp
import backchain.scipy.signal as _bsig

__all__ = ["convolve"]


def _shape(x):
    return _np.shape(getattr(x, "_data", x))


def convolve(A, B, axes=None, dot_axes=[(), ()], mode="full"):  # noqa: B006  (autograd's signature)
    """autograd's n-dimensional convolution of ``A`` and ``B``.

    ``axes=(A_axes, B_axes)`` are convolved pairwise (default: all axes),
    ``dot_axes=(A_axes, B_axes)`` are contracted. The result's axes are A's
    other axes, then B's other axes, then the convolved ones; ``mode`` is
    ``"full"``, ``"valid"`` or ``"same"`` (A's size), as in SciPy.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> from backchain.autograd.scipy.signal import convolve
    >>> ag.grad(lambda a: np.sum(convolve(a, np.array([1.0, 2.0]))))(np.array([1.0, 1.0, 1.0]))
    array([3., 3., 3.])
    >>> images, filters = np.ones((5, 2, 6, 6)), np.ones((2, 3, 3, 3))   # (batch, in, h, w), (in, out, kh, kw)
    >>> convolve(images, filters, axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode="valid").shape
    (5, 3, 4, 4)
    """
    if mode not in ("valid", "full", "same"):
        raise ValueError(f"convolve: mode must be 'valid', 'full' or 'same', got {mode!r}")
    sa, sb = _shape(A), _shape(B)
    if axes is None and not any(len(d) for d in dot_axes):
        return _bsig.convolve(A, B, mode=mode)
    conv_a, conv_b = (tuple(range(len(sa))),) * 2 if axes is None else (tuple(axes[0]), tuple(axes[1]))
    dot_a, dot_b = tuple(dot_axes[0]), tuple(dot_axes[1])
    if len(conv_a) != len(conv_b) or len(dot_a) != len(dot_b):
        raise ValueError(f"convolve: axes={axes} and dot_axes={dot_axes} must pair the axes of A and B")
    la, lb = [sa[i] for i in conv_a], [sb[j] for j in conv_b]
    if mode == "valid" and not (all(x >= y for x, y in zip(la, lb)) or all(x <= y for x, y in zip(la, lb))):
        raise ValueError(f"convolve: in 'valid' mode one array must be larger than the other along all convolved "
                         f"axes, got {la} and {lb}")
    ignore_a = tuple(i for i in range(len(sa)) if i not in conv_a + dot_a)
    ignore_b = tuple(j for j in range(len(sb)) if j not in conv_b + dot_b)
    a = _bnp.transpose(A, ignore_a + conv_a + dot_a)
    b = _bnp.transpose(B, conv_b + dot_b + ignore_b)  # each position of B's convolved axes: a (dot, ignore) slice
    nia, nc, nib = len(ignore_a), len(conv_a), len(ignore_b)
    to_end = tuple(range(nia)) + tuple(range(nia + nc, nia + nc + nib)) + tuple(range(nia, nia + nc))
    total = None
    for k in itertools.product(*[range(n) for n in lb]):
        term = _bnp.transpose(_bnp.tensordot(a, b[k], axes=len(dot_a)), to_end)
        pads = [(0, 0)] * (nia + nib) + [(ki, n - 1 - ki) for ki, n in zip(k, lb)]
        term = _bnp.pad(term, pads)
        total = term if total is None else total + term
    index = [slice(None)] * (nia + nib)
    for x, y in zip(la, lb):
        start = {"full": 0, "valid": min(x, y) - 1, "same": (y - 1) // 2}[mode]
        length = {"full": x + y - 1, "valid": abs(x - y) + 1, "same": x}[mode]
        index.append(slice(start, start + length))
    return total[tuple(index)]
