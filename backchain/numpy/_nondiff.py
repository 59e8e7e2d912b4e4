"""NumPy functions whose results carry no derivative (integers, booleans,
predicates, shapes). They accept Tensors and return plain arrays."""
import numpy as np

from .._core.tensor import Tensor

NAMES = [
    # comparisons and predicates
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "isfinite", "isinf", "isnan", "isclose", "allclose", "array_equal", "signbit", "iscomplexobj", "isrealobj",
    "all", "any", "argmax", "argmin", "argsort", "argwhere", "nonzero", "flatnonzero", "count_nonzero",
    "searchsorted", "digitize", "unique", "bincount", "histogram",
    "shape", "ndim", "size", "result_type", "can_cast", "iscomplex", "isreal",
    "floor_divide", "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
    "nanargmax", "nanargmin", "unravel_index", "ravel_multi_index", "argpartition", "lexsort",
    "isin", "isneginf", "isposinf", "histogram_bin_edges", "ix_",
    # index and window constructors (integers in, constants out)
    "tril_indices", "triu_indices", "tril_indices_from", "triu_indices_from", "diag_indices",
    "diag_indices_from", "hamming", "hanning", "blackman", "bartlett", "kaiser",
]


def _unwrap(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _make(name):
    fn = getattr(np, name)

    def nondiff(*args, **kwargs):
        return fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})

    nondiff.__name__ = name
    nondiff.__qualname__ = name
    nondiff.__doc__ = f"``numpy.{name}`` on the data of its arguments; the result carries no gradient."
    return nondiff


FUNCTIONS = {name: _make(name) for name in NAMES if hasattr(np, name)}
