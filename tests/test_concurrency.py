"""Determinism and threads: same seed, same bits; grad mode and kink policies per thread; two
models trained at once in two threads get the gradients a single thread gets."""
import threading

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

nn = bc.nn


def _digits_fit():
    train, test = bc.data.digits(flatten=True)
    bc.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))
    opt = bc.optim.Adam(model.parameters(), lr=1e-2)
    history = bc.fit(model, train, loss="cross_entropy", optimizer=opt, epochs=1, validation=test,
                     batch_size=64, seed=0, verbose=0)
    return model.state_dict(), opt.state_dict(), history


def test_same_seed_gives_bit_identical_training():
    pytest.importorskip("sklearn")
    (m1, o1, h1), (m2, o2, h2) = _digits_fit(), _digits_fit()
    assert list(m1) == list(m2)
    for k in m1:
        assert m1[k].dtype == m2[k].dtype and np.array_equal(m1[k], m2[k]), k
    for i, state in o1["state"].items():
        for name, value in state.items():
            assert np.array_equal(np.asarray(value), np.asarray(o2["state"][i][name])), (i, name)
    assert h1.history == h2.history


def _run_threads(*targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(fn):
        def run():
            try:
                barrier.wait(10)
                fn()
            except BaseException as e:  # reported in the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_another_from_training():
    seen = {"untraced": 0, "traced": 0}
    w_expected = np.cos(np.linspace(-1, 1, 5)) * 2

    def inference():
        x = bc.tensor(np.linspace(-1, 1, 5), requires_grad=True)
        with bc.no_grad():
            for _ in range(300):
                y = bnp.sin(x) * 2
                assert not y.requires_grad and not bc.is_grad_enabled()
                seen["untraced"] += 1

    def training():
        for _ in range(300):
            x = bc.tensor(np.linspace(-1, 1, 5), requires_grad=True)
            y = (bnp.sin(x) * 2).sum()
            assert y.requires_grad and bc.is_grad_enabled()
            y.backward()
            np.testing.assert_allclose(x.grad, w_expected)
            seen["traced"] += 1

    _run_threads(inference, training)
    assert seen == {"untraced": 300, "traced": 300}


def test_kink_policies_are_per_thread():
    results = {}

    def with_policy():
        with bc.kinks.policy(relu_at_zero=1.0, ties="first"):
            out = []
            for _ in range(200):
                out.append(float(bc.grad(lambda x: bnp.sum(nn.functional.relu(x)))(np.zeros(1))[0]))
                out.append(bc.grad(lambda x: bnp.max(x))(np.ones(2)).tolist())
            results["policy"] = out

    def default():
        out = []
        for _ in range(200):
            out.append(float(bc.grad(lambda x: bnp.sum(nn.functional.relu(x)))(np.zeros(1))[0]))
            out.append(bc.grad(lambda x: bnp.max(x))(np.ones(2)).tolist())
        results["default"] = out

    _run_threads(with_policy, default)
    assert set(map(str, results["policy"])) == {"1.0", "[1.0, 0.0]"}
    assert set(map(str, results["default"])) == {"0.0", "[0.5, 0.5]"}


def _make(seed):
    bc.manual_seed(seed)  # the global generator: models are built in the main thread
    model = nn.Sequential(nn.Linear(8, 16, dtype=np.float64), nn.Tanh(), nn.Linear(16, 3, dtype=np.float64))
    return model


def _train(model, seed, steps=40):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 8))
    y = rng.integers(0, 3, 64)
    opt = bc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    grads = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(bc.tensor(x)), y)
        loss.backward()
        grads.append([p.grad.copy() for p in model.parameters()])
        opt.step()
    return model.state_dict(), grads


def test_two_threads_train_two_models_correctly():
    alone = {seed: _train(_make(seed), seed) for seed in (1, 2)}
    models = {seed: _make(seed) for seed in (1, 2)}
    threaded = {}

    def job(seed):
        return lambda: threaded.__setitem__(seed, _train(models[seed], seed))

    _run_threads(job(1), job(2))
    for seed in (1, 2):
        (s_alone, g_alone), (s_thr, g_thr) = alone[seed], threaded[seed]
        for a, b in zip(g_alone, g_thr):
            for ga, gb in zip(a, b):
                np.testing.assert_allclose(gb, ga, rtol=1e-12, atol=1e-14)
        for k in s_alone:
            np.testing.assert_allclose(s_thr[k], s_alone[k], rtol=1e-12, atol=1e-14)
