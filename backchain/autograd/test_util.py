"""``check_grads``: autograd's derivative check (its signature and recursion), by ``backchain.gradcheck``."""
import itertools

import numpy as np

# NOTE: absolute imports: after install(), pytest's assertion rewriter loads this file itself as the top-level
# package's "autograd.test_util" (its name matches test_*.py), where a relative import would leave the package.
import backchain.numpy as bnp
from backchain import check as _check
from backchain._core.tensor import Tensor
from backchain.autograd._operators import _jvp_unary, _promote, _vjp_unary, unary_to_nary
from backchain.autograd._vspace import vspace
from backchain.transforms import tree_flatten

__all__ = ["check_grads", "combo_check", "scalar_close", "check_equivalent"]

TOL = 1e-6
RTOL = 1e-6


def _name(f):
    return getattr(f, "__name__", "[unknown name]")


def _flat_output(f):
    """``f`` with its output's arrays (a tuple, list or dict of them) raveled into one vector."""
    def flat(*args):
        out = f(*args)
        leaves = tree_flatten(out)[0]
        if len(leaves) == 1 and not isinstance(out, (list, tuple, dict)):
            return out
        return bnp.concatenate([bnp.ravel(v) for v in leaves]) if leaves else np.zeros(0)

    return flat


def _check_one(f, x, mode):
    try:
        _check.gradcheck(_flat_output(f), x, order=1, modes=(mode,))
    except _check.GradcheckError as e:
        label = "VJP" if mode == "rev" else "JVP"
        raise _check.GradcheckError(f"Derivative ({label}) check of {_name(f)} failed with arg {x}:\n{e}") from None


@unary_to_nary
def check_grads(f, x, modes=["fwd", "rev"], order=2):  # noqa: B006  (autograd's signature)
    """Check ``f``'s derivatives in argument ``argnum`` against finite differences, to ``order``.

    Called as autograd's: ``check_grads(f, modes=["rev"], order=2)(*args)``.
    Each order is checked as in autograd: first ``f`` (by
    :func:`backchain.gradcheck`: random projections against central
    differences, kink-aware), then ``(x, v) -> vjp(v)`` and ``(x, v) -> jvp(v)``
    to ``order - 1``. A failure raises an ``AssertionError`` (a
    ``GradcheckError``) naming the check: ``Derivative (VJP) check of vjp_f failed``.

    >>> import backchain.autograd.numpy as np
    >>> from backchain.autograd.test_util import check_grads
    >>> check_grads(lambda x, y: np.sum(np.sin(x) * y), modes=["rev"])(np.ones(3), 2.0)
    """
    if isinstance(modes, str) or not all(m in ("fwd", "rev") for m in modes):
        raise ValueError(f"check_grads: modes must be a list of 'fwd' and 'rev', got {modes!r}")
    x = _promote(x, "check_grads")
    if "fwd" in modes:
        _check_one(f, x, "fwd")
        if order > 1:
            def jvp_f(x, v):
                return _jvp_unary(f, x)(v)[1]

            jvp_f.__name__ = f"jvp_{_name(f)}"
            check_grads(jvp_f, (0, 1), modes, order=order - 1)(x, vspace(x).randn())
    if "rev" in modes:
        _check_one(f, x, "rev")
        if order > 1:
            def vjp_f(x, v):
                return _vjp_unary(f, x)[0](v)

            vjp_f.__name__ = f"vjp_{_name(f)}"
            check_grads(vjp_f, (0, 1), modes, order=order - 1)(x, vspace(f(x)).randn())


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


def scalar_close(a, b):
    """Whether two numbers agree to autograd's test tolerances (1e-6 absolute or relative).

    >>> from backchain.autograd.test_util import scalar_close
    >>> scalar_close(1.0, 1.0 + 1e-8), scalar_close(1.0, 1.1)
    (True, False)
    """
    a, b = (v._data if isinstance(v, Tensor) else v for v in (a, b))
    return bool(abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL)


def check_equivalent(x, y):
    """Assert that ``x`` and ``y`` are in the same vector space and agree along a random direction.

    >>> import numpy as onp
    >>> from backchain.autograd.test_util import check_equivalent
    >>> check_equivalent([onp.ones(2), 3.0], [onp.ones(2), 3.0])
    """
    x_vs, y_vs = vspace(x), vspace(y)
    assert x_vs == y_vs, f"VSpace mismatch:\nx: {x_vs}\ny: {y_vs}"
    v = x_vs.randn()
    assert scalar_close(x_vs.inner_prod(x, v), x_vs.inner_prod(y, v)), f"Value mismatch:\nx: {x}\ny: {y}"
