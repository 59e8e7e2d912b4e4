"""Variable-length sequences for the recurrent layers: ``PackedSequence`` and its helpers (PyTorch's names).

Two ways to run ``RNN``, ``LSTM`` or ``GRU`` on sequences of different lengths:

* pass ``lengths=`` (one length per batch element) with the padded batch: the
  state stops at each sequence's end, the outputs past it are 0, and ``h_n``
  holds each sequence's last state (the reverse direction starts at each
  sequence's own last element);
* or, as in PyTorch, pack the padded batch with :func:`pack_padded_sequence`,
  pass the :class:`PackedSequence`, and unpack the output with
  :func:`pad_packed_sequence`. The two give the same numbers.

>>> import numpy as np, backchain as bc
>>> from backchain.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
>>> x = np.ones((4, 2, 3), np.float32)                        # (T, N, features), lengths 4 and 2
>>> packed = pack_padded_sequence(x, [4, 2])
>>> packed.batch_sizes.tolist(), packed.data.shape
([2, 2, 1, 1], (6, 3))
>>> out, (h, c) = bc.nn.LSTM(3, 5)(packed)
>>> padded, lengths = pad_packed_sequence(out)
>>> padded.shape, lengths.tolist(), float(abs(padded.data[2:, 1]).max())
((4, 2, 5), [4, 2], 0.0)
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

import backchain.numpy as bnp
from ..._core.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence"]


def _data(x):
    return x._data if isinstance(x, Tensor) else x


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of sequences of different lengths, stored time step by time step without padding.

    ``data`` ``(sum(lengths), *)`` holds, for each time step ``t``, the elements of the
    ``batch_sizes[t]`` sequences still running at ``t`` (longest first, in the order
    ``sorted_indices`` of the original batch). Make one with :func:`pack_padded_sequence`
    or :func:`pack_sequence`; ``lengths()`` gives the lengths back.

    Attributes
    ----------
    data : Tensor or ndarray
        ``(sum(lengths), *)``: the elements, time step by time step.
    batch_sizes : ndarray of int64
        How many sequences run at each time step.
    sorted_indices, unsorted_indices : ndarray of int64 or None
        The order of the sequences in ``data`` and its inverse (None: already longest first).

    Examples
    --------
    >>> import numpy as np
    >>> from backchain.nn.utils.rnn import pack_sequence
    >>> packed = pack_sequence([np.array([1.0, 2.0, 3.0]), np.array([4.0])])
    >>> packed.data.tolist(), packed.batch_sizes.tolist(), packed.lengths().tolist()
    ([1.0, 4.0, 2.0, 3.0], [2, 1, 1], [3, 1])
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        batch_sizes = np.asarray(batch_sizes, dtype=np.int64)
        if sorted_indices is not None:
            sorted_indices = np.asarray(sorted_indices, dtype=np.int64)
            if unsorted_indices is None:
                unsorted_indices = np.argsort(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def lengths(self) -> NDArray[Any]:
        """The length of every sequence, in the original batch order."""
        bs = self.batch_sizes
        lengths = (np.arange(bs[0])[None, :] < bs[:, None]).sum(axis=0)
        return lengths if self.unsorted_indices is None else lengths[self.unsorted_indices]


def _positions(batch_sizes, sorted_indices):
    """For each row of packed data: its time step and its batch index in the original batch."""
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    b = np.concatenate([np.arange(n) for n in batch_sizes]) if len(batch_sizes) else np.zeros(0, np.int64)
    if sorted_indices is not None:
        b = sorted_indices[b]
    return t, b


def _pack(padded, lengths, sorted_indices):
    """Pack a time-first padded batch whose sorted order is given: one gather."""
    order = np.arange(len(lengths)) if sorted_indices is None else sorted_indices
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(int(sorted_lengths[0]))[:, None]).sum(axis=1)
    t, b = _positions(batch_sizes, sorted_indices)
    return PackedSequence(padded[t, b], batch_sizes, sorted_indices)


def pack_padded_sequence(input: ArrayLike | Tensor, lengths: ArrayLike | Tensor, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, N, *)`` (or ``(N, T, *)`` with ``batch_first``) of sequences of ``lengths``.

    With ``enforce_sorted=True`` the lengths must decrease along the batch;
    otherwise the batch is sorted here and the order recorded in the result.
    Differentiable in ``input`` (one gather).

    >>> import numpy as np
    >>> from backchain.nn.utils.rnn import pack_padded_sequence
    >>> p = pack_padded_sequence(np.arange(6.0).reshape(3, 2, 1), [1, 3], enforce_sorted=False)
    >>> p.data.ravel().tolist(), p.batch_sizes.tolist(), p.sorted_indices.tolist()
    ([1.0, 0.0, 3.0, 5.0], [2, 1, 1], [1, 0])
    """
    lengths = np.asarray(_data(lengths), dtype=np.int64).reshape(-1)
    if batch_first:
        input = bnp.swapaxes(input, 0, 1)
    shape = np.shape(_data(input))
    if len(shape) < 2 or shape[1] != len(lengths):
        raise ValueError(f"pack_padded_sequence: input of shape {shape} (time first) does not fit {len(lengths)} "
                         f"lengths")
    if lengths.size and (lengths.min() < 1 or lengths.max() > shape[0]):
        raise ValueError(f"pack_padded_sequence: lengths must be in [1, {shape[0]}], got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(f"pack_padded_sequence: lengths {lengths.tolist()} are not sorted in decreasing "
                             f"order; sort the batch or pass enforce_sorted=False")
        sorted_indices = None
    else:
        sorted_indices = np.argsort(-lengths, kind="stable")
    return _pack(input, lengths, sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Any, NDArray[Any]]:
    """Undo :func:`pack_padded_sequence`: ``(padded (T, N, *), lengths)`` in the original batch order.

    ``total_length`` pads the time axis to that length. Differentiable in ``sequence.data``.

    >>> import numpy as np
    >>> from backchain.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    >>> x = np.arange(6.0).reshape(3, 2)
    >>> y, lengths = pad_packed_sequence(pack_padded_sequence(x, [3, 1]), padding_value=-1.0)
    >>> y.tolist(), lengths.tolist()
    ([[0.0, 1.0], [2.0, -1.0], [4.0, -1.0]], [3, 1])
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes
    n = int(batch_sizes[0])
    steps = len(batch_sizes)
    total = steps if total_length is None else int(total_length)
    if total < steps:
        raise ValueError(f"pad_packed_sequence: total_length {total} is less than the longest sequence ({steps})")
    t, b = _positions(batch_sizes, sequence.sorted_indices)
    rows = data.shape[0]
    index = np.full((total, n), rows, dtype=np.int64)               # the padding row by default
    index[t, b] = np.arange(rows)
    fill = np.full((1,) + tuple(data.shape[1:]), padding_value, dtype=_data(data).dtype)
    padded = bnp.concatenate([data, fill], axis=0)[index]
    if batch_first:
        padded = bnp.swapaxes(padded, 0, 1)
    return padded, sequence.lengths()


def pad_sequence(sequences: Sequence[ArrayLike | Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Any:
    """Stack sequences of shapes ``(L_i, *)`` into ``(max L, N, *)`` (or ``(N, max L, *)``), padding at the end.

    >>> import numpy as np
    >>> from backchain.nn.utils.rnn import pad_sequence
    >>> pad_sequence([np.ones(3), np.ones(1)], batch_first=True).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
    """
    sequences = list(sequences)
    longest = max(np.shape(_data(s))[0] for s in sequences)
    out = []
    for s in sequences:
        k = np.shape(_data(s))[0]
        widths = [(0, longest - k) if padding_side == "right" else (longest - k, 0)] + \
            [(0, 0)] * (np.ndim(_data(s)) - 1)
        out.append(bnp.pad(s, widths, mode="constant", constant_values=padding_value) if k < longest else s)
    return bnp.stack(out, axis=0 if batch_first else 1)


def pack_sequence(sequences: Sequence[ArrayLike | Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``: ``pack_padded_sequence(pad_sequence(sequences), lengths)``.

    >>> import numpy as np
    >>> from backchain.nn.utils.rnn import pack_sequence
    >>> pack_sequence([np.ones(3), np.ones(2)]).batch_sizes.tolist()
    [2, 2, 1]
    """
    lengths = [np.shape(_data(s))[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: ArrayLike | Tensor, lengths: ArrayLike | Tensor, batch_first: bool = False
                   ) -> list[Any]:
    """Split a padded batch back into a list of sequences of the given lengths.

    >>> import numpy as np
    >>> from backchain.nn.utils.rnn import unpad_sequence
    >>> [s.tolist() for s in unpad_sequence(np.array([[1.0, 2.0], [3.0, 0.0]]), [2, 1])]
    [[1.0, 3.0], [2.0]]
    """
    if not batch_first:
        padded_sequences = bnp.swapaxes(padded_sequences, 0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(np.asarray(_data(lengths)).reshape(-1))]
