"""``backchain.autograd.util``: autograd's small helpers and its deprecated ``quick_grad_check``."""
import warnings

__all__ = ["subvals", "subval", "func", "quick_grad_check"]


def subvals(x, ivs):
    """``x`` as a tuple with ``x[i] = v`` for each ``(i, v)`` in ``ivs``.

    >>> subvals((1, 2, 3), [(0, 9), (2, 8)])
    (9, 2, 8)
    """
    x_ = list(x)
    for i, v in ivs:
        x_[i] = v
    return tuple(x_)


def subval(x, i, v):
    """``x`` as a tuple with ``x[i] = v``.

    >>> subval((1, 2, 3), 1, 0)
    (1, 0, 3)
    """
    return subvals(x, [(i, v)])


def func(f):
    """``f`` itself (autograd's identity on functions).

    >>> func(len)("abc")
    3
    """
    return f


def quick_grad_check(fun, arg0, extra_args=(), kwargs={}, verbose=True, eps=1e-4, rtol=1e-4, atol=1e-6, rs=None):
    """Deprecated (as in autograd): ``check_grads(lambda a: fun(a, *extra_args, **kwargs), modes=["rev"], order=1)``.

    ``verbose``, ``eps``, ``rtol``, ``atol`` and ``rs`` are accepted and not
    used, as in autograd 1.9.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     quick_grad_check(lambda x, y: x ** 2 + y, 1.0, (2.0,))
    """
    warnings.warn("\nThe quick_grad_check function is deprecated. See the update guide:\n"
                  "https://github.com/HIPS/autograd/blob/master/docs/updateguide.md", stacklevel=2)
    from backchain.autograd.test_util import check_grads

    check_grads(lambda a: fun(a, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)
