"""Checkpoints that cannot hurt you: ``save`` and ``load`` in the safetensors format.

A checkpoint is a safetensors file: a JSON header and raw array bytes. There
is no pickle anywhere, so loading a file never executes code; it only parses
JSON and copies bytes into arrays.

Nested state (a model's ``state_dict``, an optimizer's, a scheduler's, the
epoch, random generator states, ...) is flattened: every array is stored as a
safetensors tensor named by its dotted path (``model.fc1.weight``,
``optimizer.state.0.exp_avg``), and the structure with every non-array value
(ints, floats, strings, bools, None, lists, tuples, dicts with non-string
keys) is a small JSON document kept in the file's metadata under the key
``"backchain"``. A flat dict of arrays, such as a ``state_dict``, is stored
under its own key names, so other safetensors readers load it as it is.

Writes are atomic: the bytes go to a temporary file in the same folder, which
is flushed and fsynced and then renamed over the target, so an interrupted
save leaves the previous checkpoint intact.

Loading trusts nothing in the file: every declared dtype, shape and byte range
is checked against the file's size before anything is allocated (the ranges
must tile the data section exactly), and a SHA-256 checksum over the structure
and the arrays (format version 2) catches damage anywhere in a file written by
``save``. Parsing the JSON headers may allocate about twice the file's size
(and 1 MiB), whatever they say: what they would make is bounded from their text
before parsing and counted during it. Any malformed file raises
:class:`CheckpointError`.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import struct
import sys
from typing import Any

import numpy as np

from ._core.tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

_META_KEY = "backchain"
# Version 2 adds the checksum under _SUM_KEY; version 1 files (no checksum) still load.
_FORMAT_VERSION = 2
_SUM_KEY = "backchain.sha256"
_CHUNK = 1 << 22
# Header size limit, as in the safetensors specification (100 MB).
_MAX_HEADER = 100_000_000


class CheckpointError(ValueError):
    """Raised by :func:`load` when a file is corrupt, truncated or not a checkpoint; the message says which part.

    Any malformed input raises this (a ``ValueError``), never another exception,
    so one ``except`` clause is enough to reject a bad file.

    Examples
    --------
    >>> import os, tempfile, backchain as bc
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.safetensors")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"abc")
    >>> try:
    ...     bc.load(path)
    ... except bc.io.CheckpointError as e:
    ...     print(e)  # doctest: +ELLIPSIS
    load: '...bad.safetensors' is 3 bytes long, too short to be a safetensors file (truncated or not a checkpoint)
    """


# -- encoding ------------------------------------------------------------------
def _encode(value, path, tensors):
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray):
        return _encode_array(value, path, tensors)
    if isinstance(value, np.generic):  # before float: np.float64 is a float
        ref = _encode_array(np.asarray(value), path, tensors)
        ref["scalar"] = True
        return ref
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if np.isfinite(value):
            return value
        return {"$float": repr(value)}  # 'nan', 'inf', '-inf': not valid JSON numbers
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v, _join(path, k), tensors) for k, v in value.items()}
        items = []
        for k, v in value.items():
            if not (k is None or isinstance(k, (bool, int, str)) or isinstance(k, float) and np.isfinite(k)):
                raise TypeError(f"save: cannot store a dict key of type {type(k).__name__} at '{path or '<root>'}'; "
                                "keys must be strings, ints, finite floats, bools or None")
            items.append([k.item() if isinstance(k, np.generic) else k, _encode(v, _join(path, str(k)), tensors)])
        return {"$dict": items}
    if isinstance(value, list):
        return [_encode(v, _join(path, str(k)), tensors) for k, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, _join(path, str(k)), tensors) for k, v in enumerate(value)]}
    raise TypeError(
        f"save: cannot store a {type(value).__module__}.{type(value).__qualname__} at '{path or '<root>'}'; a "
        "checkpoint holds arrays, Tensors, numbers, strings, bools, None, and lists, tuples and dicts of them "
        "(call .state_dict() on modules, optimizers and schedulers)")


def _join(path, key):
    return f"{path}.{key}" if path else key


def _encode_array(a, path, tensors):
    name = path or "tensor"
    base, k = name, 1
    while name in tensors:
        name, k = f"{base}#{k}", k + 1
    ref = {"$tensor": name}
    if a.dtype == np.complex128:
        # safetensors has no complex128: store the (real, imag) pairs as float64.
        a = a.reshape(-1).copy().view(np.float64).reshape(a.shape + (2,))
        ref["dtype"] = "complex128"
    elif a.dtype.type not in _DTYPES.values():
        raise TypeError(f"save: the array at '{path or '<root>'}' has dtype {a.dtype}, which a safetensors file "
                        "cannot hold; use a boolean, integer, float16/32/64 or complex dtype")
    # (not np.ascontiguousarray: it turns 0-d arrays into 1-d ones)
    tensors[name] = a if a.flags.c_contiguous else a.copy(order="C")
    return ref


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save arrays and nested state to a safetensors file, atomically.

    Parameters
    ----------
    obj : array, Tensor, or dict / list / tuple of them and of plain values
        What to save: a ``state_dict``, or a nested dict such as
        ``{"model": model.state_dict(), "optimizer": opt.state_dict(),
        "epoch": 3}``. Tensors are saved as their arrays.
    path : str or os.PathLike
        The file to write. It is replaced atomically: a crash during ``save``
        leaves the previous file as it was.

    Examples
    --------
    >>> import os, tempfile, numpy as np, backchain as bc
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> bc.save({"model": {"fc.weight": np.ones((2, 3), np.float32)}, "epoch": 4, "lr": [0.1, 0.01]}, path)
    >>> state = bc.load(path)
    >>> state["epoch"], state["lr"], state["model"]["fc.weight"].shape
    (4, [0.1, 0.01], (2, 3))
    """
    from safetensors.numpy import save as _safetensors_bytes

    tensors = {}
    tree = _encode(obj, "", tensors)
    header = json.dumps({"version": _FORMAT_VERSION, "tree": tree}, allow_nan=False, separators=(",", ":"))
    names = {np.dtype(v): k for k, v in _DTYPES.items()}
    digest = _digest(header, ((k, names[a.dtype], a.shape, a) for k, a in tensors.items()))
    data = _safetensors_bytes(tensors, metadata={_META_KEY: header, _SUM_KEY: digest})
    _atomic_write(path, data)


def _digest(header, arrays):
    """SHA-256 over the structure document and every array (name, dtype, shape, bytes, in name order)."""
    import hashlib

    h = hashlib.sha256(header.encode("utf-8"))
    for name, dtype_name, shape, a in sorted(arrays, key=lambda item: item[0]):
        h.update(json.dumps([name, dtype_name, list(shape)]).encode("utf-8") + b"\0")
        if a.size:
            h.update(np.ascontiguousarray(a).view(np.uint8).reshape(-1))
    return h.hexdigest()


def _write_chunks(f, data):
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])


def _create_temporary(folder, name):
    """A new file beside the target, created with mode 0o666 less the umask, as ``open(path, "wb")`` creates
    one (``tempfile.mkstemp`` would give 0o600 whatever the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"save: no free temporary file name beside '{name}' in {folder}")


def _atomic_write(path, data):
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = _create_temporary(folder, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            _write_chunks(f, data)
            f.flush()
            os.fsync(f.fileno())
        try:  # replacing a file keeps its mode, as writing into it would
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# -- decoding ------------------------------------------------------------------
class _Budget:
    """The bytes that reading a file's JSON headers may still allocate (``limit``: by default twice the
    file's size and 1 MiB, whatever the header declares). ``take`` raises CheckpointError once they are spent."""

    def __init__(self, size, where, limit):
        self.default = limit is None
        self.limit = self.left = 2 * size + (1 << 20) if limit is None else limit
        self.size, self.where = size, where

    def take(self, nbytes, value=None):
        self.left -= nbytes
        if self.left < 0:
            bound = f"twice the file's {self.size} bytes and 1 MiB" if self.default else "header_memory"
            raise CheckpointError(
                f"load: reading the header of {self.where} would allocate more than {self.limit} bytes ({bound}); "
                "a header this large for the data it describes is refused, as a crafted or corrupt file would be. "
                "A checkpoint of many tiny arrays that you trust loads with load(path, header_memory=math.inf)")
        return value


_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)


def _json(text, budget, what, node=None):
    """``json.loads(text)``, allocating at most what ``budget`` allows; ``node`` decodes each object.

    Before parsing, what the parser makes and no hook sees is bounded from counts over the text (the
    characters inside strings apart): the strings themselves (one byte a character, four if any may be
    wider than ASCII, twice with escapes), one key-value pair and memo entry per ``:``, one list slot
    per value, one list per ``[``. Numbers and objects are counted as they are made, so a document of a
    million ``{}`` stops at the budget.
    """
    strings = chars = 0
    inside = {c: 0 for c in ':,[{'}
    for m in _STRING.finditer(text):   # counts, without copies of the strings
        begin, end = m.span()
        strings += 1
        chars += end - begin - 2
        if text.find("\\", begin, end) >= 0:
            chars += end - begin - 2   # a string with escapes is assembled from pieces: twice its size
        for c in inside:
            inside[c] += text.count(c, begin, end)
    colons, commas, lists, objects = (text.count(c) - inside[c] for c in ':,[{')
    wide = not text.isascii() or "\\u" in text
    budget.take(strings * 49 + (4 if wide else 1) * chars + 124 * colons + 64 * lists
                + 9 * (commas + lists + objects + 1))
    decode = (lambda pairs: dict(pairs)) if node is None else (lambda pairs: node(dict(pairs)))

    def made_object(pairs):
        value = decode(pairs)
        budget.take(-64 * len(pairs))   # the pairs, counted above, are freed once their object is made
        return _made(budget, value)

    decoder = json.JSONDecoder(
        object_pairs_hook=made_object,
        parse_int=lambda t: _made(budget, int(t)),
        parse_float=lambda t: _made(budget, float(t)),
        parse_constant=lambda t: _made(budget, float(t)))
    try:
        return decoder.decode(text)
    except CheckpointError:
        raise
    except (ValueError, TypeError, AttributeError, RecursionError) as e:
        # invalid JSON, an int of too many digits, nesting too deep, a "$dict" or "$tuple" of the wrong form
        raise CheckpointError(f"load: {what} is not valid JSON or is corrupt ({type(e).__name__}: "
                              f"{str(e)[:200]}); the file is corrupt") from None


def _made(budget, value):
    """``value``, its memory taken from the budget (a dict or tuple: the object itself; its items are counted
    where they are made; an array read from the file: nothing)."""
    return value if isinstance(value, np.ndarray) else budget.take(sys.getsizeof(value), value)


def _read_exact(f, buf, where, what):
    """Fill the writable buffer ``buf`` from ``f``; a short read means the file shrank or was truncated."""
    view = memoryview(buf)
    got = 0
    while got < len(view):
        k = f.readinto(view[got:])
        if not k:
            raise CheckpointError(f"load: {where} ended after {got} of the {len(view)} bytes of {what} (truncated "
                                  "while being read?)")
        got += k


def _read_header(f, size, where, budget):
    """The header of the open file ``f`` (of ``size`` bytes), parsed; and the offset of the data section."""
    if size < 8:
        raise CheckpointError(f"load: {where} is {size} bytes long, too short to be a safetensors file "
                              "(truncated or not a checkpoint)")
    prefix = bytearray(8)
    _read_exact(f, prefix, where, "the header size")
    (n,) = struct.unpack("<Q", prefix)
    if n > _MAX_HEADER or 8 + n > size:
        raise CheckpointError(f"load: {where} declares a {n}-byte header but holds {size} bytes "
                              "(truncated or not a safetensors file)")
    raw = bytearray(n)
    _read_exact(f, raw, where, "the header")
    budget.take(80 + (len(raw) if raw.isascii() else 4 * len(raw)))  # the header as a str
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CheckpointError(f"load: the header of {where} is not valid JSON ({type(e).__name__}: "
                              f"{str(e)[:200]}); the file is corrupt") from None
    del raw
    header = _json(text, budget, f"the header of {where}")
    if not isinstance(header, dict):
        raise CheckpointError(f"load: the header of {where} is a JSON {type(header).__name__}, expected an object")
    return header, 8 + n


def _near(key, ours):
    """``key`` is ours or one with up to 3 characters damaged (then it is no foreign writer's key)."""
    return len(key) == len(ours) and sum(a != b for a, b in zip(key, ours)) <= 3


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _parse_tensors(header, f, size, where):
    """Check every declared tensor against the data section (``size`` bytes) before reading it into arrays.

    Each entry must have a known dtype, a shape of non-negative ints and offsets
    ``[begin, end]`` with ``end - begin`` equal to the shape's byte size; the
    ranges must tile the data section exactly (no overlap, no hole, nothing
    past the end), as the safetensors specification requires. Sizes are
    Python ints, so a huge declared shape cannot overflow: it fails the size
    check and nothing is allocated.
    """
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in info.items()):
                raise CheckpointError(f"load: {where} is not a valid safetensors file: __metadata__ must map "
                                      "strings to strings")
            continue
        if not isinstance(info, dict):
            raise CheckpointError(f"load: {where} is not a valid safetensors file: the entry of '{name}' is a "
                                  f"JSON {type(info).__name__}, expected an object")
        dtype_name, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(dtype_name, str) or dtype_name not in _DTYPES:
            raise CheckpointError(f"load: array '{name}' in {where} has dtype {dtype_name!r}, which NumPy "
                                  "cannot hold (or the file is not a valid safetensors file)")
        if not (isinstance(shape, list) and len(shape) <= 64 and all(_is_int(d) and d >= 0 for d in shape)):
            raise CheckpointError(f"load: {where} is not a valid safetensors file: array '{name}' has shape "
                                  f"{str(shape)[:100]}; expected a list of non-negative ints")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"load: {where} is not a valid safetensors file: array '{name}' has data "
                                  f"offsets {str(offsets)[:100]}; expected [begin, end] with 0 <= begin <= end")
        dtype = np.dtype(_DTYPES[dtype_name]).newbyteorder("<")
        count = 1
        for d in shape:
            count *= d
        if count * dtype.itemsize != offsets[1] - offsets[0]:
            raise CheckpointError(f"load: {where} is not a valid safetensors file: array '{name}' declares shape "
                                  f"{shape} of {dtype_name} ({count * dtype.itemsize} bytes) but offsets "
                                  f"{offsets} ({offsets[1] - offsets[0]} bytes)")
        if offsets[1] > size:
            raise CheckpointError(f"load: {where} is not a valid safetensors file (truncated?): array '{name}' "
                                  f"ends at byte {offsets[1]} of the data section, which holds {size} bytes")
        spans.append((offsets[0], offsets[1], name, dtype, shape, dtype_name))
    end = 0
    for begin, stop, name, *_ in sorted(spans):
        if begin != end:
            what = "overlaps the previous array" if begin < end else f"leaves a hole of {begin - end} bytes"
            raise CheckpointError(f"load: {where} is not a valid safetensors file: array '{name}' at bytes "
                                  f"[{begin}, {stop}) {what}")
        end = stop
    if end != size:
        raise CheckpointError(f"load: {where} is not a valid safetensors file: the arrays cover {end} bytes of "
                              f"a {size}-byte data section")
    tensors = {}
    kinds = {}
    for begin, stop, name, dtype, shape, dtype_name in sorted(spans):  # they tile the data section: in order
        a = np.empty(shape, dtype)
        if a.size:
            _read_exact(f, a.reshape(-1).view(np.uint8), where, f"array '{name}'")
        tensors[name] = a.astype(a.dtype.newbyteorder("="), copy=False)
        kinds[name] = dtype_name
    return tensors, kinds


def _node(node, tensors, where, done):
    """One JSON object of the structure document, decoded (its values already are: the parser calls this
    bottom-up): an array reference, a special float, a tuple, a dict with other keys than strings, or a dict."""
    if "$tensor" in node:
        name = node["$tensor"]
        if not isinstance(name, str) or name not in tensors:
            raise CheckpointError(f"load: {where} refers to an array {str(name)[:100]!r} that the file does not "
                                  "hold")
        complex128 = node.get("dtype") == "complex128"
        key = (name, complex128)
        a = done.get(key)
        if a is None:  # arrays were read into memory of their own: named twice, they are one array
            a = tensors[name]
            if complex128:
                if a.dtype != np.float64 or a.ndim == 0 or a.shape[-1] != 2:
                    raise CheckpointError(f"load: array '{name}' in {where} is marked complex128 but has dtype "
                                          f"{a.dtype} and shape {a.shape}; expected float64 (..., 2)")
                a = np.ascontiguousarray(a).view(np.complex128).reshape(a.shape[:-1])
            done[key] = a
        if node.get("scalar"):
            if a.ndim != 0:
                raise CheckpointError(f"load: array '{name}' in {where} is marked scalar but has shape {a.shape}")
            return a[()]
        return a
    if "$float" in node:
        value = node["$float"]
        if value not in ("nan", "inf", "-inf"):
            raise CheckpointError(f"load: {where} holds a special float {str(value)[:50]!r}; expected 'nan', "
                                  "'inf' or '-inf'")
        return float(value)
    if "$tuple" in node:
        return tuple(node["$tuple"])
    if "$dict" in node:
        return {k: v for k, v in node["$dict"]}
    return node


def load(path: str | os.PathLike[str], *, header_memory: float | None = None) -> Any:
    """Load what :func:`save` wrote (or the arrays of any safetensors file).

    Only JSON is parsed and bytes read: loading never executes code. Every
    declared dtype, shape and byte range is checked against the file's size
    before anything is allocated, and the arrays are read straight into their
    own memory. What the JSON headers would allocate is bounded from their text
    before they are parsed and counted while they are, so besides the arrays a
    corrupt or hostile file cannot make ``load`` allocate more than about twice
    the file's size (and 1 MiB), whatever its header says. Arrays come back as
    writable ndarrays (Tensors that were saved come back as arrays); ints,
    floats, strings, bools, None, lists, tuples and dicts come back as they were
    saved. A safetensors file written by another program loads as a flat dict of
    its arrays.

    Parameters
    ----------
    path : str or os.PathLike
    header_memory : int or float, optional
        The bytes that reading the headers may allocate. By default twice the
        file's size and 1 MiB: enough for any file whose arrays average more
        than about 1 KB, or that holds fewer than about 500 arrays. Parsing
        JSON takes about 1 to 2 KB an array, so a checkpoint of thousands of
        tiny arrays needs more: pass ``math.inf`` for a file you trust.

    Raises
    ------
    CheckpointError
        If the file is truncated, corrupt or not a safetensors file (any
        malformed input raises this, never another exception).
    FileNotFoundError
        If there is no such file.

    Examples
    --------
    >>> import os, tempfile, numpy as np, backchain as bc
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> bc.save({"w": np.arange(3.0), "step": (1, None)}, path)
    >>> bc.load(path)
    {'w': array([0., 1., 2.]), 'step': (1, None)}
    """
    where = f"'{os.fspath(path)}'"
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        budget = _Budget(size, where, header_memory)
        header, start = _read_header(f, size, where, budget)
        tensors, kinds = _parse_tensors(header, f, size - start, where)
    meta = header.get("__metadata__") or {}
    if _META_KEY not in meta:
        damaged = [k for k in meta if _near(k, _META_KEY) or _near(k, _SUM_KEY)]
        if damaged:
            raise CheckpointError(f"load: {where} has a damaged backchain header (metadata key {damaged[0]!r}, "
                                  f"expected {_META_KEY!r} and {_SUM_KEY!r}); the file is corrupt")
        return tensors
    if _SUM_KEY in meta:  # version 2: damage anywhere is caught before the structure is read
        _check_sum(meta, tensors, kinds, where)
    done = {}
    try:  # the structure is decoded as it is parsed
        doc = _json(meta[_META_KEY], budget, f"the backchain header of {where}",
                    node=lambda node: _node(node, tensors, where, done))
        tree = doc["tree"]
        version = doc.get("version")
    except (TypeError, KeyError, AttributeError) as e:
        raise CheckpointError(f"load: the backchain header of {where} is corrupt ({type(e).__name__}: "
                              f"{str(e)[:200]})") from None
    if version not in (1, 2) or isinstance(version, bool):
        raise CheckpointError(f"load: {where} has checkpoint format version {str(version)[:50]}; this backchain "
                              f"reads versions 1 and {_FORMAT_VERSION}")
    if version == 2 and _SUM_KEY not in meta:
        _check_sum(meta, tensors, kinds, where)
    return tree


def _check_sum(meta, tensors, kinds, where):
    expected = meta.get(_SUM_KEY)
    actual = _digest(meta[_META_KEY], ((k, kinds[k], a.shape, a) for k, a in tensors.items()))
    if expected != actual:
        raise CheckpointError(f"load: {where} fails its checksum (stored {str(expected)[:64]}, computed "
                              f"{actual}); the file was damaged after it was written")


_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "U64": np.uint64,
           "I32": np.int32, "U32": np.uint32, "I16": np.int16, "U16": np.uint16, "I8": np.int8, "U8": np.uint8,
           "BOOL": np.bool_, "C64": np.complex64}
