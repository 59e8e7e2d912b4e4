"""``flatten``: nested lists, tuples and dicts of arrays as one vector, and back (differentiable both ways)."""
import backchain.numpy as bnp
from .._operators import make_vjp
from ..builtins import type as _type

__all__ = ["flatten", "flatten_func"]


def flatten(value):
    """``(vector, unflatten)``: the arrays in ``value`` raveled and concatenated (dicts in sorted key order).

    ``unflatten`` is the VJP of flattening, as in autograd, so it is linear
    and differentiable.

    >>> import numpy as onp
    >>> from backchain.autograd.misc import flatten
    >>> flat, unflatten = flatten({"b": onp.ones(2), "a": [3.0, onp.zeros((1, 2))]})
    >>> flat
    array([3., 0., 0., 1., 1.])
    >>> unflatten(flat)["b"]
    array([1., 1.])
    """
    unflatten, flat_value = make_vjp(_flatten)(value)
    return flat_value, unflatten


def _flatten(value):
    t = _type(value)
    if t in (list, tuple):
        return _concatenate([_flatten(v) for v in value])
    if t is dict:
        return _concatenate([_flatten(value[k]) for k in sorted(value)])
    return bnp.ravel(value)


def _concatenate(parts):
    return bnp.concatenate(parts) if parts else bnp.array([])


def flatten_func(func, example):
    """``(flat_func, unflatten, flat_example)``: ``func`` of a structure like ``example``, on flat vectors.

    >>> import numpy as onp
    >>> from backchain.autograd.misc.flatten import flatten_func
    >>> f, unflatten, x = flatten_func(lambda p, s: [p[0] * s, p[1]], [onp.ones(2), 3.0])
    >>> f(x, 2.0)
    array([2., 2., 3.])
    """
    _ex, unflatten = flatten(example)

    def _func(_x, *args):
        return flatten(func(unflatten(_x), *args))[0]

    return _func, unflatten, _ex
