"""The engine: topological order, the reverse sweep (VJP) and the forward sweep (JVP).

No recursion anywhere: graphs of millions of nodes work. Cotangents are kept in
a dict keyed by ``id(tensor)``; broadcasting is undone in ``fit_cotangent``.
"""
import sys
import weakref

import numpy as np

from .basic import broadcast_to, cast, fit_cotangent, real
from . import anomaly as _anomaly
from . import primitive as _primitive
from .anomaly import InplaceError, _describe
from .primitive import KINK_COUNTING, Joint
from .tensor import MANY, ONE, TRACES, Tensor, _state, heal, make_const
from .versions import WRITES, reads, recorded_write_between, written_after

__all__ = ["toposort", "backward_pass", "forward_pass", "tensor_backward"]


class GraphReleasedError(RuntimeError):
    """Backward through a graph whose saved values an earlier backward released.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> x = bc.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> try:
    ...     y.backward()
    ... except bc.GraphReleasedError as e:
    ...     print(type(e).__name__)
    ...
    GraphReleasedError
    """


def _released(t):
    return GraphReleasedError(
        f"backward: the graph through '{t._prim.name}' (output shape {np.shape(t._data)}) was already "
        "released by an earlier backward. Pass retain_graph=True to the first backward if you need "
        "to run backward through it again."
    )


def _count(roots, boundary):
    """Dependency counts of the non-leaf tensors reachable from ``roots``.

    Tensors created before ``boundary`` (a creation number) are not entered;
    ``outer`` says whether such an older traced tensor was met: the result then
    depends on an enclosing computation.

    Once any storage has been written in place (``WRITES.used``), the counting goes
    through ``_count_checked``, which also checks what the rules read (versions.py).
    """
    if WRITES.used:
        return _count_checked(roots, boundary)
    counts = {}
    stack = []
    for r in roots:
        if isinstance(r, Tensor) and r._prim is not None and id(r) not in counts:
            counts[id(r)] = 0
            stack.append(r)
    starts = list(stack)
    outer = False
    while stack:
        t = stack.pop()
        if t._params is None:
            raise _released(t)
        y = t._y  # the inputs (tensor.py: two slots, ONE or MANY in the second)
        for p in ((t._x,) if y is ONE else t._x if y is MANY else (t._x, y)):
            if isinstance(p, Tensor) and p.requires_grad:
                if p._seq < boundary:
                    outer = True
                elif p._prim is not None:
                    k = id(p)
                    if k in counts:
                        counts[k] += 1
                    else:
                        counts[k] = 1
                        stack.append(p)
    return counts, [r for r in starts if counts[id(r)] == 0], outer


def _where_recorded(t):
    trace = TRACES.get(t)
    if trace is None:
        return " (bc.detect_anomaly() names the line that recorded it)"
    from .anomaly import _where
    return f", recorded at {_where(trace.frame)}"


def _changed(t, what, a, how):
    return InplaceError(
        f"backward: {what} of '{t._prim.name}' ({_describe(a)}) was modified in place by {how} after "
        f"'{t._prim.name}' was recorded{_where_recorded(t)}, and its derivative rule reads that value, "
        "so the gradient would be wrong. Modify a copy (x = x + y instead of x += y), or run backward "
        "before changing it (optimizer.step() after loss.backward()).")


def _check_reads(t, inputs, boundary):
    """Raise if an array that ``t``'s rules will read was written in place after ``t`` was recorded."""
    prim = t._prim
    linear = prim.linear
    if prim.saves is False or (linear and prim.saves is None
                               and sum(isinstance(p, (Tensor, np.ndarray)) for p in inputs) == 1):
        return  # rules that read only the cotangent, or shapes (a linear row of one array)
    vjps = prim.vjps
    seq = t._seq
    positions = set()
    for i, p in enumerate(inputs):
        if not (isinstance(p, Tensor) and p.requires_grad and p._seq >= boundary):
            continue
        rule = vjps[i]
        if rule is None:
            continue
        r = reads(rule)
        r = set(range(len(inputs) + 1)) if r is None else set(r)
        if linear:  # linear in each input: its own value and the output's are read for their shapes only
            r.difference_update((0, i + 1))
        positions.update(r)
    for pos in sorted(positions):
        if pos == 0:
            outs = t._data if type(t._data) is tuple else (t._data,)
            for a in outs:
                w = written_after(a, seq)
                if w is not None:
                    raise _changed(t, "the output", a, w[1])
        elif pos <= len(inputs):
            p = inputs[pos - 1]
            a = p._data if isinstance(p, Tensor) else p
            w = written_after(a, seq)
            if w is not None:
                raise _changed(t, f"input {pos - 1}", a, w[1])


def _count_checked(roots, boundary):
    """``_count``, also checking the nodes against the in-place writes of the storages (versions.py):

    * an input rebound by a later recorded in-place op is replaced by the incarnation the node saw;
    * a node recorded before a write raises if its rules read an array of that storage;
    * an input whose storage a recorded in-place op wrote through another tensor after the input
      was made, but before this node used it, raises: its value is not what its graph computed.
    NOTE: keep in step with ``_count``.
    """
    counts = {}
    stack = []
    for r in roots:
        if isinstance(r, Tensor) and r._prim is not None and id(r) not in counts:
            counts[id(r)] = 0
            stack.append(r)
    starts = list(stack)
    outer = False
    last, last_recorded = WRITES.last, WRITES.last_recorded
    while stack:
        t = stack.pop()
        if t._params is None:
            raise _released(t)
        seq = t._seq
        y = t._y
        inputs = (t._x,) if y is ONE else t._x if y is MANY else (t._x, y)
        for p in inputs:
            if isinstance(p, Tensor) and p._seq > seq:
                inputs = heal(t)
                break
        if seq < last:
            _check_reads(t, inputs, boundary)
        i = -1
        for p in inputs:
            i += 1
            if isinstance(p, Tensor):
                if p._seq < last_recorded and seq > p._seq and not (p._prim is None and p.requires_grad):
                    # a leaf that requires grad has no graph to disagree with its value; a constant
                    # changed through a detach() alias is a constant (PyTorch's semantics)
                    how = recorded_write_between(p._data, p._seq, seq, alias_ok=p._prim is None)
                    if how is not None:
                        raise InplaceError(
                            f"backward: input {i} of '{t._prim.name}' ({_describe(p)}) shares memory with a "
                            f"tensor that {how} changed in place, as a recorded operation, after this input "
                            f"was computed and before '{t._prim.name}' used it{_where_recorded(t)}; its own "
                            "graph does not carry that change, so the gradient would be wrong. Apply the "
                            "in-place operation before taking views of the tensor, or use out-of-place "
                            "operations (y = x * w instead of a view's x.mul_(w)).")
                if p.requires_grad:
                    if p._seq < boundary:
                        outer = True
                    elif p._prim is not None:
                        k = id(p)
                        if k in counts:
                            counts[k] += 1
                        else:
                            counts[k] = 1
                            stack.append(p)
    return counts, [r for r in starts if counts[id(r)] == 0], outer


def toposort(roots, boundary=0):
    """Non-leaf tensors reachable from ``roots``, every tensor before its inputs.

    Returns ``(order, outer)``; see ``_count`` for ``boundary`` and ``outer``.
    """
    counts, ready, outer = _count(roots, boundary)
    order = []
    while ready:
        t = ready.pop()
        order.append(t)
        for p in t._inputs:
            if isinstance(p, Tensor) and p._prim is not None and p.requires_grad and p._seq >= boundary:
                k = id(p)
                c = counts[k] - 1
                counts[k] = c
                if c == 0:
                    ready.append(p)
    return order, outer


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is list:
        return [_add(x, y) for x, y in zip(a, b)]
    return a + b


def _fill(g, ans):
    """Zeros for the missing cotangents of a multiple-result primitive (C order whatever the
    result's layout: ``np.zeros`` takes fresh zeroed pages instead of writing every byte)."""
    return [np.zeros(np.shape(a), np.result_type(a)) if c is None else c for c, a in zip(g, ans)]


# Tensor.register_hook: id(tensor) -> (weak reference, its hooks), called on its gradient when
# backward has it whole. Read once per backward pass: while no tensor has a hook, the sweep pays one
# check per node. (Keyed by id: a Tensor's == is elementwise, so it cannot be a dict key itself.)
HOOKS = {}


def _hooks_of(hooks, t):
    entry = hooks.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


class RemovableHook:
    """What ``Tensor.register_hook`` returns: ``remove()`` takes the hook off (as PyTorch's handle)."""

    __slots__ = ("_key", "_fn")

    def __init__(self, key, fn):
        self._key, self._fn = key, fn

    def remove(self):
        entry = HOOKS.get(self._key)
        if entry is not None and self._fn in entry[1]:
            entry[1].remove(self._fn)
            if not entry[1]:
                del HOOKS[self._key]


def register_hook(t, fn):
    """Call ``fn(grad)`` with ``t``'s gradient each time a backward pass has it whole; a result that
    is not None replaces it (for the rest of the pass, and in a leaf's ``.grad``)."""
    if not callable(fn):
        raise TypeError(f"register_hook: expected a function of the gradient, got {type(fn).__name__}")
    if not t.requires_grad:
        raise RuntimeError(f"register_hook: this tensor ({t.dtype}{list(t.shape)}) does not require grad, so no "
                           "gradient will reach it")
    key = id(t)
    entry = HOOKS.get(key)
    if entry is None or entry[0]() is not t:
        entry = HOOKS[key] = (weakref.ref(t, lambda _, key=key: HOOKS.pop(key, None)), [])
    entry[1].append(fn)
    return RemovableHook(key, fn)


def _run_hooks(fns, g):
    for fn in list(fns):
        out = fn(g)
        if out is not None:
            if np.shape(out) != np.shape(g):
                raise ValueError(f"register_hook: a hook returned shape {np.shape(out)} for a gradient of shape "
                                 f"{np.shape(g)}")
            g = out
    return g


def backward_pass(roots, seeds, boundary=0, create_graph=False, retain_graph=False, capture=None, outer=None):
    """Propagate ``seeds`` (cotangents of ``roots``) backward.

    Returns a dict ``id(leaf) -> (leaf, cotangent)`` for every leaf tensor
    (``_prim is None``, requires grad, created at or after ``boundary``) reached.
    With ``create_graph`` the rules see Tensors and are recorded; otherwise they
    see plain arrays and run under no-grad. ``capture``, a dict keyed by
    ``id(tensor)``, receives the total cotangent of those non-leaf tensors.
    ``outer``, a dict keyed by ``id(tensor)`` of tensors created before
    ``boundary`` (what a checkpointed block closes over), receives theirs; the
    sweep does not go past them. Nodes are visited in topological order
    (Kahn's algorithm on the counts).
    """
    trace = _primitive._trace_hook  # bc.jit traces a first-order sweep: each rule is a call of the program
    if trace is not None and not create_graph:
        create_graph = True
    else:
        trace = None
    counts, ready, _ = _count(roots, boundary)
    grads = {}
    leaves = {}
    for r, s in zip(roots, seeds):
        if not isinstance(r, Tensor) or not r.requires_grad:
            continue
        if r._prim is None:
            leaves[id(r)] = (r, _add(leaves.get(id(r), (None, None))[1], s))
        else:
            grads[id(r)] = _add(grads.get(id(r)), s)
    prev = _state.enabled
    _state.enabled = create_graph
    KINK_COUNTING.paused += 1  # rule evaluations are not forward passes: kinks.count skips them
    pop, push, pop_grad, get_grad = ready.pop, ready.append, grads.pop, grads.get
    anomaly = _primitive._anomaly_hook is not None and _anomaly.active()
    hooks = HOOKS if HOOKS else None
    # A derivative taken while an LD-derivative records (backchain/_ld.py): a rule evaluated at a kink
    # would put its convention into the recorded values, which the LD sweep cannot see through.
    ld = sys.modules.get("backchain._ld") if create_graph else None
    if ld is not None and not ld.RECORDING:
        ld = None
    special = hooks is not None or ld is not None
    if anomaly:
        _anomaly.enter_backward()
    try:
        while ready:
            t = pop()
            if anomaly:
                _anomaly.check_node(t)
            g = pop_grad(id(t), None)
            if special and g is not None:  # tensor hooks, or a derivative inside an LD-derivative
                if ld is not None:
                    ld.refuse_inner_kink(t)
                fns = None if hooks is None else _hooks_of(hooks, t)
                if fns:
                    g = _run_hooks(fns, g)
            if capture is not None and id(t) in capture:
                capture[id(t)] = g
            a, b = t._x, t._y  # the inputs (tensor.py: two slots, ONE or MANY in the second)
            inputs = (a,) if b is ONE else a if b is MANY else (a, b)
            if g is not None:
                params = t._params
                if create_graph:
                    args, ans = inputs, t
                    if type(g) is not list and not isinstance(g, Tensor):
                        g = make_const(g)
                else:
                    ans = t._data
                    if b is ONE:  # unrolled for the usual cases (a comprehension costs 0.1 µs)
                        args = (a._data,)  # a node's only input is a Tensor
                    elif b is MANY:
                        args = [x._data if isinstance(x, Tensor) else x for x in a]
                    else:
                        args = (a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b)
                vjps = t._prim.vjps
                if vjps.__class__ is Joint:  # one evaluation for every input (primitive.Joint)
                    if type(g) is list and not vjps.symbolic_zeros:
                        g = _fill(g, t._data)
                    vjps = (vjps.for_node(inputs, boundary, g, ans, args, params, outer) if trace is None
                            else trace.joint(vjps, inputs, boundary, g, ans, args, params, outer))
                elif type(g) is list:
                    g = _fill(g, t._data)
            i = -1
            for x in inputs:
                i += 1
                if not isinstance(x, Tensor) or not x.requires_grad:
                    continue
                k = id(x)
                older = x._seq < boundary
                if older and (outer is None or k not in outer):
                    continue
                if g is not None:
                    rule = vjps[i]
                    c = (None if rule is None else rule(g, ans, *args, **params) if trace is None
                         else trace.rule(rule, g, ans, args, params))
                    if anomaly and c is not None:
                        _anomaly.check_vjp(t, i, rule, g, ans, args, c)
                    if c is not None:
                        try:  # the common case: already the input's shape and dtype
                            xd = x._data
                            if c.shape != xd.shape or (c.dtype is not xd.dtype and c.dtype != xd.dtype):
                                c = fit_cotangent(c, x)
                        except AttributeError:
                            if type(c) is not list:
                                c = fit_cotangent(c, x)
                        if older:
                            old = outer[k]
                            outer[k] = c if old is None else _add(old, c)
                        elif x._prim is None:
                            old = leaves.get(k)
                            leaves[k] = (x, c if old is None else _add(old[1], c))
                        else:
                            old = get_grad(k)
                            grads[k] = c if old is None else _add(old, c)
                if x._prim is not None and not older:
                    n = counts[k] - 1
                    counts[k] = n
                    if n == 0:
                        push(x)
            if not retain_graph:
                t._x = t._y = t._params = None
    finally:
        _state.enabled = prev
        KINK_COUNTING.paused -= 1
        if anomaly:
            _anomaly.exit_backward()
    return leaves


def forward_pass(outputs, tangents, boundary=0, create_graph=False):
    """Push ``tangents`` (a dict ``id(tensor) -> tangent``) forward to ``outputs``.

    Uses the JVP rules of every node between the seeded tensors and the
    outputs, in topological order. Returns the outputs' tangents (None for zero).
    """
    trace = _primitive._trace_hook  # bc.jit traces a first-order sweep: each rule is a call of the program
    if trace is not None and not create_graph:
        create_graph = True
    else:
        trace = None
    order, _ = toposort(outputs, boundary)
    tan = dict(tangents)
    prev = _state.enabled
    _state.enabled = create_graph
    KINK_COUNTING.paused += 1
    anomaly = _primitive._anomaly_hook is not None and _anomaly.active()
    if anomaly:
        _anomaly.enter_backward()
    try:
        for t in reversed(order):
            if anomaly:
                _anomaly.check_node(t)
            inputs = t._inputs
            prim = t._prim
            params = t._params
            if create_graph:
                args, ans = inputs, t
            else:
                args, ans = [x._data if isinstance(x, Tensor) else x for x in inputs], t._data
            jvps = prim.jvps
            acc = None
            for i, x in enumerate(inputs):
                if not isinstance(x, Tensor):
                    continue
                tx = tan.get(id(x))
                if tx is None:
                    continue
                rule = jvps[i]
                if rule is None:
                    continue
                if type(tx) is list:
                    tx = _fill(tx, x._data)
                c = rule(tx, ans, *args, **params) if trace is None else trace.rule(rule, tx, ans, args, params)
                if c is None:
                    continue
                if anomaly:
                    _anomaly.check_jvp(t, i, rule, tx, ans, args, c)
                acc = _add(acc, c)
            if acc is not None:
                if type(acc) is not list:
                    shape = np.shape(t._data)
                    if np.shape(acc) != shape:
                        acc = broadcast_to(acc, shape)
                    acc = _fit_tangent(acc, t._data)
                tan[id(t)] = acc
    finally:
        _state.enabled = prev
        KINK_COUNTING.paused -= 1
        if anomaly:
            _anomaly.exit_backward()
    return [tan.get(id(o)) for o in outputs]


def _fit_tangent(t, ans):
    """A tangent in its output's dtype, as ``fit_cotangent`` gives a cotangent its input's: a rule
    whose constants are float64 does not turn a float32 result's tangent into float64, and a real
    result keeps the real part of a complex tangent."""
    adt = getattr(ans, "dtype", None)
    tdt = getattr(t, "dtype", None)
    if adt is None or tdt is None or tdt == adt or adt.kind not in "fc":
        return t
    if tdt.kind == "c" and adt.kind != "c":
        t = real(t)
    return t if t.dtype == adt else cast(t, adt)


def tensor_backward(t, grad, retain_graph, create_graph):
    """``Tensor.backward``: accumulate into ``.grad`` of every leaf reached."""
    trace = _primitive._trace_hook  # bc.jit traces: the rules' own calls are the program
    if not t.requires_grad:
        raise RuntimeError(
            f"backward: this tensor (shape {t.shape}, dtype {t.dtype}) does not require grad and has no "
            "graph; set requires_grad=True on the leaves you want gradients for"
        )
    if grad is None:
        if np.size(t._data) != 1:
            raise RuntimeError(
                f"backward: the output has shape {t.shape}; a gradient can be implied only for a "
                "one-element output. Pass grad= (an array of that shape), or reduce it first (e.g. .sum())"
            )
        seed = np.ones_like(t._data)
    else:
        seed = grad._data if (isinstance(grad, Tensor) and not create_graph and trace is None) else grad
        if np.shape(seed) != t.shape:
            raise ValueError(f"backward: grad has shape {np.shape(seed)} but the output has shape {t.shape}")
    leaves = backward_pass([t], [seed], 0, create_graph, retain_graph or create_graph)
    taken = {id(seed)}
    hooks = HOOKS if HOOKS else None
    for leaf, c in leaves.values():
        if hooks is not None:
            fns = _hooks_of(hooks, leaf)
            if fns:
                c = _run_hooks(fns, c)
        kind = np.result_type(leaf._data).kind
        if kind != "f" and kind != "c":  # requires_grad set on an integer tensor by assignment
            raise TypeError(
                f"backward: a leaf of dtype {np.result_type(leaf._data)} (shape {np.shape(leaf._data)}) has "
                "requires_grad=True; only floating point and complex tensors can require gradients (its "
                "gradient would be truncated). Make it float: bc.tensor(x, dtype=float, requires_grad=True)")
        if trace is not None and not create_graph:  # .grad: an array that the traced program computes
            leaf.grad = trace.grad(leaf.grad, c)
            continue
        if not create_graph:
            c = _owned(c._data if isinstance(c, Tensor) else c, taken)
        leaf.grad = c if leaf.grad is None else leaf.grad + c


def _owned(c, taken):
    """``c`` as an array that no other ``.grad`` or the seed shares (so in-place updates are safe)."""
    if type(c) is not np.ndarray or id(c) in taken or not c.flags.owndata or not c.flags.writeable:
        c = np.array(c)
    taken.add(id(c))
    return c
