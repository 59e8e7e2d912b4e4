"""NumPy functions whose results carry no derivative (integers, booleans,
predicates, shapes, strings). They accept Tensors and return plain arrays; where a
float result would depend differentiably on a Tensor that requires grad (histogram's
bin edges, bincount's weights) they raise instead (``DIFFERENTIABLE_WHEN``)."""
import numpy as np

from .. import _ld
from .._core import primitive as _pm
from .._core.tensor import Tensor, is_grad_enabled

NAMES = [
    # comparisons and predicates
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "isfinite", "isinf", "isnan", "isclose", "allclose", "array_equal", "signbit", "iscomplexobj", "isrealobj",
    "all", "any", "argmax", "argmin", "argsort", "argwhere", "nonzero", "flatnonzero", "count_nonzero",
    "searchsorted", "digitize", "bincount", "histogram", "histogram2d", "histogramdd",
    "shape", "ndim", "size", "result_type", "can_cast", "iscomplex", "isreal",
    "floor_divide", "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
    "nanargmax", "nanargmin", "unravel_index", "ravel_multi_index", "argpartition", "lexsort",
    "isin", "isneginf", "isposinf", "histogram_bin_edges", "ix_",
    # index and window constructors (integers in, constants out)
    "tril_indices", "triu_indices", "tril_indices_from", "triu_indices_from", "diag_indices",
    "diag_indices_from", "hamming", "hanning", "blackman", "bartlett", "kaiser", "mask_indices",
    # integers, booleans and strings
    "array_equiv", "array2string", "array_repr", "array_str", "format_float_positional", "format_float_scientific",
    "bitwise_count", "bitwise_invert", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm",
    "packbits", "unpackbits", "common_type", "min_scalar_type", "einsum_path", "isfortran", "may_share_memory",
    "shares_memory", "isnat", "is_busday", "busday_count", "busday_offset", "datetime_as_string",
    # floats that are piecewise constant in their arguments: derivative 0
    "spacing",
    # no derivative here: a Tensor that requires grad raises (DIFFERENTIABLE_WHEN)
    "asmatrix", "bmat",
    # writes into their first argument: a Tensor there raises (INPLACE)
    "copyto", "place", "put", "putmask", "put_along_axis", "fill_diagonal",
]
# Tensors are not changed in place (as ``t[i] = v`` is refused): a rule may have saved the old values.
INPLACE = {"copyto", "place", "put", "putmask", "put_along_axis", "fill_diagonal"}


def _unwrap(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _traced(x):
    """Whether ``x`` is a Tensor that requires grad, or a list or tuple holding one."""
    stack = [x]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor) and v.requires_grad and is_grad_enabled():
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def _arg(args, kwargs, i, name, default=None):
    return kwargs.get(name, args[i] if len(args) > i else default)


def _edges_follow(args, kwargs):
    """Whether histogram's bin edges follow a traced input (its min and max): no range= and no
    explicit edges."""
    bins = _arg(args, kwargs, 1, "bins", 10)
    return _traced(args[0] if args else kwargs.get("a")) and _arg(args, kwargs, 2, "range") is None \
        and (np.ndim(bins) == 0 or isinstance(bins, str))


def _edges_given(bins, one_array_is_edges):
    """Whether ``bins`` gives every axis's edges as arrays (numbers of bins become edges from the
    data's range). histogram2d takes one array of more than two numbers as both axes' edges;
    histogramdd takes numbers as numbers of bins."""
    if isinstance(bins, str) or not isinstance(bins, (list, tuple, np.ndarray)) or np.ndim(bins[0]) > 1:
        return False
    parts = list(bins)
    if all(np.ndim(b) == 0 for b in parts):
        return one_array_is_edges and len(parts) not in (1, 2)
    return all(np.ndim(b) == 1 for b in parts)


# The float results that can depend differentiably on an argument (bin edges on the data, weighted
# counts on the weights): a traced Tensor there raises instead of losing its gradient silently.
DIFFERENTIABLE_WHEN = {
    "histogram": lambda args, kw: _edges_follow(args, kw) or _traced(_arg(args, kw, 4, "weights")),
    "histogram_bin_edges": _edges_follow,
    "bincount": lambda args, kw: _traced(_arg(args, kw, 1, "weights")),
    "histogram2d": lambda args, kw: (_traced(args[:2]) and _arg(args, kw, 3, "range") is None
                                     and not _edges_given(_arg(args, kw, 2, "bins", 10), True))
    or _traced(_arg(args, kw, 5, "weights")),
    "histogramdd": lambda args, kw: (_traced(args[:1]) and _arg(args, kw, 2, "range") is None
                                     and not _edges_given(_arg(args, kw, 1, "bins", 10), False))
    or _traced(_arg(args, kw, 4, "weights")),
    "asmatrix": lambda args, kw: _traced(args) or _traced(list(kw.values())),
    "bmat": lambda args, kw: _traced(args) or _traced(list(kw.values())),
    **{name: (lambda args, kw: _traced(args) or _traced(list(kw.values()))) for name in INPLACE},
}


def _make(name):
    fn, differentiable = getattr(np, name), DIFFERENTIABLE_WHEN.get(name)

    if name in ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal"):
        def compare(*args, **kwargs):
            out = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
            if _pm._trace_hook is not None:  # bc.jit traces: the comparison is a call of the program
                return _pm._trace_hook.plain(fn, args, kwargs, out)
            if _ld.RECORDING:  # an LD-derivative is being recorded: where decides its ties (backchain/_ld.py)
                return _ld.compared(name, args, out)
            return out

        compare.__name__ = compare.__qualname__ = name
        compare.__doc__ = f"``numpy.{name}`` on the data of its arguments; the result carries no gradient."
        return compare

    def nondiff(*args, **kwargs):
        if name in INPLACE and args and isinstance(args[0], Tensor):
            raise TypeError(f"{name}: writes into its first argument in place, which is a Tensor "
                            f"({args[0].dtype}{list(args[0].shape)}): Tensors are not changed in place (a recorded "
                            "operation may have kept their values). Build a new Tensor with backchain.numpy "
                            "(bnp.where(mask, value, t), ...), or write into t.detach().numpy() when no gradient "
                            "is needed")
        if differentiable is not None and differentiable(args, kwargs):
            raise TypeError(f"{name}: its float result depends on a Tensor that requires grad, and numpy.{name} "
                            "has no derivative rule in backchain; detach() the Tensor to use it as a constant"
                            + (" (or give range= to fix the bin edges)" if name.startswith("hist") else ""))
        out = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
        if _pm._trace_hook is not None:  # bc.jit traces: the call is part of the program
            return _pm._trace_hook.plain(fn, args, kwargs, out)
        return out

    nondiff.__name__ = name
    nondiff.__qualname__ = name
    nondiff.__doc__ = f"``numpy.{name}`` on the data of its arguments; the result carries no gradient."
    return nondiff


FUNCTIONS = {name: _make(name) for name in NAMES if hasattr(np, name)}

# NumPy's own objects, re-exported unchanged: types, constants, modules, configuration, files. Given a
# Tensor that requires grad, those that take arrays raise a TypeError naming themselves
# (Tensor.__array_function__); given a Tensor that does not, they work on its data.
NUMPY_OWN = [
    # types, scalars and constants
    "False_", "True_", "ScalarType", "sctypeDict", "typecodes", "little_endian", "bool", "byte", "bytes_",
    "cdouble", "character", "clongdouble", "complex256", "csingle", "datetime64", "double", "flexible",
    "float128", "half", "inexact", "int_", "intc", "long", "longdouble", "longlong", "object_", "short",
    "signedinteger", "single", "str_", "timedelta64", "ubyte", "uint", "uintc", "uintp", "ulong", "ulonglong",
    "unsignedinteger", "ushort", "void", "record", "recarray", "matrix", "memmap", "poly1d", "ufunc",
    "busdaycalendar", "broadcast", "flatiter", "ndenumerate", "ndindex", "nditer", "nested_iters",
    "errstate", "index_exp", "s_", "mgrid", "ogrid",
    # dtypes and shapes
    "isdtype", "issubdtype", "promote_types", "mintypecode", "typename", "broadcast_shapes", "isscalar",
    "iterable", "datetime_data", "base_repr", "binary_repr",
    # configuration, information and files
    "seterr", "geterr", "seterrcall", "geterrcall", "setbufsize", "getbufsize", "set_printoptions",
    "get_printoptions", "printoptions", "show_config", "show_runtime", "get_include", "info",
    "load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt", "fromfile", "fromregex",
    "frombuffer", "fromstring", "fromiter", "fromfunction", "frompyfunc", "from_dlpack",
    # submodules
    "char", "core", "ctypeslib", "dtypes", "exceptions", "f2py", "lib", "ma", "polynomial", "rec",
    "strings", "testing", "typing",
]
# NumPy imports these submodules on first access (testing, f2py, ma...: a tenth of a second in all), so
# backchain.numpy hands them out from its module __getattr__ rather than at import.
LAZY = {"char", "core", "ctypeslib", "dtypes", "exceptions", "f2py", "lib", "ma", "polynomial", "rec",
        "strings", "testing", "typing"}
OWN = {name: getattr(np, name) for name in NUMPY_OWN if name not in LAZY}
