"""Guards and side effects: a replay that fails a guard never leaves an effect applied twice.

A replay runs a few calls with effects outside the program's values: an optimizer's step (the
parameters and the optimizer's state, in place), the SGD update rewritten in place
(``_patterns.py``), a random draw (the generator's state). When a guard after such a call fails,
the function is traced again from its start, which runs the effect once more: a training step
whose branch reads the loss after ``opt.step()`` would update the parameters twice.

Two measures keep the replay equal to the eager calls:

- :func:`hoist_guards` moves every guard to just after the call that makes the value it reads
  (a guard reads one value and has no effect, so it can run as soon as the value exists): a branch
  on the loss then fails before the optimizer's step runs;
- a guard that still comes after an effect (it reads a value the effect changed, such as a
  parameter after the step) is *late*: a replay of such a program first takes a :class:`Snapshot`
  of what the effects change, and a late guard's failure restores it before tracing again.
"""
import copy

import numpy as np

from ._program import Call, Guard, Program

__all__ = ["hoist_guards", "is_effect", "late_guards", "Snapshot"]


def _effect_fns():
    from ._watch import _copied, _draw, _draw_from, _run_step, _setitem, _write_call

    return (_run_step, _draw, _draw_from, _write_call, _copied, _setitem)


def is_effect(step):
    """Whether ``step`` changes something outside the program's values when a replay runs it (or is a
    write into a traced array, whose value the replay writes back)."""
    if step.__class__ is not Call:
        return False
    if step.name == "sgd_update":
        return True
    fn = step.fn
    return getattr(fn, "func", fn) in _effect_fns()


def hoist_guards(program):
    """``program`` with each guard, and the calls without effects that compute the value it reads,
    run as early as their inputs allow: a guard on the loss then runs before an optimizer's step that
    the function called before its ``if``. Calls with effects keep their order, and so do the other
    calls. Returns ``program`` itself when nothing moves."""
    steps = program.steps
    if not any(s.__class__ is Guard for s in steps):
        return program
    made_at = {}
    for i, s in enumerate(steps):
        if s.__class__ is Call:
            for k in s.outs:
                made_at[k] = i
    deps = [[made_at[k] for k in ([s.slot] if s.__class__ is Guard else s.reads) if k in made_at]
            for s in steps]
    # the guards and the calls without effects that they depend on (not through a call with an effect)
    early, stack = set(), [i for i, s in enumerate(steps) if s.__class__ is Guard]
    while stack:
        i = stack.pop()
        if i in early:
            continue
        early.add(i)
        stack.extend(j for j in deps[i] if j not in early and not is_effect(steps[j]))
    done = [False] * len(steps)
    order, waiting = [], sorted(early)

    def ready():
        nonlocal waiting
        moved = True
        while moved:
            moved, rest = False, []
            for j in waiting:
                if all(done[d] for d in deps[j]):
                    done[j] = True
                    order.append(j)
                    moved = True
                else:
                    rest.append(j)
            waiting = rest

    for i in range(len(steps)):
        ready()
        if i in early:
            continue
        done[i] = True
        order.append(i)
    ready()
    if order == list(range(len(steps))):
        return program
    out = Program(program.name, program.inputs, [steps[i] for i in order], program.outputs, program.avals,
                  program.rebuild, program.input_names)
    out.layouts = program.layouts
    return out


def late_guards(program):
    """Whether some guard of ``program`` comes after a call with an effect."""
    seen = False
    for s in program.steps:
        if s.__class__ is Guard:
            if seen:
                return True
        elif is_effect(s):
            seen = True
    return False


class Snapshot:
    """What a replay's effects may change, taken before it runs: the arrays and ``.grad`` of the
    program's state (a module's parameters and buffers), the state and settings of the optimizers
    it steps, the generators it draws from. :meth:`restore` puts them back."""

    def __init__(self, program, steps):
        from ._watch import _draw, _draw_from, _run_step
        from .. import random as _random

        self.tensors = []
        for t in program.state:
            d, g = t._data, t.grad
            self.tensors.append((t, d, d.copy(), g, g.copy() if isinstance(g, np.ndarray) else g))
        self.optimizers, self.generators, seen = [], [], set()
        for s in steps:
            if s.__class__ is not Call:
                continue
            fn = getattr(s.fn, "func", None)
            if fn is _run_step:
                opt = s.fn.args[0]
                if id(opt) not in seen:
                    seen.add(id(opt))
                    groups = [{k: copy.deepcopy(v) for k, v in g.items() if k != "params"} for g in opt.param_groups]
                    state = {p: copy.deepcopy(v) for p, v in opt.state.items()}
                    self.optimizers.append((opt, state, groups))
                    for p in (p for g in opt.param_groups for p in g["params"]):
                        if not any(p is t for t, *_ in self.tensors):
                            g = p.grad
                            self.tensors.append((p, p._data, p._data.copy(), g,
                                                 g.copy() if isinstance(g, np.ndarray) else g))
            elif fn is _draw or fn is _draw_from:
                gen = _random.default_generator() if fn is _draw else s.fn.args[0]
                if id(gen) not in seen:
                    seen.add(id(gen))
                    self.generators.append((gen, gen.bit_generator.state))

    def restore(self):
        for t, d, saved, g, gsaved in self.tensors:
            np.copyto(d, saved)
            t._data = d
            if isinstance(g, np.ndarray):
                np.copyto(g, gsaved)
            t.grad = g
        for opt, state, groups in self.optimizers:
            opt.state.clear()
            opt.state.update(state)
            for g, saved in zip(opt.param_groups, groups):
                g.update(saved)
        for gen, state in self.generators:
            gen.bit_generator.state = state
