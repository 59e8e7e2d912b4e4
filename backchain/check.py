"""Checking derivatives against finite differences.

``gradcheck`` compares a function's reverse- and forward-mode derivatives
with central differences, by random projection (cost independent of size), to
any order. ``ops`` checks every recorded operation of a computation locally and
prints a table: the seed's "calculate the gradient for every layer" as one call.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._display import should_print
from ._core.engine import toposort
from ._core.tensor import Tensor

if TYPE_CHECKING:
    from .nn.module import Module

__all__ = ["gradcheck", "GradcheckError", "GradcheckReport", "ops", "layers", "LayersReport", "OpsReport"]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when a derivative disagrees with finite differences.

    The message is the :class:`GradcheckReport` as a table: the order, the argument,
    the mode, the analytic and numeric values, and the worst element. A subclass of
    ``AssertionError``, so a failing check fails a test. Pass
    ``raise_exception=False`` to get the report instead.

    Examples
    --------
    A rule that forgets the factor 2 of ``d(x**2)/dx``:

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> @bc.custom_vjp
    ... def square(x):
    ...     return x * x
    >>> square.defvjp(lambda x: (x * x, x), lambda x, g: (g * x,))
    >>> try:
    ...     bc.gradcheck(lambda x: bnp.sum(square(x)), np.array([1.0, 2.0]), order=1)
    ... except bc.check.GradcheckError as e:
    ...     print(str(e).splitlines()[0])
    gradcheck FAILED
    """


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _rand_like(rng, x):
    x = np.asarray(x)
    r = rng.standard_normal(x.shape)
    if np.iscomplexobj(x):
        r = r + 1j * rng.standard_normal(x.shape)
    return r


def _pair(a, b):
    # a Tensor here depends on something the function closes over (a module's parameters): its value only
    return float(np.real(np.sum(np.asarray(_data(a)) * np.asarray(_data(b)))))


def _table(headers, rows):
    cols = list(zip(*([headers] + [[str(c) for c in r] for r in rows]))) if rows else [[h] for h in headers]
    widths = [max(len(str(c)) for c in col) for col in cols]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


class GradcheckReport:
    """What :func:`gradcheck` compared; truthy when everything agreed. ``str()`` is a table.

    Attributes
    ----------
    rows : list of tuple
        ``(order, argument, mode, analytic, numeric, error, ok, where)``, one per
        comparison: ``mode`` is ``"rev"`` (per argument) or ``"fwd"`` (all arguments
        together); ``where`` names the worst element or the kink, if any.
    ok : bool
        Whether every row agreed.

    Examples
    --------
    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> report = bc.gradcheck(lambda x: bnp.sum(bnp.sin(x)), np.array([1.0, 2.0]))
    >>> bool(report), [(order, arg, mode, ok) for order, arg, mode, _, _, _, ok, _ in report.rows]
    (True, [(1, 'arg0', 'rev', True), (1, 'all', 'fwd', True), (2, 'arg0', 'rev', True), (2, 'all', 'fwd', True)])
    >>> str(report).splitlines()[0]
    'gradcheck passed'
    """

    def __init__(self) -> None:
        self.rows = []  # (order, argument, mode, analytic, numeric, error, ok, detail)

    def add(self, order: int, arg: str, mode: str, analytic: float, numeric: float, tol: float, detail: str = ""
            ) -> None:
        err = abs(analytic - numeric)
        self.rows.append((order, arg, mode, analytic, numeric, err, err <= tol, detail))

    def add_checked(self, order: int, arg: str, mode: str, analytic: float, numeric: float, err: float, ok: bool,
                    detail: str) -> None:
        """A row whose verdict was reached otherwise (at a kink: the interval test)."""
        self.rows.append((order, arg, mode, analytic, numeric, err, ok, detail))

    @property
    def ok(self) -> bool:
        return all(r[6] for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        rows = [(o, a, m, f"{an:.8g}", f"{nu:.8g}", f"{e:.2e}", "ok" if ok else "FAIL", d)
                for o, a, m, an, nu, e, ok, d in self.rows]
        status = "gradcheck passed" if self.ok else "gradcheck FAILED"
        return status + "\n" + _table(["order", "argument", "mode", "analytic", "numeric", "error", "", "where"],
                                      rows)

    __repr__ = __str__


def _worst_element(f, xs, j, u, eps, analytic_ct):
    """Per-element comparison for argument ``j`` of d<u, f>/dx (at most 2,000 elements)."""
    x = np.asarray(xs[j], dtype=np.result_type(xs[j], np.float64))
    n = min(x.size, 2000)
    num = np.zeros(n)
    for k in range(n):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        plus = list(xs)
        minus = list(xs)
        plus[j], minus[j] = x + e, x - e
        num[k] = (_pair(u, f(*plus)) - _pair(u, f(*minus))) / (2 * eps)
    ana = np.real(np.asarray(analytic_ct)).reshape(-1)[:n]
    k = int(np.argmax(np.abs(ana - num)))
    idx = np.unravel_index(k, x.shape) if x.ndim else ()
    return f"index {tuple(int(i) for i in idx)}: analytic {ana[k]:.8g}, numeric {num[k]:.8g}"


# -- kinks ------------------------------------------------------------------------------------
#
# At a kink the central difference averages two different one-sided slopes and says nothing
# about the value a rule chose. The one-sided differences l = (F - M) / eps and r = (P - F) / eps
# come from the same evaluations. They differ by O(eps) for a smooth function and by O(1) at a
# kink; halving the step tells the two apart (the gap halves, or stays), and tells a kink from a
# jump (the one-sided quotients double: no derivative exists). At a kink, any value between the
# one-sided derivatives is a subgradient along the probe direction for a convex or concave
# piece, so the analytic value must lie in [min(l, r), max(l, r)] (Richardson-extrapolated).

def _one_sided(F, P, M, P2, M2, eps):
    """One-sided difference quotients at eps and eps/2, and the extrapolated ones."""
    r, l = (P - F) / eps, (F - M) / eps
    r2, l2 = (P2 - F) / (eps / 2), (F - M2) / (eps / 2)
    return r, l, r2, l2, 2 * r2 - r, 2 * l2 - l


def _kinds(r, l, r2, l2, tol):
    """Boolean masks (jump, kink) from the one-sided quotients (elementwise)."""
    r, l, r2, l2 = (np.asarray(a, dtype=float) for a in (r, l, r2, l2))
    jump = ((np.abs(r2) > 1.5 * np.abs(r)) & (np.abs(r) > tol)) | ((np.abs(l2) > 1.5 * np.abs(l)) & (np.abs(l) > tol))
    gap, gap2 = np.abs(r - l), np.abs(r2 - l2)
    kink = ~jump & (gap > tol) & (gap2 > 0.75 * gap)
    return jump, kink


_ELEMENTS = 2000  # elements per argument checked one by one at kinks


def _element_lines(f, xs, j, eps):
    """For each element k (at most ``_ELEMENTS``) of argument j: its unit tangent and the outputs
    at x_j + s e_k for s = 0 (given), eps, -eps, eps/2, -eps/2."""
    x = xs[j]
    for k in range(min(x.size, _ELEMENTS)):
        e = np.zeros(x.size)
        e[k] = 1.0
        e = e.reshape(x.shape)
        vals = []
        for step in (eps, -eps, eps / 2, -eps / 2):
            args = list(xs)
            args[j] = x + step * e
            vals.append(np.asarray(_data(f(*args)), dtype=float))
        yield k, e, vals


def _judge(a, F, P, M, P2, M2, eps, tol):
    """Elementwise verdict on analytic ``a`` from the outputs along one line:
    ``(error, ok, kind, lo, hi)``, kind 0 smooth, 1 kink, 2 jump."""
    r, l, r2, l2, rr, ll = _one_sided(F, P, M, P2, M2, eps)
    jump, kink = _kinds(r, l, r2, l2, tol)
    lo, hi = np.minimum(ll, rr), np.maximum(ll, rr)
    central = (P - M) / (2 * eps)
    err = np.where(jump, 0.0, np.where(kink, np.maximum(np.maximum(lo - a, a - hi), 0.0), np.abs(a - central)))
    return err, err <= tol, np.where(jump, 2, np.where(kink, 1, 0)), lo, hi


def _kink_verdict(f, w0, g, seed):
    """For ``check.layers(kinks=True)``: the kinks hit, and how the gradient of the conventions compares
    with an LD gradient (``bc.kinks.lexicographic``, branches locked by one random direction): "same",
    or the relative difference and, for a parameter of at most 64 entries, whether the conventions'
    gradient lies in the hull of nearby gradients (``bc.kinks.verify``)."""
    from . import kinks as _kinks

    with _kinks.count() as hits:
        f(w0)
    hit = sum(n for n in dict(hits.items()).values())
    if not hit:
        return 0, "no kink hit"
    try:
        ld = np.asarray(_kinks.lexicographic(f, mode="lock")(w0, directions="random"))
    except ValueError as e:  # LDError: no LD-derivative at this point
        return hit, f"no LD-derivative: {e}"
    diff = float(np.linalg.norm(ld - g) / max(np.linalg.norm(ld), 1e-300))
    if diff <= 1e-9:
        return hit, "conventions = LD"
    if w0.size <= 64:
        report = _kinks.verify(f, w0, seed=seed)
        return hit, (f"differs from LD by {diff:.1e}; " + ("still a generalized gradient" if report.ok
                     else "NOT a generalized gradient (bc.kinks.verify)"))
    return hit, f"differs from LD by {diff:.1e} (the conventions chose another element at a kink)"


def _line_error(a, F, P, M, P2, M2, eps, tol):
    """The error of directional derivative ``a`` along a line that a kink may cross within the step:
    at a kink, its distance from the one-sided derivatives' interval; otherwise the smaller of its
    distances from the central differences at eps and eps / 2 (a kink between the two steps)."""
    err, ok, kind, lo, hi = _judge(a, F, P, M, P2, M2, eps, tol)
    if kind == 0:
        err = min(float(err), abs(a - (P2 - M2) / eps))
    return float(err)


def _summary(where_first, a, lo, hi, kind, ok, counts):
    nk, nj = counts
    parts = []
    if kind == 1:
        parts.append(f"kink at {where_first}: analytic value {a:.6g} {'within' if ok else 'outside'} "
                     f"[{lo:.6g}, {hi:.6g}]")
    elif not ok:
        parts.append(f"{where_first}: analytic {a:.6g} disagrees with the difference")
    if nk and kind != 1:
        parts.append(f"kink at {nk} element(s): analytic values within [l, r]")
    elif nk > 1:
        parts.append(f"{nk} elements on kinks")
    if nj:
        parts.append(f"jump at {nj} element(s): no derivative, not checked")
    return "; ".join(parts)


def _rev_by_element(f, xs, j, name, u, ct, out, eps, atol, rtol, scale, analytic, numeric):
    """Reverse mode at kinks, element by element of argument j: (analytic, numeric, error, ok, detail)."""
    ct = np.real(ct).reshape(-1)
    fu = _pair(u, out)
    worst, counts = None, [0, 0]
    for k, _, (P, M, P2, M2) in _element_lines(f, xs, j, eps):
        vals = [_pair(u, v) for v in (P, M, P2, M2)]
        num = (vals[0] - vals[1]) / (2 * eps)
        tol = atol * max(1.0, float(np.sum(np.abs(u))) * scale) + rtol * abs(num)
        err, ok, kind, lo, hi = (np.asarray(v).item() for v in _judge(ct[k], fu, *vals, eps, tol))
        counts[0] += kind == 1
        counts[1] += kind == 2
        key = err - tol
        if worst is None or key > worst[0]:
            worst = (key, k, err, ok, kind, lo, hi)
    _, k, err, ok, kind, lo, hi = worst
    idx = tuple(int(i) for i in np.unravel_index(k, xs[j].shape))
    detail = _summary(f"{name} index {idx}", float(ct[k]), lo, hi, kind, ok, counts)
    return analytic, numeric, float(err), bool(ok), detail


def _fwd_by_element(f, xs, out, eps, tol_vec):
    """Forward mode at kinks, one input element at a time: (analytic, numeric, error, ok, detail)."""
    from .transforms import jvp

    F = np.asarray(out, dtype=float)
    worst, counts = None, [0, 0]
    for j, x in enumerate(xs):
        for k, e, (P, M, P2, M2) in _element_lines(f, xs, j, eps):
            tangents = [np.zeros_like(y) for y in xs]
            tangents[j] = e
            a = np.real(np.asarray(_data(jvp(f, tuple(xs), tuple(tangents))[1])))
            num = (P - M) / (2 * eps)
            tol = np.max(tol_vec) if np.size(tol_vec) else 0.0
            err, ok, kind, lo, hi = _judge(a, F, P, M, P2, M2, eps, tol)
            counts[0] += int(np.sum(kind == 1))
            counts[1] += int(np.sum(kind == 2))
            i = int(np.argmax(err - tol)) if err.size else 0
            key = float((err - tol).reshape(-1)[i])
            if worst is None or key > worst[0]:
                worst = (key, j, k, i, a.reshape(-1)[i], num.reshape(-1)[i], err.reshape(-1)[i],
                         ok.reshape(-1)[i], kind.reshape(-1)[i], lo.reshape(-1)[i], hi.reshape(-1)[i])
    _, j, k, i, a, n_, err, ok, kind, lo, hi = worst
    xi = tuple(int(v) for v in np.unravel_index(k, xs[j].shape))
    oi = tuple(int(v) for v in np.unravel_index(i, F.shape))
    detail = _summary(f"arg{j} index {xi} (output index {oi})", float(a), lo, hi, kind, bool(ok), counts)
    return float(a), float(n_), float(err), bool(ok), detail


def _where_text(name, x):
    x = np.asarray(x)
    return f"{name} = {x.item():.6g}" if x.size == 1 else f"the probe line through {name}"


def _check(f, xs, names, order_label, modes, eps, atol, rtol, rng, report, locate=True):
    from .transforms import jvp, vjp

    out = np.asarray(_data(f(*xs)))
    real = not np.iscomplexobj(out) and not any(np.iscomplexobj(x) for x in xs)
    u = _rand_like(rng, out)
    vs = [_rand_like(rng, x) for x in xs]
    plus = f(*[x + eps * v for x, v in zip(xs, vs)])
    minus = f(*[x - eps * v for x, v in zip(xs, vs)])
    num_jv = (np.asarray(_data(plus)) - np.asarray(_data(minus))) / (2 * eps)
    scale = max(1.0, float(np.max(np.abs(num_jv)))) if num_jv.size else 1.0
    if "rev" in modes:
        _, vjp_fn = vjp(f, *xs)
        cts = vjp_fn(u)
        for j, (name, c, v) in enumerate(zip(names, cts, vs)):
            # per argument: <vjp(u)_j, v_j> against the difference along v_j alone
            vj = [np.zeros_like(w) for w in vs]
            vj[j] = v
            p = f(*[x + eps * w for x, w in zip(xs, vj)])
            m = f(*[x - eps * w for x, w in zip(xs, vj)])
            numeric = _pair(u, (np.asarray(_data(p)) - np.asarray(_data(m))) / (2 * eps))
            analytic = _pair(c, v)
            tol = atol * max(1.0, float(np.sum(np.abs(u))) * scale) + rtol * abs(numeric)
            fu, pu, mu = _pair(u, out), _pair(u, _data(p)), _pair(u, _data(m))
            # one-sided slopes that differ (a kink?) or a failed comparison (a jump?): look closer
            if real and (abs((pu - fu) - (fu - mu)) / eps > tol or abs(analytic - numeric) > tol):
                h = eps / 2
                p2 = _pair(u, _data(f(*[x + h * w for x, w in zip(xs, vj)])))
                m2 = _pair(u, _data(f(*[x - h * w for x, w in zip(xs, vj)])))
                r, l, r2, l2, rr, ll = _one_sided(fu, pu, mu, p2, m2, eps)
                jump, kink = _kinds(r, l, r2, l2, tol)
                where = _where_text(name, xs[j])
                if (jump or kink) and xs[j].size > 1:
                    # kinks of several elements can cancel along a random line: check element by element
                    report.add_checked(order_label, name, "rev",
                                       *_rev_by_element(f, xs, j, name, u, np.asarray(_data(c)), out, eps, atol,
                                                        rtol, scale, analytic, numeric))
                    continue
                if jump:
                    report.add_checked(order_label, name, "rev", analytic, numeric, 0.0, True,
                                       f"jump at {where}: no derivative, not checked")
                    continue
                if kink:
                    lo, hi = min(ll, rr), max(ll, rr)
                    err = max(lo - analytic, analytic - hi, 0.0)
                    ok = err <= tol
                    report.add_checked(order_label, name, "rev", analytic, numeric, err, ok,
                                       f"kink at {where}: analytic value {analytic:.6g} "
                                       f"{'within' if ok else 'outside'} [{lo:.6g}, {hi:.6g}]")
                    continue
            detail = ""
            if abs(analytic - numeric) > tol and locate:
                detail = _worst_element(f, xs, j, u, eps, np.asarray(_data(c)))
            report.add(order_label, name, "rev", analytic, numeric, tol, detail)
    if "fwd" in modes:
        _, jv = jvp(f, tuple(xs), tuple(vs))
        jv = np.asarray(_data(jv))
        err_vec = np.abs(jv - num_jv)
        tol_vec = atol * scale + rtol * np.abs(num_jv)
        if real and jv.size:
            fwd_kinks = _fwd_kinks(f, xs, vs, out, plus, minus, eps, jv, err_vec, tol_vec)
            if fwd_kinks is not None:
                report.add_checked(order_label, "all", "fwd", *fwd_kinks)
                return u
        k = int(np.argmax(err_vec - tol_vec)) if err_vec.size else 0
        a = complex(jv.reshape(-1)[k]).real if jv.size else 0.0
        n_ = complex(num_jv.reshape(-1)[k]).real if num_jv.size else 0.0
        detail = "" if not err_vec.size or err_vec.reshape(-1)[k] <= tol_vec.reshape(-1)[k] else \
            f"output index {tuple(int(i) for i in np.unravel_index(k, jv.shape))}"
        report.add(order_label, "all", "fwd", a, n_, float(tol_vec.reshape(-1)[k]) if jv.size else 0.0, detail)
    return u


def _fwd_kinks(f, xs, vs, out, plus, minus, eps, jv, err_vec, tol_vec):
    """Forward mode, elementwise over the output: None if no element sits on a kink or a jump,
    else the report row ``(analytic, numeric, error, ok, detail)`` of the worst element."""
    F = np.asarray(out, dtype=float)
    P, M = np.asarray(_data(plus), dtype=float), np.asarray(_data(minus), dtype=float)
    tol = np.broadcast_to(tol_vec, F.shape)
    if not np.any((np.abs((P - F) - (F - M)) / eps > tol) | (err_vec > tol)):
        return None
    h = eps / 2
    P2 = np.asarray(_data(f(*[x + h * v for x, v in zip(xs, vs)])), dtype=float)
    M2 = np.asarray(_data(f(*[x - h * v for x, v in zip(xs, vs)])), dtype=float)
    r, l, r2, l2, rr, ll = _one_sided(F, P, M, P2, M2, eps)
    jump, kink = _kinds(r, l, r2, l2, tol)
    if not (jump.any() or kink.any()):
        return None
    if sum(x.size for x in xs) > 1:
        return _fwd_by_element(f, xs, out, eps, tol_vec)
    lo, hi = np.minimum(ll, rr), np.maximum(ll, rr)
    a_vec = np.real(jv)
    outside = np.maximum(np.maximum(lo - a_vec, a_vec - hi), 0.0)
    err = np.where(jump, 0.0, np.where(kink, outside, err_vec))
    excess = np.where(jump, -np.inf, err - tol)
    k = int(np.argmax(excess))
    idx = tuple(int(i) for i in np.unravel_index(k, F.shape))
    ok = bool(excess.reshape(-1)[k] <= 0)
    num = (P - M) / (2 * eps)
    a, n_ = float(a_vec.reshape(-1)[k]), float(num.reshape(-1)[k])
    parts = []
    if kink.reshape(-1)[k]:
        parts.append(f"kink at output index {idx}: analytic value {a:.6g} {'within' if ok else 'outside'} "
                     f"[{lo.reshape(-1)[k]:.6g}, {hi.reshape(-1)[k]:.6g}]")
    elif not ok:
        parts.append(f"output index {idx}")
    nk, nj = int(kink.sum()), int(jump.sum())
    if nk and not kink.reshape(-1)[k]:
        parts.append(f"kink at {nk} output element(s): analytic values within [l, r]")
    elif nk > 1:
        parts.append(f"{nk} output elements on kinks, all within [l, r]" if ok else f"{nk} on kinks")
    if nj:
        parts.append(f"jump at {nj} output element(s): no derivative, not checked")
    return a, n_, float(err.reshape(-1)[k]), ok, "; ".join(parts)


def gradcheck(f: Callable[..., Any], *args: Any, order: int = 2, modes: Sequence[str] = ("rev", "fwd"),
              eps: float | None = None, atol: float | None = None, rtol: float | None = None, seed: int = 0,
              raise_exception: bool = True) -> GradcheckReport:
    """Compare ``f``'s derivatives at ``args`` with central finite differences.

    Reverse mode is checked per argument by random projection
    (``<vjp(u), v>`` against ``<u, (f(x + eps v) - f(x - eps v)) / 2 eps>``),
    forward mode on the whole output; ``order=2`` repeats both for the
    derivative of ``x -> <vjp(u)(x), w>``. Inputs are promoted to float64.

    Returns a truthy :class:`GradcheckReport`; on disagreement raises
    :class:`GradcheckError` whose message names the argument, the mode, the
    analytic and numeric values, and the worst element.

    Arguments may be dicts, lists and tuples of arrays: each array is checked
    as an argument of its own, named by its place (``arg0['w']``).

    Kink-aware: when the one-sided differences at the probe point disagree (a
    kink, confirmed at half the step), the analytic value must lie between
    them (in the subdifferential along the probe direction) and the row says
    "kink at ..., analytic value within [l, r]"; where the function jumps (no
    derivative exists) the row says "jump at ...: not checked".

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> report = bc.gradcheck(lambda x: bnp.maximum(x, 0), np.array(0.0))
    >>> "kink at arg0 = 0: analytic value" in str(report) and "within" in str(report)
    True

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bool(bc.gradcheck(lambda x, y: bnp.sum(bnp.sin(x) * y), bnp.ones(3), bnp.ones(3)))
    True
    """
    from .transforms import vjp

    from .transforms import tree_flatten

    rng = np.random.default_rng(seed)
    names = _leaf_names(args)
    leaves, rebuild = tree_flatten(list(args))
    if len(leaves) != len(args) or any(isinstance(a, (dict, list, tuple)) for a in args):
        f = _on_leaves(f, rebuild)  # containers (dicts, lists, tuples): each array is checked as an argument
    xs = []
    for name, a in zip(names, leaves):
        a = np.asarray(_data(a))
        if a.dtype.kind not in "fc":
            raise TypeError(f"gradcheck: argument {name} has dtype {a.dtype}; expected floating point or complex")
        xs.append(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64))
    eps = 1e-6 if eps is None else eps
    atol = 1e-6 if atol is None else atol
    rtol = 1e-4 if rtol is None else rtol
    report = GradcheckReport()
    u = _check(f, xs, names, 1, modes, eps, atol, rtol, rng, report)
    if order >= 2:
        ws = [_rand_like(rng, x) for x in xs]

        def h(*x_):
            _, vjp_fn = vjp(f, *x_)
            import backchain.numpy as bnp
            total = 0.0
            for c, w in zip(vjp_fn(u), ws):
                total = total + bnp.sum(c * w)  # arguments may differ in shape: sum each term
            return total
        _check(h, xs, names, 2, modes, eps * 10, atol * 10, rtol * 10, rng, report)
    if order >= 3:
        raise ValueError("gradcheck: order is 1 or 2 (check a derivative function for higher orders)")
    if not report.ok and raise_exception:
        raise GradcheckError(str(report))
    return report


def _leaf_names(args):
    """``arg0``, ``arg1['w']``, ``arg2[0]``: the arrays of the arguments, in the order they are flattened."""
    from .transforms import dict_order

    names, stack = [], [(f"arg{i}", a) for i, a in reversed(list(enumerate(args)))]
    while stack:
        name, a = stack.pop()
        if isinstance(a, dict):
            stack.extend((f"{name}[{k!r}]", a[k]) for k in reversed(dict_order(a)))
        elif isinstance(a, (list, tuple)) and not isinstance(a, Tensor):
            stack.extend((f"{name}[{k}]", v) for k, v in reversed(list(enumerate(a))))
        else:
            names.append(name)
    return names


def _on_leaves(f, rebuild):
    def flat(*leaves):
        return f(*rebuild(list(leaves)))
    return flat


def ops(f: Callable[..., Any], *args: Any, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4, seed: int = 0,
        quiet: bool | None = None) -> OpsReport:
    """Check the derivative rule of every operation recorded by ``f(*args)``, each at its own inputs.

    Returns a table: op number, name, output shape, largest error of its VJP against finite
    differences, pass/fail; prints it too, unless ``quiet`` (by default: printed in a script,
    only returned at an interactive prompt or in Jupyter, which show it).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> report = bc.check.ops(lambda x: bnp.sum(bnp.tanh(x) * 2.0), bnp.ones(3), quiet=True)
    >>> report.ok
    True
    """
    from .transforms import _Trace, tree_flatten

    leaves, unflatten = tree_flatten(list(args))
    trace = _Trace([np.asarray(_data(a), dtype=np.float64) if np.asarray(_data(a)).dtype.kind == "f"
                    else _data(a) for a in leaves], "check.ops")
    out = trace.run(f, unflatten(trace.inputs))
    roots = [o for o in tree_flatten(out)[0] if isinstance(o, Tensor) and o.requires_grad]
    order, _ = toposort(roots, trace.boundary)
    rng = np.random.default_rng(seed)
    report = OpsReport()
    for n, t in enumerate(reversed(order)):
        prim = t._prim
        if prim.name in ("input", "tuple_get"):
            continue
        inputs, params = t._inputs, t._params
        raw = [x._data if isinstance(x, Tensor) else x for x in inputs]
        diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad
                and prim.vjps[i] is not None and np.asarray(x._data).dtype.kind in "fc"]
        if not diff:
            continue

        def local(*xs, _raw=raw, _diff=diff, _fn=prim.fn, _params=params, _multi=prim.multiple_results):
            full = list(_raw)
            for i, x in zip(_diff, xs):
                full[i] = x
            res = _fn(*full, **_params)
            return res if not _multi else res[0]

        sub = GradcheckReport()
        try:
            _check(local, [np.asarray(raw[i], dtype=np.result_type(raw[i], np.float64)) for i in diff],
                   [f"in{i}" for i in diff], 1, ("rev",), eps, atol, rtol, rng, sub, locate=False)
            err = max((r[5] for r in sub.rows), default=0.0)
            ok = sub.ok
        except Exception as e:  # a rule that raises is a failed check, reported as such
            err, ok = float("nan"), False
            sub.rows.append((1, "-", "rev", 0.0, 0.0, float("nan"), False, repr(e)))
        report.rows.append((n, prim.name, np.shape(t._data) if not isinstance(t._data, tuple) else "tuple",
                            err, ok))
    if should_print(None if quiet is None else not quiet):
        print(report)
    return report


class OpsReport:
    """Per-operation results of :func:`ops`; truthy when every operation passed. ``str()`` is a table.

    Attributes
    ----------
    rows : list of tuple
        ``(index, op, output shape, max error, ok)``, one per recorded operation, in the order of the forward pass.
    ok : bool
        Whether every operation's VJP agreed with finite differences.

    Examples
    --------
    >>> import backchain as bc, backchain.numpy as bnp
    >>> report = bc.check.ops(lambda x: bnp.sum(bnp.tanh(x) * 2.0), bnp.ones(3), quiet=True)
    >>> bool(report), [(i, op, shape, ok) for i, op, shape, _, ok in report.rows]
    (True, [(0, 'tanh', (3,), True), (1, 'multiply', (3,), True), (2, 'sum', (), True)])
    """

    def __init__(self) -> None:
        self.rows = []  # (index, op, output shape, max error, ok)

    @property
    def ok(self) -> bool:
        return all(r[4] for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        rows = [(i, op, shape, f"{e:.2e}", "ok" if ok else "FAIL") for i, op, shape, e, ok in self.rows]
        return _table(["#", "op", "output shape", "max error", ""], rows)

    __repr__ = __str__


def layers(model: Module | Callable[..., Any], inputs: Any, loss_fn: Callable[[Any], Any] | None = None, *,
           eps: float = 1e-6, atol: float = 1e-7, rtol: float = 1e-5, seed: int = 0, quiet: bool | None = None,
           kinks: bool = False, **kwargs: Any) -> LayersReport | OpsReport:
    """Check the gradient of every layer of ``model`` against finite differences, and look for dead units.

    For a :class:`backchain.nn.Module`: a float64 copy of the model is made
    (the model itself is not touched); for every submodule that owns
    parameters, the gradient of ``loss_fn(model(inputs))`` with respect to
    each of its parameters is compared with central differences along random
    directions (two per parameter, so the cost does not grow with its size).
    The report (printed as ``bc.check.ops`` prints its table) lists layer path, parameter, shape,
    largest relative error and pass/fail; it also lists dead units (outputs of
    ReLU and ReLU6 layers never positive over the batch) and parameters whose
    gradient is identically zero. With ``kinks=True`` it also says, per parameter, how many
    kinks the loss hit and whether the gradient the conventions gave there equals an
    LD gradient (``bc.kinks.lexicographic``), and for small parameters whether it is a
    generalized gradient at all (``bc.kinks.verify``). ``inputs`` may be a tuple of positional
    inputs; ``loss_fn`` defaults to the sum of the output. Dropout is switched
    off in the copy (finite differences need a deterministic function).

    For any other callable, every recorded operation of ``loss_fn(model(inputs))``
    is checked locally (see :func:`ops`).

    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(3, 4), bc.nn.Tanh(), bc.nn.Linear(4, 1))
    >>> report = bc.check.layers(model, np.ones((5, 3), dtype=np.float32), quiet=True)
    >>> report.ok, [r[0] for r in report.rows]
    (True, ['0', '0', '2', '2'])
    """
    from .nn.module import Module

    if not isinstance(model, Module):
        if loss_fn is None:
            return ops(model, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed, quiet=quiet, **kwargs)
        return ops(lambda x: loss_fn(model(x)), inputs, eps=eps, atol=atol, rtol=rtol, seed=seed, quiet=quiet,
                   **kwargs)
    if kwargs:
        raise TypeError(f"check.layers: unexpected arguments {sorted(kwargs)}")
    return _check_module(model, inputs, loss_fn, eps, atol, rtol, seed, quiet, kinks)


def _float64(x):
    if isinstance(x, Tensor):
        x = x._data
    a = np.asarray(x)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _check_module(model, inputs, loss_fn, eps, atol, rtol, seed, quiet, kinks=False):
    import copy

    import backchain.numpy as bnp
    from .nn import Dropout, ReLU, ReLU6, functional_call
    from .transforms import grad

    net = copy.deepcopy(model).to(np.float64)
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    # the parameter under test enters through functional_call; the others are constants
    net.requires_grad_(False)
    for m in net.modules():
        if isinstance(m, Dropout):
            m.training = False
    args = tuple(_float64(x) for x in inputs) if isinstance(inputs, tuple) else (_float64(inputs),)
    loss_fn = (lambda out: bnp.sum(out)) if loss_fn is None else loss_fn

    def value(out):
        return float(np.asarray(_data(out)))

    # dead units: outputs of ReLU-family layers that are never positive over the batch
    seen = {}
    handles = []
    for path, m in net.named_modules():
        if isinstance(m, (ReLU, ReLU6)):
            handles.append(m.register_forward_hook(
                lambda mod, a, out, _p=path: seen.setdefault(_p, np.asarray(_data(out)))))
    try:
        from ._core.tensor import no_grad
        with no_grad():
            net(*args)
    finally:
        for h in handles:
            h.remove()
    dead = []
    for path, out in seen.items():
        flat = out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(-1, 1)
        never = int(np.sum(np.all(flat <= 0, axis=0)))
        dead.append((path, type(net.get_submodule(path)).__name__, flat.shape[1], never))

    rng = np.random.default_rng(seed)
    report = LayersReport()
    for path, m in net.named_modules():
        for name, p in m._parameters.items():
            if p is None or id(p) not in trainable:
                continue
            full = f"{path}.{name}" if path else name

            def f(w, _full=full):
                return loss_fn(functional_call(net, {_full: w}, args))

            w0 = p._data.copy()
            g = np.asarray(grad(f)(w0))
            worst = 0.0
            ok = True
            for _ in range(2):
                v = rng.standard_normal(w0.shape)
                P, M = value(f(w0 + eps * v)), value(f(w0 - eps * v))
                numeric = (P - M) / (2 * eps)
                analytic = float(np.sum(g * v))
                err = abs(analytic - numeric)
                # relative to the larger of the two, floored at atol / rtol (values near zero)
                scale = max(abs(analytic), abs(numeric), atol / rtol)
                if err > rtol * scale:
                    # a ReLU input or a pooling tie within the step along v (random inputs meet them):
                    # look closer with the one-sided quotients, as gradcheck does at kinks
                    err = _line_error(analytic, value(f(w0)), P, M, value(f(w0 + eps / 2 * v)),
                                      value(f(w0 - eps / 2 * v)), eps, rtol * scale)
                worst = max(worst, err / scale)
                ok = ok and err <= rtol * scale
            zero = bool(np.all(g == 0))
            report.rows.append((path or "(model)", name, tuple(w0.shape), worst, ok, zero, type(m).__name__))
            if kinks:
                report.kink_rows.append((path or "(model)", name, *_kink_verdict(f, w0, g, seed)))
    report.dead = dead
    if should_print(None if quiet is None else not quiet):
        print(report)
    return report


class LayersReport:
    """Per-parameter results of :func:`layers` for a Module; truthy when every gradient agreed.

    ``rows``: (layer path, parameter, shape, max relative error, ok, gradient
    identically zero, layer type); ``dead``: (layer path, layer type, units,
    units never positive); ``zero_grads``: dotted names of parameters whose
    gradient is identically zero; ``dead_units``: ``{layer path: units never
    positive}``. ``str()`` shows the three as tables.

    Examples
    --------
    A bias so negative that the ReLU never fires: the gradients agree (they are
    all zero), and the report says why they are zero.

    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(2, 3), bc.nn.ReLU(), bc.nn.Linear(3, 1))
    >>> _ = bc.nn.init.constant_(model[0].bias, -10.0)
    >>> report = bc.check.layers(model, np.ones((4, 2)), quiet=True)
    >>> bool(report), report.dead_units, report.zero_grads
    (True, {'1': 3}, ['0.weight', '0.bias', '2.weight'])
    """

    def __init__(self) -> None:
        self.rows = []
        self.dead = []
        self.kink_rows = []  # with kinks=True: (layer, parameter, kinks hit, verdict)

    @property
    def ok(self) -> bool:
        return all(r[4] for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def zero_grads(self) -> list[str]:
        return [f"{r[0]}.{r[1]}" if r[0] != "(model)" else r[1] for r in self.rows if r[5]]

    @property
    def dead_units(self) -> dict[str, int]:
        """``{layer path: number of units never positive}`` for layers with at least one."""
        return {p: n for p, _, _, n in self.dead if n}

    def __str__(self) -> str:
        rows = [(p, n, "x".join(map(str, s)) or "()", f"{e:.2e}", "ok" if ok else "FAIL")
                for p, n, s, e, ok, _, _ in self.rows]
        out = [_table(["layer", "parameter", "shape", "max rel. error", ""], rows)]
        if self.dead:
            out.append("")
            out.append(_table(["layer", "type", "units", "dead (never positive)"],
                              [(p, t, u, n) for p, t, u, n in self.dead]))
        zero = self.zero_grads
        if zero:
            out.append("")
            out.append("gradient identically zero: " + ", ".join(zero))
            out.append("hint: a step or sign activation has a zero derivative almost everywhere; "
                       "use bc.straight_through for step activations")
        if self.kink_rows:
            out.append("")
            out.append(_table(["layer", "parameter", "kinks hit", "gradient at the kinks"],
                              [(p, n, h, v) for p, n, h, v in self.kink_rows]))
        out.append("")
        out.append("all layer gradients agree with finite differences" if self.ok
                   else "some layer gradients DISAGREE with finite differences")
        return "\n".join(out)

    __repr__ = __str__
