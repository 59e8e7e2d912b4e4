"""``summary(model, input_shape)``: a table of layers, output shapes and parameter counts.

How output shapes are found (and the limits):

* If the model's modules have PyTorch's ``register_forward_hook``, a hook on
  every submodule records the shape of what it returns while the model runs
  once on a zero batch of ``input_shape``. Any model works, whatever order its
  submodules are called in; a module called several times shows the shape of
  its last call, and a module that is never called shows ``--``.
* Otherwise the model's direct children are run one after the other, each on
  the previous one's output: this is right for ``Sequential``-like models,
  whose ``forward`` calls its children in order, and nothing else. Nested
  modules inside a child show ``--``. If the chain fails (the model's
  ``forward`` does something else), a ``RuntimeError`` says so.

Parameter counts come from ``parameters()`` and need no forward pass.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from ._display import should_print

from ._core.tensor import Tensor, no_grad

if TYPE_CHECKING:
    from .nn.module import Module

__all__ = ["summary", "ModelSummary"]


def _shape_of(out):
    if isinstance(out, Tensor):
        return tuple(out.shape)
    if isinstance(out, np.ndarray):
        return out.shape
    if isinstance(out, (tuple, list)):
        return [_shape_of(o) for o in out]
    if isinstance(out, dict):
        return {k: _shape_of(v) for k, v in out.items()}
    return type(out).__name__


def _fmt_shape(shape):
    if shape is None:
        return "--"
    if isinstance(shape, tuple):
        return "[" + ", ".join(str(d) for d in shape) + "]"
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    return str(shape)


def _count(params):
    seen, total, trainable = set(), 0, 0
    for p in params:
        if id(p) in seen:
            continue
        seen.add(id(p))
        n = int(np.prod(p.shape, dtype=np.int64))
        total += n
        trainable += n if p.requires_grad else 0
    return total, trainable


def _first_layer(model):
    """The first module without children, in definition order (the model itself if it has none)."""
    m = model
    while _children(m):
        m = _children(m)[0]
    return m


def _children(module):
    fn = getattr(module, "children", None)
    return list(fn()) if callable(fn) else []


class ModelSummary:
    """The result of :func:`summary`; ``str()`` is the table.

    Attributes
    ----------
    rows : list of (name, type, depth, output shape, parameter count)
    total_params, trainable_params : int
    param_bytes : int
        Memory held by the parameters.
    output_shape : tuple
        The shape of the whole model's output.

    Examples
    --------
    >>> import backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(3, 4), bc.nn.ReLU(), bc.nn.Linear(4, 1))
    >>> s = bc.summary(model, (2, 3), verbose=0)
    >>> s.total_params, s.output_shape, s.rows[0]
    (21, (2, 1), ('0', 'Linear', 1, (2, 4), 16))
    """

    def __init__(self, model_name: str, rows: list[tuple[str, str, int, Any, int]], total: int, trainable: int,
                 param_bytes: int, input_shape: tuple[int, ...] | None, output_shape: Any) -> None:
        self.model_name = model_name
        self.rows = rows
        self.total_params = total
        self.trainable_params = trainable
        self.param_bytes = param_bytes
        self.input_shape = input_shape
        self.output_shape = output_shape

    def __str__(self) -> str:
        head = ("Layer (type)", "Output shape", "Param #")
        body = [("  " * (depth - 1) + (f"{name} ({kind})" if name else kind), _fmt_shape(shape), f"{count:,}")
                for name, kind, depth, shape, count in self.rows]
        widths = [max([len(head[i])] + [len(r[i]) for r in body]) for i in range(3)]
        line = lambda r: f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}   {r[2]:>{widths[2]}}"
        width = len(line(head))
        out = [f"{self.model_name}: input {_fmt_shape(self.input_shape)} -> output {_fmt_shape(self.output_shape)}",
               "=" * width, line(head), "-" * width]
        out += [line(r) for r in body]
        out += ["=" * width,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                f"Params size: {self.param_bytes / 2 ** 20:.2f} MiB",
                "=" * width]
        return "\n".join(out)

    __repr__ = __str__


def summary(model: Module, input_shape: Sequence[int] | None = None, dtype: DTypeLike | None = None,
            verbose: int | None = None) -> ModelSummary:
    """Print and return a table of a model's layers, output shapes and parameter counts (like torchinfo).

    Parameters
    ----------
    model : Module
        A model with PyTorch's ``named_modules()``, ``children()`` and
        ``parameters()``.
    input_shape : tuple of int, optional
        The shape of one input batch, batch dimension included (as
        torchinfo's ``input_size``), e.g. ``(1, 1, 28, 28)``. Without it, the
        model's first layer must fix it: ``Linear(n, ...)`` gives ``(1, n)``.
    dtype : dtype, optional
        The dtype of the zero batch the model is run on: int64 when the first
        layer is an ``Embedding`` (token ids), else float32.
    verbose : int, optional
        Print the table when 1, only return it when 0. By default it is printed in a script
        and only returned at an interactive prompt or in Jupyter, which show the returned
        table: it appears once either way.

    Returns
    -------
    ModelSummary
        ``str()`` is the table; it also holds the numbers.

    Examples
    --------
    >>> import backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(64, 32), bc.nn.ReLU(), bc.nn.Linear(32, 10))
    >>> s = bc.summary(model, (1, 64))
    Sequential: input [1, 64] -> output [1, 10]
    =====================================
    Layer (type)   Output shape   Param #
    -------------------------------------
    0 (Linear)     [1, 32]          2,080
    1 (ReLU)       [1, 32]              0
    2 (Linear)     [1, 10]            330
    =====================================
    Total params: 2,410
    Trainable params: 2,410
    Non-trainable params: 0
    Params size: 0.01 MiB
    =====================================
    >>> s.total_params
    2410
    """
    if not callable(getattr(model, "named_modules", None)) or not callable(getattr(model, "parameters", None)):
        raise TypeError(f"summary: expected a Module with named_modules() and parameters(), got {type(model).__name__}")
    first = _first_layer(model)
    if input_shape is None:
        n = getattr(first, "in_features", None)
        if type(first).__name__ not in ("Linear", "Bilinear") or not isinstance(n, int):
            raise TypeError(f"summary: give input_shape (batch dimension included); the first layer of "
                            f"{type(model).__name__} ({type(first).__name__}) does not fix the input's shape")
        input_shape = (1, n)
    input_shape = tuple(int(d) for d in (input_shape if isinstance(input_shape, (tuple, list)) else (input_shape,)))
    if dtype is None:
        dtype = np.int64 if type(first).__name__ in ("Embedding", "EmbeddingBag") else np.float32
    named = [(name, m) for name, m in model.named_modules() if m is not model]
    shapes = {}
    x = np.zeros(input_shape, dtype=dtype)
    was_training = getattr(model, "training", None)
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        with no_grad():
            if named and all(callable(getattr(m, "register_forward_hook", None)) for _, m in named):
                output = _run_with_hooks(model, named, x, shapes)
            else:
                output = _run_in_order(model, x, shapes)
    except (TypeError, ValueError, IndexError) as e:
        raise type(e)(f"summary: {type(model).__name__} failed on zeros of shape {list(input_shape)} and dtype "
                      f"{np.dtype(dtype).name} ({e}); give the input_shape and dtype= it expects") from e
    finally:
        if was_training and callable(getattr(model, "train", None)):
            model.train()
    if not named:  # a single layer (an LSTM, a Linear): its own row
        named = [("", model)]
        shapes[id(model)] = _shape_of(output)
    rows = []
    for name, m in named:
        count, _ = _count(m.parameters())
        rows.append((name, type(m).__name__, name.count(".") + 1, shapes.get(id(m)), count))
    total, trainable = _count(model.parameters())
    param_bytes = sum(p._data.nbytes for p in {id(p): p for p in model.parameters()}.values())
    result = ModelSummary(type(model).__name__, rows, total, trainable, param_bytes, input_shape, _shape_of(output))
    if should_print(verbose):
        print(result)
    return result


def _run_with_hooks(model, named, x, shapes):
    handles = []

    def make_hook(key):
        def hook(module, inputs, output):
            shapes[key] = _shape_of(output)
        return hook

    try:
        for _, m in named:
            handles.append(m.register_forward_hook(make_hook(id(m))))
        return model(x)
    finally:
        for h in handles:
            h.remove()


def _run_in_order(model, x, shapes):
    children = _children(model)
    if not children:
        return model(x)
    out = x
    for k, child in enumerate(children):
        try:
            out = child(out)
        except Exception as e:
            raise RuntimeError(
                f"summary: running the children of {type(model).__name__} in order failed at child {k} "
                f"({type(child).__name__}) on an input of shape {_fmt_shape(_shape_of(out))}: {e}. Without "
                "register_forward_hook on its modules, summary can only follow a model whose forward calls "
                "its children one after the other (like Sequential)") from e
        shapes[id(child)] = _shape_of(out)
    return model(x)
