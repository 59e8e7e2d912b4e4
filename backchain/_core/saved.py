"""Arrays saved for backward are read-only until the node that saved them is done.

A recorded node that locks an array is a :class:`Saver` (one that locks nothing, such
as a node of NumPy scalars, is a plain Tensor). It makes its output array read-only
(``ndarray.setflags``), and a node whose rules read values (every primitive
except ``saves=False`` rows such as ``add``, and ``linear`` rows of one input such
as ``reshape`` or ``sum``) locks the arrays of its inputs too; for a view, its
base as well. A raw write into a saved array (``t.data[0] = 5``,
``t.numpy()[:] = ...``, ``batch[:] = next_batch`` on an array a graph saved) then
fails at the write, with NumPy's "assignment destination is read-only", instead
of silently changing a gradient computed later.

The locks end when backward releases the node (``retain_graph=False``) or when
the node is freed without a backward (a graph that is simply dropped), so the
usual ``loss.backward(); p.data -= lr * p.grad`` works as before. A node owns the
lock on its own output; the other arrays (leaves, constants, outputs of linear
ops) may be saved by several nodes and carry a count in ``_COUNTS``. An array that
was read-only before a node saw it is left alone: someone else holds it.

Writes through Tensor operations (``add_``, ``x += y``, optimizer steps,
``load_state_dict``) never fail on a locked array: they write a fresh copy and give
the tensor a new version, which the backward of a graph that saved the old value
reports (``engine._count_checked``). What read-only flags cannot stop is a write
through another view that existed before the node was recorded (a second view of
the same buffer): ``bc.detect_anomaly()`` fingerprints saved arrays and catches it.
"""
import threading

import numpy as np

from .tensor import Tensor

__all__ = ["Saver", "lock_node", "release", "writable"]

_ndarray = np.ndarray
_setflags = np.ndarray.setflags  # positional (write flag first): a keyword call costs 4x more
# id(array) -> [array, number of live nodes that hold its lock]; for arrays shared between nodes
# (and threads: a graph in each of two threads may save the same constant), so changed under _MUTEX.
_COUNTS = {}
_MUTEX = threading.RLock()  # reentrant: a node freed by the GC inside the lock releases under it


class Saver(Tensor):
    """A recorded node whose backward rule reads saved arrays (see the module docstring).

    ``_own`` is its output array when the node made it read-only; ``_held`` the
    other arrays it counted in ``_COUNTS`` (None when there are none). Both go back
    when backward releases the node, or when the node is freed without one.
    """

    __slots__ = ("_own", "_held")

    def __del__(self):
        if self._own is not None or self._held is not None:
            release(self)


def _hold(a):
    """Take a counted lock on ``a`` (the caller holds ``_MUTEX``); True if taken (False: read-only,
    and not by a node, or memory from outside NumPy, such as a ``bytearray``, that could not be
    made writeable again)."""
    e = _COUNTS.get(id(a))
    if e is not None:
        e[1] += 1
        return True
    if not a.flags.writeable:
        return False
    b = a.base
    if b is not None and type(b) is not _ndarray:  # memory NumPy could not make writeable again
        return False
    _setflags(a, False)
    _COUNTS[id(a)] = [a, 1]
    return True


def lock_node(t, out, raw):
    """Lock the arrays the node ``t`` (a fresh Saver) saves: its output ``out`` and its inputs' ``raw`` data.

    The callers in ``primitive.py`` inline the common case (an output that owns its
    memory, inputs that are other nodes' outputs) and come here for the rest.
    """
    held = ()
    own = None
    with _MUTEX:
        for a in raw:
            if type(a) is _ndarray:
                if _hold(a):
                    held += (a,)
                b = a.base
                if type(b) is _ndarray and _hold(b):  # a view: its base is locked too
                    held += (b,)
        if type(out) is _ndarray and all(out is not a for a in raw):  # an input returned as is: counted above
            b = out.base
            if b is None:
                if out.flags.writeable:
                    _setflags(out, False)
                    own = out
            elif type(b) is _ndarray and _hold(out):  # a view (of an input, say): counted, as its base
                held += (out,)
                if _hold(b):
                    held += (b,)
    t._own = own
    t._held = held or None


def release(node):
    """Give back the locks ``node`` holds (after its backward, or when it is freed)."""
    own, held = node._own, node._held
    node._own = node._held = None
    if own is not None:
        _setflags(own, True)
    if held is not None:
        with _MUTEX:
            for a in reversed(held):  # bases before their views
                e = _COUNTS.get(id(a))
                if e is None:
                    continue
                n = e[1] - 1
                if n:
                    e[1] = n
                    continue
                del _COUNTS[id(a)]
                try:
                    _setflags(a, True)
                except ValueError:  # a view whose base another node still locks: stays read-only
                    pass


def writable(t):
    """``t.data``, made writeable for an in-place update by backchain's own code (an optimizer
    step, running statistics): a locked array is replaced by a copy, so the graph that saved
    it keeps the value it saw. Returns the array to write into."""
    a = t.data
    if type(a) is _ndarray and not a.flags.writeable:
        a = t.data = a.copy()
    return a
