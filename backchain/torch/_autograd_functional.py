"""``torch.autograd.functional``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp`` with PyTorch's
signatures over backchain's transforms (inputs and results are torch Tensors)."""
import numpy as np

import backchain as bc
from .._core.tensor import Tensor as _Base, make_const
from ._tensor import Tensor, as_torch as _as_torch

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp"]


def _arrays(inputs):
    single = not isinstance(inputs, (tuple, list))
    xs = [inputs] if single else list(inputs)
    return [np.asarray(x._data if isinstance(x, _Base) else x) for x in xs], single


def _torch(v):
    if isinstance(v, (tuple, list)):
        return tuple(_torch(x) for x in v)
    return make_const(np.asarray(v._data if isinstance(v, _Base) else v), Tensor)


def _as_torch_args(func):
    def run(*xs):
        return func(*[_as_torch(x) if isinstance(x, _Base) and not isinstance(x, Tensor) else x
                      for x in xs])
    return run


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` (a tuple per input when
    ``inputs`` is a tuple)."""
    xs, single = _arrays(inputs)
    mode = "fwd" if strategy == "forward-mode" else "rev"
    jac = bc.jacobian(_as_torch_args(func), argnums=0 if single else tuple(range(len(xs))), mode=mode)(*xs)
    return _torch(jac)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    xs, single = _arrays(inputs)
    if not single:
        raise NotImplementedError("torch.autograd.functional.hessian of a tuple of inputs is not supported by "
                                  "backchain.torch yet; concatenate them into one tensor")
    return _torch(bc.hessian(_as_torch_args(func))(xs[0]))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``."""
    xs, single = _arrays(inputs)
    out, pullback = bc.vjp(_as_torch_args(func), *xs)
    if v is None:
        v = np.ones_like(np.asarray(out._data if isinstance(out, _Base) else out))
    cts = pullback(np.asarray(v._data if isinstance(v, _Base) else v))
    return _torch(out), _torch(cts[0] if single else cts)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``."""
    xs, single = _arrays(inputs)
    vs, _ = _arrays(v if v is not None else tuple(np.ones_like(x) for x in xs) if not single else np.ones_like(xs[0]))
    out, tangent = bc.jvp(_as_torch_args(func), tuple(xs), tuple(vs))
    return _torch(out), _torch(tangent)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func`` of one tensor."""
    xs, single = _arrays(inputs)
    if not single:
        raise NotImplementedError("torch.autograd.functional.hvp of a tuple of inputs is not supported by "
                                  "backchain.torch yet")
    vv = np.asarray(v._data if isinstance(v, _Base) else v)
    f = _as_torch_args(func)
    return _torch(f(_as_torch(xs[0]))), _torch(bc.hvp(f, xs[0], vv))
