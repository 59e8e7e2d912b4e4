"""Large arrays whose memory is used again once nothing refers to them.

Why: a fused layer needs megabytes of fresh arrays every step (an LSTM layer of W7's size: 8 MB
of activations, 6.5 MB of gate cotangents, 2 MB of states). From the C allocator, memory of that
size often comes as fresh pages from the system each time, and the first touch of each 4 KiB
page costs a fault: W7 measured 1,700-2,200 faults, 5 ms of a 13 ms step, depending on how the
allocator's thresholds happened to move. Arrays from ``empty`` take their memory from a few
buffers kept here instead, and a buffer comes back by itself when the last array (or view) on
it is gone, whoever held it: outputs returned to users are safe to take from here.

How: each array is made with ``np.frombuffer`` over a ``ctypes`` window on a kept ``bytearray``;
NumPy holds the window for as long as any array or view on it lives, and a weak reference to the
window gives the buffer back when it dies. At most ``KEEP`` buffers wait to be used again (the
most recently freed); arrays under ``MIN_BYTES`` come from ``np.empty``.
"""
import ctypes
import threading
import weakref

import numpy as np

__all__ = ["empty"]

MIN_BYTES = 1 << 20
KEEP = 4
ALIGN = 64

_lock = threading.RLock()   # re-entered when a collection run inside ``empty`` frees a window
_kept = []   # free buffers, the most recently freed last


def _keep(buf):
    with _lock:
        _kept.append(buf)
        del _kept[:-KEEP]


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
