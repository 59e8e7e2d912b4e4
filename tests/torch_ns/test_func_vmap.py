"""torch.func.vmap against PyTorch 2.13's: inside the function a batched value has PyTorch's methods
(size(dim), view, max(dim) as (values, indices)), so torch.func programs give torch's results."""
import numpy as np
import pytest
import torch

import backchain.torch as bt

X = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)

PROGRAMS = [
    ("max_values", lambda T, x: x.max(0)[0]),
    ("max_indices", lambda T, x: x.max(0).indices),
    ("min_keepdim", lambda T, x: x.min(1, keepdim=True).values),
    ("torch_max_dim", lambda T, x: T.max(x, 1)[1]),
    ("view_size", lambda T, x: x.view(-1) * x.size(0)),
    ("numel_dim", lambda T, x: x.sum(dim=1, keepdim=True) / x.numel() + x.dim()),
    ("transpose_reshape", lambda T, x: x.transpose(0, 1).reshape(5, 4)[1]),
    ("softmax_std", lambda T, x: T.softmax(x, dim=-1).std(0)),
    ("split_by_size", lambda T, x: x.flatten().split(5)[1]),
    ("expand_permute", lambda T, x: x.unsqueeze(0).expand(2, 4, 5).permute(2, 0, 1).contiguous()),
    ("cat_mean", lambda T, x: T.cat([x, x * 2], dim=1).mean()),
    ("matmul_shared", lambda T, x: x @ T.ones(5, 2)),
    ("argmax_dim", lambda T, x: x.argmax(1)),
    ("argmax_all", lambda T, x: T.argmax(x)),
    ("argmin_keepdim", lambda T, x: x.argmin(0, keepdim=True)),
    ("masked_fill", lambda T, x: x.masked_fill(x > 0, 0.0)),
    ("clamp_min", lambda T, x: x.clamp(min=0)),
    ("clamp_both", lambda T, x: T.clamp(x, -0.5, 0.5)),
    ("isnan", lambda T, x: T.isnan(x)),
    ("all_dim", lambda T, x: (x > 0).all(1)),
    ("any", lambda T, x: T.any(x > 1)),
    ("count_nonzero", lambda T, x: T.count_nonzero(x > 0, dim=0)),
    ("logical_and", lambda T, x: T.logical_and(x > 0, x < 1)),
    ("gather", lambda T, x: x.gather(1, T.zeros(4, 2, dtype=T.long))),
    ("where", lambda T, x: T.where(x > 0, x, T.zeros_like(x))),
    ("eq_max", lambda T, x: (x == x.max()).float()),
    ("norm_dim", lambda T, x: x.norm(dim=1)),
    ("cumsum", lambda T, x: x.cumsum(1)),
    ("tril", lambda T, x: x.tril()),
    ("mm_t", lambda T, x: T.mm(x, x.t())),
    ("slice", lambda T, x: x[:, 1:3]),
]


@pytest.mark.parametrize("name, program", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_vmap_programs_match_torch_func(name, program):
    want = torch.func.vmap(lambda x: program(torch, x))(torch.tensor(X))
    got = bt.func.vmap(lambda x: program(bt, x))(bt.tensor(X))
    assert type(got) is bt.Tensor and repr(got.dtype) == repr(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.filterwarnings("error:vmap")  # every step batched: no loop over the examples
def test_per_example_gradients_of_a_module_match_torch_func():
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0, 2])
    grads = {}
    for T in (torch, bt):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(4, 8), T.nn.Tanh(), T.nn.Linear(8, 3))
        if T is bt:
            model.load_state_dict({k: bt.tensor(v) for k, v in state.items()})
        else:
            state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi):
            out = T.func.functional_call(model, p, (xi.unsqueeze(0),))
            return T.nn.functional.cross_entropy(out, yi.unsqueeze(0))

        g = T.func.vmap(T.func.grad(loss), in_dims=(None, 0, 0))(params, T.tensor(x), T.tensor(y))
        grads[T] = {k: v.detach().numpy() for k, v in g.items()}
    for k in grads[torch]:
        assert grads[bt][k].shape == grads[torch][k].shape == (6,) + tuple(state[k].shape)
        np.testing.assert_allclose(grads[bt][k], grads[torch][k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_max_inside_vmap_sends_the_gradient_to_the_index_returned():
    t = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], dtype=np.float32)
    g = {T: T.func.vmap(T.func.grad(lambda x: x.max(0)[0]))(T.tensor(t)).numpy() for T in (torch, bt)}
    np.testing.assert_array_equal(g[bt], g[torch])


def test_clamp_inside_vmap_keeps_the_gradient_at_the_bounds_as_torch():
    x = np.array([[-1.0, -0.5, 0.0, 0.5, 1.0], [0.5, 0.7, -0.5, 2.0, -3.0]], dtype=np.float32)
    g = {T: T.func.vmap(T.func.grad(lambda v: T.clamp(v, -0.5, 0.5).sum()))(T.tensor(x)).numpy() for T in (torch, bt)}
    np.testing.assert_array_equal(g[bt], g[torch])


def test_torch_helpers_that_read_values_refuse_inside_vmap_by_name():
    with pytest.raises(TypeError, match="vmap: a batched value"):
        bt.func.vmap(lambda x: x.sort(1).values)(bt.tensor(X))
