"""Checking derivatives against finite differences.

``gradcheck`` compares a function's reverse- and forward-mode derivatives
with central differences, by random projection (cost independent of size), to
any order. ``ops`` checks every recorded operation of a computation locally and
prints a table: the seed's "calculate the gradient for every layer" as one call.
"""
import numpy as np

from ._core.engine import toposort
from ._core.tensor import Tensor

__all__ = ["gradcheck", "GradcheckError", "GradcheckReport", "ops", "layers"]


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences; the message is the report."""


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _rand_like(rng, x):
    x = np.asarray(x)
    r = rng.standard_normal(x.shape)
    if np.iscomplexobj(x):
        r = r + 1j * rng.standard_normal(x.shape)
    return r


def _pair(a, b):
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def _table(headers, rows):
    cols = list(zip(*([headers] + [[str(c) for c in r] for r in rows]))) if rows else [[h] for h in headers]
    widths = [max(len(str(c)) for c in col) for col in cols]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


class GradcheckReport:
    """What ``gradcheck`` compared; truthy when everything agreed. ``str()`` is a table."""

    def __init__(self):
        self.rows = []  # (order, argument, mode, analytic, numeric, error, ok, detail)

    def add(self, order, arg, mode, analytic, numeric, tol, detail=""):
        err = abs(analytic - numeric)
        self.rows.append((order, arg, mode, analytic, numeric, err, err <= tol, detail))

    @property
    def ok(self):
        return all(r[6] for r in self.rows)

    def __bool__(self):
        return self.ok

    def __str__(self):
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


def _check(f, xs, names, order_label, modes, eps, atol, rtol, rng, report, locate=True):
    from .transforms import jvp, vjp

    out = np.asarray(_data(f(*xs)))
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
            detail = ""
            if abs(analytic - numeric) > tol and locate:
                detail = _worst_element(f, xs, j, u, eps, np.asarray(_data(c)))
            report.add(order_label, name, "rev", analytic, numeric, tol, detail)
    if "fwd" in modes:
        _, jv = jvp(f, tuple(xs), tuple(vs))
        jv = np.asarray(_data(jv))
        err_vec = np.abs(jv - num_jv)
        tol_vec = atol * scale + rtol * np.abs(num_jv)
        k = int(np.argmax(err_vec - tol_vec)) if err_vec.size else 0
        a = complex(jv.reshape(-1)[k]).real if jv.size else 0.0
        n_ = complex(num_jv.reshape(-1)[k]).real if num_jv.size else 0.0
        detail = "" if not err_vec.size or err_vec.reshape(-1)[k] <= tol_vec.reshape(-1)[k] else \
            f"output index {tuple(int(i) for i in np.unravel_index(k, jv.shape))}"
        report.add(order_label, "all", "fwd", a, n_, float(tol_vec.reshape(-1)[k]) if jv.size else 0.0, detail)
    return u


def gradcheck(f, *args, order=2, modes=("rev", "fwd"), eps=None, atol=None, rtol=None, seed=0,
              raise_exception=True):
    """Compare ``f``'s derivatives at ``args`` with central finite differences.

    Reverse mode is checked per argument by random projection
    (``<vjp(u), v>`` against ``<u, (f(x + eps v) - f(x - eps v)) / 2 eps>``),
    forward mode on the whole output; ``order=2`` repeats both for the
    derivative of ``x -> <vjp(u)(x), w>``. Inputs are promoted to float64.

    Returns a truthy :class:`GradcheckReport`; on disagreement raises
    :class:`GradcheckError` whose message names the argument, the mode, the
    analytic and numeric values, and the worst element.

    >>> import backchain as bc, backchain.numpy as bnp
    >>> bool(bc.gradcheck(lambda x, y: bnp.sum(bnp.sin(x) * y), bnp.ones(3), bnp.ones(3)))
    True
    """
    from .transforms import vjp

    rng = np.random.default_rng(seed)
    xs = []
    for i, a in enumerate(args):
        a = np.asarray(_data(a))
        if a.dtype.kind not in "fc":
            raise TypeError(f"gradcheck: argument {i} has dtype {a.dtype}; expected floating point or complex")
        xs.append(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64))
    eps = 1e-6 if eps is None else eps
    atol = 1e-6 if atol is None else atol
    rtol = 1e-4 if rtol is None else rtol
    names = [f"arg{i}" for i in range(len(xs))]
    report = GradcheckReport()
    u = _check(f, xs, names, 1, modes, eps, atol, rtol, rng, report)
    if order >= 2:
        ws = [_rand_like(rng, x) for x in xs]

        def h(*x_):
            _, vjp_fn = vjp(f, *x_)
            import backchain.numpy as bnp
            total = 0.0
            for c, w in zip(vjp_fn(u), ws):  # one sum per argument: arguments may differ in shape
                total = total + bnp.sum(c * w)
            return total
        _check(h, xs, names, 2, modes, eps * 10, atol * 10, rtol * 10, rng, report)
    if order >= 3:
        raise ValueError("gradcheck: order is 1 or 2 (check a derivative function for higher orders)")
    if not report.ok and raise_exception:
        raise GradcheckError(str(report))
    return report


def ops(f, *args, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0, quiet=False):
    """Check the derivative rule of every operation recorded by ``f(*args)``, each at its own inputs.

    Prints (unless ``quiet``) and returns a table: op number, name, output
    shape, largest error of its VJP against finite differences, pass/fail.

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
        raw = [x.data if isinstance(x, Tensor) else x for x in inputs]
        diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad
                and prim.vjps[i] is not None and np.asarray(x.data).dtype.kind in "fc"]
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
        report.rows.append((n, prim.name, np.shape(t.data) if not isinstance(t.data, tuple) else "tuple",
                            err, ok))
    if not quiet:
        print(report)
    return report


class OpsReport:
    """Per-operation results of :func:`ops`; truthy when every operation passed."""

    def __init__(self):
        self.rows = []  # (index, op, output shape, max error, ok)

    @property
    def ok(self):
        return all(r[4] for r in self.rows)

    def __bool__(self):
        return self.ok

    def __str__(self):
        rows = [(i, op, shape, f"{e:.2e}", "ok" if ok else "FAIL") for i, op, shape, e, ok in self.rows]
        return _table(["#", "op", "output shape", "max error", ""], rows)

    __repr__ = __str__


def layers(model, inputs, loss_fn=None, **kwargs):
    """Check every layer of ``model`` on ``inputs`` (every recorded operation of
    ``loss_fn(model(inputs))`` until modules exist; see :func:`ops`)."""
    if loss_fn is None:
        return ops(model, inputs, **kwargs)
    return ops(lambda x: loss_fn(model(x)), inputs, **kwargs)
