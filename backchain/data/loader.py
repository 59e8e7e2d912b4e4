"""Datasets and the DataLoader (PyTorch's ``torch.utils.data`` names and behaviour).

Batches are NumPy arrays; models take them as they are. Shuffling draws from a
``numpy.random.Generator`` owned by the loader (made from ``seed``, or the one
passed as ``generator``), never from global state, and the loader's
``state_dict()`` holds that generator's state so that a resumed run shuffles
exactly as an uninterrupted one.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from numbers import Number
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._core.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate"]


class Dataset:
    """Base class of map-style datasets: define ``__getitem__(index)`` and ``__len__()``.

    A dataset may also define ``get_batch(indices)`` returning a whole collated
    batch at once; the DataLoader then uses it instead of collating one sample
    at a time (``TensorDataset`` and ``Subset`` do, which is what makes
    batching arrays fast).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> class Squares(bc.data.Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return np.float64(i * i)
    ...
    >>> ds = Squares()
    >>> len(ds), float(ds[3])
    (4, 9.0)
    >>> [b.tolist() for b in bc.data.DataLoader(ds, batch_size=2)]
    [[0.0, 1.0], [4.0, 9.0]]
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")


def _as_array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class TensorDataset(Dataset):
    """A dataset of arrays that share their first dimension; sample ``i`` is ``(a[i], b[i], ...)``.

    Parameters
    ----------
    *tensors : array_like or Tensor
        Arrays with the same length along axis 0 (Tensors are stored as their arrays).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> ds = bc.data.TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> len(ds), ds[1]
    (5, (array([2., 3.]), np.int64(1)))
    >>> x, y = ds.tensors
    """

    def __init__(self, *tensors: ArrayLike | Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one array")
        arrays = tuple(_as_array(t) for t in tensors)
        for k, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {k} is 0-dimensional; expected a first (sample) axis")
        n = {a.shape[0] for a in arrays}
        if len(n) != 1:
            raise ValueError("TensorDataset: the arrays must have the same length along axis 0, got shapes "
                             + ", ".join(str(a.shape) for a in arrays))
        self.tensors = arrays

    def __getitem__(self, index: Any) -> Any:
        return tuple(a[index] for a in self.tensors)

    def get_batch(self, indices: Any) -> Any:
        return tuple(a[indices] for a in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __repr__(self) -> str:
        return f"TensorDataset({', '.join(f'{a.dtype}{list(a.shape)}' for a in self.tensors)})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (what :func:`random_split` returns).

    >>> import numpy as np, backchain as bc
    >>> sub = bc.data.Subset(bc.data.TensorDataset(np.arange(5)), [4, 0])
    >>> len(sub), sub[0]
    (2, (np.int64(4),))
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | NDArray[np.integer[Any]]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset: indices must be one-dimensional, got shape {self.indices.shape}")

    def __getitem__(self, index: Any) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: Any) -> Any:
        real = self.indices[indices]
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(real)
        return default_collate([self.dataset[int(i)] for i in real])

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {type(self.dataset).__name__})"


def _generator(seed=None, generator=None):
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"expected a numpy.random.Generator as generator, got {type(generator).__name__}")
        return generator
    return np.random.default_rng(seed)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator: np.random.Generator | None = None, *,
                 seed: int | None = None) -> list[Subset]:
    """Split a dataset into non-overlapping random subsets.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int, or of float summing to 1
        Lengths of the parts, or fractions (the remainder after flooring is
        dealt out one by one from the first part, as PyTorch does).
    generator : numpy.random.Generator, optional
    seed : int, optional
        Seed of a new generator when ``generator`` is not given.

    Returns
    -------
    list of Subset

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> train, val = bc.data.random_split(bc.data.TensorDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val), sorted(np.concatenate([train.indices, val.indices])) == list(range(10))
    (8, 2, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(f, float) for f in lengths) and math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1:
        for k, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: fraction at index {k} is not between 0 and 1: {f}")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
        lengths = sizes
    if any(int(s) != s or s < 0 for s in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the dataset has {n} samples")
    perm = _generator(seed, generator).permutation(n)
    out, start = [], 0
    for size in lengths:
        out.append(Subset(dataset, perm[start:start + int(size)]))
        start += int(size)
    return out


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: arrays and numbers are stacked along a new
    first axis; tuples, lists and dicts are collated field by field; strings become a list.

    >>> import numpy as np, backchain as bc
    >>> batch = bc.data.default_collate([{"x": np.zeros(2), "y": 1}, {"x": np.ones(2), "y": 0}])
    >>> batch["x"].shape, batch["y"]
    ((2, 2), array([1, 0]))
    """
    if not samples:
        raise ValueError("default_collate: got an empty list of samples")
    first = samples[0]
    if isinstance(first, (Tensor, np.ndarray, np.generic)) or isinstance(first, Number) and not isinstance(first, bool):
        try:
            return np.stack([_as_array(s) for s in samples])
        except ValueError as e:
            shapes = sorted({np.shape(_as_array(s)) for s in samples})
            raise ValueError(f"default_collate: cannot stack samples of different shapes {shapes}") from e
    if isinstance(first, bool):
        return np.array(samples, dtype=bool)
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        width = len(first)
        if any(len(s) != width for s in samples):
            raise ValueError("default_collate: samples are sequences of different lengths "
                             f"{sorted({len(s) for s in samples})}")
        fields = [default_collate([s[k] for s in samples]) for k in range(width)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    if first is None:
        raise TypeError("default_collate: a sample is None; the dataset returned nothing for some index")
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; samples should be "
                    "arrays, numbers, strings, or tuples, lists and dicts of them (or pass collate_fn)")


class DataLoader:
    """Iterate over a dataset in batches, optionally shuffled with a seeded generator.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__len__`` and ``__getitem__`` (or a tuple of arrays,
        taken as a ``TensorDataset``).
    batch_size : int
        Samples per batch (default 1, as in PyTorch).
    shuffle : bool
        Draw a new permutation at the start of every epoch.
    drop_last : bool
        Drop the last batch if it is smaller than ``batch_size``.
    collate_fn : callable, optional
        Turns a list of samples into a batch (default :func:`default_collate`;
        datasets with ``get_batch`` are batched directly when it is not given).
    seed : int, optional
        Seed of the loader's own generator (ignored when ``generator`` is given).
    generator : numpy.random.Generator, optional
        The generator to shuffle with.
    sampler : iterable of int, optional
        The order of the sample indices, e.g. a
        :class:`backchain.distributed.DistributedSampler` (then ``shuffle``
        must be False: the sampler shuffles).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> ds = bc.data.TensorDataset(np.arange(10.0)[:, None], np.arange(10))
    >>> loader = bc.data.DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> [len(y) for x, y in loader], len(loader)
    ([4, 4, 2], 3)
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 collate_fn: Callable[[list[Any]], Any] | None = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None, sampler: Iterable[int] | None = None) -> None:
        if isinstance(dataset, tuple):
            dataset = TensorDataset(*dataset)
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must define __len__ and __getitem__, got {type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        if sampler is not None and self.shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the sampler decides the "
                             "order); pass shuffle=False")
        self.sampler = sampler
        self.generator = _generator(seed, generator)

    def __len__(self) -> int:
        if self.sampler is not None and not hasattr(self.sampler, "__len__"):
            raise TypeError(f"DataLoader: the sampler ({type(self.sampler).__name__}) has no length, so neither "
                            "has the loader; iterate it, or give a sampler with a length (a list, a range)")
        n = len(self.dataset) if self.sampler is None else len(self.sampler)  # type: ignore[arg-type]
        return self._batches(n)

    def _batches(self, n: int) -> int:
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        if self.sampler is not None:
            return np.fromiter(self.sampler, dtype=np.int64)
        n = len(self.dataset)
        return self.generator.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        stop = self._batches(len(order)) * self.batch_size
        direct = self.collate_fn is None and hasattr(self.dataset, "get_batch")
        for start in range(0, min(stop, len(order)), self.batch_size):
            idx = order[start:start + self.batch_size]
            if direct:
                yield self.dataset.get_batch(idx)
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[int(i)] for i in idx])

    def state_dict(self) -> dict[str, Any]:
        """The shuffling generator's state (plain numbers), for checkpoints."""
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the shuffling generator's state saved by ``state_dict()``."""
        state = dict(state_dict["generator"])
        if state.get("bit_generator") != type(self.generator.bit_generator).__name__:
            raise ValueError(f"DataLoader.load_state_dict: the saved generator is a {state.get('bit_generator')}, "
                             f"this loader's is a {type(self.generator.bit_generator).__name__}")
        self.generator.bit_generator.state = state

    def __repr__(self) -> str:
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
