"""Array_like operands of primitives, and result classes of Tensor subclasses (the core hooks that
``backchain.numpy``'s list inputs and ``backchain.torch``'s Tensors build on)."""
import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp
from backchain._core import primitive as prim_mod
from backchain._core.tensor import Tensor
from backchain.nn import Parameter


@pytest.mark.parametrize("f, tf", [
    (lambda t: bnp.sum(bnp.exp([t[0], t[1]])), lambda t: torch.exp(torch.stack([t[0], t[1]])).sum()),
    (lambda t: bnp.sum(bnp.add([t[0], 2 * t[1]], 1.0)), lambda t: (torch.stack([t[0], 2 * t[1]]) + 1).sum()),
    (lambda t: bnp.sum(bnp.matmul([[t[0], 1.0], [0.0, t[1]]], t)),
     lambda t: (torch.stack([torch.stack([t[0], torch.tensor(1.0, dtype=t.dtype)]),
                             torch.stack([torch.tensor(0.0, dtype=t.dtype), t[1]])]) @ t).sum()),
    (lambda t: bnp.sum(t * [t[1], 1.0]), lambda t: (t * torch.stack([t[1], torch.tensor(1.0, dtype=t.dtype)])).sum()),
])
def test_list_operands_holding_traced_tensors(f, tf):
    x = np.array([0.7, -1.3])
    tx = torch.tensor(x, requires_grad=True)
    tf(tx).backward()
    np.testing.assert_allclose(bc.grad(f)(x), tx.grad.numpy(), rtol=1e-12)
    v = np.array([0.3, 2.0])
    tx2 = torch.tensor(x)
    _, want = torch.func.jvp(tf, (tx2,), (torch.tensor(v),))
    np.testing.assert_allclose(bc.jvp(f, (x,), (v,))[1], want.numpy(), rtol=1e-12)


def test_list_operand_errors_still_name_the_operation():
    with pytest.raises(ValueError, match="matmul"):
        bnp.matmul([[1.0, 2.0]], [[1.0, 2.0]])


class Flavoured(Tensor):
    __slots__ = ()
    _rank = 1


Flavoured._result = Flavoured


@pytest.fixture
def result_classes(monkeypatch):
    monkeypatch.setattr(prim_mod, "_result_classes", False)
    prim_mod.use_result_classes()
    yield


def _flavoured(x, requires_grad=False):
    t = Tensor.__new__(Flavoured)
    Tensor.__init__(t, np.asarray(x, dtype=float), requires_grad=requires_grad)
    return t


def test_results_take_the_class_of_the_highest_ranked_tensor(result_classes):
    x = _flavoured([1.0, 2.0])
    w = Parameter(np.array([3.0, 4.0]))
    assert type(w * x) is Flavoured and type(x * w) is Flavoured  # traced or not, either order
    assert type(w * 2) is Tensor  # a Parameter's results are plain Tensors, as in PyTorch
    assert type(bnp.exp(x)) is Flavoured and type(x[0]) is Flavoured
    assert all(type(p) is Flavoured for p in bnp.linalg.eigh(bnp.diag(x)))  # several results
    assert type(x.detach()) is Flavoured and type(w.detach()) is Tensor
    y = _flavoured([1.0, 2.0], requires_grad=True)
    (bnp.sum(y * w) * 2).backward()
    np.testing.assert_array_equal(y.grad, [6.0, 8.0])
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_without_result_classes_every_result_is_a_plain_tensor(monkeypatch):
    monkeypatch.setattr(prim_mod, "_result_classes", False)
    assert type(bnp.exp(_flavoured([1.0]))) is Tensor


def test_an_operand_with_its_own_array_ufunc_takes_the_call_as_numpy_lets_it():
    """NumPy's rule for ndarray * DataArray: the DataArray's __array_ufunc__ runs, and holds the result.
    A traced Tensor times a DataArray gives a DataArray holding a traced Tensor (the gradient kept)."""
    xr = pytest.importorskip("xarray")
    d = xr.DataArray(np.array([1.0, 2.0, 3.0]))
    x = bc.tensor(2.0, requires_grad=True)
    out = x * d
    assert isinstance(out, xr.DataArray) and isinstance(out.data, Tensor)
    assert float(bc.grad(lambda v: bnp.sum((v * d).data))(2.0)) == 6.0
    assert float(bc.grad(lambda v: bnp.sum((d * v).data))(2.0)) == 6.0
    assert float(bc.grad(lambda v: bnp.sum((v + d).data))(2.0)) == 3.0
