"""NumPy's array_like for Tensors: a list or tuple that holds Tensors is one differentiable array.

NumPy takes ``[t1, t2]`` wherever it takes an array; converting such a list with NumPy would call
``Tensor.__array__``, which refuses a traced Tensor (it would cut the gradient). The wrappers of
``backchain.numpy`` therefore stack such a list with :func:`backchain.numpy.array` first::

    if a.__class__ is list or a.__class__ is tuple:  # ~20 ns for an array: the wrappers' hot path
        a = stacked(a)

The class test stays at the call site (not in :func:`stacked`) because rules call these wrappers
on plain arrays during backward, where a function call would cost more than the test.
"""
from .._core.primitive import _holds_tensor


def stacked(a):
    """``a`` as one Tensor (``backchain.numpy.array``) when it is a list or tuple holding a Tensor at
    any depth; otherwise ``a`` unchanged (NumPy converts it as usual).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> from backchain.numpy._arraylike import stacked
    >>> t = bc.tensor(2.0, requires_grad=True)
    >>> stacked([t, 1.0]).shape, stacked([1.0, 2.0])
    ((2,), [1.0, 2.0])
    """
    if (a.__class__ is list or a.__class__ is tuple) and _holds_tensor(a):
        from ._constructors import array

        return array(a)
    return a


def stacked_each(arrays):
    """A sequence of arrays (``concatenate``'s, ``stack``'s) as a list, each list in it that holds a
    Tensor stacked (:func:`stacked`)."""
    arrays = list(arrays)
    for i, a in enumerate(arrays):
        if a.__class__ is list or a.__class__ is tuple:
            arrays[i] = stacked(a)
    return arrays
