"""``bc.vmap``: semantics (in_axes, out_axes, containers, nesting, errors) against looping over the
examples and against ``jax.vmap``, and its composition with the derivative transforms."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):  # JAX in float64 inside these tests only
        yield


jax = pytest.importorskip("jax")
jnp = jax.numpy

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))
W = RNG.normal(size=(3, 5))


def stacked(f, *args, in_axes=0):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]) for i in range(n)]
    return np.stack([np.asarray(o) for o in outs])


# -- semantics ----------------------------------------------------------------------------------

def test_elementwise_and_reduction_match_a_loop():
    f = lambda x: bnp.sum(bnp.tanh(x) * bnp.exp(-x)) / bnp.max(x)  # noqa: E731
    np.testing.assert_allclose(bc.vmap(f)(X), stacked(f, X), rtol=1e-13)


def test_in_axes_none_broadcasts_an_argument():
    f = lambda x, w: bnp.tanh(x @ w)  # noqa: E731
    out = bc.vmap(f, in_axes=(0, None))(X, W)
    np.testing.assert_allclose(out, stacked(f, X, W, in_axes=(0, None)), rtol=1e-13)
    ref = jax.vmap(lambda x, w: jnp.tanh(x @ w), in_axes=(0, None))(X, W)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-12)


def test_negative_in_axes_and_out_axes_as_jax():
    f = lambda x: x * bnp.sum(x)  # noqa: E731
    out = bc.vmap(f, in_axes=-1, out_axes=1)(X)
    ref = jax.vmap(lambda x: x * jnp.sum(x), in_axes=-1, out_axes=1)(X)
    assert out.shape == ref.shape == (4, 3)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-13)


def test_out_axes_none_for_an_unbatched_result():
    value, same = bc.vmap(lambda x: (x * 2, bnp.ones(2)), out_axes=(0, None))(X)
    np.testing.assert_allclose(value, X * 2)
    np.testing.assert_array_equal(same, np.ones(2))


def test_unbatched_outputs_are_broadcast_along_the_batch():
    out = bc.vmap(lambda x: 3.0)(X)
    np.testing.assert_array_equal(out, np.full(4, 3.0))


def test_containers_in_and_out():
    params = {"w": W, "b": np.arange(5.0)}

    def f(p, xs):
        return {"y": bnp.tanh(xs[0] @ p["w"] + p["b"]), "s": [bnp.sum(xs[1])]}

    out = bc.vmap(f, in_axes=({"w": None, "b": None}, [0, 1]))(params, [X, X.T])
    ref = jax.vmap(lambda p, xs: {"y": jnp.tanh(xs[0] @ p["w"] + p["b"]), "s": [jnp.sum(xs[1])]},
                   in_axes=({"w": None, "b": None}, [0, 1]))(params, [X, X.T])
    np.testing.assert_allclose(out["y"], np.asarray(ref["y"]), rtol=1e-12)
    np.testing.assert_allclose(out["s"][0], np.asarray(ref["s"][0]), rtol=1e-12)


def test_nested_vmap_is_a_double_loop():
    A = RNG.normal(size=(2, 4, 3))
    B = RNG.normal(size=(5, 3))
    f = lambda a, b: bnp.dot(a, b) * bnp.sum(a)  # noqa: E731
    out = bc.vmap(bc.vmap(f, in_axes=(None, 0)), in_axes=(0, None))(A[:, 0], B)
    ref = np.array([[f(a, b) for b in B] for a in A[:, 0]])
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    out3 = bc.vmap(bc.vmap(lambda x: bnp.sum(x ** 2)))(A)
    np.testing.assert_allclose(out3, (A ** 2).sum(-1), rtol=1e-13)


def test_nested_vmap_over_the_same_argument_axes():
    A = RNG.normal(size=(2, 3, 4))
    out = bc.vmap(bc.vmap(lambda x: x / bnp.sum(x), in_axes=1), in_axes=2)(A)
    ref = jax.vmap(jax.vmap(lambda x: x / jnp.sum(x), in_axes=1), in_axes=2)(A)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-13)


def test_axis_size_with_no_mapped_argument():
    out = bc.vmap(lambda w: w * 2, in_axes=None, axis_size=3)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, np.array([[2.0, 4.0]] * 3))


def test_keyword_arguments_are_mapped_over_axis_0():
    out = bc.vmap(lambda x, scale=1.0: x * scale)(X, scale=np.arange(4.0))
    np.testing.assert_allclose(out, X * np.arange(4.0)[:, None])


def test_tensor_arguments_keep_the_graph():
    x = bc.tensor(X, requires_grad=True)
    y = bc.vmap(lambda v: bnp.sum(bnp.sin(v)))(x)
    bnp.sum(y).backward()
    np.testing.assert_allclose(x.grad, np.cos(X), rtol=1e-13)


# -- errors -------------------------------------------------------------------------------------

def test_mismatched_batch_sizes_name_the_arguments():
    def f(x, y):
        return x + y

    with pytest.raises(ValueError, match=r"different sizes \(size 4: argument 0 \(x\).*size 3: argument 1 \(y\)"):
        bc.vmap(f)(X, np.ones((3, 3)))


def test_in_axes_out_of_range_names_the_argument_and_shape():
    with pytest.raises(ValueError, match=r"axis 2 for argument 0 \(x\), of shape \(4, 3\)"):
        bc.vmap(lambda x: x, in_axes=2)(X)


def test_scalar_cannot_be_mapped():
    with pytest.raises(ValueError, match="scalar cannot be mapped"):
        bc.vmap(lambda x, s: x * s)(X, 2.0)


def test_in_axes_length_must_match_the_arguments():
    with pytest.raises(ValueError, match="in_axes has 1 entries but the function was called with 2"):
        bc.vmap(lambda x, y: x, in_axes=(0,))(X, X)


def test_no_mapped_argument_needs_axis_size():
    with pytest.raises(ValueError, match="axis_size"):
        bc.vmap(lambda x: x, in_axes=None)(X)


def test_out_axes_none_for_a_batched_result_raises():
    with pytest.raises(ValueError, match="out_axes is None"):
        bc.vmap(lambda x: x, out_axes=None)(X)


def test_python_control_flow_on_a_batched_value_raises():
    with pytest.raises(TypeError, match="cannot become a plain NumPy array or Python number inside vmap"):
        bc.vmap(lambda x: x if bnp.sum(x) > 0 else -x)(X)


def test_bad_in_axes_type():
    with pytest.raises(TypeError, match="in_axes must be an int, None"):
        bc.vmap(lambda x: x, in_axes="0")


def test_no_hook_left_behind():
    from backchain._core import primitive

    with pytest.raises(ValueError):
        bc.vmap(lambda x, y: x + y)(X, np.ones((2, 3)))
    bc.vmap(lambda x: x)(X)
    assert primitive._batch_hook is None


# -- non-differentiable functions on batched values ---------------------------------------------

def test_comparisons_where_argmax_and_constants():
    def f(x):
        m = x > 0
        return bnp.where(m, x, bnp.zeros_like(x)) + bnp.argmax(x) + bnp.isnan(x)

    np.testing.assert_allclose(bc.vmap(f)(X), stacked(f, X))


# -- the fallback loop --------------------------------------------------------------------------

def test_row_without_rule_loops_and_warns_once():
    from backchain._vmap import batched
    from backchain.scipy.integrate import odeint

    batched._WARNED.discard("scipy.integrate.odeint")
    t = np.array([0.0, 0.5, 1.0])

    def f(k):  # LSODA's adaptive steps belong to one system: the row solves one example at a time
        return odeint(lambda y, t, k: -k * y, np.array([1.0, 2.0]), t, (k,), rtol=1e-10, atol=1e-10)

    K = np.array([0.5, 1.0, 2.0])
    with pytest.warns(batched.BatchingWarning, match="'scipy.integrate.odeint' has no batching rule"):
        out = bc.vmap(f)(K)
    np.testing.assert_allclose(out, stacked(f, K), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bc.vmap(f)(K)  # once only


# -- composition with derivatives -----------------------------------------------------------

def _loss(w, x, y):
    h = bnp.tanh(x @ w["W1"] + w["b1"])
    return bnp.sum((h @ w["W2"] - y) ** 2) + 0.1 * bnp.sum(w["W1"] ** 2)


def _jloss(w, x, y):
    h = jnp.tanh(x @ w["W1"] + w["b1"])
    return jnp.sum((h @ w["W2"] - y) ** 2) + 0.1 * jnp.sum(w["W1"] ** 2)


PARAMS = {"W1": RNG.normal(size=(3, 4)), "b1": RNG.normal(size=4), "W2": RNG.normal(size=(4, 2))}
Y = RNG.normal(size=(4, 2))


def test_vmap_of_grad_is_per_example_gradients_as_jax():
    got = bc.vmap(bc.grad(_loss), in_axes=(None, 0, 0))(PARAMS, X, Y)
    ref = jax.vmap(jax.grad(_jloss), in_axes=(None, 0, 0))(PARAMS, X, Y)
    for k in PARAMS:
        assert got[k].shape == (4,) + PARAMS[k].shape
        np.testing.assert_allclose(got[k], np.asarray(ref[k]), rtol=1e-12)


def test_vmap_of_grad_as_torch_func():
    torch = pytest.importorskip("torch")
    from torch.func import grad as tgrad, vmap as tvmap

    def tloss(w, x, y):
        h = torch.tanh(x @ w["W1"] + w["b1"])
        return torch.sum((h @ w["W2"] - y) ** 2) + 0.1 * torch.sum(w["W1"] ** 2)

    tp = {k: torch.tensor(v) for k, v in PARAMS.items()}
    ref = tvmap(tgrad(tloss), in_dims=(None, 0, 0))(tp, torch.tensor(X), torch.tensor(Y))
    got = bc.vmap(bc.grad(_loss), in_axes=(None, 0, 0))(PARAMS, X, Y)
    for k in PARAMS:
        np.testing.assert_allclose(got[k], ref[k].numpy(), rtol=1e-12)


def test_vmap_of_grad_closing_over_the_batch():
    def per_example(x, y):
        return bc.grad(lambda w: _loss(w, x, y))(PARAMS)

    got = bc.vmap(per_example)(X, Y)
    ref = jax.vmap(lambda x, y: jax.grad(lambda w: _jloss(w, x, y))(PARAMS))(X, Y)
    for k in PARAMS:
        np.testing.assert_allclose(got[k], np.asarray(ref[k]), rtol=1e-12)


def test_grad_of_vmap_sums_the_examples():
    def total(w):
        return bnp.sum(bc.vmap(_loss, in_axes=(None, 0, 0))(w, X, Y))

    got = bc.grad(total)(PARAMS)
    ref = jax.grad(lambda w: jnp.sum(jax.vmap(_jloss, in_axes=(None, 0, 0))(w, X, Y)))(PARAMS)
    for k in PARAMS:
        np.testing.assert_allclose(got[k], np.asarray(ref[k]), rtol=1e-12)


def test_grad_of_vmap_against_finite_differences():
    from tests.gradcheck import check_first_order

    f = lambda w, x: bc.vmap(lambda xi: bnp.sin(xi @ w) * bnp.sum(xi ** 2), in_axes=0)(x)  # noqa: E731
    check_first_order(f, [W, X], np.random.default_rng(0), 1e-6, 1e-8, 1e-6, None)


def test_value_and_grad_and_aux_inside_vmap():
    def f(x):
        return bnp.sum(x ** 3), x * 2

    (v, aux), g = bc.vmap(bc.value_and_grad(f, has_aux=True))(X)
    np.testing.assert_allclose(v, (X ** 3).sum(1))
    np.testing.assert_allclose(aux, X * 2)
    np.testing.assert_allclose(g, 3 * X ** 2)


def test_vmap_of_vjp_and_jvp():
    out, t = bc.vmap(lambda x, v: bc.jvp(lambda z: bnp.sin(z) * bnp.sum(z), (x,), (v,)))(X, X * 0.5)
    ref_o, ref_t = jax.vmap(lambda x, v: jax.jvp(lambda z: jnp.sin(z) * jnp.sum(z), (x,), (v,)))(X, X * 0.5)
    np.testing.assert_allclose(out, np.asarray(ref_o), rtol=1e-13)
    np.testing.assert_allclose(t, np.asarray(ref_t), rtol=1e-12)

    def pull(x, c):
        _, fn = bc.vjp(lambda z: bnp.tanh(z @ W), x)
        return fn(c)[0]

    C = RNG.normal(size=(4, 5))
    ref = jax.vmap(lambda x, c: jax.vjp(lambda z: jnp.tanh(z @ W), x)[1](c)[0])(X, C)
    np.testing.assert_allclose(bc.vmap(pull)(X, C), np.asarray(ref), rtol=1e-12)


def test_vmap_over_a_pullback_made_outside():
    out, fn = bc.vjp(lambda z: bnp.tanh(z @ W), X[0])
    C = np.eye(5)
    rows = bc.vmap(lambda c: fn(c)[0])(C)
    np.testing.assert_allclose(rows, np.asarray(jax.jacrev(lambda z: jnp.tanh(z @ W))(X[0])), rtol=1e-12)


def test_jacobian_and_hessian_inside_and_outside_vmap():
    f = lambda x: bnp.tanh(x @ W) * bnp.sum(x ** 2)  # noqa: E731
    jf = lambda x: jnp.tanh(x @ W) * jnp.sum(x ** 2)  # noqa: E731
    for mode, jref in (("rev", jax.jacrev), ("fwd", jax.jacfwd)):
        got = bc.vmap(bc.jacobian(f, mode=mode))(X)
        np.testing.assert_allclose(got, np.asarray(jax.vmap(jref(jf))(X)), rtol=1e-12)
        whole = bc.jacobian(bc.vmap(f), mode=mode)(X)
        np.testing.assert_allclose(whole, np.asarray(jref(jax.vmap(jf))(X)), rtol=1e-12)
    s = lambda x: bnp.sum(bnp.sin(x @ W)) * bnp.sum(x)  # noqa: E731
    js = lambda x: jnp.sum(jnp.sin(x @ W)) * jnp.sum(x)  # noqa: E731
    np.testing.assert_allclose(bc.vmap(bc.hessian(s))(X), np.asarray(jax.vmap(jax.hessian(js))(X)), rtol=1e-11)
    np.testing.assert_allclose(bc.hessian(lambda x: bnp.sum(bc.vmap(s)(x)))(X),
                               np.asarray(jax.hessian(lambda x: jnp.sum(jax.vmap(js)(x)))(X)), rtol=1e-11)


def test_jacobian_of_containers_by_batching():
    f = lambda p: {"a": p["w"] * 2.0, "b": bnp.sum(p["w"] ** 2) * p["v"]}  # noqa: E731
    jf = lambda p: {"a": p["w"] * 2.0, "b": jnp.sum(p["w"] ** 2) * p["v"]}  # noqa: E731
    p = {"w": np.array([1.0, 2.0, 3.0]), "v": np.array([[0.5, -1.0]])}
    for mode, jref in (("rev", jax.jacrev), ("fwd", jax.jacfwd)):
        got, ref = bc.jacobian(f, mode=mode)(p), jref(jf)(p)
        for o in ("a", "b"):
            for i in ("w", "v"):
                np.testing.assert_allclose(got[o][i], np.asarray(ref[o][i]), rtol=1e-13)


def test_nested_vmap_of_grad():
    A = RNG.normal(size=(2, 4, 3))
    got = bc.vmap(bc.vmap(bc.grad(lambda x, w: bnp.sum(bnp.tanh(x @ w))), in_axes=(0, None)),
                  in_axes=(0, None))(A, W)
    ref = jax.vmap(jax.vmap(jax.grad(lambda x, w: jnp.sum(jnp.tanh(x @ w))), in_axes=(0, None)),
                   in_axes=(0, None))(A, W)
    np.testing.assert_allclose(got, np.asarray(ref), rtol=1e-12)
    gw = bc.vmap(bc.vmap(bc.grad(lambda x, w: bnp.sum(bnp.tanh(x @ w)), argnums=1), in_axes=(0, None)),
                 in_axes=(0, None))(A, W)
    rw = jax.vmap(jax.vmap(jax.grad(lambda x, w: jnp.sum(jnp.tanh(x @ w)), argnums=1), in_axes=(0, None)),
                  in_axes=(0, None))(A, W)
    assert gw.shape == (2, 4) + W.shape
    np.testing.assert_allclose(gw, np.asarray(rw), rtol=1e-12)


def test_custom_vjp_and_function_rules_inside_vmap():
    @bc.custom_vjp
    def clip_grad(x):
        return x * 1.0

    clip_grad.defvjp(lambda x: (x * 1.0, None), lambda res, g: (bnp.clip(g, -0.5, 0.5),))

    class Cube(bc.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    f = lambda x: bnp.sum(clip_grad(x) * 3.0) + bnp.sum(Cube.apply(x))  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = bc.vmap(bc.grad(f))(X)
    np.testing.assert_allclose(got, 0.5 + 3 * X ** 2, rtol=1e-13)  # the custom rule clips 3 to 0.5
    np.testing.assert_allclose(got, stacked(bc.grad(f), X), rtol=1e-13)


def test_checkpoint_inside_vmap_of_grad():
    block = bc.checkpoint(lambda x: bnp.tanh(bnp.tanh(x @ W)))
    got = bc.vmap(bc.grad(lambda x: bnp.sum(block(x))))(X)
    np.testing.assert_allclose(got, stacked(bc.grad(lambda x: bnp.sum(block(x))), X), rtol=1e-13)


def test_second_order_inside_vmap():
    g2 = bc.grad(bc.grad(lambda x: bnp.sin(x) * x ** 2))
    xs = np.linspace(-1, 1, 5)
    ref = jax.vmap(jax.grad(jax.grad(lambda x: jnp.sin(x) * x ** 2)))(xs)
    np.testing.assert_allclose(bc.vmap(g2)(xs), np.asarray(ref), rtol=1e-12)


def test_gather_with_a_batched_index_from_a_constant_table():
    table = RNG.normal(size=(6, 3))
    idx = np.array([[0, 5], [2, 2], [1, 4], [3, 0]])
    # a NumPy array indexed by a batched index would need one array for the batch: make it a Tensor
    out = bc.vmap(lambda i: bnp.sum(bc.tensor(table)[i], axis=0))(idx)
    np.testing.assert_allclose(out, table[idx].sum(1), rtol=1e-13)
    out = bc.vmap(lambda i: bnp.sum(bnp.getitem(table, i), axis=0))(idx)
    np.testing.assert_allclose(out, table[idx].sum(1), rtol=1e-13)
    g = bc.vmap(bc.grad(lambda t, i: bnp.sum(t[i] ** 2)), in_axes=(None, 0))(table, idx)
    ref = jax.vmap(jax.grad(lambda t, i: jnp.sum(t[i] ** 2)), in_axes=(None, 0))(table, idx)
    np.testing.assert_allclose(g, np.asarray(ref), rtol=1e-13)


def test_advanced_indices_separated_by_a_slice_keep_the_batch_first():
    A = RNG.normal(size=(4, 3, 5, 6))
    f = lambda a: a[[0, 2], :, [1, 3]]  # noqa: E731
    out = bc.vmap(f)(A)
    np.testing.assert_allclose(out, np.stack([f(a) for a in A]))
    g = bc.vmap(bc.grad(lambda a: bnp.sum(f(a) ** 2)))(A)
    ref = jax.vmap(jax.grad(lambda a: jnp.sum(a[jnp.array([0, 2]), :, jnp.array([1, 3])] ** 2)))(A)
    np.testing.assert_allclose(g, np.asarray(ref))


def test_vmaps_in_two_threads_do_not_disturb_each_other():
    import threading

    results, errors = {}, []

    def work(k):
        try:
            for _ in range(20):
                a = RNG.normal(size=(5, 3)) if k else np.ones((2, 3))
                out = bc.vmap(bc.grad(lambda x: bnp.sum(bnp.sin(x) * x)))(a)
                np.testing.assert_allclose(out, np.cos(a) * a + np.sin(a), rtol=1e-12)
                # plain code between vmaps, while the other thread's vmap may be running
                np.testing.assert_allclose(bc.grad(lambda x: bnp.sum(x ** 2))(a), 2 * a)
            results[k] = True
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results == {0: True, 1: True}


def test_in_place_operations_on_batched_values():
    def f(x):
        y = x * 2
        y += 1
        y.mul_(x)
        return y

    np.testing.assert_allclose(bc.vmap(f)(X), (X * 2 + 1) * X)
    np.testing.assert_allclose(bc.vmap(bc.grad(lambda x: bnp.sum(f(x))))(X), 4 * X + 1)
    with pytest.raises(ValueError, match="in-place operation would change a batched value"):
        bc.vmap(lambda x: x.add_(np.ones((2, 3))))(X)


def test_custom_jvp_inside_vmap_in_both_modes():
    @bc.custom_jvp
    def f(x):
        return bnp.sin(x)

    f.defjvp(lambda primals, tangents: (bnp.sin(primals[0]), 2 * bnp.cos(primals[0]) * tangents[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rev = bc.vmap(bc.grad(lambda x: bnp.sum(f(x))))(X)
        fwd = bc.vmap(lambda x: bc.jvp(f, (x,), (bnp.ones_like(x),))[1])(X)
    np.testing.assert_allclose(rev, 2 * np.cos(X), rtol=1e-13)  # the rule's factor 2, transposed
    np.testing.assert_allclose(fwd, 2 * np.cos(X), rtol=1e-13)


def test_grad_inside_vmap_needs_a_scalar_per_example():
    with pytest.raises(TypeError, match="scalar .*for each example, got shape \\(3,\\)"):
        bc.vmap(bc.grad(lambda x: x * 2))(X)
    g = bc.vmap(bc.elementwise_grad(lambda x: x ** 2))(X)
    np.testing.assert_allclose(g, 2 * X)


def test_softmax_over_every_axis_and_a_bias_per_example():
    from backchain._rules.nn import softmax

    A = RNG.normal(size=(3, 4, 5))
    np.testing.assert_allclose(bc.vmap(lambda a: softmax(a, axis=None))(A),
                               np.stack([np.asarray(softmax(a, axis=None)) for a in A]), rtol=1e-13)
    w, b = RNG.normal(size=(2, 5)), RNG.normal(size=(3, 2))
    import backchain.nn.functional as F

    np.testing.assert_allclose(bc.vmap(lambda a, bi: F.linear(a, w, bi))(A, b),
                               np.stack([np.asarray(F.linear(a, w, bi)) for a, bi in zip(A, b)]), rtol=1e-13)
