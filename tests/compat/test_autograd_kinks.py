"""Where autograd gives NaN, raises, or has no rule, backchain.autograd gives backchain's documented values
(docs/kinks.md). Pinned on both sides, so that a change in either is noticed (docs/coming-from/autograd.md)."""
import importlib
import warnings

import numpy as onp
import pytest

from ._oracle import assert_same, check, modules

NAN = float("nan")
# name: (program, autograd's result or the exception it raises, backchain's result)
ROWS = {
    "sqrt at 0": (lambda ag, np: ag.grad(np.sqrt)(0.0), ZeroDivisionError, onp.inf),
    "x ** 0.5 at 0": (lambda ag, np: ag.grad(lambda x: x ** 0.5)(0.0), ZeroDivisionError, onp.inf),
    "where: branch not taken": (lambda ag, np: ag.grad(lambda x: np.where(x > 0, np.sqrt(x), 0.0))(0.0),
                                ZeroDivisionError, 0.0),
    "norm at the zero vector": (lambda ag, np: ag.grad(np.linalg.norm)(onp.zeros(2)), [NAN, NAN], [0.0, 0.0]),
    "std of a constant": (lambda ag, np: ag.grad(np.std)(onp.ones(3)), [NAN] * 3, [0.0] * 3),
    "prod with a zero": (lambda ag, np: ag.grad(np.prod)(onp.array([0.0, 2.0, 3.0])), [NAN, 0.0, 0.0],
                         [6.0, 0.0, 0.0]),
    "arctan2 at the origin": (lambda ag, np: ag.grad(lambda x: np.arctan2(x, 0.0))(0.0), NAN, 0.0),
    "median": (lambda ag, np: ag.grad(np.median)(onp.array([1.0, 3.0, 2.0, 2.0])), NotImplementedError,
               [0.0, 0.0, 0.5, 0.5]),
    "cumprod": (lambda ag, np: ag.grad(lambda x: np.sum(np.cumprod(x)))(onp.array([1.0, 0.0, 2.0])),
                NotImplementedError, [1.0, 3.0, 0.0]),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_where_autograd_has_no_number(name):
    program, theirs, mine = ROWS[name]
    ag, np = modules("autograd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(theirs, type):
            with pytest.raises(theirs):
                program(ag, np)
        else:
            assert_same(onp.asarray(program(ag, np), dtype=float), onp.asarray(theirs, dtype=float))
        assert_same(onp.asarray(program(*modules("backchain")), dtype=float), onp.asarray(mine, dtype=float))


@pytest.mark.parametrize("program", [
    lambda ag, np: ag.grad(np.abs)(0.0),
    lambda ag, np: ag.grad(lambda x: np.maximum(x, 0.0))(0.0),
    lambda ag, np: ag.grad(np.max)(onp.array([1.0, 1.0, 0.0])),
    lambda ag, np: ag.grad(lambda a: np.sum(np.min(a, axis=0)))(onp.array([[1.0, 2.0], [1.0, 0.0]])),
    lambda ag, np: ag.grad(lambda x: np.clip(x, 0.0, 1.0))(1.0),
    lambda ag, np: ag.grad(lambda x: np.sort(x)[0] * 2 + np.sort(x)[1])(onp.array([1.0, 1.0])),
    lambda ag, np: ag.grad(lambda x: np.sign(x) * x)(0.0),
    lambda ag, np: ag.grad(np.floor)(1.5),
    lambda ag, np: ag.grad(np.log)(0.0),
], ids=["abs", "maximum tie", "max ties", "min ties by axis", "clip at a bound", "sort ties", "sign", "floor",
        "log at 0"])
def test_kinks_where_both_agree(program):
    check(program)


def test_logsumexp_with_weights():
    def program(ag, np):
        special = importlib.import_module(np.__name__.replace("numpy", "scipy.special"))
        b = onp.array([[1.0], [2.0]])
        return ag.grad(lambda a: special.logsumexp(a, axis=0, b=b, keepdims=True).sum())(
            onp.array([[1.0, 2.0], [0.5, 0.0]]))

    check(program)
