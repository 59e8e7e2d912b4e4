"""``torch.func``: ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``/``jacfwd``, ``hessian`` and
``functional_call`` and ``vmap`` over backchain's transforms."""
import functools

import numpy as np

import backchain as bc
from backchain.nn import functional_call  # noqa: F401
from .utils.data import _torch_batch as _torch_tree
from .._vmap.batched import Batched, holds_batched
from ._tensor import Tensor
from ._types import Size, to_torch_dtype


def _torch_results(transformed):
    """``transformed`` returning torch Tensors (backchain's transforms return arrays)."""
    @functools.wraps(transformed)
    def run(*args, **kwargs):
        out = transformed(*args, **kwargs)
        if holds_batched([out]):  # inside vmap: the batch's values stay as they are
            return out
        return _torch_tree(out)
    return run

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call", "vmap"]


def grad(func, argnums=0, has_aux=False):
    """The function returning the gradient of ``func`` (a scalar) with respect to argument ``argnums``.

    >>> import backchain.torch as torch
    >>> torch.func.grad(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    """
    return _torch_results(bc.grad(func, argnums=argnums, has_aux=has_aux))


def grad_and_value(func, argnums=0, has_aux=False):
    """The function returning ``(gradient, value)`` of ``func``.

    >>> import backchain.torch as torch
    >>> g, v = torch.func.grad_and_value(lambda x: (x ** 2).sum())(torch.tensor([1.0, 2.0]))
    >>> g, v
    (tensor([2., 4.]), tensor(5.))
    """
    vg = bc.value_and_grad(func, argnums=argnums, has_aux=has_aux)

    def run(*args, **kwargs):
        v, g = vg(*args, **kwargs)
        return _torch_tree((g, v))
    return run


def vjp(func, *primals):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(v)`` gives the tuple of ``v^T J``.

    >>> import backchain.torch as torch
    >>> out, vjp_fn = torch.func.vjp(torch.sin, torch.tensor([0.0, 1.0]))
    >>> vjp_fn(torch.ones(2))
    (tensor([1.0000, 0.5403]),)
    """
    out, pullback = bc.vjp(func, *primals)
    return _torch_tree(out), _torch_results(pullback)


def jvp(func, primals, tangents):
    """``(func(*primals), J tangents)``.

    >>> import backchain.torch as torch
    >>> torch.func.jvp(torch.sin, (torch.tensor([0.0, 1.0]),), (torch.ones(2),))[1]
    tensor([1.0000, 0.5403])
    """
    return _torch_tree(bc.jvp(func, primals, tangents))


def jacrev(func, argnums=0):
    """The Jacobian of ``func`` by reverse mode.

    >>> import backchain.torch as torch
    >>> torch.func.jacrev(lambda x: x ** 2)(torch.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    return _torch_results(bc.jacobian(func, argnums))


def jacfwd(func, argnums=0):
    """The Jacobian of ``func`` by forward mode.

    >>> import backchain.torch as torch
    >>> torch.func.jacfwd(lambda x: x ** 2)(torch.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    return _torch_results(bc.jacobian(func, argnums, mode="fwd"))


def hessian(func, argnums=0):
    """The Hessian of a scalar ``func``.

    >>> import backchain.torch as torch
    >>> torch.func.hessian(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return _torch_results(bc.hessian(func, argnums))


class _TorchBatched(Batched, Tensor):
    """One example inside ``torch.func.vmap``: a batched value with a torch Tensor's methods
    (``x.size(0)``, ``x.view``, ``x.max(0)`` giving ``(values, indices)``), as PyTorch's."""

    __slots__ = ()
    shape = property(lambda self: Size(self._phys.shape[1:]))
    dtype = property(lambda self: to_torch_dtype(self._phys.dtype))
    size = Tensor.size
    data = property(lambda self: self)

    @property
    def _data(self):
        """The same batch with NumPy's meanings, for the library code that reads ``t._data``."""
        v = object.__new__(Batched)
        for k in ("_phys", "_level", "requires_grad", "grad", "_prim", "_x", "_y", "_params", "_seq"):
            setattr(v, k, getattr(self, k))
        return v

    def numel(self):
        return int(np.prod(self._phys.shape[1:], dtype=np.int64))

    def dim(self):
        return self._phys.ndim - 1


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` vectorized over an axis of its arguments: ``backchain.vmap`` with torch's names.

    ``in_dims``/``out_dims`` are ``in_axes``/``out_axes``; ``randomness`` is ``"error"`` (a random draw
    inside raises), ``"different"`` or ``"same"``; ``chunk_size`` is accepted and the batch computed in
    one piece. Inside ``func`` a batched value is a torch Tensor of one example's shape, with PyTorch's
    methods (``x.size(0)``, ``x.view(-1)``, ``x.max(0)`` as ``(values, indices)``).

    >>> import backchain.torch as torch
    >>> torch.func.vmap(lambda x: (x ** 2).sum())(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([ 5., 25.])
    >>> torch.func.vmap(torch.func.grad(lambda x: (x ** 3).sum()))(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[ 3., 12.],
            [27., 48.]])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or a positive integer, got {chunk_size!r}")
    return _torch_results(bc.vmap(func, in_axes=in_dims, out_axes=out_dims, randomness=randomness,
                                  _cls=_TorchBatched))
