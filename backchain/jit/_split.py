"""Two threads for the pattern kernels and layout copies of a replay: work sharing that never waits
for a core it does not get.

:func:`run` ``(fn, n)`` calls ``fn(0) ... fn(n - 1)``, chunks of a kernel's independent outputs (a
range of samples or channels: a Numba ``nogil`` kernel or a NumPy copy, both of which release the
GIL). The calling thread and one helper thread take chunks from one shared counter: the caller
starts at once and the helper joins when it wakes, so when the second core is busy (OpenBLAS's
threads spinning after a product, another process) the caller does every chunk itself and waits
only for a chunk the helper has begun. Each chunk computes its outputs exactly as the whole call
would (no sum is split), so the values are the same whichever thread computes which chunk.

Why not Numba's ``parallel=True``: measured on this 2-core VM, an OpenMP parallel region right
after an OpenBLAS product waits for the core OpenBLAS's idle thread spins on, a scheduler time
slice (4-8 ms per region, against 0.1 ms of work); a parallel kernel also compiles in 1.2-1.6 s
against 0.2 s serial, and its loops over chunk offsets vectorised worse with one thread.

When the helper does not pay (it ran no chunk, or this thread waited for its chunk longer than it
worked itself) three runs in a row, the chunks run in turn on the calling thread for a quarter of a
second, then the helper is tried again: on a machine whose other core is busy the cost is a few
runs a second.

Off by default (``BACKCHAIN_JIT_THREADS=2`` turns it on): measured on this 2-core VM it does not
pay. Waking the helper takes 20-100 µs, as long as much of a pattern call's work (0.05-0.25 ms in
W3), and during a training step the second core is held by OpenBLAS's idle thread, which spins
for a while after each product: with the helper, W3's step took 2.14 ms (2.50 without the
back-off) against 2.12 ms without it, and 2.66 (2.88) against 2.64 with OpenBLAS on one thread.
(A chunked kernel does scale where its threads are already awake: 1.16 ms against 2.22 for ten
calls of the first pool backward on two threads started together.)

Threads, when on: the helper is used while ``numba.get_num_threads() > 1`` and the machine has
more than one core; otherwise, or while another thread's replay is using the helper, the chunks
run in turn (callers make one call instead: :func:`sharing`). A forked child starts its own
helper.
"""
import os
import sys
import threading
import time

__all__ = ["run", "sharing", "threads"]


class _Helper:
    def __init__(self):
        self.job = None                        # the shared iterator of chunk numbers, and the function
        self.wake = threading.Semaphore(0)
        self.busy = threading.Lock()           # held by the helper while it runs a chunk
        self.owner = threading.Lock()          # held by the caller of run()
        self.error = None
        self.thread = None
        self.chunks = 0                        # chunks the helper has run (for tests and profiles)
        self.misses = 0                        # runs in a row where the helper did not pay
        self.off_until = 0.0                   # no helper before this time (time.perf_counter())

    def _loop(self):
        while True:
            self.wake.acquire()
            job = self.job
            if job is None:
                continue
            it, fn = job
            while True:
                with self.busy:
                    i = next(it, None)
                    if i is None:
                        break
                    self.chunks += 1
                    try:
                        fn(i)
                    except BaseException as e:  # noqa: BLE001 - handed to the caller
                        self.error = e

    def run(self, fn, n):
        if not self.owner.acquire(False):
            for i in range(n):
                fn(i)
            return
        try:
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name="backchain-jit-helper", daemon=True)
                self.thread.start()
            it = iter(range(n))
            before = self.chunks
            self.job = (it, fn)
            t0 = _clock()
            self.wake.release()
            for i in it:          # the same iterator: each chunk number is taken once, by one thread
                fn(i)
            t1 = _clock()
            with self.busy:       # the helper's chunk in flight, if any
                self.job = None
            t2 = _clock()
            # the helper paid if it ran a chunk and this thread waited for it less than it worked itself
            if self.chunks == before or t2 - t1 > t1 - t0:
                self.misses += 1
                if self.misses >= MISSES:
                    self.misses = 0
                    self.off_until = t2 + BACKOFF_S
            else:
                self.misses = 0
            if self.error is not None:
                e, self.error = self.error, None
                raise e
        finally:
            self.owner.release()


# After MISSES runs in a row where the helper did not pay (it got no core in time: another process, or
# OpenBLAS's idle threads, on the other one), the chunks run in turn for BACKOFF_S seconds.
MISSES = 3
BACKOFF_S = 0.25
_clock = time.perf_counter
_helper = _Helper()
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def threads():
    """How many threads :func:`run` uses now: 2 with ``BACKCHAIN_JIT_THREADS=2`` on a machine of two cores
    or more, unless ``NUMBA_NUM_THREADS=1`` or ``numba.set_num_threads(1)`` on this thread; else 1.
    (Numba's threads are not started for this.)"""
    if (_cores < 2 or os.environ.get("BACKCHAIN_JIT_THREADS", "1").strip() in ("", "0", "1")
            or os.environ.get("NUMBA_NUM_THREADS", "").strip() == "1"):
        return 1
    p = sys.modules.get("numba.np.ufunc.parallel")
    if p is not None and getattr(p, "_is_initialized", False) and p.get_num_threads() < 2:
        return 1
    return 2


def sharing():
    """Whether :func:`run` would share chunks with the helper now (two threads, and no back-off): a caller
    that can do its work in one call makes that call otherwise."""
    return threads() > 1 and _clock() >= _helper.off_until


def run(fn, n):
    """``fn(i)`` for ``i`` in ``range(n)``, shared between this thread and the helper (see the module)."""
    if n > 1 and sharing():
        _helper.run(fn, n)
    else:
        for i in range(n):
            fn(i)


def _after_fork():
    global _helper
    _helper = _Helper()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
