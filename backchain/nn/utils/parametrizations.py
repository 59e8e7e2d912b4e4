"""Weight normalisation and spectral normalisation, as parametrizations and as the older hooks.

``parametrizations.weight_norm(m)`` and ``parametrizations.spectral_norm(m)`` register a
parametrization (``backchain.nn.utils.parametrize``) with PyTorch's names and ``state_dict`` keys
(``parametrizations.weight.original0`` / ``original1`` for the magnitude ``g`` and direction ``v``;
``parametrizations.weight.original`` and ``parametrizations.weight.0._u`` / ``._v`` for spectral
norm). ``weight_norm`` / ``spectral_norm`` in ``backchain.nn.utils`` are the older forms, which keep
``weight_g`` / ``weight_v`` (or ``weight_orig``, ``weight_u``, ``weight_v``) on the module and
recompute ``module.weight`` before every forward.

Spectral normalisation divides the weight by an estimate of its largest singular value, refined by
one step of power iteration per forward in training mode (``n_power_iterations``); the gradient does
not flow through the estimate's vectors ``u``, ``v``, as in Miyato et al. (2018) and PyTorch.

>>> import numpy as np, backchain as bc
>>> lin = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2))
>>> sorted(lin.state_dict())
['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
>>> g = lin.parametrizations.weight.original0.data
>>> bool(np.allclose(np.linalg.norm(lin.weight.data, axis=1, keepdims=True), g))
True
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import numpy as bnp
from ..._core.tensor import Tensor, make_const, no_grad
from ...random import _gen
from ..module import Module, Parameter
from . import parametrize

__all__ = ["weight_norm", "spectral_norm", "norm_except_dim"]


def norm_except_dim(v: Any, pow: float = 2, dim: int = 0) -> Any:
    """The ``pow``-norm of ``v`` over every axis but ``dim``, shaped to broadcast against ``v``
    (``dim=-1``: over all axes, a 0-d value).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.utils.parametrizations.norm_except_dim(np.array([[3.0, 4.0], [0.0, 1.0]]), 2, 0)
    array([[5.],
           [1.]])
    """
    if dim == -1:
        return bnp.sum(bnp.abs(v) ** pow) ** (1.0 / pow) if pow != 2 else bnp.sqrt(bnp.sum(v * v))
    nd = np.ndim(v._data if isinstance(v, Tensor) else v)
    axes = tuple(i for i in range(nd) if i != dim % nd)
    if pow == 2:
        return bnp.sqrt(bnp.sum(v * v, axis=axes, keepdims=True))
    return bnp.sum(bnp.abs(v) ** pow, axis=axes, keepdims=True) ** (1.0 / pow)


def _weight_norm(v, g, dim):
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):  # type: ignore[override]
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (the norm over every axis but ``dim``;
    ``dim=None``: the whole tensor), with ``g`` and ``v`` the trained parameters (Salimans & Kingma, 2016).

    >>> import backchain as bc
    >>> m = bc.nn.utils.parametrizations.weight_norm(bc.nn.Conv2d(2, 3, 3))
    >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
    ((3, 1, 1, 1), (3, 2, 3, 3))
    """
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


def _as_matrix(weight, dim):
    if dim != 0:
        nd = np.ndim(weight._data if isinstance(weight, Tensor) else weight)
        weight = bnp.moveaxis(weight, dim, 0)
    return bnp.reshape(weight, (np.shape(weight._data if isinstance(weight, Tensor) else weight)[0], -1))


def _buffer(array, like):
    """``array`` as a buffer Tensor of the flavour of ``like``'s results (a torch Tensor for a torch weight)."""
    return make_const(np.asarray(array), type(like)._result)


def _normalized(x, eps):
    return x / max(float(np.linalg.norm(x)), eps)


def _power_iteration(w, u, v, n, eps, v_first=False):
    """``n`` steps of power iteration on the matrix ``w`` (an ndarray), writing into ``u`` and ``v``
    (``v_first``: each step updates ``v`` from ``u`` before ``u``, as the older hook does)."""
    for _ in range(n):
        if v_first:
            v[...] = _normalized(w.conj().T @ u, eps)
        u[...] = _normalized(w @ v, eps)
        if not v_first:
            v[...] = _normalized(w.conj().T @ u, eps)


def _default_dim(module):
    from ..layers.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


class _SpectralNorm(Module):
    def __init__(self, weight: Any, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12,
                 generator: Any = None) -> None:
        super().__init__()
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}")
        w = weight._data
        nd = w.ndim
        self.dim = dim if dim >= 0 else dim + nd
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if nd > 1:
            mat = np.asarray(_as_matrix(w, self.dim))
            gen = _gen(generator)
            u = _normalized(gen.standard_normal(mat.shape[0]).astype(w.dtype), eps)
            v = _normalized(gen.standard_normal(mat.shape[1]).astype(w.dtype), eps)
            self.register_buffer("_u", _buffer(u, weight))
            self.register_buffer("_v", _buffer(v, weight))
            _power_iteration(mat, self._u._data, self._v._data, 15, eps)

    def forward(self, weight):  # type: ignore[override]
        if np.ndim(weight._data if isinstance(weight, Tensor) else weight) == 1:
            return weight / bnp.maximum(bnp.sqrt(bnp.sum(weight * weight)), self.eps)
        mat = _as_matrix(weight, self.dim)
        if self.training:
            _power_iteration(np.asarray(mat._data if isinstance(mat, Tensor) else mat),
                             self._u._data, self._v._data, self.n_power_iterations, self.eps)
        u, v = self._u._data.copy(), self._v._data.copy()
        sigma = bnp.dot(u.conj(), bnp.dot(mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Reparametrize ``module.<name>`` as the weight divided by its spectral norm (estimated by power
    iteration, refined in training mode); ``dim`` is the output axis (1 for transposed convolutions).

    >>> import numpy as np, backchain as bc
    >>> m = bc.nn.utils.parametrizations.spectral_norm(bc.nn.Linear(4, 4))
    >>> for _ in range(20):
    ...     _ = m(np.ones((1, 4), dtype=np.float32))  # each training forward refines the estimate
    >>> round(float(np.linalg.svd(m.weight.data, compute_uv=False)[0]), 3)
    1.0
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter or buffer '{name}'")
    dim = _default_dim(module) if dim is None else dim
    return parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))


# -- the older forms: parameters on the module, the weight recomputed by a forward pre-hook -------
class _WeightNormHook:
    what = "weight_norm"

    def __init__(self, name, dim):
        self.name, self.dim = name, dim
        self.params, self.buffers = (name + "_g", name + "_v"), ()

    def final(self, module):
        return self.compute(module)

    def compute(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute(module))


def _refuse_twice(module, name, cls):
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, cls) and hook.name == name:
            raise RuntimeError(f"{cls.what}: cannot register two {cls.what} hooks on the same parameter {name}")


def _remove_hook(module, name, cls):
    """Undo a hook form: ``module.<name>`` becomes a parameter holding the hook's last weight."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, cls) and hook.name == name:
            with no_grad():
                w = hook.final(module)
            make = type(module._parameters[hook.params[-1]])
            del module._forward_pre_hooks[key]
            for p in hook.params:
                del module._parameters[p]
            for b in hook.buffers:
                del module._buffers[b]
            module.__dict__.pop(name, None)
            module.register_parameter(name, make(np.asarray(w._data if isinstance(w, Tensor) else w).copy(),
                                                 requires_grad=True))
            return module
    raise ValueError(f"remove_{cls.what}: {cls.what} of '{name}' not found in {module}")


def old_weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``torch.nn.utils.weight_norm``: ``module.<name>_g`` and ``module.<name>_v`` become the trained
    parameters and ``module.<name>`` is recomputed from them before every forward.

    >>> import backchain as bc
    >>> m = bc.nn.utils.weight_norm(bc.nn.Linear(3, 2))
    >>> list(m.state_dict()), m.weight_g.shape
    (['bias', 'weight_g', 'weight_v'], (2, 1))
    """
    _refuse_twice(module, name, _WeightNormHook)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter '{name}'")
    dim = -1 if dim is None else dim
    make = type(weight)
    del module._parameters[name]
    g = norm_except_dim(weight._data, 2, dim)
    module.register_parameter(name + "_g", make(np.array(g, dtype=weight._data.dtype), requires_grad=True))
    module.register_parameter(name + "_v", make(weight._data.copy(), requires_grad=True))
    hook = _WeightNormHook(name, dim)
    object.__setattr__(module, name, hook.compute(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`weight_norm`: ``module.<name>`` becomes a parameter again, holding ``g * v / ||v||``.

    >>> import backchain as bc
    >>> list(bc.nn.utils.remove_weight_norm(bc.nn.utils.weight_norm(bc.nn.Linear(3, 2))).state_dict())
    ['bias', 'weight']
    """
    return _remove_hook(module, name, _WeightNormHook)


class _SpectralNormHook:
    what = "spectral_norm"

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n, self.dim, self.eps = name, n_power_iterations, dim, eps
        self.params, self.buffers = (name + "_orig",), (name + "_u", name + "_v")

    def final(self, module):
        return self.compute(module, False)

    def compute(self, module, power):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u")._data, getattr(module, self.name + "_v")._data
        mat = _as_matrix(weight, self.dim)
        if power:
            _power_iteration(np.asarray(mat._data), u, v, self.n, self.eps, v_first=True)
        sigma = bnp.dot(u.copy().conj(), bnp.dot(mat, v.copy()))
        return weight / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute(module, module.training))


def old_spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                      dim: int | None = None) -> Module:
    """``torch.nn.utils.spectral_norm``: ``module.<name>_orig`` is trained, ``<name>_u`` and ``<name>_v``
    are buffers, and ``module.<name>`` is recomputed before every forward (power iteration in training).

    >>> import backchain as bc
    >>> list(bc.nn.utils.spectral_norm(bc.nn.Linear(3, 2)).state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    _refuse_twice(module, name, _SpectralNormHook)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter '{name}'")
    if n_power_iterations <= 0:
        raise ValueError(f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}")
    dim = _default_dim(module) if dim is None else dim
    w = weight._data
    mat = np.asarray(_as_matrix(w, dim))
    gen = _gen(None)
    u = _normalized(gen.standard_normal(mat.shape[0]).astype(w.dtype), eps)
    v = _normalized(gen.standard_normal(mat.shape[1]).astype(w.dtype), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", _buffer(u, weight))
    module.register_buffer(name + "_v", _buffer(v, weight))
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    with no_grad():
        object.__setattr__(module, name, hook.compute(module, False))
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``module.<name>`` becomes a parameter holding the normalised weight.

    >>> import backchain as bc
    >>> list(bc.nn.utils.remove_spectral_norm(bc.nn.utils.spectral_norm(bc.nn.Linear(3, 2))).state_dict())
    ['bias', 'weight']
    """
    return _remove_hook(module, name, _SpectralNormHook)
