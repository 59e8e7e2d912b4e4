"""``backchain.autograd.numpy``: autograd's wrapped NumPy, which is ``backchain.numpy``.

Every name of ``backchain.numpy`` is here, plus autograd's ``make_diagonal``,
its ``where`` (Python values in, Python values out) and its integer types
(``int64(x)`` of a traced ``x`` converts its array, as autograd's do).
A NumPy name that ``backchain.numpy`` lacks is NumPy's own (dtypes, helpers
such as ``isscalar``); applied to a traced value, such a function raises a
TypeError that names it, never a silently wrong derivative.

>>> import backchain.autograd as ag, backchain.autograd.numpy as np
>>> ag.grad(lambda x: np.sum(np.sin(x) ** 2))(np.array([0.5, 1.0]))
array([0.84147098, 0.90929743])
"""
import numpy as _np

from backchain._core.tensor import Tensor as _Tensor
from backchain.numpy import *  # noqa: F401,F403
import backchain.numpy as _bnp

del fft, linalg, random  # backchain.numpy's, from the star import: ours replace them
from . import fft, linalg, random  # noqa: E402,F401


def make_diagonal(D, offset=0, axis1=0, axis2=1):
    """Arrays with ``D``'s last axis on the diagonal of two new last axes (autograd's complement of ``diagonal``).

    As in autograd, only ``offset=0, axis1=-1, axis2=-2`` is supported.

    >>> import backchain.autograd.numpy as np
    >>> np.make_diagonal(np.array([1.0, 2.0]), axis1=-1, axis2=-2)
    array([[1., 0.],
           [0., 2.]])
    """
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError("make_diagonal: only offset=0, axis1=-1, axis2=-2 are supported (as in autograd), "
                                  f"got offset={offset}, axis1={axis1}, axis2={axis2}")
    return D[..., None] * _bnp.eye(_np.shape(getattr(D, "_data", D))[-1])


def _has_array(value):
    """Whether ``value`` is an array, a NumPy scalar or a Tensor, or a list or tuple holding one (at any depth)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (_Tensor, _np.ndarray, _np.generic)):
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def where(condition, *args, **kwargs):
    """``backchain.numpy.where``, except that Python values give Python values (autograd's ``where``).

    With arrays or traced values among the arguments it is NumPy's ``where``
    (differentiable in ``x`` and ``y``); with Python numbers and lists only it
    returns a Python number or list (NumPy: a NumPy array or scalar).
    ``x`` and ``y`` may be given by keyword.

    >>> import backchain.autograd.numpy as np
    >>> np.where(True, 1, 2), np.where([True, False], [1, 2], [3, 4]), np.where([True, False])
    (1, [1, 4], (array([0]),))
    """
    if not args and not kwargs:
        return _bnp.where(condition)
    if len(args) + len(kwargs) != 2:
        raise ValueError("where: either both or neither of x and y should be given")
    x = args[0] if len(args) > 0 else kwargs.get("x")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    out = _bnp.where(condition, x, y)
    if _has_array(condition) or _has_array(x) or _has_array(y):
        return out
    return out.tolist() if isinstance(out, _np.ndarray) else out


class _SameAsNumPys(type):
    """The metaclass of the integer types below: NumPy's own values and subtypes count as theirs."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__base__)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.__base__)


def _int_type(cls):
    """``cls`` (an integer scalar type) whose constructor reads a traced value's array (autograd's int types).

    An integer has no derivative, so ``np.int64(x)`` of a traced ``x`` is a
    constant, as in autograd. As there, the type is a subclass of NumPy's, so it
    converts like NumPy's (``a.astype(np.int64)``, ``dtype == np.int64``); unlike
    autograd's, NumPy's values are its instances (``isinstance(onp.int64(1),
    np.int64)``, ``np.issubdtype(a.dtype, np.int64)``).
    """
    def __new__(sub, *args, **kwargs):
        return cls.__new__(sub, *[a._data if isinstance(a, _Tensor) else a for a in args], **kwargs)

    doc = (f"NumPy's ``{cls.__name__}``; called on a traced value, it converts the value's array (autograd's "
           f"integer type).\n\n>>> import backchain.autograd as ag, backchain.autograd.numpy as np\n"
           f">>> ag.grad(lambda x: np.sum(x[np.{cls.__name__}(x * 0.9)]))(np.array([0.0, 1.0, 2.0])).tolist()\n"
           f"[2.0, 1.0, 0.0]\n")
    return _SameAsNumPys(cls.__name__, (cls,), {"__new__": __new__, "__module__": __name__, "__doc__": doc})


_INT_TYPES = {cls: _int_type(cls) for cls in (_np.int8, _np.int16, _np.int32, _np.int64)}
globals().update({name: _INT_TYPES[obj] for name, obj in vars(_np).items()
                  if not name.startswith("_") and isinstance(obj, type) and obj in _INT_TYPES})

__all__ = sorted(n for n in dir() if not n.startswith("_"))


def __getattr__(name):
    # NumPy's own objects for what backchain.numpy lacks; on a traced value NumPy's dispatch raises.
    try:
        return getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'backchain.autograd.numpy' has no attribute {name!r}") from None
