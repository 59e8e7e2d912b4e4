"""autograd's stochastic optimizers: ``sgd``, ``rmsprop``, ``adam`` with its signatures and callbacks.

``grad(x, i)`` gives the gradient at ``x`` in iteration ``i``; ``x0`` may be
any nesting of lists, tuples and dicts of arrays; ``callback(x, i, g)`` runs
before each step. Written with ``backchain.numpy``, so the optimizers can be
differentiated themselves (meta-optimization).
"""
import functools

import backchain.numpy as bnp
from .flatten import flatten

__all__ = ["unflatten_optimizer", "sgd", "rmsprop", "adam"]


def unflatten_optimizer(optimize):
    """Lift an optimizer of flat vectors to nested containers of arrays (as autograd's).

    >>> import numpy as onp
    >>> from backchain.autograd.misc.optimizers import unflatten_optimizer
    >>> step = unflatten_optimizer(lambda grad, x, callback=None: x - grad(x, 0))
    >>> step(lambda p, i: {"w": p["w"] * 0.5}, {"w": onp.array([2.0])})
    {'w': array([1.])}
    """
    @functools.wraps(optimize)
    def _optimize(grad, x0, callback=None, *args, **kwargs):
        _x0, unflatten = flatten(x0)

        def _grad(x, i):
            return flatten(grad(unflatten(x), i))[0]

        _callback = (lambda x, i, g: callback(unflatten(x), i, unflatten(g))) if callback else None
        return unflatten(optimize(_grad, _x0, _callback, *args, **kwargs))

    return _optimize


@unflatten_optimizer
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum; ``grad(x, i)`` with ``i`` the iteration.

    >>> import numpy as onp
    >>> from backchain.autograd.misc.optimizers import sgd
    >>> x = sgd(lambda x, i: 2 * (x - 3.0), onp.zeros(2), num_iters=500)
    >>> onp.round(x, 6)
    array([3., 3.])
    """
    velocity = bnp.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=10 ** -8):
    """Root-mean-square propagation: each step scaled by a running RMS of the gradients.

    >>> import numpy as onp
    >>> from backchain.autograd.misc.optimizers import rmsprop
    >>> x = rmsprop(lambda x, i: 2 * (x - 3.0), onp.zeros(1), num_iters=1000, step_size=0.01)
    >>> bool(abs(x[0] - 3.0) < 1e-3)
    True
    """
    avg_sq_grad = bnp.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g ** 2 * (1 - gamma)
        x = x - step_size * g / (bnp.sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=10 ** -8):
    """Adam (Kingma and Ba): RMSprop with momentum and bias correction.

    >>> import numpy as onp
    >>> from backchain.autograd.misc.optimizers import adam
    >>> x = adam(lambda x, i: 2 * (x - 3.0), onp.zeros(1), num_iters=2000, step_size=0.01)
    >>> bool(abs(x[0] - 3.0) < 1e-3)
    True
    """
    m = bnp.zeros(len(x))
    v = bnp.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g ** 2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (bnp.sqrt(vhat) + eps)
    return x
