"""``fixed_point``: iterate to a fixed point, differentiable in its parameter by the implicit function theorem."""
from .._operators import make_vjp
from .._vspace import vspace
from ..extend import defvjp, primitive

__all__ = ["fixed_point"]


@primitive
def fixed_point(f, a, x0, distance, tol):
    """Iterate ``x <- f(a)(x)`` from ``x0`` until ``distance(x, x_prev) <= tol``.

    The derivative in ``a`` comes from the fixed point itself (a second fixed
    point iteration runs backward), not from the iterations, as in autograd.

    >>> import backchain.autograd as ag, backchain.autograd.numpy as np
    >>> from backchain.autograd.misc.fixed_points import fixed_point
    >>> newton_sqrt = lambda a: lambda x: 0.5 * (x + a / x)   # fixed point: sqrt(a)
    >>> dist = lambda x, y: np.abs(x - y)
    >>> f = lambda a: fixed_point(newton_sqrt, a, 1.0, dist, 1e-12)
    >>> round(float(f(2.0)), 9), round(float(ag.grad(f)(2.0)), 9)   # 1 / (2 sqrt(2))
    (1.414213562, 0.353553391)
    """
    _f = f(a)
    x, x_prev = _f(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = _f(x), x
    return x


def _fixed_point_vjp(ans, f, a, x0, distance, tol):
    def rev_iter(params):
        a, x_star, x_star_bar = params
        vjp_x, _ = make_vjp(f(a))(x_star)
        vs = vspace(x_star)
        return lambda g: vs.add(vjp_x(g), x_star_bar)

    vjp_a, _ = make_vjp(lambda x, y: f(x)(y))(a, ans)
    return lambda g: vjp_a(fixed_point(rev_iter, (a, ans, g), vspace(x0).zeros(), distance, tol))


defvjp(fixed_point, None, _fixed_point_vjp, None)
