"""``torch.utils.data``: backchain's datasets and loaders, yielding torch Tensors.

``DataLoader`` shuffles with a generator drawn from backchain's default one when it is made, so
``torch.manual_seed`` makes the order reproducible (not PyTorch's order). ``num_workers``,
``pin_memory``, ``persistent_workers``, ``prefetch_factor`` and ``worker_init_fn`` are accepted and
ignored: batches are assembled in the calling thread.
"""
import numpy as np

import backchain.data as _data
from backchain.data import Dataset, Subset, default_collate  # noqa: F401
from backchain.distributed import DistributedSampler  # noqa: F401
from ..._core.tensor import Tensor as _Base, make_const
from .. import _tensor
from .._ops import Generator

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate",
           "IterableDataset", "Sampler", "RandomSampler", "SequentialSampler", "ConcatDataset", "SubsetRandomSampler",
           "WeightedRandomSampler", "get_worker_info", "DistributedSampler", "BatchSampler"]


def _convert(obj, done):
    """One node of a batch, its children already converted (``done`` maps their ids)."""
    if isinstance(obj, (np.ndarray, np.generic)):
        return make_const(np.asarray(obj), _tensor.Tensor)
    if isinstance(obj, _Base):
        return _tensor.as_torch(obj)
    if isinstance(obj, dict):
        return {k: done[id(v)] for k, v in obj.items()}
    if isinstance(obj, list):
        return [done[id(v)] for v in obj]
    if isinstance(obj, tuple):
        items = [done[id(v)] for v in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    return obj


def _torch_batch(batch):
    """``batch`` with every ndarray, at any depth of tuples, lists and dicts, a torch Tensor (post-order
    with a stack: no recursion)."""
    done, stack = {}, [(batch, False)]
    while stack:
        obj, expanded = stack.pop()
        if isinstance(obj, (tuple, list, dict)) and not expanded:
            stack.append((obj, True))
            stack.extend((c, False) for c in (obj.values() if isinstance(obj, dict) else obj))
        else:
            done[id(obj)] = _convert(obj, done)
    return done[id(batch)]


def _as_array(x):
    return x._data if isinstance(x, _Base) else np.asarray(x)


class TensorDataset(_data.TensorDataset):
    """Samples ``(a[i], b[i], ...)`` of tensors that share their first dimension; items are torch Tensors.

    >>> import backchain.torch as torch
    >>> ds = torch.utils.data.TensorDataset(torch.arange(6.0).view(3, 2), torch.tensor([0, 1, 0]))
    >>> ds[1]
    (tensor([2., 3.]), tensor(1))
    """

    def __getitem__(self, index):
        return _torch_batch(super().__getitem__(index))


class IterableDataset(Dataset):
    """Base class of datasets that are iterated (``__iter__``) rather than indexed (``DataLoader`` does not
    take them yet: iterate them directly).

    >>> import backchain.torch as torch
    >>> class Count(torch.utils.data.IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(3))
    >>> list(Count())
    [0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")

    def __getitem__(self, index):
        raise TypeError("IterableDataset: iterate it; it has no __getitem__")

    def __len__(self):
        raise TypeError(f"{type(self).__name__}: an IterableDataset has no len() unless it defines __len__")


class Sampler:
    """Base class of index samplers (an iterable of indices with ``__len__``), for ``DataLoader(sampler=)``.

    >>> import backchain.torch as torch
    >>> class Reverse(torch.utils.data.Sampler):
    ...     def __iter__(self):
    ...         return iter(range(len(self.data_source) - 1, -1, -1))
    ...     def __len__(self):
    ...         return len(self.data_source)
    >>> ds = torch.utils.data.TensorDataset(torch.arange(3))
    >>> [b[0].tolist() for b in torch.utils.data.DataLoader(ds, batch_size=2, sampler=Reverse(ds))]
    [[2, 1], [0]]
    """

    def __init__(self, data_source=None):
        self.data_source = data_source


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless
    ``drop_last``), for ``DataLoader(batch_sampler=...)``.

    >>> import backchain.torch as torch
    >>> list(torch.utils.data.BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        super().__init__(None)
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), bool(drop_last)

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class SequentialSampler(Sampler):
    """The indices in order.

    >>> import backchain.torch as torch
    >>> list(torch.utils.data.SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices in a random order (a new one each epoch), from ``generator`` or backchain's default.

    >>> import backchain.torch as torch
    >>> sorted(torch.utils.data.RandomSampler(range(4)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        super().__init__(data_source)
        self.generator = generator

    def __iter__(self):
        g = _np_generator(self.generator)
        return iter(g.permutation(len(self.data_source)).tolist())

    def __len__(self):
        return len(self.data_source)


def _np_generator(generator):
    if generator is None:
        from ... import random as _random
        return np.random.default_rng(int(_random.default_generator().integers(2 ** 63)))
    return getattr(generator, "_gen", generator)


class DataLoader(_data.DataLoader):
    """Batches of a dataset as torch Tensors (see the module docstring for what is ignored).

    >>> import backchain.torch as torch
    >>> ds = torch.utils.data.TensorDataset(torch.arange(10.0), torch.arange(10))
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
    >>> [len(y) for x, y in loader], type(next(iter(loader))[0]).__module__
    ([4, 4, 2], 'backchain.torch._tensor')
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        self.batch_sampler = batch_sampler
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
        if isinstance(dataset, IterableDataset):
            raise ValueError("DataLoader: IterableDataset is not supported by backchain.torch yet; iterate the "
                             "dataset and batch with default_collate")
        if batch_size is None:
            raise ValueError("DataLoader: batch_size=None (no batching) is not supported by backchain.torch")
        super().__init__(dataset, batch_size=batch_size, shuffle=bool(shuffle), drop_last=drop_last,
                         collate_fn=collate_fn, generator=_np_generator(generator), sampler=sampler)

    def __len__(self):
        return len(self.batch_sampler) if self.batch_sampler is not None else super().__len__()

    def __iter__(self):
        if self.batch_sampler is not None:
            direct = self.collate_fn is None and hasattr(self.dataset, "get_batch")
            for idx in self.batch_sampler:
                if direct:
                    yield _torch_batch(self.dataset.get_batch(np.asarray(idx, dtype=np.int64)))
                else:
                    yield _torch_batch((self.collate_fn or default_collate)([self.dataset[int(i)] for i in idx]))
            return
        for batch in super().__iter__():
            yield _torch_batch(batch)


class ConcatDataset(Dataset):
    """The samples of several datasets, one after another.

    >>> import backchain.torch as torch
    >>> a, b = torch.utils.data.TensorDataset(torch.arange(2)), torch.utils.data.TensorDataset(torch.arange(5, 8))
    >>> both = torch.utils.data.ConcatDataset([a, b])
    >>> len(both), both[3]
    (5, (tensor(6),))
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        k = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (drawn anew each epoch).

    >>> import backchain.torch as torch
    >>> sorted(torch.utils.data.SubsetRandomSampler([4, 0, 2]))
    [0, 2, 4]
    """

    def __init__(self, indices, generator=None):
        super().__init__(None)
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        order = _np_generator(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    >>> import backchain.torch as torch
    >>> list(torch.utils.data.WeightedRandomSampler([0.0, 0.0, 1.0], 3))
    [2, 2, 2]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        super().__init__(None)
        w = np.asarray(weights._data if isinstance(weights, _Base) else weights, dtype=np.float64)
        self.p, self.num_samples = w / w.sum(), int(num_samples)
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        g = _np_generator(self.generator)
        return iter(g.choice(len(self.p), self.num_samples, replace=self.replacement, p=self.p).tolist())

    def __len__(self):
        return self.num_samples


def get_worker_info():
    """None: batches are built in the calling process (no worker processes).

    >>> import backchain.torch as torch
    >>> torch.utils.data.get_worker_info() is None
    True
    """
    return None


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into random non-overlapping ``Subset``s of the given lengths or fractions.

    >>> import backchain.torch as torch
    >>> ds = torch.utils.data.TensorDataset(torch.arange(10))
    >>> train, val = torch.utils.data.random_split(ds, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
    >>> len(train), len(val)
    (8, 2)
    """
    return _data.random_split(dataset, lengths, generator=_np_generator(generator))
