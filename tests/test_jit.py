"""bc.jit: tracing, replay, guards, signatures, errors and the printed program.

Values are compared with the eager calls (bit for bit where the replay runs the same NumPy calls),
with ``jax.jit`` and with finite differences in float64."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.nn.functional as F
from backchain.jit import JitError, Program, RetraceWarning, SideEffectWarning
from benchmarks.workloads.w2_chain import _chain


def numerical_grad(f, x, eps=1e-6):
    """Central differences of the scalar function ``f`` at ``x`` (float64)."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def chain(np_, n=40):
    """W2's chain of sin, scale, shift and tanh (benchmarks/workloads/w2_chain.py), summed."""
    return _chain(np_, n)


def mlp_loss(params, x, y):
    W1, b1, W2, b2 = params
    h = F.relu(x @ W1 + b1)
    return F.cross_entropy(h @ W2 + b2, y)


def mlp_data(seed, batch=8):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal((20, 16)).astype(np.float32) * 0.3, np.zeros(16, np.float32),
              rng.standard_normal((16, 10)).astype(np.float32) * 0.3, np.zeros(10, np.float32)]
    return params, rng.standard_normal((batch, 20)).astype(np.float32), rng.integers(0, 10, batch)


# -- values ------------------------------------------------------------------------------

def test_grad_of_chain_equals_eager_bit_for_bit_on_new_values():
    g = bc.grad(chain(bnp))
    jg = bc.jit(g, fuse=None)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal(16)
        np.testing.assert_array_equal(jg(x), g(x))
    assert jg.traces == 1


def test_grad_of_chain_matches_jax_and_finite_differences():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    x = np.random.default_rng(1).standard_normal(16)
    jg = bc.jit(bc.grad(chain(bnp)), fuse=None)
    jg(x + 1.0)  # traced on other values: x is a replay
    got = jg(x)
    np.testing.assert_allclose(got, np.asarray(jax.jit(jax.grad(chain(jnp)))(x)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got, numerical_grad(chain(np), x), rtol=1e-6, atol=1e-8)


def test_value_and_grad_of_an_mlp_keeps_float32_and_equals_eager():
    vg = bc.value_and_grad(mlp_loss)
    jvg = bc.jit(vg)
    for seed in range(3):
        params, x, y = mlp_data(seed)
        (v, gs), (v2, gs2) = jvg(params, x, y), vg(params, x, y)
        assert np.asarray(v).dtype == np.float32 and v == v2
        for a, b in zip(gs, gs2):
            assert a.dtype == np.float32
            np.testing.assert_array_equal(a, b)
    assert jvg.traces == 1


def test_mlp_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    params, x, y = mlp_data(5)
    jg = bc.jit(bc.grad(mlp_loss))
    jg(*mlp_data(6))
    got = jg(params, x, y)
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    h = torch.relu(torch.tensor(x) @ tp[0] + tp[1])
    torch.nn.functional.cross_entropy(h @ tp[2] + tp[3], torch.tensor(y)).backward()
    for a, b in zip(got, tp):
        np.testing.assert_allclose(a, b.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_backward_inside_the_function():
    def step(w, x):
        w = bc.tensor(w, requires_grad=True)
        loss = bnp.sum(bnp.tanh(x @ w) ** 2)
        loss.backward()
        return loss, w.grad

    js = bc.jit(step)
    rng = np.random.default_rng(2)
    w = rng.standard_normal(3)
    for _ in range(3):
        x = rng.standard_normal((5, 3))
        (l1, g1), (l2, g2) = js(w, x), step(w, x)
        assert float(l1) == float(l2)
        np.testing.assert_array_equal(g1, g2)
        np.testing.assert_allclose(g1, numerical_grad(lambda v: np.sum(np.tanh(x @ v) ** 2), w), rtol=1e-6)
    assert js.traces == 1


def test_relu_mask_follows_the_inputs():
    # relu's derivative is a mask computed from the input: the program computes it again on replay
    jg = bc.jit(bc.grad(lambda x: bnp.sum(F.relu(x) * 3.0)))
    np.testing.assert_array_equal(jg(np.array([1.0, -1.0, 2.0])), [3.0, 0.0, 3.0])
    np.testing.assert_array_equal(jg(np.array([-1.0, 1.0, -2.0])), [0.0, 3.0, 0.0])


def test_pytrees_kwargs_and_tensors():
    def f(p, scale=None):
        return {"out": p["w"] * scale + p["b"], "n": bnp.sum(p["w"])}

    jf = bc.jit(f)
    p = {"w": np.arange(3.0), "b": np.ones(3)}
    for s in (np.array(2.0), np.array(3.0)):
        got, want = jf(p, scale=s), f(p, scale=s)
        np.testing.assert_array_equal(got["out"], want["out"])
        assert got["n"] == want["n"]
    out = bc.jit(lambda t: t * 2)(bc.tensor([1.0, 2.0]))
    assert isinstance(out, bc.Tensor) and out.tolist() == [2.0, 4.0]


def test_composition_with_transforms_in_every_order():
    f = chain(bnp, 8)
    x = np.random.default_rng(3).standard_normal(4)
    jf = bc.jit(f, fuse=None)
    np.testing.assert_array_equal(bc.grad(jf)(x), bc.grad(f)(x))          # grad of jit: traced through
    np.testing.assert_array_equal(bc.jit(bc.grad(jf), fuse=None)(x), bc.grad(f)(x))  # jit in jit: inlined
    t = np.ones(4)
    out, tan = bc.jit(lambda x, t: bc.jvp(f, (x,), (t,)))(x, t)
    out2, tan2 = bc.jvp(f, (x,), (t,))
    assert out == out2
    np.testing.assert_allclose(tan, tan2, rtol=1e-14)
    h = bc.jit(bc.hessian(lambda x: bnp.sum(bnp.sin(x) * x)))
    np.testing.assert_allclose(h(x), bc.hessian(lambda x: bnp.sum(bnp.sin(x) * x))(x), rtol=1e-13)
    np.testing.assert_allclose(h(x + 1), bc.hessian(lambda x: bnp.sum(bnp.sin(x) * x))(x + 1), rtol=1e-13)
    ck = bc.jit(bc.grad(lambda x: bnp.sum(bc.checkpoint(lambda y: bnp.tanh(y) * y)(x))))
    for v in (x, x * 2):
        np.testing.assert_allclose(ck(v), bc.grad(lambda x: bnp.sum(bnp.tanh(x) * x))(v), rtol=1e-14)


def test_custom_vjp_inside_jit():
    @bc.custom_vjp
    def clip_grad(x):
        return x * 1.0

    clip_grad.defvjp(lambda x: (x * 1.0, None), lambda res, g: (bnp.clip(g, -1.0, 1.0),))
    jg = bc.jit(bc.grad(lambda x: bnp.sum(clip_grad(x) * x * 4.0)))
    for x in (np.array([0.1, 2.0]), np.array([-3.0, 0.05])):
        np.testing.assert_array_equal(jg(x), bc.grad(lambda x: bnp.sum(clip_grad(x) * x * 4.0))(x))


# -- guards -------------------------------------------------------------------------------

def branchy(x):
    if x.sum() > 0:
        return bnp.sin(x) * 2
    return bnp.cos(x) - 1


def test_guards_retrace_on_both_branches_and_cache_the_paths():
    jf = bc.jit(branchy)
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
    for x in (pos, neg, pos, neg, pos * 3, neg * 3):
        np.testing.assert_array_equal(jf(x), branchy(x))
    assert jf.traces == 2  # one program per path; later calls replay the right one
    text = str(jf.lower(neg))
    assert "guard bool(" in text and "== False" in text and "cos" in text and "sin" not in text


def test_float_item_and_int_are_guards():
    def f(x):
        n = int(x[0])           # the loop length depends on the value
        y = x
        for _ in range(n):
            y = y * 2.0
        return y + x.sum().item()

    jf = bc.jit(f)
    for v in ([2.0, 1.0], [3.0, 1.0], [2.0, 5.0]):
        x = np.array(v)
        np.testing.assert_array_equal(jf(x), f(x))
    assert jf.traces == 3


def test_a_guard_on_a_comparison_array_read_with_numpy():
    def f(x):
        mask = x > 0
        if mask.all():
            return x * 1.0
        return bnp.where(mask, x, 0.0)

    jf = bc.jit(f)
    for v in ([1.0, 2.0], [1.0, -2.0], [-1.0, 3.0], [4.0, 5.0]):
        np.testing.assert_array_equal(jf(np.array(v)), f(np.array(v)))
    assert jf.traces == 2


def test_data_read_outside_the_engine_is_recorded():
    def f(x):
        shift = x.data.max()          # NumPy on the array read out of the tensor
        return bnp.exp(x - shift)

    jf = bc.jit(f)
    for v in ([1.0, 2.0], [5.0, -1.0]):
        np.testing.assert_array_equal(jf(np.array(v)), f(bc.tensor(np.array(v))).data)
    assert jf.traces == 1


def test_new_shape_dtype_or_python_number_retraces():
    jf = bc.jit(lambda x, k: x * k)
    np.testing.assert_array_equal(jf(np.ones(3), 2.0), [2.0] * 3)
    np.testing.assert_array_equal(jf(np.ones(1), 2.0), [2.0])        # never broadcast into (3,)
    np.testing.assert_array_equal(jf(np.ones(3), 5.0), [5.0] * 3)    # Python numbers are static
    out = jf(np.ones(3, np.float32), 2.0)
    assert out.dtype == np.float32
    assert jf.traces == 4


def test_retracing_warns_naming_the_argument():
    jf = bc.jit(lambda x: x * 2)
    with pytest.warns(RetraceWarning, match=r"argument 'x'.*shape"):
        for n in range(1, 12):
            jf(np.ones(n))


def test_the_cache_of_paths_is_bounded():
    from backchain.jit import _api

    jf = bc.jit(lambda x: x * float(x[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetraceWarning)
        for i in range(3 * _api.MAX_PATHS):
            np.testing.assert_array_equal(jf(np.array([float(i), 1.0])), [float(i) ** 2, float(i)])
    (paths,) = jf._cache.values()
    assert len(paths) == _api.MAX_PATHS


def test_side_effects_happen_while_tracing_only():
    seen = []

    def f(x):
        seen.append(1)
        return x + 1

    jf = bc.jit(f)
    for _ in range(3):
        jf(np.zeros(2))
    assert seen == [1]


# -- static arguments and errors -----------------------------------------------------------

def test_static_arguments():
    def f(x, n, *, mode):
        y = x
        for _ in range(n):
            y = bnp.tanh(y) if mode == "tanh" else bnp.sin(y)
        return y

    jf = bc.jit(f, static_argnums=1, static_argnames="mode")
    x = np.array([0.3, 0.5])
    for n, mode in ((2, "tanh"), (3, "sin"), (2, "tanh")):
        np.testing.assert_array_equal(jf(x, n, mode=mode), f(x, n, mode=mode))
    assert jf.traces == 2


def test_unhashable_static_argument_names_function_and_argument():
    def f(x, sizes):
        return x * len(sizes)

    with pytest.raises(JitError, match=r"jit\(.*f\): static argument 'sizes' \(position 1\) is a list"):
        bc.jit(f, static_argnums=1)(np.ones(2), [1, 2])


def test_unhashable_argument_leaf():
    with pytest.raises(JitError, match=r"argument 'opts' \(position 1\) is a set"):
        bc.jit(lambda x, opts: x)(np.ones(2), {1, 2})


def test_empty_program():
    from backchain.jit import EmptyProgramWarning

    def constant(x):
        return np.ones(3)

    with pytest.warns(EmptyProgramWarning, match=r"jit\(.*constant\): the traced program is empty.*'x'"):
        bc.jit(constant)(np.ones(3))
    # a constant derivative is a legitimate empty program: its value is replayed
    g = bc.jit(bc.grad(lambda x: bnp.sum(x * 3.0)))
    with pytest.warns(EmptyProgramWarning):
        np.testing.assert_array_equal(g(np.ones(2)), [3.0, 3.0])
    np.testing.assert_array_equal(g(np.zeros(2)), [3.0, 3.0])


def test_in_place_update_of_a_traced_value():
    def f(x):
        y = x * 2
        y += 1
        return y

    with pytest.raises(JitError, match="modified in place"):
        bc.jit(f)(np.ones(2))


def test_numpy_conversion_of_a_traced_input_is_refused():
    with pytest.raises(TypeError, match="requires grad"):
        bc.jit(lambda x: np.asarray(x).sum())(np.ones(2))


# -- the program -------------------------------------------------------------------------

def test_lower_prints_one_line_per_call():
    prog = bc.jit(lambda x, w: bnp.tanh(x @ w)).lower(np.ones((2, 3), np.float32), np.ones((3, 4), np.float32))
    assert isinstance(prog, Program) and len(prog) == 2
    lines = str(prog).splitlines()
    assert lines[0] == "{ lambda %0:f32[2,3], %1:f32[3,4] ."
    assert lines[1].split() == ["%2:f32[2,4]", "=", "matmul", "%0", "%1"]
    assert lines[2].split() == ["%3:f32[2,4]", "=", "tanh", "%2"]
    assert lines[-1].strip() == "in (%3) }"


def test_dead_calls_are_dropped():
    def f(x):
        unused = bnp.exp(x) * 3  # noqa: F841
        return bnp.sin(x)

    prog = bc.jit(f).lower(np.ones(2))
    assert [c.name for c in prog.calls] == ["sin"]


def test_outputs_are_not_overwritten_by_the_next_replay():
    jf = bc.jit(lambda x: (bnp.exp(x) + 1).reshape(2, 2))
    a = jf(np.zeros(4))
    b = jf(np.ones(4))
    np.testing.assert_array_equal(a, np.full((2, 2), 2.0))
    np.testing.assert_array_equal(b, np.exp(np.ones((2, 2))) + 1)


def test_torch_jit_trace_compiles_functions_and_keeps_torch_tensors():
    import backchain.torch as torch

    traced = torch.jit.trace(lambda x: (x * 2).sum(dim=0), torch.ones(2, 3))
    out = traced(torch.full((2, 3), 3.0))
    assert type(out) is torch.Tensor and out.tolist() == [12.0, 12.0, 12.0]
    model = torch.nn.Linear(2, 2)
    assert torch.jit.trace(model, torch.ones(1, 2)) is model and torch.jit.script(model) is model


def test_the_program_draws_as_a_graph():
    prog = bc.jit(lambda x: bnp.sin(x) * 2 if x.sum() > 0 else x).lower(np.ones(3))
    g = prog.graph()
    kinds = sorted(kind for kind, _ in g.nodes.values())
    assert kinds == ["input", "kink", "op", "op", "op", "op", "output"]  # sum, greater, sin, multiply; a guard
    labels = {label: n for n, (_, label) in g.nodes.items()}
    assert (labels["%0: f64[3]"], labels["%3 = sin\nf64[3]"]) in g.edges
    assert g.source.startswith("digraph backchain {")


TRACE_LOG = []


def test_a_changed_global_warns():
    from backchain.jit import SideEffectWarning

    def f(x):
        TRACE_LOG.append(x.shape)
        return x + 1

    with pytest.warns(SideEffectWarning, match="TRACE_LOG"):
        bc.jit(f)(np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bc.jit(lambda x: x + 1)(np.ones(2))  # nothing changed: no warning


def test_other_threads_are_not_recorded_while_tracing():
    import threading

    started, release = threading.Event(), threading.Event()
    results = {}

    def other():
        w = bc.tensor([1.0, 2.0], requires_grad=True)
        started.set()
        release.wait(5)
        y = bnp.sum(bnp.exp(w) * 3.0)   # runs while the main thread traces
        y.backward()
        results["grad"] = w.grad

    def f(x):
        release.set()
        t.join(5)                        # the other thread computes inside this trace
        return bnp.sin(x)

    t = threading.Thread(target=other)
    t.start()
    started.wait(5)
    jf = bc.jit(f)
    jf(np.ones(2))
    np.testing.assert_allclose(results["grad"], 3.0 * np.exp([1.0, 2.0]))
    assert [c.name for c in jf.lower(np.ones(2)).calls] == ["sin"]


def test_composition_with_vmap_and_batched_jacobians_replays_on_new_values():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 4))
    f = lambda x: bnp.sin(x) * x  # noqa: E731
    g = bc.grad(lambda x: bnp.sum(bnp.sin(x) * x))
    for compiled, plain in ((bc.jit(bc.vmap(f)), lambda v: f(v)), (bc.jit(bc.vmap(g)), g),
                            (bc.vmap(bc.jit(g)), g)):
        for v in (X, X + 1, X * 3):  # a replay on new values, never the traced ones
            np.testing.assert_array_equal(compiled(v), plain(v))
    x = X[0]
    J = bc.jacobian(lambda x: bnp.tanh(x) * x[0])
    for mode in ("rev", "fwd"):
        jj = bc.jit(bc.jacobian(lambda x: bnp.tanh(x) * x[0], mode=mode))
        for v in (x, x + 1, x - 2):
            np.testing.assert_allclose(jj(v), J(v), rtol=1e-14, atol=1e-15)


def test_a_draw_from_a_global_random_state_while_tracing_warns():
    import random

    for draw in (lambda x: x * np.random.rand(3), lambda x: x * random.random()):
        with pytest.warns(SideEffectWarning, match="global random state"):
            bc.jit(draw)(np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bc.jit(lambda x: x * 2)(np.ones(3))  # no draw, no warning


def test_a_replay_whose_values_overflow_masks_the_untaken_branch_as_eager_does():
    # traced where every local derivative is finite, replayed where exp overflows in the branch not taken:
    # eager's safe product gives 0 there, and so must the program (it used to replay 0 * inf = NaN)
    f = lambda x: bnp.sum(bnp.where(x < 50, bnp.exp(x), 0.0))  # noqa: E731
    for transform in (bc.grad, bc.hessian):
        compiled = bc.jit(transform(f))
        with np.errstate(over="ignore"):
            compiled(np.array([1.0, 2.0]))
            for x in (np.array([1.0, 800.0]), np.array([900.0, 3.0])):
                got, want = compiled(x), transform(f)(x)
                assert np.isfinite(got).all()
                np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("fuse", [None, "exact"])
@pytest.mark.parametrize("batch", [3, 5, 7, 8])
def test_a_cross_entropy_step_equals_eager_bit_for_bit_at_any_batch(fuse, batch):
    """The traced step takes the rule's composite route, the eager one its in-place route: the two
    compute the same operations (1/batch is rarely exact, so (p - onehot) * c would differ)."""
    import backchain.nn as nn

    def run(jit):
        bc.manual_seed(0)
        rng = np.random.default_rng(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4))
        opt = bc.optim.SGD(model.parameters(), lr=0.1)
        x, y = rng.standard_normal((batch, 5)).astype(np.float32), rng.integers(0, 4, batch)

        def step():
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        f = bc.jit(step, fuse=fuse) if jit else step
        for _ in range(3):
            f()
        return [p._data.copy() for p in model.parameters()]

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)
