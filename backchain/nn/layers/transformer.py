"""Attention layers: MultiheadAttention, the Transformer's encoder and decoder layers and stacks, Transformer,
positional encodings.

Parameter names, shapes and default initialisation are PyTorch's
(``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``;
``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim`` or ``vdim``
differ from ``embed_dim``), so ``load_state_dict`` takes PyTorch's weights.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

import backchain.numpy as bnp
from .. import functional as F
from .. import init
from ..module import Module, ModuleList, Parameter
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .normalization import LayerNorm
from ..._core.tensor import Tensor


def _dt(dtype):
    return np.float32 if dtype is None else np.dtype(dtype)


def _shape(x):
    return np.shape(x._data if isinstance(x, Tensor) else x)


class MultiheadAttention(Module):
    """Multi-head attention (``torch.nn.MultiheadAttention``): ``forward(query, key, value, ...)``.

    Parameters
    ----------
    embed_dim, num_heads : int
        ``embed_dim`` must be divisible by ``num_heads``.
    dropout : float
        Dropout on the attention weights (training only).
    bias : bool
        ``in_proj_bias`` and ``out_proj.bias``.
    add_bias_kv, add_zero_attn : bool
        Append a learned key/value (``bias_k``, ``bias_v``), or a zero one, to every sequence.
    kdim, vdim : int, optional
        Feature sizes of key and value (default ``embed_dim``); when they differ the
        projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``.
    batch_first : bool
        Inputs ``(N, L, E)`` instead of ``(L, N, E)``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)`` as in PyTorch:
    boolean masks are True where attention is *not* allowed; float masks are added.

    >>> import numpy as np, backchain as bc
    >>> mha = bc.nn.MultiheadAttention(8, 2, batch_first=True)
    >>> x = np.ones((3, 5, 8), np.float32)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 5, 5))
    >>> [k for k, _ in mha.named_parameters()]
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                             f"num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.dropout = int(embed_dim), int(num_heads), float(dropout)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.head_dim = self.embed_dim // self.num_heads
        self.batch_first, self.add_zero_attn, self.generator = batch_first, add_zero_attn, generator
        e, dt = self.embed_dim, _dt(dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype=dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype=dt))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype=dt))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype=dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * e, dtype=dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dt, generator=generator)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, e), dtype=dt))
            self.bias_v = Parameter(np.empty((1, 1, e), dtype=dt))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters(generator)

    def _reset_parameters(self, generator=None):
        """PyTorch's: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k / bias_v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w, generator=generator)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k, generator=generator)
            init.xavier_normal_(self.bias_v, generator=generator)

    def forward(self, query: npt.ArrayLike | Tensor, key: npt.ArrayLike | Tensor, value: npt.ArrayLike | Tensor,
                key_padding_mask: npt.ArrayLike | Tensor | None = None, need_weights: bool = True,
                attn_mask: npt.ArrayLike | Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Any:
        batched = len(_shape(query)) == 3
        if self.batch_first and batched:
            # the same object stays the same object, so self-attention keeps its single projection
            if key is query and value is query:
                query = key = value = bnp.swapaxes(query, 0, 1)
            else:
                query, key, value = (bnp.swapaxes(t, 0, 1) for t in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal, generator=self.generator)
        if self.batch_first and batched:
            out = bnp.swapaxes(out, 0, 1)
        return out, weights

    def extra_repr(self) -> str:
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if not self._qkv_same_embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            s += ", batch_first=True"
        return s


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(activation, layer):
    """A layer's activation: a callable, or the name of one in _ACTIVATIONS."""
    if not isinstance(activation, str):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{layer}: activation should be 'relu' or 'gelu' (or a callable), got {activation!r}")
    return _ACTIVATIONS[activation]


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual and LayerNorm (``torch.nn.TransformerEncoderLayer``).

    Submodules ``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``,
    ``norm2``, ``dropout1``, ``dropout2`` (PyTorch's names). ``norm_first=True`` is
    the pre-norm variant; ``activation`` is "relu", "gelu" or a callable.
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``.

    >>> import numpy as np, backchain as bc
    >>> layer = bc.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    >>> layer(np.ones((2, 7, 16), np.float32)).shape
    (2, 7, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Any], Any] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype, generator=generator)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, generator=generator)
        self.dropout = Dropout(dropout, generator=generator)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, generator=generator)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, generator=generator)
        self.dropout2 = Dropout(dropout, generator=generator)
        self.activation = _activation(activation, "TransformerEncoderLayer")

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: npt.ArrayLike | Tensor, src_mask: npt.ArrayLike | Tensor | None = None,
                src_key_padding_mask: npt.ArrayLike | Tensor | None = None, is_causal: bool = False) -> Any:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ...), then ``norm``.

    >>> import numpy as np, backchain as bc
    >>> enc = bc.nn.TransformerEncoder(bc.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), num_layers=2)
    >>> enc(np.ones((3, 5, 8), np.float32), is_causal=True).shape
    (3, 5, 8)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src: npt.ArrayLike | Tensor, mask: npt.ArrayLike | Tensor | None = None,
                src_key_padding_mask: npt.ArrayLike | Tensor | None = None, is_causal: bool | None = None) -> Any:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output ``memory`` and a feed-forward block, each with a
    residual and LayerNorm (``torch.nn.TransformerDecoderLayer``).

    Submodules ``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``,
    ``norm2``, ``norm3``, ``dropout1``, ``dropout2``, ``dropout3`` (PyTorch's names).
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``.

    >>> import numpy as np, backchain as bc
    >>> layer = bc.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> layer(np.ones((2, 3, 8), np.float32), np.ones((2, 5, 8), np.float32)).shape
    (2, 3, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Any], Any] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype, generator=generator)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype, generator=generator)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, generator=generator)
        self.dropout = Dropout(dropout, generator=generator)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, generator=generator)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, generator=generator)
        self.dropout2 = Dropout(dropout, generator=generator)
        self.dropout3 = Dropout(dropout, generator=generator)
        self.activation = _activation(activation, "TransformerDecoderLayer")

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, tgt: npt.ArrayLike | Tensor, memory: npt.ArrayLike | Tensor,
                tgt_mask: npt.ArrayLike | Tensor | None = None, memory_mask: npt.ArrayLike | Tensor | None = None,
                tgt_key_padding_mask: npt.ArrayLike | Tensor | None = None,
                memory_key_padding_mask: npt.ArrayLike | Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Any:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` (``layers.0``, ...), then ``norm``.

    >>> import numpy as np, backchain as bc
    >>> dec = bc.nn.TransformerDecoder(bc.nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), num_layers=2)
    >>> dec(np.ones((3, 4, 8), np.float32), np.ones((3, 6, 8), np.float32), tgt_is_causal=True).shape
    (3, 4, 8)
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt: npt.ArrayLike | Tensor, memory: npt.ArrayLike | Tensor,
                tgt_mask: npt.ArrayLike | Tensor | None = None, memory_mask: npt.ArrayLike | Tensor | None = None,
                tgt_key_padding_mask: npt.ArrayLike | Tensor | None = None,
                memory_key_padding_mask: npt.ArrayLike | Tensor | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Any:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer (``torch.nn.Transformer``): ``encoder`` and ``decoder`` stacks, each
    ending in a LayerNorm; matrices start Xavier-uniform, as in PyTorch.

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
    memory_is_causal=False)``.

    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Transformer(8, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
    ...                           batch_first=True)
    >>> model(np.ones((2, 5, 8), np.float32), np.ones((2, 3, 8), np.float32)).shape
    (2, 3, 8)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation: str | Callable[[Any], Any] = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype, generator=generator)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype, generator=generator)
            self.decoder = TransformerDecoder(layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, generator=generator)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src: npt.ArrayLike | Tensor, tgt: npt.ArrayLike | Tensor,
                src_mask: npt.ArrayLike | Tensor | None = None, tgt_mask: npt.ArrayLike | Tensor | None = None,
                memory_mask: npt.ArrayLike | Tensor | None = None,
                src_key_padding_mask: npt.ArrayLike | Tensor | None = None,
                tgt_key_padding_mask: npt.ArrayLike | Tensor | None = None,
                memory_key_padding_mask: npt.ArrayLike | Tensor | None = None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Any:
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: object = None, dtype: npt.DTypeLike | None = None
                                        ) -> Tensor:
        """A float ``(sz, sz)`` mask: 0 on and below the diagonal, -inf above (future positions)."""
        return Tensor(np.triu(np.full((sz, sz), -np.inf, dtype=_dt(dtype)), k=1))


class SinusoidalPositionalEncoding(Module):
    """Add the fixed sine/cosine position code to ``(N, L, d_model)`` (``batch_first``) or ``(L, N, d_model)``.

    The code (:func:`backchain.nn.functional.sinusoidal_positional_encoding`) is a
    non-persistent buffer ``pe`` of ``max_len`` rows; nothing is trained.

    >>> import numpy as np, backchain as bc
    >>> pos = bc.nn.SinusoidalPositionalEncoding(4, max_len=10, batch_first=True)
    >>> pos(np.zeros((2, 3, 4), np.float32))[0, 1].astype(float).round(3).tolist()
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, d_model: int, max_len: int = 5000, batch_first: bool = False, dtype: npt.DTypeLike | None = None
                 ) -> None:
        super().__init__()
        self.d_model, self.max_len, self.batch_first = int(d_model), int(max_len), batch_first
        self.register_buffer("pe", F.sinusoidal_positional_encoding(max_len, d_model, dtype=_dt(dtype)),
                             persistent=False)

    def forward(self, x: npt.ArrayLike | Tensor) -> Any:
        length = _shape(x)[1 if self.batch_first else 0]
        if length > self.max_len:
            raise ValueError(f"SinusoidalPositionalEncoding: sequence of length {length} is longer than "
                             f"max_len={self.max_len}")
        pe = self.pe._data[:length]
        return x + (pe[None] if self.batch_first else pe[:, None])

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(Module):
    """Add a trained vector per position: an :class:`Embedding` ``(max_len, d_model)`` named ``embedding``.

    >>> import numpy as np, backchain as bc
    >>> pos = bc.nn.LearnedPositionalEmbedding(10, 4, batch_first=True)
    >>> pos(np.zeros((2, 3, 4), np.float32)).shape
    (2, 3, 4)
    """

    def __init__(self, max_len: int, d_model: int, batch_first: bool = False, dtype: npt.DTypeLike | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.batch_first = batch_first
        self.embedding = Embedding(max_len, d_model, dtype=dtype, generator=generator)

    def forward(self, x: npt.ArrayLike | Tensor) -> Any:
        length = _shape(x)[1 if self.batch_first else 0]
        if length > self.embedding.num_embeddings:
            raise ValueError(f"LearnedPositionalEmbedding: sequence of length {length} is longer than "
                             f"max_len={self.embedding.num_embeddings}")
        pe = self.embedding(np.arange(length))
        return x + bnp.expand_dims(pe, 0 if self.batch_first else 1)
