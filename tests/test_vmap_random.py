"""``bnp.random`` inside ``vmap``: ``randomness="different"`` gives each example its own draw (the
draw of the whole batch at once, as from the same generator with the batch size in front of
``size``), ``"same"`` one draw shared by the batch, ``"error"`` a RuntimeError."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.torch as btorch


def test_different_draws_differ_and_equal_one_batched_draw():
    out = bc.vmap(lambda x: x + bnp.random.default_rng(7).normal(size=x.shape))(np.zeros((3, 2)))
    np.testing.assert_array_equal(out, np.random.default_rng(7).normal(size=(3, 2)))
    assert not np.allclose(out[0], out[1])


def test_module_functions_follow_the_global_state():
    np.random.seed(3)
    out = bc.vmap(lambda x: x + bnp.random.normal(1.0, 2.0, size=x.shape))(np.zeros((4, 2)))
    np.random.seed(3)
    np.testing.assert_array_equal(out, np.random.normal(1.0, 2.0, size=(4, 2)))
    np.random.seed(3)
    out = bc.vmap(lambda x: x + bnp.random.rand(2))(np.zeros((4, 2)))
    np.random.seed(3)
    np.testing.assert_array_equal(out, np.random.rand(4, 2))


def test_same_shares_one_draw():
    out = bc.vmap(lambda x: x + bnp.random.default_rng(7).normal(size=x.shape), randomness="same")(np.zeros((3, 2)))
    want = np.random.default_rng(7).normal(size=2)
    np.testing.assert_array_equal(out, np.stack([want] * 3))


@pytest.mark.parametrize("draw", [lambda x: bnp.random.normal(size=x.shape), lambda x: bnp.random.randn(2),
                                  lambda x: bnp.random.default_rng(0).integers(0, 5, size=2),
                                  lambda x: bnp.random.RandomState(0).uniform(size=2)])
def test_error_raises(draw):
    with pytest.raises(RuntimeError, match="randomness='error'"):
        bc.vmap(lambda x: x + draw(x), randomness="error")(np.zeros((3, 2)))


def test_torch_func_vmap_defaults_to_error():
    with pytest.raises(RuntimeError, match="randomness='error'"):
        btorch.func.vmap(lambda x: x + bnp.random.normal(size=2))(btorch.zeros(3, 2))
    out = btorch.func.vmap(lambda x: x + bnp.random.normal(size=2), randomness="different")(btorch.zeros(3, 2))
    assert not np.allclose(out.numpy()[0], out.numpy()[1])


def test_nested_levels():
    g = bnp.random.default_rng(5)
    out = bc.vmap(bc.vmap(lambda x: x + g.normal(size=x.shape)))(np.zeros((2, 3, 4)))
    np.testing.assert_array_equal(out, np.random.default_rng(5).normal(size=(2, 3, 4)))
    # inner level shared: one draw per example of the outer level
    out = bc.vmap(bc.vmap(lambda x: x + g.normal(size=x.shape), randomness="same"))(np.zeros((2, 3, 4)))
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out[:, 0], out[:, 2])
    assert not np.allclose(out[0, 0], out[1, 0])


def test_size_shapes_and_extra_axes():
    g = bnp.random.default_rng(1)
    out = bc.vmap(lambda x: g.multivariate_normal(np.zeros(2), np.eye(2), size=4))(np.zeros((3, 2)))
    np.testing.assert_array_equal(out, np.random.default_rng(1).multivariate_normal(np.zeros(2), np.eye(2),
                                                                                    size=(3, 4)))
    out = bc.vmap(lambda x: g.standard_normal())(np.zeros(5))  # size None: a scalar per example
    assert out.shape == (5,) and len(set(out.tolist())) == 5
    out = bc.vmap(lambda x: g.integers(0, 1000, 3))(np.zeros((3, 2)))  # size given positionally
    assert out.shape == (3, 3) and out.dtype.kind == "i"


def test_draws_without_replacement_are_per_example():
    g = bnp.random.default_rng(2)
    perms = bc.vmap(lambda x: g.permutation(6))(np.zeros((8, 1)))
    assert perms.shape == (8, 6)
    for p in perms:
        assert sorted(p.tolist()) == list(range(6))
    assert len({tuple(p) for p in perms.tolist()}) > 1
    picks = bc.vmap(lambda x: g.choice(5, 3, replace=False))(np.zeros((8, 1)))
    for p in picks:
        assert len(set(p.tolist())) == 3


def test_shuffle_raises_where_examples_differ():
    with pytest.raises(RuntimeError, match="shuffle"):
        bc.vmap(lambda x: bnp.random.default_rng(0).shuffle(np.arange(3)))(np.zeros((2, 1)))


def test_noise_inside_grad():
    rng = np.random.default_rng(4)
    g = bnp.random.default_rng(4)
    out = bc.vmap(bc.grad(lambda x: bnp.sum(x * g.normal(size=x.shape))))(np.ones((3, 2)))
    np.testing.assert_array_equal(out, rng.normal(size=(3, 2)))


def test_outside_vmap_numpy_unchanged():
    assert isinstance(bnp.random.default_rng(0), np.random.Generator)
    np.testing.assert_array_equal(bnp.random.default_rng(0).normal(size=4), np.random.default_rng(0).normal(size=4))
    np.random.seed(1)
    a = bnp.random.randn(3)
    np.random.seed(1)
    np.testing.assert_array_equal(a, np.random.randn(3))
    g = bnp.random.default_rng(3)
    assert bnp.random.default_rng(g) is g


def test_default_rng_takes_numpy_generators_and_bit_generators():
    g = np.random.default_rng(4)
    ours = bnp.random.default_rng(g)
    assert isinstance(ours, bnp.random.Generator)
    np.testing.assert_array_equal(ours.normal(size=3), np.random.default_rng(4).normal(size=3))
    np.testing.assert_array_equal(bnp.random.default_rng(np.random.PCG64(2)).random(2),
                                  np.random.default_rng(np.random.PCG64(2)).random(2))
    np.testing.assert_array_equal(bnp.random.default_rng(np.random.SeedSequence(5)).random(2),
                                  np.random.default_rng(np.random.SeedSequence(5)).random(2))


TORCH_DRAWS = {
    "randn": lambda x: x + btorch.randn(3),
    "rand": lambda x: x + btorch.rand(3),
    "randn_like": lambda x: btorch.randn_like(x),
    "randint": lambda x: x + btorch.randint(0, 1000, (3,)),
    "randperm": lambda x: btorch.randperm(6)[:3] + x,
    "normal": lambda x: x + btorch.normal(0.0, 1.0, size=(3,)),
    "normal_tensor_mean": lambda x: btorch.normal(x, 1.0),
    "bernoulli": lambda x: btorch.bernoulli(x * 0 + 0.5),
}


@pytest.mark.parametrize("name", list(TORCH_DRAWS))
def test_torch_draws_follow_torch_func_randomness(name):
    f = TORCH_DRAWS[name]
    z = btorch.zeros(16, 3)
    with pytest.raises(RuntimeError, match=f"vmap: torch.{name.split('_')[0]} was called .* randomness='error'"):
        btorch.func.vmap(f)(z)  # torch.func.vmap's default, as PyTorch's
    rows = btorch.func.vmap(f, randomness="different")(z).numpy()
    assert rows.shape == (16, 3) and len({r.tobytes() for r in rows}) > 1
    same = btorch.func.vmap(f, randomness="same")(z).numpy()
    assert len({r.tobytes() for r in same}) == 1


def test_torch_draws_outside_vmap_unchanged():
    btorch.manual_seed(3)
    a = btorch.randn(4).numpy()
    btorch.manual_seed(3)
    want = bc.random.default_generator().standard_normal((4,)).astype(np.float32)
    np.testing.assert_array_equal(a, want)
    btorch.manual_seed(3)
    rows = btorch.func.vmap(lambda x: x + btorch.randn(4), randomness="different")(btorch.zeros(2, 4)).numpy()
    btorch.manual_seed(3)
    np.testing.assert_array_equal(rows, bc.random.default_generator().standard_normal((2, 4)).astype(np.float32))
