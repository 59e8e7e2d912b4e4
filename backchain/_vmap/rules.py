"""Batching rules: the ``batch=`` column of the rule table (``backchain/_rules``).

A rule ``rule(prim, args, batched, **params)`` receives the row's array arguments, those with
``batched[i]`` holding every example with the batch axis first, and returns the result with its
batch axis first. Rules call primitives (``prim.fn`` and the rows named here), never NumPy directly
on a value that may be a Tensor, so what they compute is recorded when a derivative is taken.

Elementwise rows need no rule (``primitive.ELEMENTWISE`` broadcasts); the makers below give the
others theirs: axis arguments shifted past the batch axis (reductions, cumulative and shape
ops), stacks of matrices (NumPy's linear algebra takes them), the batch folded into N
(convolution, pooling), and the products (``matmul``, ``einsum``, ``nn.linear``).
"""
import operator
import string

import numpy as np

from .._core import primitive as _primitive
from .._core.primitive import ELEMENTWISE, LOOP
from .._core.tensor import Tensor

__all__ = ["ELEMENTWISE", "LOOP", "reduce_axis", "axes_rule", "flat_axis", "axis_param", "stacks",
           "reshape_rule", "transpose_rule", "broadcast_to_rule", "sum_to_rule", "join_rule", "split_rule",
           "roll_rule", "diagonal_rule", "diagonal_embed_rule", "pad_or_crop_rule", "fft_rule", "getitem_rule",
           "index_add_rule", "matmul_rule", "einsum_rule", "solve_rule", "linear_rule", "cross_entropy_rule",
           "norm_rule", "conv_rule", "conv_weight_grad_rule", "fold_rule", "take_flat_rule",
           "scatter_flat_rule", "rnn_layer_rule", "tiled_rule"]


def _fn(name):
    return _primitive.REGISTRY[name].fn


def _size(args, batched):
    for a, b in zip(args, batched):
        if b:
            return np.shape(a)[0]
    raise ValueError("vmap: a batching rule was called without a batched argument")


def _shift(axis):
    axis = operator.index(axis)
    return axis + 1 if axis >= 0 else axis


def _shift_axes(axis, nd):
    """``axis`` (an int, a tuple, or None for every axis) of an ``nd``-axis example, in the batched array."""
    if axis is None:
        return tuple(range(1, nd + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(_shift(a) for a in axis)
    return _shift(axis)


def _reshape(x, shape):
    if isinstance(x, Tensor):
        return _fn("reshape")(x, shape=tuple(shape))
    return np.reshape(x, shape)


def _batch(x, size):
    """``x`` (unbatched) given a leading batch axis of ``size``."""
    if isinstance(x, Tensor):
        return _fn("broadcast_to")(x, shape=(size,) + tuple(x.shape))
    a = np.asarray(x)
    return np.broadcast_to(a, (size,) + a.shape)


def _all_batched(args, batched):
    size = _size(args, batched)
    return [a if b else _batch(a, size) for a, b in zip(args, batched)]


def _ranked(x, nd):
    """A batched ``x`` with unit axes after its batch axis, up to ``nd`` example axes."""
    shape = np.shape(x)
    if len(shape) - 1 >= nd:
        return x
    return _reshape(x, shape[:1] + (1,) * (nd - len(shape) + 1) + shape[1:])


def _is_array(a):
    return isinstance(a, (Tensor, np.ndarray))


# -- axes ---------------------------------------------------------------------------------------

def reduce_axis(prim, args, batched, axis=None, **params):
    """Reductions (``sum``, ``amax``, ``std``...): ``axis`` shifted; None becomes every example axis.
    Other array arguments broadcast against the example as they did before."""
    x = args[0] if batched[0] else _batch(args[0], _size(args, batched))
    return prim.fn(x, *args[1:], axis=_shift_axes(axis, np.ndim(x) - 1), **params)


def flat_axis(prim, args, batched, axis=None, **params):
    """Ops whose ``axis=None`` means the flattened array (``cumsum``, ``sort``): each example flattened."""
    (x,) = args
    if axis is None:
        return prim.fn(_reshape(x, (np.shape(x)[0], -1)), axis=1, **params)
    return prim.fn(x, axis=_shift(axis), **params)


def axis_param(*names):
    """A rule for ops of one batched array whose ``names`` parameters are axes (int or tuple)."""
    def rule(prim, args, batched, **params):
        args = _all_batched(args, batched)
        for n in names:
            if n in params:  # None: every axis of the example
                params[n] = _shift_axes(params[n], np.ndim(args[0]) - 1)
        return prim.fn(*args, **params)

    rule.__name__ = f"axis_param{names}"
    return rule


def norm_rule(prim, args, batched, axes=None, **params):
    """``nn.batch_norm`` / ``nn.layer_norm``: ``axes`` shifted; a batched weight or bias gets unit axes
    so that its batch axis meets the input's."""
    size = _size(args, batched)
    x = args[0] if batched[0] else _batch(args[0], size)
    nd = np.ndim(x) - 1
    axes = _shift_axes(axes, nd)
    if not any(batched[1:]):
        return prim.fn(x, *args[1:], axes=axes, **params)
    # batched weight or bias (an ensemble, or parameters in vmap(grad)): the affine part on its own,
    # since the row's rules take them to span the normalized axes only
    weight, bias = (_ranked(a, nd) if b and a is not None else a for a, b in zip(args[1:], batched[1:]))
    out = prim.fn(x, None, None, axes=axes, **params)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def stacks(prim, args, batched, **params):
    """Ops that treat leading axes as a stack already (NumPy's linear algebra): every operand batched."""
    return prim.fn(*_all_batched(args, batched), **params)


def solve_rule(prim, args, batched, **params):
    """``solve(a, b)``: a one-axis ``b`` becomes a one-column matrix (NumPy reads a batched vector as a matrix)."""
    a, b = _all_batched(args, batched)
    if np.ndim(b) == 2:  # an example's b is a vector
        out = prim.fn(a, _fn("reshape")(b, shape=np.shape(b) + (1,)) if isinstance(b, Tensor)
                      else np.reshape(b, np.shape(b) + (1,)), **params)
        return _reshape(out, np.shape(out)[:-1])
    return prim.fn(a, b, **params)


# -- shapes -------------------------------------------------------------------------------------

def reshape_rule(prim, args, batched, shape):
    (x,) = args
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return prim.fn(x, shape=(np.shape(x)[0],) + shape)


def transpose_rule(prim, args, batched, axes):
    (x,) = args
    nd = np.ndim(x) - 1
    if axes is None:
        axes = tuple(range(nd))[::-1]
    return prim.fn(x, axes=(0,) + tuple(operator.index(a) % nd + 1 for a in axes))


def broadcast_to_rule(prim, args, batched, shape):
    (x,) = args
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return prim.fn(_ranked(x, len(shape)), shape=(np.shape(x)[0],) + shape)


def sum_to_rule(prim, args, batched, shape):
    (x,) = args
    xs = np.shape(x)[1:]
    shape = tuple(shape)
    if xs == shape:
        return x
    lead = len(xs) - len(shape)
    axes = tuple(range(1, lead + 1)) + tuple(
        lead + 1 + i for i, n in enumerate(shape) if n == 1 and xs[lead + i] != 1)
    out = _fn("sum")(x, axis=axes, keepdims=False)
    return _reshape(out, (np.shape(x)[0],) + shape)


def join_rule(prim, args, batched, axis):
    """``concatenate`` and ``stack``: unbatched operands broadcast along the batch; ``axis`` shifted."""
    xs = _all_batched(args, batched)
    if axis is None:  # concatenate(axis=None): the flattened examples
        return prim.fn(*[_reshape(x, (np.shape(x)[0], -1)) for x in xs], axis=1)
    return prim.fn(*xs, axis=_shift(axis))


def split_rule(prim, args, batched, indices, axis):
    (x,) = args
    return prim.fn(x, indices=indices, axis=_shift(axis))


def roll_rule(prim, args, batched, shift, axis):
    (x,) = args
    if axis is None:
        shape = np.shape(x)
        return _reshape(prim.fn(_reshape(x, (shape[0], -1)), shift=shift, axis=1), shape)
    return prim.fn(x, shift=shift, axis=_shift_axes(axis, None))


def diagonal_rule(prim, args, batched, offset, axis1, axis2):
    (x,) = args
    return prim.fn(x, offset=offset, axis1=_shift(axis1), axis2=_shift(axis2))


def fft_rule(prim, args, batched, s, axes, **params):
    """``fftn`` and friends: ``axes=None`` means every axis, or the last ``len(s)``."""
    (x,) = args
    nd = np.ndim(x) - 1
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    return prim.fn(x, s=s, axes=_shift_axes(tuple(axes), nd), **params)


# -- indexing -----------------------------------------------------------------------------------

def _advanced(i):
    return not (i is None or i is Ellipsis or isinstance(i, slice))


def _batched_part(i):
    return i.__class__.__name__ == "Batched"


def getitem_rule(prim, args, batched, index, _level):
    """``x[index]``: an unbatched index gets a leading full slice; a batched integer index (one per
    example) is paired with ``arange(batch)`` on the batch axis."""
    size = _size(args, batched) if any(batched) else None
    parts = index if isinstance(index, tuple) else (index,)
    if any(_batched_part(p) and p._level is not _level for p in parts):
        raise _Loop  # an index batched at another level
    if any(_batched_part(p) for p in parts):
        size = _level.size
        x = args[0] if batched[0] else _batch(args[0], size)
        if not all(_advanced(p) for p in parts):
            raise _Loop
        phys = [np.asarray(p._phys) if _batched_part(p) else np.asarray(p) for p in parts]
        if any(p.dtype.kind == "b" for p in phys):
            raise _Loop
        nd = max(np.ndim(p) - _batched_part(q) for p, q in zip(phys, parts))
        phys = [p.reshape(p.shape[:1] + (1,) * (nd - p.ndim + 1) + p.shape[1:]) if _batched_part(q) else p
                for p, q in zip(phys, parts)]
        rows = np.arange(size).reshape((size,) + (1,) * nd)
        return prim.fn(x, index=(rows,) + tuple(phys))
    (x,) = args
    out = prim.fn(x, index=(slice(None),) + parts)
    k = _front_axes(parts)
    if k:  # NumPy put the axes of separated advanced indices first: the batch axis must lead
        nd = np.ndim(out)
        out = _transpose(out, (k,) + tuple(range(k)) + tuple(range(k + 1, nd)))
    return out


getitem_rule.batched_params = True


def _front_axes(parts):
    """How many axes NumPy puts first for ``x[:, *parts]`` because ``parts`` has advanced indices
    separated by a slice (then the batch axis is not first), else 0."""
    if not any(_advanced(p) and (np.ndim(p) > 0 or isinstance(p, list)) for p in parts):
        return 0
    pos = [k for k, p in enumerate(parts) if _advanced(p)]
    if pos[-1] - pos[0] + 1 == len(pos):
        return 0
    shapes = [(int(np.count_nonzero(p)),) if np.asarray(p).dtype.kind == "b" else np.shape(p)
              for p in parts if _advanced(p)]
    return len(np.broadcast_shapes(*shapes))


def _transpose(x, perm):
    return _fn("transpose")(x, axes=perm) if isinstance(x, Tensor) else np.transpose(x, perm)


def index_add_rule(prim, args, batched, shape, index):
    """``index_add(g, shape, index)`` (getitem's transpose) with a batched ``g`` and an unbatched index."""
    (g,) = args
    parts = index if isinstance(index, tuple) else (index,)
    k = _front_axes(parts)
    if k:  # g is laid out batch first; NumPy's layout for the index has the advanced axes first
        nd = np.ndim(g)
        g = _transpose(g, tuple(range(1, k + 1)) + (0,) + tuple(range(k + 1, nd)))
    return prim.fn(g, shape=(np.shape(args[0])[0],) + tuple(shape), index=(slice(None),) + parts)


class _Loop(Exception):
    """Raised by a rule for a case it leaves to the loop over the batch."""


# -- products -----------------------------------------------------------------------------------

def _shared(a):
    """The single example of a batched array whose examples are all one array (a stride-0 broadcast),
    or None. Such arrays are the parameters of a model inside ``vmap(grad(...))``."""
    d = a._data if isinstance(a, Tensor) else a
    if type(d) is np.ndarray and d.ndim and d.strides[0] == 0 and d.shape[0] > 1:
        return d
    return None


def matmul_rule(prim, args, batched, **params):
    a, b = args
    ba, bb = batched
    la, lb = np.ndim(a) - ba, np.ndim(b) - bb
    if ba and not bb and lb >= 2 and la == 1:  # a batch of vectors times a matrix: one product
        return prim.fn(a, b)
    if ba and not bb and lb == 2:  # examples (..., n, k) @ (k, m): all their rows times one matrix
        shape = np.shape(a)
        if len(shape) == 2:
            return prim.fn(a, b)
        out = prim.fn(_reshape(a, (-1, shape[-1])), b)
        return _reshape(out, shape[:-1] + np.shape(out)[-1:])
    if bb and not ba and la == 2 and lb == 1:  # one matrix times a batch of vectors: b @ a.T, one GEMM
        return prim.fn(b, _transpose(a, (1, 0)))
    if bb and not ba and la == 2 and lb == 2:  # one matrix times a batch of matrices: (b^T a^T)^T, one GEMM
        size, k, m = np.shape(b)
        bt = _reshape(_transpose(b, (0, 2, 1)), (size * m, k))  # no copy for a column (m == 1)
        out = prim.fn(bt, _transpose(a, (1, 0)))
        return _transpose(_reshape(out, (size, m, np.shape(a)[0])), (0, 2, 1))
    if ba and bb and lb == 2 and _shared(b) is not None:  # parameters inside vmap(grad): one GEMM
        from .shared import shared_matmul

        return shared_matmul(a, b)
    size = _size(args, batched)
    if la == 1:
        a = _reshape(a, np.shape(a)[:-1] + (1,) + np.shape(a)[-1:])
    if lb == 1:
        b = _reshape(b, np.shape(b) + (1,))
    la2, lb2 = max(la, 2), max(lb, 2)
    nd = max(la2, lb2)
    a = _ranked(a, nd) if ba else a
    b = _ranked(b, nd) if bb else b
    if not ba:
        a = _batch(a, size)
    if not bb:
        b = _batch(b, size)
    a = _ranked(a, nd)
    b = _ranked(b, nd)
    out = prim.fn(a, b)
    shape = np.shape(out)
    if la == 1 and lb == 1:
        return _reshape(out, shape[:-2])
    if la == 1:
        return _reshape(out, shape[:-2] + shape[-1:])
    if lb == 1:
        return _reshape(out, shape[:-1])
    return out


def _einsum_parts(subscripts, ops):
    sub = subscripts.replace(" ", "")
    if "->" in sub:
        ins, out = sub.split("->")
        return ins.split(","), out
    ins = sub.split(",")
    letters = [c for c in "".join(ins) if c.isalpha()]
    out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if "..." in sub:
        out = "..." + out
    return ins, out


def einsum_rule(prim, args, batched, subscripts, optimize):
    ins, out = _einsum_parts(subscripts, args)
    used = set("".join(ins) + out)
    z = next(c for c in string.ascii_letters[::-1] if c not in used)
    ins = [z + s if b else s for s, b in zip(ins, batched)]
    return prim.fn(*args, subscripts=",".join(ins) + "->" + z + out, optimize=optimize)


def linear_rule(prim, args, batched, **params):
    """``nn.linear(x, weight, bias)``: a batched input with unbatched weights is the same product over
    more rows; batched weights that are one array (model parameters in ``vmap(grad)``) take one GEMM."""
    x, w, bias = args
    bx, bw, bb = batched
    size = _size(args, batched)
    if not bw and not bb:
        return prim.fn(x if bx else _batch(x, size), w, bias)
    if not bw:  # one weight, a bias per example
        out = prim.fn(x if bx else _batch(x, size), w, None)
        return out + _ranked(bias, np.ndim(out) - 1)
    if bw and _shared(w) is not None:  # parameters inside vmap(grad): one GEMM
        from .shared import shared_matmul

        x = x if bx else _batch(x, size)
        out = shared_matmul(x, _transpose(w, (0, 2, 1)))
        if bias is None:
            return out
        return out + (_ranked(bias, np.ndim(out) - 1) if bb else bias)
    x = x if bx else _batch(x, size)
    w = w if bw else _batch(w, size)
    lead = "abcdefgh"[:np.ndim(x) - 2]  # the row's einsum takes explicit subscripts only
    out = _fn("einsum")(x, w, subscripts=f"z{lead}i,zoi->z{lead}o", optimize=False)
    if bias is not None:
        out = out + (_ranked(bias, np.ndim(out) - 1) if bb else bias)
    return out


def _param(v, level):
    """A parameter of this level's batch as its physical array (batch axis first), else None."""
    if v.__class__.__name__ == "Batched" and v._level is level:
        return v._phys
    return None


def cross_entropy_rule(prim, args, batched, target, w, axis, reduce, _level):
    """``nn.cross_entropy(x, target=, w=)``: the per-sample losses of every example at once (targets and
    weights may be batched), summed per example."""
    (x,) = args
    size = _level.size
    x = x if batched[0] else _batch(x, size)
    tp, wp = _param(target, _level), _param(w, _level)
    if (tp is None and _level_of_value(target)) or (wp is None and _level_of_value(w)):
        raise _Loop  # batched at another level: one example at a time
    target = np.broadcast_to(np.asarray(target), (size,) + np.shape(target)) if tp is None else np.asarray(tp)
    if wp is None:
        w = w if np.ndim(w) == 0 else np.broadcast_to(np.asarray(w), (size,) + np.shape(w))
    else:
        w = wp
    loss = prim.fn(x, target=target, w=w, axis=_shift(axis), reduce=False)
    if reduce:
        nd = np.ndim(loss)
        return _fn("sum")(loss, axis=tuple(range(1, nd)), keepdims=False) if nd > 1 else loss
    return loss


cross_entropy_rule.batched_params = True


def _level_of_value(v):
    return v.__class__.__name__ == "Batched"


# -- convolution and pooling: the batch folded into N --------------------------------------------

def conv_rule(prim, args, batched, **params):
    """``conv(x, w)`` and ``conv_bias(x, w, b)``: unbatched weights fold the batch into N; weights
    that are one array for the batch (parameters inside vmap(grad)) take one convolution too, with
    each example's weight gradient (``vmap.shared_conv``); weights that differ per example (an
    ensemble) on one input take one convolution with every example's filters; inputs and weights
    both per example loop."""
    if not any(batched[1:]):
        return _fold_call(prim, args, params, ())
    x, w = args[0], args[1]
    bias = args[2] if len(args) > 2 else params.pop("b", None)
    size = _size(args, batched)
    if not batched[1]:
        raise _Loop
    if _shared(w) is None:
        if batched[0]:  # inputs and weights both per example: one convolution each (a grouped
            raise _Loop  # convolution of the examples side by side measured slower than the loop)
        out = _stacked_filters_conv(x, w, params)  # an ensemble on one input: every model's filters at once
    else:
        from .shared import shared_conv

        out = shared_conv(x if batched[0] else _batch(x, size), w, **params)
    if bias is None:
        return out
    nd = np.ndim(out) - 1
    b_batched = len(args) > 2 and batched[2]
    # the bias of (O,) per example, against (N, O, *S'): O on axis 1 of the example
    shape = (size if b_batched else 1, 1, np.shape(bias)[-1]) + (1,) * (nd - 2)
    return out + _reshape(bias, shape)


def _stacked_filters_conv(x, w, params):
    """``conv(x, w[i])`` for every example ``i`` of the weights, ``x`` unbatched (N, C, *S): one
    convolution whose output channels are every example's filters (within each group of channels,
    the examples' filters of that group), (N, B * O, *S'), split back to (B, N, O, *S')."""
    ws = np.shape(w)
    size, o, g = ws[0], ws[1], params.get("groups", 1)
    k = len(ws) - 3
    w = _reshape(w, (size, g, o // g) + tuple(ws[2:]))
    w = _reshape(_transpose(w, (1, 0) + tuple(range(2, k + 4))), (size * o,) + tuple(ws[2:]))
    y = _fn("conv")(x, w, **params)
    ys = np.shape(y)
    y = _reshape(y, (ys[0], g, size, o // g) + tuple(ys[2:]))
    y = _transpose(y, (2, 0, 1) + tuple(range(3, k + 4)))
    return _reshape(y, (size, ys[0], o) + tuple(ys[2:]))


def _fold_call(prim, args, params, shape_params):
    x = args[0]
    shape = np.shape(x)
    folded = _reshape(x, (shape[0] * shape[1],) + shape[2:])
    for n in shape_params:
        s = tuple(params[n])
        params[n] = (s[0] * shape[0],) + s[1:]
    out = prim.fn(folded, *args[1:], **params)
    if prim.multiple_results:
        return tuple(_reshape(o, shape[:2] + np.shape(o)[1:]) for o in out)
    return _reshape(out, shape[:2] + np.shape(out)[1:])


def fold_rule(*shape_params):
    """Ops on (N, C, ...) inputs whose other operands are unbatched: the batch folded into N.
    ``shape_params`` name parameters holding the input's shape (their N is multiplied too)."""
    def rule(prim, args, batched, **params):
        if any(batched[1:]) or not batched[0]:
            raise _Loop
        return _fold_call(prim, args, params, shape_params)

    rule.__name__ = f"fold_rule{shape_params}"
    return rule


def axes_rule(prim, args, batched, axes=None, **params):
    """Ops of one array whose ``axes=None`` means every axis (``fftshift``)."""
    (x,) = args
    return prim.fn(x, axes=_shift_axes(axes, np.ndim(x) - 1), **params)


def _fold(x):
    """A batched (B, N, ...) array as (B * N, ...)."""
    shape = np.shape(x)
    return _reshape(x, (shape[0] * shape[1],) + shape[2:])


def pool_windows_rule(prim, args, batched, **params):
    """``pool_windows(x)`` -> (K, N, C, ...): the batch folded into N, then put first again."""
    (x,) = args
    size, n = np.shape(x)[:2]
    out = prim.fn(_fold(x), **params)
    shape = np.shape(out)
    out = _reshape(out, (shape[0], size, n) + shape[2:])
    return _transpose(out, (1, 0) + tuple(range(2, len(shape) + 1)))


def pool_windows_T_rule(prim, args, batched, xshape, **params):
    """``pool_windows_T(v, xshape)``, the transpose of ``pool_windows``: (K, N, C, ...) back to (N, C, ...)."""
    (v,) = args
    shape = np.shape(v)  # (B, K, N, C, ...)
    size = shape[0]
    v = _transpose(v, (1, 0) + tuple(range(2, len(shape))))
    v = _reshape(v, (shape[1], size * shape[2]) + shape[3:])
    out = prim.fn(v, xshape=(size * xshape[0],) + tuple(xshape[1:]), **params)
    return _reshape(out, (size,) + tuple(xshape))


def window_max_rule(prim, args, batched, ties, valid=None):
    """``window_max(v)``, the maximum over the windows' axis 0: that axis put first again."""
    (v,) = args
    nd = np.ndim(v)
    v = _transpose(v, (1, 0) + tuple(range(2, nd)))
    if valid is not None and np.ndim(valid) >= nd - 1:  # it reaches the batch axis's place: give it one
        valid = np.expand_dims(np.asarray(valid), 1)
    return prim.fn(v, ties=ties, valid=valid)


def diagonal_embed_rule(prim, args, batched, shape, offset, axis1, axis2):
    """``diagonal_embed(x, shape)``, the transpose of ``diagonal``: the batch axis leads ``shape``."""
    (x,) = args
    nd = len(shape)
    return prim.fn(x, shape=(np.shape(x)[0],) + tuple(shape), offset=offset, axis1=operator.index(axis1) % nd + 1,
                   axis2=operator.index(axis2) % nd + 1)


def pad_or_crop_rule(prim, args, batched, shape, start=None):
    """``pad_or_crop(x, shape, start)``: the batch axis kept whole, at offset 0."""
    (x,) = args
    return prim.fn(x, shape=(np.shape(x)[0],) + tuple(shape), start=None if start is None else (0,) + tuple(start))


def conv_weight_grad_rule(prim, args, batched, wshape, groups, **params):
    """``conv_weight_grad(x, gy, wshape)`` for a batch of cotangents (a Jacobian of a convolution): the
    examples side by side as groups of channels, one grouped weight-gradient convolution."""
    x, gy = _all_batched(args, batched)
    size = np.shape(x)[0]

    def side(a):  # (B, N, C, *S) -> (N, B * C, *S)
        s = np.shape(a)
        return _reshape(_transpose(a, (1, 0) + tuple(range(2, len(s)))), (s[1], s[0] * s[2]) + tuple(s[3:]))

    out = prim.fn(side(x), side(gy), wshape=(size * wshape[0],) + tuple(wshape[1:]), groups=size * groups, **params)
    return _reshape(out, (size,) + tuple(wshape))


# -- flat gathers and scatters along the last axis (``take_flat`` / ``scatter_flat``) --------------

def _flat_index(index, size, nd, _level):
    """``index`` (a parameter, batched or not) against a batched operand of ``nd`` axes (batch first):
    a batched index gets unit axes after its batch axis so that its leading axes broadcast against
    the operand's; an unbatched one broadcasts as it is (its axes are the last)."""
    p = _param(index, _level)
    if p is None:
        if _level_of_value(index):
            raise _Loop  # batched at another level
        return np.asarray(index)
    p = np.asarray(p._data if isinstance(p, Tensor) else p)
    return p.reshape(p.shape[:1] + (1,) * (nd - p.ndim) + p.shape[1:])


def take_flat_rule(prim, args, batched, index, fill, _level):
    """``take_flat(x, index)``: ``x[..., index]`` for every example at once; a batched index (one per
    example: grid_sample's sampling positions) lines its batch axis up with ``x``'s."""
    (x,) = args
    x = x if batched[0] else _batch(x, _level.size)
    return prim.fn(x, index=_flat_index(index, _level.size, np.ndim(x), _level), fill=fill)


take_flat_rule.batched_params = True


def scatter_flat_rule(prim, args, batched, index, size, _level):
    """``scatter_flat(v, index, size)``, the transpose of ``take_flat``, for every example at once."""
    (v,) = args
    v = v if batched[0] else _batch(v, _level.size)
    return prim.fn(v, index=_flat_index(index, _level.size, np.ndim(v), _level), size=size)


scatter_flat_rule.batched_params = True


# -- recurrent layers: the batch folded into the sequences' N ------------------------------------------

def rnn_layer_rule(nstates):
    """``rnn.lstm_layer`` (two states) and ``rnn.gru_layer`` / ``rnn.rnn_tanh_layer`` (one): ``x`` (T, N, I)
    of every example as one (T, B * N, I) sequence batch, the initial states and the mask the same
    way; the results split back. Weights batched per example take the loop."""
    def rule(prim, args, batched, mask=None, _level=None):
        args, batched = list(args), list(batched)
        nargs = 5 + nstates
        if len(args) > nargs:  # the mask given by position
            mask, args, batched = args[nargs], args[:nargs], batched[:nargs]
        if any(batched[1 + nstates:]):
            raise _Loop
        size = _level.size
        mp = _param(mask, _level)
        if mp is None and _level_of_value(mask):
            raise _Loop  # a mask batched at another level
        x = args[0] if batched[0] else _batch(args[0], size)
        _, t, n, i = np.shape(x)
        xf = _reshape(_transpose(x, (1, 0, 2, 3)), (t, size * n, i))
        states = []
        for s, b in zip(args[1:1 + nstates], batched[1:1 + nstates]):
            s = s if b else _batch(s, size)
            states.append(_reshape(s, (size * n, np.shape(s)[-1])))
        if mask is not None:
            m = np.asarray(mp._data if isinstance(mp, Tensor) else mp) if mp is not None else \
                np.broadcast_to(np.asarray(mask), (size,) + np.shape(mask))
            mask = np.transpose(m, (1, 0, 2)).reshape(t, size * n)
        outs = prim.fn(xf, *states, *args[1 + nstates:], mask=mask)
        h = np.shape(outs[0])[-1]
        hs = _transpose(_reshape(outs[0], (t, size, n, h)), (1, 0, 2, 3))
        return (hs,) + tuple(_reshape(o, (size, n, np.shape(o)[-1])) for o in outs[1:])

    rule.batched_params = True
    rule.__name__ = f"rnn_layer_rule({nstates})"
    return rule


# -- tiled max-pooling's routing (``tiled_route`` / ``tiled_gather``) ---------------------------------

def tiled_rule(prim, args, batched, weights, scale, kernel, _level):
    """``tiled_route`` / ``tiled_gather(v, weights=, scale=)``: the batch folded into N of ``v``
    (N, C, ...), of the routing ``weights`` (K, N, C, ...) and of ``scale`` (N, C, ...), broadcast
    along the batch where they are not batched (a Jacobian's cotangents share one routing)."""
    (v,) = args
    size = _level.size
    v = v if batched[0] else _batch(v, size)
    shape = np.shape(v)
    n = shape[1]

    def fold(p, lead):
        pp = _param(p, _level)
        if pp is None:
            if _level_of_value(p):
                raise _Loop  # batched at another level
            a = np.asarray(p)
            a = np.broadcast_to(a, (size,) + a.shape)
        else:
            a = np.asarray(pp._data if isinstance(pp, Tensor) else pp)
        if lead:
            a = np.moveaxis(a, 0, 1)
        return a.reshape(a.shape[:lead] + (size * n,) + a.shape[lead + 2:])

    out = prim.fn(_reshape(v, (size * n,) + shape[2:]), weights=fold(weights, 1),
                  scale=None if scale is None else fold(scale, 0), kernel=kernel)
    return _reshape(out, (size, n) + np.shape(out)[1:])


tiled_rule.batched_params = True
