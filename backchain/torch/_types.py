"""PyTorch's small value types over NumPy's: ``dtype`` objects (``torch.float32``), ``Size`` and ``device``.

A ``dtype`` wraps a ``numpy.dtype`` and has a ``dtype`` attribute, so NumPy accepts it wherever it
takes a dtype (``np.zeros(3, dtype=torch.float32)``, ``a.astype(torch.long)``); its other attributes
(``kind``, ``itemsize``) are NumPy's, so code written for NumPy dtypes keeps working on a torch
Tensor's ``dtype``.
"""
import numpy as np

__all__ = ["dtype", "Size", "device", "as_np_dtype", "to_torch_dtype", "DTYPES", "bfloat16"]


class dtype:
    """A PyTorch dtype name for a NumPy dtype (``torch.float32`` is ``float32``); it compares equal to the
    NumPy dtype and NumPy takes it wherever it takes a dtype.

    >>> import numpy as np, backchain.torch as torch
    >>> torch.float, torch.float == np.float32, np.zeros(2, dtype=torch.long).dtype
    (torch.float32, True, dtype('int64'))
    """

    __slots__ = ("dtype", "name")

    def __init__(self, np_dtype, name):
        self.dtype = np.dtype(np_dtype)
        self.name = name

    is_floating_point = property(lambda self: self.dtype.kind == "f")
    is_complex = property(lambda self: self.dtype.kind == "c")
    is_signed = property(lambda self: self.dtype.kind in "fic")
    itemsize = property(lambda self: self.dtype.itemsize)

    def __getattr__(self, name):  # kind, char, type, ...: NumPy's
        return getattr(object.__getattribute__(self, "dtype"), name)

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self.dtype == other.dtype
        try:
            return other is not None and not isinstance(other, str) and self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (to_torch_dtype, (self.dtype,))


float32 = dtype(np.float32, "float32")
float64 = dtype(np.float64, "float64")
float16 = dtype(np.float16, "float16")
complex64 = dtype(np.complex64, "complex64")
complex128 = dtype(np.complex128, "complex128")
int8 = dtype(np.int8, "int8")
int16 = dtype(np.int16, "int16")
int32 = dtype(np.int32, "int32")
int64 = dtype(np.int64, "int64")
uint8 = dtype(np.uint8, "uint8")
bool_ = dtype(np.bool_, "bool")

class _Unsupported(dtype):
    """A PyTorch dtype with no NumPy counterpart: the name exists (programs build dtype tables and
    pick ``torch.bfloat16`` only on a GPU), and making or casting a tensor to it raises."""

    def __init__(self, name, itemsize):
        object.__setattr__(self, "name", name)
        self._itemsize = itemsize

    @property
    def dtype(self):
        raise TypeError(f"torch.{self.name}: backchain computes with NumPy, which has no {self.name} arithmetic; "
                        "use torch.float32 (or torch.float16)")

    is_floating_point = property(lambda self: True)
    is_complex = property(lambda self: False)
    is_signed = property(lambda self: True)
    itemsize = property(lambda self: self._itemsize)

    def __getattr__(self, name):  # NumPy's dtype attributes (kind, char, ...) raise the error above
        if name.startswith("_") or not hasattr(np.dtype(np.float32), name):
            raise AttributeError(f"'torch.dtype' object has no attribute '{name}'")
        return self.dtype

    def __eq__(self, other):
        return other is self

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return (getattr, ("backchain.torch", self.name))


bfloat16 = _Unsupported("bfloat16", 2)

# torch's names, aliases included (torch.float is torch.float32)
DTYPES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64, "float16": float16,
    "half": float16, "complex64": complex64, "cfloat": complex64, "complex128": complex128,
    "cdouble": complex128, "int8": int8, "int16": int16, "short": int16, "int32": int32, "int": int32,
    "int64": int64, "long": int64, "uint8": uint8, "bool": bool_,
}
_BY_NUMPY = {d.dtype: d for d in DTYPES.values()}
# Python's types as torch reads them: float is the default dtype (resolved at the call), int int64
_PYTHON = {int: np.dtype(np.int64), bool: np.dtype(np.bool_), complex: np.dtype(np.complex128)}


def as_np_dtype(d, default_float=None):
    """The NumPy dtype of a torch dtype, NumPy dtype, Python type or name; None stays None."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.dtype
    if d is float:
        return default_float if default_float is not None else np.dtype(np.float32)
    if d in _PYTHON:
        return _PYTHON[d]
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(f"torch: {d!r} is not a dtype; expected a torch dtype such as torch.float32") from None


def to_torch_dtype(d):
    """The torch dtype object of a NumPy dtype."""
    d = np.dtype(d)
    out = _BY_NUMPY.get(d)
    return out if out is not None else dtype(d, d.name)


class Size(tuple):
    """A tensor's shape: a tuple, printed as ``torch.Size([2, 3])``.

    >>> import backchain.torch as torch
    >>> s = torch.zeros(2, 3).size()
    >>> s, s[1], s.numel(), s == (2, 3)
    (torch.Size([2, 3]), 3, 6, True)
    """

    __slots__ = ()

    def numel(self):
        """The number of elements of a tensor of this shape."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, other))


def _no_accelerator(what):
    return RuntimeError(
        f"{what}: backchain runs on the CPU with NumPy; there is no CUDA or MPS device. "
        "Use 'cpu' (torch.cuda.is_available() is False)")


class device:
    """A device: backchain has one, ``device('cpu')``; any other type raises a clear error.

    >>> import backchain.torch as torch
    >>> torch.device("cpu"), torch.zeros(1).device == torch.device("cpu")
    (device(type='cpu'), True)
    >>> torch.device("cuda")
    Traceback (most recent call last):
    RuntimeError: torch.device('cuda'): backchain runs on the CPU with NumPy; there is no CUDA or MPS device. ...
    """

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, idx = str(type).partition(":")
        if name != "cpu":
            raise _no_accelerator(f"torch.device({type!r})")
        self.type = "cpu"
        self.index = int(idx) if idx else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other) if other.split(":")[0] == "cpu" else None
        return isinstance(other, device) and other.type == self.type

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def check_device(d, what):
    """Accept None, 'cpu', 'cpu:0' and ``device('cpu')``; raise the accelerator error otherwise."""
    if d is None or isinstance(d, device):
        return
    if isinstance(d, int) or str(d).split(":")[0] != "cpu":
        raise _no_accelerator(f"{what}(device={d!r})")
