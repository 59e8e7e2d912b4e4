"""The flow graph of a computation: input nodes, operation nodes, output node.

``bc.viz.graph(y)`` draws what was recorded to compute the Tensor ``y``;
``bc.viz.graph(f, *args)`` records ``f(*args)`` first. The result is DOT text
(``Graph.source``), rendered to SVG or PNG by Graphviz's ``dot`` when it is
installed (Debian: ``apt-get install graphviz``).
"""
import shutil
import subprocess

import numpy as np

from .._core.tensor import Tensor

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
    """A drawn computation graph: ``nodes`` (id -> (kind, label)) and ``edges`` (src, dst)."""

    def __init__(self, nodes, edges, title=None):
        self.nodes = nodes
        self.edges = edges
        self.title = title

    @property
    def source(self):
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
        for nid, (kind, label) in self.nodes.items():
            lines.append(f"  n{nid} [label={_quote(label)}, {styles[kind]}];")
        for a, b in self.edges:
            lines.append(f"  n{a} -> n{b};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path, format=None):
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

    def __repr__(self):
        ops = sum(kind != "param" and kind != "input" for kind, _ in self.nodes.values())
        return f"Graph({ops} operations, {len(self.edges)} edges)"


def _names_from(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    return {id(t): name for name, t in params.items() if isinstance(t, Tensor)}


def graph(target, *args, params=None, highlight=None, title=None):
    """Draw the graph recorded for a Tensor, or for ``f(*args)``.

    Parameters
    ----------
    target : Tensor or callable
        A result whose graph was recorded, or a function to record on ``args``.
    params : dict of name -> Tensor, or a Module, optional
        Names for the leaves (a module's parameters are named by their path).
    highlight : dict of op name -> count, optional
        Operations to highlight (for example kinks hit, from ``bc.kinks.count``).

    Examples
    --------
    >>> import backchain as bc, backchain.numpy as bnp
    >>> g = bc.viz.graph(lambda x, w: bnp.tanh(x @ w), bnp.ones((2, 3)), bnp.ones((3, 1)))
    >>> sorted(label for kind, label in g.nodes.values() if kind != "output")[:2]
    ['arg0\\n2×3 float64', 'arg1\\n3×1 float64']
    """
    names = _names_from(params)
    if callable(target) and not isinstance(target, Tensor):
        leaves = []
        for i, a in enumerate(args):
            t = a if isinstance(a, Tensor) else Tensor(np.asarray(a), requires_grad=np.asarray(a).dtype.kind in "fc")
            names.setdefault(id(t), f"arg{i}")
            leaves.append(t)
        target = target(*leaves)
    if not isinstance(target, Tensor):
        raise TypeError(f"viz.graph: expected a Tensor or a function, got {type(target).__name__}")
    highlight = highlight or {}
    ids, nodes, edges = {}, {}, []

    def node_id(t):
        k = id(t)
        if k not in ids:
            ids[k] = len(ids)
        return ids[k]

    stack, seen = [target], set()
    while stack:  # iterative: graphs of any depth
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        nid = node_id(t)
        if t._prim is None:
            name = names.get(id(t))
            kind = "param" if name is not None and not name.startswith("arg") else "input"
            nodes[nid] = (kind, f"{name or 'input'}\n{_label_shape(t.data)}")
        else:
            op = t._prim.name
            kind = "kink" if highlight.get(op) else "op"
            extra = f"\nkinks hit: {highlight[op]}" if highlight.get(op) else ""
            nodes[nid] = (kind, f"{op}\n{_label_shape(t.data)}{extra}")
            for p in (t._inputs or ()):
                if isinstance(p, Tensor) and p.requires_grad:
                    edges.append((node_id(p), nid))
                    stack.append(p)
                elif isinstance(p, (Tensor, np.ndarray)) and np.ndim(p.data if isinstance(p, Tensor) else p):
                    # a data input (constant array): drawn, not entered
                    pid = node_id(p)
                    if pid not in nodes:
                        name = names.get(id(p), "data")
                        nodes[pid] = ("input", f"{name}\n{_label_shape(p.data if isinstance(p, Tensor) else p)}")
                    edges.append((pid, nid))
    out = node_id(target)
    kind, label = nodes[out]
    nodes[out] = ("output", label)
    return Graph(nodes, edges, title)
