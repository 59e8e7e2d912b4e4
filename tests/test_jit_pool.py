"""The pool of spinning workers that split the replay's products (backchain/jit/_pool.py): parts taken
once each whichever thread runs them, workers that sleep when idle and wake for the next job, a second
caller that runs on its own, stopping, and a forked child."""
import os
import re
import threading
import time

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from backchain.jit import _pool  # noqa: E402
from backchain.jit._simd import rows_nn, rows_nt, stack  # noqa: E402
from tests.test_jit_gemm import _on_threads  # noqa: E402

RNG = np.random.default_rng(7)


def _nn_case(m=200, k=96, n=64):
    a = RNG.standard_normal((m, k)).astype(np.float32)
    b = RNG.standard_normal((k, n)).astype(np.float32)
    want = np.empty((m, n), np.float32)
    rows_nn(a.reshape(-1), k, 1, b.reshape(-1), n, want.reshape(-1), n, 0, m, n, k, 512)
    return a, b, want


def _nn(p, a, b, per):
    m, k = a.shape
    n = b.shape[1]
    c = np.full((m, n), np.nan, np.float32)
    assert p.run(_pool._nn, per, a.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, m, n, k, 512)
    return c


def _parts(p):
    return int(p.ctl[_pool.STATE + 1::8].sum())


def _until(cond, seconds=20.0):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if cond():
            return True
        time.sleep(0.001)
    return cond()


@pytest.mark.parametrize("per", [1, 3, 8, 200, 1000])
def test_every_part_once_in_any_split(per):
    """Rows in parts of any size (one row, ragged, the whole): the same bits as one call."""
    p = _pool.Pool(2)
    try:
        a, b, want = _nn_case()
        for _ in range(5):
            np.testing.assert_array_equal(_nn(p, a, b, per), want)
    finally:
        p.close()


def test_workers_take_parts_then_sleep_and_wake_for_the_next_job():
    p = _pool.Pool(3)            # two workers
    p.spin = 1 << 16             # cycles without a job before a worker sleeps: a few microseconds
    try:
        a, b, want = _nn_case(512, 128, 128)
        assert _until(lambda: (np.testing.assert_array_equal(_nn(p, a, b, 8), want), _parts(p) > 0)[1])
        assert _until(lambda: all(p.ctl[_pool.STATE::8] == 1))    # idle: both asleep
        before = _parts(p)
        assert _until(lambda: (np.testing.assert_array_equal(_nn(p, a, b, 8), want), _parts(p) > before)[1])
    finally:
        p.close()
    for t in p.threads:
        if t is not None:
            t.join(5)
            assert not t.is_alive()


def test_nt_and_stack_parts():
    p = _pool.Pool(2)
    try:
        m, k, n = 64, 48, 40
        a = RNG.standard_normal((m, k)).astype(np.float32)
        w = RNG.standard_normal((n, k)).astype(np.float32)
        want = np.empty((m, n), np.float32)
        rows_nt(a.reshape(-1), k, w.reshape(-1), k, want.reshape(-1), n, 0, m, n, k)
        c = np.empty_like(want)
        assert p.run(_pool._nt, 4, a.reshape(-1), k, w.reshape(-1), k, c.reshape(-1), n, m, n, k)
        np.testing.assert_array_equal(c, want)

        count, m, k, n = 6, 16, 32, 32
        a = RNG.standard_normal((count, m, k)).astype(np.float32)
        b = RNG.standard_normal((count, k, n)).astype(np.float32)
        aoffs = np.arange(count, dtype=np.int64) * m * k
        boffs = np.arange(count, dtype=np.int64) * k * n
        want = np.empty((count, m, n), np.float32)
        stack(a.reshape(-1), aoffs, k, 1, b.reshape(-1), boffs, n, False, want.reshape(-1), m, n, k, 0, count, 512)
        c = np.empty_like(want)
        assert p.run(_pool._stack, 1, a.reshape(-1), aoffs, k, 1, b.reshape(-1), boffs, n, False, c.reshape(-1), m, n, k,
                       count, 512)
        np.testing.assert_array_equal(c, want)
        np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-4)
    finally:
        p.close()


def test_a_second_caller_runs_on_its_own_while_the_pool_is_taken():
    p = _pool.Pool(2)
    try:
        a, b, want = _nn_case()
        taken, done = threading.Event(), threading.Event()

        def other():             # another thread's job in flight
            with p.lock:
                taken.set()
                done.wait(10)

        holder = threading.Thread(target=other)
        holder.start()
        taken.wait(10)
        try:
            c = np.empty_like(want)
            m, k = a.shape
            n = b.shape[1]
            assert not p.run(_pool._nn, 8, a.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, m, n, k, 512)
        finally:
            done.set()
            holder.join()
        results = [None] * 4

        def work(i):
            x = a * np.float32(i + 1)
            c = np.empty_like(want)
            if not p.run(_pool._nn, 8, x.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, m, n, k, 512):
                rows_nn(x.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, 0, m, n, k, 512)
            results[i] = (c, x)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c, x in results:     # each caller got its own product
            np.testing.assert_allclose(c, x @ b, rtol=1e-5, atol=1e-4)
    finally:
        p.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_starts_its_own_workers():
    p = _pool.pool(2)
    a, b, want = _nn_case()
    np.testing.assert_array_equal(_nn(p, a, b, 8), want)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            q = _pool.pool(2)
            ok = q is not p and _until(lambda: np.array_equal(_nn(q, a, b, 8), want) and _parts(q) > 0, 10)
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1)
    os.waitpid(pid, 0)
    assert got == b"1"


def test_parts_are_bounded_by_the_packed_counter():
    """A job's parts and its next part share one word with the sequence number: 16 bits each."""
    from backchain.jit import _gemm

    assert _gemm._per(10 ** 7, 8, 1) * _pool.MAX_PARTS >= 10 ** 7
    assert _gemm._per(128, 8, 256 * 256) == 8


# -- replays that split their products ---------------------------------------------------------

def _mlp(jit=True):
    """An MLP 784-256-10 with a 10-class head (its products of 10 columns or terms: padded copies), its
    SGD step (under bc.jit), and its parameters."""
    import backchain as bc
    import backchain.nn as nn
    import backchain.nn.functional as F

    rng = np.random.default_rng(3)
    bc.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = bc.optim.SGD(model.parameters(), lr=0.05)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)

    def step():
        loss = F.cross_entropy(model(bc.tensor(x)), bc.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return (bc.jit(step) if jit else step), list(model.parameters())


def _mlp_steps(threads, steps=4, jit=True):
    """The MLP trained ``steps`` steps on ``threads`` threads: its parameters, and the step."""
    jitted, params = _mlp(jit)
    _on_threads(threads, lambda: [jitted() for _ in range(steps)])
    return [p.data.copy() for p in params], jitted


def test_a_training_step_has_the_same_bits_on_one_thread_and_on_two():
    from backchain.jit import _gemm, _simd

    if not _simd._avx512():
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    assert _gemm.AVX512
    one, _ = _mlp_steps(1)
    two, jitted = _mlp_steps(2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    eager, _ = _mlp_steps(2, jit=False)   # (products in another order: the last bits differ)
    for a, b in zip(eager, two):
        np.testing.assert_allclose(b, a, rtol=2e-4, atol=2e-6)
    (paths,) = jitted._cache.values()
    src = paths[0].compiled.source
    env = paths[0].compiled.run_buffered.__globals__
    products = [k for k, v in env.items() if v is np.matmul and f"{k}(" in src]
    assert not products, src     # every product of the step the kernels' (none left to BLAS)
    assert any(v is _gemm.matmul for v in env.values()) and any(v is _gemm.linear for v in env.values())
    posts = [k for k, v in env.items() if v is _gemm.post and f"{k}(" in src]
    assert posts, src            # a weight gradient begun in the background, finished before its reader
    assert "finally:" in src


def test_a_program_with_a_convolution_keeps_its_products_on_blas_threads():
    """Its columns' products are BLAS's: two pools of spinning threads on the same cores would wait for
    each other, so the program's own products stay NumPy's on several threads."""
    from backchain.jit import _replay
    from backchain.jit._program import Call

    class Prog:
        steps = [Call("conv_bias+cols", None, (), {}, [0]), Call("matmul", np.matmul, (), {}, [1])]

    assert not _replay._one_pool(Prog, [None, None])
    Prog.steps = Prog.steps[1:]
    assert _replay._one_pool(Prog, [None, None])


def test_a_background_job_beside_the_callers_jobs():
    """The background slot: a job the caller posts and finishes later, while it posts and waits for
    others in its own slot (the LSTM's weight gradient beside its steps' products)."""
    p = _pool.Pool(2)
    try:
        a, b, want = _nn_case(256, 64, 64)
        m, k = a.shape
        n = b.shape[1]
        for _ in range(20):
            c = np.zeros_like(want)
            with p.held() as ctl:
                parts = _pool.post_nn(ctl, _pool.BG, 8, a.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n,
                                      m, n, k, 512, True)     # c += a @ b, in the background
                assert parts == 32
                other = np.full_like(want, np.nan)
                _pool._nn(ctl, 8, a.reshape(-1), k, 1, b.reshape(-1), n, other.reshape(-1), n, m, n, k, 512)
                _pool._finish(ctl, parts, _pool.BG)
            np.testing.assert_array_equal(other, want)
            np.testing.assert_array_equal(c, want)     # (added to zeros: the same sums)
    finally:
        p.close()


def _lstm_step_params(threads, steps=3, hidden=64, masked=False, jit=True):
    """An LSTM (30 time steps, batch 32) trained ``steps`` steps on ``threads`` threads: its parameters.
    ``masked``: sequences of several lengths, every hidden state in the loss."""
    import backchain as bc
    import backchain.nn as nn
    import backchain.nn.functional as F

    rng = np.random.default_rng(5)
    bc.manual_seed(1)
    lstm, head = nn.LSTM(16, hidden), nn.Linear(hidden, 10)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = bc.optim.SGD(params, lr=0.1)
    x = rng.standard_normal((30, 32, 16)).astype(np.float32)   # 30 steps: three blocks of the weight gradient
    y = rng.integers(0, 10, 32)
    lengths = rng.integers(1, 31, 32) if masked else None

    def step():
        out, _ = lstm(bc.tensor(x), lengths=lengths)
        if masked:
            loss = F.cross_entropy(head(out.mean(axis=0)), bc.tensor(y)) + 0.1 * (out * out).mean()
        else:
            loss = F.cross_entropy(head(out[-1]), bc.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()

    jitted = bc.jit(step) if jit else step
    _on_threads(threads, lambda: [jitted() for _ in range(steps)])
    return [p.data.copy() for p in params]


@pytest.mark.parametrize("hidden, masked", [(20, False), (20, True), (64, True)])
def test_lstm_unit_blocks_of_any_size_masked_or_not(hidden, masked):
    """A step's parts are blocks of hidden units (the last one ragged where the units are not a multiple of
    the block): the same bits on one thread and on two, and the eager values within float32's rounding."""
    if not _simd_ok():
        pytest.skip("the LSTM's 16-lane kernels run where the CPU has AVX-512")
    one = _lstm_step_params(1, hidden=hidden, masked=masked)
    two = _lstm_step_params(2, hidden=hidden, masked=masked)
    eager = _lstm_step_params(1, hidden=hidden, masked=masked, jit=False)
    for a, b, e in zip(one, two, eager):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-5)


def test_an_lstm_step_has_the_same_bits_on_one_thread_and_on_two():
    from backchain.jit import _simd

    if not _simd._avx512():
        pytest.skip("the LSTM's 16-lane kernels run where the CPU has AVX-512")
    assert _simd.AVX512
    one = _lstm_step_params(1)
    several = numba.config.NUMBA_NUM_THREADS > 1
    before = _parts(_pool.pool(2)) if several else 0
    end = time.perf_counter() + 20
    while True:   # until a worker has run a part (a sleeping worker wakes when the first step starts)
        for a, b in zip(one, _lstm_step_params(2)):
            np.testing.assert_array_equal(a, b)
        if not several or _parts(_pool.pool(2)) > before or time.perf_counter() > end:
            break
    assert not several or _parts(_pool.pool(2)) > before



def _pool_free():
    p = _pool.pool(2) if numba.config.NUMBA_NUM_THREADS > 1 else None
    if p is None:
        return True
    if p.pending is not None or not p.lock.acquire(False):
        return False
    p.lock.release()
    return True


def test_background_products_finish_before_a_guard_and_when_a_replay_raises():
    """A product begun in the background is finished before a guard (which may leave the replay), and
    the pool is free after a replay that retraces or raises."""
    import backchain as bc
    import backchain.numpy as bnp

    if not _simd_ok():
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    rng = np.random.default_rng(8)
    w1 = rng.standard_normal((256, 256)).astype(np.float32) / 16
    w2 = rng.standard_normal((256, 256)).astype(np.float32) / 16
    x = rng.standard_normal((128, 256)).astype(np.float32)

    def loss(ws, x):
        h = bnp.maximum(x @ ws[0], 0)
        return bnp.mean((h @ ws[1]) ** 2)

    def step(ws, x, limit):
        v, g = bc.value_and_grad(loss)(ws, x)
        if v > limit:          # a guard after the backward pass's products
            return [g[0] * 0.5, g[1] * 0.5]
        return g

    jitted = bc.jit(step)
    eager = step
    for limit in (0.0, 1e9, 0.0, 1e9):
        got = _on_threads(2, lambda: jitted([w1, w2], x, limit))
        want = eager([w1, w2], x, limit)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        assert _pool_free()
    (paths, *_) = jitted._cache.values()
    srcs = [pth.compiled.source for pth in paths]
    assert any(" = p" in src for src in srcs), srcs
    for src in srcs:   # every background product is waited for before the guard's line
        lines = [ln.strip() for ln in src.splitlines()]
        for n, ln in enumerate(lines):
            if ln.startswith("if "):
                before = lines[:n]
                last_post = max((j for j, x in enumerate(before) if " = p" in x), default=-1)
                last_wait = max((j for j, x in enumerate(before) if x.startswith("w") and x.endswith("()")),
                                default=-1)
                assert last_post < last_wait or last_post == -1, src

    assert _pool_free()


def test_post_holds_the_pool_until_wait():
    """_gemm.post begins a product in the background and returns at once; until _gemm.wait the posting
    thread holds the pool (another thread's products run on their own), and its arrays are kept."""
    from backchain.jit import _gemm

    if not _simd_ok() or numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("the background slot is used on several threads where the CPU has AVX-512")
    a, b, _ = _nn_case(512, 256, 256)
    want = _on_threads(1, lambda: _gemm.matmul(a, b))
    out = np.full_like(want, np.nan)

    def posted():
        assert _gemm.post(a, b, out) is out
        p = _pool.pool(2)
        assert p.pending is not None
        got = []
        t = threading.Thread(target=lambda: got.append(p.lock.acquire(False)))
        t.start()
        t.join()
        assert got == [False]              # held by this thread until wait
        _gemm.wait()
        _gemm.wait()                       # (nothing left: a no-op)

    _on_threads(2, posted)
    np.testing.assert_array_equal(out, want)
    assert _pool_free()
    small = np.full((8, 16), np.nan, np.float32)   # a product too small to split: done at once
    assert _on_threads(2, lambda: _gemm.post(a[:8, :64], b[:64, :16], small)) is small
    assert _pool.pool(2).pending is None
    np.testing.assert_allclose(small, a[:8, :64] @ b[:64, :16], rtol=1e-5, atol=1e-5)


def _simd_ok():
    from backchain.jit import _simd

    return _simd._avx512()


def test_two_threads_each_replaying_with_background_products():
    """Two threads train their own models under bc.jit at once: one holds the pool while its product
    runs in the background, the other's products run on its own thread; each equals its run alone."""
    if not _simd_ok():
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    alone = _mlp_steps(2, steps=4)[0]
    # models made and traced in turn: their initialisations draw from one generator, and a trace runs
    # the step eagerly, whose BLAS products' bits depend on how many threads BLAS gives each call
    made = [_mlp() for _ in range(2)]
    for step, _ in made:
        _on_threads(2, step)
    results = [None, None]

    def work(i):
        step, params = made[i]
        _on_threads(2, lambda: [step() for _ in range(3)])
        results[i] = [p.data.copy() for p in params]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        for a, b in zip(got, alone):
            np.testing.assert_array_equal(a, b)
    assert _pool_free()


def _manual_sgd_steps(threads, fused=True, steps=4, monkeypatch=None):
    """W1's step (784-256-10, ``p.data -= lr * p.grad``) under bc.jit for ``steps`` steps on ``threads``
    threads: its parameters, and the replay's source. ``fused=False``: the product and the SGD update
    as two calls."""
    import backchain as bc
    import backchain.numpy as bnp
    import backchain.nn.functional as F
    from backchain.jit import _replay

    if not fused:
        monkeypatch.setattr(_replay, "_sgd_of", lambda step, k: False)
        monkeypatch.setattr(_replay, "_bias_relu_of", lambda step, k: False)
    rng = np.random.default_rng(5)
    params = [bc.tensor((rng.standard_normal(s) * 0.05).astype(np.float32), requires_grad=True)
              for s in ((784, 256), (256,), (256, 10), (10,))]
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)

    def step():
        W1, b1, W2, b2 = params
        loss = F.cross_entropy(F.relu(bnp.matmul(x, W1) + b1) @ W2 + b2, y)
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad
            p.grad = None

    jitted = bc.jit(step)
    _on_threads(threads, lambda: [jitted() for _ in range(steps)])
    (paths,) = jitted._cache.values()
    return [p.data.copy() for p in params], paths[0].compiled.source


def test_products_take_the_sgd_step_and_the_bias_and_relu_with_the_same_bits(monkeypatch):
    """The product making a weight's gradient applies ``p -= lr * g`` to its rows as its parts finish
    (_gemm.matmul_sgd), and the product of a dense layer followed by its bias and ReLU
    (``_patterns._bias_relu``) applies them (_gemm.matmul_bias_relu): the same bits as the separate
    calls, on one thread and on two."""
    if not _simd_ok():
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    one, src = _manual_sgd_steps(1)
    two, _ = _manual_sgd_steps(2)
    assert re.search(r"s\d+, s\d+ = gs\d+\(", src) and re.search(r"s\d+, s\d+ = gb\d+\(", src), src
    apart, src_apart = _manual_sgd_steps(2, fused=False, monkeypatch=monkeypatch)
    assert not re.search(r"= g[sb]\d+\(", src_apart)
    for a, b, c in zip(one, two, apart):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_matmul_bias_relu_in_the_parts_or_as_two_calls():
    """_gemm.matmul_bias_relu: with the function _patterns._bias_relu makes (its arrays as attributes),
    the parts apply the bias and ReLU (NaN kept), the same bits on one thread and on two; with a
    function without them, the product then the call."""
    if not _simd_ok():
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    from backchain.jit import _gemm

    calls = []

    def bias_relu(c, bias):   # (a stand-in without the attributes: the two calls)
        calls.append(c.copy())
        return c + bias, np.maximum(c + bias, 0)

    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((64, 96)).astype(np.float32), rng.standard_normal((96, 128)).astype(np.float32)
    bias = rng.standard_normal(128).astype(np.float32)
    z, h = _gemm.matmul_bias_relu(a, b, np.empty((64, 128), np.float32), bias, bias_relu)
    assert len(calls) == 1
    np.testing.assert_allclose(z, a.astype(np.float64) @ b + bias, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(h, np.maximum(z, 0))

    def fused(c, bias):   # (with the attributes _patterns._bias_relu gives its function: the parts apply it)
        raise AssertionError("the product's parts apply the bias and ReLU")

    fused.shape, fused.dtype = (64, 128), np.dtype(np.float32)
    fused.outs = (np.empty((64, 128), np.float32), np.empty((64, 128), np.float32))
    a[3, 5] = np.nan   # (a NaN row: kept by the ReLU)
    want = _gemm.matmul(a, b) + bias
    for threads in (1, 2):
        z, h = _on_threads(threads, lambda: _gemm.matmul_bias_relu(a, b, np.empty((64, 128), np.float32), bias, fused))
        assert z is fused.outs[0] and h is fused.outs[1]
        np.testing.assert_array_equal(z, want)
        np.testing.assert_array_equal(h, np.maximum(want, 0))
        assert np.isnan(h[3]).all()


def test_matmul_sgd_waits_for_a_background_product_reading_the_parameter_and_falls_back():
    """A product posted in the background that reads a view of the parameter is finished before the
    update writes it; parameters the kernel cannot update in place take the update function."""
    from backchain.jit import _gemm

    if not _simd_ok():
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    rng = np.random.default_rng(8)
    calls = []

    def update(p, g):
        calls.append(p.shape)
        p -= np.float32(0.5) * g
        return p

    update.coef = 0.5
    p = rng.standard_normal((256, 512)).astype(np.float32)
    a, b = rng.standard_normal((256, 128)).astype(np.float32), rng.standard_normal((128, 512)).astype(np.float32)
    x = rng.standard_normal((64, 256)).astype(np.float32)
    want_bg = np.matmul(x.astype(np.float64), p.astype(np.float64))
    want_g = np.empty((256, 512), np.float32)
    _gemm.matmul(a, b, want_g)
    want_p = p - np.float32(0.5) * want_g
    for threads in (1, 2):
        q = p.copy()
        bg, out = np.empty((64, 512), np.float32), np.empty((256, 512), np.float32)

        def run():
            _gemm.post(x, q, bg)          # reads q, which the update then writes
            r = _gemm.matmul_sgd(a, b, out, q, update)
            _gemm.wait()
            return r

        (g, q2), = _on_threads(threads, lambda: [run()])
        assert q2 is q and g is out and not calls
        np.testing.assert_allclose(bg, want_bg, rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(out, want_g)
        np.testing.assert_array_equal(q, want_p)
    f = np.asfortranarray(p)             # not C-contiguous: the update function
    g, f2 = _gemm.matmul_sgd(a, b, np.empty((256, 512), np.float32), f, update)
    assert calls == [(256, 512)]
    np.testing.assert_array_equal(f2, want_p)
