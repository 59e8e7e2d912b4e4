"""``torch.distributions``: ``Normal``, ``Categorical``, ``Bernoulli``, ``Uniform`` and ``kl_divergence``
(Normal against Normal), differentiable in their parameters; samples come from backchain's generator
(``torch.manual_seed``), so they are not PyTorch's numbers.

>>> import backchain.torch as torch
>>> torch.distributions.Normal(torch.tensor(0.0), torch.tensor(1.0)).log_prob(torch.tensor(0.5))
tensor(-1.0439)
"""
import math

import numpy as np

import backchain.numpy as bnp
from .._core.tensor import Tensor as _Base, no_grad
from . import _ops
from ._tensor import as_torch, default_float, leaf, _gen

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "kl_divergence"]


def _param(v):
    return v if isinstance(v, _Base) else as_torch(np.asarray(v, dtype=default_float()))


def _shape(sample_shape, batch):
    return tuple(sample_shape) + tuple(batch)


class Distribution:
    """Base class: ``sample``, ``rsample``, ``log_prob``, ``entropy``, ``mean``, ``variance``.

    >>> import backchain.torch as torch
    >>> isinstance(torch.distributions.Normal(0.0, 1.0), torch.distributions.Distribution)
    True
    """

    has_rsample = False

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape).detach() if self.has_rsample else self._sample(sample_shape)

    @property
    def stddev(self):
        return bnp.sqrt(self.variance)


class Normal(Distribution):
    """The normal distribution ``N(loc, scale**2)``; ``rsample`` is reparameterised (``loc + scale * eps``).

    >>> import backchain.torch as torch
    >>> d = torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
    >>> d.log_prob(torch.tensor([0.0, 0.0])), d.entropy()
    (tensor([-0.9189, -1.7371]), tensor([1.4189, 2.1121]))
    """

    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = _param(loc), _param(scale)
        self.batch_shape = np.broadcast_shapes(self.loc.shape, self.scale.shape)

    mean = property(lambda self: self.loc + 0 * self.scale)
    variance = property(lambda self: self.scale ** 2 + 0 * self.loc)

    def rsample(self, sample_shape=()):
        shape = _shape(sample_shape, self.batch_shape)
        eps = leaf(_gen(None).standard_normal(shape).astype(self.loc._data.dtype))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - bnp.log(self.scale) - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + bnp.log(self.scale)


class Uniform(Distribution):
    """The uniform distribution on ``[low, high)``.

    >>> import backchain.torch as torch
    >>> torch.distributions.Uniform(0.0, 4.0).log_prob(torch.tensor(1.0))
    tensor(-1.3863)
    """

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = _param(low), _param(high)
        self.batch_shape = np.broadcast_shapes(self.low.shape, self.high.shape)

    mean = property(lambda self: (self.high + self.low) / 2)
    variance = property(lambda self: (self.high - self.low) ** 2 / 12)

    def rsample(self, sample_shape=()):
        u = leaf(_gen(None).random(_shape(sample_shape, self.batch_shape)).astype(self.low._data.dtype))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        v = np.asarray(getattr(value, "_data", value))
        inside = (np.asarray(self.low._data) <= v) & (v < np.asarray(self.high._data))
        return bnp.where(inside, -bnp.log(self.high - self.low), -np.inf)

    def entropy(self):
        return bnp.log(self.high - self.low)


class Categorical(Distribution):
    """A categorical distribution over the last dimension of ``probs`` or ``logits``.

    >>> import backchain.torch as torch
    >>> d = torch.distributions.Categorical(logits=torch.tensor([0.0, 1.0, 2.0]))
    >>> d.log_prob(torch.tensor(2)), d.entropy()
    (tensor(-0.4076), tensor(0.8324))
    """

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give either probs or logits, not both")
        if logits is not None:
            logits = _param(logits)
            self.logits = logits - _ops.logsumexp(logits, -1, keepdim=True)
            self.probs = bnp.exp(self.logits)
        else:
            probs = _param(probs)
            self.probs = probs / bnp.sum(probs, axis=-1, keepdims=True)
            self.logits = bnp.log(self.probs)
        self.batch_shape = tuple(self.probs.shape[:-1])

    def _sample(self, sample_shape=()):
        p = np.asarray(self.probs._data, dtype=np.float64)
        flat = p.reshape(-1, p.shape[-1])
        n = int(np.prod(sample_shape)) if sample_shape else 1
        g = _gen(None)
        draws = np.stack([g.choice(flat.shape[1], n, p=row / row.sum()) for row in flat], axis=-1)
        return leaf(draws.reshape(_shape(sample_shape, self.batch_shape)).astype(np.int64))

    def log_prob(self, value):
        idx = np.asarray(getattr(value, "_data", value), dtype=np.int64)
        logits = bnp.broadcast_to(self.logits, idx.shape + (self.logits.shape[-1],))
        return bnp.squeeze(bnp.take_along_axis(logits, idx[..., None], axis=-1), -1)

    def entropy(self):
        return -bnp.sum(self.probs * self.logits, axis=-1)

    mean = property(lambda self: None)


class Bernoulli(Distribution):
    """A Bernoulli distribution with ``probs`` or ``logits``.

    >>> import backchain.torch as torch
    >>> torch.distributions.Bernoulli(probs=torch.tensor(0.25)).log_prob(torch.tensor(1.0))
    tensor(-1.3863)
    """

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: give either probs or logits, not both")
        if logits is not None:
            self.logits = _param(logits)
            self.probs = _ops.sigmoid(self.logits)
        else:
            self.probs = _param(probs)
            eps = float(np.finfo(self.probs._data.dtype).eps)
            p = _ops.clamp(self.probs, eps, 1 - eps)
            self.logits = bnp.log(p) - bnp.log1p(-p)
        self.batch_shape = tuple(self.probs.shape)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    def _sample(self, sample_shape=()):
        u = _gen(None).random(_shape(sample_shape, self.batch_shape))
        return leaf((u < np.asarray(self.probs._data)).astype(self.probs._data.dtype))

    def log_prob(self, value):
        from .nn import functional as F
        return -F.binary_cross_entropy_with_logits(self.logits, value + 0 * self.logits, reduction="none")

    def entropy(self):
        from .nn import functional as F
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")


def kl_divergence(p, q):
    """KL(p || q) of two Normals (elementwise).

    >>> import backchain.torch as torch
    >>> N = torch.distributions.Normal
    >>> torch.distributions.kl_divergence(N(0.0, 1.0), N(1.0, 2.0))
    tensor(0.4431)
    """
    if isinstance(p, Normal) and isinstance(q, Normal):
        var_ratio = (p.scale / q.scale) ** 2
        t1 = ((p.loc - q.loc) / q.scale) ** 2
        return 0.5 * (var_ratio + t1 - 1 - bnp.log(var_ratio))
    raise NotImplementedError(f"kl_divergence({type(p).__name__}, {type(q).__name__}) is not implemented in "
                              "backchain.torch yet (Normal against Normal is)")
