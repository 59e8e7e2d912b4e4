"""autograd's vector spaces (``vspace(x)``): shapes, zeros, ones, bases and inner products of values.

They describe arrays, scalars and (nested) lists, tuples and dicts of them, as
autograd's do; a traced Tensor is described by its array. Their arithmetic
uses ``backchain.numpy``, so it is traced where its arguments are.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.tensor import Tensor

__all__ = ["VSpace", "vspace"]


class VSpace:
    """The vector space of a value: ``zeros()``, ``ones()``, ``randn()``, ``standard_basis()``, ``inner_prod``.

    >>> import numpy as onp
    >>> from backchain.autograd.extend import vspace
    >>> vs = vspace(onp.ones((2, 3)))
    >>> vs.shape, vs.size, vs.zeros().shape, vs.inner_prod(vs.ones(), vs.ones())
    ((2, 3), 6, (2, 3), np.float64(6.0))
    """

    iscomplex = False

    def add(self, x, y):
        return self._map2(lambda a, b: a + b, x, y)

    mut_add = add

    def scalar_mul(self, x, a):
        return self._map1(lambda v: v * a, x)

    def covector(self, x):
        return x

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __repr__(self):
        return f"{type(self).__name__}_{self._key()}"

    @classmethod
    def register(cls, value_type, vspace_maker=None):
        raise NotImplementedError(f"backchain.autograd VSpace.register: backchain differentiates arrays and lists, "
                                  f"tuples and dicts of them only; {getattr(value_type, '__name__', value_type)} "
                                  "cannot be registered")


class ArrayVSpace(VSpace):
    """Arrays of one shape and dtype (integer and bool arrays are differentiated as float64)."""

    def __init__(self, value):
        value = np.asarray(value._data if isinstance(value, Tensor) else value)
        self.shape = value.shape
        self.dtype = value.dtype if value.dtype.kind in "fc" else np.dtype(np.float64)
        self.iscomplex = value.dtype.kind == "c"

    def _key(self):
        return (self.shape, self.dtype)

    @property
    def size(self):
        return int(np.prod(self.shape)) * (2 if self.iscomplex else 1)

    @property
    def ndim(self):
        return len(self.shape)

    def zeros(self):
        return np.zeros(self.shape, dtype=self.dtype)

    def ones(self):
        one = np.ones(self.shape, dtype=self.dtype)
        return one + 1j * one if self.iscomplex else one

    def standard_basis(self):
        for idx in np.ndindex(*self.shape):
            for v in ((1.0, 1j) if self.iscomplex else (1.0,)):
                e = np.zeros(self.shape, dtype=self.dtype)
                e[idx] = v
                yield e

    def randn(self):
        r = np.array(np.random.randn(*self.shape)).astype(self.dtype)
        return r + 1j * np.array(np.random.randn(*self.shape)).astype(self.dtype) if self.iscomplex else r

    def inner_prod(self, x, y):
        if self.iscomplex:
            return bnp.real(bnp.dot(bnp.conj(bnp.ravel(x)), bnp.ravel(y)))
        return bnp.dot(bnp.ravel(x), bnp.ravel(y))

    def covector(self, x):
        return bnp.conj(x) if self.iscomplex else x

    def _map1(self, f, x):
        return f(x)

    def _map2(self, f, x, y):
        return f(x, y)


class ContainerVSpace(VSpace):
    """Lists, tuples and dicts of values: each element has its own space."""

    def __init__(self, value):
        self.kind = type(value)
        self.keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        self.spaces = [vspace(value[k]) for k in self.keys]

    def _key(self):
        return (self.kind, tuple(self.keys), tuple(s._key() for s in self.spaces))

    def _build(self, parts):
        if self.kind is dict:
            return dict(zip(self.keys, parts))
        return self.kind(parts)

    @property
    def size(self):
        return sum(s.size for s in self.spaces)

    @property
    def iscomplex(self):
        return any(s.iscomplex for s in self.spaces)

    def zeros(self):
        return self._build([s.zeros() for s in self.spaces])

    def ones(self):
        return self._build([s.ones() for s in self.spaces])

    def randn(self):
        return self._build([s.randn() for s in self.spaces])

    def standard_basis(self):
        for k, s in enumerate(self.spaces):
            for e in s.standard_basis():
                parts = [t.zeros() for t in self.spaces]
                parts[k] = e
                yield self._build(parts)

    def inner_prod(self, x, y):
        return sum(s.inner_prod(x[k], y[k]) for s, k in zip(self.spaces, self.keys))

    def covector(self, x):
        return self._build([s.covector(x[k]) for s, k in zip(self.spaces, self.keys)])

    def _map1(self, f, x):
        return self._build([s._map1(f, x[k]) for s, k in zip(self.spaces, self.keys)])

    def _map2(self, f, x, y):
        return self._build([s._map2(f, x[k], y[k]) for s, k in zip(self.spaces, self.keys)])


def vspace(value):
    """The vector space of ``value`` (an array, a number, a Tensor, or a list, tuple or dict of them).

    >>> from backchain.autograd.extend import vspace
    >>> vspace([1.0, (2.0, 3.0)]).size, vspace(1.0 + 2.0j).ones()
    (3, np.complex128(1+1j))
    """
    if isinstance(value, (list, tuple, dict)):
        return ContainerVSpace(value)
    if isinstance(value, (Tensor, np.ndarray, np.generic, float, complex, int)) and not isinstance(value, bool):
        return ArrayVSpace(value)
    raise TypeError(f"vspace: can't find a vector space for a value of type {type(value).__name__}; backchain "
                    "differentiates arrays, numbers and lists, tuples and dicts of them")
