"""``torch.nn.functional``: backchain's functional API (already PyTorch's names and ``dim=``
arguments) with PyTorch's dtype check in ``linear``, the legacy ``size_average``/``reduce``
arguments of the losses, channel dropout, and the few names PyTorch programs use that
``backchain.nn.functional`` spells differently.
"""
import numpy as _np

import backchain.numpy as _bnp
from backchain.nn.functional import *  # noqa: F401,F403
from backchain.nn import functional as _F
from ..._core.tensor import Tensor as _Base
from .._tensor import _tname, named as _named

_DTYPE_LAYERS_MM = ("Linear", "Bilinear", "linear", "bilinear")


def _dtype_error(layer, input_dtype, weight_dtype, shape):
    """PyTorch's error for a floating-point input whose dtype is not the weights'."""
    a, b = _tname(input_dtype), _tname(weight_dtype)
    if layer in _DTYPE_LAYERS_MM:
        head = f"mat1 and mat2 must have the same dtype, but got {a.capitalize()} and {b.capitalize()}"
    else:
        head = f"Input type ({a}) and weight type ({b}) should be the same"
    return RuntimeError(f"{head} ({layer}: input {_np.dtype(input_dtype)} of shape {list(shape)}, weight "
                        f"{_np.dtype(weight_dtype)}; cast the input with .to(dtype) or the model with "
                        ".double()/.float())")


def _check_dtypes(what, input, weight):
    xd = input._data.dtype if isinstance(input, _Base) else getattr(input, "dtype", None)
    wd = weight._data.dtype if isinstance(weight, _Base) else getattr(weight, "dtype", None)
    if xd is not None and wd is not None and xd.kind == "f" and wd.kind == "f" and xd != wd:
        raise _dtype_error(what, xd, wd, _np.shape(getattr(input, "_data", input)))


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; a float input of another dtype than the weight raises, as in PyTorch."""
    _check_dtypes("linear", input, weight)
    return _F.linear(input, weight, bias)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _check_dtypes("conv1d", input, weight)
    return _F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _check_dtypes("conv2d", input, weight)
    return _F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def _reduction(size_average, reduce, reduction):
    """PyTorch's mapping of the legacy ``size_average``/``reduce`` arguments to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at the class indices ``target``."""
    return _named("nll_loss", _F.nll_loss(input, _data(target), weight, ignore_index,
                                          _reduction(size_average, reduce, reduction)))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` against class indices or probabilities ``target``."""
    out = _F.cross_entropy(input, target, weight, size_average, ignore_index, reduce, reduction, label_smoothing)
    return _named("nll_loss", out) if _is_index(target) else out


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(y log p + (1 - y) log(1 - p))``, reduced (each log clamped at -100, as PyTorch)."""
    return _named("binary_cross_entropy", _F.binary_cross_entropy(input, target, weight, size_average, reduce,
                                                                  reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably, reduced."""
    out = _F.binary_cross_entropy_with_logits(input, target, weight, size_average, reduce, reduction, pos_weight)
    return _named("binary_cross_entropy_with_logits", out)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    return _named("smooth_l1_loss", _F.smooth_l1_loss(input, target, reduction=_reduction(size_average, reduce,
                                                                                             reduction), beta=beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    return _named("huber_loss", _F.huber_loss(input, target, reduction=reduction, delta=delta))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _named("mse_loss", _F.mse_loss(input, target, reduction=_reduction(size_average, reduce, reduction)))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    out = _F.l1_loss(input, target, reduction=reduction)
    return _named("mean", out) if reduction == "mean" else out


def _data(t):
    return t._data if isinstance(t, _Base) else t


def _is_index(t):
    d = getattr(t, "dtype", None)  # (a batched target inside vmap has a dtype, but no array to read)
    return _np.dtype(d if d is not None else _np.asarray(_data(t)).dtype).kind in "iu"


def _channel_dropout(input, p, training, inplace, what, spatial):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{what}: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    shape = _np.shape(_data(input))
    if len(shape) not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{what}: Expected {spatial + 1}D or {spatial + 2}D input, but received a "
                           f"{len(shape)}D input of shape {list(shape)}")
    from ... import random as _random
    mask_shape = shape[:len(shape) - spatial] + (1,) * spatial
    keep = _random.default_generator().random(mask_shape) >= p
    return input * (keep / (1.0 - p)).astype(_np.asarray(_data(input)).dtype)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, "dropout2d", 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, "dropout3d", 3)


def tanh(input):
    return _bnp.tanh(input)


def sigmoid(input):
    return _F.sigmoid(input)


# Ties in a pooling window: PyTorch gives the whole gradient to the first maximum (backchain's default
# splits it evenly, the minimum-norm choice); the torch namespace follows PyTorch.

def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_torch_indices(_F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, ties="first"), return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_torch_indices(_F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, ties="first"), return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_torch_indices(_F.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, ties="first"), return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _with_torch_indices(_F.adaptive_max_pool1d(input, output_size, return_indices, ties="first"), return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _with_torch_indices(_F.adaptive_max_pool2d(input, output_size, return_indices, ties="first"), return_indices)


def _reduce(loss, reduction, what):
    if reduction == "mean":
        return _bnp.mean(loss)
    if reduction == "sum":
        return _bnp.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{what}: {reduction!r} is not a valid value for reduction (expected 'mean', 'sum' or 'none')")


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return _bnp.where(_bnp.abs(input) > lambd, input, 0.0 * input)


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    return _bnp.where(input > lambd, input - lambd, _bnp.where(input < -lambd, input + lambd, 0.0 * input))


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _bnp.where(input > threshold, input, _np.asarray(value, dtype=_np.asarray(_data(input)).dtype))


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``, reduced."""
    loss = _F.relu(-target * (input1 - input2) + margin)
    return _reduce(loss, _reduction(size_average, reduce, reduction), "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where ``target == 1``, ``max(0, margin - x)`` where ``target == -1``, reduced."""
    t = _np.asarray(_data(target))
    loss = _bnp.where(t == 1, input, 0.0 * input) + _bnp.where(t == -1, _F.relu(margin - input), 0.0 * input)
    return _reduce(loss, _reduction(size_average, reduce, reduction), "hinge_embedding_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos`` for pairs with target 1, ``max(0, cos - margin)`` for target -1, reduced."""
    eps = 1e-12
    dot = _bnp.sum(input1 * input2, axis=-1)
    cos = dot / _bnp.sqrt((_bnp.sum(input1 * input1, axis=-1) + eps) * (_bnp.sum(input2 * input2, axis=-1) + eps))
    t = _np.asarray(_data(target))
    loss = _bnp.where(t == 1, 1 - cos, 0.0 * cos) + _bnp.where(t == -1, _F.relu(cos - margin), 0.0 * cos)
    return _reduce(loss, _reduction(size_average, reduce, reduction), "cosine_embedding_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """The negative log-likelihood of ``target`` under Poisson rates ``exp(input)`` (or ``input``)."""
    loss = _bnp.exp(input) - target * input if log_input else input - target * _bnp.log(input + eps)
    if full:
        t = _np.asarray(_data(target))
        stirling = _np.where(t > 1, t * _np.log(_np.where(t > 1, t, 1)) - t + 0.5 * _np.log(
            2 * _np.pi * _np.where(t > 1, t, 1)), 0.0).astype(_np.asarray(_data(input)).dtype)
        loss = loss + stirling
    return _reduce(loss, _reduction(size_average, reduce, reduction), "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps))`` (+ the constant with ``full``)."""
    # PyTorch clamps var under no_grad: the value is max(var, eps), the gradient flows to var unchanged
    vd = _np.asarray(_data(var))
    v = var + (_np.maximum(vd, eps) - vd).astype(vd.dtype)
    loss = 0.5 * (_bnp.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + float(0.5 * _np.log(2 * _np.pi))
    return _reduce(loss, reduction, "gaussian_nll_loss")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the pairwise p-distance."""
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = _bnp.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    loss = _F.relu(d_ap - d_an + margin)
    return _reduce(loss, _reduction(size_average, reduce, reduction), "triplet_margin_loss")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial dimensions (``group_norm`` with one group per
    channel); running statistics are not supported yet.

    >>> import backchain.torch as torch
    >>> torch.nn.functional.instance_norm(torch.tensor([[[1.0, 3.0], [0.0, 4.0]]]))
    tensor([[[-1.0000,  1.0000],
             [-1.0000,  1.0000]]])
    """
    if running_mean is not None or running_var is not None or not use_input_stats:
        raise NotImplementedError("instance_norm with running statistics is not supported by backchain.torch yet; "
                                  "use track_running_stats=False")
    return _F.group_norm(input, _np.shape(_data(input))[1], weight, bias, eps)


def _pair(v):
    return (int(v), int(v)) if isinstance(v, (int, _np.integer)) else tuple(int(u) for u in v)


def _patch_index(size, kernel_size, dilation, padding, stride):
    """Row and column indices (into the padded plane) of every patch element, shaped for one gather."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(v) for v in (kernel_size, dilation, padding, stride))
    h, w = size
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    rows = (_np.arange(kh) * dh)[:, None] + (_np.arange(ho) * sh)[None, :]
    cols = (_np.arange(kw) * dw)[:, None] + (_np.arange(wo) * sw)[None, :]
    return rows[:, None, :, None], cols[None, :, None, :], (ph, pw), (kh, kw), ho * wo


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding patches of (N, C, H, W) input as columns: (N, C * kh * kw, L) (im2col).

    >>> import backchain.torch as torch
    >>> torch.nn.functional.unfold(torch.arange(9.0).view(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    n, c, h, w = _np.shape(_data(input))
    rows, cols, (ph, pw), (kh, kw), length = _patch_index((h, w), kernel_size, dilation, padding, stride)
    x = _bnp.pad(input, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else input
    patches = x[:, :, rows, cols]
    return _bnp.reshape(patches, (n, c * kh * kw, length))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns of patches (N, C * kh * kw, L) back into (N, C, H, W) (col2im; the transpose of
    :func:`unfold`).

    >>> import backchain.torch as torch
    >>> torch.nn.functional.fold(torch.ones(1, 4, 4), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    from ..._rules.indexing import _scatter
    h, w = _pair(output_size)
    n, ckk, length = _np.shape(_data(input))
    rows, cols, (ph, pw), (kh, kw), expected = _patch_index((h, w), kernel_size, dilation, padding, stride)
    if ckk % (kh * kw) or length != expected:
        raise RuntimeError(f"fold: input of shape {[n, ckk, length]} does not hold patches of {kh}x{kw} over an "
                           f"output of {h}x{w} (expected {expected} blocks)")
    c = ckk // (kh * kw)
    patches = _bnp.reshape(input, (n, c, kh, kw) + (rows.shape[2], cols.shape[3]))
    out = _scatter(patches, shape=(n, c, h + 2 * ph, w + 2 * pw), index=(slice(None), slice(None), rows, cols))
    return out[:, :, ph:ph + h, pw:pw + w] if ph or pw else out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The deprecated name of :func:`interpolate`.

    >>> import backchain.torch as torch
    >>> torch.nn.functional.upsample(torch.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    return _F.interpolate(input, size, scale_factor, mode, align_corners)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-mean_c(y log sigmoid(x) + (1 - y) log sigmoid(-x))`` per sample, reduced.

    >>> import backchain.torch as torch
    >>> x = torch.tensor([[0.2, -1.0, 0.5], [1.5, 0.0, -0.3]])
    >>> torch.nn.functional.multilabel_soft_margin_loss(x, torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    tensor(0.7224)
    """
    loss = -(target * _F.logsigmoid(input) + (1 - target) * _F.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = _bnp.mean(loss, axis=-1)
    return _reduce(loss, _reduction(size_average, reduce, reduction), "multilabel_soft_margin_loss")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """The multi-class hinge loss ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per sample, reduced.

    >>> import backchain.torch as torch
    >>> x = torch.tensor([[0.2, -1.0, 0.5], [1.5, 0.0, -0.3]])
    >>> torch.nn.functional.multi_margin_loss(x, torch.tensor([2, 0]))
    tensor(0.1167)
    """
    t = _np.asarray(_data(target), dtype=_np.int64)
    c = _np.shape(_data(input))[-1]
    picked = _bnp.take_along_axis(input, t[:, None], axis=-1)
    hinge = _F.relu(margin - picked + input)
    if p == 2:
        hinge = hinge * hinge
    elif p != 1:
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    if weight is not None:
        hinge = hinge * _np.asarray(_data(weight))[t][:, None]
    others = (_np.arange(c)[None, :] != t[:, None]).astype(_np.asarray(_data(input)).dtype)
    loss = _bnp.sum(hinge * others, axis=-1) / c
    return _reduce(loss, _reduction(size_average, reduce, reduction), "multi_margin_loss")


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each element by ``(k + alpha / size * sum of squares over size neighbouring channels) ** beta``.

    >>> import backchain.torch as torch
    >>> torch.nn.functional.local_response_norm(torch.arange(8.0).view(1, 4, 2), 3)
    tensor([[[0.0000, 0.9998],
             [1.9990, 2.9974],
             [3.9944, 4.9897],
             [5.9922, 6.9871]]])
    """
    shape = _np.shape(_data(input))
    sq = input * input
    padded = _bnp.pad(sq, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (len(shape) - 2))
    window = _bnp.stack([padded[:, i:i + shape[1]] for i in range(size)], axis=0)
    div = (k + alpha * _bnp.mean(window, axis=0)) ** beta
    return input / div


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalising mean and variance (identity in eval).

    >>> import backchain.torch as torch
    >>> torch.nn.functional.alpha_dropout(torch.ones(3), 0.5, training=False)
    tensor([1., 1., 1.])
    """
    if not training or p == 0.0:
        return input
    from ... import random as _random
    alpha_p = -1.7580993408473766  # -scale * alpha of SELU
    keep = _random.default_generator().random(_np.shape(_data(input))) >= p
    a = (p * alpha_p ** 2 * (1 - p) + (1 - p)) ** -0.5
    b = -a * alpha_p * p
    dt = _np.asarray(_data(input)).dtype
    return _bnp.where(keep, input, _np.asarray(alpha_p, dtype=dt)) * dt.type(a) + dt.type(b)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax distribution (straight-through one-hot with ``hard=True``); the noise
    comes from backchain's generator.

    >>> import backchain.torch as torch
    >>> torch.nn.functional.gumbel_softmax(torch.zeros(2, 3), hard=True).sum(1)
    tensor([1., 1.])
    """
    from ... import random as _random
    dt = _np.asarray(_data(logits)).dtype
    gumbels = -_np.log(_random.default_generator().exponential(size=_np.shape(_data(logits)))).astype(dt)
    y = _F.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    idx = _np.argmax(_np.asarray(_data(y)), axis=dim)
    one_hot = (_np.arange(_np.shape(_data(y))[dim]) == _np.expand_dims(idx, -1)).astype(dt)
    if dim not in (-1, len(_np.shape(_data(y))) - 1):
        one_hot = _np.moveaxis(one_hot, -1, dim)
    return y + (one_hot - _np.asarray(_data(y)))  # the one-hot value, the soft sample's gradient


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embeddings of each bag: bags are the rows of a 2-D ``input``, or the
    segments of a 1-D ``input`` that start at ``offsets``.

    >>> import backchain.torch as torch
    >>> w = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    >>> torch.nn.functional.embedding_bag(torch.tensor([0, 2, 1]), w, torch.tensor([0, 2]), mode="sum")
    tensor([[3., 2.],
            [0., 1.]])
    """
    from ..._rules.indexing import _scatter
    idx = _np.asarray(_data(input), dtype=_np.int64)
    if idx.ndim == 2:
        bags, n = _np.repeat(_np.arange(idx.shape[0]), idx.shape[1]), idx.shape[0]
        idx = idx.reshape(-1)
    else:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be given for a 1-D input")
        starts = _np.asarray(_data(offsets), dtype=_np.int64)
        if include_last_offset:
            starts = starts[:-1]
        n = len(starts)
        bags = _np.searchsorted(starts, _np.arange(len(idx)), side="right") - 1
    keep = _np.ones(len(idx), dtype=bool) if padding_idx is None else idx != padding_idx
    rows = _F.embedding(idx[keep], weight)
    bags = bags[keep]
    dt = _np.asarray(_data(weight)).dtype
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError("embedding_bag: per_sample_weights is only supported for mode='sum'")
        rows = rows * _bnp.reshape(per_sample_weights, (-1,))[_np.nonzero(keep)[0]][:, None]
    if mode in ("sum", "mean"):
        total = _scatter(rows, shape=(n, _np.shape(_data(weight))[1]), index=bags)
        if mode == "sum":
            return total
        counts = _np.maximum(_np.bincount(bags, minlength=n), 1).astype(dt)
        return total / counts[:, None]
    if mode == "max":
        order = _np.argsort(bags, kind="stable")
        out = []
        for b in range(n):
            members = order[bags[order] == b]
            out.append(_bnp.amax(rows[members], axis=0) if len(members) else
                       _bnp.zeros(_np.shape(_data(weight))[1], dtype=dt))
        return _bnp.stack(out)
    raise ValueError(f"embedding_bag: mode has to be 'sum', 'mean' or 'max', got {mode!r}")


def adaptive_avg_pool3d(input, output_size):
    """Average (N, C, D, H, W) input over windows that split D, H, W into ``output_size`` parts (PyTorch's
    window bounds: floor(i * n / out) to ceil((i + 1) * n / out)).

    >>> import backchain.torch as torch
    >>> torch.nn.functional.adaptive_avg_pool3d(torch.arange(8.0).view(1, 1, 2, 2, 2), 1)
    tensor([[[[[3.5000]]]]])
    """
    shape = _np.shape(_data(input))
    sizes = (output_size,) * 3 if isinstance(output_size, int) else tuple(
        shape[-3 + k] if s is None else s for k, s in enumerate(output_size))
    bounds = [[(i * n // o, -(-(i + 1) * n // o)) for i in range(o)] for n, o in zip(shape[-3:], sizes)]
    cells = [_bnp.mean(input[..., d0:d1, h0:h1, w0:w1], axis=(-3, -2, -1))
             for d0, d1 in bounds[0] for h0, h1 in bounds[1] for w0, w1 in bounds[2]]
    return _bnp.reshape(_bnp.stack(cells, axis=-1), shape[:-3] + sizes)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum of x ** p over each window) ** (1 / p)`` (PyTorch's: a window sum through ``avg_pool2d``).

    >>> import backchain.torch as torch
    >>> torch.nn.functional.lp_pool2d(torch.tensor([[[[3.0, 4.0], [0.0, 0.0]]]]), 2, 2)
    tensor([[[[5.]]]])
    """
    kh, kw = _pair(kernel_size)
    out = _F.avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return (_bnp.sign(out) * _F.relu(_bnp.abs(out)) * (kh * kw)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The 1-d :func:`lp_pool2d`.

    >>> import backchain.torch as torch
    >>> torch.nn.functional.lp_pool1d(torch.tensor([[[3.0, 4.0]]]), 2, 2)
    tensor([[[5.]]])
    """
    out = _F.avg_pool1d(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    return (_bnp.sign(out) * _F.relu(_bnp.abs(out)) * kernel_size) ** (1.0 / norm_type)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input, dim)``."""
    return _F.softmax(-input, dim, dtype=dtype)


def glu(input, dim=-1):
    """The gated linear unit: the first half of ``input`` along ``dim`` times the sigmoid of the second."""
    n = _np.shape(_data(input))[dim]
    if n % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = _bnp.split(input, 2, axis=dim)
    return a * _F.sigmoid(b)


def tanhshrink(input):
    return input - _bnp.tanh(input)


def relu_(input):
    """``relu`` in place (``input.copy_(relu(input))``)."""
    return input.copy_(_F.relu(input))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of ``x1 - x2 + eps`` over the last dimension (PyTorch's formula)."""
    return _bnp.linalg.norm(x1 - x2 + eps, ord=p, axis=-1, keepdims=keepdim)


from .._examples import attach as _attach, F_EXAMPLES as _F_EXAMPLES  # noqa: E402

_attach(globals(), _F_EXAMPLES, "torch.nn.functional")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss (``backchain.nn.functional.ctc_loss``), its node under PyTorch's name
    (``CtcLossBackward0`` unreduced, ``MeanBackward0`` for the mean).

    >>> import backchain.torch as torch
    >>> log_probs = torch.full((3, 1, 2), 0.5).log().requires_grad_()
    >>> torch.nn.functional.ctc_loss(log_probs, torch.tensor([[1]]), [3], [1], reduction="none")
    tensor([0.2877], grad_fn=<CtcLossBackward0>)
    """
    out = _F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    if reduction == "none":
        return _named("ctc_loss", out)
    return _named("mean", out) if reduction == "mean" else out


def _with_torch_indices(out, return_indices):
    if not return_indices:
        return out
    from .._tensor import as_torch
    return out[0], as_torch(out[1])


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling with PyTorch's windows; a tied window's gradient goes to its first maximum,
    indices are an int64 torch Tensor.

    >>> import backchain.torch as torch
    >>> x = torch.arange(25.0).view(1, 1, 5, 5)
    >>> y, i = torch.nn.functional.fractional_max_pool2d(x, 2, output_size=2, return_indices=True,
    ...                                                  _random_samples=torch.full((1, 1, 2), 0.5))
    >>> y, i
    (tensor([[[[ 6.,  9.],
              [21., 24.]]]]), tensor([[[[ 6,  9],
              [21, 24]]]]))
    """
    return _with_torch_indices(_F.fractional_max_pool2d(input, kernel_size, output_size, output_ratio, return_indices,
                                                        _random_samples, ties="first"), return_indices)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling of (N, C, T, H, W) with PyTorch's windows and tie rule.

    >>> import backchain.torch as torch
    >>> torch.nn.functional.fractional_max_pool3d(torch.zeros(1, 2, 5, 6, 7), 2, output_ratio=(0.5, 0.5, 0.5)).shape
    torch.Size([1, 2, 2, 3, 3])
    """
    return _with_torch_indices(_F.fractional_max_pool3d(input, kernel_size, output_size, output_ratio, return_indices,
                                                        _random_samples, ties="first"), return_indices)
