"""torch.autograd.forward_ad against PyTorch 2.13: the same tangents (J v) for the same programs."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import backchain.torch as bt
import backchain.torch.autograd.forward_ad as bfw

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")  # PyTorch's own warning

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
V = RNG.standard_normal((3, 4)).astype(np.float32)
W = RNG.standard_normal((4, 5)).astype(np.float32)

PROGRAMS = [
    ("tanh_sum", lambda T, x: T.tanh(x).sum(1)),
    ("matmul_softmax", lambda T, x: T.nn.functional.softmax(x @ T.tensor(W), dim=-1)),
    ("exp_times_x", lambda T, x: T.exp(x) * x),
    ("max_dim", lambda T, x: x.max(1).values),
    ("norm", lambda T, x: T.linalg.norm(x)),
    ("log_softmax_nll", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([0, 3, 1]))),
    ("dual_returned", lambda T, x: x),
]


@pytest.mark.parametrize("name, program", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_tangents_match_torch(name, program):
    out = {}
    for T, fw in ((torch, tfw), (bt, bfw)):
        with fw.dual_level():
            y = program(T, fw.make_dual(T.tensor(X), T.tensor(V)))
            primal, tangent = fw.unpack_dual(y)
            out[T] = primal.detach().numpy().copy(), tangent.numpy().copy()
    np.testing.assert_allclose(out[bt][0], out[torch][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[bt][1], out[torch][1], rtol=1e-4, atol=1e-5, err_msg=name)


def test_a_module_and_several_duals():
    out = {}
    for T, fw in ((torch, tfw), (bt, bfw)):
        T.manual_seed(0)
        lin = T.nn.Linear(4, 5)
        lin.load_state_dict({"weight": T.tensor(W.T.copy()), "bias": T.zeros(5)})
        with fw.dual_level():
            a = fw.make_dual(T.tensor(X), T.tensor(V))
            b = fw.make_dual(T.tensor(X[:, :1]), T.ones(3, 1))
            y = T.relu(lin(a)) * b
            out[T] = fw.unpack_dual(y).tangent.detach().numpy().copy()
            # a tensor that depends on no dual has no tangent
            assert fw.unpack_dual(T.ones(2) * 3).tangent is None
    np.testing.assert_allclose(out[bt], out[torch], rtol=1e-5, atol=1e-6)


def test_a_dual_of_a_tensor_that_requires_grad_stays_differentiable_backwards():
    x = bt.tensor(X, requires_grad=True)
    with bfw.dual_level():
        y = (bfw.make_dual(x, bt.tensor(V)) ** 2).sum()
        assert float(bfw.unpack_dual(y).tangent) == pytest.approx(float((2 * X * V).sum()), rel=1e-5)
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X, rtol=1e-6)


def test_misuse_raises_as_in_torch():
    with pytest.raises(RuntimeError, match="dual_level"):
        bfw.make_dual(bt.ones(2), bt.ones(2))
    with bfw.dual_level():
        with pytest.raises(RuntimeError, match="tangent has shape \\(3,\\), the primal \\(2,\\)"):
            bfw.make_dual(bt.ones(2), bt.ones(3))
        with pytest.raises(RuntimeError, match="nested"):
            bfw.enter_dual_level()
        d = bfw.make_dual(bt.ones(2), bt.ones(2))
    assert bfw.unpack_dual(d * 2).tangent is None  # tangents end with their level
    with pytest.raises(RuntimeError, match="no dual level"):
        bfw.exit_dual_level()
