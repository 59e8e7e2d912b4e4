"""``odeint`` as one primitive: SciPy's LSODA forward, adjoint-method VJP, forward-sensitivity JVP.

The impl runs ``scipy.integrate.odeint`` on plain arrays. Derivatives are
first order only (``order=1``): both rules run ODE solves on plain data.

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

from .._core.primitive import Joint, primitive
from .._core.tensor import Tensor

__all__ = ["odeint"]


def _call(func, y, tt, args, tfirst):
    return func(tt, y, *args) if tfirst else func(y, tt, *args)


def _plain(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _odeint_impl(y0, t, *args, func, options, tfirst):
    y0 = np.asarray(y0)
    shape = y0.shape

    def f(y, tt):
        return np.ravel(np.asarray(_plain(_call(func, y.reshape(shape), tt, args, tfirst)), dtype=np.float64))

    out = si.odeint(f, np.ravel(y0).astype(np.float64), np.asarray(t, dtype=np.float64), **dict(options))
    out = out.reshape((len(t),) + shape)
    return out.astype(y0.dtype) if y0.dtype.kind == "f" else out


def _require_first_order(args):
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            raise NotImplementedError(
                "odeint: only first-order derivatives are supported (its rules solve ODEs on plain arrays); "
                "a derivative of a derivative through odeint was requested")


def _is_float(a):
    return np.asarray(a).dtype.kind in "fc"


def _adjoint(g, ans, y0, t, args, func, options, tfirst):
    """Cotangents of every input, by input position (non-float ``args`` get none)."""
    import backchain as bc

    g, ans, y0, t = (np.asarray(v, dtype=np.float64) for v in (g, ans, y0, t))
    args = [np.asarray(a) for a in args]
    shape, D = y0.shape, y0.size
    diff = [i for i, a in enumerate(args) if _is_float(a)]
    sizes = [args[i].size for i in diff]

    def f_and_vjp(y, tt, p_flat, cot):
        parts = np.split(p_flat, np.cumsum(sizes)[:-1]) if diff else []

        def fn(y_, t_, *p):
            full = list(args)
            for i, v in zip(diff, p):
                full[i] = v
            return _call(func, y_, t_, full, tfirst)

        p = [np.reshape(v, args[i].shape).astype(np.float64) for i, v in zip(diff, parts)]
        out, back = bc.vjp(fn, y, np.float64(tt), *p)
        cts = back(cot.reshape(np.shape(out)))
        return np.asarray(out), cts

    p0 = np.concatenate([args[i].ravel().astype(np.float64) for i in diff]) if diff else np.zeros(0)

    def augmented(state, tt):
        y = state[:D].reshape(shape)
        a = state[D:2 * D].reshape(shape)
        out, cts = f_and_vjp(y, tt, p0, -a)
        return np.concatenate([np.ravel(out), np.ravel(cts[0]), np.ravel(cts[1])]
                              + [np.ravel(c) for c in cts[2:]])

    T = len(t)
    ybar = g[-1].ravel()
    tbar = np.zeros(T)
    t0bar = 0.0
    pbar = np.zeros(p0.size)
    for i in range(T - 1, 0, -1):
        fi = np.ravel(_plain(_call(func, ans[i], t[i], args, tfirst)))
        tbar[i] = float(np.dot(fi, g[i].ravel()))
        t0bar -= tbar[i]
        state = np.concatenate([ans[i].ravel(), ybar, [t0bar], pbar])
        out = si.odeint(augmented, state, np.array([t[i], t[i - 1]]), **dict(options))[1]
        ybar = out[D:2 * D] + g[i - 1].ravel()
        t0bar = out[2 * D]
        pbar = out[2 * D + 1:]
    tbar[0] = t0bar
    result = {0: ybar.reshape(shape), 1: tbar}
    offsets = np.cumsum([0] + sizes)
    for k, i in enumerate(diff):
        result[2 + i] = pbar[offsets[k]:offsets[k + 1]].reshape(args[i].shape)
    return result


def _odeint_vjp(needs, g, ans, y0, t, *args, func, options, tfirst):
    """One backward solve gives the cotangents of every input (a ``Joint`` rule)."""
    _require_first_order((g, ans, y0, t) + args)
    res = _adjoint(g, ans, y0, t, args, func, options, tfirst)
    return [res.get(i) if need else None for i, need in enumerate(needs)]


def _odeint_jvp(i, tan, ans, y0, t, *args, func, options, tfirst):
    _require_first_order((tan, ans, y0, t) + args)
    import backchain as bc

    tan = np.asarray(_plain(tan), dtype=np.float64)
    y0, t = np.asarray(y0, dtype=np.float64), np.asarray(t, dtype=np.float64)
    args = [np.asarray(a) for a in args]
    shape, D = y0.shape, y0.size
    f = lambda y, tt, a: _plain(_call(func, y, tt, a, tfirst))  # noqa: E731

    if i == 0:
        s0, ptan = tan.ravel(), None
    elif i == 1:
        s0, ptan = -np.ravel(f(y0, t[0], args)) * tan[0], None
    else:
        s0, ptan = np.zeros(D), tan

    def augmented(state, tt):
        y = state[:D].reshape(shape)
        s = state[D:].reshape(shape)

        def fn(y_, *p):
            full = list(args)
            if p:
                full[i - 2] = p[0]
            return _call(func, y_, tt, full, tfirst)

        if ptan is None:
            out, tout = bc.jvp(fn, (y,), (s,))
        else:
            out, tout = bc.jvp(fn, (y, args[i - 2].astype(np.float64)), (s, ptan))
        return np.concatenate([np.ravel(_plain(out)), np.ravel(_plain(tout))])

    sol = si.odeint(augmented, np.concatenate([y0.ravel(), s0]), t, **dict(options))
    sens = sol[:, D:].reshape((len(t),) + shape)
    if i == 1:
        for k in range(len(t)):
            sens[k] += np.reshape(f(np.asarray(ans)[k], t[k], args), shape) * tan[k]
    return sens


odeint_p = primitive("scipy.integrate.odeint", _odeint_impl, vjp=Joint(_odeint_vjp), jvp=_odeint_jvp, variadic=True,
                     doc="Solve an ODE; adjoint-method VJP and forward-sensitivity JVP (first order).")


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
    Derivatives of second order are not supported (they raise).

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
    if traced and np.iscomplexobj(_plain(y0)):
        raise TypeError("odeint: complex states are not supported (SciPy's odeint is real and would drop the "
                        "imaginary part); integrate the real and imaginary parts as one real state")
    y0_shape = np.shape(_plain(y0))
    if y0_shape == ():
        y0 = y0 * np.ones(1) if isinstance(y0, Tensor) else np.ones(1) * y0  # SciPy treats a scalar as (1,)
    if np.ndim(_plain(t)) != 1:
        raise ValueError(f"odeint: t must be a 1-D array of times, got shape {np.shape(_plain(t))}")
    return odeint_p(y0, t, *args, func=func, options=tuple(sorted(options.items())), tfirst=bool(tfirst))
