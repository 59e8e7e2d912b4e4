"""The few primitives the engine itself relies on: undoing broadcasting,
broadcasting tangents, and fitting a cotangent to its input's dtype."""
import numpy as np

from .primitive import primitive
from .tensor import Tensor
from .._vmap import rules as R


def _sum_to_impl(x, shape):
    xshape = np.shape(x)
    if xshape == shape:
        return x
    lead = len(xshape) - len(shape)
    if xshape[lead:] == shape:  # only leading axes were added (a bias): no reshape needed after
        axes = tuple(range(lead))
    else:
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and xshape[lead + i] != 1
        )
    if type(x) is np.ndarray:
        out = np.add.reduce(x, axis=axes)  # what np.sum calls, without its Python layer
    else:
        out = np.sum(x, axis=axes)
    return out if np.shape(out) == shape else np.reshape(out, shape)


sum_to = primitive(
    "sum_to", _sum_to_impl,
    vjp=(lambda g, ans, x, shape: broadcast_to(g, np.shape(x)),),
    linear=True,
    doc="Sum an array down to `shape` (the transpose of broadcasting).",
    batch=R.sum_to_rule,
)

broadcast_to = primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
    vjp=(lambda g, ans, x, shape: sum_to(g, np.shape(x)),),
    linear=True,
    batch=R.broadcast_to_rule,
)


def _cast_vjp(g, ans, x, dtype):
    xdtype = x.dtype
    if xdtype.kind != "c" and g.dtype.kind == "c":
        g = real(g)
    return cast(g, xdtype)


cast = primitive(
    "astype", lambda x, dtype: np.asarray(x).astype(dtype),
    vjp=(_cast_vjp,),
    linear=True,
    batch=R.ELEMENTWISE,
)


def _real_vjp(g, ans, x):
    if np.iscomplexobj(x._data if isinstance(x, Tensor) else x):
        return cast(g, np.result_type(x.dtype, np.complex64))
    return g


real = primitive("real", np.real, vjp=(_real_vjp,), linear=True, batch=R.ELEMENTWISE)


def fit_cotangent(c, x):
    """Shape and dtype a cotangent ``c`` like the primal input ``x`` (a Tensor).

    Broadcasting is undone here and only here; a real input drops the
    imaginary part of a complex cotangent (autograd's convention).
    """
    xd = x._data
    try:
        if c.shape == xd.shape and c.dtype == xd.dtype:
            return c
    except AttributeError:
        pass
    xshape = np.shape(xd)
    if np.shape(c) != xshape:
        c = sum_to(c, xshape)
    xdtype = getattr(xd, "dtype", None)
    cdtype = getattr(c, "dtype", None)
    if xdtype is not None and cdtype is not None and cdtype != xdtype:
        if cdtype.kind == "c" and xdtype.kind != "c":
            c = real(c)
        if c.dtype != xdtype:
            c = cast(c, xdtype)
    return c
