"""``backchain.autograd.tracer``: ``getval``, ``isbox``, ``Box`` and the primitive decorators."""
from .._core.tensor import Tensor
from .extend import Box, notrace_primitive, primitive  # noqa: F401

__all__ = ["Box", "getval", "isbox", "notrace_primitive", "primitive"]


def isbox(x):
    """Whether ``x`` is traced (autograd's Box; a Tensor that requires grad in backchain).

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.tracer import isbox
    >>> seen = []
    >>> _ = ag.grad(lambda x: seen.append(isbox(x)) or x * 1.0)(2.0)
    >>> seen, isbox(2.0)
    ([True], False)
    """
    return isinstance(x, Tensor) and x.requires_grad


def getval(x):
    """The plain value of ``x``: a traced value's array, anything else unchanged.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.tracer import getval
    >>> float(ag.grad(lambda x: x * float(getval(x)))(3.0))   # getval is a constant: d(3x)/dx
    3.0
    """
    return x._data if isinstance(x, Tensor) else x
