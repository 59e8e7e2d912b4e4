"""``torch.special``: PyTorch's names over ``backchain.scipy.special`` (differentiable; results are torch
Tensors for torch Tensor arguments).

>>> import backchain.torch as torch
>>> torch.special.expit(torch.tensor([0.0, 2.0]))
tensor([0.5000, 0.8808])
"""
import backchain.scipy.special as _sp
from ._ops import _t

__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln", "digamma", "psi",
           "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "log1p", "expm1",
           "exp2", "sinc", "entr", "softmax", "log_softmax", "logsumexp", "round"]


def _wrap(name, doc_code, doc_out, fn=None):
    target = fn or getattr(_sp, name)

    def op(input, *args, **kwargs):
        out = target(_t(input) if fn is None else input, *args, **kwargs)
        x = args[0] if name == "polygamma" else input  # polygamma(n, x)
        xd = getattr(getattr(x, "_data", None), "dtype", None)
        if xd is not None and xd.kind == "f" and out._data.dtype != xd and out._data.dtype.kind == "f":
            out = out.type(xd)  # SciPy computes some in float64; PyTorch keeps the input's dtype
        return out
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"PyTorch's ``torch.special.{name}``.\n\n    >>> import backchain.torch as torch\n"
                  f"    >>> {doc_code}\n    {doc_out}\n    ")
    return op


def _exp2(x):
    import backchain.numpy as bnp
    return bnp.exp2(x)


def _sinc(x):
    import backchain.numpy as bnp
    return bnp.sinc(x)


def _round(x, decimals=0):
    import backchain.numpy as bnp
    return bnp.round(x, decimals)


def _softmax(x, dim, dtype=None):
    return _sp.softmax(x if dtype is None else x.type(dtype), axis=dim)


def _log_softmax(x, dim, dtype=None):
    return _sp.log_softmax(x if dtype is None else x.type(dtype), axis=dim)


def _logsumexp(x, dim, keepdim=False):
    return _sp.logsumexp(x, axis=dim, keepdims=keepdim)


def _xlogy(x, other):
    return _sp.xlogy(x, other)


_T = "torch.tensor([0.5, 2.0])"
erf = _wrap("erf", f"torch.special.erf({_T})", "tensor([0.5205, 0.9953])")
erfc = _wrap("erfc", f"torch.special.erfc({_T})", "tensor([0.4795, 0.0047])")
erfinv = _wrap("erfinv", "torch.special.erfinv(torch.tensor([0.0, 0.5]))", "tensor([0.0000, 0.4769])")
expit = _wrap("expit", "torch.special.expit(torch.tensor([0.0, 2.0]))", "tensor([0.5000, 0.8808])")
logit = _wrap("logit", "torch.special.logit(torch.tensor([0.25, 0.5]))", "tensor([-1.0986,  0.0000])")
xlogy = _wrap("xlogy", "torch.special.xlogy(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 3.0]))",
              "tensor([0.0000, 2.1972])", _xlogy)
xlog1py = _wrap("xlog1py", "torch.special.xlog1py(torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 3.0]))",
                "tensor([0.0000, 2.7726])")
gammaln = _wrap("gammaln", f"torch.special.gammaln({_T})", "tensor([0.5724, 0.0000])")
digamma = _wrap("digamma", f"torch.special.digamma({_T})", "tensor([-1.9635,  0.4228])")
psi = _wrap("psi", f"torch.special.psi({_T})", "tensor([-1.9635,  0.4228])")
polygamma = _wrap("polygamma", "torch.special.polygamma(1, torch.tensor([0.5, 2.0]))", "tensor([4.9348, 0.6449])",
                  lambda n, x: _sp.polygamma(n, _t(x)))
multigammaln = _wrap("multigammaln", "torch.special.multigammaln(torch.tensor([2.5, 3.0]), 2)",
                     "tensor([0.8570, 1.5502])")
i0 = _wrap("i0", f"torch.special.i0({_T})", "tensor([1.0635, 2.2796])")
i0e = _wrap("i0e", f"torch.special.i0e({_T})", "tensor([0.6450, 0.3085])")
i1 = _wrap("i1", f"torch.special.i1({_T})", "tensor([0.2579, 1.5906])")
i1e = _wrap("i1e", f"torch.special.i1e({_T})", "tensor([0.1564, 0.2153])")
ndtr = _wrap("ndtr", f"torch.special.ndtr({_T})", "tensor([0.6915, 0.9772])")
ndtri = _wrap("ndtri", "torch.special.ndtri(torch.tensor([0.5, 0.975]))", "tensor([0.0000, 1.9600])")
log_ndtr = _wrap("log_ndtr", f"torch.special.log_ndtr({_T})", "tensor([-0.3689, -0.0230])")
log1p = _wrap("log1p", f"torch.special.log1p({_T})", "tensor([0.4055, 1.0986])")
expm1 = _wrap("expm1", f"torch.special.expm1({_T})", "tensor([0.6487, 6.3891])")
exp2 = _wrap("exp2", f"torch.special.exp2({_T})", "tensor([1.4142, 4.0000])", _exp2)
sinc = _wrap("sinc", "torch.special.sinc(torch.tensor([0.5, 0.0]))", "tensor([0.6366, 1.0000])", _sinc)
entr = _wrap("entr", f"torch.special.entr({_T})", "tensor([ 0.3466, -1.3863])")
softmax = _wrap("softmax", "torch.special.softmax(torch.tensor([1.0, 2.0]), 0)", "tensor([0.2689, 0.7311])",
                _softmax)
log_softmax = _wrap("log_softmax", "torch.special.log_softmax(torch.tensor([1.0, 2.0]), 0)",
                    "tensor([-1.3133, -0.3133])", _log_softmax)
logsumexp = _wrap("logsumexp", "torch.special.logsumexp(torch.tensor([1.0, 2.0]), 0)", "tensor(2.3133)",
                  _logsumexp)
round = _wrap("round", "torch.special.round(torch.tensor([0.5, 1.5]))", "tensor([0., 2.])", _round)
