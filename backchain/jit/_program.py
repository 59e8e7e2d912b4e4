"""The traced program: a flat list of calls on numbered slots, and its text form.

A slot holds one value of the program: an input array, or the result of a call.
A call names the function that ran at trace time (a primitive's NumPy
implementation, or a NumPy function without derivative such as a comparison),
its arguments (slots, constants, or containers of them) and static keyword
parameters, and the slots it fills. A guard is a call whose result Python read
at trace time (``bool(t)``, ``float(t)``, ``t.item()``): a replay checks that it
reads the same value, and retraces where it does not.
"""
import numpy as np

__all__ = ["Slot", "Call", "Guard", "Program"]


class Slot:
    """A reference to the value in slot ``k`` of the program.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> prog = bc.jit(lambda x: bnp.sin(x) * 2).lower(np.ones(3))
    >>> prog.outputs
    [%2]
    """

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __repr__(self):
        return f"%{self.k}"


class Call:
    """``outs = fn(*args, **params)``; ``multiple``: ``fn`` returns a sequence, one value per slot.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> call = bc.jit(lambda x: bnp.sin(x) * 2).lower(np.ones(3)).calls[0]
    >>> call.name, call.args, call.outs
    ('sin', (%0,), [1])
    """

    __slots__ = ("name", "fn", "args", "params", "outs", "multiple", "prim", "ufunc", "_reads")

    def __init__(self, name, fn, args, params, outs, multiple=False, prim=None, ufunc=None):
        self.name, self.fn, self.args, self.params, self.outs = name, fn, args, params, outs
        self.multiple, self.prim, self.ufunc = multiple, prim, ufunc
        self._reads = None

    @property
    def reads(self):
        """The slots the call reads (its Slots, inside containers too), found once."""
        if self._reads is None:
            self._reads = walk((self.args, self.params))
        return self._reads


class Guard:
    """Python read ``value`` out of ``slot`` at trace time (``kind``: see :func:`read`).

    >>> import numpy as np, backchain as bc
    >>> prog = bc.jit(lambda x: x * 2 if x.sum() > 0 else -x).lower(np.ones(2))
    >>> g = prog.guards[0]
    >>> g.kind, g.value, g.holds(np.bool_(True)), g.holds(np.bool_(False))
    ('bool', True, True, False)
    """

    __slots__ = ("slot", "kind", "value", "site")

    def __init__(self, slot, kind, value, site=None):
        self.slot, self.kind, self.value, self.site = slot, kind, value, site

    def holds(self, a):
        """Whether the value ``a`` reads the same (NaN equals NaN)."""
        e = self.value
        if self.kind == "array":
            a = np.asarray(a)
            return a.shape == e.shape and a.dtype == e.dtype and bool(np.array_equal(a, e, equal_nan=e.dtype.kind in "fc"))
        v = read(self.kind, a)
        if type(v) is not type(e):
            return False
        return v == e or (v != v and e != e)


def read(kind, a):
    """What ``bool(t)`` (``kind="bool"``), ``t.item()`` (``"item"``), ``np.asarray(t)`` (``"array"``)
    give on the array ``a``; ``"value"``: ``a`` itself (a Python value a NumPy function returned)."""
    if kind == "bool":
        return bool(a)
    if kind == "item":
        return np.asarray(a).reshape(()).item()
    if kind == "array":
        return np.array(a)
    return a


def leaves(template):
    """The values inside ``template`` that are not lists, tuples or dicts, without recursion."""
    stack, found = [template], []
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        else:
            found.append(v)
    return found


def walk(template):
    """Every Slot inside ``template`` (nested lists, tuples and dicts), without recursion."""
    return [v.k for v in leaves(template) if v.__class__ is Slot]


def aval_text(aval):
    """``f64[16]``, ``f32[128,10]``, ``i64[]``: a slot's dtype and shape, as a jaxpr writes them."""
    if aval is None:
        return "?"
    shape, dtype = aval
    kind = {"f": "f", "c": "c", "i": "i", "u": "u", "b": "bool"}.get(dtype.kind, dtype.kind)
    name = "bool" if kind == "bool" else f"{kind}{dtype.itemsize * 8}"
    return f"{name}[{','.join(str(n) for n in shape)}]"


def _const_text(v):
    if isinstance(v, np.ndarray):
        if v.size <= 4:
            return np.array2string(v, separator=",").replace("\n", "")
        return f"const:{aval_text((v.shape, v.dtype))}"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_arg_text(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if isinstance(v, np.generic):
        return repr(v.item())
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _arg_text(v):
    return repr(v) if v.__class__ is Slot else _const_text(v)


class Program:
    """A traced function: its input slots, calls and guards in order, and its outputs.

    ``steps`` holds :class:`Call` and :class:`Guard` objects in the order they ran at
    trace time; ``avals[k]`` is the (shape, dtype) of slot ``k`` at trace time
    (None for a value that is not an array); ``outputs`` are Slots or constants, the
    leaves of the function's result, which ``rebuild`` puts back into its structure.
    ``str(program)`` is its text, one line per call, like a jaxpr.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> prog = bc.jit(lambda x: bnp.sin(x) * 2).lower(np.ones(3))
    >>> print(prog)
    { lambda %0:f64[3] .
        %1:f64[3] = sin %0
        %2:f64[3] = multiply %1 2
      in (%2) }
    """

    def __init__(self, name, inputs, steps, outputs, avals, rebuild, input_names=None):
        self.name, self.inputs, self.steps, self.outputs = name, inputs, steps, outputs
        self.avals, self.rebuild = avals, rebuild
        self.layouts = {}  # slot -> an empty array laid out in memory as its traced value (replay buffers)
        self.input_names = input_names or [f"arg{i}" for i in range(len(inputs))]

    @property
    def calls(self):
        """The calls of the program, without its guards."""
        return [s for s in self.steps if s.__class__ is Call]

    @property
    def guards(self):
        """The guards of the program: what Python read from traced values, in order."""
        return [s for s in self.steps if s.__class__ is Guard]

    def __len__(self):
        return len(self.calls)

    def __repr__(self):
        return f"<Program {self.name}: {len(self.inputs)} inputs, {len(self)} calls, {len(self.guards)} guards>"

    def __str__(self):
        lines = []
        ins = ", ".join(f"%{k}:{aval_text(self.avals[k])}" for k in self.inputs)
        lines.append(f"{{ lambda {ins} .")
        for s in self.steps:
            if s.__class__ is Guard:
                value = _const_text(s.value) if s.kind == "array" else repr(s.value)
                where = f"  # {s.site}" if s.site else ""
                lines.append(f"    guard {s.kind}(%{s.slot}) == {value}{where}")
                continue
            outs = ", ".join(f"%{k}:{aval_text(self.avals[k])}" for k in s.outs)
            args = " ".join(_arg_text(a) for a in s.args)
            params = "".join(f" {k}={_arg_text(v)}" for k, v in s.params.items())
            lines.append(f"    {outs} = {s.name} {args}{params}".rstrip())
        outs = ", ".join(_arg_text(o) for o in self.outputs)
        lines.append(f"  in ({outs}) }}")
        return "\n".join(lines)

    def text(self):
        """The program as text, one line per call: outputs with shapes and dtypes, name, inputs."""
        return str(self)

    def graph(self):
        """The program as a :class:`backchain.viz.Graph` (DOT text, rendered with Graphviz): its inputs,
        one node per call or guard, its outputs; an edge per value read.

        >>> import numpy as np, backchain as bc, backchain.numpy as bnp
        >>> g = bc.jit(lambda x: bnp.sin(x) * 2).lower(np.ones(3)).graph()
        >>> sorted(label for kind, label in g.nodes.values())
        ['%0: f64[3]', '%1 = sin\\nf64[3]', '%2 = multiply\\nf64[3]', 'output 0']
        """
        from ..viz.graph import Graph

        nodes, edges, producer = {}, [], {}
        for k in self.inputs:
            nodes[len(nodes)] = ("input", f"%{k}: {aval_text(self.avals[k])}")
            producer[k] = len(nodes) - 1
        for s in self.steps:
            me = len(nodes)
            if s.__class__ is Guard:
                nodes[me] = ("kink", f"guard {s.kind}(%{s.slot})")
                reads = [s.slot]
            else:
                outs = ", ".join(f"%{k}" for k in s.outs)
                nodes[me] = ("op", f"{outs} = {s.name}\n" + " ".join(aval_text(self.avals[k]) for k in s.outs))
                reads = s.reads
                for k in s.outs:
                    producer[k] = me
            edges.extend((producer[k], me) for k in dict.fromkeys(reads) if k in producer)
        for i, o in enumerate(self.outputs):
            me = len(nodes)
            nodes[me] = ("output", f"output {i}")
            if o.__class__ is Slot and o.k in producer:
                edges.append((producer[o.k], me))
        return Graph(nodes, edges, title=f"bc.jit program of {self.name}")
