"""``torch.utils.data``: backchain's datasets and loaders, yielding torch Tensors.

``DataLoader`` shuffles with a generator drawn from backchain's default one when it is made, so
``torch.manual_seed`` makes the order reproducible (not PyTorch's order). ``num_workers``,
``pin_memory``, ``persistent_workers``, ``prefetch_factor`` and ``worker_init_fn`` are accepted and
ignored: batches are assembled in the calling thread.
"""
import numpy as np

import backchain.data as _data
from backchain.data import Dataset, Subset, default_collate  # noqa: F401
from ..._core.tensor import Tensor as _Base, make_const
from .. import _tensor
from .._ops import Generator

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate",
           "IterableDataset", "Sampler", "RandomSampler", "SequentialSampler"]


def _convert(obj, done):
    """One node of a batch, its children already converted (``done`` maps their ids)."""
    if isinstance(obj, np.ndarray):
        return make_const(obj, _tensor.Tensor)
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
    return x.data if isinstance(x, _Base) else np.asarray(x)


class TensorDataset(_data.TensorDataset):
    """Samples ``(a[i], b[i], ...)`` of tensors that share their first dimension; items are torch Tensors."""

    def __getitem__(self, index):
        return _torch_batch(super().__getitem__(index))


class IterableDataset(Dataset):
    """Base class of datasets that are iterated (``__iter__``) rather than indexed."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")

    def __getitem__(self, index):
        raise TypeError("IterableDataset: iterate it; it has no __getitem__")


class Sampler:
    """Base class of index samplers (an iterable of indices with ``__len__``)."""

    def __init__(self, data_source=None):
        self.data_source = data_source


class SequentialSampler(Sampler):
    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
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
    """Batches of a dataset as torch Tensors (see the module docstring for what is ignored)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if batch_sampler is not None:
            raise ValueError("DataLoader: batch_sampler is not supported by backchain.torch; use batch_size with "
                             "shuffle or sampler")
        if isinstance(dataset, IterableDataset):
            raise ValueError("DataLoader: IterableDataset is not supported by backchain.torch yet; iterate the "
                             "dataset and batch with default_collate")
        if batch_size is None:
            raise ValueError("DataLoader: batch_size=None (no batching) is not supported by backchain.torch")
        super().__init__(dataset, batch_size=batch_size, shuffle=bool(shuffle), drop_last=drop_last,
                         collate_fn=collate_fn, generator=_np_generator(generator), sampler=sampler)

    def __iter__(self):
        for batch in super().__iter__():
            yield _torch_batch(batch)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into random non-overlapping ``Subset``s of the given lengths or fractions."""
    return _data.random_split(dataset, lengths, generator=_np_generator(generator))
