"""``backchain.numpy.emath``: NumPy's ``emath`` (``numpy.lib.scimath``), differentiable: a real
input outside the real domain (``sqrt(-4)``, ``arccos(2)``) gives the complex result, as NumPy's;
the derivative is that of the complex function (HIPS autograd's and JAX's complex convention).
Without Tensors each function is NumPy's.
"""
import numpy as _np

from .._core.tensor import Tensor as _Tensor
from ._arraylike import stacked as _stacked

__all__ = ["sqrt", "log", "log2", "log10", "logn", "power", "arccos", "arcsin", "arctanh"]


def _complex_where(x, outside):
    """``x`` made complex (NumPy's ``_tocomplex``: complex64 for float32 and smaller) when some real
    element is ``outside`` the real domain."""
    from .. import numpy as bnp

    d = _np.asarray(getattr(x, "_data", x))
    if d.dtype.kind == "c" or not _np.any(outside(d)):
        return x
    kind = _np.complex64 if d.dtype in (_np.float32, _np.int8, _np.int16, _np.uint8, _np.uint16) else _np.complex128
    return bnp.astype(x, kind)


def _negative(d):
    return d < 0


def _beyond_one(d):
    return _np.abs(d) > 1


def _make(name, outside, example, output):
    def fn(x):
        x = _stacked(x)
        if not isinstance(x, _Tensor):
            return getattr(_np.emath, name)(x)
        from .. import numpy as bnp

        return getattr(bnp, name)(_complex_where(x, outside))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``numpy.emath.{name}``: complex where a real input is outside the real domain, "
                  "differentiable.\n\n"
                  ">>> import backchain as bc, backchain.numpy as bnp\n"
                  f">>> {example}\n{output}\n")
    return fn


sqrt = _make("sqrt", _negative, "bnp.emath.sqrt(bc.tensor([-4.0, 4.0]))",
             "tensor([0.+2.j, 2.+0.j], dtype=complex128)")
log = _make("log", _negative, "bnp.emath.log(bc.tensor([-1.0, 1.0]))",
            "tensor([0.+3.14159265j, 0.+0.j        ], dtype=complex128)")
log2 = _make("log2", _negative, "bnp.emath.log2(bc.tensor([-8.0, 8.0]))",
             "tensor([3.+4.53236014j, 3.+0.j        ], dtype=complex128)")
log10 = _make("log10", _negative, "bnp.emath.log10(bc.tensor([-10.0, 10.0]))",
              "tensor([1.+1.36437635j, 1.+0.j        ], dtype=complex128)")
arccos = _make("arccos", _beyond_one, "bnp.emath.arccos(bc.tensor([2.0, 0.5]))",
               "tensor([0.        -1.3169579j, 1.04719755-0.j       ], dtype=complex128)")
arcsin = _make("arcsin", _beyond_one, "bnp.emath.arcsin(bc.tensor([2.0, 0.5]))",
               "tensor([1.57079633+1.3169579j, 0.52359878+0.j       ], dtype=complex128)")
arctanh = _make("arctanh", _beyond_one, "bnp.emath.arctanh(bc.tensor([2.0, 0.5]))",
                "tensor([0.54930614+1.57079633j, 0.54930614+0.j        ], dtype=complex128)")


def logn(n, x):
    """``numpy.emath.logn``: the base-``n`` logarithm, complex where ``n`` or ``x`` is negative,
    differentiable in both.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.emath.logn(2, bc.tensor([-8.0, 8.0]))
    tensor([3.+4.53236014j, 3.+0.j        ], dtype=complex128)
    """
    n, x = _stacked(n), _stacked(x)
    if not (isinstance(n, _Tensor) or isinstance(x, _Tensor)):
        return _np.emath.logn(n, x)
    from .. import numpy as bnp

    return bnp.log(_complex_where(x, _negative)) / bnp.log(_complex_where(n, _negative))


def power(x, p):
    """``numpy.emath.power``: ``x ** p``, complex where ``x`` is negative (a negative integer ``p``
    is made float), differentiable in ``x`` and ``p``.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bnp.emath.power(bc.tensor([-4.0, 4.0]), 0.5)
    tensor([1.2246468e-16+2.j, 2.0000000e+00+0.j], dtype=complex128)
    """
    x, p = _stacked(x), _stacked(p)
    if not (isinstance(x, _Tensor) or isinstance(p, _Tensor)):
        return _np.emath.power(x, p)
    from .. import numpy as bnp

    pd = _np.asarray(getattr(p, "_data", p))
    if pd.dtype.kind in "iu" and _np.any(pd < 0):
        p = p * 1.0
    return bnp.power(_complex_where(x, _negative), p)
