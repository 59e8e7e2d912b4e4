"""``backchain.nn.utils``: gradient clipping, flattening parameters to one vector, ``rnn`` (packed sequences),
``parametrize`` and weight/spectral normalisation."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._core.tensor import writable
from ..._core.tensor import Tensor
from . import rnn, parametrize, parametrizations  # noqa: F401
from .parametrizations import (old_weight_norm as weight_norm, remove_weight_norm,  # noqa: F401
                               old_spectral_norm as spectral_norm, remove_spectral_norm)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "parametrize", "parametrizations", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm"]


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grad_array(p):
    g = p.grad
    return g._data if isinstance(g, Tensor) else np.asarray(g)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> np.float64:
    """Scale the gradients in place so that their total norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one
    vector; ``norm_type`` may be ``inf``. Returns the total norm before clipping.

    >>> import numpy as np, backchain as bc
    >>> p = bc.nn.Parameter(np.zeros(2)); p.grad = np.array([3.0, 4.0])
    >>> float(bc.nn.utils.clip_grad_norm_([p], 1.0)), p.grad.round(6).tolist()
    (5.0, [0.6, 0.8])
    """
    params = [p for p in _params(parameters) if p.grad is not None]
    if not params:
        return np.float64(0.0)
    norm_type = float(norm_type)
    grads = [_grad_array(p) for p in params]
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
                           f"({total}); set error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            if isinstance(p.grad, np.ndarray) and p.grad.flags.writeable:
                p.grad *= np.asarray(coef, dtype=p.grad.dtype)
            else:
                p.grad = p.grad * np.asarray(coef, dtype=_grad_array(p).dtype)
    return np.float64(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clip every gradient element into ``[-clip_value, clip_value]``, in place.

    >>> import numpy as np, backchain as bc
    >>> p = bc.nn.Parameter(np.zeros(2)); p.grad = np.array([-3.0, 0.5])
    >>> bc.nn.utils.clip_grad_value_([p], 1.0); p.grad.tolist()
    [-1.0, 0.5]
    """
    clip_value = float(clip_value)
    for p in _params(parameters):
        if p.grad is None:
            continue
        if isinstance(p.grad, np.ndarray) and p.grad.flags.writeable:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)
        else:
            p.grad = np.clip(_grad_array(p), -clip_value, clip_value)


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> NDArray[Any]:
    """All parameters concatenated into one 1-d ndarray (a copy), in the order given.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensors
        E.g. ``model.parameters()``.

    Returns
    -------
    numpy.ndarray
        1-d; not linked to the parameters (see :func:`vector_to_parameters` for the way back).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w, b = bc.nn.Parameter(np.ones((2, 2))), bc.nn.Parameter(np.zeros(2))
    >>> bc.nn.utils.parameters_to_vector([w, b])
    array([1., 1., 1., 1., 0., 0.])
    """
    return np.concatenate([np.ravel(p._data) for p in _params(parameters)])


def vector_to_parameters(vec: ArrayLike | Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in place (the inverse of
    :func:`parameters_to_vector`).

    Parameters
    ----------
    vec : Tensor or array_like
        1-d, with as many elements as the parameters together.
    parameters : Tensor or iterable of Tensors
        Filled in the order given, each with its own shape and dtype.

    Raises
    ------
    ValueError
        If ``vec`` has a different number of elements.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> net = bc.nn.Linear(2, 1)
    >>> bc.nn.utils.vector_to_parameters(np.arange(3.0), net.parameters())
    >>> net.weight.data, net.bias.data
    (array([[0., 1.]], dtype=float32), array([2.], dtype=float32))
    """
    vec = np.asarray(vec._data if isinstance(vec, Tensor) else vec)
    i = 0
    for p in _params(parameters):
        n = p._data.size
        writable(p)[...] = vec[i:i + n].reshape(p._data.shape)
        i += n
    if i != vec.size:
        raise ValueError(f"vector_to_parameters: the vector has {vec.size} elements, the parameters {i}")
