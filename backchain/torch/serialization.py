"""``torch.save`` / ``torch.load``: backchain's safetensors checkpoints (no pickle, no code from files).

Saved: state dicts and nested dicts, lists and tuples of tensors, arrays, numbers, strings, booleans
and None, to a path or a binary file object. Loaded tensors are torch Tensors. Whole Module objects
cannot be saved yet (save ``model.state_dict()``); ``weights_only`` is accepted (loading is always
weights only).
"""
import os
import tempfile

import numpy as np

import backchain as bc
from .._core.tensor import Tensor as _Base, make_const
from ._tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals"]

_SAFE = []


def _plain(obj):
    """``obj`` with tensors as ndarrays (a stack, no recursion), checked to hold only what can be saved."""
    done, stack = {}, [(obj, False)]
    while stack:
        o, expanded = stack.pop()
        if isinstance(o, (dict, list, tuple)) and not expanded:
            stack.append((o, True))
            stack.extend((c, False) for c in (o.values() if isinstance(o, dict) else o))
            continue
        if isinstance(o, bc.nn.Module):
            raise TypeError(f"torch.save: saving a whole module ({type(o).__name__}) is not supported by "
                            "backchain.torch yet; save model.state_dict() and load it into a new model")
        if isinstance(o, _Base):
            v = np.asarray(o.data)
        elif isinstance(o, dict):
            v = type(o)((k, done[id(c)]) for k, c in o.items())
        elif isinstance(o, list):
            v = [done[id(c)] for c in o]
        elif isinstance(o, tuple):
            v = tuple(done[id(c)] for c in o)
        else:
            v = o
        done[id(o)] = v
    return done[id(obj)]


def _torch(obj):
    """``obj`` with every ndarray a torch Tensor (a stack, no recursion)."""
    done, stack = {}, [(obj, False)]
    while stack:
        o, expanded = stack.pop()
        if isinstance(o, (dict, list, tuple)) and not expanded:
            stack.append((o, True))
            stack.extend((c, False) for c in (o.values() if isinstance(o, dict) else o))
            continue
        if isinstance(o, np.ndarray):
            v = make_const(o, Tensor)
        elif isinstance(o, dict):
            v = type(o)((k, done[id(c)]) for k, c in o.items())
        elif isinstance(o, list):
            v = [done[id(c)] for c in o]
        elif isinstance(o, tuple):
            v = tuple(done[id(c)] for c in o)
        else:
            v = o
        done[id(o)] = v
    return done[id(obj)]


def save(obj, f):
    """Write ``obj`` to the path or binary file object ``f``.

    >>> import io, backchain.torch as torch
    >>> buf = io.BytesIO()
    >>> torch.save({"weight": torch.ones(2), "epoch": 3}, buf)
    >>> _ = buf.seek(0)
    >>> torch.load(buf)
    {'weight': tensor([1., 1.]), 'epoch': 3}
    """
    plain = _plain(obj)
    if isinstance(f, (str, os.PathLike)):
        bc.save(plain, os.fspath(f))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.safetensors")
        bc.save(plain, path)
        with open(path, "rb") as src:
            f.write(src.read())


def load(f, map_location=None, weights_only=True, **kwargs):
    """Read what ``save`` wrote, from a path or a binary file object; tensors come back as torch Tensors.

    >>> import io, backchain.torch as torch
    >>> buf = io.BytesIO()
    >>> torch.save([torch.tensor([1, 2]), "note"], buf)
    >>> torch.load(io.BytesIO(buf.getvalue()), map_location="cpu", weights_only=True)
    [tensor([1, 2]), 'note']
    """
    if isinstance(f, (str, os.PathLike)):
        return _torch(bc.load(os.fspath(f)))
    data = f.read() if not isinstance(f, (bytes, bytearray)) else f
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.safetensors")
        with open(path, "wb") as dst:
            dst.write(data)
        return _torch(bc.load(path))


def add_safe_globals(classes):
    """Record classes as safe to rebuild when loading (kept for the module loading to come; state dicts need
    none).

    >>> import backchain.torch as torch
    >>> torch.serialization.add_safe_globals([torch.nn.Linear])
    >>> torch.nn.Linear in torch.serialization.get_safe_globals()
    True
    """
    _SAFE.extend(classes)


def get_safe_globals():
    """The classes recorded by :func:`add_safe_globals` and :class:`safe_globals`.

    >>> import backchain.torch as torch
    >>> isinstance(torch.serialization.get_safe_globals(), list)
    True
    """
    return list(_SAFE)


class safe_globals:
    """A ``with`` block in which ``classes`` count as safe to rebuild when loading.

    >>> import backchain.torch as torch
    >>> with torch.serialization.safe_globals([torch.nn.GRU]):
    ...     torch.nn.GRU in torch.serialization.get_safe_globals()
    True
    """

    def __init__(self, classes):
        self.classes = list(classes)

    def __enter__(self):
        _SAFE.extend(self.classes)
        return self

    def __exit__(self, *exc):
        for c in self.classes:
            _SAFE.remove(c)
        return False
