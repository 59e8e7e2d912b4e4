"""Work arrays whose memory is used again: the kernels' answer to page faults.

Why: memory of a megabyte or so, fresh from the C allocator, often comes as fresh pages from the
system, and the first touch of each 4 KiB page costs a fault (about 2 µs here). Three ways to
reuse it, for three lifetimes:

* ``empty(shape, dtype)``: a large array that may go anywhere, results returned to users
  included; its memory comes back when the last array or view on it is gone.
* ``recycled(slot, shape, dtype)``: a kernel's result of any size (ReLU, pooling, the convolution
  layouts), from a per-thread pool that hands an array out again once the pool holds the only
  reference to it; cheaper per call than ``empty`` (no window, no weak reference).
* ``temporary(slot, shape, dtype)``: a temporary that dies within one kernel call (the im2col
  columns), one buffer per slot and thread; never returned to callers.

``empty``: a fused layer needs megabytes of fresh arrays every step (an LSTM layer of W7's size: 8 MB
of activations, 6.5 MB of gate cotangents, 2 MB of states). From the C allocator, memory of that
size often comes as fresh pages from the system each time, and the first touch of each 4 KiB
page costs a fault: W7 measured 1,700-2,200 faults, 5 ms of a 13 ms step, depending on how the
allocator's thresholds happened to move. Arrays from ``empty`` take their memory from a few
buffers kept here instead, and a buffer comes back by itself when the last array (or view) on
it is gone, whoever held it: outputs returned to users are safe to take from here.

How: each array is made with ``np.frombuffer`` over a ``ctypes`` window on a kept ``bytearray``;
NumPy holds the window for as long as any array or view on it lives, and a weak reference to the
window gives the buffer back when it dies. At most ``KEEP`` buffers and ``KEEP_BYTES`` bytes wait
to be used again (the most recently freed); arrays under ``MIN_BYTES`` come from ``np.empty``.
"""
import ctypes
import sys
import threading
import weakref

import numpy as np

__all__ = ["empty", "recycled", "temporary"]

MIN_BYTES = 1 << 20
KEEP = 8                 # buffers waiting to be used again, at most ...
KEEP_BYTES = 256 << 20   # ... and at most this many bytes in all (the most recently freed one always)
ALIGN = 64

_lock = threading.RLock()   # re-entered when a collection run inside ``empty`` frees a window
_kept = []   # free buffers, the most recently freed last


def _keep(buf):
    with _lock:
        _kept.append(buf)
        del _kept[:-KEEP]
        while len(_kept) > 1 and sum(len(b) for b in _kept) > KEEP_BYTES:
            del _kept[0]


def empty(shape, dtype):
    """An uninitialised array of ``shape`` and ``dtype``, like ``np.empty`` (C order).

    Examples
    --------
    >>> a = empty((1024, 1024), np.float32)
    >>> a.shape, a.dtype, a.flags.c_contiguous, a.flags.writeable
    ((1024, 1024), dtype('float32'), True, True)
    """
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in shape)
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n < MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    buf = None
    with _lock:
        for b in _kept:
            if n + ALIGN <= len(b) <= 2 * n + ALIGN and (buf is None or len(b) < len(buf)):
                buf = b
        # by identity: the list may have changed under a collection run meanwhile (a buffer
        # that left the list is still free, as nothing else holds it)
        for k, b in enumerate(_kept):
            if b is buf:
                del _kept[k]
                break
    if buf is None:
        buf = bytearray(n + ALIGN)
    start = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    window = (ctypes.c_char * n).from_buffer(buf, (-start) % ALIGN)
    weakref.finalize(window, _keep, buf).atexit = False
    return np.frombuffer(window, dtype=dtype).reshape(shape)


# -- recycled and temporary: the convolution, pooling and ReLU kernels' arrays --------------------

class _Temporaries(threading.local):
    def __init__(self):
        self.buffers = {}


_temporaries = _Temporaries()


def temporary(slot, shape, dtype):
    """A reused, uninitialised array for a temporary that dies within one kernel call.

    NOTE: the im2col columns are several times the size of the input and live for one
    matrix product. A fresh allocation of that size is returned to the OS when freed, so
    each call pays its page faults again (measured: the LeNet train step took twice as
    long). One buffer per slot and thread is reused instead; never return it to callers.
    """
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    buf = _temporaries.buffers.get(slot)
    if buf is None or buf.size < n:
        buf = np.empty(max(n, 1), dtype=np.uint8)
        _temporaries.buffers[slot] = buf
    return buf[:n].view(dtype).reshape(shape)


class _Outputs(threading.local):
    def __init__(self):
        self.free = {}


_outputs_state = _Outputs()
_POOLED = 4   # arrays kept per (slot, shape, dtype)
_POOL_KEYS = 32   # (slot, shape, dtype) keys kept per thread


def recycled(slot, shape, dtype):
    """A fresh-or-recycled uninitialised array for a kernel's result.

    NOTE: results of the size of a feature map are above malloc's mmap threshold: a new one is
    page-faulted in on every call (measured: about a third of the LeNet train step). An array
    that this pool handed out before is recycled only when the pool holds the only reference
    to it (no caller, graph node or view keeps it alive), so a returned result is never
    overwritten while anything can still read it.
    """
    dtype = np.dtype(dtype)
    key = (slot, tuple(shape), dtype)
    free = _outputs_state.free
    if key not in free and len(free) >= _POOL_KEYS:
        free.clear()   # many shapes: start over (the dropped arrays live on while referenced)
    kept = free.setdefault(key, [])
    for i in range(len(kept)):
        # references: the list, and getrefcount's argument
        if sys.getrefcount(kept[i]) == 2:
            return kept[i]
    out = np.empty(shape, dtype)
    if len(kept) < _POOLED:
        kept.append(out)
    return out
