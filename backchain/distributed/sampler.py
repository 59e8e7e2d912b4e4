"""DistributedSampler: each rank's share of a dataset (PyTorch's semantics, NumPy's generator)."""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """The indices of one rank's share of a dataset, reshuffled every epoch with a shared seed.

    Every rank draws the same permutation (from ``seed + epoch``), pads it or
    drops its tail so that it divides evenly, and takes every
    ``num_replicas``-th index starting at its ``rank``. Pass it to
    ``bc.data.DataLoader(dataset, batch_size, sampler=...)`` and call
    :meth:`set_epoch` at the start of each epoch (``bc.fit`` does), as in
    PyTorch.

    Parameters
    ----------
    dataset : sized
        Anything with ``__len__``.
    num_replicas, rank : int, optional
        The number of ranks and this one; default: ``bc.distributed.world_size()``
        and ``bc.distributed.rank()`` (which need :func:`init`).
    shuffle : bool
        Draw a new permutation every epoch (default True).
    seed : int
        The shared seed; every rank must pass the same one (default 0).
    drop_last : bool
        Drop the tail so that every rank gets ``len(dataset) // num_replicas``
        samples; otherwise (default) repeat indices from the start of the
        permutation until the length divides evenly, as PyTorch does.
    pad : bool
        With ``drop_last=False``: pad to equal shares (default True, PyTorch's
        behaviour, needed for training, where every rank must run the same number
        of steps). ``pad=False`` gives uneven shares that cover each sample
        exactly once, for evaluation whose sums are reduced across ranks
        (a backchain addition).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> from backchain.distributed import DistributedSampler
    >>> ds = bc.data.TensorDataset(np.arange(10.0))
    >>> [list(DistributedSampler(ds, num_replicas=4, rank=r, shuffle=False)) for r in range(4)]
    [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]
    >>> s = DistributedSampler(ds, num_replicas=2, rank=1, seed=3)
    >>> s.set_epoch(1); loader = bc.data.DataLoader(ds, batch_size=2, sampler=s)
    >>> len(s), len(loader)
    (5, 3)
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False, *, pad: bool = True) -> None:
        if num_replicas is None or rank is None:
            from . import _comm

            state = _comm._require("DistributedSampler (num_replicas/rank not given)")
            num_replicas = state.size if num_replicas is None else num_replicas
            rank = state.rank if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas should be a positive integer, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, expected an integer in [0, {num_replicas - 1}]")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"DistributedSampler: seed should be an integer shared by all ranks, got {seed!r}")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.pad = bool(pad)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        elif self.pad or self.drop_last:
            self.num_samples = math.ceil(n / self.num_replicas)
        else:
            self.num_samples = len(range(self.rank, n, self.num_replicas))
        self.total_size = self.num_samples * self.num_replicas if (self.pad or self.drop_last) else n

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch`` (call it before each epoch, with the same value on every rank)."""
        self.epoch = int(epoch)

    def indices(self) -> NDArray[Any]:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.pad and self.total_size > n:
            extra = self.total_size - n
            order = np.concatenate([order, np.resize(order, extra)]) if n else order
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def state_dict(self) -> dict[str, Any]:
        """The epoch (the permutation follows from it and the seed)."""
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.epoch = int(state["epoch"])
        self.seed = int(state["seed"])

    def __repr__(self):
        return (f"DistributedSampler(rank {self.rank} of {self.num_replicas}, {self.num_samples} samples, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
