"""Common subexpressions: a primitive called again on the same inputs with the same parameters is
not run again; its readers read the first call's values.

Rules recompute what the forward pass had: LayerNorm's VJP normalises its input once for the
input's cotangent and once for the weight's (ten calls each), softmax and cross-entropy share
the same maximum and exponentials. A replay runs such a call once. The values are the same bit
for bit: a primitive's implementation is a function of its arguments.

What is merged: calls of one primitive (``Call.prim``: not random draws, copies, writes or the
calls ``_watch.py`` records) whose arguments are the same slots (after earlier merges) and the
same constants (the same array object; numbers of the same type and ``repr``, so ``0.0`` and
``-0.0`` differ). Never merged: calls across a call with effects (an optimizer's step, a write
into a traced array: what a slot holds may change there), and calls whose values the program
returns (each output stays its own array).
"""
import numpy as np

from ._effects import is_effect
from ._program import Call, Guard, Program, Slot

__all__ = ["eliminate"]


def _leaf_key(v, alias):
    if v.__class__ is Slot:
        return ("s", alias.get(v.k, v.k))
    if isinstance(v, np.ndarray):
        return ("a", id(v))
    if isinstance(v, np.generic):
        return ("g", v.dtype.str, v.tobytes())
    if v is None or isinstance(v, (bool, int, float, complex, str, type(Ellipsis))):
        return ("v", type(v).__name__, repr(v))
    if isinstance(v, np.dtype):
        return ("d", v.str)
    if isinstance(v, slice):
        return ("sl", _leaf_key(v.start, alias), _leaf_key(v.stop, alias), _leaf_key(v.step, alias))
    return None


def _key(value, alias):
    """A hashable key of an argument (nested tuples, lists, dicts), or None where a leaf has none."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            out.append(("(" if isinstance(v, tuple) else "[", len(v)))
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            out.append(("{", tuple(v)))
            stack.extend(v[k] for k in reversed(list(v)))
        else:
            k = _leaf_key(v, alias)
            if k is None:
                return None
            out.append(k)
    return tuple(out)


def _substitute(value, alias):
    """``value`` with its Slots renamed by ``alias`` (the same object where none is)."""
    if value.__class__ is Slot:
        k = alias.get(value.k)
        return value if k is None else Slot(k)
    if isinstance(value, (list, tuple)):
        new = [_substitute(v, alias) for v in value]
        if all(a is b for a, b in zip(new, value)):
            return value
        return new if isinstance(value, list) else tuple(new)
    if isinstance(value, dict):
        new = {k: _substitute(v, alias) for k, v in value.items()}
        return value if all(new[k] is value[k] for k in value) else new
    return value


def eliminate(program):
    """``program`` without its repeated primitive calls (a new Program), or ``program`` itself."""
    outputs = {o.k for o in program.outputs if o.__class__ is Slot}
    seen, alias, steps = {}, {}, []
    for s in program.steps:
        if s.__class__ is Guard:
            if s.slot in alias:
                s = Guard(alias[s.slot], s.kind, s.value, s.site)
            steps.append(s)
            continue
        if alias and any(k in alias for k in s.reads):
            s = Call(s.name, s.fn, _substitute(s.args, alias), _substitute(s.params, alias), s.outs, s.multiple,
                     s.prim, s.ufunc)
        if is_effect(s):
            seen.clear()
            steps.append(s)
            continue
        if s.prim is None:
            steps.append(s)
            continue
        key = _key((s.args, s.params), alias)
        if key is None:
            steps.append(s)
            continue
        key = (id(s.fn), len(s.outs), key)
        first = seen.get(key)
        if first is not None and not any(k in outputs for k in s.outs):
            for a, b in zip(first.outs, s.outs):
                alias[b] = a
            continue
        seen[key] = s
        steps.append(s)
    if not alias:
        return program
    new_outputs = [Slot(alias[o.k]) if o.__class__ is Slot and o.k in alias else o for o in program.outputs]
    out = Program(program.name, program.inputs, steps, new_outputs, program.avals, program.rebuild,
                  program.input_names)
    out.layouts = dict(program.layouts)
    for attr in ("state", "modes", "writes", "grads", "n_out"):
        if hasattr(program, attr):
            setattr(out, attr, getattr(program, attr))
    return out
