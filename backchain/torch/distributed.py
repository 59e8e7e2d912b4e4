"""``torch.distributed`` over backchain's MPI group (``backchain.distributed``): launch with
``mpiexec -n N python train.py`` (not ``torchrun``). ``init_process_group`` joins the MPI group (the
``backend`` may be "mpi", "gloo" or None; "nccl" raises: there are no GPUs); ranks, world size,
``barrier``, ``all_reduce`` and ``broadcast`` work on torch Tensors in place.

>>> import backchain.torch as torch
>>> torch.distributed.is_available()
True
"""
import numpy as np

import backchain.distributed as _dist
from .._core.tensor import Tensor as _Base, bump_version

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group", "get_rank",
           "get_world_size", "barrier", "all_reduce", "broadcast", "ReduceOp"]


class ReduceOp:
    """The reductions of :func:`all_reduce` backchain supports: ``SUM`` and ``AVG``.

    >>> import backchain.torch as torch
    >>> torch.distributed.ReduceOp.SUM
    'sum'
    """

    SUM = "sum"
    AVG = "avg"


def is_available():
    """Whether MPI (mpi4py) can be loaded.

    >>> import backchain.torch as torch
    >>> isinstance(torch.distributed.is_available(), bool)
    True
    """
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_initialized():
    """Whether :func:`init_process_group` has run.

    >>> import backchain.torch as torch
    >>> isinstance(torch.distributed.is_initialized(), bool)
    True
    """
    return _dist.is_initialized()


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, **kwargs):
    """Join the MPI group of the processes ``mpiexec`` started (a group of one without ``mpiexec``).

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group(backend="gloo")
    >>> torch.distributed.get_rank(), torch.distributed.get_world_size()
    (0, 1)
    """
    if backend is not None and str(backend).lower() not in ("mpi", "gloo"):
        raise RuntimeError(f"init_process_group(backend={backend!r}): backchain runs on the CPU over MPI; use "
                           "backend='gloo' or 'mpi' (or None) and launch with mpiexec -n N")
    seconds = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
    _dist.init(timeout=seconds)
    if world_size not in (-1, _dist.world_size()) or rank not in (-1, _dist.rank()):
        raise RuntimeError(f"init_process_group(world_size={world_size}, rank={rank}): mpiexec started "
                           f"{_dist.world_size()} process(es) and this one is rank {_dist.rank()}")


def destroy_process_group(group=None):
    """Accepted: the MPI group ends with the processes.

    >>> import backchain.torch as torch
    >>> torch.distributed.destroy_process_group()
    """


def get_rank(group=None):
    """This process's rank.

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group()
    >>> torch.distributed.get_rank()
    0
    """
    return _dist.rank()


def get_world_size(group=None):
    """The number of processes.

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group()
    >>> torch.distributed.get_world_size()
    1
    """
    return _dist.world_size()


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank gets here.

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group()
    >>> torch.distributed.barrier()
    """
    _dist.barrier()


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Sum (or average) ``tensor`` over the ranks, in place.

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group()
    >>> t = torch.tensor([1.0, 2.0])
    >>> torch.distributed.all_reduce(t)
    >>> t
    tensor([1., 2.])
    """
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise RuntimeError(f"all_reduce(op={op!r}): backchain supports ReduceOp.SUM and ReduceOp.AVG")
    out = _dist.all_sum(tensor._data, average=op == ReduceOp.AVG)
    tensor._data[...] = out.astype(tensor._data.dtype, copy=False)
    bump_version(tensor, "distributed.all_reduce")


def broadcast(tensor, src=0, group=None, async_op=False):
    """Overwrite ``tensor`` with rank ``src``'s, in place.

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group()
    >>> t = torch.tensor([3.0])
    >>> torch.distributed.broadcast(t, src=0)
    >>> t
    tensor([3.])
    """
    _dist.broadcast(np.asarray(tensor._data if isinstance(tensor, _Base) else tensor), root=src)
