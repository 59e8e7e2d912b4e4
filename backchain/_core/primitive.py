"""Primitives: the operations the engine knows a derivative rule for.

A primitive is declared once, as one row: its NumPy implementation and its
derivative rules. Rule functions receive the primal output ``ans`` and the
primal inputs (``args``) followed by the static keyword parameters:

* ``vjp[i](g, ans, *args, **params)`` returns the cotangent of input ``i``
  (before broadcasting is undone; the engine does that in one place);
* ``jvp[i](t, ans, *args, **params)`` returns the contribution of the tangent
  ``t`` of input ``i`` to the output tangent.

Shorthands derive both modes from one formula:

* ``deriv=(d0, d1, ...)``: elementwise partial derivatives ``d_i(ans, *args)``;
  then ``vjp_i = g * d_i`` and ``jvp_i = t * d_i``;
* ``linear=True``: the op is linear in each differentiable input, so
  ``jvp_i`` applies the op itself to the tangent; only the VJP is given.

Rows whose local derivative can be infinite or NaN (poles, overflow, a product
with an operand that may have overflowed) multiply through :func:`safe_times`
instead: an exact zero cotangent (or tangent) times an infinite or NaN local
derivative gives 0, so the branch of a ``where`` that was not taken leaks no NaN
(DESIGN.md section 4). The plain ``deriv=`` product skips that check, which
would cost about 0.3 µs per rule on small arrays.

Rules are written with ``backchain.numpy``: during a first-order backward they
receive plain arrays and run as plain NumPy; under ``create_graph`` they receive
Tensors and are recorded, so derivatives of any order need no extra code.

The caller of a primitive declared with ``kinks=`` also checks one module
global, ``_kink_hook``: ``backchain.kinks.count`` sets it to count the elements
that sit exactly on a kink; the callers of the others never read it. Every
caller checks one more global on the Tensor path, ``_anomaly_hook``, which is
None unless anomaly mode (``backchain.detect_anomaly``) is on in some thread;
one before it, ``_batch_hook``, which is None unless a ``backchain.vmap`` runs
(then a call with a batched argument goes to the row's ``batch=`` rule); and one
more, ``_trace_hook``, which is None unless ``backchain.jit`` is tracing a function
(it then records the call into the program and makes the result).
"""
import functools
import threading

import numpy as np

from .tensor import MANY, ONE, TRACES, Tensor, _seq, _state, make_const

__all__ = ["Primitive", "primitive", "REGISTRY", "safe_times", "Joint"]

# Every primitive ever declared, by name: the rule table that the tests iterate over.
REGISTRY = {}


class _Variadic:
    """Rules of a primitive with any number of array inputs: ``rule(i, ...)``."""

    __slots__ = ("rule",)

    def __init__(self, rule):
        self.rule = rule

    def __getitem__(self, i):
        return functools.partial(self.rule, i)

    def __len__(self):
        return 1 << 30


class Joint:
    """The VJP rules of a primitive whose inputs' cotangents come from one evaluation.

    Why: the backward recurrence of an LSTM layer gives the cotangents of its input, states,
    weights and biases at once, as one ODE solve gives those of ``odeint``'s every input. The
    engine calls ``fn(needs, g, ans, *args, **params)`` once per node; it returns one cotangent
    per input (None: zero), and ``needs[i]`` tells whether input ``i``'s is wanted. Nothing is
    cached between nodes, so nothing outlives the node's backward step.

    Indexing gives per-input rules, for code that asks for one input's rule (each call then
    evaluates ``fn`` for that input alone); ``nondiff`` lists the inputs without a derivative
    (their rule is None). ``n=None`` serves a variadic primitive. With ``symbolic_zeros`` (a
    primitive with several results), the cotangent of a result that nothing used stays None
    in ``g`` instead of an array of zeros.

    >>> import numpy as np, backchain as bc
    >>> from backchain.custom import Joint
    >>> def vjp(needs, g, ans, x, y):   # both cotangents from one product of g
    ...     s = g * (x + y)
    ...     return (s if needs[0] else None), (s if needs[1] else None)
    >>> f = bc.defprimitive("half_square_of_sum", lambda x, y: (x + y) ** 2 / 2, vjp=Joint(vjp, 2),
    ...                     jvp=(lambda t, ans, x, y: t * (x + y),) * 2, export=False)
    >>> float(bc.grad(lambda x: f(x, 2.0))(1.0))
    3.0
    """

    __slots__ = ("fn", "n", "nondiff", "symbolic_zeros")

    def __init__(self, fn, n=None, nondiff=(), symbolic_zeros=False):
        self.fn, self.n, self.nondiff, self.symbolic_zeros = fn, n, frozenset(nondiff), symbolic_zeros

    def __len__(self):
        return 1 << 30 if self.n is None else self.n

    def __getitem__(self, i):
        if self.n is not None and not -self.n <= i < self.n:
            raise IndexError(i)
        return None if i in self.nondiff else functools.partial(self._one, i)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def _one(self, i, g, ans, *args, **params):
        return self.fn(tuple(k == i for k in range(len(args))), g, ans, *args, **params)[i]

    def for_node(self, inputs, boundary, g, ans, args, params, outer=None):
        """Per-input rules for one node's backward step: each returns its share of one evaluation."""
        needs = tuple(isinstance(x, Tensor) and x.requires_grad
                      and (x._seq >= boundary or outer is not None and id(x) in outer)
                      and i not in self.nondiff for i, x in enumerate(inputs))
        cts = self.fn(needs, g, ans, *args, **params)
        return tuple(_Given(self.fn, c) if need else None for need, c in zip(needs, cts))


class _Given:
    """A rule that returns a cotangent already computed (by a ``Joint``); ``func`` names the rule."""

    __slots__ = ("func", "value")

    def __init__(self, func, value):
        self.func, self.value = func, value

    def __call__(self, *args, **params):
        return self.value


class Primitive:
    """One differentiable operation: implementation, rules, and what is known about it.

    Use :func:`primitive` to declare one. It returns ``prim.fn``, the function
    that applies the op (recording it when an input is a Tensor that requires
    grad); ``fn.prim`` leads back to this object.
    """

    __slots__ = ("name", "impl", "fast", "vjps", "jvps", "linear", "saves", "multiple_results", "kinks", "ld", "doc",
                 "fn", "user", "batch", "__weakref__")

    def __repr__(self):
        return f"<primitive {self.name}>"


_INF = float("inf")


def safe_times(g, d):
    """``g * d``, where an exact zero in ``g`` gives an exact 0 even if ``d`` is inf or NaN.

    ``0 * inf`` and ``0 * nan`` would be NaN: a zero cotangent (the branch of a
    ``where`` not taken) times an infinite local derivative (``exp`` overflowed,
    ``1 / 0``) must contribute nothing. A NaN or inf met with a non-zero ``g``
    (the selected branch) still propagates. The check costs one BLAS pass over
    ``d`` (its dot product with itself is finite iff every element is, short of an
    overflow of the squares, which takes the careful path): a finite ``d`` needs no
    fix, so the product is returned as it is; otherwise the product is taken with
    NumPy's "invalid" warning off (``0 * inf`` is not the user's error) and its
    NaNs where ``g`` is 0 are replaced. A finite Python number ``d`` needs no check.
    """
    if type(d) is float and d - d == 0.0:
        return g * d
    if _trace_hook is not None and (isinstance(g, Tensor) or isinstance(d, Tensor)):
        # bc.jit is tracing: the checks below would decide on this call's values; the masked product
        # is right for every replay
        from .. import numpy as bnp

        with np.errstate(invalid="ignore"):
            return bnp.where(g == 0, 0.0, g * d)
    dd = d._data if isinstance(d, Tensor) else d
    if type(dd) is np.ndarray:
        s = dd.dot(dd) if dd.ndim == 1 else np.vdot(dd, dd)
        if abs(s) < _INF:  # (NaN compares False)
            return g * d
    elif getattr(dd, "_batched", False):  # a batch of local derivatives (inside vmap): fixed below
        pass
    elif abs(dd) < _INF:  # a finite scalar
        return g * d
    with np.errstate(invalid="ignore"):
        out = g * d
    tp = type(out)
    if tp is np.ndarray:
        s = out.dot(out) if out.ndim == 1 else np.vdot(out, out)
        if s != s:
            out = np.where(g == 0, 0, out)
    elif getattr(out, "_batched", False):  # inside vmap (a batch of cotangents): the fix per element
        from .. import numpy as bnp

        out = bnp.where(g == 0, 0.0, out)
    elif isinstance(out, Tensor):  # higher order: the mask is a constant, so the fix records one op, and only if needed
        od = out._data
        s = np.vdot(od, od)
        if s != s:
            from .. import numpy as bnp

            out = bnp.where((g._data if isinstance(g, Tensor) else np.asarray(g)) == 0, 0.0, out)
    elif out != out and g == 0:  # a NumPy or Python scalar holding NaN
        out = out.dtype.type(0) if hasattr(out, "dtype") else 0.0
    return out


def _elementwise_rules(derivs):
    def mk_vjp(d):
        rule = lambda g, ans, *args, **params: g * d(ans, *args, **params)  # noqa: E731
        rule.deriv = d  # what the rule reads is what d reads (versions.reads)
        return rule

    def mk_jvp(d):
        return lambda t, ans, *args, **params: t * d(ans, *args, **params)

    return (
        tuple(None if d is None else mk_vjp(d) for d in derivs),
        tuple(None if d is None else mk_jvp(d) for d in derivs),
    )


def _linear_jvps(call, vjps):
    def mk(i):
        def jvp(t, ans, *args, **params):
            args = list(args)
            args[i] = t
            return call(*args, **params)

        return jvp

    if isinstance(vjps, _Variadic):
        return _Variadic(lambda i, t, ans, *args, **params: mk(i)(t, ans, *args, **params))
    return tuple(None if v is None else mk(i) for i, v in enumerate(vjps))


def _shapes(args):
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            a = a._data
        shape = getattr(a, "shape", None)
        if shape is not None:
            parts.append(f"{getattr(a, 'dtype', '')}{list(shape)}")
        elif isinstance(a, (int, float, complex, bool)):
            parts.append(type(a).__name__)
        elif isinstance(a, (list, tuple)):
            parts.append(f"{type(a).__name__} of {len(a)}")
        else:
            parts.append(type(a).__name__)
    return ", ".join(parts)


def op_error(name, err, args):
    """Re-raise a NumPy error so that it names the operation and its arguments' shapes and dtypes."""
    msg = str(err)
    if msg.startswith(f"{name}: "):  # NumPy already named the operation
        msg = msg[len(name) + 2:]
    text = f"{name}: {msg} (inputs: {_shapes(args)})"
    try:
        return type(err)(text)
    except TypeError:  # e.g. NumPy's _UFuncNoLoopError takes (ufunc, dtypes): fall back to its builtin base
        base = next(c for c in type(err).__mro__ if c.__module__ == "builtins")
        return base(text)


# The ``batch=`` marks that are not rule functions: derived from broadcasting, or a loop over the batch.
ELEMENTWISE = "elementwise"
LOOP = "loop"


def primitive(name, impl, vjp=None, jvp=None, *, deriv=None, linear=False, variadic=False,
              multiple_results=False, kinks=None, ld=None, doc=None, fast=None, register=True, saves=None,
              batch=None):
    """Declare a differentiable primitive in one row and return the function that applies it.

    Parameters
    ----------
    name : str
        The name shown in errors, graphs and the kink table.
    impl : callable
        The forward computation on plain arrays.
    vjp, jvp : tuple of callables, or one callable ``rule(i, ...)`` if ``variadic``
        Per-input rules (``None`` marks a non-differentiable input). ``vjp`` may also be a
        :class:`Joint`: one evaluation gives the cotangents of every input.
    deriv : tuple of callables
        Elementwise shorthand: partial derivatives ``d_i(ans, *args, **params)``,
        multiplied plainly (use ``safe_times`` rules where ``d_i`` can be inf or NaN).
    linear : bool
        The op is linear in each differentiable input: the JVP applies the op to the tangent.
    multiple_results : bool
        ``impl`` returns a tuple of arrays.
    kinks : object
        Where the primitive is not differentiable and the convention used there.
    ld : backchain._ld.Rule, optional
        Its one-sided rule at those kinks, for directional and lexicographic derivatives
        (``bc.kinks.directional``, ``bc.kinks.lexicographic``): the branch that a perturbation
        enters, instead of the convention.
    fast : callable, optional
        The implementation used when an argument is a Tensor (so its data is an
        ndarray or NumPy scalar), e.g. ``operator.mul``, which skips the ufunc
        machinery for NumPy scalars. Defaults to ``impl``.
    register : bool
        Enter the primitive in ``REGISTRY`` (the rule table that the tests cover);
        rules made on the fly by users (``custom_vjp``, ``Function``) are not.
    saves : bool, optional
        Whether the rules read values (the inputs or the output), which backward checks
        against later in-place writes (``_core/versions.py``). By default what each rule
        reads is taken from its code, except for a ``linear`` row called with one array
        input (whose rule reads only shapes). Rows whose rules read only the cotangent
        (``add``, ``negative``) pass ``saves=False``.
    batch : callable or str, optional
        How ``backchain.vmap`` batches the op (``backchain/_vmap``): a rule
        ``batch(prim, args, batched, **params)`` that receives the arrays with the batch axis
        first where ``batched[i]`` and returns the output with its batch axis first;
        ``ELEMENTWISE`` (derived from broadcasting: the default of ``deriv=`` rows and of
        elementwise ufuncs); or ``LOOP``, an explicit loop over the batch (which warns once).
    """
    prim = Primitive()
    prim.name = name
    prim.impl = impl
    prim.fast = impl if fast is None else fast
    prim.linear = linear
    prim.saves = saves
    prim.multiple_results = multiple_results
    prim.kinks = kinks
    prim.ld = ld
    prim.doc = doc
    prim.user = False
    if batch is None and (deriv is not None or isinstance(impl, np.ufunc) and impl.signature is None):
        batch = ELEMENTWISE
    prim.batch = batch
    if deriv is not None:
        vjp, jvp = _elementwise_rules(deriv)
    elif variadic:
        vjp = vjp if isinstance(vjp, Joint) else _Variadic(vjp)
        jvp = None if jvp is None else _Variadic(jvp)
    if vjp is None:
        raise ValueError(f"primitive {name}: give vjp rules or deriv=")
    prim.vjps = vjp if isinstance(vjp, (_Variadic, Joint)) else tuple(vjp)
    prim.fn = _make_caller(prim)
    if linear and jvp is None:
        jvp = _linear_jvps(prim.fn, prim.vjps)
    if jvp is None:
        raise ValueError(f"primitive {name}: give jvp rules, deriv= or linear=True")
    prim.jvps = tuple(jvp) if not isinstance(jvp, _Variadic) else jvp
    if register:
        if name in REGISTRY:
            raise ValueError(f"primitive {name} is declared twice")
        REGISTRY[name] = prim
    return prim.fn


# -- kink counting hooks (used by backchain.kinks.count) -------------------------------

class _KinkCounting(threading.local):
    """Per thread: the active ``kinks.count`` blocks, the layer names pushed by modules,
    and whether a backward or forward-mode sweep is running (its rule evaluations are
    not forward passes, so they are not counted)."""

    counters = ()
    layers = ()
    paused = 0


KINK_COUNTING = _KinkCounting()
# None unless some thread is counting; then the function ``hook(prim, out, raw_args, params)``.
_kink_hook = None
# None unless some thread has anomaly mode on (backchain._core.anomaly); then the function
# ``hook(prim, args, raw_args, params, out)`` that checks the result and records the node.
_anomaly_hook = None
# None unless a ``backchain.vmap`` is running; then the function ``hook(prim, args, params)`` that
# applies ``prim`` to batched arguments, or returns NotImplemented when none is batched.
_batch_hook = None
# None unless backchain.jit is tracing; then an object called as ``hook(prim, args, raw_args, params,
# out)`` that records the call into the program being traced and returns its result (backchain/jit).
_trace_hook = None
# Whether some Tensor subclass gives its results its own class (``Tensor._result``); until one
# does, every result is a plain Tensor and the callers skip the lookup.
_result_classes = False


def use_result_classes():
    """From now on, results take the ``_result`` class of their highest-ranked Tensor argument."""
    global _result_classes
    _result_classes = True


def result_class(args):
    """The class of the result of an operation on ``args``: the ``_result`` of its Tensor of highest
    ``_rank`` (the first among equals)."""
    cls, rank = Tensor, -1
    for a in args:
        if isinstance(a, Tensor) and a._rank > rank:
            cls, rank = a._result, a._rank
    return cls


def _as_array_operands(args, vjps):
    """``args`` with lists and tuples in differentiable positions made arrays, so that the rules
    (which read them at backward: ``t @ [1., 2.]``) see what the forward computed with."""
    n = len(vjps)
    return tuple(np.asarray(a) if (a.__class__ is list or a.__class__ is tuple) and i < n and vjps[i] is not None
                 else a for i, a in enumerate(args))


def _holds_tensor(obj):
    """Whether a list or tuple holds a Tensor at any depth (without recursion)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            return True
        if isinstance(o, (list, tuple)):
            stack.extend(o)
    return False


def _with_tensors_stacked(args):
    """``args`` with every list or tuple that holds a Tensor made one Tensor (``backchain.numpy.array``
    stacks it differentiably), or None if no argument holds one.

    Why: NumPy takes ``[t1, t2]`` wherever it takes an array_like; converting the list itself would
    cut the gradient (``Tensor.__array__`` refuses). The callers try this only after NumPy raised, so
    the usual calls pay nothing for it.
    """
    if not any((a.__class__ is list or a.__class__ is tuple) and _holds_tensor(a) for a in args):
        return None
    from ..numpy import array

    return tuple(array(a) if (a.__class__ is list or a.__class__ is tuple) and _holds_tensor(a) else a
                 for a in args)


def _inexact(out):
    """Whether ``out`` can carry a derivative: integer and bool results are constants (JAX's rule)."""
    dt = getattr(out, "dtype", None)
    return not isinstance(out, int) if dt is None else dt.kind in "fcO"  # bool is an int


def _record(prim, args, raw_args, params, out, trace):
    """The callers' recording step, for anomaly mode (which also keeps a ``trace`` on the node).
    NOTE: keep in step with the recording in ``_make_caller``."""
    if _state.enabled and (prim.multiple_results or _inexact(out)):
        vjps = prim.vjps
        i = 0
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad and vjps[i] is not None:
                t = object.__new__(result_class(args) if _result_classes else Tensor)
                t._data = out
                t.requires_grad = True
                t.grad = None
                t._prim = prim
                n = len(args)
                if n > 1 and not isinstance(vjps, (_Variadic, Joint)):
                    args = _as_array_operands(args, vjps)
                if n == 1:
                    t._x, t._y = args[0], ONE
                elif n == 2:
                    t._x, t._y = args
                else:
                    t._x, t._y = args, MANY
                t._params = params
                t._seq = next(_seq)
                if trace is not None:
                    TRACES[t] = trace
                if prim.multiple_results:
                    n = len(out)
                    return tuple(tuple_get(t, index=k, n=n) for k in range(n))
                return t
            i += 1
    cls = result_class(args) if _result_classes else None
    if prim.multiple_results:
        return tuple(make_const(o, cls) for o in out)
    return make_const(out, cls)


def _foreign(out):
    """Whether ``out`` is another library's array (xarray's DataArray): its ``__array_ufunc__`` took the call."""
    return (not isinstance(out, (np.ndarray, np.generic, int, float, complex))
            and getattr(type(out), "__array_ufunc__", None) is not None)


def _to_foreign(prim, out, args, params):
    """The ufunc applied as NumPy applies it to an ndarray and ``out``'s type: that type's ``__array_ufunc__``
    runs it on its own data and the Tensors, so the result is its type holding a traced Tensor (NumPy's
    answer for ``ndarray * DataArray``, with the gradient kept)."""
    if not isinstance(prim.impl, np.ufunc):
        raise TypeError(f"{prim.name}: an operand of type {type(out).__name__} took the call; backchain "
                        "differentiates it only through a ufunc")
    other = next((a for a in args if type(a) is type(out)), None)
    if other is None:
        raise TypeError(f"{prim.name}: the result is a {type(out).__name__}, which none of the operands is")
    return other.__array_ufunc__(prim.impl, "__call__", *args, **params)


def _make_caller(prim):
    """The function that applies ``prim``: a plain NumPy call when no argument is a
    Tensor, otherwise the computation on the data and, when traced, the node.

    Primitives with kinks (``counted``) also report to ``_kink_hook`` while some
    thread counts kinks; the others never look at it. Anomaly mode takes over the
    recording through ``_anomaly_hook``. NOTE: the recording below is ``_record``
    inlined (the hottest path of the library); keep the two in step.
    """
    impl, fast, vjps, name, multiple = prim.impl, prim.fast, prim.vjps, prim.name, prim.multiple_results
    counted = prim.kinks is not None
    new, seq, state, one, many, ndarray = object.__new__, _seq, _state, ONE, MANY, np.ndarray
    plain = not isinstance(vjps, (_Variadic, Joint))  # per-position rules: lists there are operands

    def call(*args, **params):
        for a in args:
            if isinstance(a, Tensor):
                break
        else:  # the fast path: no Tensor among the arguments, a plain NumPy call
            try:
                out = impl(*args, **params)
            except (ValueError, TypeError, IndexError) as e:
                held = _with_tensors_stacked(args) if e.__class__ is TypeError else None
                if held is not None:  # NumPy met a traced Tensor inside a list: an array_like operand
                    return call(*held, **params)
                raise op_error(name, e, args) from None
            if counted and _kink_hook is not None:
                _kink_hook(prim, out, args, params)
            return out
        if _batch_hook is not None:  # inside vmap: a batched argument takes the batching rule
            out = _batch_hook(prim, args, params)
            if out is not NotImplemented:
                return out
        n = len(args)  # the arrays: unrolled for one and two arguments (a comprehension costs 0.1 µs)
        if n == 1:
            raw = [a._data]
        elif n == 2:
            a, b = args
            raw = [a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b]
        else:
            raw = [a._data if isinstance(a, Tensor) else a for a in args]
        try:
            out = fast(*raw, **params)
        except (ValueError, TypeError, IndexError) as e:
            held = _with_tensors_stacked(args) if e.__class__ is TypeError else None
            if held is not None:
                return call(*held, **params)
            raise op_error(name, e, args) from None
        if counted and _kink_hook is not None:
            _kink_hook(prim, out, raw, params)
        if _trace_hook is not None:
            return _trace_hook(prim, args, raw, params, out)
        if _anomaly_hook is not None:
            return _anomaly_hook(prim, args, raw, params, out)
        if state.enabled:
            i = 0
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad and vjps[i] is not None:
                    if not multiple:  # integer and bool results are constants (JAX's rule)
                        kind = out.dtype.kind if out.__class__ is ndarray else None
                        if kind is None:
                            if _foreign(out):
                                return _to_foreign(prim, out, args, params)
                            if not _inexact(out):
                                break
                        elif kind != "f" and kind != "c":
                            break
                    t = new(result_class(args) if _result_classes else Tensor)  # the output Tensor is the node
                    t._data = out
                    t.requires_grad = True
                    t.grad = None
                    t._prim = prim
                    if n == 1:  # the inputs, in two slots (tensor.py says why)
                        t._x = args[0]
                        t._y = one
                    elif n == 2:
                        a, b = args
                        if plain and (a.__class__ is list or b.__class__ is list or a.__class__ is tuple
                                      or b.__class__ is tuple):  # list operands: arrays for the rules
                            a, b = _as_array_operands(args, vjps)
                        t._x = a
                        t._y = b
                    else:
                        if plain:
                            for a in args:
                                if a.__class__ is list or a.__class__ is tuple:
                                    args = _as_array_operands(args, vjps)
                                    break
                        t._x = args
                        t._y = many
                    t._params = params
                    t._seq = next(seq)
                    if multiple:
                        n = len(out)
                        return tuple(tuple_get(t, index=k, n=n) for k in range(n))
                    return t
                i += 1
        cls = result_class(args) if _result_classes else None
        if multiple:
            return tuple(make_const(o, cls) for o in out)
        return make_const(out, cls)

    call.__name__ = name
    call.__qualname__ = name
    call.__doc__ = prim.doc or (
        f"``{name}``: a differentiable primitive of backchain (NumPy's function of that name where one "
        f"exists, with the same arguments)." + (f" Kinks: {prim.kinks}." if isinstance(prim.kinks, str) else ""))
    call.prim = prim
    return call


def _tuple_get_vjp(g, ans, tup, index, n):
    out = [None] * n
    out[index] = g
    return out


tuple_get = primitive(
    "tuple_get",
    lambda tup, index, n: tup[index],
    vjp=(_tuple_get_vjp,),
    jvp=(lambda t, ans, tup, index, n: t[index],),
    batch=LOOP,
)
