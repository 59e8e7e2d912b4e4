"""``vmap`` and the derivative transforms called inside it."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .batched import Batched, from_physical, levels, physical_sweep, pop, push, to_physical

__all__ = ["vmap"]


def _tree():
    from .. import transforms

    return transforms


def _arg_names(f, n):
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n):
        if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY, params[i].POSITIONAL_OR_KEYWORD):
            names.append(f"argument {i} ({params[i].name})")
        else:
            names.append(f"argument {i}")
    return names


def _check_axis_spec(spec, what):
    """``spec`` must be an int, None, or a container of them (a pytree prefix)."""
    stack = [spec]
    while stack:
        s = stack.pop()
        if s is None or isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            continue
        if isinstance(s, (tuple, list)):
            stack.extend(s)
        elif isinstance(s, dict):
            stack.extend(s.values())
        else:
            raise TypeError(f"vmap: {what} must be an int, None, or a tuple/list/dict of them, got "
                            f"{type(s).__name__} {s!r}")


def _axes_for(spec, value, where):
    """One axis (or None) per leaf of ``value``, from ``spec``, a prefix of its structure."""
    t = _tree()
    out = []
    stack = [(spec, value, where)]
    while stack:
        s, v, w = stack.pop()
        if s is None or isinstance(s, (int, np.integer)):
            out.extend((s, w) for _ in t.tree_flatten(v)[0])
            continue
        if isinstance(s, dict):
            if not isinstance(v, dict) or set(s) != set(v):
                raise ValueError(f"vmap: the axes {s!r} given for {w} do not match its structure "
                                 f"({t.tree_structure(v)})")
            order = t.dict_order(v)
            stack.extend((s[k], v[k], f"{w}[{k!r}]") for k in reversed(order))
            continue
        if not isinstance(v, (list, tuple)) or isinstance(v, Tensor) or len(s) != len(v):
            raise ValueError(f"vmap: the axes {s!r} given for {w} do not match its structure "
                             f"({t.tree_structure(v)})")
        stack.extend((si, vi, f"{w}[{k}]") for k, (si, vi) in reversed(list(enumerate(zip(s, v)))))
    return out


def _shape(x):
    return np.shape(x._data if isinstance(x, Tensor) and not isinstance(x, Batched) else x)


def _move(x, src, dst):
    if isinstance(x, Tensor):
        from .. import numpy as bnp

        return bnp.moveaxis(x, src, dst)
    return np.moveaxis(np.asarray(x), src, dst)


def vmap(f: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None,
         *, randomness: str = "different", _internal: bool = False, _cls: type | None = None) -> Callable[..., Any]:
    """Vectorize ``f`` over an axis of its arguments: ``vmap(f)(xs)`` stacks ``f(x)`` for each ``x`` in ``xs``.

    With JAX's semantics: ``f`` is written for one example and runs once, on the whole batch, each
    primitive applying its batching rule; arguments and results may be nested tuples, lists and
    dicts of arrays.

    Parameters
    ----------
    f : callable
        The function of one example.
    in_axes : int, None, or a tuple over the positional arguments
        The axis of each argument that is mapped over; None: the argument is the same for every
        example. An entry may itself be a container matching its argument (a prefix of its
        structure). Negative axes count from the end. Keyword arguments are mapped over axis 0.
    out_axes : int, None, or a container matching the result
        Where the batch axis goes in each result; None for a result that does not depend on the
        batch (an error if it does).
    axis_size : int, optional
        The batch size, needed only when no argument is mapped.
    randomness : {"different", "same", "error"}
        Whether random draws inside ``f`` (dropout) differ from one example to the next, are
        shared by the batch, or raise (``torch.func.vmap``'s ``randomness``).

    Returns
    -------
    callable
        The batched function.

    Examples
    --------
    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> bc.vmap(lambda x, w: bnp.dot(w, x), in_axes=(0, None))(np.ones((3, 2)), np.array([1.0, 2.0]))
    array([3., 3., 3.])
    >>> bc.vmap(bc.grad(lambda x: bnp.sum(x ** 3)))(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[ 3., 12.],
           [27., 48.]])
    """
    if not callable(f):
        raise TypeError(f"vmap: expected a function, got {type(f).__name__}")
    _check_axis_spec(in_axes, "in_axes")
    _check_axis_spec(out_axes, "out_axes")
    if isinstance(in_axes, list):  # JAX: a list is a pytree prefix like a tuple
        in_axes = tuple(in_axes)
    if randomness not in ("different", "same", "error"):
        raise ValueError(f"vmap: randomness must be 'different', 'same' or 'error', got {randomness!r}")

    @functools.wraps(f)
    def batched(*args, **kwargs):
        t = _tree()
        names = _arg_names(f, len(args))
        if isinstance(in_axes, tuple):
            if len(in_axes) != len(args):
                raise ValueError(f"vmap: in_axes has {len(in_axes)} entries but the function was called with "
                                 f"{len(args)} positional arguments")
            specs = list(in_axes)
        else:
            specs = [in_axes] * len(args)
        groups = [_axes_for(s, a, n) for s, a, n in zip(specs, args, names)]
        kw_groups = {k: _axes_for(0, v, f"keyword argument {k!r}") for k, v in kwargs.items()}
        sizes = []  # (size, description)
        flat_args = [t.tree_flatten(a) for a in args]
        flat_kw = {k: t.tree_flatten(v) for k, v in kwargs.items()}
        normalized = []
        for (leaves, _), axes in list(zip(flat_args, groups)) + [(flat_kw[k], kw_groups[k]) for k in kwargs]:
            row = []
            for x, (axis, where) in zip(leaves, axes):
                if axis is None:
                    row.append(None)
                    continue
                shape = _shape(x)
                nd = len(shape)
                if not -nd <= axis < nd:
                    raise ValueError(f"vmap: in_axes gives axis {axis} for {where}, of shape {shape}: expected an "
                                     f"axis of its {nd} axes" + (" (a scalar cannot be mapped over; use None)"
                                                                 if nd == 0 else ""))
                axis = axis % nd
                row.append(axis)
                sizes.append((shape[axis], f"{where} of shape {shape}, axis {axis}"))
            normalized.append(row)
        found = {s for s, _ in sizes}
        if len(found) > 1:
            lines = "; ".join(f"size {s}: {w}" for s, w in sizes)
            raise ValueError(f"vmap: the mapped axes have different sizes ({lines})")
        if found:
            size = found.pop()
            if axis_size is not None and axis_size != size:
                raise ValueError(f"vmap: axis_size={axis_size} but the mapped axes have size {size} ({sizes[0][1]})")
        elif axis_size is None:
            raise ValueError("vmap: no argument is mapped over (in_axes is None for every one) and axis_size is "
                             "not given: the batch size is unknown")
        else:
            size = int(axis_size)
        level = push(size, randomness, _internal, _cls)
        try:
            new_args, k = [], 0
            for (leaves, rebuild), row in zip(flat_args, normalized[:len(args)]):
                new_args.append(rebuild([x if ax is None else _wrap(level, x, ax) for x, ax in zip(leaves, row)]))
            new_kwargs = {}
            for name, row in zip(kwargs, normalized[len(args):]):
                leaves, rebuild = flat_kw[name]
                new_kwargs[name] = rebuild([x if ax is None else _wrap(level, x, ax) for x, ax in zip(leaves, row)])
            out = f(*new_args, **new_kwargs)
            return _unbatch_outputs(out, level, out_axes)
        finally:
            pop(level)

    return batched


def _wrap(level, x, axis):
    from .batched import wrap

    if not isinstance(x, Tensor):
        x = np.asarray(x)
    return wrap(level, x if axis == 0 else _move(x, axis, 0))


def _unbatch_outputs(out, level, out_axes):
    t = _tree()
    leaves, rebuild = t.tree_flatten(out)
    axes = _axes_for(out_axes, out, "the output")
    result = []
    for k, (o, (axis, where)) in enumerate(zip(leaves, axes)):
        mine = isinstance(o, Batched) and o._level is level
        if axis is None:
            if mine:
                raise ValueError(f"vmap: out_axes is None for {where} (leaf {k}), but it varies along the mapped "
                                 f"axis (one example has shape {o.shape}); give it an axis")
            result.append(o)
            continue
        if o is None:
            result.append(None)
            continue
        if mine:
            phys = o._phys
        elif isinstance(o, Tensor):
            from .batched import broadcast_batch

            phys = broadcast_batch(o, level.size)
        else:
            a = np.asarray(o)
            phys = np.broadcast_to(a, (level.size,) + a.shape).copy()
        nd = len(np.shape(phys))
        if not -nd <= axis < nd:
            raise ValueError(f"vmap: out_axes gives axis {axis} for {where}, which has {nd} axes with the batch")
        axis %= nd
        result.append(phys if axis == 0 else _move(phys, 0, axis))
    return rebuild(result)


# -- derivatives inside vmap -----------------------------------------------------------------
#
# A transform called inside vmap differentiates the batch at once: its arguments get a leading
# axis for every running vmap (broadcast where they do not vary, so that each example has its own
# variables), the function sees them batched again, and the derivative of the physical function is
# the batch of the examples' derivatives, since the examples do not interact.

def _phys_tree(x, levels):
    t = _tree()
    leaves, rebuild = t.tree_flatten(x)
    return rebuild([to_physical(v, levels) if _mappable(v) else v for v in leaves])


def _logical_tree(x, levels):
    t = _tree()
    leaves, rebuild = t.tree_flatten(x)
    return rebuild([from_physical(v, levels) if _mappable(v) else v for v in leaves])


def _mappable(v):
    return isinstance(v, (Tensor, np.ndarray, np.generic, float, int, complex)) and not isinstance(v, bool)


def active():
    """The running vmaps whose values a function of the user may see (not ``jacobian``'s own)."""
    return [level for level in levels() if not level.internal]


def value_and_grad(f, argnums, has_aux, args, kwargs, what="grad", seed_all=False):
    """``bc.value_and_grad(f, argnums, has_aux)(*args, **kwargs)`` inside vmap (``seed_all``: the
    elementwise gradient, for any output shape)."""
    t = _tree()
    levels = active()
    single, nums = t._argnums(argnums, None, len(args), what)
    aux_box = []

    def physical(*a):
        full = list(a)
        for i in nums:
            full[i] = _logical_tree(a[i], levels)
        res = f(*full, **kwargs)
        if has_aux:
            if not (isinstance(res, tuple) and len(res) == 2):
                raise TypeError(f"{what}(has_aux=True): the function must return a pair (output, aux)")
            aux_box.append(res[1])
            res = res[0]
        return _phys_tree(res, levels)

    phys_args = list(args)
    for i in nums:
        phys_args[i] = _phys_tree(args[i], levels)
    value, backward, outs, trace = t._vjp(physical, phys_args, nums, what)
    batch = tuple(level.size for level in levels)
    if seed_all:
        seeds = [np.ones_like(np.asarray(t._data(o))) for o in outs]
    else:
        o = outs[0] if len(outs) == 1 else None
        shape = np.shape(t._data(o)) if o is not None else None
        if shape != batch:
            what_shape = "a container" if o is None else f"shape {shape[len(batch):]}"
            raise TypeError(f"grad: the function must return a scalar (one element) for each example, got "
                            f"{what_shape}; use vjp or jacobian for non-scalar outputs")
        if np.asarray(t._data(o)).dtype.kind != "f":
            raise TypeError(f"grad: the function must return a real floating-point scalar, got dtype "
                            f"{np.asarray(t._data(o)).dtype}")
        seeds = [np.ones(batch, dtype=np.asarray(t._data(o)).dtype)]
    with physical_sweep():
        grads = backward(seeds, retain=False)
    grads = tuple(_logical_tree(g, levels) for g in grads)
    grads = grads[0] if single else grads
    value = _logical_tree(value, levels)
    if has_aux:
        aux = _logical_tree(_phys_plain(aux_box[0], levels, trace), levels)
        return (value, aux), grads
    return value, grads


def _phys_plain(x, levels, trace):
    t = _tree()
    leaves, rebuild = t.tree_flatten(_phys_tree(x, levels))
    return rebuild([trace.plain(v) for v in leaves])


def vjp(f, primals):
    """``bc.vjp(f, *primals)`` inside vmap."""
    t = _tree()
    levels = active()

    def physical(*a):
        return _phys_tree(f(*[_logical_tree(x, levels) for x in a]), levels)

    phys = [_phys_tree(p, levels) for p in primals]
    value, backward, _, _ = t._vjp(physical, phys, tuple(range(len(phys))), "vjp")

    def vjp_fn(cotangent):
        ct = _phys_tree(cotangent, levels)
        with physical_sweep():
            grads = backward(ct, retain=True)
        return tuple(_logical_tree(g, levels) for g in grads)

    return _logical_tree(value, levels), vjp_fn


def jvp(f, primals, tangents):
    """``bc.jvp(f, primals, tangents)`` inside vmap."""
    t = _tree()
    levels = active()

    def physical(*a):
        return _phys_tree(f(*[_logical_tree(x, levels) for x in a]), levels)

    primals = tuple(_phys_tree(p, levels) for p in primals)
    tangents = tuple(_phys_tree(x, levels) for x in tangents)
    out, t_out = t._jvp(physical, primals, tangents)
    return _logical_tree(out, levels), _logical_tree(t_out, levels)
