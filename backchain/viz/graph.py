"""The flow graph of a computation: input nodes, operation nodes, output node.

``bc.viz.graph(y)`` draws what was recorded to compute the Tensor ``y``;
``bc.viz.graph(f, *args)`` records ``f(*args)`` first. The result is DOT text
(``Graph.source``), rendered to SVG or PNG by Graphviz's ``dot`` when it is
installed (Debian: ``apt-get install graphviz``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.tensor import Tensor, _seq

if TYPE_CHECKING:
    from ..nn.module import Module

__all__ = ["Graph", "graph"]


def _label_shape(data):
    if isinstance(data, tuple):
        return " ".join(_label_shape(d) for d in data)
    shape = "×".join(str(s) for s in np.shape(data)) or "scalar"
    return f"{shape} {np.asarray(data).dtype}"


def _quote(s):
    """A DOT string literal; line breaks become DOT's \\n."""
    s = str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


class Graph:
    """A drawn computation graph: ``nodes`` (id -> (kind, label)) and ``edges`` (src, dst).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> g = bc.viz.Graph({0: ("input", "x"), 1: ("op", "exp"), 2: ("output", "y")}, [(0, 1), (1, 2)])
    >>> g
    Graph(2 operations, 2 edges)
    >>> print(g.source.splitlines()[0])
    digraph backchain {
    """

    def __init__(self, nodes: Mapping[int, tuple[str, str]], edges: Sequence[tuple[int, int]], title: str | None = None,
                 clusters: Mapping[str, tuple[str, list[int]]] | None = None) -> None:
        self.nodes = nodes
        self.edges = edges
        self.title = title
        self.clusters = clusters or {}  # module path -> (type, [node ids])

    @property
    def source(self) -> str:
        """The graph in the DOT language."""
        styles = {
            "param": 'shape=box, style="rounded,filled", fillcolor="#dbeafe"',
            "input": 'shape=box, style="rounded,filled", fillcolor="#f3f4f6"',
            "op": 'shape=box, style="filled", fillcolor="#fef3c7"',
            "kink": 'shape=box, style="filled", fillcolor="#fecaca"',
            "output": 'shape=box, style="filled", peripheries=2, fillcolor="#dcfce7"',
        }
        lines = ["digraph backchain {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
        if self.title:
            lines.append(f"  label={_quote(self.title)};")
        clustered = set()
        for k, (path, (kind_name, members)) in enumerate(sorted(self.clusters.items())):
            lines.append(f"  subgraph cluster_{k} {{")
            lines.append(f'    label={_quote(f"{path} ({kind_name})")}; style="rounded,dashed"; color="#6b7280";')
            for nid in members:
                kind, label = self.nodes[nid]
                lines.append(f"    n{nid} [label={_quote(label)}, {styles[kind]}];")
                clustered.add(nid)
            lines.append("  }")
        for nid, (kind, label) in self.nodes.items():
            if nid not in clustered:
                lines.append(f"  n{nid} [label={_quote(label)}, {styles[kind]}];")
        for a, b in self.edges:
            lines.append(f"  n{a} -> n{b};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path: str | os.PathLike[str], format: str | None = None) -> str:
        """Write the picture to ``path`` (format from its suffix: svg, png, pdf, or dot for the text)."""
        path = str(path)
        fmt = format or path.rsplit(".", 1)[-1].lower()
        if fmt in ("dot", "gv"):
            with open(path, "w") as fh:
                fh.write(self.source)
            return path
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(
                "viz.graph.render: Graphviz's 'dot' program was not found; install it "
                "(Debian/Ubuntu: apt-get install graphviz) or write DOT text with a .dot path")
        done = subprocess.run([dot, f"-T{fmt}", "-o", path], input=self.source.encode(), capture_output=True)
        if done.returncode:
            raise RuntimeError(f"viz.graph.render: dot failed: {done.stderr.decode().strip()}")
        return path

    def _repr_svg_(self):
        """The picture, for Jupyter to show inline (None without Graphviz: the repr shows instead)."""
        dot = shutil.which("dot")
        if dot is None:
            return None
        done = subprocess.run([dot, "-Tsvg"], input=self.source.encode(), capture_output=True)
        return done.stdout.decode() if done.returncode == 0 else None

    def __repr__(self) -> str:
        ops = sum(kind != "param" and kind != "input" for kind, _ in self.nodes.values())
        return f"Graph({ops} operations, {len(self.edges)} edges)"


def _names_from(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    return {id(t): name for name, t in params.items() if isinstance(t, Tensor)}


class _ModuleSpans:
    """While a model runs, the span of creation numbers of the nodes each module call made.

    A node belongs to the innermost module whose span holds its creation number.
    """

    def __init__(self, model):
        self.names = {id(m): name for name, m in model.named_modules() if name}
        self.spans = []  # (start, end, path)

    def scope(self, module):
        spans, path = self.spans, self.names.get(id(module))

        class _Scope:
            def __enter__(self_):
                self_.start = next(_seq)

            def __exit__(self_, *exc):
                if path is not None:
                    spans.append((self_.start, next(_seq), path))
                return False

        return _Scope()

    def module_of(self, seq):
        best = None
        for start, end, path in self.spans:
            if start < seq < end and (best is None or end - start < best[1] - best[0]):
                best = (start, end, path)
        return None if best is None else best[2]


def _tensor_leaves(result):
    """The Tensors in a result (a Tensor, or tuples, lists and dicts of them), in order, without recursion."""
    out, stack = [], [result]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            out.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
    return out


def _run_with_spans(fn, model, leaves):
    from ..nn import module as nn_module

    spans = _ModuleSpans(model)
    prev = nn_module.set_call_hook(spans.scope)
    try:
        out = fn(*leaves)
    finally:
        nn_module.set_call_hook(prev)
    return out, spans


def graph(target: Tensor | Callable[..., Any], *args: Any, params: Mapping[str, Tensor] | Module | None = None,
          highlight: Mapping[str, int] | None = None, title: str | None = None, model: Module | None = None,
          collapse: bool = False, depth: int | None = None) -> Graph:
    """Draw the graph recorded for a Tensor, or for ``f(*args)``.

    Parameters
    ----------
    target : Tensor, callable or Module
        A result whose graph was recorded, or a function (a model) to record on ``args``.
    params : dict of name -> Tensor, or a Module, optional
        Names for the leaves (a module's parameters are named by their path).
    highlight : dict of op name -> count, optional
        Operations to highlight (for example kinks hit, from ``bc.kinks.count``).
    model : Module, optional
        With a function ``target``: group the operations by the module call that
        made them (a box per module; ``target`` may itself be the model).
    collapse : bool
        Draw each module as one node (``"path (Type)"`` and its number of
        operations) instead of its operations: the picture of a large model.
    depth : int, optional
        With ``collapse``, group by the first ``depth`` parts of the module path.

    Examples
    --------
    >>> import backchain as bc, backchain.numpy as bnp
    >>> g = bc.viz.graph(lambda x, w: bnp.tanh(x @ w), bnp.ones((2, 3)), bnp.ones((3, 1)))
    >>> sorted(label for kind, label in g.nodes.values() if kind != "output")[:2]
    ['arg0\\n2×3 float64', 'arg1\\n3×1 float64']
    """
    names = _names_from(params)
    spans = None
    if model is None and hasattr(target, "named_modules") and callable(target):
        model = target
    if model is not None and not names:
        names = _names_from(model)
    if callable(target) and not isinstance(target, Tensor):
        leaves = []
        for i, a in enumerate(args):
            t = a if isinstance(a, Tensor) else Tensor(np.asarray(a), requires_grad=np.asarray(a).dtype.kind in "fc")
            names.setdefault(id(t), f"arg{i}")
            leaves.append(t)
        if model is not None:
            target, spans = _run_with_spans(target, model, leaves)
        else:
            target = target(*leaves)
    elif collapse:
        raise ValueError("viz.graph: collapse=True needs the function form, graph(model, *inputs), "
                         "so that operations can be attributed to the module calls that made them")
    outputs = _tensor_leaves(target)  # a model may return several (an LSTM: out, (h, c))
    if not outputs:
        raise TypeError(f"viz.graph: expected a Tensor or a function returning Tensors, got {type(target).__name__}")
    highlight = highlight or {}
    ids, nodes, edges, groups = {}, {}, [], {}
    path_type = {name: type(m).__name__ for name, m in (model.named_modules() if model is not None else ())}

    def module_path(t):
        if spans is None or not isinstance(t, Tensor) or t._prim is None:
            return None
        path = spans.module_of(t._seq)
        if path is not None and depth is not None:
            path = ".".join(path.split(".")[:depth])
        return path

    def node_id(t):
        if collapse:
            path = module_path(t)
            if path is not None:
                key = ("module", path)
                if key not in ids:
                    ids[key] = len(ids)
                return ids[key]
        k = id(t)
        if k not in ids:
            ids[k] = len(ids)
        return ids[k]

    stack, seen = list(reversed(outputs)), set()
    while stack:  # iterative: graphs of any depth
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        nid = node_id(t)
        if t._prim is None:
            name = names.get(id(t))
            kind = "param" if name is not None and not name.startswith("arg") else "input"
            nodes[nid] = (kind, f"{name or 'input'}\n{_label_shape(t._data)}")
        else:
            op = t._prim.name
            path = module_path(t)
            if collapse and path is not None:
                count = groups.get(path, 0) + 1
                groups[path] = count
                ops = f"{count} operation{'s' if count > 1 else ''}"
                nodes[nid] = ("op", f"{path} ({path_type.get(path, 'Module')})\n{ops}")
            else:
                kind = "kink" if highlight.get(op) else "op"
                extra = f"\nkinks hit: {highlight[op]}" if highlight.get(op) else ""
                nodes[nid] = (kind, f"{op}\n{_label_shape(t._data)}{extra}")
                if path is not None:
                    groups.setdefault(path, []).append(nid)
            for p in (t._inputs or ()):
                if isinstance(p, Tensor) and p.requires_grad:
                    pid = node_id(p)
                    if pid != nid:
                        edges.append((pid, nid))
                    stack.append(p)
                elif isinstance(p, (Tensor, np.ndarray)) and np.ndim(p._data if isinstance(p, Tensor) else p):
                    # a constant array (a dropout mask, an attention mask, data): drawn, not entered
                    pid = node_id(p)
                    if pid not in nodes:
                        name = names.get(id(p), f"constant for {op}")
                        nodes[pid] = ("input", f"{name}\n{_label_shape(p._data if isinstance(p, Tensor) else p)}")
                    edges.append((pid, nid))
    for t in outputs:
        out = node_id(t)
        kind, label = nodes[out]
        nodes[out] = ("output", label)
    edges = list(dict.fromkeys(edges))
    clusters = {} if collapse else {path: members for path, members in groups.items()}
    return Graph(nodes, edges, title, clusters={p: (path_type.get(p, "Module"), m) for p, m in clusters.items()})
