"""The training-step kernels of bc.jit on two threads and off the first call's path
(backchain/jit/_split.py, _background.py, the conv/pool rewrites of _patterns.py).

A replayed W3-style step (conv 5x5, ReLU, 2x2 max pool, twice, linear, cross-entropy, SGD) equals the
eager step bit for bit with one thread and with two, with the kernels compiled and before they are
(the NumPy routes), on edge shapes (batch 1, odd sizes, chunks of one sample) and with a NaN in one
chunk. The work sharing itself: chunks really run on the helper thread, each once, errors come back.
"""
import threading

import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F

numba = pytest.importorskip("numba")

from backchain.jit import _background, _patterns, _split  # noqa: E402


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


class LeNet:
    """W3's step (benchmarks/workloads/w3_cnn.py) at any size: parameters as Tensors, ``p.data -= lr * g``."""

    def __init__(self, batch, size=28, c1=8, c2=16, k=5, classes=10, dtype=np.float32, seed=0):
        rng = np.random.default_rng(seed)
        s1 = (size - k + 1) // 2
        s2 = (s1 - k + 1) // 2
        shapes = [(c1, 1, k, k), (c1,), (c2, c1, k, k), (c2,), (classes, c2 * s2 * s2), (classes,)]
        self.params = [bc.tensor((0.3 * rng.standard_normal(s)).astype(dtype), requires_grad=True) for s in shapes]
        self.x = rng.standard_normal((batch, 1, size, size)).astype(dtype)
        self.y = rng.integers(0, classes, batch)

    def step(self):
        w1, b1, w2, b2, w3, b3 = self.params
        h = F.max_pool2d(F.relu(F.conv2d(self.x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        loss = F.cross_entropy(F.linear(F.flatten(h, 1), w3, b3), self.y)
        loss.backward()
        for p in self.params:
            p.data -= 0.05 * p.grad
            p.grad = None


@pytest.fixture
def sync(monkeypatch):
    """Kernels compiled when a program asks for them (so that the replays below run them)."""
    monkeypatch.setenv("BACKCHAIN_JIT_COMPILE", "sync")


@pytest.fixture
def threads(request, monkeypatch):
    """The helper thread on (``BACKCHAIN_JIT_THREADS=2``) and Numba's thread count for the test (1 or 2),
    restored after it."""
    monkeypatch.setenv("BACKCHAIN_JIT_THREADS", "2")
    before = numba.get_num_threads()
    n = min(request.param, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(n)
    _split._helper.misses, _split._helper.off_until = 0, 0.0   # no back-off left by an earlier test
    yield n
    numba.set_num_threads(before)


def _counted(monkeypatch):
    """Count the calls of every compiled pattern kernel and of the work sharing."""
    calls = {}
    for box in list(_background._boxes.values()):
        if box.fn is not None:
            fn, name = box.fn, box.name

            def counting(*a, fn=fn, name=name):
                calls[name] = calls.get(name, 0) + 1
                return fn(*a)

            monkeypatch.setattr(box, "fn", counting)
    from backchain.jit import _conv_kernels

    job = _conv_kernels._pool_job

    def counting_job(kind, *a, **k):
        calls[("pool job", kind)] = calls.get(("pool job", kind), 0) + 1
        return job(kind, *a, **k)

    monkeypatch.setattr(_conv_kernels, "_pool_job", counting_job)
    run = _split.run

    def counting_run(fn, n):
        calls["split"] = calls.get("split", 0) + 1
        return run(fn, n)

    monkeypatch.setattr(_split, "run", counting_run)
    return calls


def _train(batch, steps, jit, fuse="auto", **kw):
    m = LeNet(batch, **kw)
    step = bc.jit(m.step, fuse=fuse) if jit else m.step
    for _ in range(steps):
        step()
    return m, step


def _compare(batch, steps=4, **kw):
    """The replay with the kernels against the replay of the program's own calls (``fuse=None``) and
    against the eager step."""
    jitted, _ = _train(batch, steps, True, fuse="exact", **kw)   # the rewrites, not the replay's own products
    plain, _ = _train(batch, steps, True, fuse=None, **kw)
    refs = [plain, _train(batch, steps, False, **kw)[0]]
    for ref in refs:
        for a, b in zip(ref.params, jitted.params):
            _same_bits(a.data, b.data)


@pytest.mark.parametrize("threads", [1, 2], indirect=True)
def test_w3_step_replays_bit_for_bit_with_one_and_two_threads(sync, threads, monkeypatch):
    _train(64, 2, True)  # compiles the kernels for these types
    _split._helper.misses, _split._helper.off_until = 0, 0.0
    calls = _counted(monkeypatch)
    before = _split._helper.chunks
    _compare(64, steps=5)
    for name in ("col2im2d", "axpy_sub"):
        assert calls.get(name, 0) > 0, (name, calls)
    # float32 pooling: the same kernels by samples on the pool's workers (_conv_kernels._pool_job)
    from backchain.jit import _conv_kernels

    for kind in (_conv_kernels.RELU_POOL2, _conv_kernels.POOL2_VJP):
        assert calls.get(("pool job", kind), 0) > 0, (kind, calls)
    assert _split.threads() == threads
    if threads == 1:   # every kernel and copy in one call, on this thread
        assert _split._helper.chunks == before and calls.get("split", 0) == 0
    else:
        assert calls.get("split", 0) > 0


@pytest.mark.parametrize("threads", [2], indirect=True)
@pytest.mark.parametrize("batch, size, c1, c2, k", [
    (1, 28, 8, 16, 5),     # one sample: every chunked call on one chunk
    (2, 20, 5, 7, 3),      # odd channels
    (17, 12, 3, 5, 3),     # 17 samples: the cotangent's copy by 16 samples and a remainder
    (4, 21, 3, 5, 4),      # an odd feature map: 9 x 9 is not tiled by 2 x 2 windows (the NumPy route)
    (1, 9, 2, 3, 2),       # and 3 x 3
])
def test_edge_shapes_with_small_chunks(sync, threads, monkeypatch, batch, size, c1, c2, k):
    monkeypatch.setattr(_patterns, "_CHUNK_BYTES", 64)   # many chunks of a sample or channel
    _compare(batch, size=size, c1=c1, c2=c2, k=k)


def test_float64_step_and_uneven_chunks(sync, monkeypatch):
    monkeypatch.setattr(_patterns, "_CHUNK_BYTES", 3000)
    monkeypatch.setattr(_patterns, "_MAX_CHUNKS", 7)
    _compare(8, size=20, c1=3, c2=4, k=3, dtype=np.float64)
    _compare(9, size=20, c1=3, c2=4, k=3, dtype=np.float64)


def test_nan_in_one_chunk_takes_the_numpy_route(sync, monkeypatch):
    """A NaN maximum in the last chunk's window: the whole pool backward takes the NumPy route."""
    monkeypatch.setattr(_patterns, "_CHUNK_BYTES", 64)
    eager, jitted = LeNet(6), LeNet(6)
    for m in (eager, jitted):
        m.x[-1, 0, 3, 3] = np.nan
    step = bc.jit(jitted.step)
    for _ in range(3):
        eager.step()
        step()
    for a, b in zip(eager.params, jitted.params):
        _same_bits(a.data, b.data)
    assert np.isnan(jitted.params[0].data).any()


def test_replays_before_and_after_the_background_compile_agree(monkeypatch):
    """With the compile thread paused the first replays take the NumPy routes (the kernels are pending);
    once it has compiled them the replays run them; every value is the same."""
    monkeypatch.delenv("BACKCHAIN_JIT_COMPILE", raising=False)
    monkeypatch.setattr(_background, "_boxes", {})   # a fresh registry: every kernel asked for anew
    eager = LeNet(8, dtype=np.float64, seed=3)
    jitted = LeNet(8, dtype=np.float64, seed=3)
    step = bc.jit(jitted.step)
    with _background.paused():
        for _ in range(3):
            eager.step()
            step()
        boxes = list(_background._boxes.values())
        assert {b.name for b in boxes} >= {"relu_pool2", "pool2_relu_vjp", "col2im2d", "axpy_sub"}
        assert all(b.fn is None for b in boxes)
        for a, b in zip(eager.params, jitted.params):
            _same_bits(a.data, b.data)
    assert _background.wait(120)
    assert all(b.fn is not None for b in boxes), boxes
    calls = _counted(monkeypatch)
    for _ in range(3):
        eager.step()
        step()
    for a, b in zip(eager.params, jitted.params):
        _same_bits(a.data, b.data)
    assert calls.get("pool2_relu_vjp", 0) >= 6 and calls.get("relu_pool2", 0) >= 6   # two layers, three steps
    assert step.traces == 1


def test_sync_mode_compiles_at_the_request(sync, monkeypatch):
    monkeypatch.setattr(_background, "_boxes", {})
    box = _background.request("axpy_sub", np.zeros(1, np.float32), np.float32(0), np.zeros(1, np.float32))
    assert box.fn is not None and box.error is None
    p = np.arange(5, dtype=np.float32)
    box.fn(p, np.float32(0.5), np.ones(5, np.float32))
    np.testing.assert_array_equal(p, np.arange(5, dtype=np.float32) - np.float32(0.5))
    assert _background.request("axpy_sub", np.zeros(1, np.float32), np.float32(0), np.zeros(1, np.float32)) is box


def test_a_kernel_that_fails_to_compile_leaves_the_numpy_route(sync, monkeypatch):
    monkeypatch.setattr(_background, "_boxes", {})
    box = _background.request("no_such_kernel", np.zeros(1))
    assert box.fn is None and isinstance(box.error, AttributeError)


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_chunks_run_on_the_helper_thread_each_once(threads):
    if threads < 2 or _split.threads() < 2:
        pytest.fail("this machine gives Numba one thread: the work sharing cannot be tested here")
    seen, other = [], threading.Event()

    def fn(i):
        seen.append((i, threading.get_ident()))
        if i == 0:   # the caller takes chunk 0 first, and waits here until the helper has run chunk 1
            assert other.wait(30), "the helper never ran a chunk"
        else:
            other.set()

    _split.run(fn, 2)
    assert sorted(i for i, _ in seen) == [0, 1]
    assert seen[0][1] == threading.get_ident() != dict(seen)[1]
    out = []
    _split.run(out.append, 50)
    assert sorted(out) == list(range(50))


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_the_helper_backs_off_after_runs_where_it_did_not_pay(threads, monkeypatch):
    """Runs where the helper gets no chunk (here: it is made to wake too late) turn it off for a while;
    the chunks then run in turn on the caller; after the back-off it is tried again."""
    clock = [100.0]
    monkeypatch.setattr(_split, "_clock", lambda: clock[0])
    h = _split._helper
    monkeypatch.setattr(h, "wake", threading.Semaphore(0))   # a helper that never wakes: it runs no chunk
    seen = []
    for _ in range(_split.MISSES):
        _split.run(seen.append, 4)
    assert h.off_until == 100.0 + _split.BACKOFF_S and sorted(seen) == sorted(list(range(4)) * _split.MISSES)
    released = []
    monkeypatch.setattr(h, "wake", type("W", (), {"release": lambda self: released.append(1)})())
    _split.run(seen.append, 4)                  # backing off: the helper is not woken
    assert released == []
    clock[0] += _split.BACKOFF_S
    _split.run(seen.append, 4)                  # tried again
    assert released == [1]


@pytest.mark.parametrize("threads", [1], indirect=True)
def test_one_thread_runs_the_chunks_in_turn_here(threads):
    me, seen = threading.get_ident(), []
    _split.run(lambda i: seen.append((i, threading.get_ident())), 5)
    assert seen == [(i, me) for i in range(5)]


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_an_error_in_a_chunk_reaches_the_caller(threads):
    go = threading.Event()

    def fn(i):
        if i == 0:
            go.wait(30)
        else:
            go.set()
            raise ValueError("chunk 1")

    with pytest.raises(ValueError, match="chunk 1"):
        _split.run(fn, 2)
    out = []
    _split.run(out.append, 3)   # the helper still works
    assert sorted(out) == [0, 1, 2]


def test_input_and_weight_gradients_share_the_cotangent_copy(sync, monkeypatch):
    """The second convolution's input gradient copies the cotangent to the batch-last layout once, for
    itself and for the weight gradient (which then reads it); the values stay the eager ones."""
    from backchain._rules import conv as C

    copies = []
    batch_last = C._batch_last
    monkeypatch.setattr(C, "_batch_last", lambda a, out: copies.append(a.shape) or batch_last(a, out))
    _, step = _train(4, 2, True, fuse="exact", size=16, c1=2, c2=3, k=3)   # (the rule's convolutions)
    (paths,) = step._cache.values()
    steps = paths[0].compiled.rewritten.steps
    (ig,) = [s for s in steps if s.name == "conv_input_grad(col2im)"]
    wgs = [s for s in steps if s.name == "conv_weight_grad(cols)"]
    assert len(ig.outs) == 2 and len(wgs) == 2
    assert [len(w.args) for w in wgs].count(4) == 1 and any(w.args[-1].k == ig.outs[1] for w in wgs)
    copies.clear()
    step()   # a replay: one batch-last copy per convolution, not two for the second
    assert sorted(copies) == sorted([(4, 2, 14, 14), (4, 3, 5, 5)]), copies
    _compare(4, size=16, c1=2, c2=3, k=3)


def test_the_helper_is_off_by_default(monkeypatch):
    monkeypatch.delenv("BACKCHAIN_JIT_THREADS", raising=False)
    assert _split.threads() == 1 and not _split.sharing()
    me, seen = threading.get_ident(), []
    _split.run(lambda i: seen.append((i, threading.get_ident())), 3)
    assert seen == [(i, me) for i in range(3)]
