"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's parameters, names and gate order.

Parameter names are PyTorch's (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``weight_hr_l0`` for an LSTM projection, ``_reverse`` for the
backward direction), and so are the gate orders (LSTM: input, forget, cell,
output; GRU: reset, update, new), so ``load_state_dict`` takes the weights of
a ``torch.nn.LSTM`` unchanged.

How a sequence runs: an LSTM, GRU or tanh RNN layer direction (for an LSTM, without projection)
is one node (``backchain._rules.rnn.lstm_layer``, ``gru_layer``, ``rnn_tanh_layer``: the input
projection of all steps, the recurrence, and in the backward pass the weight gradients as one
product each over all steps), with or without lengths. Otherwise (ReLU RNN, whose ``F.relu``
keeps the kink conventions, and LSTM with ``proj_size``) the input
projection of all time steps is one matrix product; then each step is one product with
``weight_hh`` and, for an LSTM, one fused pointwise primitive (``backchain._rules.rnn``).
Backpropagation through time is the ordinary backward pass (iterative: thousands of steps are
fine). Sequences of different lengths: pass ``lengths=`` or a
:class:`~backchain.nn.utils.rnn.PackedSequence` (see ``backchain.nn.utils.rnn``); past a
sequence's end the state carries over and the output is 0.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

import backchain.numpy as bnp
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ..utils.rnn import PackedSequence, pad_packed_sequence, _pack
from ..._core.tensor import Tensor
from ..._rules.rnn import lstm_cell, gru_cell, lstm_layer, gru_layer, rnn_tanh_layer

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _dt(dtype):
    return np.float32 if dtype is None else np.dtype(dtype)


def _step(mode, xg, h, c, w_hh, b_hh, w_hr):
    """One time step: ``xg`` the input projection at this step (1, N, G), state ``h`` (N, H_out)."""
    hg = F.linear(h, w_hh, b_hh)
    if mode == "LSTM":
        h_new, c_new = lstm_cell(xg + hg, c)
        if w_hr is not None:
            h_new = F.linear(h_new, w_hr)
        return h_new, c_new
    if mode == "GRU":
        return gru_cell(xg, hg, h), None
    pre = bnp.reshape(xg + hg, np.shape(_data(h)))
    return (bnp.tanh(pre) if mode == "RNN_TANH" else F.relu(pre)), None


def _run(mode, x, h0, c0, weights, reverse, masks):
    """One layer, one direction, over a time-first sequence ``x`` (T, N, F): outputs (T, N, H_out), h_T, c_T.

    ``masks`` (T, N, 1) booleans (or None): where False, the state is carried over unchanged and the
    output is 0 (padding past a sequence's end). Running the reverse direction from the last step
    backwards with these masks starts every sequence at its own last element.
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    steps = x.shape[0] if isinstance(x, Tensor) else np.shape(x)[0]
    mask = None if masks is None else (masks[::-1, :, 0] if reverse else masks[:, :, 0])
    if mode == "LSTM" and w_hr is None:
        # the common case: the whole sequence, input projection included, is one node
        # (see backchain._rules.rnn.lstm_layer); the reverse direction runs the reversed sequence
        hs, h, c = lstm_layer(x[::-1] if reverse else x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=mask)
        return (hs[::-1] if reverse else hs), h, c
    if mode in ("GRU", "RNN_TANH"):  # likewise (backchain._rules.rnn.gru_layer, rnn_tanh_layer)
        layer = gru_layer if mode == "GRU" else rnn_tanh_layer
        hs, h = layer(x[::-1] if reverse else x, h0, w_ih, w_hh, b_ih, b_hh, mask=mask)
        return (hs[::-1] if reverse else hs), h, None
    xp = F.linear(x, w_ih, b_ih)
    pieces = bnp.split(xp, steps, axis=0) if isinstance(xp, Tensor) else np.split(xp, steps, axis=0)
    h, c = h0, c0
    outs = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        h_new, c_new = _step(mode, pieces[t], h, c, w_hh, b_hh, w_hr)
        if masks is None:
            h, c = h_new, c_new
            outs[t] = h_new
        else:
            m = masks[t]
            h = bnp.where(m, h_new, h)
            if c_new is not None:
                c = bnp.where(m, c_new, c)
            outs[t] = h_new * m.astype(_data(h_new).dtype)
    return bnp.stack(outs, axis=0), h, c


class RNNBase(Module):
    """The multi-layer recurrent network shared by :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> _ = bc.manual_seed(0)
    >>> rnn = bc.nn.RNNBase("GRU", input_size=3, hidden_size=4, num_layers=2)
    >>> out, h = rnn(bc.tensor(np.ones((5, 2, 3))))
    >>> out.shape, h.shape
    ((5, 2, 4), (2, 2, 4))
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        cls = type(self).__name__
        if not 0 <= dropout <= 1:
            raise ValueError(f"{cls}: dropout must be a number in [0, 1], got {dropout}")
        if int(hidden_size) <= 0 or int(num_layers) <= 0:
            raise ValueError(f"{cls}: hidden_size and num_layers must be positive, got {hidden_size}, {num_layers}")
        if proj_size < 0 or (proj_size and mode != "LSTM") or proj_size >= hidden_size > 0 and proj_size:
            raise ValueError(f"{cls}: proj_size must be 0, or positive and smaller than hidden_size "
                             f"({hidden_size}), and only LSTM has one; got {proj_size}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, int(proj_size)
        self.generator = generator
        gate = _GATES[mode] * self.hidden_size
        real = self.proj_size or self.hidden_size
        dirs = 2 if bidirectional else 1
        dt = _dt(dtype)
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                n_in = self.input_size if layer == 0 else real * dirs
                shapes = [("weight_ih", (gate, n_in)), ("weight_hh", (gate, real))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(np.empty(shape, dtype=dt)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's default: every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        std = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -std, std, generator=generator)

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx) if (n + sfx) in self._parameters else None
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def _state_sizes(self):
        dirs = 2 if self.bidirectional else 1
        return dirs * self.num_layers, self.proj_size or self.hidden_size, self.hidden_size

    def forward(self, input: npt.ArrayLike | Tensor, hx: npt.ArrayLike | Tensor | None = None,
                lengths: npt.ArrayLike | Tensor | None = None) -> Any:
        """Run the sequence; returns ``(output, h_n)`` (RNN, GRU) or ``(output, (h_n, c_n))`` (LSTM).

        Parameters
        ----------
        input : (T, N, H_in), (N, T, H_in) with ``batch_first``, (T, H_in) unbatched, or a PackedSequence
        hx : (D * num_layers, N, H_out), or for LSTM the pair ``(h_0, c_0)``; zeros by default
        lengths : sequence of N ints, optional
            The length of each sequence of a padded batch (see ``backchain.nn.utils.rnn``).
        """
        cls = type(self).__name__
        packed = isinstance(input, PackedSequence)
        if packed:
            if lengths is not None:
                raise ValueError(f"{cls}: pass lengths= or a PackedSequence, not both")
            sorted_indices = input.sorted_indices
            x, lengths = pad_packed_sequence(input)
            batch_first, unbatched = False, False
        else:
            x, batch_first = input, self.batch_first
            unbatched = np.ndim(_data(x)) == 2
            if np.ndim(_data(x)) not in (2, 3):
                raise ValueError(f"{cls}: expected input of 2 (unbatched) or 3 dimensions, got shape "
                                 f"{np.shape(_data(x))}")
            if unbatched:
                x = bnp.expand_dims(x, 1)
            elif batch_first:
                x = bnp.swapaxes(x, 0, 1)
        steps, n, feat = np.shape(_data(x))
        if feat != self.input_size:
            raise ValueError(f"{cls}: input has {feat} features per step, expected input_size={self.input_size} "
                             f"(input shape {np.shape(_data(input.data if packed else input))}, "
                             f"batch_first={self.batch_first})")
        layers_dirs, h_out, h_cell = self._state_sizes()
        dtype = _data(x).dtype if _data(x).dtype.kind == "f" else np.float32
        h0, c0 = self._initial_state(hx, unbatched, n, layers_dirs, h_out, h_cell, dtype)
        masks = None
        if lengths is not None:
            lengths = np.asarray(_data(lengths), dtype=np.int64).reshape(-1)
            if lengths.shape != (n,) or lengths.min() < 0 or lengths.max() > steps:
                raise ValueError(f"{cls}: lengths must hold {n} ints in [0, {steps}], got {lengths.tolist()}")
            masks = (np.arange(steps)[:, None] < lengths[None, :])[:, :, None]
        dirs = 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                out, h, c = _run(self.mode, x, h0[k], None if c0 is None else c0[k], self._weights(layer, d),
                                 reverse=bool(d), masks=masks)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            x = outs[0] if dirs == 1 else bnp.concatenate(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True, generator=self.generator)
        h_n = bnp.stack(hs, axis=0)
        state = (h_n, bnp.stack(cs, axis=0)) if self.mode == "LSTM" else h_n
        if packed:
            return _pack(x, lengths, sorted_indices), state
        if unbatched:
            x = x[:, 0]
            state = (state[0][:, 0], state[1][:, 0]) if self.mode == "LSTM" else state[:, 0]
        elif batch_first:
            x = bnp.swapaxes(x, 0, 1)
        return x, state

    def _initial_state(self, hx, unbatched, n, layers_dirs, h_out, h_cell, dtype):
        cls = type(self).__name__
        if hx is None:
            h0 = np.zeros((layers_dirs, n, h_out), dtype=dtype)
            return h0, (np.zeros((layers_dirs, n, h_cell), dtype=dtype) if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise ValueError(f"{cls}: hx must be a pair (h_0, c_0)")
            h0, c0 = hx
        else:
            h0, c0 = hx, None
        if unbatched:
            h0 = bnp.expand_dims(h0, 1)
            c0 = None if c0 is None else bnp.expand_dims(c0, 1)
        for name, v, size in (("h_0", h0, h_out), ("c_0", c0, h_cell)):
            if v is not None and np.shape(_data(v)) != (layers_dirs, n, size):
                raise ValueError(f"{cls}: {name} of shape {np.shape(_data(v))}; expected {(layers_dirs, n, size)}")
        return h0, c0

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman network: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU), stacked and bidirectional.

    Arguments as ``torch.nn.RNN``: ``input_size, hidden_size, num_layers=1,
    nonlinearity="tanh", bias=True, batch_first=False, dropout=0.0, bidirectional=False``.

    >>> import numpy as np, backchain as bc
    >>> rnn = bc.nn.RNN(3, 4, num_layers=2, batch_first=True)
    >>> out, h = rnn(np.ones((5, 7, 3), np.float32))
    >>> out.shape, h.shape
    ((5, 7, 4), (2, 5, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, dtype=dtype, generator=generator)


class LSTM(RNNBase):
    """Long short-term memory, stacked and bidirectional, with an optional projection (``proj_size``).

    Gates ``i, f, g, o`` in PyTorch's order in ``weight_ih_l{k}`` ``(4 H, H_in)``;
    ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)`` (times ``weight_hr_l{k}`` when
    ``proj_size > 0``). Returns ``(output, (h_n, c_n))``.

    >>> import numpy as np, backchain as bc
    >>> lstm = bc.nn.LSTM(3, 8, bidirectional=True, proj_size=2)
    >>> out, (h, c) = lstm(np.ones((6, 4, 3), np.float32))
    >>> out.shape, h.shape, c.shape
    ((6, 4, 4), (2, 4, 2), (2, 4, 8))
    >>> sorted(lstm.state_dict())[:3]
    ['bias_hh_l0', 'bias_hh_l0_reverse', 'bias_ih_l0']
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, dtype=dtype, generator=generator)


class GRU(RNNBase):
    """Gated recurrent unit, stacked and bidirectional; gates ``r, z, n`` in PyTorch's order.

    ``n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))``, ``h_t = (1 - z) n + z h_{t-1}``.

    >>> import numpy as np, backchain as bc
    >>> out, h = bc.nn.GRU(3, 4)(np.ones((6, 2, 3), np.float32), lengths=[6, 3])
    >>> out.shape, h.shape, float(abs(out.data[3:, 1]).max())
    ((6, 2, 4), (1, 2, 4), 0.0)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype, generator=generator)


# -- cells -------------------------------------------------------------------------------------------

class RNNCellBase(Module):
    """One step of a recurrent layer; parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> _ = bc.manual_seed(0)
    >>> cell = bc.nn.RNNCell(3, 4)
    >>> isinstance(cell, bc.nn.RNNCellBase)
    True
    >>> cell.weight_ih.shape, cell.weight_hh.shape
    ((4, 3), (4, 4))
    >>> cell(bc.tensor(np.ones((2, 3)))).shape
    (2, 4)
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: npt.DTypeLike | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        gate = self._gates * self.hidden_size
        dt = _dt(dtype)
        self.weight_ih = Parameter(np.empty((gate, self.input_size), dtype=dt))
        self.weight_hh = Parameter(np.empty((gate, self.hidden_size), dtype=dt))
        if bias:
            self.bias_ih = Parameter(np.empty(gate, dtype=dt))
            self.bias_hh = Parameter(np.empty(gate, dtype=dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        std = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -std, std, generator=generator)

    def _prepare(self, input, hx):
        cls = type(self).__name__
        shape = np.shape(_data(input))
        if len(shape) not in (1, 2) or shape[-1] != self.input_size:
            raise ValueError(f"{cls}: input of shape {shape}; expected (N, {self.input_size}) or ({self.input_size},)")
        unbatched = len(shape) == 1
        if unbatched:
            input = bnp.expand_dims(input, 0)
        n = np.shape(_data(input))[0]
        dtype = _data(input).dtype if _data(input).dtype.kind == "f" else np.float32
        zeros = lambda: np.zeros((n, self.hidden_size), dtype=dtype)
        if hx is None:
            hx = (zeros(), zeros()) if self._gates == 4 else zeros()
        elif unbatched:
            hx = tuple(bnp.expand_dims(h, 0) for h in hx) if self._gates == 4 else bnp.expand_dims(hx, 0)
        return input, hx, unbatched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU): input ``(N, H_in)``, hx ``(N, H)``.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.RNNCell(3, 4)(np.ones((2, 3), np.float32)).shape
    (2, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype, generator)

    def forward(self, input: npt.ArrayLike | Tensor, hx: npt.ArrayLike | Tensor | None = None) -> Any:
        input, hx, unbatched = self._prepare(input, hx)
        pre = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(hx, self.weight_hh, self.bias_hh)
        h = bnp.tanh(pre) if self.nonlinearity == "tanh" else F.relu(pre)
        return h[0] if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step: ``(h', c') = cell(x, (h, c))``; gates ``i, f, g, o`` (PyTorch's order).

    >>> import numpy as np, backchain as bc
    >>> h, c = bc.nn.LSTMCell(3, 4)(np.ones((2, 3), np.float32))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    _gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, generator)

    def forward(self, input: npt.ArrayLike | Tensor, hx: npt.ArrayLike | Tensor | None = None) -> Any:
        input, (h, c), unbatched = self._prepare(input, hx)
        gates = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        h, c = lstm_cell(gates, c)
        return (h[0], c[0]) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = cell(x, h)``; gates ``r, z, n`` (PyTorch's order).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.GRUCell(3, 4)(np.ones((2, 3), np.float32)).shape
    (2, 4)
    """

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, generator)

    def forward(self, input: npt.ArrayLike | Tensor, hx: npt.ArrayLike | Tensor | None = None) -> Any:
        input, h, unbatched = self._prepare(input, hx)
        h = gru_cell(F.linear(input, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh), h)
        return h[0] if unbatched else h
