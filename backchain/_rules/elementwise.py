"""Elementwise primitives: arithmetic, powers, exponentials, trigonometry, comparisons.

Each row states the forward (a NumPy ufunc) and the partial derivatives with
respect to each input as a function of ``(ans, *args)``; the ``deriv=``
shorthand turns them into both the VJP (``g * d``) and the JVP (``t * d``).
Rules are written with ``backchain.numpy`` so that they can be differentiated
again. Kinks follow DESIGN.md section 4 and are stated where they are chosen.
"""
import operator

import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.basic import real  # noqa: F401  (re-exported)

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "positive", "power",
    "square", "reciprocal", "sqrt", "exp", "log", "sin", "cos", "tanh", "abs", "absolute",
    "maximum", "minimum", "where", "real", "conj", "conjugate", "sign",
]


def _one(ans, *args):
    return 1.0


def _minus_one(ans, *args):
    return -1.0


def _g(g, ans, *args):
    return g


def _minus_g(g, ans, *args):
    return -g


# `fast=operator.*`: with a Tensor argument the data are arrays or NumPy scalars,
# for which the operator skips the ufunc machinery.
add = primitive("add", np.add, vjp=(_g, _g), jvp=(_g, _g), fast=operator.add)
subtract = primitive("subtract", np.subtract, vjp=(_g, _minus_g), jvp=(_g, _minus_g), fast=operator.sub)
multiply = primitive("multiply", np.multiply, deriv=(lambda ans, x, y: y, lambda ans, x, y: x),
                     fast=operator.mul)
divide = primitive("divide", np.divide, deriv=(lambda ans, x, y: 1.0 / y, lambda ans, x, y: -ans / y),
                   fast=operator.truediv)
true_divide = divide
negative = primitive("negative", np.negative, vjp=(_minus_g,), jvp=(_minus_g,), fast=operator.neg)
positive = primitive("positive", np.positive, deriv=(_one,))
square = primitive("square", np.square, deriv=(lambda ans, x: 2 * x,))
reciprocal = primitive("reciprocal", np.reciprocal, deriv=(lambda ans, x: -ans * ans,))


def _power_dx(ans, x, y):
    # y * x ** (y - 1), with the exact value 0 where y == 0 (d/dx x**0 = 0, also at x = 0).
    return bnp.where(y == 0, 0.0, y * bnp.power(x, bnp.where(y == 0, 1.0, y - 1)))


def _power_dy(ans, x, y):
    # ans * log(x): d/dy x**y; at x == 0 the limit (y > 0) is 0.
    safe_x = bnp.where(x == 0, 1.0, x)
    return bnp.where(x == 0, 0.0, ans * bnp.log(safe_x))


power = primitive("power", np.power, deriv=(_power_dx, _power_dy))

# sqrt'(0) = +inf: the one-sided limit (DESIGN.md section 4).
sqrt = primitive("sqrt", np.sqrt, deriv=(lambda ans, x: 0.5 / ans,))
exp = primitive("exp", np.exp, deriv=(lambda ans, x: ans,))
log = primitive("log", np.log, deriv=(lambda ans, x: 1.0 / x,))
sin = primitive("sin", np.sin, deriv=(lambda ans, x: cos(x),))
cos = primitive("cos", np.cos, deriv=(lambda ans, x: -sin(x),))
tanh = primitive("tanh", np.tanh, deriv=(lambda ans, x: 1.0 - ans * ans,))


def _abs_vjp(g, ans, x):
    # abs'(0) = 0 (min-norm subgradient); for complex x the autograd convention g * conj(x) / |x|.
    if np.iscomplexobj(x.data if hasattr(x, "requires_grad") else x):
        safe = bnp.where(ans == 0, 1.0, ans)
        return g * bnp.where(ans == 0, 0.0, conj(x) / safe)
    return g * bnp.sign(x)


def _abs_jvp(t, ans, x):
    if np.iscomplexobj(x.data if hasattr(x, "requires_grad") else x):
        safe = bnp.where(ans == 0, 1.0, ans)
        return bnp.where(ans == 0, 0.0, real(conj(x) * t) / safe)
    return t * bnp.sign(x)


def _zero(ans, *args):
    return bnp.zeros_like(ans)


# sign'(x) = 0 everywhere, including at its jump (DESIGN.md section 4).
sign = primitive("sign", np.sign, deriv=(_zero,), kinks="sign'(0) = 0")
abs = primitive("absolute", np.absolute, vjp=(_abs_vjp,), jvp=(_abs_jvp,), kinks="abs'(0) = 0")
absolute = abs


def _max_dx(ans, x, y):
    # Ties x == y: 0.5 to each (min-norm of the subdifferential).
    return bnp.where(x > y, 1.0, bnp.where(x == y, 0.5, 0.0))


def _max_dy(ans, x, y):
    return bnp.where(y > x, 1.0, bnp.where(x == y, 0.5, 0.0))


maximum = primitive("maximum", np.maximum, deriv=(_max_dx, _max_dy), kinks="x == y: 0.5 / 0.5")
minimum = primitive("minimum", np.minimum, deriv=(_max_dy, _max_dx), kinks="x == y: 0.5 / 0.5")


_where = primitive(
    "where", np.where,
    vjp=(None,
         lambda g, ans, c, x, y: bnp.where(c, g, 0.0),
         lambda g, ans, c, x, y: bnp.where(c, 0.0, g)),
    jvp=(None,
         lambda t, ans, c, x, y: bnp.where(c, t, 0.0),
         lambda t, ans, c, x, y: bnp.where(c, 0.0, t)),
    kinks="the branch not selected receives an exact zero",
)



def where(condition, x=None, y=None):
    """``numpy.where``: elements of ``x`` where ``condition`` holds, else of ``y``.

    The branch not selected receives an exact zero cotangent, so a NaN or inf
    in its derivative never leaks into the gradient.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.grad(lambda x: bnp.where(x > 0, x * x, -x).sum())(bnp.array([-1.0, 2.0]))
    array([-1.,  4.])
    """
    if x is None and y is None:
        return np.where(np.asarray(getattr(condition, "data", condition)))
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    return _where(condition, x, y)


conj = primitive("conjugate", np.conjugate, vjp=(lambda g, ans, x: conj(g),), linear=True)
conjugate = conj
