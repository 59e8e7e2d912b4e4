"""``torch.fft``: PyTorch's signatures (``n``, ``dim``, ``norm``; ``s``/``dim`` for the n-d forms) over
``backchain.numpy.fft``, differentiable. PyTorch keeps single precision (``complex64`` from float32);
so does this namespace.

>>> import backchain.torch as torch
>>> torch.fft.rfft(torch.tensor([1.0, 2.0, 3.0, 4.0]))
tensor([10.+0.j, -2.+2.j, -2.+0.j])
"""
import numpy as np

import backchain.numpy as bnp
from ._ops import _t
from ._tensor import default_float

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn",
           "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _single(x, out):
    """``out`` in the precision of ``x``: complex64 (or float32) for float32 input, as PyTorch."""
    xd = np.asarray(x._data).dtype
    od = out._data.dtype
    small = xd in (np.float32, np.complex64)
    if small and od == np.complex128:
        return out.type(np.complex64)
    if small and od == np.float64:
        return out.type(np.float32)
    return out


def _one(name, doc):
    fn = getattr(bnp.fft, name)

    def op(input, n=None, dim=-1, norm=None):
        x = _t(input)
        return _single(x, fn(x, n=n, axis=dim, norm=norm))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _many(name, default_dim, doc):
    fn = getattr(bnp.fft, name)

    def op(input, s=None, dim=default_dim, norm=None):
        x = _t(input)
        axes = None if dim is None else tuple(dim)
        return _single(x, fn(x, s=s, axes=axes, norm=norm))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _doc(name, code, out):
    return f"``torch.fft.{name}``.\n\n    >>> import backchain.torch as torch\n    >>> {code}\n    {out}\n    "


fft = _one("fft", _doc("fft", "torch.fft.fft(torch.tensor([1.0, 2.0, 3.0, 4.0])).abs()",
                       "tensor([10.0000,  2.8284,  2.0000,  2.8284])"))
ifft = _one("ifft", _doc("ifft", "torch.fft.ifft(torch.tensor([4.0, 0.0, 0.0, 0.0])).real",
                         "tensor([1., 1., 1., 1.])"))
rfft = _one("rfft", _doc("rfft", "torch.fft.rfft(torch.tensor([1.0, 2.0, 3.0, 4.0]))",
                         "tensor([10.+0.j, -2.+2.j, -2.+0.j])"))
irfft = _one("irfft", _doc("irfft", "torch.fft.irfft(torch.tensor([4.0, 0.0, 0.0]))", "tensor([1., 1., 1., 1.])"))
hfft = _one("hfft", _doc("hfft", "torch.fft.hfft(torch.tensor([1.0, 0.0, 0.0]))", "tensor([1., 1., 1., 1.])"))
ihfft = _one("ihfft", _doc("ihfft", "torch.fft.ihfft(torch.tensor([1.0, 1.0, 1.0, 1.0]))",
                           "tensor([1.-0.j, 0.-0.j, 0.-0.j])"))
fft2 = _many("fft2", (-2, -1), _doc("fft2", "torch.fft.fft2(torch.ones(2, 2))",
                                    "tensor([[4.+0.j, 0.+0.j],\n            [0.+0.j, 0.+0.j]])"))
ifft2 = _many("ifft2", (-2, -1), _doc("ifft2", "torch.fft.ifft2(torch.tensor([[4.0, 0.0], [0.0, 0.0]])).real",
                                      "tensor([[1., 1.],\n            [1., 1.]])"))
rfft2 = _many("rfft2", (-2, -1), _doc("rfft2", "torch.fft.rfft2(torch.ones(2, 2)).shape", "torch.Size([2, 2])"))
irfft2 = _many("irfft2", (-2, -1), _doc("irfft2", "torch.fft.irfft2(torch.ones(2, 2)).shape", "torch.Size([2, 2])"))
fftn = _many("fftn", None, _doc("fftn", "torch.fft.fftn(torch.ones(2, 2, 2))[0, 0, 0]", "tensor(8.+0.j)"))
ifftn = _many("ifftn", None, _doc("ifftn", "torch.fft.ifftn(torch.ones(2, 2))[0, 0]", "tensor(1.+0.j)"))
rfftn = _many("rfftn", None, _doc("rfftn", "torch.fft.rfftn(torch.ones(2, 4)).shape", "torch.Size([2, 3])"))
irfftn = _many("irfftn", None, _doc("irfftn", "torch.fft.irfftn(torch.ones(2, 3)).shape", "torch.Size([2, 4])"))


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point FFT.

    >>> import backchain.torch as torch
    >>> torch.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    from ._tensor import leaf
    from ._types import as_np_dtype
    return leaf(np.fft.fftfreq(n, d).astype(as_np_dtype(dtype) or default_float()), requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point real FFT.

    >>> import backchain.torch as torch
    >>> torch.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    from ._tensor import leaf
    from ._types import as_np_dtype
    return leaf(np.fft.rfftfreq(n, d).astype(as_np_dtype(dtype) or default_float()), requires_grad)


def fftshift(input, dim=None):
    """The zero frequency moved to the centre.

    >>> import backchain.torch as torch
    >>> torch.fft.fftshift(torch.arange(4))
    tensor([2, 3, 0, 1])
    """
    return bnp.fft.fftshift(_t(input), axes=dim)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`.

    >>> import backchain.torch as torch
    >>> torch.fft.ifftshift(torch.tensor([2, 3, 0, 1]))
    tensor([0, 1, 2, 3])
    """
    return bnp.fft.ifftshift(_t(input), axes=dim)
