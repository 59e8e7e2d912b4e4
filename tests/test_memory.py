"""Memory: flat RSS over training steps, no reference cycles keeping arrays alive, and the
`total += loss` graph-retention trap (warned about once, with the fix)."""
import gc
import os
import weakref

import numpy as np
import pytest

import backchain as bc

pytest.importorskip("sklearn")
nn = bc.nn


def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def digits_model():
    bc.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def digits_steps(model, opt, x, y, steps, batch=64, on_step=None):
    n = len(x)
    for step in range(steps):
        k = (step * batch) % (n - batch)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(bc.tensor(x[k:k + batch])), y[k:k + batch], label_smoothing=0.1)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, loss)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_rss_flat_over_digits_training():
    train, _ = bc.data.digits(flatten=True)
    x, y = train.tensors
    model = digits_model()
    opt = bc.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    samples = {}

    def on_step(step, loss):
        if step in (80, 160, 240):
            samples[step] = rss_mb()

    digits_steps(model, opt, x, y, 241, on_step=on_step)
    # warm after 80 steps; the next 160 add (almost) nothing. benchmarks/memory_digits.py runs 2,000.
    assert samples[240] - samples[80] < 1.5, samples
    assert samples[240] - samples[160] < 1.0, samples


def test_no_reference_cycles_keep_arrays_alive_after_a_step():
    train, _ = bc.data.digits(flatten=True)
    x, y = train.tensors
    model = digits_model()
    opt = bc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    digits_steps(model, opt, x, y, 3)  # state created
    gc.collect()
    gc.disable()
    try:
        held = []
        xb = bc.tensor(x[:32].copy())
        h = model[0](xb)
        a = model[1](h)
        out = model[4](model[3](model[2](a)))
        loss = nn.functional.cross_entropy(out, y[:32])
        held = [weakref.ref(t) for t in (h, a, out, loss)] + [weakref.ref(t.data) for t in (h, a, out)]
        opt.zero_grad()
        loss.backward()
        opt.step()
        del h, a, out, loss, xb
        # freed by reference counting alone: no cycle waits for the collector
        assert [r() for r in held] == [None] * len(held)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_fit_keeps_nothing_between_steps():
    train, _ = bc.data.digits(flatten=True)
    model = digits_model()
    gc.collect()
    gc.disable()
    try:
        bc.fit(model, train, loss="cross_entropy", optimizer=bc.optim.SGD(model.parameters(), lr=0.05), epochs=1,
               batch_size=128, seed=0, verbose=0)
        assert gc.collect() < 50  # a few framework objects at most, no per-step graphs
    finally:
        gc.enable()


def test_accumulating_plain_numbers_keeps_no_graph():
    train, _ = bc.data.digits(flatten=True)
    x, y = train.tensors
    model = digits_model()
    opt = bc.optim.SGD(model.parameters(), lr=0.05)
    total = 0.0
    refs = []

    def on_step(step, loss):
        nonlocal total
        refs.append(weakref.ref(loss))
        total += loss.item()

    digits_steps(model, opt, x, y, 20, on_step=on_step)
    assert isinstance(total, float)
    assert sum(r() is not None for r in refs) <= 1  # at most the last step's loss, held by the loop


def test_accumulating_losses_warns_once(monkeypatch):
    import warnings
    from backchain._core import inplace

    monkeypatch.setattr(inplace, "_trap_warned", [False])  # once per process: reset for this test

    w = bc.tensor(np.ones(3), requires_grad=True)
    total = 0
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(120):
            total += (w * 2.0).sum()
    assert sum("total += loss" in str(r.message) for r in rec) == 1
    total.backward()  # the accumulated graph is still correct
    np.testing.assert_allclose(w.grad, np.full(3, 240.0))


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_layer_keeps_nothing_after_a_step(cell):
    """The fused layers' backward work arrays (megabytes) go with the node, not at the next step."""
    import tracemalloc

    bc.manual_seed(0)
    rnn, head = getattr(nn, cell)(16, 64), nn.Linear(64, 3)
    x = np.random.default_rng(0).standard_normal((50, 8, 16)).astype(np.float32)

    def step():
        out, state = rnn(x)
        h = state[0] if cell == "LSTM" else state
        nn.functional.cross_entropy(head(h[0]), np.zeros(8, dtype=np.int64)).backward()
        for p in list(rnn.parameters()) + list(head.parameters()):
            p.grad = None

    step()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        step()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before > 1_000_000  # the step's arrays were traced
    assert after - before < 50_000, (before, after, peak)
