"""The optimizer base class: parameter groups, state, ``state_dict`` and ``zero_grad``.

Semantics follow ``torch.optim.Optimizer``: an optimizer holds a list of
parameter groups (dicts with a ``"params"`` list and the hyperparameters of
that group) and a per-parameter ``state`` dict. ``state_dict()`` names
parameters by their integer position across all groups, so a state dict can
be loaded into a fresh optimizer built over the same parameters in the same
order. Updates are written in place into ``p.data`` (a plain ndarray), so no
graph is ever recorded by a step.

Complex parameters: backchain's gradient of a real loss ``f`` at ``z = x + iy``
is ``df/dx - i df/dy`` (HIPS autograd's and JAX's convention; PyTorch's
``.grad`` is its conjugate). Every optimizer steps along the conjugate of
``p.grad``, so that it descends, and treats the real and imaginary parts as two
real parameters (second moments are taken per part), which gives PyTorch's
trajectories exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .._core.tensor import writable
from .._core.tensor import Tensor, bump_version, enable_grad

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of all optimizers.

    Subclasses define ``_update_group(group)``, which applies one step to the
    parameters of a group that have a gradient, and may override
    ``_check_group(group)`` to validate hyperparameters.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The parameters to optimize, or parameter groups: dicts with a
        ``"params"`` entry and per-group hyperparameters that override
        ``defaults``.
    defaults : dict
        The default hyperparameters of every group.

    Examples
    --------
    >>> import backchain as bc
    >>> w = bc.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = bc.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data
    array([0.8, 1.6])
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: Mapping[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._step_count = 0
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or of dicts, but got a single Tensor "
                f"of shape {params.shape}; pass [tensor] or model.parameters()"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # -- groups -------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``"params"`` and optional hyperparameters).

        Useful for fine-tuning: unfreeze layers and give them their own
        learning rate while training goes on.

        >>> import backchain as bc
        >>> a, b = bc.tensor([1.0], requires_grad=True), bc.tensor([2.0], requires_grad=True)
        >>> opt = bc.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry; got keys {sorted(param_group)}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be given in an ordered collection, not a set")
        params = list(params)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same parameter more than once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for k, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors, but parameter {k} of group {len(self.param_groups)} "
                    f"is a {type(p).__name__}"
                )
            if p._data.dtype.kind not in "fc":
                raise TypeError(
                    f"{name}: can only optimize floating point Tensors, but parameter {k} has dtype "
                    f"{p._data.dtype} (shape {p.shape})"
                )
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {k}, produced by "
                                 f"'{p.grad_fn}'); detach() it or use the leaf it came from")
            if id(p) in seen:
                raise ValueError(f"{name}: some parameters appear in more than one parameter group "
                                 f"(parameter {k} of group {len(self.param_groups)}, shape {p.shape})")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)
        self._init_group_state(group)

    def _check_group(self, group):
        if group["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {group['lr']} (expected lr >= 0)")
        if group.get("weight_decay", 0) < 0:
            raise ValueError(f"{type(self).__name__}: invalid weight_decay {group['weight_decay']} "
                             "(expected weight_decay >= 0)")
        if group.get("eps", 0) < 0:
            raise ValueError(f"{type(self).__name__}: invalid eps {group['eps']} (expected eps >= 0)")

    def _init_group_state(self, group):
        """Create state eagerly where PyTorch does (Adagrad); lazily otherwise."""

    # -- stepping -----------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` if given.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (called with gradient
            recording enabled, before the update).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        how = f"{type(self).__name__}.step"
        for group in self.param_groups:
            self._update_group(group)
            for p in group["params"]:
                if p.grad is not None:  # updated in place: a graph that saved p before must not use it
                    bump_version(p, how)
        self._step_count += 1
        # Read by the learning-rate schedulers to warn when they are stepped first.
        self._opt_called = True
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} does not define _update_group")

    def _grads(self, group):
        """Yield (param, grad as an ndarray of the param's dtype) for params with a gradient, negated
        for a group with ``maximize``.

        The gradient of a complex parameter comes conjugated and as its real view (see ``_real``): the
        updates, which read ``_real(p.data)``, treat its real and imaginary parts as two real parameters.
        """
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if isinstance(g, Tensor):
                g = g._data
            g = np.asarray(g)
            if g.shape != p._data.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: the gradient of a parameter of shape {p._data.shape} has "
                    f"shape {g.shape}; expected the same shape"
                )
            if g.dtype != p._data.dtype:
                g = g.astype(p._data.dtype)
            if g.dtype.kind == "c":
                # backchain's gradient is df/dx - i df/dy (autograd's and JAX's convention): the direction
                # of steepest ascent is its conjugate, df/dx + i df/dy (PyTorch's gradient)
                g = _real(np.conj(g))
            if group.get("maximize"):
                g = -g
            writable(p)  # a parameter saved by a graph that has not run backward: update a copy
            yield p, g

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters.

        Parameters
        ----------
        set_to_none : bool
            Set ``.grad`` to None (the default, as in PyTorch) instead of
            filling it with zeros. Parameters whose grad is None are skipped
            by ``step``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif isinstance(p.grad, np.ndarray) and p.grad.flags.writeable:
                    p.grad[...] = 0
                else:
                    p.grad = np.zeros_like(p._data)

    # -- state --------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict, in PyTorch's layout.

        Returns
        -------
        dict
            ``{"state": {index: {name: value}}, "param_groups": [group, ...]}``
            where parameters are named by their position across all groups
            and each group's ``"params"`` is the list of its indices. Arrays
            are copies.

        Examples
        --------
        >>> import backchain as bc
        >>> w = bc.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = bc.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sd["state"][0]["momentum_buffer"], sd["param_groups"][0]["params"]
        (array([2., 4.]), [0])
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state produced by ``state_dict()`` (of an optimizer over the same parameters).

        Floating point state arrays are cast to their parameter's dtype (as
        PyTorch does), except the step count; everything is copied.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups', got "
                             f"{type(state_dict).__name__}"
                             + (f" with keys {sorted(map(str, state_dict))}" if isinstance(state_dict, dict) else ""))
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {k} has {len(saved['params'])} parameters in the "
                    f"state dict and {len(group['params'])} in the optimizer")
        id_map = {}
        for saved, group in zip(saved_groups, self.param_groups):
            for i, p in zip(saved["params"], group["params"]):
                id_map[int(i)] = p
        state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            i = int(i)
            if i not in id_map:
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, which no group lists")
            p = id_map[i]
            new = {}
            for key, value in s.items():
                if isinstance(value, Tensor):
                    value = value._data
                if isinstance(value, np.ndarray):
                    if key != "step" and value.dtype.kind in "fc":
                        if value.ndim and value.shape != p._data.shape:
                            raise ValueError(
                                f"{name}.load_state_dict: state '{key}' of parameter {i} has shape "
                                f"{value.shape}, the parameter has shape {p._data.shape}")
                        value = np.array(value, dtype=p._data.dtype, copy=True)
                    else:
                        value = np.array(value, copy=True)
                    if key == "step" and value.ndim == 0:
                        value = value.item()
                new[key] = value
            state[p] = new
        groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new = {k: (tuple(v) if k == "betas" else v) for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            groups.append(new)
        self.state = state
        self.param_groups = groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _lerp_(a, b, weight):
    """a <- a + weight (b - a), computed the way PyTorch's lerp is (for equal rounding)."""
    if weight < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1 - weight)


def _real(a):
    """``a``, or for a complex array a writable real view of shape ``a.shape + (2,)`` (its real and imaginary
    parts, as ``torch.view_as_real``): the optimizers update them as two real numbers, as PyTorch's do."""
    if a.dtype.kind != "c":
        return a
    return np.lib.stride_tricks.as_strided(a.real, a.shape + (2,), a.strides + (a.itemsize // 2,))
