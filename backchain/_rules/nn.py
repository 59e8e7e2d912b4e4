"""Fused primitives for neural networks: linear, log_softmax, softmax, sigmoid, cross_entropy, batch_norm, layer_norm.

Each could be written as a composite of ``backchain.numpy`` functions; they are
primitives for speed (one recorded node instead of three to six, and a VJP that
computes only the cotangents that are needed) and, for ``log_softmax`` and
``sigmoid``, for numerical stability: the forward subtracts the maximum, and the
VJPs are written in terms of the output, so large logits never overflow.
Rules use ``backchain.numpy``, so every order of derivative works.
"""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor
from .._vmap import rules as R

__all__ = ["linear", "log_softmax", "softmax", "sigmoid", "cross_entropy", "batch_norm", "layer_norm"]


# -- linear: x @ weight.T + bias, one node -------------------------------------------------

def _linear_impl(x, weight, bias):
    shape = np.shape(x)
    if len(shape) > 2:  # one 2-D product (a single GEMM) rather than a batch of them
        out = np.matmul(np.reshape(x, (-1, shape[-1])), weight.T)
    else:
        out = np.matmul(x, weight.T)
    if bias is not None:
        out = _add_into(out, bias)
    return np.reshape(out, shape[:-1] + (np.shape(weight)[0],)) if len(shape) > 2 else out


def _fits(out, b):
    """Whether ``out op= b`` gives what ``out op b`` would: same dtype and shape, ``out`` a fresh array."""
    return type(out) is np.ndarray and out.ndim >= np.ndim(b) and np.result_type(out, b) == out.dtype


def _add_into(out, b):
    if _fits(out, b):
        out += b  # in place: a fresh temporary of the size of ``out`` costs more than the addition
        return out
    return out + b


def _mul_into(out, b):
    if _fits(out, b):
        out *= b
        return out
    return out * b


def _leading(a):
    """Collapse all but the last axis: (..., n) -> (m, n)."""
    return bnp.reshape(a, (-1, np.shape(a)[-1]))


def _linear_vjp_x(g, ans, x, weight, bias):
    shape = np.shape(g)
    if len(shape) > 2:
        return bnp.reshape(bnp.matmul(_leading(g), weight), shape[:-1] + (np.shape(weight)[-1],))
    return bnp.matmul(g, weight)


def _linear_vjp_weight(g, ans, x, weight, bias):
    return bnp.matmul(bnp.transpose(_leading(g)), _leading(x))


def _linear_vjp_bias(g, ans, x, weight, bias):
    nd = np.ndim(g)
    if nd > 2:
        return bnp.sum(_leading(g), axis=0)
    return bnp.sum(g, axis=0) if nd > 1 else g


linear = primitive(
    "nn.linear", _linear_impl,
    vjp=(_linear_vjp_x, _linear_vjp_weight, _linear_vjp_bias),
    jvp=(lambda t, ans, x, weight, bias: bnp.matmul(t, bnp.transpose(weight)),
         lambda t, ans, x, weight, bias: bnp.matmul(x, bnp.transpose(t)),
         lambda t, ans, x, weight, bias: t),
    doc="``x @ weight.T + bias`` (bias may be None): one node; the VJP of each input only if it is traced.",
    batch=R.linear_rule,
)


# -- log_softmax / softmax along one axis ----------------------------------------------------

def _log_softmax_impl(x, axis):
    if np.size(x) == 0:  # an empty result, as PyTorch's (no reduction over nothing)
        return np.asarray(x) * 1.0
    m = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)  # np.max without its Python layer; empty: -inf
    m = np.where(np.isfinite(m), m, 0)
    shifted = x - m
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_vjp(g, ans, x, axis):
    # d/dx_j sum_i g_i (x_i - lse) = g_j - softmax_j * sum_i g_i
    return g - bnp.exp(ans) * bnp.sum(g, axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis):
    return t - bnp.sum(bnp.exp(ans) * t, axis=axis, keepdims=True)


log_softmax = primitive(
    "nn.log_softmax", _log_softmax_impl, vjp=(_log_softmax_vjp,), jvp=(_log_softmax_jvp,),
    doc="``x - logsumexp(x, axis)``, computed with the maximum subtracted (stable for large logits).",
    batch=R.axis_param("axis"),
)


def _softmax_impl(x, axis):
    m = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    e = x - m
    if type(e) is np.ndarray and e.ndim:  # in place: no further temporaries of the size of x
        np.exp(e, out=e)
        e /= np.add.reduce(e, axis=axis, keepdims=True)
        return e
    e = np.exp(e)
    return e / np.sum(e, axis=axis, keepdims=True)


softmax = primitive(
    "nn.softmax", _softmax_impl,
    vjp=(lambda g, ans, x, axis: ans * (g - bnp.sum(g * ans, axis=axis, keepdims=True)),),
    jvp=(lambda t, ans, x, axis: ans * (t - bnp.sum(ans * t, axis=axis, keepdims=True)),),
    doc="``exp(x) / sum(exp(x), axis)`` with the maximum subtracted.",
    batch=R.axis_param("axis"),
)


# -- sigmoid --------------------------------------------------------------------------------

def _sigmoid_impl(x):
    # 0.5 * (1 + tanh(x / 2)) never overflows, unlike 1 / (1 + exp(-x)).
    return 0.5 + 0.5 * np.tanh(0.5 * x)


sigmoid = primitive("nn.sigmoid", _sigmoid_impl, deriv=(lambda ans, x: ans * (1.0 - ans),),
                    doc="The logistic function, ``1 / (1 + exp(-x))``, stable for every x.")


# -- cross-entropy of logits against class indices, one node -------------------------------------

def _pick(a, target, axis):
    if a.ndim == 2 and axis == 1:  # the common (N, C) case, without take_along_axis's overhead
        return a[np.arange(a.shape[0]), target]
    return np.squeeze(np.take_along_axis(a, np.expand_dims(target, axis), axis=axis), axis=axis)


def _cross_entropy_impl(x, target, w, axis, reduce):
    loss = -_pick(_log_softmax_impl(x, axis), target, axis) * w
    return np.sum(loss) if reduce else loss


def _onehot(target, shape, axis, dtype):
    oh = np.zeros(shape, dtype=dtype)
    if len(shape) == 2 and axis == 1:
        oh[np.arange(shape[0]), target] = 1
        return oh
    np.put_along_axis(oh, np.expand_dims(target, axis), 1, axis=axis)
    return oh


def _cross_entropy_vjp(g, ans, x, target, w, axis, reduce):
    # d/dx_c of -w log softmax(x)_t = w (softmax(x)_c - [c == t])
    if type(x) is np.ndarray and x.ndim == 2 and axis == 1 and not isinstance(g, Tensor):
        # first order on (N, C) arrays, in place on one temporary: this rule runs once per training
        # step, and the composite below costs a dozen small calls
        p = _softmax_impl(x, 1)
        coef = g * w
        p *= coef[:, None] if np.ndim(coef) else coef
        p[np.arange(p.shape[0]), target] -= coef
        return p
    p = softmax(x, axis=axis)
    coef = bnp.expand_dims(g * w, axis)
    # p * coef - onehot * coef, not (p - onehot) * coef: the operations of the in-place route above, so
    # that both give the same bits (a traced step takes this route; coef = 1/N is rarely exact)
    return p * coef - _onehot(target, np.shape(x), axis, p.dtype) * coef


def _cross_entropy_jvp(t, ans, x, target, w, axis, reduce):
    p = softmax(x, axis=axis)
    dt = bnp.sum(p * t, axis=axis) - bnp.squeeze(bnp.take_along_axis(t, np.expand_dims(target, axis), axis=axis),
                                                 axis=axis)
    out = dt * w
    return bnp.sum(out) if reduce else out


cross_entropy = primitive(
    "nn.cross_entropy", _cross_entropy_impl, vjp=(_cross_entropy_vjp,), jvp=(_cross_entropy_jvp,),
    doc="``-w * log_softmax(x, axis)[target]`` per sample (summed if ``reduce``): one node. ``w`` holds the "
        "class weight of each sample's target, 0 where the target is ignored, and the 1/denominator of a mean.",
    batch=R.cross_entropy_rule,
)


# -- batch normalisation (without the affine part), one node --------------------------------------

def _batch_norm_impl(x, axes, eps):
    mean = np.mean(x, axis=axes, keepdims=True)
    c = x - mean
    var = np.mean(c * c, axis=axes, keepdims=True)
    return c / np.sqrt(var + eps)


def _inv_std(x, axes, eps):
    c = x - bnp.mean(x, axis=axes, keepdims=True)
    return 1.0 / bnp.sqrt(bnp.mean(c * c, axis=axes, keepdims=True) + eps)


def _batch_norm_rule(g, ans, x, axes, eps):
    # The Jacobian of x -> (x - mean) / std is symmetric: (I - 1 1^T / n - xh xh^T / n) / std,
    # so the VJP and the JVP are the same formula.
    return _inv_std(x, axes, eps) * (g - bnp.mean(g, axis=axes, keepdims=True)
                                     - ans * bnp.mean(g * ans, axis=axes, keepdims=True))


batch_norm = primitive(
    "nn.batch_norm", _batch_norm_impl, vjp=(_batch_norm_rule,), jvp=(_batch_norm_rule,),
    doc="``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance): one node.",
    batch=R.norm_rule,
)


# -- layer normalisation with its affine part, one node --------------------------------------------

def _layer_norm_impl(x, weight, bias, axes, eps):
    c = x - np.mean(x, axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(np.mean(np.square(c), axis=axes, keepdims=True) + eps)
    out = _mul_into(c, inv)
    if weight is not None:
        out = _mul_into(out, weight)
    if bias is not None:
        out = _add_into(out, bias)
    return out


def _normalized(x, axes, eps):
    """``(xhat, inv_std)`` of ``x`` over ``axes``, in ``backchain.numpy`` (differentiable)."""
    c = x - bnp.mean(x, axis=axes, keepdims=True)
    inv = 1.0 / bnp.sqrt(bnp.mean(c * c, axis=axes, keepdims=True) + eps)
    return c * inv, inv


def _layer_norm_vjp_x(g, ans, x, weight, bias, axes, eps):
    xhat, inv = _normalized(x, axes, eps)
    gx = g if weight is None else g * weight
    return inv * (gx - bnp.mean(gx, axis=axes, keepdims=True) - xhat * bnp.mean(gx * xhat, axis=axes, keepdims=True))


def _over_leading(a, axes):
    """Sum over the axes before the normalised ones: (..., *normalized_shape) -> normalized_shape."""
    lead = tuple(range(np.ndim(a) - len(axes)))
    return bnp.sum(a, axis=lead) if lead else a


def _layer_norm_vjp_weight(g, ans, x, weight, bias, axes, eps):
    return _over_leading(g * _normalized(x, axes, eps)[0], axes)


def _layer_norm_vjp_bias(g, ans, x, weight, bias, axes, eps):
    return _over_leading(g, axes)


def _layer_norm_jvp_x(t, ans, x, weight, bias, axes, eps):
    # the Jacobian of x -> xhat is symmetric (see batch_norm), then the scale by weight
    xhat, inv = _normalized(x, axes, eps)
    out = inv * (t - bnp.mean(t, axis=axes, keepdims=True) - xhat * bnp.mean(t * xhat, axis=axes, keepdims=True))
    return out if weight is None else out * weight


layer_norm = primitive(
    "nn.layer_norm", _layer_norm_impl,
    vjp=(_layer_norm_vjp_x, _layer_norm_vjp_weight, _layer_norm_vjp_bias),
    jvp=(_layer_norm_jvp_x,
         lambda t, ans, x, weight, bias, axes, eps: t * _normalized(x, axes, eps)[0],
         lambda t, ans, x, weight, bias, axes, eps: bnp.broadcast_to(t, np.shape(ans))),
    doc="``(x - mean) / sqrt(var + eps) * weight + bias`` over the trailing ``axes`` (biased variance; weight "
        "and bias of the normalised shape, or None): one node.",
    batch=R.norm_rule,
)
