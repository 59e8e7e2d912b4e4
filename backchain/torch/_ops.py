"""PyTorch's top-level functions over ``backchain.numpy``: creation, random, math, reductions
(``dim=``/``keepdim=``), shapes and indexing. Each is also a Tensor method where PyTorch has one
(``_METHODS`` at the end): ``x.sum(1)`` is ``torch.sum(x, 1)``.
"""
import builtins
import math as _math

import numpy as np

import backchain as bc
import backchain.numpy as bnp
from .._core.tensor import Tensor as _Base, make_const
from .._rules.indexing import _scatter
from .._vmap.random import draw_shape as _draw_shape
from ._types import as_np_dtype, check_device, Size
from ._tensor import (Tensor, as_torch, default_float, MaxResult, MinResult, SortResult, TopkResult, AminmaxResult,
                      _return_type,
                      _promote, _matmul, _shape_args, _dims, _array, _gen, leaf, wrap_result, named)

_py_max, _py_min, _py_abs, _py_sum, _py_all, _py_any, _py_round = (
    builtins.max, builtins.min, builtins.abs, builtins.sum, builtins.all, builtins.any, builtins.round)


def _t(x):
    return x if isinstance(x, _Base) else as_torch(x)


def _const(a):
    if getattr(a, "_batched", False):  # inside torch.func.vmap: already a (batched) tensor
        return a
    return make_const(np.asarray(a), Tensor)


def _ax(dim, ndim):
    return dim % ndim if ndim else 0


_ModeResult = _return_type("mode", ["values", "indices"])


# -- creation --------------------------------------------------------------------------------

def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data`` (Python floats in the default dtype, ints int64)."""
    check_device(device, "tensor")
    if isinstance(data, _Base):
        data = data._data
    return leaf(_array(data, dtype, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing the memory of an ndarray or tensor when no cast is needed."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or as_np_dtype(dtype) == data._data.dtype):
        return data
    return as_torch(data._data if isinstance(data, _Base) else data, dtype)


def from_numpy(a):
    """A tensor sharing the memory of the ndarray ``a`` (its dtype kept)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(a).__name__})")
    return make_const(a, Tensor)


def _fill(value, size, dtype, device, requires_grad, what, like=None):
    check_device(device, what)
    d = as_np_dtype(dtype, default_float())
    if d is None:
        d = like._data.dtype if like is not None else (
            np.dtype(np.int64) if isinstance(value, (builtins.int, np.integer)) and not isinstance(value, bool)
            else np.dtype(np.bool_) if isinstance(value, (bool, np.bool_)) else default_float())
    shape = np.shape(like._data) if like is not None else _shape_args(size, what)
    return leaf(np.full(shape, value, dtype=d), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _fill(0, size, dtype or default_float(), device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _fill(1, size, dtype or default_float(), device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    return _fill(0, size, dtype or default_float(), device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _fill(fill_value, (size,), dtype, device, requires_grad, "full")


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _fill(0, None, dtype, device, requires_grad, "zeros_like", _t(input))


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _fill(1, None, dtype, device, requires_grad, "ones_like", _t(input))


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _fill(0, None, dtype, device, requires_grad, "empty_like", _t(input))


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _fill(fill_value, None, dtype, device, requires_grad, "full_like", _t(input))


def _number(v):
    return v.item() if isinstance(v, _Base) else v


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """``arange(end)`` or ``arange(start, end, step)``: int64 for integer arguments, else the default dtype."""
    check_device(device, "arange")
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    ints = _py_all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
    d = as_np_dtype(dtype, default_float()) or (np.dtype(np.int64) if ints else default_float())
    if d.kind == "f" and not ints:  # PyTorch counts in double, then casts
        n = builtins.int(_math.ceil((end - start) / step))
        a = (start + step * np.arange(n, dtype=np.float64)).astype(d)
    else:
        a = np.arange(start, end, step).astype(d)
    return leaf(a, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    check_device(device, "linspace")
    d = as_np_dtype(dtype, default_float()) or default_float()
    return leaf(np.linspace(_number(start), _number(end), steps).astype(d), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    d = as_np_dtype(dtype, default_float()) or default_float()
    return leaf(np.logspace(start, end, steps, base=base).astype(d), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    check_device(device, "eye")
    return leaf(np.eye(n, m, dtype=as_np_dtype(dtype, default_float()) or default_float()),
                  requires_grad=requires_grad)


# -- random ------------------------------------------------------------------------------------

class Generator:
    """A random generator for ``generator=`` arguments: a NumPy generator seeded with ``manual_seed``.

    >>> import backchain.torch as torch
    >>> g = torch.Generator().manual_seed(42)
    >>> torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=torch.Generator().manual_seed(42)))
    True
    """

    def __init__(self, device="cpu"):
        check_device(device, "Generator")
        self.device = device
        self.manual_seed(bc.random._DEFAULT_SEED)

    def manual_seed(self, seed):
        self._seed = builtins.int(seed)
        self._gen = np.random.default_rng(self._seed)
        return self

    def seed(self):
        s = builtins.int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._gen.bit_generator.state

    def set_state(self, state):
        self._gen.bit_generator.state = state
        return self


def manual_seed(seed):
    """Seed backchain's default generator (which layers, ``randn``, dropout and loaders draw from).
    PyTorch's streams are not reproduced bit for bit: the same seed gives other numbers."""
    g = Generator()
    g._seed, g._gen = builtins.int(seed), bc.random.manual_seed(seed)
    return g


def seed():
    s = builtins.int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    bc.random.manual_seed(s)
    return s


def initial_seed():
    return bc.random.initial_seed()


def get_rng_state():
    return bc.random.get_rng_state()


def set_rng_state(state):
    """Restore the default generator's state saved by ``get_rng_state``.

    >>> import backchain.torch as torch
    >>> state = torch.get_rng_state()
    >>> a = torch.randn(2)
    >>> torch.set_rng_state(state)
    >>> torch.equal(a, torch.randn(2))
    True
    """
    bc.random.set_rng_state(state)


def _random(draw, size, dtype, generator, device, requires_grad, what):
    check_device(device, what)
    d = as_np_dtype(dtype, default_float()) or default_float()
    a = _draw_shape(lambda s: draw(_gen(generator), s), _shape_args(size, what), f"torch.{what}")
    if isinstance(a, _Base):  # inside torch.func.vmap: a draw per example (its randomness=)
        return bnp.astype(a, d)
    return leaf(np.asarray(a).astype(d), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    return _random(lambda g, s: g.random(s), size, dtype, generator, device, requires_grad, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    return _random(lambda g, s: g.standard_normal(s), size, dtype, generator, device, requires_grad, "randn")


def rand_like(input, dtype=None, device=None, requires_grad=False):
    x = _t(input)
    return rand(*x.shape, dtype=dtype or x._data.dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    x = _t(input)
    return randn(*x.shape, dtype=dtype or x._data.dtype, device=device, requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers in ``[low, high)`` (int64): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        low, high, size = 0, low, high
    check_device(device, "randint")
    a = _draw_shape(lambda s: _gen(generator).integers(low, high, size=s), _shape_args((size,), "randint"),
                    "torch.randint")
    if isinstance(a, _Base):
        return bnp.astype(a, as_np_dtype(dtype) or np.int64)
    return leaf(a.astype(as_np_dtype(dtype) or np.int64))


def randint_like(input, low=0, high=None, dtype=None):
    x = _t(input)
    return randint(low, high, x.shape, dtype=dtype or x._data.dtype)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    check_device(device, "randperm")
    a = _draw_shape(lambda s: _gen(generator).permutation(n), (n,), "torch.randperm", per_call=True)
    if isinstance(a, _Base):
        return bnp.astype(a, as_np_dtype(dtype) or np.int64)
    return leaf(a.astype(as_np_dtype(dtype) or np.int64))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None):
    """Samples of N(mean, std**2): tensor means/stds give one sample per element, else ``size`` samples."""
    m, s = (v._data if isinstance(v, _Base) else v for v in (mean, std))
    shape = _shape_args((size,), "normal") if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    d = as_np_dtype(dtype, default_float()) or np.result_type(
        *[v for v in (m, s) if isinstance(v, np.ndarray)] or [default_float()])
    z = _draw_shape(_gen(generator).standard_normal, shape, "torch.normal")
    if isinstance(z, _Base) or isinstance(m, _Base) or isinstance(s, _Base):  # inside torch.func.vmap
        return bnp.astype(z * s + m, d)
    return leaf((z * s + m).astype(d))


def bernoulli(input, p=None, *, generator=None):
    x = _t(input)
    prob = x._data if p is None else p
    u = _draw_shape(_gen(generator).random, tuple(x.shape), "torch.bernoulli")
    if isinstance(u, _Base) or isinstance(prob, _Base):  # inside torch.func.vmap
        return bnp.astype(u < prob, x.dtype)
    return leaf((u < prob).astype(x._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the rows of ``input`` (non-negative weights), one row or a batch of rows."""
    w = np.asarray(_t(input)._data, dtype=np.float64)
    rows = w.reshape(-1, w.shape[-1])
    g = _gen(generator)
    out = np.stack([g.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return leaf(out.reshape(w.shape[:-1] + (num_samples,)).astype(np.int64))


# -- elementwise -------------------------------------------------------------------------------

def _unary(fn, name):
    def op(input, *, out=None):
        return fn(_t(input))
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (``backchain.numpy``'s rule)."
    return op


def _special(name):
    import backchain.scipy.special as sp
    return getattr(sp, name)


def sigmoid(input, *, out=None):
    from backchain.nn import functional as F
    return F.sigmoid(_t(input))


def relu(input):
    from backchain.nn import functional as F
    return F.relu(_t(input))


def rsqrt(input, *, out=None):
    return 1 / bnp.sqrt(_t(input))


def erf(input, *, out=None):
    return _special("erf")(_t(input))


def erfinv(input, *, out=None):
    return _special("erfinv")(_t(input))


def lgamma(input, *, out=None):
    return _special("gammaln")(_t(input))


def add(input, other, *, alpha=1, out=None):
    a, b = _promote(_t(input), other if alpha == 1 else other * alpha)
    return bnp.add(a, b)


def sub(input, other, *, alpha=1, out=None):
    a, b = _promote(_t(input), other if alpha == 1 else other * alpha)
    return bnp.subtract(a, b)


subtract = sub


def mul(input, other, *, out=None):
    return bnp.multiply(*_promote(_t(input), other))


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    a, b = _promote(_t(input), other)
    if rounding_mode is None:
        if a._data.dtype.kind in "biu" and (not isinstance(b, (_Base, np.ndarray)) or np.asarray(
                b._data if isinstance(b, _Base) else b).dtype.kind in "biu"):
            a = a.type(default_float())
        return bnp.divide(a, b)
    if rounding_mode == "floor":
        return bnp.floor_divide(a, b)
    if rounding_mode == "trunc":
        return bnp.trunc(bnp.divide(a, b))
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


divide = true_divide = div


def pow(input, exponent, *, out=None):
    if not isinstance(input, _Base):  # pow(2, t)
        return bnp.power(*reversed(_promote(_t(exponent), input)))
    return bnp.power(*_promote(input, exponent))


def remainder(input, other, *, out=None):
    return bnp.remainder(*_promote(_t(input), other))


def fmod(input, other, *, out=None):
    return bnp.fmod(*_promote(_t(input), other))


def maximum(input, other, *, out=None):
    return bnp.maximum(*_promote(_t(input), other))


def minimum(input, other, *, out=None):
    return bnp.minimum(*_promote(_t(input), other))


def atan2(input, other, *, out=None):
    return bnp.arctan2(*_promote(_t(input), other))


def clamp(input, min=None, max=None, *, out=None):
    """Clip to ``[min, max]`` (either may be None). As in PyTorch, an element equal to a bound keeps its
    gradient (backchain's ``clip`` gives it 0 there, the minimum-norm choice)."""
    x = _t(input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo, hi = (v._data if isinstance(v, _Base) else v for v in (min, max))
    if not x.requires_grad:
        return bnp.clip(x, lo, hi)
    a = x._data if getattr(x, "_batched", False) else np.asarray(x._data)  # (a batch inside vmap stays one)
    inside = True
    if lo is not None:
        inside = inside & (a >= lo)
    if hi is not None:
        inside = inside & (a <= hi)
    return bnp.where(inside, x, bnp.astype(bnp.clip(a, lo, hi), a.dtype))


clip = clamp


def where(condition, input=None, other=None):
    """``where(cond, x, y)``; ``where(cond)`` is ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    c = condition._data if isinstance(condition, _Base) else condition
    x, y = _promote(input, other) if isinstance(input, _Base) else reversed(_promote(_t(other), input))
    return bnp.where(c, x, y)


def nonzero(input, *, as_tuple=False):
    a = np.asarray(_t(input)._data)
    if as_tuple:
        return tuple(_const(i) for i in np.nonzero(a))
    return _const(np.argwhere(a))


def _compare(fn, name):
    def op(input, other, *, out=None):
        return fn(_t(input), other)
    op.__name__ = name
    return op


eq, ne, lt, le, gt, ge = (_compare(getattr(bnp, n), m) for n, m in (
    ("equal", "eq"), ("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"), ("greater", "gt"),
    ("greater_equal", "ge")))
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def logical_not(input, *, out=None):
    return _const(np.logical_not(_t(input)._data))


def logical_and(input, other, *, out=None):
    return _const(np.logical_and(_t(input)._data, other._data if isinstance(other, _Base) else other))


def logical_or(input, other, *, out=None):
    return _const(np.logical_or(_t(input)._data, other._data if isinstance(other, _Base) else other))


def isnan(input):
    return _const(np.isnan(_t(input)._data))


def isinf(input):
    return _const(np.isinf(_t(input)._data))


def isfinite(input):
    return _const(np.isfinite(_t(input)._data))


def equal(input, other):
    """True if both have the same shape and elements."""
    a, b = _t(input)._data, _t(other)._data
    return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(_t(input)._data, _t(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _const(np.isclose(_t(input)._data, _t(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


# -- reductions ----------------------------------------------------------------------------------

def _cast(x, dtype):
    return x if dtype is None else x.type(dtype)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    x = _cast(_t(input), dtype)
    if x._data.dtype.kind in "bui" and dtype is None:
        x = x.type(np.int64)
    return bnp.sum(x, axis=_dims(dim), keepdims=keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    x = _cast(_t(input), dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {x.dtype} (shape {list(x.shape)}); use .float() first")
    return named("mean" if dim is None else "mean_dim", bnp.mean(x, axis=_dims(dim), keepdims=keepdim))


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = _cast(_t(input), dtype)
    return bnp.prod(x, axis=dim, keepdims=keepdim)


def _correction(dim, unbiased, correction):
    if isinstance(dim, bool):  # the legacy std(unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation with PyTorch's default correction 1 (unbiased; NumPy's ``std`` uses 0)."""
    dim, ddof = _correction(dim, unbiased, correction)
    return bnp.std(_t(input), axis=_dims(dim), ddof=ddof, keepdims=keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance with PyTorch's default correction 1 (unbiased; NumPy's ``var`` uses 0)."""
    dim, ddof = _correction(dim, unbiased, correction)
    return bnp.var(_t(input), axis=_dims(dim), ddof=ddof, keepdims=keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def _extreme(input, dim, keepdim, other, pick, pair, result, what):
    x = _t(input)
    if isinstance(dim, (_Base, np.ndarray)):  # torch.max(a, b): elementwise
        other, dim = dim, None
    if other is not None:
        return pair(*_promote(x, other))
    if dim is None:
        if np.size(x._data) == 0:
            raise RuntimeError(f"{what}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return (bnp.max if what == "max" else bnp.min)(x)
    # values taken at the indices, so the gradient goes to the element chosen, as in PyTorch
    axis = _ax(dim, x.ndim)
    if getattr(x, "_batched", False):  # inside torch.func.vmap: the indices per example, batched
        idx = (bnp.argmax if what == "max" else bnp.argmin)(x, axis=axis, keepdims=True)
        chosen = bnp.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1)) == idx
        values = bnp.sum(bnp.where(chosen, x, 0), axis=axis, keepdims=True)  # the gradient to the index
        if not keepdim:
            values, idx = bnp.squeeze(values, axis), bnp.squeeze(idx, axis)
        return result(values, idx)
    idx = pick(np.asarray(x._data), axis=axis, keepdims=True) if x.ndim else np.zeros((), np.int64)
    values = bnp.take_along_axis(x, idx, axis=axis) if x.ndim else x
    if not keepdim and x.ndim:
        values, idx = bnp.squeeze(values, axis), np.squeeze(idx, axis)
    return result(values, _const(idx.astype(np.int64)))


def max(input, dim=None, keepdim=False, *, other=None, out=None):
    """The maximum of all elements; with ``dim``, the named pair ``(values, indices)``; with a tensor,
    the elementwise maximum."""
    return _extreme(input, dim, keepdim, other, np.argmax, bnp.maximum, MaxResult, "max")


def min(input, dim=None, keepdim=False, *, other=None, out=None):
    """The minimum of all elements; with ``dim``, the named pair ``(values, indices)``; with a tensor,
    the elementwise minimum."""
    return _extreme(input, dim, keepdim, other, np.argmin, bnp.minimum, MinResult, "min")


def amax(input, dim=(), keepdim=False, *, out=None):
    return bnp.amax(_t(input), axis=_dims(dim) if dim != () else None, keepdims=keepdim)


def amin(input, dim=(), keepdim=False, *, out=None):
    return bnp.amin(_t(input), axis=_dims(dim) if dim != () else None, keepdims=keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    return AminmaxResult(amin(input, () if dim is None else dim, keepdim), amax(input, () if dim is None else dim,
                                                                                 keepdim))


def _arg(fn, input, dim, keepdim):
    x = _t(input)
    if getattr(x, "_batched", False):  # inside torch.func.vmap: the indices per example
        out = (bnp.argmax if fn is np.argmax else bnp.argmin)(x._data, axis=dim, keepdims=keepdim)
        if dim is None and keepdim:
            out = bnp.reshape(out, (1,) * x.ndim)
        return bnp.astype(out, np.int64)
    a = np.asarray(x._data)
    if dim is None:
        out = fn(a)
        return _const(np.reshape(out, (1,) * a.ndim) if keepdim else np.int64(out))
    return _const(fn(a, axis=dim, keepdims=keepdim).astype(np.int64))


def argmax(input, dim=None, keepdim=False):
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _arg(np.argmin, input, dim, keepdim)


def all(input, dim=None, keepdim=False, *, out=None):
    return _const(np.all(_t(input)._data, axis=_dims(dim), keepdims=keepdim))


def any(input, dim=None, keepdim=False, *, out=None):
    return _const(np.any(_t(input)._data, axis=_dims(dim), keepdims=keepdim))


def count_nonzero(input, dim=None):
    return _const(np.count_nonzero(_t(input)._data, axis=_dims(dim)).astype(np.int64))


def logsumexp(input, dim, keepdim=False, *, out=None):
    return _special("logsumexp")(_t(input), axis=_dims(dim), keepdims=keepdim)


def cumsum(input, dim, *, dtype=None, out=None):
    return bnp.cumsum(_cast(_t(input), dtype), axis=dim)


def cumprod(input, dim, *, dtype=None, out=None):
    return bnp.cumprod(_cast(_t(input), dtype), axis=dim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of all elements (``'fro'`` and 2 alike), or along ``dim``."""
    x = _cast(_t(input), dtype)
    if p == "fro":
        p = 2
    if dim is None:
        return bnp.linalg.norm(bnp.reshape(x, (-1,)), ord=p, keepdims=False) if not keepdim else \
            bnp.reshape(bnp.linalg.norm(bnp.reshape(x, (-1,)), ord=p), (1,) * x.ndim)
    if isinstance(dim, (tuple, list)) and len(dim) == 2 and p == 2:  # Frobenius over two axes
        return bnp.sqrt(bnp.sum(x * x, axis=tuple(dim), keepdims=keepdim))
    return bnp.linalg.norm(x, ord=p, axis=_dims(dim), keepdims=keepdim)


def dist(input, other, p=2):
    return norm(_t(input) - other, p)


def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``, as PyTorch."""
    x = _t(input)
    if dim is None:
        flat = bnp.reshape(x, (-1,))
        k = (np.size(x._data) - 1) // 2
        return flat[builtins.int(np.argsort(np.asarray(x._data).ravel(), kind="stable")[k])]
    axis = _ax(dim, x.ndim)
    order = np.argsort(np.asarray(x._data), axis=axis, kind="stable")
    k = (x.shape[axis] - 1) // 2
    idx = np.take(order, [k], axis=axis)
    values = bnp.take_along_axis(x, idx, axis=axis)
    if not keepdim:
        values, idx = bnp.squeeze(values, axis), np.squeeze(idx, axis)
    return MinResult(values, _const(idx.astype(np.int64)))


# -- shapes -------------------------------------------------------------------------------------

def reshape(input, shape):
    return bnp.reshape(_t(input), tuple(shape))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one (a 0-d tensor becomes shape (1,))."""
    x = _t(input)
    shape = np.shape(x._data)
    if not shape:
        return bnp.reshape(x, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    new = shape[:s] + (builtins.int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    return x if new == shape else bnp.reshape(x, new)


def squeeze(input, dim=None):
    """Drop dimensions of size 1: all, or those of ``dim`` (an int or tuple) that have size 1 (others stay)."""
    x = _t(input)
    shape = np.shape(x._data)
    if dim is None:
        return bnp.squeeze(x)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(d % len(shape) for d in dims if shape and shape[d] == 1) if shape else ()
    return bnp.squeeze(x, axes) if axes else x


def unsqueeze(input, dim):
    return _t(input).unsqueeze(dim)


def transpose(input, dim0, dim1):
    return bnp.swapaxes(_t(input), dim0, dim1)


swapaxes = swapdims = transpose


def permute(input, dims):
    return bnp.transpose(_t(input), tuple(dims))


def t(input):
    return _t(input).t()


def movedim(input, source, destination):
    return bnp.moveaxis(_t(input), source, destination)


moveaxis = movedim


def cat(tensors, dim=0, *, out=None):
    """Concatenate along ``dim`` (PyTorch's legacy rule: empty 1-d tensors are skipped)."""
    ts = [_t(x) for x in tensors]
    kept = [x for x in ts if not (x.ndim == 1 and x.shape[0] == 0)] or ts[:1]
    return bnp.concatenate(kept, axis=dim)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    return bnp.stack([_t(x) for x in tensors], axis=dim)


def hstack(tensors):
    return bnp.hstack([_t(x) for x in tensors])


def vstack(tensors):
    return bnp.vstack([_t(x) for x in tensors])


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes.
    (NumPy's ``split`` takes a number of pieces or cut indices instead.)"""
    x = _t(tensor)
    n = x.shape[dim]
    if isinstance(split_size_or_sections, (builtins.int, np.integer)):
        size = builtins.int(split_size_or_sections)
        if size <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        cuts = list(range(size, n, size))
    else:
        sizes = [builtins.int(s) for s in split_size_or_sections]
        if _py_sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {dim}), but got split_sizes={sizes}")
        cuts = list(np.cumsum(sizes)[:-1])
    return tuple(bnp.split(x, cuts, axis=dim)) if cuts else (x,)


def tensor_split(input, indices_or_sections, dim=0):
    return tuple(bnp.array_split(_t(input), indices_or_sections, axis=dim))


def chunk(input, chunks, dim=0):
    """At most ``chunks`` pieces of ``ceil(n / chunks)`` along ``dim``."""
    x = _t(input)
    return split(x, _py_max(1, -(-x.shape[dim] // chunks)), dim)


def unbind(input, dim=0):
    x = _t(input)
    axis = _ax(dim, x.ndim)
    return tuple(bnp.squeeze(p, axis) for p in bnp.split(x, x.shape[axis], axis=axis))


def narrow(input, dim, start, length):
    return _t(input).narrow(dim, start, length)


def flip(input, dims):
    return bnp.flip(_t(input), axis=tuple(dims) if isinstance(dims, (list, tuple)) else dims)


def roll(input, shifts, dims=None):
    return bnp.roll(_t(input), shifts, axis=dims)


def tile(input, dims):
    return bnp.tile(_t(input), tuple(dims))


def repeat_interleave(input, repeats, dim=None):
    x = _t(input)
    r = repeats._data if isinstance(repeats, _Base) else repeats
    return bnp.repeat(x if dim is not None else bnp.reshape(x, (-1,)), r, axis=dim if dim is not None else 0)


def broadcast_to(input, size):
    return bnp.broadcast_to(_t(input), tuple(size))


def tril(input, diagonal=0):
    return bnp.tril(_t(input), diagonal)


def triu(input, diagonal=0):
    return bnp.triu(_t(input), diagonal)


def diag(input, diagonal=0):
    return bnp.diag(_t(input), diagonal)


def diagonal(input, offset=0, dim1=0, dim2=1):
    return bnp.diagonal(_t(input), offset, dim1, dim2)


def trace(input):
    return bnp.trace(_t(input))


# -- sorting and indexing ---------------------------------------------------------------------------

def _order(a, axis, descending):
    if descending:  # stable, equal elements in their order: sort the reversed array, then reverse back
        n = a.shape[axis]
        rev = np.flip(a, axis)
        idx = np.flip(np.argsort(rev, axis=axis, kind="stable"), axis)
        return n - 1 - idx
    return np.argsort(a, axis=axis, kind="stable")


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """``(values, indices)``, ties in their original order; each value's gradient goes to its element."""
    x = _t(input)
    if x.ndim == 0:
        return SortResult(x, _const(np.int64(0)))
    idx = _order(np.asarray(x._data), _ax(dim, x.ndim), descending)
    return SortResult(bnp.take_along_axis(x, idx, axis=dim), _const(idx.astype(np.int64)))


def argsort(input, dim=-1, descending=False, stable=False):
    x = _t(input)
    return _const(_order(np.asarray(x._data), _ax(dim, x.ndim), descending).astype(np.int64))


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    x = _t(input)
    axis = _ax(dim, x.ndim)
    if not 0 <= k <= x.shape[axis]:
        raise RuntimeError(f"topk: selected index k ({k}) out of range for a dimension of size {x.shape[axis]}")
    idx = np.take(_order(np.asarray(x._data), axis, largest), np.arange(k), axis=axis)
    return TopkResult(bnp.take_along_axis(x, idx, axis=axis), _const(idx.astype(np.int64)))


def _index_array(index, what):
    a = np.asarray(index._data if isinstance(index, _Base) else index)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int64 for index, got {a.dtype}")
    return a


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """``out[i][j] = input[index[i][j]][j]`` along ``dim`` (``index`` may be smaller than ``input``
    in the other dimensions, as in PyTorch)."""
    x = _t(input)
    idx = _index_array(index, "gather")
    axis = _ax(dim, x.ndim)
    if idx.ndim != x.ndim:
        raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as input tensor "
                           f"(index {list(idx.shape)}, input {list(x.shape)})")
    cut = tuple(slice(None) if a == axis or idx.shape[a] == x.shape[a] else slice(0, idx.shape[a])
                for a in range(x.ndim))
    src = x if _py_all(c == slice(None) for c in cut) else x[cut]
    return bnp.take_along_axis(src, idx, axis=axis)


def _positions(shape, idx, axis):
    """The flat position in an array of ``shape`` of every element of ``index`` along ``axis``."""
    coords = list(np.indices(idx.shape, sparse=True))
    coords[axis] = idx
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*coords)), shape)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``;
    ``reduce='add'`` adds instead. Differentiable in ``input`` and ``src``."""
    if reduce is not None and reduce not in ("add", "sum"):
        raise RuntimeError(f"scatter: reduce={reduce!r} is not supported (only 'add')")
    x = _t(input)
    idx = _index_array(index, "scatter")
    axis = _ax(dim, x.ndim)
    if src is None:
        src = value
    if not isinstance(src, (_Base, np.ndarray)):
        src = np.full(idx.shape, src, dtype=x._data.dtype)
    else:
        src = _t(src)
        if src.shape != idx.shape:
            src = src[tuple(slice(0, s) for s in idx.shape)]
        if src._data.dtype != x._data.dtype:
            src = src.type(x._data.dtype)
    pos = _positions(np.shape(x._data), idx, axis).ravel()
    flat_src = bnp.reshape(src, (-1,))
    if reduce is not None:
        return x + bnp.reshape(_scatter(flat_src, shape=(np.size(x._data),), index=pos), np.shape(x._data))
    # written elements come from src (the last write wins), the others from input: one gather of both
    sel = np.arange(np.size(x._data))
    sel[pos] = np.size(x._data) + np.arange(pos.size)
    both = bnp.concatenate([bnp.reshape(x, (-1,)), flat_src])
    return bnp.reshape(both[sel], np.shape(x._data))


def scatter_add(input, dim, index, src):
    return scatter(input, dim, index, src, reduce="add")


def index_select(input, dim, index):
    x = _t(input)
    idx = _index_array(index, "index_select")
    return bnp.take(x, idx, axis=dim)


def index_add(input, dim, index, source, *, alpha=1):
    x = _t(input)
    idx = _index_array(index, "index_add")
    axis = _ax(dim, x.ndim)
    where = (slice(None),) * axis + (idx,)
    src = _t(source) * alpha if alpha != 1 else _t(source)
    return x + _scatter(src, shape=np.shape(x._data), index=where)


def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is True (differentiable in ``input`` and a tensor ``value``)."""
    x = _t(input)
    m = mask._data if getattr(mask, "_batched", False) else np.asarray(mask._data if isinstance(mask, _Base) else mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}")
    if isinstance(value, _Base):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s)")
        v = value if value._data.dtype == x._data.dtype else value.type(x._data.dtype)
    else:
        v = np.asarray(value, dtype=x._data.dtype)
    return bnp.where(m, v, x)


def masked_select(input, mask):
    x = _t(input)
    m = np.broadcast_to(np.asarray(mask._data if isinstance(mask, _Base) else mask), x.shape)
    return x[m]


# -- linear algebra ----------------------------------------------------------------------------------

def matmul(input, other, *, out=None):
    return _matmul(_t(input), other)


def mm(input, mat2, *, out=None):
    x = _t(input)
    if x.ndim != 2 or np.ndim(_t(mat2)._data) != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {list(x.shape)} and {list(_t(mat2).shape)}")
    return _matmul(x, mat2)


def bmm(input, mat2, *, out=None):
    x = _t(input)
    if x.ndim != 3 or np.ndim(_t(mat2)._data) != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got {list(x.shape)} and {list(_t(mat2).shape)}")
    return _matmul(x, mat2)


def mv(input, vec, *, out=None):
    return _matmul(_t(input), vec)


def dot(input, other, *, out=None):
    return bnp.dot(_t(input), other)


def outer(input, vec2, *, out=None):
    return bnp.outer(_t(input), vec2)


ger = outer


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return bnp.einsum(equation, *[_t(o) for o in operands])


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return beta * _t(input) + alpha * _matmul(_t(mat1), mat2)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M)."""
    a, b = _t(x1), _t(x2)
    diff = bnp.expand_dims(a, -2) - bnp.expand_dims(b, -3)
    return bnp.linalg.norm(diff, ord=p, axis=-1)


def softmax(input, dim=None, dtype=None):
    from backchain.nn import functional as F
    return F.softmax(_t(input), dim, dtype=dtype)


def log_softmax(input, dim=None, dtype=None):
    from backchain.nn import functional as F
    return F.log_softmax(_t(input), dim, dtype=dtype)


# -- misc -------------------------------------------------------------------------------------------

def is_tensor(obj):
    return isinstance(obj, _Base)


def is_floating_point(input):
    return _t(input)._data.dtype.kind == "f"


def is_complex(input):
    return _t(input)._data.dtype.kind == "c"


def numel(input):
    return builtins.int(np.size(_t(input)._data))


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return tuple(bnp.meshgrid(*[_t(x) for x in tensors], indexing=indexing))


def clone(input, *, memory_format=None):
    return _t(input).clone()


def detach(input):
    return _t(input).detach()


def result_type(tensor1, tensor2):
    from ._tensor import _torch_result_dtype
    from ._types import to_torch_dtype
    return to_torch_dtype(_torch_result_dtype(np.asarray(_t(tensor1)._data), np.asarray(_t(tensor2)._data)))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return bnp.nansum(_cast(_t(input), dtype), axis=_dims(dim), keepdims=keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    return bnp.nanmean(_cast(_t(input), dtype), axis=_dims(dim), keepdims=keepdim)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    qq = q._data if isinstance(q, _Base) else q
    return bnp.quantile(_t(input), qq, axis=dim, keepdims=keepdim, method=interpolation)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The sorted distinct values (and the inverse indices and counts when asked)."""
    a = np.asarray(_t(input)._data)
    out = np.unique(a, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(out, tuple):
        return _const(out)
    parts = [_const(out[0])]
    if return_inverse:
        parts.append(_const(out[1].reshape(a.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        parts.append(_const(out[-1].astype(np.int64)))
    return tuple(parts)


def bincount(input, weights=None, minlength=0):
    w = None if weights is None else np.asarray(_t(weights)._data)
    out = np.bincount(np.asarray(_t(input)._data), w, minlength)
    return _const(out if w is not None else out.astype(np.int64))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    seq, v = np.asarray(_t(sorted_sequence)._data), np.asarray(_t(values)._data)
    side = side or ("right" if right else "left")
    if seq.ndim <= 1:
        out = np.searchsorted(seq, v, side=side)
    else:
        out = np.stack([np.searchsorted(r, x, side=side) for r, x in zip(seq.reshape(-1, seq.shape[-1]),
                                                                       v.reshape(-1, v.shape[-1]))]).reshape(v.shape)
    return _const(out.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def rot90(input, k=1, dims=(0, 1)):
    return bnp.rot90(_t(input), k, tuple(dims))


def broadcast_tensors(*tensors):
    return tuple(bnp.broadcast_arrays(*[_t(x) for x in tensors]))


def kron(input, other):
    return bnp.kron(_t(input), _t(other))


def cross(input, other, dim=None):
    return bnp.cross(_t(input), _t(other), axis=-1 if dim is None else dim)


def tensordot(a, b, dims=2):
    return bnp.tensordot(_t(a), _t(b), axes=dims)


def inner(input, other):
    return bnp.inner(_t(input), _t(other))


def lerp(input, end, weight):
    x = _t(input)
    return x + weight * (end - x)


def addcmul(input, tensor1, tensor2, *, value=1):
    return _t(input) + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    return _t(input) + value * tensor1 / tensor2


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * _t(input) + alpha * bmm(batch1, batch2)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * _t(input) + alpha * bnp.sum(bmm(batch1, batch2), axis=0)


def frac(input):
    x = _t(input)
    return x - bnp.trunc(x)


def hypot(input, other):
    return bnp.hypot(*_promote(_t(input), other))


def logaddexp(input, other):
    return bnp.logaddexp(*_promote(_t(input), other))


def fmax(input, other):
    return bnp.fmax(*_promote(_t(input), other))


def fmin(input, other):
    return bnp.fmin(*_promote(_t(input), other))


def logical_xor(input, other):
    return _const(np.logical_xor(_t(input)._data, other._data if isinstance(other, _Base) else other))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return bnp.nan_to_num(_t(input), nan=nan, posinf=posinf, neginf=neginf)


def erfc(input):
    return _special("erfc")(_t(input))


def digamma(input):
    return _special("digamma")(_t(input))


def logit(input, eps=None):
    x = _t(input)
    if eps is not None:
        x = clamp(x, eps, 1 - eps)
    return _special("logit")(x)


def xlogy(input, other):
    return _special("xlogy")(_t(input), other)


def take(input, index):
    return bnp.take(bnp.reshape(_t(input), (-1,)), _index_array(index, "take"))


def take_along_dim(input, indices, dim=None):
    x = _t(input)
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        return bnp.take_along_axis(bnp.reshape(x, (-1,)), idx.reshape(-1), axis=0)
    return bnp.take_along_axis(x, idx, axis=dim)


def select(input, dim, index):
    x = _t(input)
    where = [slice(None)] * x.ndim
    where[dim] = index
    return x[tuple(where)]


def dstack(tensors):
    return bnp.dstack([_t(x) for x in tensors])


def column_stack(tensors):
    return bnp.column_stack([_t(x) for x in tensors])


def block_diag(*tensors):
    ts = [_t(x) if _t(x).ndim == 2 else bnp.reshape(_t(x), (1, -1)) for x in tensors]
    rows, cols = _py_sum(t.shape[0] for t in ts), _py_sum(t.shape[1] for t in ts)
    out, r, c = [], 0, 0
    for x in ts:
        out.append(bnp.pad(x, ((r, rows - r - x.shape[0]), (c, cols - c - x.shape[1]))))
        r, c = r + x.shape[0], c + x.shape[1]
    return _py_sum(out[1:], out[0])


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    return _const(np.stack(np.triu_indices(row, offset, col)).astype(as_np_dtype(dtype) or np.int64))


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    return _const(np.stack(np.tril_indices(row, offset, col)).astype(as_np_dtype(dtype) or np.int64))


def vdot(input, other):
    return bnp.vdot(_t(input), _t(other))


def chain_matmul(*matrices):
    return bnp.linalg.multi_dot([_t(m) for m in matrices])


def cartesian_prod(*tensors):
    """Every combination of one element of each 1-d tensor, as rows."""
    grids = bnp.meshgrid(*[_t(x) for x in tensors], indexing="ij")
    if len(tensors) == 1:
        return grids[0]
    return bnp.stack([bnp.reshape(g, (-1,)) for g in grids], axis=1)


def combinations(input, r=2, with_replacement=False):
    """The ``r``-element combinations of a 1-d tensor's elements, as rows (in order)."""
    import itertools
    x = _t(input)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[idx]


def trapezoid(y, x=None, *, dx=None, dim=-1):
    return bnp.trapezoid(_t(y), x=None if x is None else _t(x), dx=1.0 if dx is None else dx, axis=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral along ``dim`` (one element shorter)."""
    yy = _t(y)
    n = yy.shape[dim]
    lo, hi = select(yy, dim, slice(0, n - 1)), select(yy, dim, slice(1, n))
    if x is not None:
        xx = _t(x)
        step = select(xx, -1 if xx.ndim == 1 else dim, slice(1, n)) - select(xx, -1 if xx.ndim == 1 else dim,
                                                                          slice(0, n - 1))
    else:
        step = 1.0 if dx is None else dx
    return bnp.cumsum((lo + hi) * step / 2, axis=dim)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Batches of diagonal matrices with the last dimension of ``input`` on their ``offset`` diagonal."""
    x = _t(input)
    k = x.shape[-1]
    n = k + _py_abs(offset)
    rows = np.arange(k) + _py_max(0, -offset)
    cols = np.arange(k) + _py_max(0, offset)
    out = _scatter(x, shape=x.shape[:-1] + (n, n), index=(Ellipsis, rows, cols))
    if (dim1, dim2) != (-2, -1):
        out = bnp.moveaxis(out, (-2, -1), (dim1, dim2))
    return out


def bitwise_and(input, other):
    return _const(np.bitwise_and(_t(input)._data, other._data if isinstance(other, _Base) else other))


def bitwise_or(input, other):
    return _const(np.bitwise_or(_t(input)._data, other._data if isinstance(other, _Base) else other))


def bitwise_not(input):
    return _const(np.invert(_t(input)._data))


def histc(input, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both are 0)."""
    a = np.asarray(_t(input)._data).ravel()
    lo, hi = (a.min(), a.max()) if min == 0 and max == 0 else (min, max)
    counts, _ = np.histogram(a[(a >= lo) & (a <= hi)], bins=bins, range=(lo, hi))
    return _const(counts.astype(a.dtype))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """The elements of ``input`` with runs of equal ones collapsed."""
    a = np.asarray(_t(input)._data)
    flat = a.ravel() if dim is None else a
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported by backchain.torch yet")
    keep = np.ones(flat.shape, dtype=bool)
    keep[1:] = flat[1:] != flat[:-1]
    parts = [_const(flat[keep])]
    if return_inverse:
        parts.append(_const((np.cumsum(keep) - 1).reshape(a.shape).astype(np.int64)))
    if return_counts:
        parts.append(_const(np.diff(np.append(np.nonzero(keep)[0], flat.size)).astype(np.int64)))
    return parts[0] if len(parts) == 1 else tuple(parts)


def mode(input, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among equals) and the
    index of its last occurrence, as PyTorch."""
    x = _t(input)
    a = np.asarray(x._data)
    axis = _ax(dim, x.ndim)
    moved = np.moveaxis(a, axis, -1).reshape(-1, a.shape[axis])
    vals, idxs = [], []
    for row in moved:
        u, counts = np.unique(row, return_counts=True)
        v = u[np.argmax(counts)]
        vals.append(v)
        idxs.append(np.nonzero(row == v)[0][-1])
    shape = tuple(np.delete(a.shape, axis))
    idx = np.array(idxs, dtype=np.int64).reshape(shape)
    values = bnp.squeeze(bnp.take_along_axis(x, np.expand_dims(idx, axis), axis=axis), axis)
    if keepdim:
        values, idx = bnp.expand_dims(values, axis), np.expand_dims(idx, axis)
    return _ModeResult(values, _const(idx))


def poisson(input, generator=None):
    """Samples of Poisson distributions with the rates ``input``."""
    x = _t(input)
    return leaf(_gen(generator).poisson(np.asarray(x._data)).astype(x._data.dtype))


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def _install_unary():
    names = {"exp": bnp.exp, "log": bnp.log, "log1p": bnp.log1p, "expm1": bnp.expm1, "log2": bnp.log2,
             "log10": bnp.log10, "sin": bnp.sin, "cos": bnp.cos, "tan": bnp.tan, "tanh": bnp.tanh,
             "sinh": bnp.sinh, "cosh": bnp.cosh, "asin": bnp.arcsin, "acos": bnp.arccos, "atan": bnp.arctan,
             "arcsin": bnp.arcsin, "arccos": bnp.arccos, "arctan": bnp.arctan, "sqrt": bnp.sqrt,
             "abs": bnp.abs, "absolute": bnp.abs, "neg": bnp.negative, "negative": bnp.negative,
             "sign": bnp.sign, "floor": bnp.floor, "ceil": bnp.ceil, "round": bnp.round, "trunc": bnp.trunc,
             "square": bnp.square, "reciprocal": bnp.reciprocal, "real": bnp.real, "imag": bnp.imag,
             "conj": bnp.conj, "angle": bnp.angle, "exp2": bnp.exp2, "asinh": bnp.arcsinh,
             "acosh": bnp.arccosh, "atanh": bnp.arctanh, "arcsinh": bnp.arcsinh, "arccosh": bnp.arccosh,
             "arctanh": bnp.arctanh, "deg2rad": bnp.deg2rad, "rad2deg": bnp.rad2deg}
    out = {}
    for name, fn in names.items():
        out[name] = _unary(fn, name)
    return out


globals().update(_install_unary())

# Tensor methods that are these functions with the tensor first (PyTorch's meaning, not NumPy's)
_METHODS = [
    "sum", "mean", "prod", "std", "var", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any",
    "logsumexp", "cumsum", "cumprod", "norm", "dist", "median", "count_nonzero", "sort", "argsort", "topk",
    "gather", "scatter", "scatter_add", "index_select", "index_add", "masked_fill", "masked_select",
    "split", "tensor_split", "chunk", "unbind", "flip", "roll", "tile", "repeat_interleave", "tril", "triu",
    "diag", "diagonal", "trace", "movedim", "moveaxis", "clamp", "clip", "where", "nonzero",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
    "logical_not", "logical_and", "logical_or", "isnan", "isinf", "isfinite", "equal", "allclose", "isclose",
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "remainder", "fmod",
    "maximum", "minimum", "atan2", "matmul", "mm", "bmm", "mv", "dot", "outer", "addmm",
    "softmax", "log_softmax", "sigmoid", "relu", "rsqrt", "erf", "erfinv", "lgamma", "swapaxes",
    "exp", "log", "log1p", "expm1", "log2", "log10", "sin", "cos", "tan", "tanh", "sinh", "cosh", "asin",
    "acos", "atan", "arcsin", "arccos", "arctan", "sqrt", "abs", "absolute", "neg", "negative", "sign",
    "floor", "ceil", "round", "trunc", "square", "reciprocal", "conj", "angle", "exp2",
    "std_mean", "var_mean", "aminmax", "nansum", "nanmean", "quantile", "unique", "bincount", "rot90", "kron",
    "cross", "inner", "lerp", "addcmul", "addcdiv", "baddbmm", "addbmm", "frac", "hypot", "logaddexp", "fmax",
    "fmin", "logical_xor", "nan_to_num", "erfc", "digamma", "logit", "xlogy", "take", "take_along_dim", "select",
    "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "clamp_min", "clamp_max",
    "vdot", "diag_embed", "bitwise_and", "bitwise_or", "bitwise_not", "histc", "unique_consecutive", "mode",
]

# In-place forms: ``x.exp_()`` is ``x.copy_(torch.exp(x))`` (recorded like PyTorch's when a graph needs it)
_IN_PLACE = ["exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "relu", "pow", "sin", "cos", "floor", "ceil",
             "round", "trunc", "sign", "reciprocal", "square", "clamp_min", "clamp_max", "lerp", "scatter",
             "scatter_add", "index_add", "log1p", "expm1", "rsqrt", "frac", "nan_to_num", "fmod", "remainder",
             "masked_scatter"]


def _method(fn):
    def method(self, *args, **kwargs):
        if "axis" in kwargs:  # PyTorch takes NumPy's axis= for dim= too
            kwargs["dim"] = kwargs.pop("axis")
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _torch_results(fn):
    """``fn`` returning torch Tensors where ``backchain.numpy`` gives an ndarray (integer or bool results)."""
    def op(*args, **kwargs):
        if "axis" in kwargs:  # PyTorch takes NumPy's axis= for dim= too
            kwargs["dim"] = kwargs.pop("axis")
        return wrap_result(fn(*args, **kwargs))
    op.__name__ = fn.__name__
    op.__doc__ = fn.__doc__
    return op


def _axis_alias(fn):
    def op(*args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return fn(*args, **kwargs)
    op.__name__ = fn.__name__
    op.__doc__ = fn.__doc__
    return op


for _n in ("mean", "std", "var", "max", "min", "argmax", "argmin", "all", "any", "logsumexp", "norm", "median",
           "nansum", "nanmean", "softmax", "log_softmax", "unbind", "chunk", "sort", "argsort", "topk",
           "count_nonzero"):
    globals()[_n] = _axis_alias(globals()[_n])

for _n in ("sum", "prod", "cumsum", "cumprod", "div", "remainder", "fmod", "maximum", "minimum", "where", "eq",
           "ne", "lt", "le", "gt", "ge", "floor", "ceil", "round", "trunc", "sign", "abs", "neg", "flip", "roll",
           "tile", "repeat_interleave", "tril", "triu", "diag", "diagonal", "trace", "cat", "stack", "split",
           "chunk", "unbind", "reshape", "flatten", "squeeze", "transpose", "permute", "gather", "index_select",
           "masked_fill", "masked_select", "matmul", "mm", "bmm", "dot", "outer", "einsum", "clamp", "add", "sub",
           "mul", "pow", "square", "amax", "amin", "movedim", "broadcast_to", "tensor_split", "hstack", "vstack"):
    globals()[_n] = _torch_results(globals()[_n])
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne
subtract, multiply, divide, true_divide, clip, concat, concatenate = sub, mul, div, div, clamp, cat, cat
swapaxes = swapdims = transpose
moveaxis = movedim


def _where_method(self, condition, other):
    return where(condition, self, other)


for _n in _METHODS:
    setattr(Tensor, _n, _method(globals()[_n]))
Tensor.where = _where_method


def _in_place(fn):
    def method(self, *args, **kwargs):
        return self.copy_(fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In place: ``x.{fn.__name__}_(...)`` sets x to ``torch.{fn.__name__}(x, ...)`` and returns x."
    return method


for _n in _IN_PLACE:
    if _n in globals():
        setattr(Tensor, _n + "_", _in_place(globals()[_n]))


def _fill_diagonal_(self, fill_value, wrap=False):
    mask = np.zeros(np.shape(self._data), dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return self.copy_(masked_fill(self, mask, fill_value))


Tensor.fill_diagonal_ = _fill_diagonal_
Tensor.mH = property(lambda self: bnp.conj(bnp.swapaxes(self, -1, -2)))
Tensor.H = property(lambda self: bnp.conj(self.t()))
Tensor.__abs__ = lambda self: bnp.abs(self)


__all__ = sorted(n for n, v in globals().items()
                 if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == __name__)

from ._examples import attach as _attach  # noqa: E402

_attach(globals())
