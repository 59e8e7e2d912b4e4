"""Kinks: where a function has no derivative, the value backchain uses there, and how to change it.

One module decides every kink. The default policy is DESIGN.md section 4: at a
point where a function is locally convex or concave, the derivative is the
minimum-norm element of the subdifferential (``relu'(0) = 0``, ties of
``maximum`` 0.5 / 0.5); where a one-sided limit exists, that limit
(``sqrt'(0) = +inf``); and an exact zero cotangent times an infinite or NaN
local derivative contributes 0, never NaN (no NaN from the branch of a
``where`` not taken).

* :func:`table` lists every non-smooth primitive and user-facing composite:
  where its kinks are, the value used under the current policy, the
  alternatives. A test evaluates every row's gradient at its kink, so the table
  cannot drift from the code; the documentation site inserts it into its kinks
  page when it is built.
* :func:`policy` (a thread-local, nestable context manager) and
  :func:`set_policy` (the default of every thread) change the conventions.
  The policy is read when a derivative rule runs (``backward``, ``grad``,
  ``jvp``), so call ``backward`` inside the ``with`` block.
* :func:`count` counts, per op (and per layer, for modules), how many elements
  sat exactly on a kink in the forward passes of a block.

>>> import numpy as np, backchain as bc, backchain.numpy as bnp
>>> bc.grad(lambda x: bnp.max(x))(np.array([1.0, 3.0, 3.0]))
array([0. , 0.5, 0.5])
>>> with bc.kinks.policy(ties="first", relu_at_zero=1.0):
...     bc.grad(lambda x: bnp.max(x))(np.array([1.0, 3.0, 3.0]))
array([0., 1., 0.])

For library authors:

* :func:`tie_weights` turns a boolean "is an extremum" mask into the weights of
  the current ties policy (max/min reductions, max-pooling windows);
* :func:`register` adds a row to the table (with its probe) and, optionally, a
  counter for a primitive declared with ``kinks=``;
* ``_layer_scope(name)`` is the context that ``Module.__call__`` enters so that
  :func:`count` attributes hits to layers.
"""
from __future__ import annotations

import contextlib
import sys
import numbers
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._core import primitive as _pm
from ._core.tensor import Tensor
from ._ld import LDError  # noqa: F401  (public: bc.kinks.LDError)

if TYPE_CHECKING:
    from .nn.module import Module

_P = ParamSpec("_P")
_R = TypeVar("_R")

__all__ = ["policy", "set_policy", "get_policy", "reset_policy", "DEFAULTS", "count", "KinkCounts",
           "table", "markdown", "register", "Row", "tie_weights", "binary_tie",
           "directional", "lexicographic", "verify", "VerifyReport", "LDError"]


# -- policy ------------------------------------------------------------------------------

DEFAULTS = {
    "ties": "split",                 # max/min/amax/amin/maximum/minimum/fmax/fmin, max-pooling
    "relu_at_zero": 0.0,             # relu'(0), in [0, 1]
    "leaky_relu_at_zero": None,      # leaky_relu'(0); None: negative_slope
    "clip_at_bound": 0.0,            # d/dx of clip, hardtanh, relu6 at a bound, in [0, 1]
    "hardsigmoid_at_bound": 0.0,     # hardsigmoid'(±3), in [0, 1/6]
    "hardswish_at_lower": 0.0,       # hardswish'(-3), in [-1/2, 0]
    "hardswish_at_upper": 1.0,       # hardswish'(3), in [1, 3/2]
}

# The interval between the one-sided derivatives at the kink: every value in it is a
# (generalized) subgradient, and only those are accepted.
_RANGES = {
    "relu_at_zero": (0.0, 1.0),
    "clip_at_bound": (0.0, 1.0),
    "hardsigmoid_at_bound": (0.0, 1.0 / 6.0),
    "hardswish_at_lower": (-0.5, 0.0),
    "hardswish_at_upper": (1.0, 1.5),
}
_TIES = ("split", "first", "last")


class _Policy(threading.local):
    """The policy in force. Class attributes hold the global defaults (``set_policy``);
    a ``policy`` block sets instance attributes, which only its thread sees."""


for _k, _v in DEFAULTS.items():
    setattr(_Policy, _k, _v)

# Rules read their setting as one attribute of this object, e.g. ``_policy.ties``.
_policy = _Policy()


def _validate(kw, where):
    out = {}
    for k, v in kw.items():
        if k not in DEFAULTS:
            raise TypeError(f"{where}: unknown setting {k!r}; the settings are {', '.join(DEFAULTS)}")
        if k == "ties":
            if v not in _TIES:
                raise ValueError(f"{where}: ties must be 'split', 'first' or 'last', got {v!r}")
        elif v is None and k == "leaky_relu_at_zero":
            pass
        else:
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v)):
                raise ValueError(f"{where}: {k} must be a finite real number, got {v!r}")
            v = float(v)
            if k in _RANGES:
                lo, hi = _RANGES[k]
                if not lo <= v <= hi:
                    raise ValueError(
                        f"{where}: {k}={v:g} is outside [{lo:g}, {hi:g}], the interval between the one-sided "
                        "derivatives at that kink (any value in it is a subgradient)")
        out[k] = v
    return out


_UNSET = object()


class policy:
    """Change kink conventions inside a ``with`` block (this thread only; blocks nest).

    Other Parameters
    ----------------
    ties : {"split", "first", "last"}
        Ties in ``max``/``min``/``amax``/``amin``, ``maximum``/``minimum``/``fmax``/``fmin``
        and max-pooling windows: split the gradient evenly among the tied elements
        (min-norm, default), or give it all to the first (``torch.max(dim)``) or last
        one. For binary ops, "first" is the first argument.
    relu_at_zero : float in [0, 1]
        ``relu'(0)`` (default 0).
    leaky_relu_at_zero : float or None
        ``leaky_relu'(0)``; None (default) is ``negative_slope``. Must lie between
        ``negative_slope`` and 1 (checked when the derivative is computed).
    clip_at_bound : float in [0, 1]
        d/dx of ``clip``, ``hardtanh`` and ``relu6`` where x equals a bound (default 0;
        the bounds themselves get 0 there).
    hardsigmoid_at_bound : float in [0, 1/6]
        ``hardsigmoid'(±3)`` (default 0).
    hardswish_at_lower, hardswish_at_upper : float in [-1/2, 0] and [1, 3/2]
        ``hardswish'(-3)`` (default 0) and ``hardswish'(3)`` (default 1).

    The policy applies when a derivative rule runs: put ``backward`` (or the
    ``grad``/``jvp`` call) inside the block.

    >>> import backchain as bc
    >>> from backchain._rules.activations import relu
    >>> with bc.kinks.policy(relu_at_zero=1.0):
    ...     float(bc.grad(relu)(0.0))
    1.0
    """

    def __init__(self, **settings: str | float | None) -> None:
        self.settings = _validate(settings, "kinks.policy")
        self._saved = []

    def __enter__(self) -> policy:
        d = _policy.__dict__
        self._saved.append({k: d.get(k, _UNSET) for k in self.settings})
        for k, v in self.settings.items():
            setattr(_policy, k, v)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        for k, v in self._saved.pop().items():
            if v is _UNSET:
                delattr(_policy, k)
            else:
                setattr(_policy, k, v)
        return False

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        import functools

        settings = self.settings

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with policy(**settings):
                return fn(*args, **kwargs)
        return wrapper


def set_policy(**settings: str | float | None) -> None:
    """Set the default kink conventions of every thread (see :class:`policy` for the settings).

    ``with policy(...)`` blocks still override it in their thread.

    >>> import backchain as bc
    >>> bc.kinks.set_policy(ties="first")
    >>> bc.kinks.get_policy()["ties"]
    'first'
    >>> bc.kinks.reset_policy()
    """
    for k, v in _validate(settings, "kinks.set_policy").items():
        setattr(_Policy, k, v)


def reset_policy() -> None:
    """Restore the default conventions (DESIGN.md section 4) for every thread.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.kinks.set_policy(relu_at_zero=1.0)
    >>> bc.kinks.reset_policy()
    >>> bc.kinks.get_policy()["relu_at_zero"]
    0.0
    """
    set_policy(**DEFAULTS)


def get_policy() -> dict[str, Any]:
    """The conventions in force in this thread, as a dict.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> p = bc.kinks.get_policy()
    >>> p["ties"], p["relu_at_zero"]
    ('split', 0.0)
    >>> with bc.kinks.policy(ties="last"):
    ...     print(bc.kinks.get_policy()["ties"])
    ...
    last
    """
    return {k: getattr(_policy, k) for k in DEFAULTS}


# -- ties ---------------------------------------------------------------------------------

def binary_tie() -> tuple[float, float]:
    """``(d/dx, d/dy)`` of ``maximum(x, y)`` (and ``minimum``, ``fmax``, ``fmin``) where ``x == y``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.kinks.binary_tie()
    (0.5, 0.5)
    >>> with bc.kinks.policy(ties="first"):
    ...     print(bc.kinks.binary_tie())
    ...
    (1.0, 0.0)
    """
    t = _policy.ties
    if t == "split":
        return 0.5, 0.5
    return (1.0, 0.0) if t == "first" else (0.0, 1.0)


def tie_weights(mask: ArrayLike, axis: int | tuple[int, ...] = -1, dtype: DTypeLike = np.float64) -> NDArray[Any]:
    """The weights of the extrema marked in ``mask`` under the current ties policy.

    ``mask`` (boolean, any shape) marks the elements equal to the extremum of
    their slice along ``axis`` (an int or a tuple of ints: the slices over
    several axes, in C order). Returns an array of ``mask``'s shape, summing to 1
    over every slice that has a marked element: "split" gives ``1/k`` to each of
    the ``k`` marked elements, "first" (PyTorch's ``max(dim)`` and max-pooling)
    1 to the first, "last" 1 to the last. Slices with no marked element get 0.

    >>> import numpy as np, backchain as bc
    >>> m = np.array([[False, True, True], [True, False, False]])
    >>> bc.kinks.tie_weights(m, axis=1)
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ]])
    >>> with bc.kinks.policy(ties="last"):
    ...     bc.kinks.tie_weights(m, axis=1)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    mask = np.asarray(mask, dtype=bool)
    nd = mask.ndim
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(sorted(int(a) % nd for a in axes)) if nd else ()
    ties = _policy.ties
    if ties == "split":
        w = mask.astype(dtype)
        k = np.sum(w, axis=axes, keepdims=True)
        # without ties (the usual case for real-valued data) every k is 1 and the mask is the answer
        if k.size and k.max() > 1:
            if w.dtype.kind in "fc":
                np.divide(w, np.maximum(k, 1), out=w)
            else:
                w = (mask / np.maximum(k, 1)).astype(dtype, copy=False)
        return w
    rest = [i for i in range(nd) if i not in axes]
    perm = rest + list(axes)
    moved = np.transpose(mask, perm)
    kept = moved.shape[:len(rest)]
    flat = moved.reshape(kept + (-1,))
    n = flat.shape[-1]
    if ties == "first":
        idx = np.argmax(flat, axis=-1)
    else:
        idx = n - 1 - np.argmax(flat[..., ::-1], axis=-1)
    w = np.zeros(flat.shape, dtype=dtype)
    np.put_along_axis(w, idx[..., None], np.any(flat, axis=-1, keepdims=True).astype(dtype), axis=-1)
    return np.transpose(w.reshape(moved.shape), np.argsort(perm))


# -- counting ------------------------------------------------------------------------------

def _nz(mask):
    return int(np.count_nonzero(mask))


def _count_eq(out, x, *rest, **params):
    return _nz(np.asarray(x) == 0)


def _count_tie(out, x, y):
    return _nz(np.broadcast_to(np.asarray(x) == np.asarray(y), np.shape(out)))


def _count_clip(out, a, lo, hi):
    a = np.asarray(a)
    m = np.zeros(np.shape(out), dtype=bool)
    if lo is not None:
        m |= a == lo
    if hi is not None:
        m |= a == hi
    return _nz(m)


def _count_extremum(out, x, axis, keepdims):
    x = np.asarray(x)
    o = np.asarray(out)
    if not keepdims:
        o = np.reshape(o, tuple(1 if i in axis else n for i, n in enumerate(x.shape)))
    k = np.sum(x == o, axis=axis)
    return int(np.sum(k[k > 1]))


def _count_window_ties(out, v, ties, valid=None):
    """Max-pooling windows stacked on axis 0: the elements tied for their window's maximum."""
    eq = np.asarray(v) == np.asarray(out)
    if valid is not None:
        eq &= np.asarray(valid, dtype=bool)
    k = np.sum(eq, axis=0)
    return int(np.sum(k[k > 1]))


def _count_tile_ties(out, x, kernel, ties):
    """Max pooling over windows that tile the input: the elements tied for their window's maximum."""
    from ._rules.pool import _tile_slices

    x, y = np.asarray(x), np.asarray(out)
    k = sum((x[sl] == y).astype(np.int64) for sl in _tile_slices(kernel))
    return int(np.sum(k[k > 1]))


def _count_sorted_ties(out, x, axis):
    s = np.asarray(out)
    if s.shape[axis] < 2:
        return 0
    eq = np.diff(s, axis=axis) == 0
    tied = np.zeros(s.shape, dtype=bool)
    lo = [slice(None)] * s.ndim
    hi = [slice(None)] * s.ndim
    lo[axis], hi[axis] = slice(None, -1), slice(1, None)
    tied[tuple(lo)] |= eq
    tied[tuple(hi)] |= eq
    return _nz(tied)


def _count_integers(out, x, *rest, **params):
    x = np.asarray(x)
    return _nz(x == np.floor(x))


def _count_halves(out, x, decimals=0):
    x = np.asarray(x) * (10.0 ** decimals)
    return _nz(x - np.floor(x) == 0.5)


# Per primitive name: how many elements of one forward call sit exactly on a kink.
# Called as ``counter(out, *args, **params)`` on plain arrays, only inside ``count()``.
_COUNTERS = {
    "relu": _count_eq,
    "leaky_relu": _count_eq,
    "hardtanh": lambda out, x, min_val, max_val: _nz((np.asarray(x) == min_val) | (np.asarray(x) == max_val)),
    "hardsigmoid": lambda out, x: _nz(np.abs(np.asarray(x)) == 3.0),
    "hardswish": lambda out, x: _nz(np.abs(np.asarray(x)) == 3.0),
    "absolute": _count_eq,
    "sign": _count_eq,
    "sqrt": _count_eq,
    "cbrt": _count_eq,
    "maximum": _count_tie,
    "minimum": _count_tie,
    "fmax": _count_tie,
    "fmin": _count_tie,
    "clip": _count_clip,
    "amax": _count_extremum,
    "amin": _count_extremum,
    "power": lambda out, x, y: _nz(np.broadcast_to((np.asarray(x) == 0) & (np.asarray(y) > 0) & (np.asarray(y) < 1),
                                                   np.shape(out))),
    "heaviside": lambda out, x1, x2: _nz(np.broadcast_to(np.asarray(x1) == 0, np.shape(out))),
    "copysign": lambda out, x1, x2: _nz(np.broadcast_to(np.asarray(x1) == 0, np.shape(out))),
    "arcsin": lambda out, x: _nz(np.abs(np.asarray(x)) == 1),
    "arccos": lambda out, x: _nz(np.abs(np.asarray(x)) == 1),
    "arctanh": lambda out, x: _nz(np.abs(np.asarray(x)) == 1),
    "arccosh": lambda out, x: _nz(np.asarray(x) == 1),
    "hypot": lambda out, x1, x2: _nz(np.asarray(out) == 0),
    "arctan2": lambda out, x1, x2: _nz(np.broadcast_to((np.asarray(x1) == 0) & (np.asarray(x2) == 0), np.shape(out))),
    "floor": _count_integers,
    "ceil": _count_integers,
    "rint": lambda out, x: _count_halves(out, x),
    "round": lambda out, a, decimals: _count_halves(out, a, decimals),
    "std": lambda out, x, **params: _nz(np.asarray(out) == 0),
    "vector_norm": lambda out, x, **params: _nz(np.asarray(out) == 0),
    "sort": _count_sorted_ties,
    "window_max": _count_window_ties,
    "tiled_max": _count_tile_ties,
}
_COUNTERS["float_power"] = _COUNTERS["power"]


class KinkCounts:
    """What :func:`count` saw: per op, how many elements sat exactly on a kink.

    ``hits[op]`` is the number of kink hits of ``op`` (0 if none); ``hits.total``
    their sum; ``hits.seen[op]`` how many elements the op processed;
    ``hits.by_layer`` maps ``(layer, op)`` to hits inside modules. ``str(hits)``
    is a table.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> import backchain.numpy as bnp
    >>> with bc.kinks.count() as hits:
    ...     _ = bnp.maximum(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    ...
    >>> hits
    KinkCounts({'maximum': 1})
    >>> hits.total, "relu" in hits
    (1, False)
    """

    def __init__(self) -> None:
        self.hits = {}
        self.seen = {}
        self.by_layer = {}
        self.seen_by_layer = {}

    def _add(self, op, layer, hits, seen):
        self.hits[op] = self.hits.get(op, 0) + hits
        self.seen[op] = self.seen.get(op, 0) + seen
        if layer is not None:
            key = (layer, op)
            self.by_layer[key] = self.by_layer.get(key, 0) + hits
            self.seen_by_layer[key] = self.seen_by_layer.get(key, 0) + seen

    def __getitem__(self, op: str) -> int:
        return self.hits.get(op, 0)

    def __contains__(self, op: object) -> bool:
        return self.hits.get(op, 0) > 0

    def __iter__(self) -> Iterator[str]:
        return iter(op for op, n in self.hits.items() if n)

    def items(self) -> list[tuple[str, int]]:
        """``(op, hits)`` for every op that hit a kink."""
        return [(op, n) for op, n in self.hits.items() if n]

    @property
    def total(self) -> int:
        return sum(self.hits.values())

    def layer(self, name: str) -> dict[str, int]:
        """``{op: hits}`` inside the layer ``name``."""
        return {op: n for (ly, op), n in self.by_layer.items() if ly == name and n}

    def __str__(self) -> str:
        from .check import _table

        if not self.seen:
            return "no primitive with kinks ran"
        rows = [(op, self.hits[op], self.seen[op], _share(self.hits[op], self.seen[op])) for op in self.seen]
        out = "kinks hit in forward passes\n" + _table(["op", "hits", "elements", "share"], rows)
        if self.seen_by_layer:
            rows = [(ly, op, self.by_layer[(ly, op)], n, _share(self.by_layer[(ly, op)], n))
                    for (ly, op), n in self.seen_by_layer.items()]
            out += "\n\nper layer\n" + _table(["layer", "op", "hits", "elements", "share"], rows)
        return out

    def __repr__(self) -> str:
        return f"KinkCounts({dict(self.items())})"


def _share(h, n):
    return f"{100.0 * h / n:.2f}%" if n else "-"


def _size(a):
    return np.size(a) if isinstance(a, (np.ndarray, np.generic)) else 1


def _record(prim, out, raw, params):
    kc = _pm.KINK_COUNTING
    if not kc.counters or kc.paused:
        return
    fn = _COUNTERS.get(prim.name)
    if fn is None:
        return
    hits = fn(out, *raw, **params)
    seen = max([_size(out)] + [_size(a) for a in raw])
    layer = kc.layers[-1] if kc.layers else None
    for c in kc.counters:
        c._add(prim.name, layer, hits, seen)


_lock = threading.Lock()
_active = 0


class count:
    """Count, per op, how many elements sat exactly on a kink in the forward passes of a block.

    Counted: relu/leaky_relu inputs at 0, hardtanh/relu6/clip inputs at a bound,
    hardsigmoid/hardswish inputs at ±3, abs/sign/sqrt/cbrt at 0, ties of
    maximum/minimum/fmax/fmin, tied extrema of max/min/amax/amin, sort and max-pooling windows,
    fractional powers of 0, zero norms and zero standard deviations, inputs of
    floor/ceil at integers and of round/rint at half-integers, and what other
    primitives register. Backward and forward-mode sweeps are not counted.
    Inside modules, hits are also attributed to the innermost layer.

    When no block is active, the only cost is one check of a module global in
    the forward of each primitive that has kinks.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> from backchain._rules.activations import relu
    >>> with bc.kinks.count() as hits:
    ...     _ = bc.grad(lambda x: bnp.sum(relu(x)))(np.array([-1.0, 0.0, 0.0, 2.0]))
    >>> hits["relu"]
    2

    Pass the model to name layers by their path (``"features.0"``); without
    it, a layer is named by its class.
    """

    def __init__(self, model: Module | None = None) -> None:
        self.counts = KinkCounts()
        self.names = {id(m): name or type(m).__name__ for name, m in model.named_modules()} if model else {}
        self._prev_hook = None
        self._nn = None

    def _module_scope(self, module):
        return _layer_scope(self.names.get(id(module)) or type(module).__name__)

    def __enter__(self) -> KinkCounts:
        global _active
        with _lock:
            _active += 1
            _pm._kink_hook = _record
        kc = _pm.KINK_COUNTING
        kc.counters = kc.counters + (self.counts,)
        # Attribute hits to layers while counting, and only then (no cost on Module calls otherwise).
        self._nn = sys.modules.get("backchain.nn.module")
        if self._nn is not None:
            self._prev_hook = self._nn.set_call_hook(self._module_scope)
        return self.counts

    def __exit__(self, *exc: object) -> Literal[False]:
        global _active
        if self._nn is not None:
            self._nn.set_call_hook(self._prev_hook)
        kc = _pm.KINK_COUNTING
        kc.counters = tuple(c for c in kc.counters if c is not self.counts)
        with _lock:
            _active -= 1
            if _active == 0:
                _pm._kink_hook = None
        return False


class _LayerScope:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        kc = _pm.KINK_COUNTING
        kc.layers = kc.layers + (self.name,)
        return self

    def __exit__(self, *exc):
        kc = _pm.KINK_COUNTING
        kc.layers = kc.layers[:-1]
        return False


_NO_SCOPE = contextlib.nullcontext()


def _layer_scope(name):
    """The context in which kink hits are attributed to layer ``name`` (for ``Module.__call__``).

    ``with kinks._layer_scope("features.0"): ...``: hits inside go to that
    layer (the innermost scope wins; push the name you want shown, e.g. the
    module's qualified name). When no :func:`count` block is active anywhere,
    it returns a shared no-op context, so the cost is one function call.
    """
    if _pm._kink_hook is None:
        return _NO_SCOPE
    return _LayerScope(name)


# -- the table -----------------------------------------------------------------------------

class Row:
    """One row of the kink table.

    Parameters
    ----------
    op : str
        The name shown (a primitive's name, or a composite such as ``"median"``).
    where : str
        Where the kinks are.
    value : object or callable
        The value used; a callable receives the policy (attributes as in
        :data:`DEFAULTS`) and returns a number, a tuple of numbers (one per
        argument) or a string.
    alternatives : str
        Other values in use (other libraries, the other subgradients).
    policy : str
        The policy setting that changes the value ("" if none).
    primitive : str, optional
        The registered primitive the row describes (``REGISTRY`` name).
    probes : list of ``(fn, args, expected)``
        Each: ``fn(*args)`` written with ``backchain.numpy`` with ``args`` on a
        kink; ``expected(policy)`` returns the gradients of ``sum(fn(*args))``
        with respect to every argument (None: the row's numeric value). The test
        suite checks them exactly, under several policies.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.kinks.Row("my_step", "x = 0", 0.0, alternatives="1 (right derivative)")
    Row('my_step', 'x = 0', '0')
    """

    __slots__ = ("op", "where", "value", "alternatives", "policy", "primitive", "probes")

    def __init__(self, op: str, where: str, value: Any, alternatives: str = "", policy: str = "",
                 primitive: str | None = None, probes: Iterable[tuple[Any, ...]] = ()) -> None:
        self.op, self.where, self.value, self.alternatives = op, where, value, alternatives
        self.policy, self.primitive, self.probes = policy, primitive, list(probes)

    def value_now(self) -> Any:
        """The value under the policy in force in this thread."""
        return self.value(_policy) if callable(self.value) else self.value

    def expected(self, probe: tuple[Any, ...]) -> Any:
        """The gradients that ``probe`` (one of ``self.probes``) must give under the current policy."""
        fn, args, expected = probe
        if expected is None:
            v = self.value_now()
            return v if isinstance(v, tuple) else (v,)
        return expected(_policy) if callable(expected) else expected

    def __repr__(self) -> str:
        return f"Row({self.op!r}, {self.where!r}, {_fmt(self.value_now())!r})"


def _fmt(v):
    if isinstance(v, str):
        return v
    if isinstance(v, tuple):
        return " / ".join(_fmt(x) for x in v)
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if v == int(v):
        return str(int(v))
    if len(f"{v:g}") <= 6:
        return f"{v:g}"
    from fractions import Fraction

    fr = Fraction(v).limit_denominator(64)
    if float(fr) == v:
        return f"{fr.numerator}/{fr.denominator}"
    return f"{v:g}"


_registered = []


def register(row: Row, count: Callable[..., int] | None = None) -> None:
    """Add ``row`` (a :class:`Row`) to the table, replacing a row of the same ``op``.

    ``count``, if given, is the counter of the primitive ``row.primitive``
    (declared with ``kinks=``, so that its caller checks the hook):
    ``count(out, *args, **params) -> int``, the number of elements of one
    forward call on a kink, called with plain arrays only inside :func:`count`.

    Examples
    --------
    Registering changes the table for the whole process; anything but a
    :class:`Row` is refused:

    >>> import backchain as bc
    >>> import numpy as np
    >>> try:
    ...     bc.kinks.register(("my_op", "x = 0", 0.5))
    ... except TypeError as e:
    ...     print(e)
    kinks.register: expected a kinks.Row, got tuple
    """
    if not isinstance(row, Row):
        raise TypeError(f"kinks.register: expected a kinks.Row, got {type(row).__name__}")
    _registered[:] = [r for r in _registered if r.op != row.op]
    _registered.append(row)
    if count is not None:
        if row.primitive is None:
            raise ValueError(f"kinks.register: row {row.op!r} has a counter but names no primitive")
        _COUNTERS[row.primitive] = count


def _tie_pair(p):
    return {"split": (0.5, 0.5), "first": (1.0, 0.0), "last": (0.0, 1.0)}[p.ties]


def _tie_text(p):
    return {"split": "split evenly among the k tied (1/k each)", "first": "all to the first tied (C order)",
            "last": "all to the last tied (C order)"}[p.ties]


def _pick(p, split, first, last):
    return np.array({"split": split, "first": first, "last": last}[p.ties], dtype=float)


def _builtin_rows():
    import backchain.numpy as bnp
    from ._rules import activations as A
    from . import surrogate as S
    from .transforms import grad

    inf, nan = np.inf, np.nan
    arr = lambda *v: np.array(v, dtype=float)  # noqa: E731
    leaky = lambda p: 0.1 if p.leaky_relu_at_zero is None else p.leaky_relu_at_zero  # noqa: E731
    undefined = "no convention: the derivative is not defined there (the rule divides by zero: inf or NaN)"
    return [
        # -- activations ---------------------------------------------------------------
        Row("relu", "x = 0", lambda p: p.relu_at_zero,
            "any value in [0, 1]; 0.5 is maximum(x, 0)'s tie", "relu_at_zero", "relu",
            [(A.relu, (0.0,), None)]),
        Row("leaky_relu", "x = 0",
            lambda p: "negative_slope" if p.leaky_relu_at_zero is None else p.leaky_relu_at_zero,
            "any value between negative_slope and 1", "leaky_relu_at_zero", "leaky_relu",
            [(lambda x: A.leaky_relu(x, 0.1), (0.0,), lambda p: (leaky(p),))]),
        Row("hardtanh", "x = min_val, x = max_val", lambda p: p.clip_at_bound,
            "any value in [0, 1]", "clip_at_bound", "hardtanh",
            [(A.hardtanh, (arr(-1.0, 1.0),), lambda p: (arr(p.clip_at_bound, p.clip_at_bound),))]),
        Row("relu6", "x = 0, x = 6", lambda p: p.clip_at_bound,
            "any value in [0, 1]", "clip_at_bound", None,
            [(A.relu6, (arr(0.0, 6.0),), lambda p: (arr(p.clip_at_bound, p.clip_at_bound),))]),
        Row("hardsigmoid", "x = -3, x = 3", lambda p: p.hardsigmoid_at_bound,
            "any value in [0, 1/6]", "hardsigmoid_at_bound", "hardsigmoid",
            [(A.hardsigmoid, (arr(-3.0, 3.0),), lambda p: (arr(p.hardsigmoid_at_bound, p.hardsigmoid_at_bound),))]),
        Row("hardswish", "x = -3, x = 3",
            lambda p: f"{_fmt(p.hardswish_at_lower)} at -3, {_fmt(p.hardswish_at_upper)} at 3",
            "[-1/2, 0] at -3, [1, 3/2] at 3", "hardswish_at_lower, hardswish_at_upper", "hardswish",
            [(A.hardswish, (arr(-3.0, 3.0),), lambda p: (arr(p.hardswish_at_lower, p.hardswish_at_upper),))]),
        # -- maximum, minimum, clip ------------------------------------------------------
        Row("maximum", "x == y", _tie_pair, "0.5 / 0.5 (PyTorch, JAX), 1 / 0 (TensorFlow), 0 / 0 (MyGrad)",
            "ties", "maximum", [(bnp.maximum, (1.0, 1.0), None)]),
        Row("minimum", "x == y", _tie_pair, "as maximum", "ties", "minimum", [(bnp.minimum, (1.0, 1.0), None)]),
        Row("fmax", "x == y (a NaN argument gets 0)", _tie_pair, "as maximum", "ties", "fmax",
            [(bnp.fmax, (1.0, 1.0), None), (bnp.fmax, (nan, 1.0), (0.0, 1.0))]),
        Row("fmin", "x == y (a NaN argument gets 0)", _tie_pair, "as maximum", "ties", "fmin",
            [(bnp.fmin, (1.0, 1.0), None), (bnp.fmin, (1.0, nan), (1.0, 0.0))]),
        Row("clip", "a == a_min, a == a_max", lambda p: f"d/da = {_fmt(p.clip_at_bound)}; the bounds 0",
            "any value in [0, 1] for a; 0.5 / 0.5 (JAX's clip through max/min); 1 (PyTorch's clamp)",
            "clip_at_bound", "clip",
            [(lambda a, lo, hi: bnp.clip(a, lo, hi), (arr(0.0, 1.0), 0.0, 1.0),
              lambda p: (arr(p.clip_at_bound, p.clip_at_bound), 0.0, 0.0))]),
        # -- reductions --------------------------------------------------------------------
        Row("amax", "ties for the maximum", _tie_text, "first: torch.max(dim); split: torch.amax, JAX", "ties",
            "amax", [(bnp.amax, (arr(1.0, 3.0, 3.0),), lambda p: (_pick(p, [0, .5, .5], [0, 1, 0], [0, 0, 1]),))]),
        Row("amin", "ties for the minimum", _tie_text, "as amax", "ties", "amin",
            [(bnp.amin, (arr(3.0, 1.0, 1.0),), lambda p: (_pick(p, [0, .5, .5], [0, 1, 0], [0, 0, 1]),))]),
        Row("max, min (NumPy names)", "ties, per slice along axis", _tie_text, "as amax", "ties", None,
            [(lambda x: bnp.max(x, axis=1), (np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),),
              lambda p: (_pick(p, [[0, .5, .5], [.5, .5, 0]], [[0, 1, 0], [1, 0, 0]], [[0, 0, 1], [0, 1, 0]]),)),
             (lambda x: bnp.min(x, axis=0), (np.array([[1.0, 0.0], [1.0, 2.0]]),),
              lambda p: (_pick(p, [[.5, 1], [.5, 0]], [[1, 1], [0, 0]], [[0, 1], [1, 0]]),))]),
        Row("ptp", "ties for the maximum or the minimum", _tie_text, "as amax", "ties", None,
            [(bnp.ptp, (arr(1.0, 3.0, 3.0, 1.0),),
              lambda p: (_pick(p, [-.5, .5, .5, -.5], [-1, 1, 0, 0], [0, 0, 1, -1]),))]),
        Row("std", "zero variance", 0.0, "NaN (sqrt of var: PyTorch, JAX)", "", "std",
            [(bnp.std, (arr(2.0, 2.0, 2.0),), lambda p: (arr(0, 0, 0),))]),
        Row("median", "ties; even count",
            "1 to the middle element of the stable sort; 0.5 / 0.5 to the two middle ones for an even count",
            "PyTorch: one of the middle elements (lower median)", "", None,
            [(bnp.median, (arr(4.0, 1.0, 3.0, 2.0),), lambda p: (arr(0, 0, .5, .5),)),
             (bnp.median, (arr(1.0, 1.0, 1.0),), lambda p: (arr(0, 1, 0),))]),
        Row("max-pool (window_max)", "ties within a window; overlapping windows add up",
            lambda p: {"split": "split evenly among the tied maxima", "first": "1 to the first maximum",
                       "last": "1 to the last maximum"}[p.ties],
            "PyTorch: the first maximum (policy \"first\" reproduces it)", "ties", "window_max",
            [(lambda x: _max_pool2d(x, 2), (arr(1.0, 1.0, 0.0, 1.0).reshape(1, 1, 2, 2),),
              lambda p: ({"split": arr(1, 1, 0, 1) / 3.0, "first": arr(1, 0, 0, 0),
                          "last": arr(0, 0, 0, 1)}[p.ties].reshape(1, 1, 2, 2),)),
             (lambda x: _max_pool1d(x, 2, 1), (arr(0.0, 2.0, 2.0).reshape(1, 1, 3),),
              lambda p: ({"split": arr(0, 1.5, 0.5), "first": arr(0, 2, 0),
                          "last": arr(0, 1, 1)}[p.ties].reshape(1, 1, 3),))]),
        Row("max-pool, windows tiling the input (tiled_max)", "ties within a window (kernel == stride)",
            lambda p: {"split": "split evenly among the tied maxima", "first": "1 to the first maximum",
                       "last": "1 to the last maximum"}[p.ties],
            "PyTorch: the first maximum (policy \"first\" reproduces it)", "ties", "tiled_max",
            [(lambda x: _max_pool2d(x, 2), (arr(2.0, 0.0, 2.0, 2.0).reshape(1, 1, 2, 2),),
              lambda p: ({"split": arr(1, 0, 1, 1) / 3.0, "first": arr(1, 0, 0, 0),
                          "last": arr(0, 0, 0, 1)}[p.ties].reshape(1, 1, 2, 2),))]),
        Row("sort", "ties", "stable order: each output's gradient goes to the input it was taken from",
            "any assignment among the tied inputs", "", "sort",
            [(lambda x: bnp.sort(x) * arr(1, 2, 3), (arr(3.0, 1.0, 1.0),), lambda p: (arr(3, 1, 2),))]),
        Row("topk (a slice of sort)", "ties", "stable order: the later of tied inputs ranks higher",
            "PyTorch's topk: unspecified among ties", "", None,
            [(lambda x: bnp.sort(x)[-2:] * arr(1, 2), (arr(3.0, 1.0, 3.0),), lambda p: (arr(1, 0, 2),))]),
        # -- absolute value, sign, steps, rounding ------------------------------------------
        Row("absolute", "x = 0", 0.0, "1 (JAX), any value in [-1, 1]", "", "absolute",
            [(bnp.abs, (0.0,), None)]),
        Row("sign", "x = 0 (a jump); 0 elsewhere", 0.0, "a surrogate: backchain.surrogate.sign_ste", "", "sign",
            [(bnp.sign, (0.0,), None)]),
        Row("copysign", "x1 = 0; d/dx2 everywhere", (0.0, 0.0), "", "", "copysign",
            [(bnp.copysign, (0.0, 1.0), None)]),
        Row("heaviside", "x1 = 0 (d/dx1 = 0 everywhere; d/dx2 = [x1 == 0])", (0.0, 1.0),
            "a surrogate: backchain.surrogate.step", "", "heaviside", [(bnp.heaviside, (0.0, 0.5), None)]),
        Row("floor", "integers (jumps)", 0.0, "a surrogate: straight_through", "", "floor",
            [(bnp.floor, (1.0,), None)]),
        Row("ceil", "integers (jumps)", 0.0, "a surrogate: straight_through", "", "ceil", [(bnp.ceil, (1.0,), None)]),
        Row("rint", "half-integers (jumps)", 0.0, "a surrogate: straight_through", "", "rint",
            [(bnp.rint, (0.5,), None)]),
        Row("round", "half-integers (jumps)", 0.0, "a surrogate: backchain.surrogate.round_ste", "", "round",
            [(bnp.round, (0.5,), None)]),
        Row("trunc", "non-zero integers (jumps)", 0.0, "a surrogate: straight_through", "", "trunc",
            [(bnp.trunc, (1.0,), None)]),
        Row("fix", "non-zero integers (jumps)", 0.0, "a surrogate: straight_through", "", "fix",
            [(bnp.fix, (1.0,), None)]),
        Row("fmod", "x1 / x2 an integer (jumps)", "d/dx1 = 1, d/dx2 = -x1 / x2 (the quotient NumPy used)",
            "the other one-sided value of d/dx2", "", "fmod", [(bnp.fmod, (4.0, 2.0), (1.0, -2.0))]),
        Row("remainder", "x1 / x2 an integer (jumps)", "d/dx1 = 1, d/dx2 = -x1 / x2 (the quotient NumPy used)",
            "the other one-sided value of d/dx2", "", "remainder", [(bnp.remainder, (4.0, 2.0), (1.0, -2.0))]),
        Row("step (backchain.surrogate)", "x = 0 (a jump)",
            "the surrogate's derivative (identity: 1 everywhere)", "0 without a surrogate (heaviside)", "", None,
            [(S.step, (0.0,), (1.0,)), (lambda x: S.step(x, surrogate="sigmoid", slope=4.0), (0.0,), (1.0,))]),
        Row("sign_ste, round_ste (backchain.surrogate)", "jumps",
            "hardtanh's derivative (sign_ste); identity (round_ste)", "0 without a surrogate (sign, round)", "",
            None, [(S.sign_ste, (0.5,), (1.0,)), (S.sign_ste, (2.0,), (0.0,)), (S.round_ste, (0.5,), (1.0,))]),
        # -- infinite derivatives (one-sided limits) ----------------------------------------
        Row("sqrt", "x = 0", inf, "NaN from 0 * inf elsewhere; here 0 * inf = 0", "", "sqrt",
            [(bnp.sqrt, (0.0,), None)]),
        Row("cbrt", "x = 0", inf, "", "", "cbrt", [(bnp.cbrt, (0.0,), None)]),
        Row("power", "x = 0 with 0 < y < 1 (d/dx); x < 0 (d/dy); x = 0 (d/dy); y = 0",
            "d/dx = +inf; d/dy = NaN (x ** y not real); d/dy = 0 and x ** 0 has d/dx = 0 (also at x = 0); "
            "at y = 0 the second derivative d2/dxdy = 1/x is kept; at x = 0 every derivative in y is 0",
            "NaN for d/dx of 0 ** 0 (JAX); d2/dxdy = 0 at y = 0 (PyTorch)", "", "power",
            [(lambda x: x ** 0.5, (0.0,), (inf,)), (lambda x: x ** (1 / 3), (0.0,), (inf,)),
             (bnp.power, (-2.0, 2.0), (-4.0, nan)), (bnp.power, (0.0, 0.0), (0.0, 0.0)),
             (bnp.power, (0.0, 1.0), (1.0, 0.0)), (bnp.power, (0.0, 2.0), (0.0, 0.0)),
             (lambda y: grad(lambda x: x ** y)(2.0), (0.0,), (0.5,))]),
        Row("float_power", "as power", "as power", "", "", "float_power",
            [(lambda x: bnp.float_power(x, 0.5), (0.0,), (inf,))]),
        Row("arcsin", "x = ±1", inf, "", "", "arcsin", [(bnp.arcsin, (arr(-1.0, 1.0),), (arr(inf, inf),))]),
        Row("arccos", "x = ±1", -inf, "", "", "arccos", [(bnp.arccos, (arr(-1.0, 1.0),), (arr(-inf, -inf),))]),
        Row("arccosh", "x = 1", inf, "", "", "arccosh", [(bnp.arccosh, (1.0,), None)]),
        Row("arctanh", "x = ±1", inf, "", "", "arctanh", [(bnp.arctanh, (arr(-1.0, 1.0),), (arr(inf, inf),))]),
        Row("arctan2", "the origin (not continuous); a jump across x1 = 0 for x2 < 0", (0.0, 0.0), "NaN (0 / 0)",
            "", "arctan2", [(bnp.arctan2, (0.0, 0.0), None)]),
        Row("hypot", "the origin", (0.0, 0.0), "NaN (0 / 0)", "", "hypot", [(bnp.hypot, (0.0, 0.0), None)]),
        Row("logaddexp", "x1 = x2 = ±inf", (0.5, 0.5), "NaN (PyTorch, JAX)", "", "logaddexp",
            [(bnp.logaddexp, (arr(-inf, inf), arr(-inf, inf)), (arr(0.5, 0.5), arr(0.5, 0.5)))]),
        Row("logaddexp2", "x1 = x2 = ±inf", (0.5, 0.5), "NaN (PyTorch, JAX)", "", "logaddexp2",
            [(bnp.logaddexp2, (arr(-inf, inf), arr(-inf, inf)), (arr(0.5, 0.5), arr(0.5, 0.5)))]),
        # -- norms, linear algebra ----------------------------------------------------------
        Row("vector_norm", "the zero vector; 1-norm at a zero component; inf-norm ties",
            "0 (min-norm); 0; split evenly (not the ties policy)", "NaN (PyTorch, JAX at the zero vector)", "",
            "vector_norm",
            [(bnp.linalg.vector_norm, (np.zeros(3),), (np.zeros(3),)),
             (lambda x: bnp.linalg.vector_norm(x, ord=1), (arr(0.0, 2.0),), (arr(0, 1),)),
             (lambda x: bnp.linalg.vector_norm(x, ord=inf), (arr(1.0, -3.0, 3.0),), (arr(0, -.5, .5),))]),
        Row("linalg.norm", "the zero vector", 0.0, "NaN (PyTorch, JAX)", "", None,
            [(bnp.linalg.norm, (np.zeros(3),), (np.zeros(3),)),
             (lambda x: bnp.linalg.norm(x, axis=1), (np.array([[0.0, 0.0], [3.0, 4.0]]),),
              (np.array([[0.0, 0.0], [0.6, 0.8]]),))]),
        Row("det", "singular matrices", "the cofactor matrix (the adjugate's transpose; 0 at rank n - 2)",
            "0 (PyTorch 2.13 at an exactly singular matrix)", "", "det",
            [(bnp.linalg.det, (np.array([[1.0, 2.0], [2.0, 4.0]]),), (np.array([[4.0, -2.0], [-2.0, 1.0]]),)),
             (bnp.linalg.det, (np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]),), (np.zeros((3, 3)),))]),
        Row("slogdet", "the sign output; logabsdet at a singular matrix",
            "0; the cofactor matrix / +0: +-inf with the cofactor's sign, NaN where it is 0",
            "the opposite signs (PyTorch), or those of LU's zero pivot and more NaN (JAX)", "", "slogdet",
            [(lambda a: bnp.linalg.slogdet(a)[0], (np.eye(2),), (np.zeros((2, 2)),)),
             (lambda a: bnp.linalg.slogdet(a)[1], (np.array([[1.0, 2.0], [2.0, 4.0]]),),
              (np.array([[inf, -inf], [-inf, inf]]),))]),
        Row("eigvalsh, eigh()[0], eigvals", "repeated eigenvalues (the eigenvalues alone)",
            "exact (no eigenvector term: sum(eigvalsh(A)) has gradient I)", "", "", None,
            [(bnp.linalg.eigvalsh, (np.eye(3),), (np.eye(3),)),
             (lambda a: bnp.linalg.eigh(a)[0], (np.eye(2),), (np.eye(2),)),
             (lambda a: bnp.real(bnp.linalg.eigvals(a)), (np.diag(arr(2.0, 2.0, 3.0)),), (np.eye(3),))]),
        Row("svdvals, norm 'nuc', 2, -2", "singular values exactly 0 (the zero matrix)",
            "0 for each zero singular value (min-norm): the nuclear norm gives U_r V_r^T, 0 at A = 0",
            "U V^T of whatever basis the SVD returns (PyTorch, JAX)", "", None,
            [(lambda a: bnp.linalg.norm(a, "nuc"), (np.zeros((2, 3)),), (np.zeros((2, 3)),)),
             (lambda a: bnp.linalg.norm(a, 2), (np.zeros((2, 3)),), (np.zeros((2, 3)),)),
             (lambda a: bnp.linalg.norm(a, "nuc"), (np.array([[3.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),),
              (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),))]),
        Row("eigh", "repeated eigenvalues (eigenvectors)", undefined, "", "", "eigh"),
        Row("eig", "repeated eigenvalues (eigenvectors)", undefined, "", "", "eig"),
        Row("svd", "repeated or zero singular values (singular vectors)", undefined, "", "", "svd"),
        Row("svdvals", "repeated singular values",
            "the basis LAPACK returns: the derivative of each value depends on it", "", "", "svdvals"),
        Row("qr", "rank-deficient input", undefined, "", "", "qr"),
        Row("pinv", "where the rank changes", "the derivative of the constant-rank branch", "", "", "pinv"),
        # -- where, nan_to_num, angle ---------------------------------------------------------
        Row("where", "the branch not selected",
            "exact 0, also times an infinite or NaN local derivative (0 * inf = 0)",
            "NaN (PyTorch, JAX, TensorFlow, autograd: the double-where trick)", "", "where",
            [(lambda x: bnp.where(x > 0, bnp.sqrt(x), 0.0), (0.0,), (0.0,)),
             (lambda x: bnp.where(x > 0, bnp.log(x), 0.0), (0.0,), (0.0,)),
             (lambda x: bnp.where(x != 0, 1 / x, 0.0), (0.0,), (0.0,)),
             (lambda x: bnp.where(x > 0, x / x, 0.0), (0.0,), (0.0,)),
             (lambda x: bnp.where(x < 50, bnp.exp(x), 0.0), (np.float32(100.0),), (np.float32(0.0),))]),
        Row("nan_to_num", "NaN and inf inputs (replaced)", 0.0, "", "", "nan_to_num",
            [(bnp.nan_to_num, (arr(nan, inf, 1.0),), (arr(0, 0, 1),))]),
        Row("angle", "real z; z = 0", 0.0, "", "", "angle", [(bnp.angle, (-1.0,), None)]),
    ]


def _max_pool2d(x, k):
    from ._rules.pool import max_pool2d
    return max_pool2d(x, k)


def _max_pool1d(x, k, stride):
    from ._rules.pool import max_pool1d
    return max_pool1d(x, k, stride)


def _rows():
    """Every row: the built-in ones, then the registered ones, then registered primitives
    with ``kinks=`` that no row describes (their ``kinks`` text as it stands, no probe)."""
    rows = _builtin_rows()
    ops = {r.op for r in _registered}
    rows = [r for r in rows if r.op not in ops] + list(_registered)
    covered = {r.primitive for r in rows}
    # sorted by name: the order must not depend on which families were imported first
    for name, prim in sorted(_pm.REGISTRY.items()):
        if prim.kinks is not None and name not in covered:
            rows.append(Row(name, str(prim.kinks), "as stated in where", "", "", name))
    return rows


class KinkTable(list):
    """The rows of :func:`table` (``(op, where, value, alternatives, policy)`` tuples);
    ``str()`` is a Markdown table."""

    def __str__(self) -> str:
        head = "| op | kink at | value used | alternatives | policy setting |\n|---|---|---|---|---|\n"
        esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        return head + "\n".join("| " + " | ".join(esc(c) for c in r) + " |" for r in self)

    __repr__ = list.__repr__


def table(user: bool = True) -> KinkTable:
    """The kink convention of every non-smooth primitive and user-facing composite.

    Returns a list of ``(op, where, value, alternatives, policy)`` tuples, the
    value as used under the policy in force; ``print(table())`` shows it as a
    Markdown table. ``user=False`` leaves out primitives declared with
    ``bc.defprimitive``. Families loaded lazily (``backchain.scipy``) appear once
    imported.

    >>> import backchain as bc
    >>> rows = {r[0]: r for r in bc.kinks.table()}
    >>> rows["relu"][2], rows["maximum"][2]
    ('0', '0.5 / 0.5')
    """
    rows = _rows()
    if not user:
        rows = [r for r in rows if not (r.primitive in _pm.REGISTRY and _pm.REGISTRY[r.primitive].user)]
    return KinkTable((r.op, r.where, _fmt(r.value_now()), r.alternatives, r.policy) for r in rows)


def markdown() -> str:
    """``docs/kinks.md``'s generated table: the default policy's :func:`table` in Markdown.

    Every family is loaded first (``backchain.scipy``'s too), user primitives are
    left out, and the values are those of the default policy whatever policy is
    in force, so the page does not depend on the program that builds it.

    Returns
    -------
    str
        A Markdown table, one row per kink: op, kink at, value used, alternatives, policy setting.

    Examples
    --------
    >>> import backchain as bc
    >>> lines = bc.kinks.markdown().splitlines()
    >>> lines[0]
    '| op | kink at | value used | alternatives | policy setting |'
    >>> with bc.kinks.policy(relu_at_zero=1.0):
    ...     print(next(line for line in bc.kinks.markdown().splitlines() if line.startswith("| relu |")))
    | relu | x = 0 | 0 | any value in [0, 1]; 0.5 is maximum(x, 0)'s tie | relu_at_zero |
    """
    import importlib

    for sub in ("special", "stats", "linalg", "signal", "integrate"):
        importlib.import_module(f"backchain.scipy.{sub}")
    with policy(**DEFAULTS):
        return str(table(user=False))


_START, _END = "<!-- kinks-table:start -->\n", "<!-- kinks-table:end -->"


def _fill(text):
    """``text`` (docs/kinks.md) with the table between its markers (used by docs/hooks.py)."""
    if _START not in text or _END not in text:
        raise ValueError(f"kinks: the page has no '{_START.strip()}' / '{_END}' markers")
    head, rest = text.split(_START, 1)
    return head + _START + markdown() + "\n" + _END + rest.split(_END, 1)[1]


# -- the truth at kinks: one-sided directional and lexicographic derivatives (backchain/_ld.py) --

def _as_float(x):
    """The point as a float array (an integer one as float64)."""
    x = np.asarray(x._data if isinstance(x, Tensor) else x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    return x


def directional(f: Callable[[Any], Any], x: Any, d: Any) -> Any:
    """The one-sided directional derivative ``f'(x; d) = lim_{t -> 0+} (f(x + t d) - f(x)) / t``.

    Exact (no differences) for compositions of smooth primitives and the piecewise-smooth ones:
    abs, relu and its family, maximum/minimum, clip, max/min reductions and max pooling with ties,
    sort with ties, and norms and standard deviations at zero. At a kink it is the slope of the
    piece that ``x + t d`` enters, which no single convention gives for every ``d``: for
    ``abs`` at 0 it is ``|d|``, for ``max(a, b)`` at a tie ``max(a', b')``. Where ``f`` is
    differentiable it is the ordinary ``J d``. One forward sweep.

    Parameters
    ----------
    f : callable
        A function of one array (or scalar) returning an array, a scalar, or a pytree of them.
    x, d : array_like
        The point and the direction, of the same shape.

    Raises
    ------
    LDError
        ``f`` meets a point where a primitive is not Lipschitz (``sqrt`` at 0) or jumps
        (``floor`` at an integer), or a kink without a one-sided rule (named in the message).

    Examples
    --------
    >>> import backchain as bc, backchain.numpy as bnp
    >>> f = lambda x: bnp.abs(x)
    >>> float(bc.kinks.directional(f, 0.0, 1.0)), float(bc.kinks.directional(f, 0.0, -1.0))
    (1.0, 1.0)
    >>> g = lambda x: bnp.max(x)                # a tie between the two entries
    >>> float(bc.kinks.directional(g, [1.0, 1.0], [0.5, 2.0]))
    2.0
    """
    from ._ld import Sweep

    x = _as_float(x)
    d = np.asarray(d, dtype=np.result_type(x, np.float64))
    if d.shape != x.shape:
        raise ValueError(f"kinks.directional: the direction has shape {d.shape}, the point {x.shape}")
    sweep = Sweep(f, (x,), 0)
    outs = sweep.column(d)
    vals = [np.zeros(np.shape(o._data if hasattr(o, "_data") else o)) if t is None else t
            for t, o in zip(outs, sweep.out_leaves)]
    vals = [v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v for v in vals]
    return sweep.unflatten(vals)


def lexicographic(f: Callable[[Any], Any], mode: str = "forward") -> Callable[..., Any]:
    """The lexicographic derivative (LD-derivative) of ``f``: a generalized derivative at kinks.

    ``lexicographic(f)(x)`` with the identity directions (default) gives an array of the
    shape ``f(x).shape + x.shape``: the ordinary Jacobian (the gradient, for a scalar ``f``)
    wherever ``f`` is differentiable, and at kinks an element of the B-subdifferential and of
    the Clarke Jacobian (Khan and Barton 2015; Nesterov 2005), so a true generalized derivative
    of the composite, which op-by-op conventions are not: for ``relu(x) - relu(-x)`` (the
    identity) it gives 1 at 0, where every convention for ``relu'(0)`` gives 0 or 2.

    ``lexicographic(f)(x, directions=M)`` with ``M`` of shape ``(k,) + x.shape`` gives the
    LD-derivative ``f'(x; M)`` itself, of shape ``f(x).shape + (k,)``: its first column is the
    directional derivative ``f'(x; M[0])``; at each kink the branch is the one that
    ``x + t M[0] + t^2 M[1] + ...`` enters as t -> 0+.

    Parameters
    ----------
    f : callable
        A function of one array.
    mode : {"forward", "lock"}
        "forward": the vector forward mode, one forward sweep per direction (``x.size``
        sweeps for the identity). "lock" (branch locking, for a scalar ``f``): forward sweeps
        only until every kink the point sits on is decided, then one reverse sweep with the
        branches locked; the same result, at the cost of a gradient when no kink is hit. With
        ``directions="random"``, one Gaussian direction decides the kinks (any tie it leaves is
        between pieces equal to first order, with probability one): one forward and one reverse
        sweep give an element of the B-subdifferential whatever the number of inputs.

    Examples
    --------
    >>> import backchain as bc, backchain.numpy as bnp
    >>> from backchain.nn.functional import relu
    >>> identity = lambda x: relu(x) - relu(-x)
    >>> float(bc.grad(identity)(0.0)), float(bc.kinks.lexicographic(identity)(0.0))
    (0.0, 1.0)
    >>> bc.kinks.lexicographic(lambda x: bnp.abs(x[0]) - bnp.abs(x[1]))(bnp.zeros(2))
    array([ 1., -1.])
    """
    from ._ld import LDError, Sweep

    if mode not in ("forward", "lock"):
        raise ValueError(f"kinks.lexicographic: mode should be 'forward' or 'lock', got {mode!r}")

    def ld(x, directions=None):
        x = _as_float(x)
        n = x.size
        random = isinstance(directions, str) and directions == "random"
        if random and mode != "lock":
            raise ValueError("kinks.lexicographic: directions='random' is for mode='lock'")
        if directions is None or random:
            M = None
            k = n
        else:
            M = np.asarray(directions, dtype=np.result_type(x, np.float64))
            if M.shape[1:] != x.shape:
                raise ValueError(f"kinks.lexicographic: directions of shape {M.shape}; expected (k,) + {x.shape}")
            k = M.shape[0]
        column = (lambda j: np.eye(1, n, j).reshape(x.shape)) if M is None else (lambda j: M[j])
        if random:  # one Gaussian direction decides every tie that any direction can (with probability 1)
            m = np.random.default_rng(0).standard_normal(x.shape)
            column, k = (lambda j: m), 1
        sweep = Sweep(f, (x,), 0)
        if len(sweep.out_leaves) != 1:
            raise TypeError("kinks.lexicographic: f should return one array (use directional for pytrees)")
        out_shape = np.shape(np.asarray(sweep.out_leaves[0]._data if hasattr(sweep.out_leaves[0], "_data")
                                        else sweep.out_leaves[0]))
        if mode == "lock":
            if out_shape != ():
                raise ValueError(f"kinks.lexicographic(mode='lock'): f should return a scalar, got shape {out_shape}")
            for j in range(k):
                if not sweep.undecided():
                    break
                sweep.column(column(j))
            if k < n and not random and sweep.undecided():
                raise LDError("kinks.lexicographic: the directions leave a kink undecided (they are not "
                              "of full rank); give directions that span the input space")
            # ties left after directions that span the space (or a random one) are between pieces
            # equal to first order: locking picks the first
            g = sweep.locked_gradient()
            return g if M is None else np.tensordot(M, g, axes=g.ndim)
        cols = []
        for j in range(k):
            t = sweep.column(column(j))[0]
            cols.append(np.zeros(out_shape) if t is None else np.asarray(t))
        out = np.stack(cols, axis=-1) if cols else np.zeros(out_shape + (0,))
        if M is None:
            out = out.reshape(out_shape + x.shape)
        return out[()] if out.ndim == 0 else out

    ld.__name__ = f"lexicographic({getattr(f, '__name__', 'f')})"
    return ld


class VerifyReport:
    """The result of :func:`verify`: ``ok`` is True when the gradient given by the conventions is a
    generalized gradient at ``x`` (or no kink was hit). ``str()`` says which.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> print(bc.kinks.verify(lambda x: bnp.sum(x ** 2), [1.0, 2.0]))
    no kink was hit: the gradient is the ordinary one

    Attributes
    ----------
    ok : bool
    convention, lexicographic : ndarray
        The gradient of ``bc.grad`` (op-by-op conventions) and the LD gradient.
    hits : dict of str to int
        The kinks hit, by op.
    distance : float
        How far the convention's gradient lies from the convex hull of the gradients sampled
        around ``x`` (0 inside).
    """

    def __init__(self, ok: bool, convention: Any, lexicographic: Any, hits: dict[str, int], distance: float,
                 samples: int) -> None:
        self.ok, self.convention, self.lexicographic = ok, convention, lexicographic
        self.hits, self.distance, self.samples = hits, distance, samples

    def __bool__(self) -> bool:
        return bool(self.ok)

    def __str__(self) -> str:
        if not self.hits:
            return "no kink was hit: the gradient is the ordinary one"
        ops = ", ".join(f"{op} ({n})" for op, n in self.hits.items())
        if self.ok:
            return (f"kinks hit: {ops}; the conventions' gradient is a generalized gradient here (within "
                    f"{self.distance:.1e} of the hull of {self.samples} nearby gradients)")
        return (f"kinks hit: {ops}; the conventions' gradient {np.array2string(np.asarray(self.convention), precision=4)} "
                f"is NOT a generalized gradient here: it lies {self.distance:.3g} from the convex hull of the "
                f"gradients around x; the choices of {', '.join(self.hits)} combined badly. The LD gradient "
                f"{np.array2string(np.asarray(self.lexicographic), precision=4)} is one "
                "(bc.kinks.lexicographic)")

    __repr__ = __str__


def _hull_distance(G, g):
    """The distance from ``g`` to the convex hull of the rows of ``G`` (nonnegative least squares)."""
    from scipy.optimize import nnls

    w = 1e3 * (1.0 + np.abs(G).max())
    A = np.vstack([G.T, w * np.ones((1, G.shape[0]))])
    b = np.concatenate([g, [w]])
    lam, _ = nnls(A, b)
    return float(np.linalg.norm(G.T @ lam - g))


def verify(f: Callable[[Any], Any], x: ArrayLike, samples: int | None = None, radius: float = 1e-6, seed: int = 0,
           atol: float = 1e-6) -> VerifyReport:
    """Whether ``bc.grad(f)(x)``, made of op-by-op conventions at kinks, is a generalized gradient.

    The kinks hit are counted; if there are any, the gradient is compared with the convex hull
    of the gradients at random points within ``radius`` of ``x`` (where ``f`` is differentiable,
    so every convention drops out): the Clarke subdifferential is the hull of such limits. The
    report names the ops whose conventions combined into a vector outside it, and gives the LD
    gradient (``lexicographic(f, mode="lock")``), which always lies in it.

    Parameters
    ----------
    f : callable
        A scalar function of one array.
    samples : int, optional
        Gradients sampled around ``x`` (default ``2 * x.size + 8``).

    Examples
    --------
    >>> import backchain as bc
    >>> from backchain.nn.functional import relu
    >>> report = bc.kinks.verify(lambda x: relu(x) - relu(-x), 0.0)
    >>> report.ok, float(report.convention), float(report.lexicographic)
    (False, 0.0, 1.0)
    """
    from .transforms import grad

    x = _as_float(x)
    with count() as hits:
        g = np.asarray(grad(f)(x), dtype=float)
    hit = {op: n for op, n in hits.items() if n}
    ld = np.asarray(lexicographic(f, mode="lock")(x), dtype=float)
    if not hit:
        return VerifyReport(True, g, ld, {}, 0.0, 0)
    rng = np.random.default_rng(seed)
    k = samples or 2 * x.size + 8
    scale = radius * (1.0 + np.abs(x))
    G = np.stack([np.asarray(grad(f)(x + scale * rng.standard_normal(x.shape)), dtype=float).ravel()
                  for _ in range(k)])
    dist = _hull_distance(G, g.ravel())
    return VerifyReport(bool(dist <= atol * (1.0 + np.abs(G).max())), g, ld, hit, dist, k)
