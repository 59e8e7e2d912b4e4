"""Data-parallel training over MPI (mpi4py): ``mpiexec -n N python train.py``.

MPI — the engine behind Horovod and ChainerMN — starts the processes, and
backchain uses it for four things: broadcasting rank 0's initial parameters
and optimizer state, averaging gradients with one fused allreduce per step
(:class:`DistributedDataParallel`, :class:`DistributedOptimizer`,
:func:`wrap`), sharding data (:class:`DistributedSampler`), and reducing the
metrics that ``bc.fit`` shows and logs on rank 0. Checkpoints are written by
rank 0 only. Collectives wait with a timeout, and an uncaught exception on
any rank aborts the whole job, so a failure never leaves ranks hanging.

mpi4py is loaded on first use: ``import backchain`` works without it, and
only :func:`init` (and what needs it) raises an ``ImportError`` that says to
``pip install backchain[mpi]``. See ``docs/distributed.md``.

Examples
--------
>>> import numpy as np, backchain as bc
>>> from backchain.distributed import DistributedSampler
>>> list(DistributedSampler(np.zeros(5), num_replicas=2, rank=0, shuffle=False))
[0, 2, 4]
"""
from ._comm import (init, is_initialized, rank, world_size, barrier, all_sum, broadcast, broadcast_object,
                    DistributedError, DistributedTimeoutError)
from .sampler import DistributedSampler
from .parallel import DistributedDataParallel, DistributedOptimizer, wrap
from .io import save

__all__ = ["init", "is_initialized", "rank", "world_size", "barrier", "all_sum", "broadcast", "broadcast_object",
           "DistributedError", "DistributedTimeoutError", "DistributedSampler", "DistributedDataParallel",
           "DistributedOptimizer", "wrap", "save"]
