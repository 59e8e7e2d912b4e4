"""``backchain.autograd.core``: autograd's core names (``make_vjp(fun, x)`` is the unary form, as there).

Also autograd's table of VJP makers, ``primitive_vjps``, and its ``primitive``
with the deprecated ``defgrad`` / ``defvjp`` / ``defvjp_is_zero`` methods of
autograd before 1.2.
"""
import warnings
from collections.abc import MutableMapping

from . import extend as _extend
from ._operators import _jvp_unary as make_jvp, _vjp_unary as make_vjp  # noqa: F401
from ._vspace import VSpace, vspace  # noqa: F401
from .extend import (def_linear, defjvp, defjvp_argnum, defjvp_argnums, defvjp, defvjp_argnum,  # noqa: F401
                     defvjp_argnums)

__all__ = ["make_vjp", "make_jvp", "VSpace", "vspace", "def_linear", "defjvp", "defjvp_argnum", "defjvp_argnums",
           "defvjp", "defvjp_argnum", "defvjp_argnums", "primitive", "primitive_vjps"]


class _PrimitiveVjps(MutableMapping):
    """autograd's ``primitive_vjps``: primitive -> ``vjp_argnums(argnums, ans, args, kwargs)``.

    It holds the primitives declared with ``backchain.autograd.extend`` that have
    VJPs, and setting or removing an entry sets or removes their VJPs (as
    ``defvjp_argnums`` does). backchain's own functions (``np.sin``) are not
    entries: their rules are backchain's rule table, which this does not change.

    >>> import backchain.autograd as ag
    >>> from backchain.autograd.core import primitive_vjps
    >>> from backchain.autograd.extend import primitive
    >>> double = primitive(lambda x: 2.0 * x)
    >>> primitive_vjps[double] = lambda argnums, ans, args, kwargs: lambda g: [2.0 * g]
    >>> float(ag.grad(double)(1.0)), double in primitive_vjps
    (2.0, True)
    """

    def __getitem__(self, fun):
        maker = fun.vjp_argnums if isinstance(fun, _extend.Primitive) else None
        if maker is None:
            raise KeyError(fun)
        return maker

    def __setitem__(self, fun, vjp_argnums):
        defvjp_argnums(fun, vjp_argnums)

    def __delitem__(self, fun):
        self[fun]  # KeyError if absent
        fun.vjp_argnums = None

    def __iter__(self):
        return iter([p for p in list(_extend.PRIMITIVES) if p.vjp_argnums is not None])

    def __len__(self):
        return sum(1 for _ in self)

    def __repr__(self):
        return f"<backchain.autograd primitive_vjps of {len(self)} primitives>"


primitive_vjps = _PrimitiveVjps()

_DEPRECATED = ("\nThe {} method is deprecated. See the update guide and tutorial:\n"
               "https://github.com/HIPS/autograd/blob/master/docs/updateguide.md\n"
               "https://github.com/HIPS/autograd/blob/master/docs/tutorial.md")


def primitive(f_raw):
    """``backchain.autograd.extend.primitive``, with autograd's deprecated methods (each warns, as there).

    ``f.defgrad(maker, argnum=0)`` takes a maker ``(ans, *args) -> (g ->
    cotangent)``, ``f.defvjp(vjp, argnum=0)`` a ``vjp(g, ans, vs, gvs, *args)``
    (``vs``, ``gvs``: the vector spaces of the argument and of ``g``), and
    ``f.defvjp_is_zero(argnums=(0,))`` gives those arguments zero cotangents.
    The methods add to one set of VJPs per primitive.

    >>> import warnings
    >>> import backchain.autograd as ag
    >>> from backchain.autograd.core import primitive
    >>> mul = primitive(lambda x, y: x * y)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     mul.defgrad(lambda ans, x, y: lambda g: g * y)
    ...     mul.defvjp(lambda g, ans, vs, gvs, x, y: g * x, argnum=1)
    >>> ag.grad(mul, (0, 1))(2.0, 3.0)
    (np.float64(3.0), np.float64(2.0))
    """
    fun = _extend.primitive(f_raw)
    makers = {}

    def define(method, argnums, maker):
        warnings.warn(_DEPRECATED.format(method), stacklevel=3)
        for i in argnums:
            makers[i] = maker(i) if maker is not None else None
        order = sorted(makers)
        defvjp(fun, *[makers[i] for i in order], argnums=order)

    def staged(vjp, i):
        def maker(ans, *args, **kwargs):
            return lambda g: vjp(g, ans, vspace(args[i]), vspace(g), *args, **kwargs)
        return maker

    fun.defgrad = lambda gradfun, argnum=0: define("defgrad", (argnum,), lambda i: gradfun)
    fun.defvjp = lambda vjp, argnum=0: define("defvjp", (argnum,), lambda i: staged(vjp, i))
    fun.defvjp_is_zero = lambda argnums=(0,): define("defvjp_is_zero", argnums, None)
    return fun
