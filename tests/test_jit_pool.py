"""The pool of spinning workers that split the replay's products (backchain/jit/_pool.py): parts taken
once each whichever thread runs them, workers that sleep when idle and wake for the next job, a second
caller that runs on its own, stopping, and a forked child."""
import os
import threading
import time

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from backchain.jit import _pool  # noqa: E402
from backchain.jit._simd import rows_nn, rows_nt, stack  # noqa: E402

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
    assert p.nn(per, a.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, m, n, k, 512)
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
        assert p.nt(4, a.reshape(-1), k, w.reshape(-1), k, c.reshape(-1), n, m, n, k)
        np.testing.assert_array_equal(c, want)

        count, m, k, n = 6, 16, 32, 32
        a = RNG.standard_normal((count, m, k)).astype(np.float32)
        b = RNG.standard_normal((count, k, n)).astype(np.float32)
        aoffs = np.arange(count, dtype=np.int64) * m * k
        boffs = np.arange(count, dtype=np.int64) * k * n
        want = np.empty((count, m, n), np.float32)
        stack(a.reshape(-1), aoffs, k, 1, b.reshape(-1), boffs, n, False, want.reshape(-1), m, n, k, 0, count, 512)
        c = np.empty_like(want)
        assert p.stack(1, a.reshape(-1), aoffs, k, 1, b.reshape(-1), boffs, n, False, c.reshape(-1), m, n, k,
                       count, 512)
        np.testing.assert_array_equal(c, want)
        np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-4)
    finally:
        p.close()


def test_a_second_caller_runs_on_its_own_while_the_pool_is_taken():
    p = _pool.Pool(2)
    try:
        a, b, want = _nn_case()
        p.lock.acquire()         # another thread's job in flight
        try:
            c = np.empty_like(want)
            m, k = a.shape
            n = b.shape[1]
            assert not p.nn(8, a.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, m, n, k, 512)
        finally:
            p.lock.release()
        results = [None] * 4

        def work(i):
            x = a * np.float32(i + 1)
            c = np.empty_like(want)
            if not p.nn(8, x.reshape(-1), k, 1, b.reshape(-1), n, c.reshape(-1), n, m, n, k, 512):
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
