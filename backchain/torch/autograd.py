"""``torch.autograd``: ``Function`` (forward and backward see torch Tensors), ``grad`` and ``backward``."""
import sys

import numpy as np

import backchain as bc
from .._core.tensor import Tensor as _Base, make_const, no_grad, enable_grad, set_grad_enabled  # noqa: F401
from .._core.engine import backward_pass
from ..custom import FunctionCtx as _Ctx
from .._core.anomaly import detect_anomaly, set_detect_anomaly  # noqa: F401
from ._tensor import Tensor, as_torch
from . import _autograd_functional as functional  # noqa: F401
from . import _forward_ad as forward_ad  # noqa: F401

# `import torch.autograd.functional` and `import torch.autograd.forward_ad` work as with PyTorch's package
sys.modules[__name__ + ".functional"] = functional
sys.modules[__name__ + ".forward_ad"] = forward_ad

__all__ = ["Function", "grad", "backward", "no_grad", "enable_grad", "set_grad_enabled", "Variable",
           "detect_anomaly", "set_detect_anomaly", "functional", "forward_ad", "gradcheck", "gradgradcheck"]


def Variable(data, requires_grad=False, volatile=False):
    """The legacy wrapper: since PyTorch 0.4 a Variable is a Tensor; returns ``data`` as a torch Tensor.

    >>> import backchain.torch as torch
    >>> torch.autograd.Variable(torch.ones(2), requires_grad=True)
    tensor([1., 1.], requires_grad=True)
    """
    t = as_torch(data)
    if requires_grad and not t.requires_grad:
        t.requires_grad_(True)
    return t


def _torch(x):
    return make_const(x, Tensor) if isinstance(x, (np.ndarray, np.generic)) else x


def _raw(x):
    """A constant torch Tensor as its array (the object backchain's Function tracks), others as they are."""
    return x._data if isinstance(x, _Base) and not x.requires_grad else x


def _outputs(out):
    return tuple(_raw(o) for o in out) if isinstance(out, (tuple, list)) else _raw(out)


class FunctionCtx(_Ctx):
    """``ctx``: ``save_for_backward``, ``saved_tensors`` (torch Tensors), ``needs_input_grad``."""

    def save_for_backward(self, *tensors):
        self._saved = tuple(_raw(t) for t in tensors)

    @property
    def saved_tensors(self):
        return tuple(_torch(s) for s in _Ctx.saved_tensors.fget(self))

    def mark_non_differentiable(self, *tensors):
        """Accepted: integer outputs are constants anyway; float outputs still get a (zero) gradient."""

    def set_materialize_grads(self, value):
        """Accepted: backward always receives arrays of zeros for unused outputs."""

    def mark_dirty(self, *tensors):
        raise RuntimeError("mark_dirty: in-place custom Functions are not supported by backchain.torch; return "
                           "a new tensor from forward")


def _wrap(fn):
    def run(ctx, *args):
        ctx.__class__ = FunctionCtx
        return _outputs(fn(ctx, *[_torch(a) for a in args]))
    run.__name__ = fn.__name__
    return staticmethod(run)


class Function(bc.Function):
    """``torch.autograd.Function``: subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``,
    call ``MyFn.apply(*args)``. Both see torch Tensors (constants); ``backward`` returns one gradient per
    argument of ``forward`` (None where there is none).

    >>> import backchain.torch as torch
    >>> class MyReLU(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, input):
    ...         ctx.save_for_backward(input)
    ...         return input.clamp(min=0)
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         input, = ctx.saved_tensors
    ...         grad_input = grad_output.clone()
    ...         grad_input[input < 0] = 0
    ...         return grad_input
    >>> x = torch.tensor([-1.0, 2.0], requires_grad=True)
    >>> MyReLU.apply(x).sum().backward()
    >>> x.grad
    tensor([0., 1.])
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("forward", "backward"):
            f = cls.__dict__.get(name)
            if f is not None:
                setattr(cls, name, _wrap(f.__func__ if isinstance(f, staticmethod) else f))
        if "setup_context" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: forward(ctx, ...) with the ctx argument is supported; the "
                            "setup_context style is not yet in backchain.torch")

    @classmethod
    def apply(cls, *args):
        out = super().apply(*args)
        if isinstance(out, tuple):
            return tuple(as_torch(o) if isinstance(o, (np.ndarray, np.generic)) else o for o in out)
        return as_torch(out) if isinstance(out, (np.ndarray, np.generic)) else out


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` (weighted by ``grad_outputs``) with respect to each of ``inputs``, as a
    tuple; ``.grad`` is left alone. ``create_graph=True`` records them for higher derivatives.

    >>> import backchain.torch as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    >>> g, torch.autograd.grad(g.sum(), x)
    (tensor([ 3., 12.], grad_fn=<MulBackward0>), (tensor([ 6., 12.]),))
    """
    outs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    if grad_outputs is None:
        gos = [None] * len(outs)
    else:
        gos = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
    seeds = []
    for o, g in zip(outs, gos):
        if not isinstance(o, _Base) or not o.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn "
                               f"(autograd.grad: an output of shape {list(np.shape(getattr(o, 'data', o)))})")
        if g is None:
            if np.size(o._data) != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (output of shape "
                                   f"{list(o.shape)}); pass grad_outputs")
            g = np.ones_like(o._data)
        elif isinstance(g, _Base) and not create_graph:
            g = g._data
        seeds.append(g)
    retain = create_graph if retain_graph is None else retain_graph
    capture = {id(x): None for x in ins if isinstance(x, _Base) and x._prim is not None}
    leaves = backward_pass(outs, seeds, 0, create_graph, retain, capture=capture or None)
    result = []
    for x in ins:
        g = capture.get(id(x)) if id(x) in capture else leaves.get(id(x), (None, None))[1]
        if g is None:
            if not allow_unused and not materialize_grads:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            result.append(Tensor(np.zeros_like(x._data)) if materialize_grads else None)
            continue
        if isinstance(g, _Base):
            if type(g) is _Base and g.requires_grad:
                g.__class__ = Tensor  # a fresh node made by this backward
            result.append(g if g.requires_grad else make_const(g._data, Tensor))
        else:
            result.append(make_const(np.asarray(g).astype(x._data.dtype, copy=False), Tensor))
    return tuple(result)


def _gradcheck(order, func, inputs, eps, atol, rtol, raise_exception):
    xs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    arrays = [np.asarray(x._data if isinstance(x, _Base) else x) for x in xs]
    try:
        return bool(bc.gradcheck(func, *arrays, order=order, eps=eps, atol=atol, rtol=rtol))
    except Exception:
        if raise_exception:
            raise
        return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """Compare the derivatives of ``func`` at ``inputs`` with finite differences (backchain's kink-aware
    ``bc.gradcheck``: reverse and forward mode); True, or an error naming the worst element.

    >>> import backchain.torch as torch
    >>> x = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(lambda x: torch.sin(x) * x, (x,))
    True
    """
    return _gradcheck(1, func, inputs, eps, atol, rtol, raise_exception)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **kwargs):
    """:func:`gradcheck` of the second derivatives too.

    >>> import backchain.torch as torch
    >>> x = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradgradcheck(lambda x: torch.sin(x) * x, (x,))
    True
    """
    return _gradcheck(2, func, inputs, eps, atol, rtol, raise_exception)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``t.backward(g)`` for each tensor (and its cotangent) in ``tensors``.

    >>> import backchain.torch as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> torch.autograd.backward([(x * x).sum(), x.sum()])
    >>> x.grad
    tensor([3., 5.])
    """
    ts = list(tensors) if isinstance(tensors, (tuple, list)) else [tensors]
    gs = [None] * len(ts) if grad_tensors is None else (
        list(grad_tensors) if isinstance(grad_tensors, (tuple, list)) else [grad_tensors])
    for k, (t, g) in enumerate(zip(ts, gs)):
        last = k == len(ts) - 1
        t.backward(g, retain_graph=bool(retain_graph) or create_graph or not last, create_graph=create_graph)
