"""``backchain.nn.functional``: layers, activations and losses as functions (PyTorch names and signatures).

Every function takes arrays or Tensors and returns the same kind; parameters
are ordinary arguments, so ``bc.grad`` can differentiate with respect to them.
Non-smooth activations are the primitives of ``backchain._rules.activations``
(their value at the kink is the documented convention); ``linear``,
``log_softmax``, ``softmax`` and ``sigmoid`` are fused primitives
(``backchain._rules.nn``); everything else is composite ``backchain.numpy``.

>>> import numpy as np, backchain as bc
>>> import backchain.nn.functional as F
>>> logits = np.array([[2.0, 0.5, -1.0]])
>>> float(F.cross_entropy(logits, np.array([0])))  # doctest: +ELLIPSIS
0.24...
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotations only (strings at run time): not names of this module
    from numpy.typing import ArrayLike, DTypeLike

import backchain.numpy as bnp
from .._core.tensor import writable
from .._core.tensor import Tensor
from .._rules import activations as _act
from .._rules import nn as _nn
from ..random import _gen
from .._rules.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,  # noqa: F401
                           conv_transpose3d)
from .._rules.pool import (max_pool1d, max_pool2d, max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d,  # noqa: F401
                           adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
                           max_unpool1d, max_unpool2d)
from .._rules.sampling import (pad, interpolate, pixel_shuffle, pixel_unshuffle, affine_grid,  # noqa: F401
                               grid_sample)
from .._rules.dct import acdc  # noqa: F401
from ..surrogate import step, sign_ste, round_ste  # noqa: F401

__all__ = [
    "linear", "bilinear", "dropout", "embedding", "flatten", "unflatten",
    "batch_norm", "layer_norm", "group_norm", "rms_norm", "normalize",
    "relu", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign",
    "tanh", "sigmoid", "hardtanh", "relu6", "hardsigmoid", "hardswish", "softmax", "log_softmax", "logsigmoid",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity", "one_hot",
    # convolution, pooling, sampling (primitives of backchain._rules.conv / pool / sampling / dct)
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "max_unpool1d", "max_unpool2d", "pad", "interpolate", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
    "affine_grid", "grid_sample", "acdc",
    # attention
    "scaled_dot_product_attention", "multi_head_attention_forward", "sinusoidal_positional_encoding",
    # straight-through estimators (backchain.surrogate)
    "step", "sign_ste", "round_ste",
]


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _ndim(x):
    return np.ndim(_data(x))


def _shape(x):
    return np.shape(_data(x))


def _dtype(x):
    return x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def _check_float(x, op, what="input"):
    """Layers compute in floating point: integer, boolean, string and object inputs are refused."""
    dt = _dtype(x)
    if dt.kind not in "fc":
        raise TypeError(f"{op}: {what} has dtype {dt} (shape {_shape(x)}); expected a floating point array "
                        "(convert it with .astype(np.float32))")


def _const(value, like):
    """A Python float as a 0-d array of ``like``'s floating dtype (keeps float32 float32)."""
    dt = _dtype(like)
    return np.asarray(value, dtype=dt if dt.kind in "fc" else np.float64)


# -- linear layers ------------------------------------------------------------------------------

def linear(input: ArrayLike | Tensor, weight: ArrayLike | Tensor, bias: ArrayLike | Tensor | None = None) -> Any:
    """``input @ weight.T + bias`` over the last axis: one fused primitive.

    Shapes: input ``(*, in_features)``, weight ``(out_features, in_features)``,
    bias ``(out_features,)`` or None; output ``(*, out_features)``.

    >>> import numpy as np, backchain.nn.functional as F
    >>> F.linear(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)).shape
    (2, 4)
    """
    ws, xs = _shape(weight), _shape(input)
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ValueError(f"linear: input of shape {xs} does not fit weight of shape {ws} "
                         f"(expected input (*, {ws[1] if len(ws) == 2 else 'in_features'}) and a 2-d weight)")
    if bias is not None and _shape(bias) != (ws[0],):
        raise ValueError(f"linear: bias of shape {_shape(bias)}; expected ({ws[0]},)")
    _check_float(input, "linear", "input")
    return _nn.linear(input, weight, bias)


def bilinear(input1: ArrayLike | Tensor, input2: ArrayLike | Tensor, weight: ArrayLike | Tensor,
             bias: ArrayLike | Tensor | None = None) -> Any:
    """``y_k = x1 @ weight[k] @ x2 + bias[k]``; weight ``(out, in1, in2)``.

    >>> import numpy as np, backchain.nn.functional as F
    >>> F.bilinear(np.ones((5, 2)), np.ones((5, 3)), np.ones((4, 2, 3))).shape
    (5, 4)
    """
    ws = _shape(weight)
    if len(ws) != 3 or _shape(input1)[-1:] != ws[1:2] or _shape(input2)[-1:] != ws[2:3]:
        raise ValueError(f"bilinear: inputs of shapes {_shape(input1)} and {_shape(input2)} do not fit "
                         f"weight of shape {ws} (expected (*, in1), (*, in2), (out, in1, in2))")
    out = bnp.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def flatten(input: ArrayLike | Tensor, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge axes ``start_dim..end_dim`` into one (``torch.flatten``).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.flatten(bc.tensor(np.zeros((2, 3, 4))), 1).shape
    (2, 12)
    """
    shape = _shape(input)
    nd = len(shape)
    if nd == 0:
        return bnp.reshape(input, (1,))
    for d in (start_dim, end_dim):
        if not -nd <= d < nd:
            raise IndexError(f"flatten: dimension {d} is out of range for an input of shape {shape} "
                             f"(expected {-nd} <= dim < {nd})")
    s, e = start_dim % nd, end_dim % nd
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {shape}")
    new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    return bnp.reshape(input, new)


def unflatten(input: ArrayLike | Tensor, dim: int, sizes: Sequence[int]) -> Any:
    """Split axis ``dim`` into ``sizes`` (one entry may be -1).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.unflatten(bc.tensor(np.zeros((2, 12))), 1, (3, 4)).shape
    (2, 3, 4)
    """
    shape = _shape(input)
    d = dim % len(shape)
    return bnp.reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


def dropout(input: ArrayLike | Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: np.random.Generator | None = None) -> Any:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only).

    The mask is drawn from ``generator`` (a ``numpy.random.Generator``) or
    backchain's default generator (see ``bc.manual_seed``).

    >>> import numpy as np, backchain.nn.functional as F
    >>> F.dropout(np.ones(4), p=0.5, training=False)
    array([1., 1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * _const(0.0, input)
    if getattr(input, "_batched", False):  # inside vmap: a mask per example (vmap's randomness=)
        from .._vmap.batched import random_like
        keep = random_like(input, _gen(generator).random) >= p
    else:
        keep = _gen(generator).random(_shape(input)) >= p
    scale = (keep / (1.0 - p)).astype(_dtype(input))
    return input * scale


def embedding(input: ArrayLike | Tensor, weight: ArrayLike | Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Any:
    """Rows of ``weight`` at the integer indices ``input``; output ``input.shape + (embedding_dim,)``.

    ``padding_idx``: that row gets no gradient (a negative one counts from the end). Indices must lie
    in ``[0, num_embeddings)``: a negative index raises IndexError, as in PyTorch. ``max_norm``: rows looked up are
    first renormalised in place (no gradient) to norm at most ``max_norm``.
    ``scale_grad_by_freq``: the gradient of each row is divided by how often its
    index occurs in ``input``.

    >>> import numpy as np, backchain.nn.functional as F
    >>> F.embedding(np.array([[0, 2]]), np.arange(6.0).reshape(3, 2)).tolist()
    [[[0.0, 1.0], [4.0, 5.0]]]
    """
    if sparse:
        raise ValueError("embedding: sparse=True is not available (backchain has no sparse gradients); "
                         "use sparse=False")
    idx = _values(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype} (shape {idx.shape})")
    num = _shape(weight)[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = np.argwhere((idx < 0) | (idx >= num))[0]
        raise IndexError(f"embedding: index {idx[tuple(bad)]} (at position {tuple(int(i) for i in bad)} of indices "
                         f"of shape {idx.shape}) is out of range for an Embedding of num_embeddings={num}; "
                         f"indices must be in [0, {num}) (negative indices are refused, as in PyTorch)")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx={padding_idx} must be in [-{num}, {num}) for an Embedding "
                             f"of num_embeddings={num}")
        padding_idx %= num
    if max_norm is not None:
        w = _data(weight)
        rows = np.unique(idx)
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        w[rows] *= scale[:, None]
    # inside vmap, batched indices gather one example's rows each (bnp.getitem's batching rule)
    out = bnp.getitem(weight, idx) if getattr(idx, "_batched", False) else bnp.take(weight, idx, axis=0)
    if padding_idx is not None and isinstance(out, Tensor) and out.requires_grad:
        mask = (idx != padding_idx)[..., None]
        out = bnp.where(mask, out, out.detach())
    if scale_grad_by_freq and isinstance(out, Tensor) and out.requires_grad:
        _, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        s = (1.0 / counts[inverse.reshape(idx.shape)])[..., None].astype(out.dtype)
        out = out * s + out._data * (1 - s)  # forward unchanged; gradient scaled by 1 / count
    return out


# -- normalisation ----------------------------------------------------------------------------

def _channel_shape(x, c):
    nd = _ndim(x)
    return (1, c) + (1,) * (nd - 2)


def batch_norm(input: ArrayLike | Tensor, running_mean: ArrayLike | Tensor, running_var: ArrayLike | Tensor,
               weight: ArrayLike | Tensor | None = None, bias: ArrayLike | Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """Normalise over every axis but the channel axis 1 (PyTorch's ``F.batch_norm``).

    In training (or without running statistics) the batch's mean and biased
    variance normalise; the running statistics, when given, are updated in
    place: ``running = (1 - momentum) * running + momentum * batch``, with
    the unbiased variance (as PyTorch). Otherwise the running statistics are used.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> x = bc.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> mean, var = np.zeros(2), np.ones(2)
    >>> y = F.batch_norm(x, mean, var, training=True)
    >>> np.round(y.numpy(), 3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> mean.tolist()
    [0.2, 2.0]
    """
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {shape}")
    c = shape[1]
    for what, v in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if v is not None and _shape(v) != (c,):
            raise ValueError(f"batch_norm: input of shape {shape} has {c} channels on axis 1, but {what} has "
                             f"shape {_shape(v)}; expected ({c},)")
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = _channel_shape(input, c)
    if training or running_mean is None:
        n = int(np.prod([shape[a] for a in axes]))
        if training and n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of "
                             f"shape {shape}")
        if training and running_mean is not None:
            x = _data(input)
            bm = np.mean(x, axis=axes)
            bv = np.var(x, axis=axes) * (n / max(n - 1, 1))  # unbiased, as PyTorch's running_var
            rm, rv = (writable(b) if isinstance(b, Tensor) else b for b in (running_mean, running_var))
            rm *= 1 - momentum
            rm += (momentum * bm).astype(rm.dtype)
            rv *= 1 - momentum
            rv += (momentum * bv).astype(rv.dtype)
        out = _nn.batch_norm(input, axes=axes, eps=_const(eps, input))
    else:
        rm = np.reshape(_data(running_mean), bshape)
        rv = np.reshape(_data(running_var), bshape)
        inv = (1.0 / np.sqrt(rv + eps)).astype(_dtype(input))
        out = (input - rm.astype(_dtype(input))) * inv
    if weight is not None:
        out = out * bnp.reshape(weight, bshape)
    if bias is not None:
        out = out + bnp.reshape(bias, bshape)
    return out


def layer_norm(input: ArrayLike | Tensor, normalized_shape: int | Sequence[int],
               weight: ArrayLike | Tensor | None = None, bias: ArrayLike | Tensor | None = None, eps: float = 1e-5
               ) -> Any:
    """Normalise over the trailing axes ``normalized_shape`` (biased variance), then scale and shift.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> y = F.layer_norm(bc.tensor([[1.0, 2.0, 3.0]]), (3,))
    >>> np.round(y.numpy(), 4).tolist()
    [[-1.2247, 0.0, 1.2247]]
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = _shape(input)
    k = len(normalized_shape)
    if tuple(shape[len(shape) - k:]) != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {shape} does not end with normalized_shape {normalized_shape}")
    axes = tuple(range(len(shape) - k, len(shape)))
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(_shape(p)) != normalized_shape:
            raise ValueError(f"layer_norm: {name} of shape {tuple(_shape(p))}; expected normalized_shape "
                             f"{normalized_shape}")
    return _nn.layer_norm(input, weight, bias, axes=axes, eps=float(eps))


def group_norm(input: ArrayLike | Tensor, num_groups: int, weight: ArrayLike | Tensor | None = None,
               bias: ArrayLike | Tensor | None = None, eps: float = 1e-5) -> Any:
    """Normalise each group of ``C / num_groups`` channels of every sample, then scale and shift per channel.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> x = bc.tensor(np.random.default_rng(0).normal(size=(2, 4, 3)))
    >>> y = F.group_norm(x, num_groups=2)
    >>> y.shape
    (2, 4, 3)
    >>> np.allclose(y.numpy().reshape(2, 2, -1).mean(-1), 0.0)
    True
    """
    shape = _shape(input)
    n, c = shape[0], shape[1]
    if c % num_groups:
        raise ValueError(f"group_norm: {c} channels are not divisible into {num_groups} groups")
    x = bnp.reshape(input, (n, num_groups, -1))
    mean = bnp.mean(x, axis=2, keepdims=True)
    centered = x - mean
    var = bnp.mean(centered * centered, axis=2, keepdims=True)
    out = bnp.reshape(centered / bnp.sqrt(var + _const(eps, input)), shape)
    bshape = _channel_shape(input, c)
    if weight is not None:
        out = out * bnp.reshape(weight, bshape)
    if bias is not None:
        out = out + bnp.reshape(bias, bshape)
    return out


def rms_norm(input: ArrayLike | Tensor, normalized_shape: int | Sequence[int],
             weight: ArrayLike | Tensor | None = None, eps: float | None = None) -> Any:
    """``x / sqrt(mean(x ** 2) + eps) * weight`` over the trailing axes (eps defaults to the dtype's eps).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> y = F.rms_norm(bc.tensor([[3.0, 4.0]]), (2,))
    >>> np.round(y.numpy(), 4).tolist()
    [[0.8485, 1.1314]]
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = _shape(input)
    axes = tuple(range(len(shape) - len(normalized_shape), len(shape)))
    if eps is None:
        eps = float(np.finfo(_dtype(input)).eps)
    ms = bnp.mean(input * input, axis=axes, keepdims=True)
    out = input / bnp.sqrt(ms + _const(eps, input))
    return out if weight is None else out * weight


def normalize(input: ArrayLike | Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Any:
    """``x / max(||x||_p, eps)`` along ``dim``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.normalize(bc.tensor([[3.0, 4.0]]), dim=1).tolist()
    [[0.6, 0.8]]
    """
    norm = bnp.sum(bnp.abs(input) ** p, axis=dim, keepdims=True) ** (1.0 / p) if p != 2 else \
        bnp.sqrt(bnp.sum(input * input, axis=dim, keepdims=True))
    return input / bnp.maximum(norm, _const(eps, input))


# -- activations ---------------------------------------------------------------------------------

def relu(input: ArrayLike | Tensor, inplace: bool = False) -> Any:
    """``max(x, 0)``; derivative 0 at 0 (the relu primitive's convention).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.relu(bc.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    return _act.relu(input)


def leaky_relu(input: ArrayLike | Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    """``x`` if positive else ``negative_slope * x``; derivative ``negative_slope`` at 0.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.leaky_relu(bc.tensor([-2.0, 0.0, 3.0]), negative_slope=0.1).tolist()
    [-0.2, 0.0, 3.0]
    """
    return _act.leaky_relu(input, negative_slope)


def hardtanh(input: ArrayLike | Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Any:
    """``clip(x, min_val, max_val)``; derivative 0 at the boundaries.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.hardtanh(bc.tensor([-2.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    >>> F.hardtanh(bc.tensor([-2.0, 0.5, 3.0]), min_val=0.0, max_val=2.0).tolist()
    [0.0, 0.5, 2.0]
    """
    return _act.hardtanh(input, min_val, max_val)


def relu6(input: ArrayLike | Tensor, inplace: bool = False) -> Any:
    """``min(max(x, 0), 6)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.relu6(bc.tensor([-1.0, 3.0, 8.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    return _act.relu6(input)


def hardsigmoid(input: ArrayLike | Tensor, inplace: bool = False) -> Any:
    """``clip(x / 6 + 1/2, 0, 1)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.hardsigmoid(bc.tensor([-4.0, 0.0, 1.5, 4.0])).tolist()
    [0.0, 0.5, 0.75, 1.0]
    """
    return _act.hardsigmoid(input)


def hardswish(input: ArrayLike | Tensor, inplace: bool = False) -> Any:
    """``x * hardsigmoid(x)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.hardswish(bc.tensor([-1.5, 0.0, 1.5, 4.0])).tolist()
    [-0.375, 0.0, 1.125, 4.0]
    """
    return _act.hardswish(input)


def prelu(input: ArrayLike | Tensor, weight: ArrayLike | Tensor) -> Any:
    """``x`` if positive else ``weight * x``; weight has 1 or C (channel axis 1) entries.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.prelu(bc.tensor([-2.0, 0.0, 3.0]), bc.tensor([0.25])).tolist()
    [-0.5, 0.0, 3.0]
    """
    w = weight
    k = _shape(weight)[0] if _ndim(weight) else 1
    if k > 1:
        if _ndim(input) < 2 or _shape(input)[1] != k:
            raise ValueError(f"prelu: {k} weights need an input with {k} channels on axis 1, got {_shape(input)}")
        w = bnp.reshape(weight, _channel_shape(input, k))
    elif _ndim(weight):
        w = bnp.reshape(weight, ())
    # derivative in x at 0 is the weight: the min-norm element of [a, 1] for 0 <= a <= 1
    return bnp.where(_data(input) > 0, input, w * input)


def _negative_part(input):
    """``min(x, 0)`` with no kink in its use below: positive entries are replaced, not clipped."""
    return bnp.where(_data(input) > 0, _const(0.0, input), input)


def elu(input: ArrayLike | Tensor, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``x`` if positive else ``alpha * (exp(x) - 1)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.elu(bc.tensor([-1.0, 0.0, 2.0])).numpy(), 4).tolist()
    [-0.6321, 0.0, 2.0]
    """
    # expm1 sees only non-positive values: no overflow in the branch not taken
    return bnp.where(_data(input) > 0, input, _const(alpha, input) * bnp.expm1(_negative_part(input)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: ArrayLike | Tensor, inplace: bool = False) -> Any:
    """``scale * elu(x, alpha)`` with the self-normalising constants.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.selu(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-1.1113, 0.0, 1.0507]
    """
    return _const(_SELU_SCALE, input) * elu(input, _SELU_ALPHA)


def celu(input: ArrayLike | Tensor, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``x`` if positive else ``alpha * (exp(x / alpha) - 1)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.celu(bc.tensor([-1.0, 0.0, 1.0]), alpha=2.0).numpy(), 4).tolist()
    [-0.7869, 0.0, 1.0]
    """
    a = _const(alpha, input)
    return bnp.where(_data(input) > 0, input, a * bnp.expm1(_negative_part(input) / a))


def gelu(input: ArrayLike | Tensor, approximate: str = "none") -> Any:
    """``x * Phi(x)`` (Gaussian CDF); ``approximate="tanh"`` uses the tanh formula.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.gelu(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.1587, 0.0, 0.8413]
    >>> np.round(F.gelu(bc.tensor([1.0]), approximate="tanh").numpy(), 4).tolist()
    [0.8412]
    """
    if approximate == "tanh":
        c = _const(math.sqrt(2.0 / math.pi), input)
        inner = c * (input + _const(0.044715, input) * input * input * input)
        return _const(0.5, input) * input * (_const(1.0, input) + bnp.tanh(inner))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    from .._rules.special import erf  # SciPy, imported on first use only

    return _const(0.5, input) * input * (_const(1.0, input) + erf(input * _const(1.0 / math.sqrt(2.0), input)))


def sigmoid(input: ArrayLike | Tensor) -> Any:
    """``1 / (1 + exp(-x))`` (a stable primitive).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.sigmoid(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [0.2689, 0.5, 0.7311]
    """
    return _nn.sigmoid(input)


def tanh(input: ArrayLike | Tensor) -> Any:
    """``tanh(x)``, elementwise (``backchain.numpy.tanh``).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.tanh(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.7616, 0.0, 0.7616]
    """
    return bnp.tanh(input)


def silu(input: ArrayLike | Tensor, inplace: bool = False, beta: float | ArrayLike | Tensor | None = None) -> Any:
    """``x * sigmoid(beta * x)`` (Swish); ``beta`` defaults to 1 and may be a trainable Tensor.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.silu(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.2689, 0.0, 0.7311]
    """
    if beta is None:
        return input * _nn.sigmoid(input)
    return input * _nn.sigmoid(beta * input)


def softplus(input: ArrayLike | Tensor, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold`` (as PyTorch).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.softplus(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [0.3133, 0.6931, 1.3133]
    """
    b = _const(beta, input)
    z = input * b
    soft = bnp.logaddexp(_const(0.0, input), z) / b
    return bnp.where(_data(z) > threshold, input, soft)


def logsigmoid(input: ArrayLike | Tensor) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, stable.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.logsigmoid(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-1.3133, -0.6931, -0.3133]
    """
    return -bnp.logaddexp(_const(0.0, input), -input)


def mish(input: ArrayLike | Tensor, inplace: bool = False) -> Any:
    """``x * tanh(softplus(x))``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> np.round(F.mish(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.3034, 0.0, 0.8651]
    """
    return input * bnp.tanh(bnp.logaddexp(_const(0.0, input), input))


def softsign(input: ArrayLike | Tensor) -> Any:
    """``x / (1 + |x|)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.softsign(bc.tensor([-3.0, 0.0, 1.0])).tolist()
    [-0.75, 0.0, 0.5]
    """
    return input / (_const(1.0, input) + bnp.abs(input))


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: ArrayLike | Tensor, dim: int | None = None, dtype: DTypeLike | None = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``dim`` (a stable primitive).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> p = F.softmax(bc.tensor([[1.0, 2.0, 3.0]]), dim=1)
    >>> np.round(p.numpy(), 4).tolist()
    [[0.09, 0.2447, 0.6652]]
    >>> round(float(p.sum()), 6)
    1.0
    """
    if dtype is not None:
        input = bnp.astype(input, dtype)
    return _nn.softmax(input, axis=_softmax_dim(_ndim(input)) if dim is None else dim)


def log_softmax(input: ArrayLike | Tensor, dim: int | None = None, dtype: DTypeLike | None = None) -> Any:
    """``x - logsumexp(x)`` along ``dim`` (a stable primitive).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> lp = F.log_softmax(bc.tensor([[0.0, 0.0]]), dim=1)
    >>> np.round(lp.numpy(), 4).tolist()
    [[-0.6931, -0.6931]]
    """
    if dtype is not None:
        input = bnp.astype(input, dtype)
    return _nn.log_softmax(input, axis=_softmax_dim(_ndim(input)) if dim is None else dim)


def one_hot(tensor: ArrayLike | Tensor, num_classes: int = -1) -> Any:
    """Integer class indices to a one-hot int64 array of shape ``tensor.shape + (num_classes,)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.one_hot(bc.tensor([0, 2]), num_classes=3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    idx = np.asarray(_data(tensor))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {idx.dtype} (shape {idx.shape})")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise IndexError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                         f"[{idx.min()}, {idx.max()}] (shape {idx.shape})")
    return (idx[..., None] == np.arange(num_classes)).astype(np.int64)


# -- losses ------------------------------------------------------------------------------------

def _empty_batch(input, op):
    raise ValueError(f"{op}: the batch is empty (input of shape {_shape(input)}); the mean of no values is "
                     "undefined. Skip empty batches, or use reduction='sum'")


def _reduce(loss, reduction, op):
    if reduction == "mean":
        if _shape(loss) and np.size(_data(loss)) == 0:
            _empty_batch(loss, op)
        return bnp.mean(loss)
    if reduction == "sum":
        return bnp.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(input, target, op):
    if _shape(input) != _shape(target):
        raise ValueError(f"{op}: target shape {_shape(target)} differs from input shape {_shape(input)}; "
                         "PyTorch would broadcast with a warning, backchain asks for equal shapes")
    _check_target_values(target, op)


def _values(x):
    """``x``'s values as an ndarray; inside vmap a batched value stays batched (its checks run per example)."""
    return x if getattr(x, "_batched", False) else np.asarray(_data(x))


def _check_target_values(target, op):
    """Targets are numbers and hold no NaN (a NaN label would silently make the whole loss NaN)."""
    t = _values(target)
    if t.dtype.kind not in "biufc":
        raise TypeError(f"{op}: target has dtype {t.dtype} (shape {t.shape}); expected numbers")
    if t.dtype.kind in "fc" and t.size:
        bad = np.isnan(t)
        if bad.any():
            raise ValueError(f"{op}: target holds {int(bad.sum())} NaN value(s) (shape {t.shape}, dtype {t.dtype}, "
                             f"first at index {tuple(int(i) for i in np.argwhere(bad)[0])}); clean the labels "
                             "or mask them out")


def mse_loss(input: ArrayLike | Tensor, target: ArrayLike | Tensor, reduction: str = "mean",
             weight: ArrayLike | Tensor | None = None) -> Any:
    """``(input - target) ** 2``, reduced.

    >>> import numpy as np, backchain.nn.functional as F
    >>> float(F.mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    2.0
    """
    _same_shape(input, target, "mse_loss")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "mse_loss")


def l1_loss(input: ArrayLike | Tensor, target: ArrayLike | Tensor, reduction: str = "mean",
            weight: ArrayLike | Tensor | None = None) -> Any:
    """``|input - target|``, reduced (derivative 0 where they are equal).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> float(F.l1_loss(bc.tensor([1.0, 2.0, 3.0]), bc.tensor([1.0, 0.0, 4.0])))
    1.0
    >>> F.l1_loss(bc.tensor([1.0, 2.0, 3.0]), bc.tensor([1.0, 0.0, 4.0]), reduction="none").tolist()
    [0.0, 2.0, 1.0]
    """
    _same_shape(input, target, "l1_loss")
    loss = bnp.abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "l1_loss")


def smooth_l1_loss(input: ArrayLike | Tensor, target: ArrayLike | Tensor, reduction: str = "mean", beta: float = 1.0
                   ) -> Any:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> float(F.smooth_l1_loss(bc.tensor([0.5, 3.0]), bc.tensor([0.0, 0.0])))
    1.3125
    """
    _same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    if beta == 0:
        return _reduce(bnp.abs(d), reduction, "smooth_l1_loss")
    ad = bnp.abs(d)
    loss = bnp.where(_data(ad) < beta, _const(0.5 / beta, d) * d * d, ad - _const(0.5 * beta, d))
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input: ArrayLike | Tensor, target: ArrayLike | Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: ArrayLike | Tensor | None = None) -> Any:
    """``0.5 d**2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> F.huber_loss(bc.tensor([0.5, 3.0]), bc.tensor([0.0, 0.0]), reduction="none", delta=2.0).tolist()
    [0.125, 4.0]
    """
    _same_shape(input, target, "huber_loss")
    d = input - target
    ad = bnp.abs(d)
    loss = bnp.where(_data(ad) <= delta, _const(0.5, d) * d * d, _const(delta, d) * (ad - _const(0.5 * delta, d)))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def _class_axis(input):
    return 0 if _ndim(input) == 1 else 1


def _weight_along(weight, input, axis):
    shape = [1] * _ndim(input)
    shape[axis] = -1
    return np.reshape(np.asarray(_data(weight)), shape)


def nll_loss(input: ArrayLike | Tensor, target: ArrayLike | Tensor, weight: ArrayLike | Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Any:
    """Negative log-likelihood of the class indices ``target`` under log-probabilities ``input``.

    Shapes: input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``,
    ``(N, d1, ...)`` or ``()``. Targets equal to ``ignore_index`` contribute
    nothing; ``mean`` divides by the summed weights of the other targets.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> logp = bc.tensor(np.log([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]))
    >>> round(float(F.nll_loss(logp, bc.tensor([0, 1]))), 4)
    0.4581
    """
    t = np.asarray(_data(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class indices, got dtype {t.dtype} (shape {t.shape})")
    axis = _class_axis(input)
    shape = _shape(input)
    c = shape[axis]
    expected = shape[:axis] + shape[axis + 1:]
    if t.shape != expected:
        raise ValueError(f"nll_loss: target of shape {t.shape} does not fit input of shape {shape} "
                         f"(expected {expected})")
    valid = t != ignore_index
    if np.any((t[valid] < 0) | (t[valid] >= c)):
        raise IndexError(f"nll_loss: target values must be in [0, {c}) or ignore_index={ignore_index}; "
                         f"got values in [{t.min()}, {t.max()}]")
    safe = _stand_in(t, valid, input, axis)
    picked = bnp.squeeze(bnp.take_along_axis(input, np.expand_dims(safe, axis), axis=axis), axis=axis)
    if weight is not None:
        w = np.asarray(_data(weight))[safe]
    else:
        w = np.ones(t.shape)
    w = (w * valid).astype(_dtype(input))
    loss = -(picked * w)
    if reduction == "mean":
        if not t.size:
            _empty_batch(input, "nll_loss")
        return _weighted_mean(bnp.sum(loss), w.sum(), valid, input)
    return _reduce(loss, reduction, "nll_loss")


def _weighted_mean(total, denom, valid, like):
    """``total / denom``, the mean of a class-index loss. With every target ignored it is 0 / 0: the
    value is NaN and the gradient zeros, as in PyTorch (a NaN gradient would turn every parameter NaN
    at the next step; ``total`` is a sum of terms weighted by 0, so its gradient is 0)."""
    if not valid.any():
        return total + _const(np.nan, like)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / _const(denom, like)


def cross_entropy(input: ArrayLike | Tensor, target: ArrayLike | Tensor, weight: ArrayLike | Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """Cross-entropy between logits ``input`` and class indices or class probabilities ``target``.

    ``log_softmax`` is one fused, stable primitive, so logits of any size are
    safe. With class indices: ``weight`` (per class), ``ignore_index`` and
    ``label_smoothing`` follow PyTorch exactly (``mean`` divides by the summed
    weights of the targets not ignored). With probabilities (a float target of
    the input's shape), ``mean`` divides by the number of samples.

    >>> import numpy as np, backchain as bc, backchain.nn.functional as F
    >>> logits = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    >>> float(F.cross_entropy(logits, np.array([0, 0])))
    500.0
    """
    if size_average is not None or reduce is not None:
        raise ValueError("cross_entropy: size_average and reduce are deprecated; use reduction=")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = _class_axis(input)
    c = _shape(input)[axis]
    # inside vmap, a batched target stays batched (one target per example)
    t = target._data if getattr(target, "_batched", False) else np.asarray(_data(target))  # (NumPy's meanings)
    if t.dtype.kind in "iu" and label_smoothing == 0.0:
        return _fused_cross_entropy(input, t, weight, ignore_index, reduction, axis, c)
    if t.dtype.kind not in "iu":
        shape = _shape(input)
        if t.dtype.kind in "fc" and t.shape == shape[:axis] + shape[axis + 1:] and t.shape != shape:
            nan = " and holds NaN" if np.isnan(t).any() else ""
            raise TypeError(f"cross_entropy: target of shape {t.shape} has dtype {t.dtype}{nan}; class-index "
                            f"targets must be integers (probability targets have the input's shape {shape})")
        _check_target_values(t, "cross_entropy")
    logp = _nn.log_softmax(input, axis=axis)
    if t.dtype.kind == "f" or isinstance(target, Tensor) and t.dtype.kind == "f":
        if t.shape != _shape(input):
            raise ValueError(f"cross_entropy: probability targets must have the input's shape {_shape(input)}, "
                             f"got {t.shape}")
        p = target
        if label_smoothing > 0:
            p = p * _const(1.0 - label_smoothing, input) + _const(label_smoothing / c, input)
        prod = logp * p
        if weight is not None:
            prod = prod * _weight_along(weight, input, axis).astype(_dtype(input))
        loss = -bnp.sum(prod, axis=axis)
        if reduction == "mean":
            n = max(1, int(np.prod(_shape(loss))))
            return bnp.sum(loss) / _const(n, input)
        return _reduce(loss, reduction, "cross_entropy")
    if label_smoothing == 0.0 and reduction in ("mean", "sum", "none"):
        return _fused_cross_entropy(input, t, weight, ignore_index, reduction, axis, c)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    valid = t != ignore_index
    if weight is not None:
        smooth = -bnp.sum(logp * _weight_along(weight, input, axis).astype(_dtype(input)), axis=axis)
    else:
        smooth = -bnp.sum(logp, axis=axis)
    smooth = bnp.where(valid, smooth, _const(0.0, input))  # an ignored sample's -inf logit gives 0, not NaN
    if reduction == "mean":
        denom = valid.sum() if weight is None else np.asarray(_data(weight))[t[valid]].sum()
        ret = _weighted_mean(bnp.sum(smooth), denom, valid, input)
    else:
        ret = _reduce(smooth, reduction, "cross_entropy")
    return nll * _const(1.0 - label_smoothing, input) + ret * _const(label_smoothing / c, input)


def _targets(t, input, axis, c, ignore_index, op):
    shape = _shape(input)
    expected = shape[:axis] + shape[axis + 1:]
    if t.shape != expected:
        raise ValueError(f"{op}: target of shape {t.shape} does not fit input of shape {shape} (expected {expected})")
    valid = t != ignore_index
    safe = _stand_in(t, valid, input, axis)
    if safe.size and (safe.min() < 0 or safe.max() >= c):
        raise IndexError(f"{op}: target values must be in [0, {c}) or ignore_index={ignore_index}; "
                         f"got values in [{t.min()}, {t.max()}]")
    return valid, safe


def _stand_in(t, valid, input, axis):
    """``t`` with each ignored target replaced by its sample's largest class: a picked value weighted by 0
    must be finite (a masked logit of -inf at class 0 made the loss NaN; PyTorch skips ignored targets)."""
    if valid.all():
        return t
    if not _shape(input)[axis]:
        return np.where(valid, t, 0)
    return np.where(valid, t, np.argmax(np.asarray(_data(input)), axis=axis))


def _fused_cross_entropy(input, t, weight, ignore_index, reduction, axis, c):
    """Class-index cross-entropy as one primitive: per-sample weights carry the class weight, the
    ignore mask and the mean's denominator."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    valid, safe = _targets(t, input, axis, c, ignore_index, "cross_entropy")
    if reduction == "mean" and not safe.size:
        _empty_batch(input, "cross_entropy")
    dtype = _dtype(input)
    if weight is None and reduction == "mean" and safe is t and dtype.kind == "f":  # every target counts: 1/n
        return _nn.cross_entropy(input, target=t, w=np.full(t.shape, dtype.type(1) / dtype.type(t.size)),
                                 axis=axis, reduce=True)
    w = valid.astype(dtype) if weight is None else (np.asarray(_data(weight))[safe] * valid).astype(dtype)
    if reduction == "mean" and not valid.any():
        return _weighted_mean(_nn.cross_entropy(input, target=safe, w=w, axis=axis, reduce=True), 0, valid, input)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            w = (w / w.sum()).astype(w.dtype)
    return _nn.cross_entropy(input, target=safe, w=w, axis=axis, reduce=reduction != "none")


def binary_cross_entropy(input: ArrayLike | Tensor, target: ArrayLike | Tensor,
                         weight: ArrayLike | Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Any:
    """``-(y log p + (1 - y) log(1 - p))`` with each log clamped at -100 (as PyTorch); ``input`` in [0, 1].

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> round(float(F.binary_cross_entropy(bc.tensor([0.8, 0.2]), bc.tensor([1.0, 0.0]))), 4)
    0.2231
    """
    _same_shape(input, target, "binary_cross_entropy")
    x = np.asarray(_data(input))
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("binary_cross_entropy: input values must lie in [0, 1] (probabilities); "
                         "for logits use binary_cross_entropy_with_logits")
    lo = _const(-100.0, input)
    one = _const(1.0, input)
    with np.errstate(divide="ignore"):
        loss = -(target * bnp.maximum(bnp.log(input), lo) + (one - target) * bnp.maximum(bnp.log(one - input), lo))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: ArrayLike | Tensor, target: ArrayLike | Tensor,
                                     weight: ArrayLike | Tensor | None = None, size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: ArrayLike | Tensor | None = None) -> Any:
    """Binary cross-entropy on logits, stable for any logit: ``(1 - y) x + (1 + (pw - 1) y) softplus(-x)``.

    ``pos_weight`` weights the positive term (broadcast along the last axis).

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> round(float(F.binary_cross_entropy_with_logits(bc.tensor([0.0, 0.0]), bc.tensor([1.0, 0.0]))), 4)
    0.6931
    """
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    zero = _const(0.0, input)
    one = _const(1.0, input)
    sp = bnp.logaddexp(zero, -input)  # softplus(-x) = -log sigmoid(x)
    if pos_weight is not None:
        lw = one + (pos_weight - one) * target
        loss = (one - target) * input + lw * sp
    else:
        loss = (one - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input: ArrayLike | Tensor, target: ArrayLike | Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False) -> Any:
    """Pointwise ``target * (log target - input)`` with ``input`` log-probabilities.

    ``reduction="batchmean"`` divides the sum by the batch size (the
    mathematically correct KL divergence); ``log_target=True`` takes the target
    as log-probabilities. A zero target contributes exactly 0.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> logq = bc.tensor(np.log([[0.25, 0.75]]))
    >>> p = bc.tensor([[0.5, 0.5]])
    >>> round(float(F.kl_div(logq, p, reduction="batchmean")), 4)
    0.1438
    """
    _same_shape(input, target, "kl_div")
    if log_target:
        loss = bnp.exp(target) * (target - input)
    else:
        from .._rules.special import xlogy  # SciPy, imported on first use only

        # xlogy(t, t) is 0 at t = 0, where its derivative is the one-sided limit -inf (never NaN)
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        n = _shape(input)[0] if _ndim(input) else 1
        return bnp.sum(loss) / _const(n, input)
    return _reduce(loss, reduction, "kl_div")


def cosine_similarity(x1: ArrayLike | Tensor, x2: ArrayLike | Tensor, dim: int = 1, eps: float = 1e-8) -> Any:
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``.

    Examples
    --------
    >>> import backchain as bc
    >>> import backchain.nn.functional as F
    >>> import numpy as np
    >>> a = bc.tensor([[1.0, 0.0], [1.0, 1.0]])
    >>> b = bc.tensor([[0.0, 1.0], [2.0, 2.0]])
    >>> F.cosine_similarity(a, b).numpy().round(6).tolist()
    [0.0, 1.0]
    """
    n1 = bnp.sqrt(bnp.sum(x1 * x1, axis=dim, keepdims=True))
    n2 = bnp.sqrt(bnp.sum(x2 * x2, axis=dim, keepdims=True))
    e = _const(eps, x1)
    return bnp.sum((x1 / bnp.maximum(n1, e)) * (x2 / bnp.maximum(n2, e)), axis=dim)


# -- shuffles ------------------------------------------------------------------------------------

def channel_shuffle(input: ArrayLike | Tensor, groups: int) -> Any:
    """Interleave the channels of ``groups`` groups: ``(N, g * k, *S)`` -> channel ``j * g + i`` from ``i * k + j``.

    >>> import numpy as np, backchain.nn.functional as F
    >>> F.channel_shuffle(np.arange(6.0).reshape(1, 6, 1), 2)[0, :, 0].tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    shape = _shape(input)
    if len(shape) < 3 or shape[1] % groups:
        raise ValueError(f"channel_shuffle: expected input (N, C, *spatial) with C divisible by groups={groups}, "
                         f"got shape {shape}")
    x = bnp.reshape(input, (shape[0], groups, shape[1] // groups) + shape[2:])
    return bnp.reshape(bnp.swapaxes(x, 1, 2), shape)


# -- attention -----------------------------------------------------------------------------------

def _attention_bias(attn_mask, is_causal, L, S, dtype):
    """The additive bias (an ndarray, -inf where masked) and the rows masked entirely (or None)."""
    bias = None
    if is_causal:
        bias = np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(dtype)
    if attn_mask is not None:
        m = attn_mask
        md = np.asarray(_data(m))
        if md.dtype == bool:
            m = np.where(md, 0.0, -np.inf).astype(dtype)
        bias = m if bias is None else bias + m
    return bias


def scaled_dot_product_attention(query: ArrayLike | Tensor, key: ArrayLike | Tensor, value: ArrayLike | Tensor,
                                 attn_mask: ArrayLike | Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None, enable_gqa: bool = False,
                                 generator: np.random.Generator | None = None) -> Any:
    """``softmax(q @ k^T * scale + mask) @ v`` over the last two axes (``F.scaled_dot_product_attention``).

    Parameters
    ----------
    query : (..., L, E)
    key : (..., S, E)
    value : (..., S, Ev)
    attn_mask : bool or float array broadcastable to (..., L, S), optional
        Boolean: True where a query may attend to a key. Float: added to the scores
        (may be a Tensor, and is then differentiated).
    dropout_p : float
        Dropout on the attention weights, drawn from ``generator`` (a
        ``numpy.random.Generator``, or backchain's default generator).
    is_causal : bool
        Query ``i`` attends to keys ``j <= i`` (the upper-left causal mask, as PyTorch).
    scale : float, optional
        Defaults to ``1 / sqrt(E)``.

    A query whose keys are all masked gets weights 0 (output 0), as PyTorch's CPU kernel gives.

    Returns
    -------
    (..., L, Ev)

    Examples
    --------
    >>> import numpy as np, backchain.nn.functional as F
    >>> q = k = v = np.eye(3)[None]
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True)[0, 0].tolist()
    [1.0, 0.0, 0.0]
    """
    qs, ks, vs = _shape(query), _shape(key), _shape(value)
    if len(qs) < 2 or len(ks) < 2 or qs[-1] != ks[-1] or ks[-2] != vs[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {qs}, key {ks} and value {vs} do not fit "
                         f"(expected (..., L, E), (..., S, E), (..., S, Ev))")
    if enable_gqa and len(qs) >= 3 and qs[-3] != ks[-3]:
        rep = qs[-3] // ks[-3]
        key = bnp.repeat(key, rep, axis=-3)
        value = bnp.repeat(value, rep, axis=-3)
    L, S = qs[-2], ks[-2]
    if attn_mask is not None:
        scores_shape = np.broadcast_shapes(qs[:-2], ks[:-2]) + (L, S)
        try:
            np.broadcast_shapes(_shape(attn_mask), scores_shape)
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: attn_mask of shape {_shape(attn_mask)} does not "
                             f"broadcast to the scores' shape {scores_shape} (query {qs}, key {ks}); expected a mask "
                             f"broadcastable to (..., L={L}, S={S})") from None
    dtype = _dtype(query)
    scale = 1.0 / math.sqrt(qs[-1]) if scale is None else scale
    scores = bnp.matmul(query * _const(scale, query), bnp.swapaxes(key, -1, -2))
    bias = _attention_bias(attn_mask, is_causal, L, S, dtype)
    dead = None
    if bias is not None:
        bd = np.asarray(_data(bias))
        dead = np.all(np.isneginf(bd), axis=-1, keepdims=True)
        if dead.any():
            bias = bnp.where(dead, _const(0.0, query), bias)
        else:
            dead = None
        scores = scores + bias
    weights = _nn.softmax(scores, axis=-1)
    if dead is not None:
        weights = weights * (~dead).astype(dtype)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, generator=generator)
    return bnp.matmul(weights, value)


def _merge_masks(attn_mask, key_padding_mask, n, h, L, S, dtype):
    """One additive mask of shape (N, H, L, S), (L, S) or None from attn_mask and key_padding_mask."""
    def additive(m):
        if m is None:
            return None
        md = np.asarray(_data(m))
        if md.dtype == bool:
            return np.where(md, -np.inf, 0.0).astype(dtype)  # True = masked out (PyTorch's MHA convention)
        return m
    am, kp = additive(attn_mask), additive(key_padding_mask)
    if am is not None and _ndim(am) == 3:
        am = bnp.reshape(am, (n, h, L, S))
    if kp is not None:
        kp = bnp.reshape(kp, (n, 1, 1, S))
        return kp if am is None else am + kp
    return am


def _check_attention_masks(query, key, num_heads, attn_mask, key_padding_mask):
    """The masks' shapes against query (L, N, E) or (L, E) and key (S, N, kdim) or (S, kdim), as PyTorch checks."""
    qs, ks = _shape(query), _shape(key)
    if len(qs) not in (2, 3) or len(ks) != len(qs):
        raise ValueError(f"MultiheadAttention: query of shape {qs} and key of shape {ks}; expected (L, N, E) and "
                         "(S, N, kdim) (sequence first), or unbatched (L, E) and (S, kdim)")
    L, S = qs[0], ks[0]
    sizes = f"(query length L={L}, key length S={S}"
    if len(qs) == 3:
        n = qs[1]
        sizes += f", batch N={n}, num_heads={num_heads})"
        mask_shapes, padding_shape = [(L, S), (n * num_heads, L, S)], (n, S)
    else:
        sizes += f", unbatched, num_heads={num_heads})"
        mask_shapes, padding_shape = [(L, S), (num_heads, L, S)], (S,)
    if attn_mask is not None and _shape(attn_mask) not in mask_shapes:
        raise ValueError(f"MultiheadAttention: attn_mask has shape {_shape(attn_mask)}; expected {mask_shapes[0]} "
                         f"or {mask_shapes[1]} {sizes}")
    if key_padding_mask is not None and _shape(key_padding_mask) != padding_shape:
        raise ValueError(f"MultiheadAttention: key_padding_mask has shape {_shape(key_padding_mask)}; expected "
                         f"{padding_shape} {sizes}")


def multi_head_attention_forward(query: ArrayLike | Tensor, key: ArrayLike | Tensor, value: ArrayLike | Tensor,
                                 embed_dim_to_check: int, num_heads: int, in_proj_weight: ArrayLike | Tensor,
                                 in_proj_bias: ArrayLike | Tensor | None, bias_k: ArrayLike | Tensor | None,
                                 bias_v: ArrayLike | Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: ArrayLike | Tensor, out_proj_bias: ArrayLike | Tensor | None,
                                 training: bool = True, key_padding_mask: ArrayLike | Tensor | None = None,
                                 need_weights: bool = True, attn_mask: ArrayLike | Tensor | None = None,
                                 use_separate_proj_weight: bool = False,
                                 q_proj_weight: ArrayLike | Tensor | None = None,
                                 k_proj_weight: ArrayLike | Tensor | None = None,
                                 v_proj_weight: ArrayLike | Tensor | None = None,
                                 static_k: ArrayLike | Tensor | None = None,
                                 static_v: ArrayLike | Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False, generator: np.random.Generator | None = None) -> Any:
    """Multi-head attention on sequence-first inputs, ``torch.nn.functional.multi_head_attention_forward``.

    Shapes: query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (or
    unbatched ``(L, E)``, ...). ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)``
    and ``key_padding_mask`` ``(N, S)``: boolean True (or -inf added) where a
    key is ignored. Returns ``(output (L, N, E), weights)``; the weights are
    ``(N, L, S)`` averaged over heads, ``(N, num_heads, L, S)`` with
    ``average_attn_weights=False``, or None unless ``need_weights``.

    Examples
    --------
    >>> import numpy as np, backchain.nn.functional as F
    >>> x = np.ones((5, 2, 4))
    >>> out, w = F.multi_head_attention_forward(x, x, x, 4, 2, np.ones((12, 4)), np.zeros(12), None, None,
    ...                                         False, 0.0, np.eye(4), np.zeros(4))
    >>> out.shape, w.shape
    ((5, 2, 4), (2, 5, 5))
    """
    if static_k is not None or static_v is not None:
        raise ValueError("multi_head_attention_forward: static_k / static_v are not supported; pass key and value")
    _check_attention_masks(query, key, num_heads, attn_mask, key_padding_mask)
    unbatched = _ndim(query) == 2
    if unbatched:
        query, key, value = (bnp.expand_dims(t, 1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = bnp.expand_dims(key_padding_mask, 0)
    L, n, e = _shape(query)
    if e != embed_dim_to_check:
        raise ValueError(f"multi_head_attention_forward: query of shape {_shape(query)}; expected embedding "
                         f"dimension {embed_dim_to_check}")
    if e % num_heads:
        raise ValueError(f"multi_head_attention_forward: embed_dim {e} is not divisible by num_heads {num_heads}")
    hd = e // num_heads
    if use_separate_proj_weight:
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
        q = linear(query, q_proj_weight, bq)
        k = linear(key, k_proj_weight, bk)
        v = linear(value, v_proj_weight, bv)
    elif key is query and value is query:  # self-attention: one product for q, k and v
        qkv = linear(query, in_proj_weight, in_proj_bias)
        q, k, v = qkv[..., :e], qkv[..., e:2 * e], qkv[..., 2 * e:]
    else:
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
        q = linear(query, in_proj_weight[:e], bq)
        k = linear(key, in_proj_weight[e:2 * e], bk)
        v = linear(value, in_proj_weight[2 * e:], bv)
    dtype = _dtype(q)
    if bias_k is not None and bias_v is not None:
        k = bnp.concatenate([k, bnp.broadcast_to(bnp.reshape(bias_k, (1, 1, e)), (1, n, e))], axis=0)
        v = bnp.concatenate([v, bnp.broadcast_to(bnp.reshape(bias_v, (1, 1, e)), (1, n, e))], axis=0)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1), value=False if np.asarray(_data(attn_mask)).dtype == bool else 0.0)
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1),
                                   value=False if np.asarray(_data(key_padding_mask)).dtype == bool else 0.0)
    if add_zero_attn:
        k = bnp.concatenate([k, np.zeros((1, n, e), dtype=dtype)], axis=0)
        v = bnp.concatenate([v, np.zeros((1, n, e), dtype=dtype)], axis=0)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1), value=False if np.asarray(_data(attn_mask)).dtype == bool else 0.0)
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1),
                                   value=False if np.asarray(_data(key_padding_mask)).dtype == bool else 0.0)
    S = _shape(k)[0]
    if is_causal and attn_mask is None:
        attn_mask = ~np.tril(np.ones((L, S), dtype=bool))
    # (L, N, E) -> (N, H, L, hd)
    heads = lambda t, length: bnp.transpose(bnp.reshape(t, (length, n, num_heads, hd)), (1, 2, 0, 3))
    q, k, v = heads(q, L), heads(k, S), heads(v, S)
    mask = _merge_masks(attn_mask, key_padding_mask, n, num_heads, L, S, dtype)
    scores = bnp.matmul(q * _const(1.0 / math.sqrt(hd), q), bnp.swapaxes(k, -1, -2))
    dead = None
    if mask is not None:
        md = np.broadcast_to(np.asarray(_data(mask)), (n, num_heads, L, S) if _ndim(mask) == 4 else (L, S))
        dead = np.all(np.isneginf(md), axis=-1, keepdims=True)
        if dead.any():
            mask = bnp.where(dead, _const(0.0, q), mask)
        else:
            dead = None
        scores = scores + mask
    weights = _nn.softmax(scores, axis=-1)
    if dead is not None:
        weights = weights * (~dead).astype(dtype)
    if training and dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, generator=generator)
    out = bnp.matmul(weights, v)                                              # (N, H, L, hd)
    out = bnp.reshape(bnp.transpose(out, (2, 0, 1, 3)), (L, n, e))
    out = linear(out, out_proj_weight, out_proj_bias)
    if not need_weights:
        w = None
    else:
        w = bnp.mean(weights, axis=1) if average_attn_weights else weights
        if unbatched:
            w = w[0]
    return (out[:, 0] if unbatched else out), w


def sinusoidal_positional_encoding(length: int, d_model: int, dtype: DTypeLike = np.float32, base: float = 10000.0
                                   ) -> Any:
    """The fixed positional encoding of "Attention is all you need": ``(length, d_model)``.

    Column ``2i`` is ``sin(pos / base^(2i / d_model))`` and column ``2i + 1`` the cosine.

    >>> import backchain.nn.functional as F
    >>> F.sinusoidal_positional_encoding(3, 4, dtype=float)[1].round(4).tolist()
    [0.8415, 0.5403, 0.01, 1.0]
    """
    pos = np.arange(length, dtype=np.float64)[:, None]
    div = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(base) / d_model))
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(pos * div)
    pe[:, 1::2] = np.cos(pos * div)[:, :d_model // 2]
    return pe.astype(dtype)


# -- connectionist temporal classification ---------------------------------------------------

def _lengths(x, n, what):
    """``input_lengths`` / ``target_lengths`` (ints, a sequence or an integer array/Tensor) as ``(n,)`` int64."""
    a = np.asarray(_data(x))
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and a.size and np.all(a == np.round(a))):
        raise TypeError(f"ctc_loss: {what} must be integers, got dtype {a.dtype} (shape {a.shape})")
    a = np.broadcast_to(a.astype(np.int64), (n,)) if a.ndim == 0 else a.astype(np.int64)
    if a.shape != (n,):
        raise ValueError(f"ctc_loss: {what} must hold one length per batch element ({n}), got shape {a.shape}")
    return a


def _ctc_targets(targets, target_lengths, n, op):
    """Targets padded to ``(n, S)``: a 2-D ``(N, S)`` array as is, a 1-D concatenation split by the lengths."""
    t = np.asarray(_data(targets))
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be integer class indices, got dtype {t.dtype} (shape {t.shape})")
    if t.ndim == 2:
        if t.shape[0] != n:
            raise ValueError(f"{op}: targets of shape {t.shape} must have the batch size {n} as first dimension")
        if target_lengths.size and target_lengths.max() > t.shape[1]:
            raise ValueError(f"{op}: target_lengths {target_lengths.tolist()} exceed the {t.shape[1]} columns of "
                             f"padded targets of shape {t.shape}")
        return t
    if t.ndim != 1:
        raise ValueError(f"{op}: targets must be (N, S) padded or 1-D concatenated, got shape {t.shape}")
    if int(target_lengths.sum()) != t.shape[0]:
        raise ValueError(f"{op}: 1-D targets hold {t.shape[0]} labels but target_lengths sum to "
                         f"{int(target_lengths.sum())} ({target_lengths.tolist()})")
    padded = np.zeros((n, int(target_lengths.max(initial=0))), dtype=np.int64)
    ends = np.cumsum(target_lengths)
    for i, (start, end) in enumerate(zip(ends - target_lengths, ends)):
        padded[i, :end - start] = t[start:end]
    return padded


def _logsumexp_first(v):
    """``log(sum(exp(v), axis=0))``; where every entry is -inf the value is -inf and the cotangent reaching
    them is exactly 0 (no NaN from ``-inf - -inf`` or ``log'(0)``): the shift ``m`` is a constant, the sum
    is at least 1 where some entry is finite (its largest contributes ``exp(0)``) and 0 where none is,
    and there it is replaced by 1 (``log`` gives 0, its derivative is finite) and -inf is added as a
    constant."""
    m = np.max(_data(v), axis=0)
    empty = m == -np.inf
    shift = np.where(empty, 0, m).astype(m.dtype)
    s = bnp.sum(bnp.exp(v - shift), axis=0)
    return bnp.log(s + empty.astype(m.dtype)) + np.where(empty, -np.inf, m).astype(m.dtype)


def ctc_loss(log_probs: ArrayLike | Tensor, targets: ArrayLike | Tensor, input_lengths: ArrayLike | Tensor,
             target_lengths: ArrayLike | Tensor, blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Any:
    """The connectionist temporal classification loss, ``torch.nn.functional.ctc_loss``.

    The negative log-likelihood of each target sequence, summed over every alignment of it with the
    input frames (repeats collapsed, ``blank`` between labels). It is the forward (alpha) recursion of
    Graves et al. (2006) in log space over the extended label sequence ``blank, l1, blank, l2, ...,
    blank``: vectorised over the batch and the sequence, looping over time, written with
    ``backchain.numpy`` so the gradient (of any order) comes from the recorded operations.

    Parameters
    ----------
    log_probs : array or Tensor, shape (T, N, C) or (T, C)
        Log-probabilities of the ``C`` classes at each of ``T`` frames (e.g. ``log_softmax(x, 2)``).
    targets : int array, shape (N, S) padded, or 1-D of length ``sum(target_lengths)`` concatenated
        Label sequences; labels lie in ``[0, C)`` and are not ``blank``.
    input_lengths, target_lengths : ints, shape (N,) (or scalars when unbatched)
        How many frames of each input, and labels of each target, count.
    blank : int
        The blank class (default 0).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` divides each loss by its target length (at least 1), then averages over the batch.
    zero_infinity : bool
        Give impossible alignments (an input too short for its target) a loss of 0 instead of inf.

    Returns
    -------
    Tensor or array
        The reduced loss, or ``(N,)`` losses with ``reduction="none"``.

    Notes
    -----
    An impossible alignment has loss inf and gradient 0 (PyTorch's gradient is NaN there unless
    ``zero_infinity=True``). The gradient is the derivative with respect to ``log_probs`` itself:
    PyTorch's adds ``exp(log_probs)``, a term that cancels when ``log_probs`` come from
    ``log_softmax`` (its gradients with respect to the logits equal backchain's).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> import backchain.nn.functional as F
    >>> lp = np.log(np.full((3, 1, 2), 0.5))          # 3 frames, 2 classes, uniform
    >>> round(float(F.ctc_loss(lp, np.array([[1]]), [3], [1], reduction="sum")), 6)  # 6 of 8 paths give "1"
    0.287682
    """
    op = "ctc_loss"
    shape = _shape(log_probs)
    unbatched = len(shape) == 2
    if unbatched:
        log_probs = bnp.expand_dims(log_probs, 1)
        shape = _shape(log_probs)
    if len(shape) != 3:
        raise ValueError(f"{op}: log_probs must be (T, N, C) or (T, C), got shape {shape}")
    _check_float(log_probs, op, "log_probs")
    T, n, c = shape
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if not 0 <= blank < c:
        raise ValueError(f"{op}: blank={blank} must be a class index in [0, {c})")
    il = _lengths(input_lengths, n, "input_lengths")
    tl = _lengths(target_lengths, n, "target_lengths")
    if unbatched and np.ndim(_data(targets)) == 1:
        targets = np.asarray(_data(targets))[None]
    if il.size and (il.min() < 0 or il.max() > T):
        raise ValueError(f"{op}: input_lengths {il.tolist()} must lie in [0, {T}] (log_probs of shape {shape})")
    if tl.size and tl.min() < 0:
        raise ValueError(f"{op}: target_lengths {tl.tolist()} must be non-negative")
    tg = _ctc_targets(targets, tl, n, op)
    used = np.arange(tg.shape[1]) < tl[:, None]
    if used.any() and (tg[used].min() < 0 or tg[used].max() >= c):
        raise ValueError(f"{op}: target labels must lie in [0, {c}) for log_probs with {c} classes, got values in "
                         f"[{tg[used].min()}, {tg[used].max()}]")
    tg = np.where(used, tg, blank)   # padding past each target's length may hold anything
    dtype = _dtype(log_probs)
    neg_inf = np.array(-np.inf, dtype=dtype)
    # The extended sequence blank, l1, blank, ..., lS, blank: (N, L); a label may be reached from two
    # positions back unless it is blank or repeats the label before it.
    L = 2 * tg.shape[1] + 1
    ext = np.full((n, L), blank, dtype=np.int64)
    ext[:, 1::2] = tg
    skip = np.zeros((n, L), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    lpe = log_probs[:, np.arange(n)[:, None], ext]                       # (T, N, L)
    # Each step stacks alpha at s, s - 1 and s - 2 for every position s, read from alpha padded with two
    # -inf columns on the left: (3, N, L); a step of two that is not allowed reads -inf.
    pad = np.full((n, 2), -np.inf, dtype=dtype)
    no_skip = np.where(skip, 0, -np.inf).astype(dtype)
    rows = np.arange(n)
    alpha = bnp.where(np.arange(L) < 2, lpe[0], neg_inf) if T else bnp.zeros((n, L), dtype=dtype) + neg_inf
    for t in range(1, T):
        padded = bnp.concatenate([pad, alpha], axis=1)
        prev = bnp.stack([alpha, padded[:, 1:-1], padded[:, :-2] + no_skip])
        new = _logsumexp_first(prev) + lpe[t]
        active = t < il
        alpha = new if active.all() else bnp.where(active[:, None], new, alpha)   # past its input: kept
    last = alpha[rows, 2 * tl]
    before = alpha[rows, np.maximum(2 * tl - 1, 0)] + np.where(tl > 0, 0, -np.inf).astype(dtype)
    loss = -_logsumexp_first(bnp.stack([last, before]))
    zero = np.zeros(n, dtype=dtype)
    if (il == 0).any():   # no frame: only the empty target is possible, with probability 1
        loss = bnp.where(il == 0, np.where(tl == 0, zero, -neg_inf), loss)
    if zero_infinity:
        loss = bnp.where(np.isinf(_data(loss)), zero, loss)
    if reduction == "none":
        return loss[0] if unbatched else loss
    if reduction == "sum":
        return bnp.sum(loss)
    return bnp.mean(loss / np.maximum(tl, 1).astype(dtype))


__all__ += ["ctc_loss"]


# -- fractional max pooling ---------------------------------------------------------------------

def _fractional_starts(sample, n, out, k):
    """PyTorch's pseudo-random window starts along one axis, for one uniform ``sample`` in [0, 1) per plane:
    ``alpha = (n - k) / (out - 1)``, start ``i`` is ``int((i + u) alpha) - int(u alpha)``, the last window
    ends at the input's end. Computed in the samples' dtype, as PyTorch, so that the starts are its own."""
    dt = sample.dtype.type
    starts = np.empty(sample.shape + (out,), dtype=np.int64)
    if out > 1:
        alpha = dt(n - k) / dt(out - 1)
        i = np.arange(out - 1).astype(sample.dtype)
        starts[..., :-1] = (((i + sample[..., None]) * alpha).astype(np.int64)
                            - (sample * alpha).astype(np.int64)[..., None])
    starts[..., -1] = n - k
    return starts


def _fractional_max_pool(op, nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples,
                         ties):
    from .._rules.conv import _tuple
    from .._rules.pool import _batched, _chosen, _ties_mode, window_max
    from .._rules.sampling import take_flat
    ties = _ties_mode(ties)
    if np.ndim(_data(input)) not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: input must be (N, C, *spatial) with {nd} spatial dims, or unbatched (C, *spatial), "
                         f"got shape {_shape(input)}")
    _check_float(input, op)
    input, unbatched = _batched(op, input, nd)
    shape = _shape(input)
    n, c, space = shape[0], shape[1], shape[2:]
    kernel = _tuple(kernel_size, nd, "kernel_size", op)
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
        ratio = tuple(_data(output_ratio)) if np.ndim(_data(output_ratio)) else (float(output_ratio),) * nd
        if len(ratio) != nd:
            raise ValueError(f"{op}: output_ratio must be a number or {nd} numbers, got {output_ratio}")
        output_size = tuple(int(s * r) for s, r in zip(space, ratio))
    out = _tuple(output_size, nd, "output_size", op)
    if min(kernel) < 1 or min(out) < 1:
        raise ValueError(f"{op}: kernel_size {kernel} and output_size {out} must be positive")
    for d, (o, k, s) in enumerate(zip(out, kernel, space)):
        if o + k - 1 > s:
            raise ValueError(f"{op}: output_size {out} with kernel_size {kernel} needs at least output + kernel - 1 "
                             f"= {o + k - 1} inputs along spatial dimension {d}, but the input's spatial shape is "
                             f"{space}")
    dtype = _dtype(input)
    if _random_samples is None:
        draw_as = dtype if dtype in (np.float32, np.float64) else np.float64
        samples = _gen(None).random((n, c, nd), dtype=draw_as).astype(dtype)
    else:
        samples = np.asarray(_data(_random_samples))
        if samples.shape != (n, c, nd) or samples.dtype != dtype:
            raise ValueError(f"{op}: _random_samples must be {dtype} of shape (N, C, {nd}) = {(n, c, nd)}, one "
                             f"uniform sample in [0, 1) per plane and spatial dimension; got {samples.dtype} of "
                             f"shape {samples.shape}")
    # PyTorch's order of the samples: (W, H) in 2-D, (T, H, W) in 3-D
    order = (1, 0) if nd == 2 else tuple(range(nd))
    starts = [_fractional_starts(samples[..., order[d]], space[d], out[d], kernel[d]) for d in range(nd)]
    # flat index into each (n, c) plane of every window entry, laid out (K, N, C, *out) as window_max wants
    strides = [int(np.prod(space[d + 1:])) for d in range(nd)]
    flat = np.zeros((1, n, c) + out, dtype=np.int64)
    for d in range(nd):
        offsets = np.arange(kernel[d])
        pos = starts[d].reshape((n, c) + (1,) * d + (out[d],) + (1,) * (nd - 1 - d))[None] + offsets.reshape(
            (-1,) + (1,) * (2 + nd))
        flat = (flat[:, None] + (pos * strides[d])[None]).reshape((-1, n, c) + out)
    v = take_flat(bnp.reshape(input, (n, c, -1)), index=np.moveaxis(flat, 0, 2).reshape(n, c, -1), fill=0)
    v = bnp.moveaxis(bnp.reshape(v, (n, c, flat.shape[0]) + out), 2, 0)
    y = window_max(v, ties=ties)
    if unbatched:
        y = y[0]
    if not return_indices:
        return y
    idx = np.take_along_axis(flat, _chosen(np.asarray(_data(v)), ties)[None], axis=0)[0]
    return y, (idx[0] if unbatched else idx)


def fractional_max_pool2d(input: ArrayLike | Tensor, kernel_size: int | Sequence[int],
                          output_size: int | Sequence[int] | None = None,
                          output_ratio: float | Sequence[float] | None = None, return_indices: bool = False,
                          _random_samples: ArrayLike | Tensor | None = None, *, ties: str | None = None) -> Any:
    """Fractional max pooling (Graham, 2014), ``torch.nn.functional.fractional_max_pool2d``.

    Windows of ``kernel_size`` start at pseudo-random positions, one sequence per (sample, channel,
    axis) drawn from one uniform number, so that ``output_size`` (or ``input size * output_ratio``)
    windows cover the input; the sequence is PyTorch's, so with the same ``_random_samples`` the
    output and indices equal PyTorch's exactly.

    Parameters
    ----------
    input : array or Tensor, shape (N, C, H, W) or (C, H, W)
    kernel_size : int or (int, int)
    output_size : int or (int, int), optional
        ``(H_out, W_out)``; ``H_out + kernel - 1`` must not exceed ``H`` (same for W).
    output_ratio : float or (float, float), optional
        Used when ``output_size`` is None: ``H_out = int(H * ratio)``.
    return_indices : bool
        Also return the flat index of each maximum in its ``H * W`` plane.
    _random_samples : array, shape (N, C, 2), the input's dtype, optional
        The uniform samples in [0, 1), ``[..., 0]`` for the width and ``[..., 1]`` for the height (PyTorch's
        order); drawn from backchain's generator (``bc.manual_seed``) when None.
    ties : {"split", "first", "last"}, optional
        How tied maxima share a window's gradient; default: the ``backchain.kinks`` policy, else "split"
        (``backchain.torch`` uses "first", PyTorch's). Overlapping windows add up.

    Examples
    --------
    >>> import numpy as np
    >>> import backchain.nn.functional as F
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=np.full((1, 1, 2), 0.5))
    array([[[[ 6.,  8.,  9.],
             [16., 18., 19.],
             [21., 23., 24.]]]])
    """
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples, ties)


def fractional_max_pool3d(input: ArrayLike | Tensor, kernel_size: int | Sequence[int],
                          output_size: int | Sequence[int] | None = None,
                          output_ratio: float | Sequence[float] | None = None, return_indices: bool = False,
                          _random_samples: ArrayLike | Tensor | None = None, *, ties: str | None = None) -> Any:
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W) input, ``torch.nn.functional.fractional_max_pool3d``.

    As :func:`fractional_max_pool2d`; ``_random_samples`` is (N, C, 3) in PyTorch's order (T, H, W),
    indices are flat in the ``T * H * W`` volume.

    Examples
    --------
    >>> import numpy as np
    >>> import backchain.nn.functional as F
    >>> x = np.arange(27.0).reshape(1, 1, 3, 3, 3)
    >>> F.fractional_max_pool3d(x, 2, output_size=2, _random_samples=np.full((1, 1, 3), 0.5)).ravel()
    array([13., 14., 16., 17., 22., 23., 25., 26.])
    """
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples, ties)


__all__ += ["fractional_max_pool2d", "fractional_max_pool3d"]
