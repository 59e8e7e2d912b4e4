"""PyTorch's printing of tensors: ``tensor([1., 2.], grad_fn=<MulBackward0>)``, 4 decimals, a common
width, scientific notation when the magnitudes span more than 1000, summaries past 1000 elements.

Built bottom-up with loops (no recursion), the last axis first.
"""
import math

import numpy as np

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


class _Formatter:
    """torch._tensor_str._Formatter: one width and one notation for every element."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            for v in values.ravel().tolist():
                self.width = max(self.width, len(str(v)))
            return
        v = values.ravel().astype(np.float64)
        nz = v[np.isfinite(v) & (v != 0)]
        if nz.size == 0:
            return
        a = np.abs(nz)
        lo, hi = a.min(), a.max()
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.sci_mode:
            self.width = max(len(f"{x:.{PRECISION}e}") for x in nz.tolist())
        elif self.int_mode:
            self.width = max(len(f"{x:.0f}") + 1 for x in nz.tolist())
        else:
            self.width = max(len(f"{x:.{PRECISION}f}") for x in nz.tolist())

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                s = f"{value:{self.width}.{PRECISION}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = f"{value:.{PRECISION}f}"
        elif isinstance(value, bool):
            s = str(value)
        else:
            s = f"{value}"
        return (self.width - len(s)) * " " + s


def _summarized(a):
    """The elements printed (the first and last ``EDGEITEMS`` along every long axis) and which axes were cut."""
    cut = []
    for axis, n in enumerate(a.shape):
        long = n > 2 * EDGEITEMS
        cut.append(long)
        if long:
            a = np.take(a, list(range(EDGEITEMS)) + list(range(n - EDGEITEMS, n)), axis=axis)
    return a, cut


def tensor_str(a, indent):
    """The body of a tensor's repr (what goes between ``tensor(`` and the suffixes)."""
    a = np.asarray(a)
    if a.size == 0:
        return "[]"
    summarize = a.size > THRESHOLD
    cut = [False] * a.ndim
    if summarize:
        a, cut = _summarized(a)
    if a.dtype.kind == "c":  # PyTorch's two formatters, one for the real parts and one for the imaginary
        fmt, fmt_imag = _Formatter(a.real), _Formatter(a.imag)

        def show(v):
            imag = (fmt_imag.format(v.imag) + "j").lstrip()
            return fmt.format(v.real) + (imag if imag[0] in "+-" else "+" + imag)
    else:
        fmt = _Formatter(a)
        show = fmt.format
    if a.ndim == 0:
        return show(a.item())
    strs = np.array([show(v) for v in a.ravel().tolist()], dtype=object).reshape(a.shape)
    nd = a.ndim
    # vectors along the last axis, wrapped at the line width
    per_line = max(1, math.floor((LINEWIDTH - (indent + nd - 1)) / (len(strs.flat[0]) + 2)))
    rows = strs.reshape(-1, strs.shape[-1])
    out = []
    for row in rows:
        items = list(row)
        if cut[-1]:
            items = items[:EDGEITEMS] + [" ..."] + items[EDGEITEMS:]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        out.append("[" + (",\n" + " " * (indent + nd)).join(lines) + "]")
    blocks = np.array(out, dtype=object).reshape(strs.shape[:-1]) if nd > 1 else np.array(out, dtype=object)
    # then each enclosing axis, innermost first: dimension d of the block, indent of its level
    for axis in range(nd - 2, -1, -1):
        level_indent = indent + axis
        sep = "," + "\n" * (nd - axis - 1) + " " * (level_indent + 1)
        flat = blocks.reshape(-1, blocks.shape[-1])
        joined = []
        for row in flat:
            items = list(row)
            if cut[axis]:
                items = items[:EDGEITEMS] + ["..."] + items[EDGEITEMS:]
            joined.append("[" + sep.join(items) + "]")
        blocks = np.array(joined, dtype=object).reshape(blocks.shape[:-1])
    return blocks.item() if blocks.ndim == 0 else blocks[0]


_DEFAULT_DTYPES = ("int64", "bool")


def tensor_repr(t):
    """``repr`` of a torch Tensor, as PyTorch prints it."""
    from ._tensor import default_float

    prefix = "tensor("
    a = np.asarray(t._data)
    body = tensor_str(a, len(prefix))
    suffixes = []
    if a.size == 0 and a.shape != (0,):
        suffixes.append(f"size={tuple(a.shape)}")
    if a.dtype.name not in _DEFAULT_DTYPES and a.dtype != default_float() and not (
            a.dtype == np.complex64 and default_float() == np.float32 or
            a.dtype == np.complex128 and default_float() == np.float64):
        suffixes.append(f"dtype=torch.{a.dtype.name}")
    if t._prim is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last = len(out) - out.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > LINEWIDTH:
            out += ",\n" + " " * len(prefix) + s
            last = len(prefix) + len(s)
        else:
            out += ", " + s
            last += len(s) + 2
    return out + ")"
