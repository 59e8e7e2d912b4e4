"""``optim.SparseAdam`` and ``optim.LBFGS(line_search_fn="strong_wolfe")`` step by step against PyTorch 2.13
(the same problem, the same initial values)."""
import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.torch as bt

T64 = torch.float64


# -- SparseAdam ------------------------------------------------------------------------------------

def _embedding_pair(V, D, dtype, padding_idx=None, seed=0):
    w0 = np.random.default_rng(seed).standard_normal((V, D)).astype(dtype)
    te = torch.nn.Embedding(V, D, sparse=True, padding_idx=padding_idx, dtype=torch.from_numpy(w0).dtype)
    with torch.no_grad():
        te.weight.copy_(torch.from_numpy(w0))
    be = bc.nn.Embedding(V, D, padding_idx=padding_idx, dtype=dtype)
    be.weight.data[...] = w0
    return te, be


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.05), dict(lr=0.1, betas=(0.5, 0.9), eps=1e-6),
                                    dict(lr=0.02, maximize=True)])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_sparse_adam_on_an_embedding_equals_torch(dtype, rtol, kwargs, padding_idx):
    V, D = 12, 5
    te, be = _embedding_pair(V, D, dtype, padding_idx)
    to, bo = torch.optim.SparseAdam(te.parameters(), **kwargs), bc.optim.SparseAdam(be.parameters(), **kwargs)
    rng = np.random.default_rng(1)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    for step in range(12):
        # every other step looks up only the first third of the rows (with repeats): the others stay put
        idx = rng.integers(0, V // 3 if step % 2 else V, (4, 3))
        target = rng.standard_normal((4, 3, D)).astype(dtype)
        to.zero_grad()
        lt = sign * ((te(torch.from_numpy(idx)) - torch.from_numpy(target)) ** 2).sum()
        lt.backward()
        to.step()
        bo.zero_grad()
        lb = sign * bnp.sum((be(idx) - target) ** 2)
        lb.backward()
        bo.step()
        np.testing.assert_allclose(lb.data, lt.item(), rtol=rtol * 10)
        np.testing.assert_allclose(be.weight.data, te.weight.detach().numpy(), rtol=rtol, atol=rtol)
        st, sb = to.state[te.weight], bo.state[be.weight]
        assert sb["step"] == st["step"] == step + 1
        np.testing.assert_allclose(sb["exp_avg"], st["exp_avg"].to_dense().numpy(), rtol=rtol, atol=rtol)
        np.testing.assert_allclose(sb["exp_avg_sq"], st["exp_avg_sq"].to_dense().numpy(), rtol=rtol, atol=rtol)


def test_sparse_adam_leaves_untouched_rows_and_their_moments_alone():
    emb = bc.nn.Embedding(6, 3, dtype=np.float64)
    opt = bc.optim.SparseAdam(emb.parameters(), lr=0.1)
    bnp.sum(emb(np.array([0, 1])) ** 2).backward()
    opt.step()
    m = opt.state[emb.weight]["exp_avg"].copy()
    w = emb.weight.data.copy()
    opt.zero_grad()
    bnp.sum(emb(np.array([4])) ** 2).backward()
    opt.step()
    # rows 0 and 1 keep their moments (Adam would decay them and move the rows)
    np.testing.assert_array_equal(opt.state[emb.weight]["exp_avg"][:2], m[:2])
    np.testing.assert_array_equal(emb.weight.data[[0, 1, 2, 3, 5]], w[[0, 1, 2, 3, 5]])
    assert (emb.weight.data[4] != w[4]).all()


def test_sparse_adam_with_torch_sparse_gradients_of_rows_and_entries():
    # the same gradients given to torch as sparse COO tensors of the nonzero rows (2-D) or entries (1-D)
    rng = np.random.default_rng(2)
    w0, v0 = rng.standard_normal((7, 3)), rng.standard_normal(9)
    tw, tv = torch.tensor(w0, requires_grad=True), torch.tensor(v0, requires_grad=True)
    bw, bv = bc.tensor(w0.copy(), requires_grad=True), bc.tensor(v0.copy(), requires_grad=True)
    to, bo = torch.optim.SparseAdam([tw, tv], lr=0.03), bc.optim.SparseAdam([bw, bv], lr=0.03)
    for step in range(6):
        gw = rng.standard_normal((7, 3)) * (rng.random((7, 1)) < 0.5)
        gv = rng.standard_normal(9) * (rng.random(9) < 0.5)
        rows, entries = np.flatnonzero(gw.any(1)), np.flatnonzero(gv)
        tw.grad = torch.sparse_coo_tensor(torch.tensor(rows[None]), torch.tensor(gw[rows]), (7, 3),
                                          check_invariants=True)
        tv.grad = torch.sparse_coo_tensor(torch.tensor(entries[None]), torch.tensor(gv[entries]), (9,),
                                          check_invariants=True)
        bw.grad, bv.grad = gw, gv
        to.step()
        bo.step()
        np.testing.assert_allclose(bw.data, tw.detach().numpy(), rtol=1e-13)
        np.testing.assert_allclose(bv.data, tv.detach().numpy(), rtol=1e-13)


def test_sparse_adam_for_embeddings_and_adam_for_the_rest_train_like_torch():
    V, D, H = 20, 4, 3
    te, be = _embedding_pair(V, D, np.float64, seed=3)
    tl = torch.nn.Linear(D, H, dtype=T64)
    bl = bc.nn.Linear(D, H, dtype=np.float64)
    bl.weight.data[...] = tl.weight.detach().numpy()
    bl.bias.data[...] = tl.bias.detach().numpy()
    t_opts = [torch.optim.SparseAdam(te.parameters(), lr=0.05), torch.optim.Adam(tl.parameters(), lr=0.05)]
    b_opts = [bc.optim.SparseAdam(be.parameters(), lr=0.05), bc.optim.Adam(bl.parameters(), lr=0.05)]
    rng = np.random.default_rng(4)
    for step in range(10):
        idx, y = rng.integers(0, V, (8, 2)), rng.integers(0, H, 8)
        for o in t_opts + b_opts:
            o.zero_grad()
        lt = torch.nn.functional.cross_entropy(tl(te(torch.from_numpy(idx)).mean(1)), torch.from_numpy(y))
        lt.backward()
        lb = bc.nn.functional.cross_entropy(bl(bnp.mean(be(idx), axis=1)), y)
        lb.backward()
        for o in t_opts + b_opts:
            o.step()
        np.testing.assert_allclose(lb.data, lt.item(), rtol=1e-12)
    np.testing.assert_allclose(be.weight.data, te.weight.detach().numpy(), rtol=1e-11)


def test_sparse_adam_in_the_torch_namespace():
    emb = bt.nn.Embedding(5, 2)
    opt = bt.optim.SparseAdam(list(emb.parameters()), lr=0.1)
    before = emb.weight.detach().clone()
    emb(bt.tensor([1, 1, 3])).sum().backward()
    opt.step()
    moved = (emb.weight.detach() != before).any(1)
    assert moved.tolist() == [False, True, False, True, False]
    assert opt.state_dict()["state"][0]["step"] == 1


def test_sparse_adam_state_dict_resumes_the_same_trajectory():
    rng = np.random.default_rng(5)
    batches = [rng.integers(0, 8, 5) for _ in range(6)]

    def train(emb, opt, steps):
        for idx in steps:
            opt.zero_grad()
            bnp.sum(emb(idx) ** 2).backward()
            opt.step()

    a = bc.nn.Embedding(8, 3, dtype=np.float64)
    b = bc.nn.Embedding(8, 3, dtype=np.float64)
    b.load_state_dict(a.state_dict())
    opt_a = bc.optim.SparseAdam(a.parameters(), lr=0.1)
    train(a, opt_a, batches)
    opt_b = bc.optim.SparseAdam(b.parameters(), lr=0.1)
    train(b, opt_b, batches[:3])
    saved = opt_b.state_dict()
    opt_c = bc.optim.SparseAdam(b.parameters(), lr=0.1)
    opt_c.load_state_dict(saved)
    train(b, opt_c, batches[3:])
    np.testing.assert_array_equal(b.weight.data, a.weight.data)
    assert opt_c.state[b.weight]["step"] == 6


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), "learning rate"), (dict(eps=0.0), "epsilon"), (dict(betas=(1.0, 0.9)), "beta parameter at index 0"),
    (dict(betas=(0.9, -0.1)), "beta parameter at index 1"),
])
def test_sparse_adam_errors_as_torch(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bc.optim.SparseAdam([bc.tensor([1.0], requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        torch.optim.SparseAdam([torch.tensor([1.0], requires_grad=True)], **kwargs)


# -- LBFGS with the strong-Wolfe line search ------------------------------------------------------

def _rosenbrock(x):
    return bnp.sum((1 - x[:-1]) ** 2) + 100 * bnp.sum((x[1:] - x[:-1] ** 2) ** 2)


def _rosenbrock_torch(x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _least_squares(seed):
    rng = np.random.default_rng(seed)
    A, y = rng.standard_normal((30, 6)), rng.standard_normal((30, 2))
    w0, b0 = rng.standard_normal((6, 2)), rng.standard_normal(2)
    return A, y, [w0, b0]


def _run(lib, params0, loss_fn, steps, **kwargs):
    """The iterates after each ``step`` and the closure evaluations, in ``lib`` (torch or backchain)."""
    if lib == "torch":
        params = [torch.tensor(p, requires_grad=True) for p in params0]
        opt = torch.optim.LBFGS(params, **kwargs)
    else:
        params = [bc.tensor(p.copy(), requires_grad=True) for p in params0]
        opt = bc.optim.LBFGS(params, **kwargs)
    calls = [0]

    def closure():
        opt.zero_grad()
        loss = loss_fn(*params)
        loss.backward()
        calls[0] += 1
        return loss

    iterates, losses = [], []
    for _ in range(steps):
        loss = opt.step(closure)
        losses.append(float(loss.detach() if lib == "torch" else loss.data))
        iterates.append(np.concatenate([np.asarray(p.detach().numpy() if lib == "torch" else p.data).ravel()
                                        for p in params]))
    state = opt.state[opt.param_groups[0]["params"][0]]
    return np.array(iterates), losses, calls[0], state["func_evals"], state["n_iter"]


PROBLEMS = {
    "rosenbrock2": ([np.array([-1.5, 2.0])], _rosenbrock, _rosenbrock_torch),
    "rosenbrock6": ([np.array([-1.2, 1.0, -0.5, 0.3, 1.5, -1.0])], _rosenbrock, _rosenbrock_torch),
    "least_squares": (_least_squares(0)[2],
                      lambda w, b: bnp.mean((bnp.asarray(_least_squares(0)[0]) @ w + b - _least_squares(0)[1]) ** 2),
                      lambda w, b: ((torch.tensor(_least_squares(0)[0]) @ w + b
                                     - torch.tensor(_least_squares(0)[1])) ** 2).mean()),
}


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("kwargs", [dict(), dict(lr=1.0, max_iter=5), dict(lr=0.5, history_size=3),
                                    dict(lr=5.0, max_iter=4, max_eval=6), dict(lr=2.0, max_iter=6, max_eval=9),
                                    dict(max_iter=50, tolerance_grad=1e-5)])
def test_strong_wolfe_iterates_and_evaluations_equal_torch(problem, kwargs):
    params0, ours, theirs = PROBLEMS[problem]
    kwargs = dict(kwargs, line_search_fn="strong_wolfe")
    it_t, loss_t, calls_t, evals_t, n_t = _run("torch", params0, theirs, 6, **kwargs)
    it_b, loss_b, calls_b, evals_b, n_b = _run("bc", params0, ours, 6, **kwargs)
    np.testing.assert_allclose(it_b, it_t, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(loss_b, loss_t, rtol=1e-6, atol=1e-12)
    assert (calls_b, evals_b, n_b) == (calls_t, evals_t, n_t)


def test_strong_wolfe_solves_rosenbrock():
    it, losses, calls, evals, _ = _run("bc", [np.array([-1.5, 2.0])], _rosenbrock, 10, line_search_fn="strong_wolfe",
                                       max_iter=100)
    np.testing.assert_allclose(it[-1], [1.0, 1.0], atol=1e-5)
    assert losses[-1] < 1e-9
    # the fixed step (the default) is far from it after as many evaluations
    it_fixed = _run("bc", [np.array([-1.5, 2.0])], _rosenbrock, 10, lr=0.01, max_iter=100)[0]
    assert np.abs(it_fixed[-1] - 1).max() > 1e-3


def test_strong_wolfe_float32_follows_torch():
    params0 = [np.array([-1.2, 1.0, 0.8], dtype=np.float32)]
    it_t = _run("torch", params0, _rosenbrock_torch, 3, line_search_fn="strong_wolfe", max_iter=10)[0]
    it_b = _run("bc", params0, _rosenbrock, 3, line_search_fn="strong_wolfe", max_iter=10)[0]
    assert it_b.dtype == np.float32
    # PyTorch's line search computes in float32 0-d tensors, backchain's in float32 and float64 scalars:
    # rounding apart, the same steps
    np.testing.assert_allclose(it_b[:2], it_t[:2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(it_b, it_t, rtol=5e-3, atol=1e-3)


def test_line_search_steps_meet_the_strong_wolfe_conditions():
    from backchain.optim.lbfgs import _strong_wolfe

    def f_and_g(x):
        return float(_rosenbrock(x)), bc.grad(_rosenbrock)(x)

    x = np.array([-1.2, 1.0])
    f, g = f_and_g(x)
    d = -g / np.abs(g).sum()
    gtd = g.dot(d)
    f_new, g_new, t, evals = _strong_wolfe(lambda t: f_and_g(x + t * d), d, 1.0, f, g, gtd)
    assert f_new <= f + 1e-4 * t * gtd
    assert abs(g_new.dot(d)) <= 0.9 * abs(gtd)
    np.testing.assert_allclose((f_new, *g_new), (f_and_g(x + t * d)[0], *f_and_g(x + t * d)[1]))
    assert 1 <= evals <= 26


def test_lbfgs_in_the_torch_namespace_and_errors():
    x = bt.tensor([-1.5, 2.0], dtype=bt.float64, requires_grad=True)
    opt = bt.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=100)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock_torch(x)
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-5)
    with pytest.raises(ValueError, match="only 'strong_wolfe'"):
        bc.optim.LBFGS([bc.tensor([1.0], requires_grad=True)], line_search_fn="backtracking")
