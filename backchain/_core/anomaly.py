"""Anomaly mode: where did the first NaN or inf come from, and did a saved input change?

``detect_anomaly()`` (a thread-local context manager) and ``set_detect_anomaly``
(a process-wide flag) switch on, for operations on Tensors:

* a finiteness check of every forward result: the first primitive that turns
  finite inputs into NaN or inf raises :class:`AnomalyError` (or warns with
  :class:`AnomalyWarning`), naming the op, its inputs' dtypes and shapes and
  the user's source line;
* for every recorded node, the user's source line (the first frame outside the
  backchain package) and a fingerprint (BLAKE2b) of each saved array;
* in backward, the same finiteness check of every VJP rule's result, naming the
  rule and the forward line that created the node, and a comparison of the
  fingerprints: a saved array that was mutated in place (even through a plain
  ndarray) raises :class:`InplaceError` instead of giving a wrong gradient.

When anomaly mode is off nothing of this runs: the primitive callers test one
module global (``primitive._anomaly_hook``, None when no thread has anomaly mode
on) on the Tensor path, and the engine reads one flag per backward pass.
"""
import hashlib
import linecache
import os
import sys
import threading
import warnings

import numpy as np

from . import primitive as _primitive
from .tensor import TRACES, Tensor, _state

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError", "AnomalyWarning",
           "InplaceError"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class AnomalyError(FloatingPointError):
    """An operation turned finite inputs into NaN or inf (raised in anomaly mode).

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> x = bc.tensor([-1.0], requires_grad=True)
    >>> try:
    ...     with np.errstate(invalid="ignore"), bc.detect_anomaly():
    ...         y = x.log()
    ... except bc.AnomalyError as e:
    ...     print(type(e).__name__)
    ...
    AnomalyError
    """


class AnomalyWarning(RuntimeWarning):
    """Anomaly mode with ``warn=True``: the report of :class:`AnomalyError` as a warning.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> import warnings
    >>> x = bc.tensor([-1.0], requires_grad=True)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with np.errstate(invalid="ignore"), bc.detect_anomaly(warn=True):
    ...         y = x.log()
    ...
    >>> [w.category.__name__ for w in caught if issubclass(w.category, bc.AnomalyWarning)]
    ['AnomalyWarning']
    """


class InplaceError(RuntimeError):
    """A value that a recorded graph reads in backward was modified in place before backward ran.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> x = bc.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.exp()                 # exp's rule reads its output
    >>> z = y.sum()
    >>> with bc.no_grad():
    ...     _ = y.mul_(2)
    >>> try:
    ...     z.backward()
    ... except bc.InplaceError as e:
    ...     print(type(e).__name__)
    ...
    InplaceError
    """


class _Thread(threading.local):
    def __init__(self):
        self.stack = []  # warn flags of the active detect_anomaly blocks of this thread
        self.in_backward = 0


_thread = _Thread()
_lock = threading.Lock()
_global = {"on": False, "warn": False}
_active_blocks = 0  # detect_anomaly blocks open in all threads


def _install():
    _primitive._anomaly_hook = _hook if (_global["on"] or _active_blocks) else None


def active():
    """Whether anomaly mode is on in the calling thread."""
    return _primitive._anomaly_hook is not None and (bool(_thread.stack) or _global["on"])


def _warn_mode():
    return _thread.stack[-1] if _thread.stack else _global["warn"]


def is_anomaly_enabled():
    """Whether anomaly detection is on in the calling thread (by a block or the global flag).

    >>> import backchain as bc
    >>> bc.is_anomaly_enabled()
    False
    """
    return active()


def set_detect_anomaly(mode, warn=False):
    """Switch anomaly detection on or off for the whole process (every thread).

    Parameters
    ----------
    mode : bool
    warn : bool
        Report anomalies with :class:`AnomalyWarning` instead of raising
        :class:`AnomalyError` (in threads with no ``detect_anomaly`` block).

    >>> import backchain as bc
    >>> bc.set_detect_anomaly(True); bc.is_anomaly_enabled()
    True
    >>> bc.set_detect_anomaly(False)
    """
    with _lock:
        _global["on"] = bool(mode)
        _global["warn"] = bool(warn)
        _install()


class detect_anomaly:
    """Context manager (and decorator): report the first op that produces NaN or inf, and in-place changes.

    Inside the block (in this thread), every operation on Tensors checks its
    result; the first one that turns finite inputs into NaN or inf, in forward
    or in a backward rule, raises :class:`AnomalyError` naming the op, its
    inputs' dtypes and shapes, the backward rule, and your source line of the
    forward call that created the node. Saved arrays are fingerprinted, so a
    saved input mutated before backward raises :class:`InplaceError`. Costs
    about as much as the op itself; nothing when off.

    Parameters
    ----------
    warn : bool
        Emit an :class:`AnomalyWarning` and go on instead of raising.

    Examples
    --------
    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> x = bc.tensor([0.0, 1.0], requires_grad=True)
    >>> with bc.detect_anomaly(), np.errstate(divide="ignore"):
    ...     y = bnp.sqrt(x).sum()
    ...     try:
    ...         y.backward()
    ...     except bc.AnomalyError as e:
    ...         print(str(e).splitlines()[0])
    backward of 'sqrt' (rule for input 0) produced inf from finite values
    """

    def __init__(self, warn=False):
        self.warn = bool(warn)

    def __enter__(self):
        global _active_blocks
        with _lock:
            _active_blocks += 1
            _thread.stack.append(self.warn)
            _install()
        return self

    def __exit__(self, *exc):
        global _active_blocks
        with _lock:
            _active_blocks -= 1
            _thread.stack.pop()
            _install()

    def __call__(self, fn):
        import functools

        warn = self.warn

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(warn):
                return fn(*args, **kwargs)

        return wrapper


# -- helpers ---------------------------------------------------------------------------
def _finite(x):
    """False if ``x`` (an array, number, Tensor, or list/tuple of them) holds a NaN or inf."""
    if isinstance(x, Tensor):
        x = x._data
    if isinstance(x, (list, tuple)):
        return all(_finite(v) for v in x)
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in "fc":
            return True
        return bool(np.isfinite(x).all())
    if isinstance(x, (float, complex)):
        return bool(np.isfinite(x))
    return True


def _user_frame():
    """(filename, lineno, function) of the first caller frame outside the backchain package."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        f = f.f_back
    if f is None:
        return None
    return f.f_code.co_filename, f.f_lineno, f.f_code.co_name


def _where(frame):
    if frame is None:
        return "an unknown line (no caller frame outside backchain)"
    filename, lineno, name = frame
    line = linecache.getline(filename, lineno).strip()
    return f'File "{filename}", line {lineno}, in {name}' + (f"\n    {line}" if line else "")


def _digest(a):
    if isinstance(a, Tensor):
        a = a._data
    if not isinstance(a, (np.ndarray, np.generic)):
        return None
    a = np.ascontiguousarray(a)
    return hashlib.blake2b(a.view(np.uint8).reshape(-1), digest_size=16).digest()


def _describe(x):
    if isinstance(x, Tensor):
        x = x._data
    if isinstance(x, (np.ndarray, np.generic)):
        return f"{x.dtype}{list(np.shape(x))}"
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__} of {len(x)}"
    return type(x).__name__


def _report(message):
    if _warn_mode():
        warnings.warn(message, AnomalyWarning, stacklevel=4)
    else:
        raise AnomalyError(message)


class Trace:
    """What anomaly mode keeps on a recorded node: the user's line and saved-array fingerprints."""

    __slots__ = ("frame", "digests")

    def __init__(self, frame, digests):
        self.frame = frame
        self.digests = digests


# -- the forward hook (installed in primitive._anomaly_hook) -----------------------------
def _hook(prim, args, raw, params, out):
    th = _thread
    if not (th.stack or _global["on"]) or th.in_backward:
        return _primitive._record(prim, args, raw, params, out, None)
    if not _finite(out) and _finite(raw):
        bad = "NaN" if _has_nan(out) else "inf"
        _report(f"forward of '{prim.name}' produced {bad} from finite inputs "
                f"({', '.join(_describe(a) for a in raw)})\n  at {_where(_user_frame())}")
    trace = None
    if _state.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args):
        digests = tuple((i, _digest(a)) for i, a in enumerate(args)
                        if isinstance(a, (Tensor, np.ndarray)))
        trace = Trace(_user_frame(), digests + ((-1, _digest(out)),) if not prim.multiple_results else digests)
    return _primitive._record(prim, args, raw, params, out, trace)


def _has_nan(x):
    if isinstance(x, (list, tuple)):
        return any(_has_nan(v) for v in x)
    x = np.asarray(x._data if isinstance(x, Tensor) else x)
    return x.dtype.kind in "fc" and bool(np.isnan(x).any())


# -- backward checks (called by the engine when active()) -------------------------------
def enter_backward():
    _thread.in_backward += 1


def exit_backward():
    _thread.in_backward -= 1


def check_node(t):
    """Before a node's rules run: its saved arrays are unchanged since it was recorded."""
    trace = TRACES.get(t)
    if trace is None or trace.digests is None:
        return
    for i, d in trace.digests:
        if d is None:
            continue
        x = t if i == -1 else t._inputs[i]
        if _digest(x) != d:
            what = "its output" if i == -1 else f"its input {i} ({_describe(x)})"
            raise InplaceError(
                f"backward: '{t._prim.name}' saved {what} for backward, and that array was modified in place "
                f"after the op was recorded, so its gradient would be wrong. The op was recorded at "
                f"{_where(trace.frame)}\nDo not mutate arrays (or Tensor.data) between the forward pass and "
                "backward; work on a copy, or run backward first.")


def check_vjp(t, i, rule, g, ans, args, c):
    """After a VJP rule: finite cotangent and saved values must not give NaN or inf."""
    if _finite(c) or not (_finite(g) and _finite(ans) and _finite(args)):
        return
    bad = "NaN" if _has_nan(c) else "inf"
    name = _rule_name(t._prim.name, "vjp", i, rule)
    trace = TRACES.get(t)
    where = _where(trace.frame) if trace is not None else "an unknown line (recorded before anomaly mode was on)"
    _report(f"backward of '{t._prim.name}' (rule for input {i}) produced {bad} from finite values\n"
            f"  rule: {name}\n  cotangent: {_describe(g)}; inputs: {', '.join(_describe(a) for a in args)}; "
            f"output: {_describe(ans)}\n  the node was created by the forward call at {where}")


def _rule_name(op, kind, i, rule):
    fn = rule.func if hasattr(rule, "func") else rule
    code = getattr(fn, "__code__", None)
    where = ""
    if code is not None:
        filename = code.co_filename
        if filename.startswith(_PACKAGE):
            filename = "backchain/" + filename[len(_PACKAGE):]
        where = f" ({getattr(fn, '__qualname__', '?')}, {filename}, line {code.co_firstlineno})"
    return f"{op}.{kind}[{i}]{where}"


def check_jvp(t, i, rule, tx, ans, args, c):
    """After a JVP rule: finite tangent and saved values must not give NaN or inf."""
    if _finite(c) or not (_finite(tx) and _finite(ans) and _finite(args)):
        return
    trace = TRACES.get(t)
    where = _where(trace.frame) if trace is not None else "an unknown line"
    _report(f"forward-mode derivative of '{t._prim.name}' (rule for input {i}) produced "
            f"{'NaN' if _has_nan(c) else 'inf'} from finite values\n  rule: {_rule_name(t._prim.name, 'jvp', i, rule)}"
            f"\n  inputs: "
            f"{', '.join(_describe(a) for a in args)}\n  the node was created at {where}")
