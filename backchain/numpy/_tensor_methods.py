"""Tensor's operators and NumPy-style methods, each a call into backchain.numpy.

Names are looked up in the namespace when called, so a method is exactly the
namespace function of the same name with the tensor as first argument.
"""
import numpy as np

import backchain.numpy as bnp

_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide", "pow": "power",
    "matmul": "matmul", "mod": "remainder", "floordiv": "floor_divide",
}
_COMPARE = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal", "ne": "not_equal"}
_METHODS = [
    "sum", "mean", "prod", "max", "min", "std", "var", "cumsum", "cumprod", "ptp", "trace", "diagonal",
    "clip", "round", "dot", "argmax", "argmin", "argsort", "all", "any", "nonzero", "repeat",
    "exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "abs", "sign", "square", "conj", "conjugate",
    "swapaxes", "take", "sort",
]


def _binary(name):
    fn = getattr(bnp, name, None)
    if fn is not None:  # bind now: operators are the hottest path
        def rop(self, other):
            return fn(other, self)
        return fn, rop

    def op(self, other):
        return getattr(bnp, name)(self, other)

    def rop(self, other):
        return getattr(bnp, name)(other, self)

    return op, rop


def _method(name):
    def method(self, *args, **kwargs):
        return getattr(bnp, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``backchain.numpy.{name}(self, ...)``."
    return method


def _shape_args(args):
    if len(args) == 1 and (args[0] is None or isinstance(args[0], (tuple, list))):
        return args[0]
    return args


def _getitem(self, index):
    if isinstance(self._data, tuple):  # one output of a multiple-result primitive
        from .._core.primitive import tuple_get
        return tuple_get(self, index=index, n=len(self._data))
    return bnp.getitem(self, index)


def install(Tensor):
    for dunder, name in _BINARY.items():
        op, rop = _binary(name)
        setattr(Tensor, f"__{dunder}__", op)
        setattr(Tensor, f"__r{dunder}__", rop)
    for dunder, name in _COMPARE.items():
        setattr(Tensor, f"__{dunder}__", _binary(name)[0])
    Tensor.__neg__ = bnp.negative
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: bnp.abs(self)
    Tensor.__getitem__ = _getitem
    for name in _METHODS:
        setattr(Tensor, name, _method(name))
    Tensor.reshape = lambda self, *shape, **kw: bnp.reshape(self, _shape_args(shape), **kw)
    Tensor.transpose = lambda self, *axes: bnp.transpose(self, _shape_args(axes) or None)
    Tensor.permute = Tensor.transpose
    Tensor.view = Tensor.reshape
    Tensor.astype = lambda self, dtype: bnp.astype(self, dtype)
    Tensor.flatten = lambda self: bnp.reshape(self, (-1,))
    Tensor.ravel = lambda self, order="C": bnp.ravel(self, order)
    Tensor.squeeze = lambda self, axis=None: bnp.squeeze(self, axis)
    Tensor.T = property(lambda self: bnp.transpose(self))
    Tensor.mT = property(lambda self: bnp.swapaxes(self, -1, -2))
    Tensor.real = property(lambda self: bnp.real(self))
    Tensor.imag = property(lambda self: bnp.imag(self))
    Tensor.copy = lambda self: bnp.positive(self) if self.requires_grad else type(self)(self._data.copy())
