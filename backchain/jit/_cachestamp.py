"""Numba's disk cache of bc.jit's kernels, kept consistent with their sources.

Numba keys a cached function by the time stamp of its own source file, not by the functions it
calls and compiles into itself: a kernel of ``_rnn_kernels.py`` that inlines ``_simd.rows_nn`` kept
the old ``rows_nn`` after ``_simd.py`` changed (another revision checked out in place), and
computed with it. So before any kernel is compiled or loaded, :func:`check` hashes the sources of
the kernel modules together; where the hash differs from the one recorded beside the cache, it
removes the cached kernels of these modules, which Numba then compiles again. The fused kernels
that ``_fuse.py`` writes carry the hash in their source, hence in their file's name.
"""
import hashlib
import os

__all__ = ["check", "digest"]

_MODULES = ("_simd", "_vmath", "_pool", "_rnn_kernels", "_kernels", "_split", "_rows", "_conv_kernels")
_HERE = os.path.dirname(os.path.abspath(__file__))
_state = {}


def digest():
    """The hash of the kernel modules' sources."""
    d = _state.get("digest")
    if d is None:
        h = hashlib.sha1()
        for name in _MODULES:
            try:
                with open(os.path.join(_HERE, name + ".py"), "rb") as f:
                    h.update(f.read())
            except OSError:
                h.update(name.encode())
        d = _state["digest"] = h.hexdigest()[:16]
    return d


def _here():
    """A function of this directory, for Numba's cache locators."""


def _cache_dir():
    """The directory where Numba caches the functions of this package's ``jit`` modules, or None."""
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
    for cls in impl._locator_classes:
        try:
            locator = cls.from_function(_here, os.path.join(_HERE, "_cachestamp.py"))
        except Exception:   # (a locator that does not apply here)
            continue
        if locator is not None:
            return locator.get_cache_path()
    return None


def check():
    """Remove the cached kernels of these modules once per process where their sources changed since
    they were cached. Never raises: a cache that cannot be read or written is left to Numba."""
    if _state.get("checked"):
        return
    _state["checked"] = True
    try:
        path = _cache_dir()
        if path is None or not os.path.isdir(path):
            return
        stamp = os.path.join(path, "backchain-kernels.stamp")
        try:
            with open(stamp) as f:
                if f.read().strip() == digest():
                    return
        except OSError:
            pass
        prefixes = tuple(name + "." for name in _MODULES)
        for entry in os.listdir(path):
            if entry.startswith(prefixes) and entry.endswith((".nbi", ".nbc")):
                try:
                    os.remove(os.path.join(path, entry))
                except OSError:
                    pass
        tmp = f"{stamp}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(digest() + "\n")
        os.replace(tmp, stamp)
    except Exception:   # (Numba's internals moved, a read-only cache: Numba keeps its own behaviour)
        return
