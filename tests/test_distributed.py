"""backchain.distributed in one process: the sampler (against PyTorch's), the DataLoader hook, the
gradient buckets, and the errors when MPI is missing or not initialised. The multi-process tests are in
test_distributed_mpi.py."""
import subprocess
import sys

import numpy as np
import pytest

import backchain as bc
from backchain.distributed import DistributedSampler
from backchain.distributed.parallel import _make_buckets


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_torch_without_shuffle(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    ds = np.zeros(n)
    for rank in range(replicas):
        ours = DistributedSampler(ds, num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(torch.zeros(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n, replicas", [(10, 3), (64, 2), (101, 4)])
def test_sampler_shuffles_per_epoch_and_partitions(n, replicas):
    ds = np.zeros(n)
    samplers = [DistributedSampler(ds, num_replicas=replicas, rank=r, seed=5) for r in range(replicas)]
    orders = []
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        shares = [list(s) for s in samplers]
        assert len({len(sh) for sh in shares}) == 1  # equal shares, so every rank runs as many steps
        flat = sorted(i for sh in shares for i in sh)
        assert set(flat) == set(range(n)) and len(flat) == -(-n // replicas) * replicas  # padded by repeats
        orders.append(shares[0])
    assert orders[0] != orders[1] != orders[2]
    # the same seed and epoch give the same order (on every rank, in every process)
    again = DistributedSampler(ds, num_replicas=replicas, rank=0, seed=5)
    again.set_epoch(1)
    assert list(again) == orders[1]


def test_sampler_without_padding_covers_each_sample_once():
    ds = np.zeros(10)
    shares = [list(DistributedSampler(ds, num_replicas=4, rank=r, shuffle=False, pad=False)) for r in range(4)]
    assert shares == [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]
    assert [len(DistributedSampler(ds, num_replicas=4, rank=r, pad=False)) for r in range(4)] == [3, 3, 2, 2]


def test_sampler_with_dataloader():
    x = np.arange(20.0)[:, None]
    ds = bc.data.TensorDataset(x, np.arange(20))
    s = DistributedSampler(ds, num_replicas=2, rank=1, seed=0)
    loader = bc.data.DataLoader(ds, batch_size=4, sampler=s)
    batches = [yb for _, yb in loader]
    assert len(loader) == 3 and [len(b) for b in batches] == [4, 4, 2]
    assert np.concatenate(batches).tolist() == list(s)
    with pytest.raises(ValueError, match="sampler and shuffle=True are mutually exclusive"):
        bc.data.DataLoader(ds, batch_size=4, sampler=s, shuffle=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_replicas": 0, "rank": 0}, "num_replicas should be a positive integer"),
    ({"num_replicas": 2, "rank": 2}, r"invalid rank 2, expected an integer in \[0, 1\]"),
    ({"num_replicas": 2, "rank": 0, "seed": None}, "seed should be an integer"),
])
def test_sampler_errors(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DistributedSampler(np.zeros(4), **kwargs)


def test_buckets_group_by_dtype_in_reverse_order_and_respect_the_cap():
    params = [bc.nn.Parameter(np.zeros(n, dtype=dt)) for n, dt in
              [(100, np.float32), (300, np.float32), (50, np.float64), (200, np.float32), (1000, np.float32)]]
    buckets = _make_buckets(params, cap_bytes=2000)  # 500 float32 values
    index = lambda p: next(k for k, q in enumerate(params) if q is p)
    got = [(b.dtype.name, [index(p) for p in b.params], b.size) for b in buckets]
    assert got == [("float32", [4], 1000), ("float32", [3, 1], 500), ("float32", [0], 100), ("float64", [2], 50)]
    assert [off for b in buckets for off in b.offsets] == [0, 0, 200, 0, 0]
    one = _make_buckets(params, cap_bytes=25 * 2 ** 20)
    assert [(b.dtype.name, b.size) for b in one] == [("float32", 1600), ("float64", 50)]


def test_not_initialised_errors_name_init():
    code = ("import backchain as bc\n"
            "for f in (bc.distributed.rank, bc.distributed.world_size, bc.distributed.barrier):\n"
            "    try:\n        f()\n    except bc.distributed.DistributedError as e:\n        print(e)\n"
            "try:\n    bc.distributed.DistributedSampler([1, 2])\n"
            "except bc.distributed.DistributedError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 4 and all("call bc.distributed.init() first" in line for line in lines), out.stdout


def test_import_backchain_does_not_load_mpi():
    code = ("import sys, backchain as bc\n"
            "bc.distributed.DistributedSampler([1, 2, 3], num_replicas=2, rank=0)\n"
            "assert bc.distributed.is_initialized() is False\n"
            "print(sorted(m for m in sys.modules if m.startswith('mpi4py')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_without_mpi4py_init_says_how_to_install():
    # mpi4py made unimportable: backchain and bc.distributed still import; init() names the extra.
    code = ("import sys\nsys.modules['mpi4py'] = None\n"
            "import backchain as bc\n"
            "try:\n    bc.distributed.init()\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "backchain.distributed needs mpi4py" in out.stdout and "pip install backchain[mpi]" in out.stdout


def test_fit_and_evaluate_unchanged_without_distributed():
    # the hooks in fit are inactive in one process: no sampler, the usual loader
    from backchain.train import _loader

    loader = _loader((np.zeros((8, 2)), np.zeros(8)), 4, True, 0, "fit", training=True)
    assert loader.sampler is None and loader.shuffle
