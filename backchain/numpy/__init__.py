"""``backchain.numpy``: NumPy's names and signatures, differentiable.

Called on plain arrays, every function here is a plain NumPy call and records
nothing. Called on Tensors that require grad, it records the operation so that
``backward`` and the transforms can differentiate it.

>>> import backchain as bc, backchain.numpy as bnp
>>> bc.grad(lambda x: bnp.sum(bnp.sin(x) ** 2))(bnp.array([0.5, 1.0]))
array([0.84147098, 0.90929743])
"""
import numpy as _np
from numpy import (  # noqa: F401  dtypes and constants, as in NumPy
    pi, e, inf, nan, newaxis, euler_gamma, ndarray, dtype, finfo, iinfo,
    float16, float32, float64, complex64, complex128, int8, int16, int32, int64,
    uint8, uint16, uint32, uint64, bool_, intp, integer, floating, complexfloating, number, generic,
)

from .._core.tensor import Tensor, UFUNCS as _UFUNCS, FUNCTIONS as _FUNCTIONS
from ._constructors import *  # noqa: F401,F403
from .._rules.elementwise import *  # noqa: F401,F403
from .._rules.reductions import *  # noqa: F401,F403
from .._rules.shape import *  # noqa: F401,F403
from .._rules.indexing import *  # noqa: F401,F403
from .._rules.linalg import *  # noqa: F401,F403
from .._rules.numerics import *  # noqa: F401,F403
from ._nondiff import FUNCTIONS as _NONDIFF, OWN as _OWN, LAZY as _LAZY

# NumPy 2's array-API names for the same functions (np.acos is np.arccos, and so on)
acos, asin, atan, atan2 = arccos, arcsin, arctan, arctan2  # noqa: F405
acosh, asinh, atanh, pow = arccosh, arcsinh, arctanh, power  # noqa: F405
concat, permute_dims = concatenate, transpose  # noqa: F405

globals().update(_NONDIFF)
globals().update(_OWN)
from ._extra import *  # noqa: E402,F401,F403

from . import linalg, fft, random, emath  # noqa: E402,F401
from ._tensor_methods import install as _install  # noqa: E402

_install(Tensor)


def _register():
    """Route NumPy's own functions and ufuncs, applied to Tensors, to the ones here."""
    g = globals()
    for name, fn in list(g.items()):
        if name.startswith("_") or not callable(fn) or isinstance(fn, type):
            continue
        np_fn = getattr(_np, name, None)
        if np_fn is None or np_fn is fn:
            continue
        if isinstance(np_fn, _np.ufunc):
            _UFUNCS[np_fn] = fn
        elif callable(np_fn):
            _FUNCTIONS[np_fn] = fn
    for sub, np_sub in ((linalg, _np.linalg), (fft, _np.fft)):
        for name in getattr(sub, "__all__", ()):
            np_fn = getattr(np_sub, name, None)
            if np_fn is not None:
                _FUNCTIONS[np_fn] = getattr(sub, name)
    def _reduce(fn):  # ufunc.reduce reduces axis 0 by default, unlike sum/prod/max/min
        return lambda a, axis=0, **kw: fn(a, axis=axis, **kw)

    for ufunc, red in ((_np.add, "sum"), (_np.multiply, "prod"), (_np.maximum, "max"), (_np.minimum, "min")):
        if red in g:
            _UFUNCS[(ufunc, "reduce")] = _reduce(g[red])


_register()

from ._examples import attach as _attach, NUMPY as _EX, LINALG as _EX_LINALG, FFT as _EX_FFT, PREAMBLE as _PRE  # noqa: E402

_attach(globals(), _EX, _PRE, own=_np)
_attach(linalg, _EX_LINALG, _PRE, own=_np.linalg)
_attach(fft, _EX_FFT, _PRE, own=_np.fft)
del _EX, _EX_LINALG, _EX_FFT


def __dir__():
    return sorted(set(globals()) | _LAZY)


def __getattr__(name):
    if name in _LAZY:  # NumPy's submodules (numpy.testing, numpy.ma...), imported when first asked for
        return getattr(_np, name)
    if hasattr(_np, name):
        raise AttributeError(
            f"backchain.numpy has no differentiable '{name}'. Use numpy.{name} on plain arrays "
            "(or on .detach()ed tensors), or write it with the functions that backchain.numpy has."
        )
    raise AttributeError(f"module 'backchain.numpy' has no attribute '{name}'")
