"""backchain._core.scratch: large arrays reuse memory only once nothing refers to it."""
import gc

import numpy as np

from backchain._core import scratch


def test_memory_comes_back_only_when_every_view_is_gone():
    a = scratch.empty((512, 1024), np.float32)
    a[:] = 1.0
    where = a.ctypes.data
    view = a[3:].T
    del a
    b = scratch.empty((512, 1024), np.float32)   # the view still holds the first buffer
    assert not np.shares_memory(b, view)
    assert np.all(view == 1.0)
    b[:] = 2.0
    assert np.all(view == 1.0)
    del view
    c = scratch.empty((512, 1024), np.float32)   # now free: handed out again
    assert c.ctypes.data == where
    del b, c


def test_arrays_are_ordinary_writable_c_arrays():
    a = scratch.empty((300, 1000), np.float64)
    assert a.shape == (300, 1000) and a.dtype == np.float64
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    assert a.ctypes.data % scratch.ALIGN == 0
    a.setflags(write=False)   # the engine locks saved arrays read-only, then unlocks them
    a.setflags(write=True)
    a[...] = np.arange(300 * 1000, dtype=np.float64).reshape(300, 1000)
    assert a.sum() == np.arange(300 * 1000).sum()
    small = scratch.empty((10, 10), np.float32)
    assert small.flags.owndata   # under MIN_BYTES: plain np.empty


def test_a_bounded_number_of_buffers_wait_and_only_fitting_ones_are_taken():
    arrays = [scratch.empty((1 << 18,), np.float32) for _ in range(scratch.KEEP + 3)]   # 1 MiB each
    del arrays
    gc.collect()
    assert len(scratch._kept) == scratch.KEEP
    big = scratch.empty((3 << 18,), np.float32)      # 3 MiB: no kept buffer is large enough
    assert len(scratch._kept) == scratch.KEEP
    same = scratch.empty((1 << 18,), np.float32)     # 1 MiB: takes one
    assert len(scratch._kept) == scratch.KEEP - 1
    del big, same


def test_kept_bytes_are_bounded(monkeypatch):
    monkeypatch.setattr(scratch, "KEEP_BYTES", 5 << 20)
    arrays = [scratch.empty((1 << 18,), np.float32) for _ in range(8)]   # 1 MiB each
    del arrays
    gc.collect()
    assert 1 <= len(scratch._kept) and sum(len(b) for b in scratch._kept) <= 5 << 20
