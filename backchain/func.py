"""Function transforms for models, in the spirit of ``torch.func``: ``vmap``, ``grad``,
``functional_call``, ``stack_module_state`` and per-example gradients in one line.

>>> import numpy as np, backchain as bc
>>> model = bc.nn.Linear(3, 2)
>>> x, y = np.ones((5, 3), np.float32), np.zeros(5, np.int64)
>>> grads = bc.func.per_example_grads(model, bc.nn.functional.cross_entropy, x, y)
>>> grads["weight"].shape
(5, 2, 3)
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._core.tensor import Tensor
from ._vmap.api import vmap
from .nn import functional_call
from .transforms import grad, hessian, jacobian, jvp, value_and_grad, vjp

__all__ = ["vmap", "grad", "grad_and_value", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "functional_call", "stack_module_state", "per_example_grads"]


def grad_and_value(f: Callable[..., Any], argnums: Any = 0, has_aux: bool = False) -> Callable[..., Any]:
    """``torch.func.grad_and_value``: ``(gradient, value)`` of ``f`` (``value_and_grad`` in the other order).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> g, v = bc.func.grad_and_value(lambda x: bnp.sum(x ** 2))(bnp.array([1.0, 2.0]))
    >>> g, float(v)
    (array([2., 4.]), 5.0)
    """
    vg = value_and_grad(f, argnums, has_aux)

    def run(*args, **kwargs):
        v, g = vg(*args, **kwargs)
        return g, v

    return run


def jacrev(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """The Jacobian by reverse mode: one batched backward sweep over the rows of the identity (JAX's ``jacrev``).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.func.jacrev(lambda x: x ** 2)(bnp.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return jacobian(f, argnums, mode="rev")


def jacfwd(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """The Jacobian by forward mode: one batched forward sweep over the columns of the identity (JAX's ``jacfwd``).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bc.func.jacfwd(lambda x: x ** 2)(bnp.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return jacobian(f, argnums, mode="fwd")


def _arrays(named):
    return {k: np.asarray(v._data if isinstance(v, Tensor) else v) for k, v in named}


def stack_module_state(models: Sequence[Any]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The parameters and buffers of ``models`` (copies of one architecture), stacked along a new first axis.

    ``torch.func.stack_module_state``: with ``functional_call`` and ``vmap`` it evaluates an
    ensemble in one batched call.

    Returns
    -------
    params, buffers : dict
        Dotted name -> array of shape ``(len(models),) + shape``.

    >>> import numpy as np, backchain as bc
    >>> models = [bc.nn.Linear(3, 2) for _ in range(4)]
    >>> params, buffers = bc.func.stack_module_state(models)
    >>> params["weight"].shape
    (4, 2, 3)
    >>> x = np.ones((5, 3), np.float32)
    >>> out = bc.vmap(lambda p: bc.func.functional_call(models[0], p, (x,)))(params)
    >>> out.shape
    (4, 5, 2)
    """
    models = list(models)
    if not models:
        raise ValueError("stack_module_state: expected at least one model, got none")
    states = [(_arrays(m.named_parameters()), _arrays(m.named_buffers())) for m in models]
    first = states[0]
    for k, (p, b) in enumerate(states[1:], 1):
        for what, mine, ref in (("parameters", p, first[0]), ("buffers", b, first[1])):
            if list(mine) != list(ref) or any(mine[n].shape != ref[n].shape for n in ref):
                raise ValueError(f"stack_module_state: model {k} ({type(models[k]).__name__}) has other {what} "
                                 f"than model 0: {[(n, v.shape) for n, v in mine.items()]} against "
                                 f"{[(n, v.shape) for n, v in ref.items()]}")
    params = {n: np.stack([s[0][n] for s in states]) for n in first[0]}
    buffers = {n: np.stack([s[1][n] for s in states]) for n in first[1]}
    return params, buffers


def per_example_grads(model: Any, loss_fn: Callable[[Any, Any], Any], x: Any, y: Any,
                      params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """The gradient of ``loss_fn(model(x_i), y_i)`` with respect to ``model``'s parameters, for each example.

    ``vmap(grad(...))`` over ``functional_call``: each example goes through the model as a batch of
    one (``x[i:i+1]``), so a model and loss written for batches work unchanged; the whole batch is
    one batched computation, not a loop. Used for differentially private training (clip each
    example's gradient), influence functions and gradient-noise diagnostics.

    Parameters
    ----------
    model : bc.nn.Module
    loss_fn : callable
        ``loss_fn(output, target)`` -> scalar, e.g. ``bc.nn.functional.cross_entropy``.
    x, y : arrays
        The inputs and targets, examples along the first axis.
    params : dict, optional
        Dotted name -> array: the parameters to differentiate (default: every parameter that
        requires grad, at its current value). Buffers keep the model's values.

    Returns
    -------
    dict
        Dotted name -> array of shape ``(len(x),) + parameter.shape``.

    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(4, 8), bc.nn.ReLU(), bc.nn.Linear(8, 3))
    >>> x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    >>> y = np.array([0, 1, 2, 0, 1, 2])
    >>> g = bc.func.per_example_grads(model, bc.nn.functional.cross_entropy, x, y)
    >>> g["0.weight"].shape, g["2.bias"].shape
    ((6, 8, 4), (6, 3))
    """
    if params is None:
        params = {k: np.asarray(p._data) for k, p in model.named_parameters() if p.requires_grad}
    n = np.shape(x._data if isinstance(x, Tensor) else x)[0]
    if np.shape(y._data if isinstance(y, Tensor) else y)[0] != n:
        raise ValueError(f"per_example_grads: x has {n} examples but y has "
                         f"{np.shape(y._data if isinstance(y, Tensor) else y)[0]}")

    def loss_of_one(p, xi, yi):
        return loss_fn(functional_call(model, p, (xi[None],)), yi[None])

    return vmap(grad(loss_of_one), in_axes=(None, 0, 0))(dict(params), x, y)
