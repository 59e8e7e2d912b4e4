"""``odeint`` as one primitive: SciPy's LSODA forward, adjoint-method VJP, forward-sensitivity JVP.

The impl runs ``scipy.integrate.odeint`` on plain arrays. Both rules are
written with ``backchain.numpy`` and ``odeint`` itself, on an augmented system
whose right-hand side is made of ``backchain.vjp`` / ``backchain.jvp`` calls, so
they are differentiable in turn: derivatives of any order (each order solves a
system about twice the size of the one before).

* VJP (the adjoint method, Chen et al. 2018, as in HIPS autograd): going back
  from the last time, the state ``[y, a, t0bar, pbar]`` is integrated backward
  with ``dy/dt = f``, ``da/dt = -a^T df/dy``, ``dt0bar/dt = -a^T df/dt``,
  ``dpbar/dt = -a^T df/dp``; the cotangent of each output time is added to
  ``a`` as the solve passes it. The vector-Jacobian products of ``func`` come
  from ``backchain.vjp``, so ``func`` is written with ``backchain.numpy``.
* JVP (forward sensitivities): ``[y, s]`` is integrated forward with
  ``ds/dt = df/dy s + df/dp pdot``, the products from ``backchain.jvp``; a
  tangent of the times adds ``f(y_k, t_k) tdot_k`` and starts ``s`` at
  ``-f(y0, t0) tdot_0``.

Both are accurate to the solver's tolerances (pass ``rtol``/``atol``).
"""
import numpy as np
import scipy.integrate as si

import backchain.numpy as bnp
from .._core.primitive import Joint, primitive
from .._core.tensor import Tensor
from .._vmap import rules as R

__all__ = ["odeint"]


def _call(func, y, tt, args, tfirst):
    return func(tt, y, *args) if tfirst else func(y, tt, *args)


def _plain(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _odeint_impl(y0, t, *args, func, options, tfirst):
    y0 = np.asarray(y0)
    shape = y0.shape

    def f(y, tt):
        return np.ravel(np.asarray(_plain(_call(func, y.reshape(shape), tt, args, tfirst)), dtype=np.float64))

    out = si.odeint(f, np.ravel(y0).astype(np.float64), np.asarray(t, dtype=np.float64), **dict(options))
    out = out.reshape((len(t),) + shape)
    return out.astype(y0.dtype) if y0.dtype.kind == "f" else out


def _is_float(a):
    return np.asarray(a._data if isinstance(a, Tensor) else a).dtype.kind in "fc"


def _flat(x):
    return bnp.reshape(x, (-1,))


def _f64(x):
    """``x`` in double precision (float64, or complex128 for a complex ``x``): the ODE solves run in it."""
    dtype = np.asarray(x._data if isinstance(x, Tensor) else x).dtype
    want = np.complex128 if dtype.kind == "c" else np.float64
    return x if dtype == want else bnp.astype(x, want)


class _Adjoint:
    """The adjoint system ``[y, a, t0bar, pbar]' = [f, -a^T df/dy, -a^T df/dt, -a^T df/dp]`` as a ``func``
    for ``odeint_p`` (signature ``(state, t, *args)``): the products from ``backchain.vjp``, so the system
    is differentiable in turn and so is ``odeint``'s VJP."""

    def __init__(self, func, shape, diff, tfirst):
        self.func, self.shape, self.diff, self.tfirst = func, shape, diff, tfirst

    def __call__(self, state, tt, *args):
        import backchain as bc

        d = int(np.prod(self.shape))
        y, a = bnp.reshape(state[:d], self.shape), bnp.reshape(state[d:2 * d], self.shape)
        # float64 parameters: the cotangents keep their inputs' dtype, and a float32 one would make the
        # adjoint system too rough for the solver's tolerances
        out, back = bc.vjp(_WithArgs(self.func, args, self.diff, self.tfirst), y, tt,
                           *[_f64(args[i]) for i in self.diff])
        cts = back(-a)
        return bnp.concatenate([_flat(out), _flat(cts[0]), bnp.reshape(cts[1], (1,))] + [_flat(c) for c in cts[2:]])


class _Sensitivity:
    """The forward sensitivities ``[y, s]' = [f, df/dy s + df/dp pdot]`` (``pdot``, the tangent of
    argument ``k``, is the last of ``args``; ``k`` None: no parameter tangent), for ``odeint_p``."""

    def __init__(self, func, shape, k, tfirst):
        self.func, self.shape, self.k, self.tfirst = func, shape, k, tfirst

    def __call__(self, state, tt, *args):
        import backchain as bc

        d = int(np.prod(self.shape))
        y, s = bnp.reshape(state[:d], self.shape), bnp.reshape(state[d:], self.shape)
        if self.k is None:
            out, tout = bc.jvp(_WithArgs(self.func, args, (), self.tfirst, tt), (y,), (s,))
        else:
            args, pdot = args[:-1], args[-1]
            out, tout = bc.jvp(_WithArgs(self.func, args, (self.k,), self.tfirst, tt), (y, _f64(args[self.k])),
                               (s, _f64(pdot)))
        return bnp.concatenate([_flat(out), _flat(tout)])


class _WithArgs:
    """``func`` at ``(y, t, *args)`` with the arguments at positions ``diff`` taken from the call:
    ``(y, t, *p)``, or ``(y, *p)`` when the time ``t`` is fixed."""

    def __init__(self, func, args, diff, tfirst, t=None):
        self.func, self.args, self.diff, self.tfirst, self.t = func, args, diff, tfirst, t

    def __call__(self, y, *rest):
        tt, p = (self.t, rest) if self.t is not None else (rest[0], rest[1:])
        full = list(self.args)
        for i, v in zip(self.diff, p):
            full[i] = v
        return _call(self.func, y, tt, full, self.tfirst)


def _odeint_vjp(needs, g, ans, y0, t, *args, func, options, tfirst):
    """The adjoint method, one backward solve per interval (a ``Joint`` rule: every cotangent at once).

    Written with ``backchain.numpy`` and ``odeint_p`` itself (on the adjoint system), so that the VJP is
    differentiable: derivatives of any order.
    """
    shape = np.shape(y0._data if isinstance(y0, Tensor) else y0)
    d = int(np.prod(shape))
    diff = tuple(i for i, a in enumerate(args) if _is_float(a))
    sizes = [int(np.size(args[i]._data if isinstance(args[i], Tensor) else args[i])) for i in diff]
    adjoint = _Adjoint(func, shape, diff, tfirst)
    n = len(t)
    ybar, t0bar, pbar = _flat(g[n - 1]), bnp.zeros(1), bnp.zeros(sum(sizes))
    tbar = [None] * n
    for i in range(n - 1, 0, -1):
        tbar[i] = bnp.sum(_flat(_call(func, ans[i], t[i], args, tfirst)) * _flat(g[i]))
        t0bar = t0bar - tbar[i]
        state = bnp.concatenate([_flat(ans[i]), ybar, t0bar, pbar])
        out = odeint_p(state, bnp.stack([t[i], t[i - 1]]), *args, func=adjoint, options=options, tfirst=False)[1]
        ybar, t0bar, pbar = out[d:2 * d] + _flat(g[i - 1]), out[2 * d:2 * d + 1], out[2 * d + 1:]
    tbar[0] = t0bar[0]
    result = [bnp.reshape(ybar, shape) if needs[0] else None, bnp.stack(tbar) if needs[1] else None]
    result += [None] * len(args)
    offsets = np.cumsum([0] + sizes)
    for k, i in enumerate(diff):
        if needs[2 + i]:
            a = args[i]._data if isinstance(args[i], Tensor) else args[i]
            result[2 + i] = bnp.reshape(pbar[offsets[k]:offsets[k + 1]], np.shape(a))
    return result


def _odeint_jvp(i, tan, ans, y0, t, *args, func, options, tfirst):
    """Forward sensitivities: ``odeint_p`` on ``[y, s]`` (differentiable in turn)."""
    shape = np.shape(y0._data if isinstance(y0, Tensor) else y0)
    f = lambda y, tt: _call(func, y, tt, args, tfirst)  # noqa: E731
    if i == 0:
        s0, extra, k = tan, (), None
    elif i == 1:
        s0, extra, k = -bnp.reshape(f(y0, t[0]), shape) * tan[0], (), None
    else:
        s0, extra, k = bnp.zeros(shape), (tan,), i - 2
    state = bnp.concatenate([_flat(y0), _flat(s0)])
    sol = odeint_p(state, t, *args, *extra, func=_Sensitivity(func, shape, k, tfirst), options=options, tfirst=False)
    d = int(np.prod(shape))
    sens = bnp.reshape(sol[:, d:], (len(t),) + shape)
    if i == 1:  # moving an output time moves the output along f
        moved = bnp.stack([bnp.reshape(f(ans[j], t[j]), shape) * tan[j] for j in range(len(t))])
        sens = sens + moved
    return sens


odeint_p = primitive("scipy.integrate.odeint", _odeint_impl, vjp=Joint(_odeint_vjp), jvp=_odeint_jvp, variadic=True,
                     doc="Solve an ODE; adjoint-method VJP and forward-sensitivity JVP, both solved by odeint "
                         "itself (any order).", batch=R.LOOP)


class _Flat:
    """``func`` called with the leaves of nested ``args`` (lists, tuples, dicts) put back in place."""

    def __init__(self, func, rebuild):
        self.func, self.rebuild = func, rebuild

    def __call__(self, a, b, *leaves):
        return self.func(a, b, *self.rebuild(list(leaves)))


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, tfirst=False, **options):
    """``scipy.integrate.odeint``, differentiable in ``y0``, ``t`` and the arrays in ``args`` (first order).

    ``args`` may hold nested lists, tuples and dicts of arrays (a network's
    ``[(W, b), ...]``); each array in them is an input.

    ``func(y, t, *args)`` (or ``func(t, y, *args)`` with ``tfirst=True``) must be
    written with ``backchain.numpy`` so that its vector-Jacobian products exist;
    ``y0`` may have any shape. Keyword options (``rtol``, ``atol``, ``mxstep``,
    ...) are passed to SciPy for the forward solve and for the derivative solves.
    Derivatives of any order: the rules solve augmented systems with ``odeint`` itself.

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.integrate import odeint
    >>> dy = lambda y, t, k: -k * y
    >>> g = bc.grad(lambda k: odeint(dy, 1.0, np.array([0.0, 1.0]), (k,), rtol=1e-10, atol=1e-10)[-1, 0])(0.5)
    >>> round(float(g), 6)  # d/dk exp(-k) = -exp(-k)
    -0.606531
    """
    if Dfun is not None or full_output:
        raise NotImplementedError("odeint: Dfun= and full_output= are not supported; the Jacobian comes from "
                                  "backchain")
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if any(isinstance(a, (tuple, list, dict)) for a in args):  # containers: their leaves are the inputs
        from ..transforms import tree_flatten

        leaves, rebuild = tree_flatten(list(args))
        func, args = _Flat(func, rebuild), tuple(leaves)
    traced = any(isinstance(v, Tensor) for v in (y0, t, *args))
    # their shapes and dtypes (inside vmap, an example's)
    y0m, tm = (v if isinstance(v, Tensor) else np.asarray(v) for v in (y0, t))
    if traced and y0m.dtype.kind == "c":
        raise TypeError("odeint: complex states are not supported (SciPy's odeint is real and would drop the "
                        "imaginary part); integrate the real and imaginary parts as one real state")
    y0_shape = tuple(y0m.shape)
    if y0_shape == ():
        y0 = y0 * np.ones(1) if isinstance(y0, Tensor) else np.ones(1) * y0  # SciPy treats a scalar as (1,)
    if tm.ndim != 1:
        raise ValueError(f"odeint: t must be a 1-D array of times, got shape {tuple(tm.shape)}")
    return odeint_p(y0, t, *args, func=func, options=tuple(sorted(options.items())), tfirst=bool(tfirst))
