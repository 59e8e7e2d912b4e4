"""``torch.testing``: ``assert_close`` with PyTorch's default tolerances by dtype."""
import numpy as np

from .._core.tensor import Tensor as _Base

__all__ = ["assert_close"]

# PyTorch's default (rtol, atol) per dtype
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
               np.dtype(np.complex128): (1e-7, 1e-7)}


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, msg=None,
                 **kwargs):
    """Raise an ``AssertionError`` unless ``actual`` and ``expected`` agree: same shape, same dtype (unless
    ``check_dtype=False``), and ``|actual - expected| <= atol + rtol * |expected|`` elementwise.

    >>> import backchain.torch as torch
    >>> torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
    >>> torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.1]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: Tensor-likes are not close!...
    """
    a = np.asarray(actual.detach()._data if isinstance(actual, _Base) else actual)
    b = np.asarray(expected.detach()._data if isinstance(expected, _Base) else expected)
    if a.shape != b.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {b.shape}.")
    if check_dtype and a.dtype != b.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {b.dtype}.")
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.result_type(a, b), (0.0, 0.0))
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        bad = int((~close).sum())
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        raise AssertionError(msg or (
            f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {a.size} "
            f"({100.0 * bad / max(a.size, 1):.1f}%)\nGreatest absolute difference: {np.nanmax(diff)} "
            f"(up to {atol} allowed)\nGreatest relative difference: "
            f"{np.nanmax(diff / np.maximum(np.abs(b), 1e-300))} (up to {rtol} allowed)"))
