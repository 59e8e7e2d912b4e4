"""autograd's differentiable containers and type queries.

In autograd a traced value is a ``Box``, so containers of traced values need
their own constructors and ``isinstance`` must look inside boxes. backchain's
traced values are Tensors that plain Python containers hold as they are: the
containers here are Python's own, and ``isinstance`` / ``type`` look at a
Tensor's array, so ``isinstance(x, np.ndarray)`` holds inside ``grad`` as it
does outside.
"""
import builtins as _builtins

from .._core.tensor import Tensor

__all__ = ["tuple", "list", "dict", "isinstance", "type"]

tuple = _builtins.tuple
list = _builtins.list
dict = _builtins.dict


def _value(x):
    return x._data if _builtins.isinstance(x, Tensor) else x


def isinstance(obj, classinfo):
    """``isinstance`` of the value a traced Tensor holds (its array), as autograd's on a Box.

    >>> import numpy as onp, backchain.autograd as ag
    >>> float(ag.grad(lambda x: 1.0 * ag.isinstance(x, onp.ndarray) * x)(onp.array(2.0)))
    1.0
    """
    return _builtins.isinstance(_value(obj), classinfo)


def type(obj):
    """The type of the value a traced Tensor holds (``numpy.ndarray``), as autograd's on a Box.

    >>> import numpy as onp, backchain.autograd as ag
    >>> ag.type(onp.ones(2)) is onp.ndarray
    True
    """
    return _builtins.type(_value(obj))
