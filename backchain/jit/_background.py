"""The pattern kernels' compilation, off the replay's path.

A rewritten call (``_patterns.py``) asks for its Numba kernel with :func:`request` when the program
is compiled; a background thread imports Numba and compiles the kernel for the argument types asked
for (or loads it from Numba's disk cache), and until it is ready the call takes the NumPy route it
replaced. The kernels compute that route's values bit for bit, so which route a replay takes never
changes a value, only its speed: the first call returns after tracing (tens of milliseconds)
instead of after compiling every kernel (about a second for W3's, the first time on a machine).

``BACKCHAIN_JIT_COMPILE=sync`` compiles on the requesting thread instead, so that the first replay
runs the kernels; :func:`wait` blocks until every requested kernel is ready (the benchmarks time
steps after it).

Processes: a forked child keeps the kernels compiled before the fork and takes the NumPy route
where one was pending (the compile thread does not survive a fork); the interpreter's exit waits
for the kernel being compiled (Numba writes its cache file at the end), not for the ones queued
after it.
"""
import atexit
import os
import sys
import threading

import numpy as np

__all__ = ["Ready", "request", "wait"]


class Ready:
    """A kernel of ``_kernels.py`` for one set of argument types: ``fn`` is None until it is compiled,
    then the Numba dispatcher; ``error`` holds the exception of a compile that failed (the call then
    keeps its NumPy route)."""

    __slots__ = ("name", "example", "fn", "error")

    def __init__(self, name, example):
        self.name, self.example = name, example
        self.fn = self.error = None

    def __repr__(self):
        state = "ready" if self.fn is not None else ("failed" if self.error is not None else "pending")
        return f"<kernel {self.name} {state}>"


# While a kernel compiles (Numba's typing and lowering are Python, holding the GIL), the interpreter
# hands the GIL over at least this often, instead of every 5 ms: a replay on the calling thread,
# which releases the GIL in each NumPy call, then waits for it 0.5 ms at most, not 5 (measured on
# W3's first replays with Numba's cache empty: 0.28 s a step at 5 ms).
SWITCH_S = 0.0005

_cond = threading.Condition(threading.Lock())
_boxes = {}      # (name, argument type keys) -> Ready
_queue = []      # Ready objects to compile, in request order
_state = {"thread": None, "busy": False, "stop": False, "paused": False}


def _key(a):
    """A hashable stand-in for the Numba type of ``a`` (its dtype and rank; arrays are C-contiguous)."""
    if a.__class__ is np.ndarray:
        return ("a", a.dtype.str, a.ndim)
    if a.__class__ is tuple:
        return ("t",) + tuple(_key(x) for x in a)
    return a.__class__.__name__


def request(name, *example):
    """The :class:`Ready` of kernel ``name`` of ``_kernels.py`` for arguments of the types of
    ``example`` (small C-contiguous arrays of the dtypes and ranks the call passes, scalars of its
    types), queued for compiling the first time it is asked for."""
    key = (name,) + tuple(_key(a) for a in example)
    sync = os.environ.get("BACKCHAIN_JIT_COMPILE", "background") == "sync"
    with _cond:
        box = _boxes.get(key)
        if box is None:
            box = _boxes[key] = Ready(name, example)
            if not sync:
                _queue.append(box)
                if _state["thread"] is None:
                    t = threading.Thread(target=_work, name="backchain-jit-compile", daemon=True)
                    _state["thread"] = t
                    t.start()
                _cond.notify_all()
        elif not (sync and box.fn is None and box.error is None):
            return box
        if sync and box in _queue:
            _queue.remove(box)
    if sync:  # (a compile the thread began meanwhile: Numba's lock orders the two, the second finds it done)
        _compile(box)
    return box


def wait(timeout=None):
    """Block until every kernel requested so far is compiled (or failed); False if ``timeout`` seconds
    passed first."""
    with _cond:
        return _cond.wait_for(lambda: not _queue and not _state["busy"] or _state["paused"], timeout)


def _compile(box):
    try:
        import numba

        from . import _kernels

        fn = getattr(_kernels, box.name)
        fn.compile(tuple(numba.typeof(a) for a in box.example))
        box.fn = fn
    except Exception as e:  # noqa: BLE001 - any failure leaves the NumPy route, which is always right
        box.error = e


def _work():
    while True:
        with _cond:
            _cond.wait_for(lambda: _state["stop"] or (_queue and not _state["paused"]))
            if _state["stop"]:
                return
            box = _queue.pop(0)
            _state["busy"] = True
        interval = sys.getswitchinterval()
        if interval > SWITCH_S:
            sys.setswitchinterval(SWITCH_S)
        try:
            _compile(box)
        finally:
            if sys.getswitchinterval() == SWITCH_S:   # (unless someone set another meanwhile)
                sys.setswitchinterval(interval)
            with _cond:
                _state["busy"] = False
                _cond.notify_all()


class paused:
    """Within ``with paused():`` the background thread starts no compile (tests use it to replay
    before the kernels are ready)."""

    def __enter__(self):
        with _cond:
            _state["paused"] = True
            _cond.wait_for(lambda: not _state["busy"])
        return self

    def __exit__(self, *exc):
        with _cond:
            _state["paused"] = False
            _cond.notify_all()


def _at_exit():
    t = _state["thread"]
    with _cond:
        _state["stop"] = True
        _cond.notify_all()
    if t is not None and t.is_alive():
        t.join()


def _after_fork():
    """In a forked child: no compile thread (it did not survive the fork), the pending kernels left
    to their NumPy routes, the queue forgotten."""
    global _cond
    _cond = threading.Condition(threading.Lock())
    for box in _boxes.values():
        if box.fn is None and box.error is None:
            box.error = RuntimeError("not compiled in this process (forked while pending)")
    _queue.clear()
    _state.update(thread=None, busy=False)


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
