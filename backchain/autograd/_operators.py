"""autograd's differential operators, over backchain's transforms.

Each operator is written as autograd writes it: a *unary* operator
``op(fun, x)`` lifted to ``op(fun, argnum=0)(*args, **kwargs)`` by
:func:`unary_to_nary`. Only names, signatures and result layouts are
adapted here; every derivative comes from ``backchain.transforms``.
"""
import functools
import inspect
import warnings
from collections import OrderedDict

import numpy as np

from .. import transforms as _bc
from .._core.tensor import Tensor
from ..transforms import tree_flatten
from ._vspace import vspace
import backchain.numpy as bnp

__all__ = ["unary_to_nary", "make_vjp", "make_jvp", "grad", "value_and_grad", "elementwise_grad", "deriv",
           "jacobian", "hessian", "holomorphic_grad", "grad_named", "grad_and_aux", "make_hvp",
           "hessian_tensor_product", "hessian_vector_product", "tensor_jacobian_product",
           "vector_jacobian_product", "make_jvp_reversemode", "make_ggnvp", "multigrad_dict", "checkpoint"]


def _name(f):
    return getattr(f, "__name__", "[unknown name]")


def unary_to_nary(unary_operator):
    """Lift ``unary_operator(fun, x, *op_args)`` to ``op(fun, argnum=0, *op_args)(*args, **kwargs)``.

    ``argnum`` is an int (``x`` is that argument) or a tuple or list of ints
    (``x`` is the tuple of those arguments), as in autograd's ``wrap_util``.

    >>> from backchain.autograd.wrap_util import unary_to_nary
    >>> @unary_to_nary
    ... def at(fun, x):
    ...     return x
    >>> at(lambda a, b: a * b, 1)(2.0, 3.0), at(lambda a, b: a * b, (1, 0))(2.0, 3.0)
    (3.0, (3.0, 2.0))
    """
    op_name = _name(unary_operator)

    @functools.wraps(unary_operator)
    def nary_operator(fun, argnum=0, *op_args, **op_kwargs):
        if type(argnum) not in (int, tuple, list):
            raise TypeError(f"{op_name}: argnum must be an int or a tuple of ints, got {argnum!r}")
        single = isinstance(argnum, int)

        def nary_f(*args, **kwargs):
            nums = (argnum,) if single else tuple(argnum)
            for i in nums:
                if not -len(args) <= i < len(args):
                    raise ValueError(f"{op_name}: argnum={argnum!r} but {_name(fun)} was called with "
                                     f"{len(args)} positional argument(s)")

            def unary_f(x):
                sub = list(args)
                for i, xi in zip(nums, (x,) if single else x):
                    sub[i] = xi
                return fun(*sub, **kwargs)

            unary_f.__name__ = _name(fun)
            x = args[argnum] if single else tuple(args[i] for i in nums)
            return unary_operator(unary_f, x, *op_args, **op_kwargs)

        nary_f.__name__ = f"{op_name}_of_{_name(fun)}_wrt_argnum_{argnum}"
        nary_f.__doc__ = (  # autograd's text
            f"    {op_name} of function {_name(fun)} with respect to argument number {argnum}. Takes the\n"
            f"    same arguments as {_name(fun)} but returns the {op_name}.\n    ")
        return nary_f

    return nary_operator


# -- the two primitive operators ------------------------------------------------------

def _promote(x, what="make_vjp"):
    """``x`` with integer and bool arrays (in containers too) made float64, as autograd does.

    autograd differentiates an integer array as a float one (its gradient is
    float); a Python or NumPy integer (or bool) scalar is refused with a
    TypeError naming the operator ``what``, as autograd refuses it.
    """
    leaves, rebuild = tree_flatten(x)
    changed = False
    out = []
    for v in leaves:
        if isinstance(v, (bool, int, np.integer, np.bool_)):
            raise TypeError(f"{what}: can't differentiate with respect to {type(v).__name__} {v!r} (as autograd); "
                            "pass a float (1.0, not 1) or an array")
        if isinstance(v, np.ndarray) and v.dtype.kind in "iub":
            v, changed = v.astype(np.float64), True
        elif isinstance(v, Tensor) and np.asarray(v._data).dtype.kind in "iub":
            v, changed = np.asarray(v._data).astype(np.float64), True
        out.append(v)
    return rebuild(out) if changed else x


def _plain(x):
    """A result as a plain value: a Tensor that nothing traces any more is its array."""
    if isinstance(x, Tensor) and not x.requires_grad:
        return x._data
    return x


def _tree_map(f, x):
    leaves, rebuild = tree_flatten(x)
    return rebuild([f(v) for v in leaves])


def _vjp_unary(fun, x, what="make_vjp"):
    """autograd's ``core.make_vjp``: ``(vjp, ans)``, ``vjp(g)`` the cotangent of ``x``.

    >>> import backchain.autograd.numpy as np
    >>> from backchain.autograd.core import make_vjp
    >>> vjp, ans = make_vjp(np.sin, 0.0)
    >>> float(vjp(2.0))
    2.0
    """
    x = _promote(x, what)
    ans, vjp_fn = _bc.vjp(fun, x)

    def vjp(g):
        return _tree_map(_plain, vjp_fn(g)[0])

    return vjp, ans


def _jvp_unary(fun, x):
    """autograd's ``core.make_jvp``: ``jvp(g) -> (ans, tangent of ans)`` by forward mode.

    >>> import backchain.autograd.numpy as np
    >>> from backchain.autograd.core import make_jvp
    >>> make_jvp(np.sin, 0.0)(3.0)
    (np.float64(0.0), np.float64(3.0))
    """
    x = _promote(x, "make_jvp")

    def jvp(g):
        return _bc.jvp(fun, (x,), (g,))

    return jvp


make_vjp = unary_to_nary(_vjp_unary)
make_vjp.__name__ = make_vjp.__qualname__ = "make_vjp"
make_vjp.__doc__ = """Return ``(vjp, ans)``: ``ans = fun(*args)`` and ``vjp(g)`` the cotangent of argument ``argnum``.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> vjp, ans = ag.make_vjp(np.sin)(0.0)
    >>> float(vjp(2.0))
    2.0
    """
make_jvp = unary_to_nary(_jvp_unary)
make_jvp.__name__ = make_jvp.__qualname__ = "make_jvp"
make_jvp.__doc__ = """Return ``jvp`` with ``jvp(v) = (fun(*args), J v)`` by forward mode, for argument ``argnum``.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.make_jvp(np.sin)(0.0)(3.0)
    (np.float64(0.0), np.float64(3.0))
    """


# -- the operators derived from them --------------------------------------------------

def _ones(x):
    return vspace(x).ones()


def _zeros(x):
    return vspace(x).zeros()


def _size(x):
    return vspace(x).size  # a complex number counts twice, as in autograd


def _iscomplex(x):
    return vspace(x).iscomplex


@unary_to_nary
def grad(fun, x):
    """
    Returns a function which computes the gradient of scalar-valued ``fun`` with respect to argument ``argnum``.

    The gradient has the type and structure of the argument (an array, a
    scalar, a tuple of them for a tuple ``argnum``, nested lists and dicts).

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> float(ag.grad(ag.grad(np.tanh))(0.3))
    -0.533181...
    """
    vjp, ans = _vjp_unary(fun, x, "grad")
    if _size(ans) != 1:
        raise TypeError("grad: only applies to real scalar-output functions, got an output of shape "
                        f"{np.shape(ans._data if isinstance(ans, Tensor) else ans)}; "
                        "try jacobian, elementwise_grad or holomorphic_grad")
    return vjp(_ones(ans))


@unary_to_nary
def elementwise_grad(fun, x):
    """The sum of each column of the Jacobian of ``fun`` (its diagonal, for elementwise ``fun``), in one pass.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.elementwise_grad(np.sin)(np.array([0.0, np.pi]))
    array([ 1., -1.])
    """
    vjp, ans = _vjp_unary(fun, x, "elementwise_grad")
    if _iscomplex(ans):
        raise TypeError("elementwise_grad: only applies to real-output functions")
    return vjp(_ones(ans))


@unary_to_nary
def value_and_grad(fun, x):
    """``(fun(*args), gradient)`` in one pass; suitable for ``scipy.optimize.minimize(jac=True)``.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """
    vjp, ans = _vjp_unary(fun, x, "value_and_grad")
    if _size(ans) != 1:
        raise TypeError("value_and_grad: only applies to real scalar-output functions; "
                        "try jacobian, elementwise_grad or holomorphic_grad")
    return ans, vjp(_ones(ans))


@unary_to_nary
def grad_and_aux(fun, x):
    """``(gradient of the first output, second output)`` of a function returning a pair.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.grad_and_aux(lambda x: (x ** 2, "aux"))(3.0)
    (np.float64(6.0), 'aux')
    """
    def pair(x):
        out = fun(x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"grad_and_aux: {_name(fun)} must return a pair (output, aux), got "
                            f"{type(out).__name__}")
        return out[0], out[1]

    return _bc.grad(pair, has_aux=True)(_promote(x, "grad_and_aux"))


@unary_to_nary
def deriv(fun, x):
    """The derivative of ``fun`` along ones (for scalar ``x``: ``fun'(x)``), by forward mode.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> float(ag.deriv(np.sin)(0.0))
    1.0
    """
    x = _promote(x, "deriv")
    return _jvp_unary(fun, x)(_ones(x))[1]


@unary_to_nary
def jacobian(fun, x):
    """The Jacobian of ``fun``, of shape ``out.shape + in.shape``, one backward pass per output element.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _tree_map(_plain, _bc.jacobian(fun, mode="rev")(_promote(x, "jacobian")))


@unary_to_nary
def hessian(fun, x):
    """The exact Hessian, ``jacobian(jacobian(fun))`` (reverse over reverse, as autograd).

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(jacobian(fun))(x)


@unary_to_nary
def holomorphic_grad(fun, x):
    """The complex derivative of holomorphic ``fun``: ``grad`` of its real part.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> complex(ag.holomorphic_grad(lambda z: z ** 2)(1.0 + 2.0j))
    (2+4j)
    """
    if not _iscomplex(x):
        warnings.warn("Input to holomorphic_grad is not complex")
    return grad(lambda x: bnp.real(fun(x)))(x)


def grad_named(fun, argname):
    """``grad`` with respect to the argument named ``argname`` (not ``*args`` or ``**kwargs``).

    >>> import backchain.autograd as ag
    >>> float(ag.grad_named(lambda x, y: x * y ** 2, "y")(2.0, 3.0))
    12.0
    """
    names = inspect.getfullargspec(fun).args
    if argname not in names:
        raise ValueError(f"grad_named: {_name(fun)} has no argument named {argname!r} (arguments: {names})")
    return grad(fun, names.index(argname))


@unary_to_nary
def make_hvp(fun, x):
    """``(hvp, grad)`` at ``x``: ``hvp(v)`` is the Hessian-vector product, reusing one forward pass.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> hvp, g = ag.make_hvp(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    >>> hvp(np.array([1.0, 0.0]))
    array([6., 0.])
    """
    return _vjp_unary(grad(fun), x)


def hessian_tensor_product(fun, argnum=0):
    """``f(*args, tensor, **kwargs)``: the Hessian of ``fun`` in ``argnum`` contracted with ``tensor``.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.hessian_tensor_product(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    fun_grad = grad(fun, argnum)

    def vector_dot_grad(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return bnp.tensordot(fun_grad(*args, **kwargs), vector, np.ndim(vector))

    return grad(vector_dot_grad, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    """``f(*args, tensor, **kwargs)``: ``tensor`` contracted with the Jacobian of ``fun`` (a VJP).

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.tensor_jacobian_product(lambda x: x ** 2)(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([2., 4.])
    """
    def vector_dot_fun(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return bnp.tensordot(vector, fun(*args, **kwargs), axes=np.ndim(vector))

    return jacobian(vector_dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


@unary_to_nary
def make_jvp_reversemode(fun, x):
    """A Jacobian-vector product function built from two reverse passes (the VJP of the VJP).

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ag.make_jvp_reversemode(lambda x: x ** 2)(np.array([1.0, 2.0]))(np.array([1.0, 1.0]))
    array([2., 4.])
    """
    vjp, y = _vjp_unary(fun, x)
    vjp_vjp, _ = _vjp_unary(vjp, _zeros(y))
    return vjp_vjp


def make_ggnvp(f, g=lambda x: 1.0 / 2 * bnp.sum(x ** 2, axis=-1), f_argnum=0):
    """Generalized Gauss-Newton-vector products ``J_f^T H_g J_f v`` of ``g(f(x))``.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> ggnvp = ag.make_ggnvp(lambda x: 2.0 * x)(np.array([1.0, 2.0]))
    >>> ggnvp(np.array([1.0, 0.0]))
    array([4., 0.])
    """
    @unary_to_nary
    def _make_ggnvp(f, x):
        f_vjp, f_x = _vjp_unary(f, x)
        g_hvp, grad_g_x = _vjp_unary(grad(g), f_x)
        f_jvp, _ = _vjp_unary(f_vjp, _zeros(grad_g_x))

        def ggnvp(v):
            return f_vjp(g_hvp(f_jvp(v)))

        return ggnvp

    return _make_ggnvp(f, f_argnum)


def multigrad_dict(fun):
    """Gradients with respect to every argument at once, as an ``OrderedDict`` by argument name.

    >>> import backchain.autograd as ag
    >>> dict(ag.multigrad_dict(lambda x, y=2.0: x * y)(3.0))
    {'x': np.float64(2.0), 'y': np.float64(3.0)}
    """
    sig = inspect.signature(fun)
    kinds = {n: p.kind for n, p in sig.parameters.items()}
    var_pos = [n for n, k in kinds.items() if k == inspect.Parameter.VAR_POSITIONAL]
    var_kwd = [n for n, k in kinds.items() if k == inspect.Parameter.VAR_KEYWORD]
    others = [n for n in sig.parameters if n not in var_pos + var_kwd]

    def gradfun(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        argdict = OrderedDict((n, bound.arguments[n]) for n in sig.parameters)

        def newfun(dct):
            pos = tuple(dct[n] for n in others) + (tuple(dct[var_pos[0]]) if var_pos else ())
            kw = dict(dct[var_kwd[0]]) if var_kwd else {}
            return fun(*pos, **kw)

        grad_dict = grad(newfun)(dict(argdict))
        return OrderedDict((n, grad_dict[n]) for n in argdict)

    return gradfun


def checkpoint(fun):
    """``fun`` recomputed during the backward pass instead of storing its intermediate values.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> round(float(ag.grad(ag.checkpoint(lambda x: np.tanh(np.tanh(x))))(0.5)), 6)
    0.639808
    """
    return _bc.checkpoint(fun)
