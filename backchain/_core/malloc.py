"""The C allocator's thresholds, set where glibc's own adjustment of them ends (Linux, glibc).

Why: glibc serves a request above its mmap threshold (128 KiB at start) with fresh pages from the
system and hands them back on free; each time it frees such a block it raises the threshold to
that block's size, up to 32 MiB, and it trims the top of its heap beyond twice the threshold.
Until the threshold has climbed past a program's array sizes, and whenever a pattern of sizes
keeps it low, every large array pays a page fault per 4 KiB on its first touch (about 2 µs here).
Measured on the 2-core benchmark machine: W8 (a transformer step) took 13,955 faults and 73 ms
per step, 47 ms with the thresholds set; the wide MLP of W5 1,693 faults, 15.2 ms against 12.4.

``tune()`` (called when backchain is imported) sets the mmap threshold to 32 MiB and the trim
threshold to 64 MiB, glibc's own maxima: arrays up to 32 MiB come from the heap and freed ones
are used again; larger ones still go straight back to the system; at most 64 MiB of free memory
stays at the top of the heap. Nothing is done elsewhere than glibc, when the environment already
sets the allocator (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_``,
``malloc`` tunables in ``GLIBC_TUNABLES``), or when ``BACKCHAIN_MALLOC=system``.
"""
import ctypes
import os
import sys

__all__ = ["tune", "STATE"]

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # malloc.h
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20

# What ``tune`` did: "set", or why not (reported by the benchmark runner).
STATE = {"malloc": "not tuned"}


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        version = libc.gnu_get_libc_version
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_char_p
    return libc


def tune(environ=None):
    """Set glibc's mmap and trim thresholds (see the module's text); returns ``STATE``."""
    env = os.environ if environ is None else environ
    if env.get("BACKCHAIN_MALLOC", "").lower() == "system":
        STATE["malloc"] = "left as it is (BACKCHAIN_MALLOC=system)"
        return STATE
    own = [k for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_") if k in env]
    if own or "malloc." in env.get("GLIBC_TUNABLES", ""):
        STATE["malloc"] = f"left as it is (the environment sets {', '.join(own) or 'GLIBC_TUNABLES'})"
        return STATE
    libc = _glibc()
    if libc is None:
        STATE["malloc"] = "left as it is (not glibc)"
        return STATE
    ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    STATE["malloc"] = (f"glibc mmap threshold {MMAP_THRESHOLD >> 20} MiB, trim threshold {TRIM_THRESHOLD >> 20} MiB"
                       if ok else "left as it is (mallopt refused)")
    return STATE
