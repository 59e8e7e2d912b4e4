"""In-place safety: storage versions, checked at backward against what each rule reads.

The model is PyTorch's, adapted to NumPy. A *storage* is the memory an array
lives in: the array itself, or its ``base`` for a view (NumPy points every
view at the array that owns the memory), so every view of one base array and
every ``detach()`` result share it. Each write into a storage through a Tensor
operation (``add_``, ``x += y``, ``copy_``, an optimizer step,
``load_state_dict``) stamps the storage with a fresh number from the counter
that also numbers recorded nodes (``tensor._seq``). A node recorded before a
write that changed an array its rule reads cannot compute a right gradient:
backward raises :class:`~backchain.InplaceError` naming the op, the input and
how it was changed. Rules that read nothing of a value (``add``, ``sum``,
``reshape``: linear rows of one input) never raise, and neither does a node
whose rule for the inputs that need a cotangent reads only other arrays.

What a rule reads is taken from its code, once per rule (``reads``): the
arguments a derivative formula names. Recording pays nothing for any of this;
backward checks only once some storage was ever written (``WRITES``).

A *recorded* in-place op (one that involves a Tensor that requires grad) keeps
the old value for the graph it belongs to (its previous incarnation gets a
copy), writes the new value into the storage so that views see it, and gives
the Tensor a new node. Other Tensors that share the storage (views, the base of
a view, ``detach()`` aliases) now hold values their own nodes did not compute:
a node recorded after such a write that uses one of them raises at backward,
instead of sending a gradient down the wrong path.
"""
import bisect
import dis
import functools
import threading
import weakref

import numpy as np

__all__ = ["storage", "mark_written", "WRITES", "reads"]

_ndarray = np.ndarray
_MUTEX = threading.Lock()


class _Writes:
    """id(storage) -> [weakref, last write number, how, recorded writes as (number, id of the
    array written through)].

    ``used`` turns True at the first write of the process: until then backward
    checks nothing. Entries go when their storage is collected.
    """

    def __init__(self):
        self.used = False
        self.items = {}
        self.last = 0  # the number of the latest write: nodes recorded after it need no check
        self.last_recorded = 0  # ... and of the latest write by a recorded in-place op

    def get(self, root):
        e = self.items.get(id(root))
        return e if e is not None and e[0]() is root else None


WRITES = _Writes()


def storage(a):
    """The object that owns ``a``'s memory (``a`` itself unless it is a view); None for non-arrays."""
    if type(a) is not _ndarray:
        return a if isinstance(a, _ndarray) else None
    b = a.base
    while isinstance(b, _ndarray):  # views of views whose base does not own its memory (np.frombuffer, ...)
        a, b = b, b.base
    return a


def mark_written(data, seq, how, recorded=False):
    """Stamp the storage of ``data`` as written at ``seq`` (by ``how``: "add_", "SGD.step", ...)."""
    root = storage(data)
    if root is None:
        return
    items = WRITES.items
    with _MUTEX:
        WRITES.used = True
        e = items.get(id(root))
        if e is None or e[0]() is not root:
            k = id(root)
            e = items[k] = [weakref.ref(root, lambda _, k=k: items.pop(k, None)), 0, "", []]
        e[1], e[2] = seq, how
        WRITES.last = max(WRITES.last, seq)
        if recorded:
            e[3].append((seq, id(data)))
            WRITES.last_recorded = max(WRITES.last_recorded, seq)


def written_after(a, seq):
    """``(number, how)`` of the last write of ``a``'s storage if later than ``seq``, else None."""
    e = WRITES.get(storage(a))
    if e is not None and e[1] > seq:
        return e[1], e[2]
    return None


def recorded_write_between(a, lo, hi, alias_ok=False):
    """How a recorded in-place op wrote ``a``'s storage after ``lo`` and before ``hi``, or None.
    With ``alias_ok``, a write into the array object ``a`` itself (through a ``detach()`` alias
    of it) does not count, only one through another view."""
    e = WRITES.get(storage(a))
    if e is None or not e[3]:
        return None
    writes = e[3]
    k = bisect.bisect_right(writes, (lo, float("inf")))
    for seq, target in writes[k:]:
        if seq >= hi:
            break
        if not (alias_ok and target == id(a)):
            return e[2]
    return None


# -- what a rule reads ------------------------------------------------------------------------
_LOADS = frozenset(("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_FAST_LOAD_FAST",
                    "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_CLASSDEREF", "DELETE_FAST"))
_ALL = None  # "reads everything": the answer whenever the code cannot tell


@functools.lru_cache(maxsize=None)
def _code_reads(code):
    """Positions of the positional parameters of ``code`` that its body loads (None: cannot tell)."""
    if code.co_flags & (0x04 | 0x08):  # *args or **kwargs: anything may be read
        return _ALL
    names = code.co_varnames[:code.co_argcount]
    used = set(code.co_cellvars)  # captured by an inner function: read there
    for ins in dis.get_instructions(code):
        if ins.opname in _LOADS:
            v = ins.argval
            used.update(v if isinstance(v, tuple) else (v,))
        elif ins.opname in ("LOAD_NAME", "IMPORT_NAME") and ins.argval in ("locals", "vars", "eval", "exec"):
            return _ALL
    return frozenset(i for i, n in enumerate(names) if n in used)


def reads(rule):
    """Which arguments the VJP rule ``rule(g, ans, *args)`` reads: positions counted from ``ans``
    (0 is ``ans``, 1 the first input, ...), or None when its code cannot tell (read everything)."""
    cached = getattr(rule, "_reads", False)
    if cached is not False:
        return cached
    shift = 1  # the rule's own parameters start with g
    fn = rule
    while isinstance(fn, functools.partial):
        shift += len(fn.args)
        fn = fn.func
    deriv = getattr(fn, "deriv", None)  # the elementwise shorthand: d(ans, *args)
    if deriv is not None:
        fn, shift = deriv, 0
    code = getattr(fn, "__code__", None)
    if code is None:
        found = _ALL
    else:
        pos = _code_reads(code)
        found = _ALL if pos is _ALL else frozenset(p - shift for p in pos if p >= shift)
    try:
        rule._reads = found
    except (AttributeError, TypeError):
        pass
    return found
