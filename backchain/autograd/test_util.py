"""``check_grads``: autograd's derivative check (its signature), by ``backchain.gradcheck``."""
import itertools

from .. import check as _check
from ._operators import unary_to_nary

__all__ = ["check_grads", "combo_check"]


@unary_to_nary
def check_grads(f, x, modes=["fwd", "rev"], order=2):  # noqa: B006  (autograd's signature)
    """Check ``f``'s derivatives in argument ``argnum`` against finite differences, to ``order``.

    Called as autograd's: ``check_grads(f, modes=["rev"], order=2)(*args)``. It
    runs :func:`backchain.gradcheck` (random projections, kink-aware) and raises
    an ``AssertionError`` (a ``GradcheckError``) naming the failing check.

    >>> import backchain.autograd.numpy as np
    >>> from backchain.autograd.test_util import check_grads
    >>> check_grads(lambda x, y: np.sum(np.sin(x) * y), modes=["rev"])(np.ones(3), 2.0)
    """
    if isinstance(modes, str) or not all(m in ("fwd", "rev") for m in modes):
        raise ValueError(f"check_grads: modes must be a list of 'fwd' and 'rev', got {modes!r}")
    _check.gradcheck(f, x, order=order, modes=tuple(modes))


def combo_check(fun, *args, **kwargs):
    """``check_grads`` over every combination of the given argument values (autograd's test helper).

    >>> import backchain.autograd.numpy as np
    >>> from backchain.autograd.test_util import combo_check
    >>> combo_check(lambda x, k=1.0: np.sin(x) * k, [0], modes=["rev"])([0.5, 1.0], k=[2.0, 3.0])
    """
    def _combo_check(*args_, **kwargs_):
        kwarg_key_vals = [[(k, x) for x in xs] for k, xs in kwargs_.items()]
        for _args in itertools.product(*args_):
            for _kwargs in itertools.product(*kwarg_key_vals):
                check_grads(fun, *args, **kwargs)(*_args, **dict(_kwargs))

    return _combo_check
