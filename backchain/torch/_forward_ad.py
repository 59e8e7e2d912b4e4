"""``torch.autograd.forward_ad``: dual tensors, over backchain's forward mode.

Inside ``with dual_level():``, ``make_dual(x, v)`` gives a tensor that carries the tangent ``v``;
``unpack_dual(y)`` gives ``y``'s primal and its tangent, ``J v``. The tangents are pushed through the
JVP rules of the operations recorded since the dual tensors were made (one forward sweep per
``unpack_dual``), so every primitive's forward rule serves, as with ``backchain.jvp``.

>>> import backchain.torch as torch
>>> import backchain.torch.autograd.forward_ad as fwAD
>>> x = torch.tensor([1.0, 2.0])
>>> with fwAD.dual_level():
...     y = fwAD.make_dual(x, torch.tensor([1.0, 0.0])) ** 3
...     fwAD.unpack_dual(y).tangent
tensor([3., 0.])

A dual tensor is recorded like a tensor that requires grad (``requires_grad`` reads True, and
``torch.no_grad()`` inside the level stops the tangents as it stops recording); nested levels are
refused, as by PyTorch.
"""
import collections
import weakref

import numpy as np

from .._core.engine import forward_pass
from .._core.tensor import Tensor as _Base, make_const, enable_grad
from ._tensor import Tensor, as_torch

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level", "UnpackedDualTensor"]

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_LEVEL = [None]
_DUALS = {}  # id(dual tensor) -> (weak reference to it, tangent array)


def enter_dual_level():
    """Open the dual level (the only one: forward-mode levels do not nest). Returns its number, 0."""
    if _LEVEL[0] is not None:
        raise RuntimeError("enter_dual_level: nested forward mode AD is not supported; exit the current level "
                           "first")
    _LEVEL[0] = 0
    return 0


def exit_dual_level(*, level=None):
    """Close the dual level: every dual tensor made in it loses its tangent."""
    if _LEVEL[0] is None:
        raise RuntimeError("exit_dual_level: there is no dual level to exit")
    _LEVEL[0] = None
    _DUALS.clear()


class dual_level:
    """``with dual_level():`` the scope in which dual tensors live (their tangents are dropped on exit)."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def make_dual(tensor, tangent, *, level=None):
    """A tensor with ``tensor``'s value that carries ``tangent`` (same shape; cast to its dtype)."""
    if _LEVEL[0] is None:
        raise RuntimeError("make_dual: dual tensors only exist inside `with torch.autograd.forward_ad.dual_level():`")
    tensor = as_torch(tensor)
    t = np.asarray(tangent._data if isinstance(tangent, _Base) else tangent)
    if t.shape != tensor._data.shape:
        raise RuntimeError(f"make_dual: the tangent has shape {tuple(t.shape)}, the primal "
                           f"{tuple(tensor._data.shape)}; they must be the same")
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(f"make_dual: expected a floating-point primal, got {tensor.dtype}")
    with enable_grad():
        if tensor.requires_grad:
            dual = tensor * 1  # a node of its own, still differentiable backwards to tensor
        else:
            dual = Tensor(tensor._data, requires_grad=True)
    _DUALS[id(dual)] = (weakref.ref(dual), t.astype(tensor._data.dtype, copy=True))
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor``: the tangent is ``J v`` for the duals it was computed from,
    None when it depends on none."""
    if not isinstance(tensor, _Base):
        return UnpackedDualTensor(tensor, None)
    seeds = {}
    for key, (ref, t) in list(_DUALS.items()):
        d = ref()
        if d is None:
            del _DUALS[key]
        else:
            seeds[key] = t
    if not seeds:
        return UnpackedDualTensor(tensor, None)
    if id(tensor) in seeds:
        tangent = seeds[id(tensor)]
    elif tensor._prim is None:
        tangent = None
    else:
        tangent = forward_pass([tensor], seeds)[0]
    primal = make_const(tensor._data, Tensor) if tangent is not None else tensor
    return UnpackedDualTensor(primal, None if tangent is None else make_const(np.asarray(tangent), Tensor))
