"""``backchain.numpy.linalg``: NumPy's linear algebra, differentiable."""
import numpy as _np

from .._rules.linalg import LINALG_EXPORTS as _EX, inv as _inv, solve as _solve, vecdot as _vecdot
from .._core.tensor import Tensor as _Tensor
from ._arraylike import stacked as _stacked

globals().update(_EX)


def test(*args, **kwargs):
    """``numpy.linalg.test``: runs NumPy's own tests of ``numpy.linalg`` (arguments as NumPy's).

    >>> import backchain.numpy as bnp
    >>> callable(bnp.linalg.test)
    True
    """
    return _np.linalg.test(*args, **kwargs)


def vecdot(x1, x2, /, *, axis=-1):
    """``numpy.linalg.vecdot``: the same as :func:`backchain.numpy.vecdot`.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.linalg.vecdot(x, bnp.array([1.0, 2.0])))(bnp.array([3.0, 4.0]))
    array([1., 2.])
    """
    return _vecdot(x1, x2, axis=axis)


def tensorsolve(a, b, axes=None):
    """``numpy.linalg.tensorsolve``: ``x`` with ``tensordot(a, x, x.ndim) == b``, differentiable in ``a``
    and ``b`` (a reshaped :func:`solve`).

    >>> import backchain.numpy as bnp
    >>> bnp.linalg.tensorsolve(bnp.eye(4).reshape(2, 2, 2, 2) * 2.0, bnp.ones((2, 2)))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    a, b = _stacked(a), _stacked(b)
    if not (isinstance(a, _Tensor) or isinstance(b, _Tensor)):
        return _np.linalg.tensorsolve(a, b, axes)
    from .. import numpy as bnp

    an, bshape = _np.ndim(getattr(a, "_data", a)), _np.shape(getattr(b, "_data", b))
    if axes is not None:
        order = [k for k in range(an) if k not in [ax % an for ax in axes]] + [ax % an for ax in axes]
        a = bnp.transpose(a, order)
    ashape = _np.shape(getattr(a, "_data", a))
    oldshape = ashape[-(an - len(bshape)):]
    n = int(_np.prod(oldshape))
    if int(_np.prod(ashape)) != n * n:
        raise _np.linalg.LinAlgError(f"tensorsolve: input arrays must satisfy prod(a.shape[b.ndim:]) == "
                                     f"prod(a.shape[:b.ndim]) (shapes {ashape} and {bshape})")
    return bnp.reshape(_solve(bnp.reshape(a, (n, n)), bnp.ravel(b)), oldshape)


def tensorinv(a, ind=2):
    """``numpy.linalg.tensorinv``: the inverse of ``a`` for :func:`tensordot` over ``ind`` axes,
    differentiable (a reshaped :func:`inv`).

    >>> import backchain.numpy as bnp
    >>> bnp.linalg.tensorinv(bnp.eye(4).reshape(4, 2, 2) * 2.0, ind=1).shape
    (2, 2, 4)
    """
    a = _stacked(a)
    if not isinstance(a, _Tensor):
        return _np.linalg.tensorinv(a, ind)
    from .. import numpy as bnp

    if ind <= 0:
        raise ValueError(f"tensorinv: invalid ind argument {ind} (must be positive)")
    invshape = a.shape[ind:] + a.shape[:ind]
    n = int(_np.prod(a.shape[ind:]))
    return bnp.reshape(_inv(bnp.reshape(a, (n, -1))), invshape)


__all__ = sorted([*_EX, "vecdot", "tensorsolve", "tensorinv", "test"])
