"""``const_graph``: autograd's cache of a traced graph, replayed on new inputs."""
import functools

import numpy as np

from backchain._core.tensor import Tensor
from backchain.autograd.extend import _Pending

__all__ = ["const_graph"]


def _trace(fun, xs):
    """Run ``fun(*xs)`` with each plain argument made a traced leaf; return ``(out, leaves, start)``, where
    the nodes that the run made are numbered ``start`` or later."""
    start = Tensor(0.0)._seq  # tensors are numbered in order of creation
    leaves = []
    for k, x in enumerate(xs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            a = np.asarray(x)
            if a.dtype.kind not in "fc":
                raise TypeError(f"const_graph: argument {k} is {a.dtype} (shape {a.shape}); only float and complex "
                                "arguments are traced, so a replay could not change it")
            x = Tensor(a, requires_grad=True)
        leaves.append(x)
    return fun(*leaves), leaves, start


class _Ref:
    """An argument of a recorded step: the value of leaf or step ``k`` (leaves first)."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


def _record(out, leaves, start):
    """The steps from ``leaves`` to ``out``: ``(fn, args, params)`` in the order the run made them, an argument
    that the run computed (or a leaf) as a ``_Ref``. Only these are kept, not the run's arrays (no recursion)."""
    found, stack = {}, [out]
    leaf_ids = {id(t) for t in leaves}
    while stack:
        t = stack.pop()
        # a node made by this run: numbered from start on, not one of the leaves
        if isinstance(t, Tensor) and t.requires_grad and t._prim is not None and t._seq >= start \
                and id(t) not in leaf_ids and id(t) not in found:
            if t._inputs is None:
                raise RuntimeError(f"const_graph: the graph of the first call was freed before it was recorded "
                                   f"(at {t._prim.name}); call the function outside a backward pass first")
            found[id(t)] = t
            stack.extend(t._inputs)
    nodes = sorted(found.values(), key=lambda t: t._seq)
    index = {id(t): k for k, t in enumerate(leaves + nodes)}
    steps = []
    for t in nodes:
        impl = t._prim.impl
        fn = impl.owner if isinstance(impl, _Pending) else t._prim.fn  # a backchain.autograd.extend primitive
        args = tuple(_Ref(index[id(p)]) if id(p) in index else p for p in t._inputs)
        steps.append((fn, args, t._params))
    return steps


def _replay(steps, xs):
    """Apply the recorded steps to the arguments ``xs``; the value of the last step."""
    vals = list(xs)
    for fn, args, params in steps:
        vals.append(fn(*[vals[a.k] if a.__class__ is _Ref else a for a in args], **params))
    out = vals[-1]
    return out._data if isinstance(out, Tensor) and not out.requires_grad else out


def const_graph(fun, *args, **kwargs):
    """``fun`` with ``args`` and ``kwargs`` bound, traced once and replayed afterwards (autograd's ``const_graph``).

    The first call runs ``fun`` and records its primitives; later calls apply
    the same primitives to the new arguments without running ``fun`` (the
    Python around them, branches included, is what the first call did, as in
    autograd). The replay is differentiable. The output must be one array that
    depends on the arguments.

    >>> import backchain.autograd.numpy as np
    >>> from backchain.autograd.misc import const_graph
    >>> calls = []
    >>> def f(x):
    ...     calls.append(x)
    ...     return np.sum(np.sin(x) * x)
    >>> g = const_graph(f)
    >>> round(float(g(np.array([1.0, 2.0]))), 4), round(float(g(np.array([0.5, 0.0]))), 4), len(calls)
    (2.6601, 0.2397, 1)
    """
    partial_fun = functools.partial(fun, *args, **kwargs)
    graph = []

    @functools.wraps(fun)
    def replayed(*xs):
        if graph:
            steps, n = graph[0]
            if len(xs) != n:
                raise TypeError(f"const_graph: {getattr(fun, '__name__', 'fun')} was recorded with {n} "
                                f"argument(s), called with {len(xs)}")
            return _replay(steps, xs)
        out, leaves, start = _trace(partial_fun, xs)
        steps = _record(out, leaves, start) if isinstance(out, Tensor) else []
        if not steps:
            raise ValueError(f"const_graph: the output of {getattr(fun, '__name__', 'fun')} is independent of its "
                             "input (or not one array), so there is no graph to replay")
        graph.append((steps, len(leaves)))
        traced_in = any(isinstance(x, Tensor) and x.requires_grad for x in xs)
        return out if traced_in else out._data

    return replayed
