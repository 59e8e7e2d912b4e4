"""bc.jit of training steps with bc.nn modules and bc.optim optimizers: parameters, buffers and
gradients updated in place as eagerly, dropout's random numbers drawn afresh on every replay,
train()/eval() part of what a program assumes."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn
import backchain.nn.functional as F
from backchain.jit import JitError


def make(layers, optimizer=None):
    bc.manual_seed(0)
    model = nn.Sequential(*layers())
    opt = (optimizer or (lambda ps: bc.optim.SGD(ps, lr=0.1)))(model.parameters())
    return model, opt


def stepper(model, opt):
    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def batches(n, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((5, 6)).astype(np.float32), rng.integers(0, 3, 5)) for _ in range(n)]


def train_both(layers, steps=20):
    """The same steps eagerly, then under jit (each after bc.manual_seed(0): the same random draws)."""
    m1, o1 = make(layers)
    eager = stepper(m1, o1)
    first = [float(eager(x, y)) for x, y in batches(steps)]
    m2, o2 = make(layers)
    jitted = bc.jit(stepper(m2, o2))
    second = [float(jitted(x, y)) for x, y in batches(steps)]
    return m1, m2, list(zip(first, second)), jitted


def test_twenty_sgd_steps_give_the_eager_parameters():
    m1, m2, losses, jitted = train_both(lambda: [nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)])
    assert all(a == b for a, b in losses)
    for (name, p1), (_, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        np.testing.assert_array_equal(p1.data, p2.data, err_msg=name)
        np.testing.assert_array_equal(p1.grad, p2.grad, err_msg=name)  # .grad as after the eager step
    assert jitted.traces == 1


def test_batchnorm_running_statistics_are_updated():
    m1, m2, losses, _ = train_both(lambda: [nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)], 8)
    assert all(a == b for a, b in losses)
    s1, s2 = m1.state_dict(), m2.state_dict()
    for name in s1:
        np.testing.assert_array_equal(np.asarray(s1[name].data), np.asarray(s2[name].data), err_msg=name)


def test_dropout_draws_fresh_masks_on_every_replay():
    m1, m2, losses, jitted = train_both(lambda: [nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)], 6)
    assert all(a == b for a, b in losses)  # the same draws as the eager steps, in the same order
    predict = bc.jit(lambda x: m2(x))
    x = batches(1)[0][0]
    a, b = predict(x), predict(x)
    assert not np.array_equal(a, b)
    m2.eval()
    c, d = predict(x), predict(x)
    np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(c, m2(bc.tensor(x)).data)
    m2.train()
    assert not np.array_equal(predict(x), predict(x))
    assert predict.traces == 2  # one program per mode


def test_parameters_updated_outside_are_read_at_every_replay():
    bc.manual_seed(0)
    layer = nn.Linear(3, 2)
    f = bc.jit(lambda x: layer(x))
    x = np.ones((1, 3), np.float32)
    before = f(x)
    with bc.no_grad():
        layer.weight.data *= 2.0
    np.testing.assert_array_equal(f(x), layer(bc.tensor(x)).data)
    assert not np.array_equal(before, f(x))


@pytest.mark.parametrize("optimizer", [lambda ps: bc.optim.Adam(ps, lr=1e-2),
                                       lambda ps: bc.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
                                       lambda ps: bc.optim.AdamW(ps, lr=1e-2, weight_decay=0.1)],
                         ids=["Adam", "SGD-nesterov", "AdamW"])
def test_optimizers_with_state_step_as_eagerly(optimizer):
    layers = lambda: [nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)]  # noqa: E731
    m1, o1 = make(layers, optimizer)
    eager = stepper(m1, o1)
    first = [float(eager(x, y)) for x, y in batches(20)]
    m2, o2 = make(layers, optimizer)
    jitted = bc.jit(stepper(m2, o2))
    second = [float(jitted(x, y)) for x, y in batches(20)]
    assert first == second and jitted.traces == 1
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p1.data, p2.data)
        for key, v in o1.state[p1].items():
            np.testing.assert_array_equal(np.asarray(v), np.asarray(o2.state[p2][key]))


def test_a_parameter_read_after_the_step_is_refused():
    model, opt = make(lambda: [nn.Linear(6, 3)])

    def two_steps(x, y):
        stepper(model, opt)(x, y)
        return stepper(model, opt)(x, y)

    with pytest.raises(JitError, match="after the optimizer's step"):
        bc.jit(two_steps)(*batches(1)[0])


def test_a_jitted_gradient_with_the_update_outside():
    m1, o1 = make(lambda: [nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)], lambda ps: bc.optim.Adam(ps, lr=1e-2))
    m2, o2 = make(lambda: [nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)], lambda ps: bc.optim.Adam(ps, lr=1e-2))

    def backward(model):
        def run(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss
        return run

    jb = bc.jit(backward(m2))
    for x, y in batches(10):
        o1.zero_grad()
        backward(m1)(x, y)
        o1.step()
        o2.zero_grad()
        jb(x, y)
        o2.step()
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p1.data, p2.data)


def test_a_learning_rate_change_is_seen_without_retracing():
    m1, o1 = make(lambda: [nn.Linear(6, 3)])
    m2, o2 = make(lambda: [nn.Linear(6, 3)])
    eager, jitted = stepper(m1, o1), bc.jit(stepper(m2, o2))
    for k, (x, y) in enumerate(batches(6)):
        if k == 3:
            for o in (o1, o2):
                o.param_groups[0]["lr"] = 0.01
        eager(x, y)
        jitted(x, y)
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p1.data, p2.data)
    assert jitted.traces == 1  # the step runs as it is: it reads its learning rate at every replay


def test_fit_with_jit_trains_as_without():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    histories, models = [], []
    for jit in (False, True):
        model, opt = make(lambda: [nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)])
        histories.append(bc.fit(model, (x, y), "cross_entropy", opt, epochs=3, batch_size=16, seed=0,
                                verbose=0, jit=jit))
        models.append(model)
    assert histories[0].history["loss"] == histories[1].history["loss"]
    for p1, p2 in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_array_equal(p1.data, p2.data)


def test_dropout_with_its_own_generator_draws_fresh_masks():
    g = np.random.default_rng(5)
    f = bc.jit(lambda x: F.dropout(x, 0.5, training=True, generator=g))
    x = np.ones(64)
    a, b = f(x), f(x)
    assert not np.array_equal(a, b)
    want = F.dropout(bc.tensor(x), 0.5, training=True, generator=np.random.default_rng(5))
    g2 = np.random.default_rng(5)
    f2 = bc.jit(lambda x: F.dropout(x, 0.5, training=True, generator=g2))
    np.testing.assert_array_equal(f2(x), want.data)  # the same draws from the same generator


def test_a_replaced_parameter_or_submodule_retraces():
    model, _ = make(lambda: [nn.Linear(2, 2), nn.Tanh()])
    f = bc.jit(lambda x: model(x))
    x = np.ones((1, 2), np.float32)
    f(x)
    model[0].weight = nn.Parameter(bc.tensor(np.zeros((2, 2), np.float32)))
    np.testing.assert_array_equal(f(x), model(bc.tensor(x)).data)
    model[1] = nn.ReLU()
    np.testing.assert_array_equal(f(x), model(bc.tensor(x)).data)
    assert f.traces == 3


def test_a_step_updating_parameters_that_are_views_copies_none_of_them(monkeypatch):
    """Parameters whose arrays are views (of a larger array, as a checkpoint loader may leave them),
    updated in place by a jitted step: the replay returns them as they are, the caller's own arrays,
    with no copy made and none written back; the values are eager's."""
    import backchain as bc
    import backchain.nn.functional as F
    from backchain.jit import _replay

    rng = np.random.default_rng(3)
    block = rng.standard_normal((2, 8, 5)).astype(np.float32)
    w, w_eager = bc.tensor(block[0], requires_grad=True), bc.tensor(block[0], requires_grad=True)
    b, b_eager = bc.tensor(block[1, 0], requires_grad=True), bc.tensor(block[1, 0], requires_grad=True)
    w.data, b.data = block[0], block[1, 0]   # (views into the block)
    assert w._data.base is block and b._data.base is block
    x = rng.standard_normal((4, 8)).astype(np.float32)
    y = rng.integers(0, 5, 4)

    def step_of(w, b):
        def step():
            loss = F.cross_entropy(F.relu(bc.numpy.matmul(x, w) + b), y)
            loss.backward()
            for p in (w, b):
                p.data -= 0.1 * p.grad
                p.grad = None
        return step

    jitted, eager = bc.jit(step_of(w, b)), step_of(w_eager, b_eager)
    for _ in range(2):   # (the trace, then a replay)
        jitted()
        eager()
    arrays = (w._data, b._data)
    assert arrays[0].base is not None and arrays[1].base is not None
    copies = []
    owned = _replay._owned
    monkeypatch.setattr(_replay, "_owned", lambda o: copies.append(o) or owned(o))
    for _ in range(3):
        jitted()
        eager()
    assert not any(o is a for o in copies for a in arrays)
    assert w._data is arrays[0] and b._data is arrays[1]
    np.testing.assert_allclose(w.data, w_eager.data, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.data, b_eager.data, rtol=1e-5, atol=1e-6)
