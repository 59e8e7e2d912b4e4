"""Lexicographic (LD) and one-sided directional derivatives of piecewise-smooth functions.

A function made of smooth primitives and the piecewise-smooth ones (abs, relu and its family,
max/min and their reductions, clip, max pooling, sort, norms at zero) is lexicographically
smooth (Nesterov). Its LD-derivative along a direction matrix ``M = [m1, ..., mk]`` is computed
by the vector forward mode of Khan and Barton (2015): the tangents of the columns are pushed
through the recorded graph one after the other, and at each kink the branch is the one the
perturbation ``x + t m1 + t^2 m2 + ...`` (t -> 0+) enters, read from the first column that moves
the kink's argument off it. Where f is differentiable the result is the ordinary derivative; at
kinks, with ``M`` square and nonsingular, ``f'(x; M) M^-1`` is an element of the B-subdifferential
and of the Clarke Jacobian. The first column alone is the one-sided directional derivative
``f'(x; m1)``.

Column j of the LD-derivative depends only on columns 1..j, so the sweep keeps, for each kink
node, its state (a lexicographic sign, the remaining tied candidates, the first nonzero
direction) and updates it column by column. Each non-smooth primitive names its rule in its row
of the rule table, beside its convention (``primitive("relu", ..., ld=_ld.RELU, kinks=...)``);
the rules are written here, where they share that machinery. Primitives without one use their JVP rule,
which is exact where they are differentiable; if one of them sits exactly on a kink (its
``bc.kinks.count`` counter reports a hit), the sweep stops with an ``LDError`` naming it.

``lock`` turns the states into VJP rules: a reverse sweep with the branches locked gives the
gradient of the selected piece, the LD gradient of a scalar function at the cost of one
backward pass once the directional sweeps have decided every kink (branch locking).
"""
import numpy as np

from ._core.basic import broadcast_to, fit_cotangent
from ._core.engine import _add, _fit_tangent, toposort
from ._core.tensor import Tensor

__all__ = ["LDError", "Rule", "NOT_LIPSCHITZ", "DISCONTINUOUS", "Sweep"]


class LDError(ValueError):
    """A point where the LD-derivative is not defined or not covered (named in the message).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> try:
    ...     bc.kinks.lexicographic(bnp.sqrt)(0.0)
    ... except bc.kinks.LDError as e:
    ...     print(str(e).split(";")[0])
    lexicographic: 'sqrt' sits exactly on a point where it is not Lipschitz or not continuous (sqrt'(0) is infinite)
    """


# Primitives whose kinks are points of infinite slope (not Lipschitz there) or jumps: their
# LD-derivative does not exist at those points.
NOT_LIPSCHITZ = {
    "sqrt": "sqrt'(0) is infinite", "cbrt": "cbrt'(0) is infinite", "power": "x ** y with 0 < y < 1 at x = 0",
    "float_power": "x ** y with 0 < y < 1 at x = 0", "arcsin": "arcsin'(±1) is infinite",
    "arccos": "arccos'(±1) is infinite", "arctanh": "arctanh'(±1) is infinite",
    "arccosh": "arccosh'(1) is infinite",
}
DISCONTINUOUS = {
    "sign": "sign jumps at 0", "heaviside": "heaviside jumps at 0", "copysign": "copysign jumps where x2 = 0",
    "arctan2": "arctan2 jumps across x1 = 0 for x2 < 0 and is undefined at the origin",
    "floor": "floor jumps at integers", "ceil": "ceil jumps at integers", "rint": "rint jumps at half-integers",
    "round": "round jumps at half-integers",
}


SMOOTH = object()  # a rule's answer: smooth here, use the JVP rule


def _zeros(t, shape):
    return np.zeros(shape) if t is None else broadcast_to(np.asarray(t), shape)


def _lexsign(s, d):
    """The sign of the first nonzero entry of a sequence, given ``s`` for the entries so far and ``d``."""
    return np.where(s == 0, np.sign(d), s)


# -- elementwise functions smooth on each side of their kinks ---------------------------------

def _piecewise(deriv):
    """The LD rule of an elementwise ``f(x)``: ``deriv(x, side, **params)`` is its derivative at
    ``x`` on the piece that ``side`` (the sign of the perturbation, +1 or -1) enters from a kink,
    the ordinary derivative elsewhere."""

    def rule(state, ts, ans, x, **params):
        m = ts[0]
        if m is None:
            return None
        s = _lexsign(state.get("s", 0), m)
        state["s"] = s
        return deriv(np.asarray(x), s, **params) * m

    def locked(state, g, ans, x, **params):
        return g * deriv(np.asarray(x), state.get("s", np.zeros(np.shape(x))), **params)

    return Rule(rule, (locked,))


def _relu_d(x, s):
    return np.where(x > 0, 1.0, np.where(x < 0, 0.0, s > 0))


def _leaky_d(x, s, negative_slope):
    up = (x > 0) | ((x == 0) & (s > 0))
    return np.where(up, 1.0, negative_slope)


def _hardtanh_d(x, s, min_val, max_val):
    inside = ((x > min_val) | ((x == min_val) & (s > 0))) & ((x < max_val) | ((x == max_val) & (s < 0)))
    return inside.astype(float)


def _hardsigmoid_d(x, s):
    inside = ((x > -3) | ((x == -3) & (s > 0))) & ((x < 3) | ((x == 3) & (s < 0)))
    return np.where(inside, 1.0 / 6.0, 0.0)


def _hardswish_d(x, s):
    inside = ((x > -3) | ((x == -3) & (s > 0))) & ((x < 3) | ((x == 3) & (s < 0)))
    above = (x > 3) | ((x == 3) & (s > 0))
    return np.where(inside, (2 * x + 3) / 6.0, np.where(above, 1.0, 0.0))


def _abs_d(x, s):
    if np.iscomplexobj(x):
        if np.any(x == 0):
            raise LDError("lexicographic: abs of a complex zero (the modulus is a norm there; not covered)")
        return np.conj(x) / np.abs(x)
    return np.where(x > 0, 1.0, np.where(x < 0, -1.0, s))


# -- max and min of two arguments, clip ------------------------------------------------------

def _select(greater):
    """maximum (``greater``) or minimum: the argument that wins under the lexicographic order."""

    def first(state, a, b, shape):
        s = state.get("s")
        if s is None:
            s = np.sign(broadcast_to(np.asarray(a) - np.asarray(b), shape)) * (1 if greater else -1)
        return s

    def rule(state, ts, ans, a, b, **params):
        shape = np.shape(ans)
        ma, mb = _zeros(ts[0], shape), _zeros(ts[1], shape)
        s = _lexsign(first(state, a, b, shape), (ma - mb) * (1 if greater else -1))
        state["s"] = s
        return np.where(s >= 0, ma, mb)  # s == 0: the two columns agree

    def locked(i):
        def vjp(state, g, ans, a, b, **params):
            s = first(state, a, b, np.shape(ans))
            return g * ((s >= 0) if i == 0 else (s < 0))
        return vjp

    return Rule(rule, (locked(0), locked(1)))


def _clip_rule(state, ts, ans, a, lo, hi):
    """``clip(a, lo, hi) = min(max(a, lo), hi)``, each selection lexicographic."""
    shape = np.shape(ans)
    ma, ml, mh = (_zeros(t, shape) for t in ts)
    s1 = _lexsign(state.get("s1", np.sign(broadcast_to(np.asarray(a) - np.asarray(lo), shape))), ma - ml)
    mu = np.where(s1 >= 0, ma, ml)
    u = np.maximum(a, lo)
    s2 = _lexsign(state.get("s2", np.sign(broadcast_to(u - np.asarray(hi), shape))), mu - mh)
    state["s1"], state["s2"] = s1, s2
    return np.where(s2 <= 0, mu, mh)


def _clip_locked(i):
    def vjp(state, g, ans, a, lo, hi):
        shape = np.shape(ans)
        s1 = state.get("s1", np.sign(broadcast_to(np.asarray(a) - np.asarray(lo), shape)))
        s2 = state.get("s2", np.sign(broadcast_to(np.maximum(a, lo) - np.asarray(hi), shape)))
        through = s2 <= 0
        return g * (through & (s1 >= 0) if i == 0 else through & (s1 < 0) if i == 1 else ~through)
    return vjp


# -- reductions with ties: the lexicographic maximum among the tied candidates ----------------

def _keep(out, axis, keepdims):
    return out if keepdims else np.squeeze(out, axis=axis)


def _extremum(sign):
    def candidates(state, x, ans, axis, keepdims):
        cand = state.get("cand")
        if cand is None:
            o = ans if keepdims else np.expand_dims(ans, axis)
            cand = np.asarray(x) == o
        return cand

    def rule(state, ts, ans, x, axis, keepdims):
        x = np.asarray(x)
        cand = candidates(state, x, ans, axis, keepdims)
        m = sign * _zeros(ts[0], x.shape)
        best = np.max(np.where(cand, m, -np.inf), axis=axis, keepdims=True)
        state["cand"] = cand & (m == best)
        return _keep(sign * best, axis, keepdims)

    def locked(state, g, ans, x, axis, keepdims):
        x = np.asarray(x)
        cand = candidates(state, x, ans, axis, keepdims)
        first = _first_along(cand, axis)
        g = g if keepdims else np.expand_dims(g, axis)
        return np.where(first, g, 0.0)

    return Rule(rule, (locked,))


def _first_along(mask, axis):
    """The first True of ``mask`` along the axes ``axis`` (a tuple), in C order: one winner per slice."""
    axis = tuple(a % mask.ndim for a in axis)
    rest = [a for a in range(mask.ndim) if a not in axis]
    moved = np.transpose(mask, rest + list(axis))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    idx = np.argmax(flat, axis=-1)
    first = np.zeros_like(flat)
    np.put_along_axis(first, idx[..., None], True, axis=-1)
    first &= flat
    first = first.reshape(moved.shape)
    return np.transpose(first, np.argsort(rest + list(axis)))


def _window_max_rule(state, ts, ans, v, ties, valid=None):
    v = np.asarray(v)
    cand = state.get("cand")
    if cand is None:
        cand = v == ans[None]
        if valid is not None:
            cand = cand & np.asarray(valid, dtype=bool)
    m = _zeros(ts[0], v.shape)
    best = np.max(np.where(cand, m, -np.inf), axis=0)
    state["cand"] = cand & (m == best[None])
    return best


def _window_max_locked(state, g, ans, v, ties, valid=None):
    v = np.asarray(v)
    cand = state.get("cand")
    if cand is None:
        cand = v == ans[None]
        if valid is not None:
            cand = cand & np.asarray(valid, dtype=bool)
    return np.where(_first_along(cand, (0,)), g[None], 0.0)


def _tiles(kernel):
    from ._rules.pool import _tile_slices

    return list(_tile_slices(kernel))


def _tiled_max_rule(state, ts, ans, x, kernel, ties):
    x = np.asarray(x)
    tiles = _tiles(kernel)
    cand = state.get("cand")
    if cand is None:
        cand = [x[sl] == ans for sl in tiles]
    m = _zeros(ts[0], x.shape)
    best = np.full(np.shape(ans), -np.inf)
    for c, sl in zip(cand, tiles):
        best = np.maximum(best, np.where(c, m[sl], -np.inf))
    state["cand"] = [c & (m[sl] == best) for c, sl in zip(cand, tiles)]
    return best


def _tiled_max_locked(state, g, ans, x, kernel, ties):
    x = np.asarray(x)
    tiles = _tiles(kernel)
    cand = state.get("cand") or [x[sl] == ans for sl in tiles]
    out = np.zeros(x.shape, dtype=np.result_type(g, x))
    taken = np.zeros(np.shape(ans), dtype=bool)
    for c, sl in zip(cand, tiles):
        win = c & ~taken
        out[sl] = np.where(win, g, 0.0)
        taken |= win
    return out


def _sort_rule(state, ts, ans, x, axis):
    x = np.asarray(x)
    keys = state.setdefault("keys", [x])
    m = _zeros(ts[0], x.shape)
    keys.append(m)
    perm = np.lexsort(keys[::-1], axis=axis)  # the last key is the primary one: x first, then m1, m2, ...
    state["perm"] = perm
    return np.take_along_axis(m, perm, axis=axis)


def _sort_locked(state, g, ans, x, axis):
    x = np.asarray(x)
    perm = state.get("perm")
    if perm is None:
        perm = np.argsort(x, axis=axis, kind="stable")
    out = np.zeros(x.shape, dtype=np.result_type(g, x))
    np.put_along_axis(out, perm, g, axis=axis)
    return out


# -- norms at zero: the first nonzero direction ----------------------------------------------

def _norm2(state, x, m, nrm, axis):
    """The LD step of the 2-norm over ``axis`` (keepdims shapes): ``<u, m> / |u|`` with ``u`` the
    first nonzero among x, m1, m2, ... in each slice."""
    u = state.get("u")
    if u is None:
        u = np.asarray(x, dtype=float) * 1.0
        have = nrm != 0
    else:
        have = state["have"]
    mn = np.sqrt(np.sum(m * m, axis=axis, keepdims=True))
    new = ~have & (mn != 0)
    u = np.where(new, m, u)
    have = have | new
    state["u"], state["have"] = u, have
    un = np.sqrt(np.sum(u * u, axis=axis, keepdims=True))
    dot = np.sum(u * m, axis=axis, keepdims=True)
    return np.where(have, dot / np.where(have, un, 1.0), 0.0)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def _vector_norm_rule(state, ts, ans, x, ord, axis, keepdims):
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise LDError("lexicographic: vector_norm of complex values is not covered")
    ax = _axes(axis, x.ndim)
    m = _zeros(ts[0], x.shape)
    keep = ans if keepdims else np.expand_dims(ans, ax)
    if ord in (None, 2, 2.0):
        return _keep(_norm2(state, x, m, keep, ax), ax, keepdims)
    if ord in (1, 1.0):
        s = _lexsign(state.get("s", 0), m)
        state["s"] = s
        return _keep(np.sum(_abs_d(x, s) * m, axis=ax, keepdims=True), ax, keepdims)
    if ord in (np.inf, -np.inf):
        s = _lexsign(state.get("s", 0), m)
        state["s"] = s
        a, ma = np.abs(x), _abs_d(x, s) * m
        sign = 1 if ord > 0 else -1
        cand = state.get("cand")
        if cand is None:
            cand = a == keep
        best = np.max(np.where(cand, sign * ma, -np.inf), axis=ax, keepdims=True)
        state["cand"] = cand & (sign * ma == best)
        return _keep(sign * best, ax, keepdims)
    if np.any(keep == 0):
        raise LDError(f"lexicographic: vector_norm with ord={ord} at a zero vector is not covered")
    return SMOOTH


def _std_rule(state, ts, ans, x, axis, ddof, keepdims, where):
    x = np.asarray(x)
    if where is not None:
        raise LDError("lexicographic: std with where= is not covered")
    ax = _axes(axis, x.ndim)
    n = int(np.prod([x.shape[a] for a in ax]))
    m = _zeros(ts[0], x.shape)
    c = x - np.mean(x, axis=ax, keepdims=True)
    cm = m - np.mean(m, axis=ax, keepdims=True)
    keep = ans if keepdims else np.expand_dims(ans, ax)
    return _keep(_norm2(state, c, cm, keep, ax) / np.sqrt(n - ddof), ax, keepdims)


def _hypot_rule(state, ts, ans, x1, x2, **params):
    shape = np.shape(ans)
    m1, m2 = _zeros(ts[0], shape), _zeros(ts[1], shape)
    pair = np.stack([broadcast_to(np.asarray(x1, dtype=float), shape),
                     broadcast_to(np.asarray(x2, dtype=float), shape)])
    return _norm2(state, pair, np.stack([m1, m2]), np.asarray(ans)[None], (0,))[0]


def _norm2_locked(state, x, nrm, axis):
    """The gradient of the 2-norm over ``axis`` on the locked piece: ``u / |u|`` (0 where undecided)."""
    u = state.get("u")
    if u is None:
        u, have = np.asarray(x, dtype=float), nrm != 0
    else:
        have = state["have"]
    un = np.sqrt(np.sum(u * u, axis=axis, keepdims=True))
    return np.where(have, u / np.where(have, un, 1.0), 0.0)


def _vector_norm_locked(state, g, ans, x, ord, axis, keepdims):
    x = np.asarray(x)
    ax = _axes(axis, x.ndim)
    keep = ans if keepdims else np.expand_dims(ans, ax)
    g = g if keepdims else np.expand_dims(g, ax)
    if ord in (None, 2, 2.0):
        return g * _norm2_locked(state, x, keep, ax)
    if ord in (1, 1.0):
        return g * _abs_d(x, state.get("s", np.zeros(x.shape)))
    if ord in (np.inf, -np.inf):
        cand = state.get("cand")
        if cand is None:
            cand = np.abs(x) == keep
        return np.where(_first_along(cand, ax), g * _abs_d(x, state.get("s", np.zeros(x.shape))), 0.0)
    raise LDError(f"kinks.lexicographic: no locked rule for vector_norm with ord={ord}")


def _std_locked(state, g, ans, x, axis, ddof, keepdims, where):
    x = np.asarray(x)
    ax = _axes(axis, x.ndim)
    n = int(np.prod([x.shape[a] for a in ax]))
    keep = ans if keepdims else np.expand_dims(ans, ax)
    g = g if keepdims else np.expand_dims(g, ax)
    c = x - np.mean(x, axis=ax, keepdims=True)
    d = _norm2_locked(state, c, keep, ax)  # centred already: the projection that the mean applies is the identity
    return g * d / np.sqrt(n - ddof)


def _hypot_locked(i):
    def vjp(state, g, ans, x1, x2, **params):
        shape = np.shape(ans)
        pair = np.stack([broadcast_to(np.asarray(x1, dtype=float), shape),
                         broadcast_to(np.asarray(x2, dtype=float), shape)])
        return g * _norm2_locked(state, pair, np.asarray(ans)[None], (0,))[i]
    return vjp


class Rule(tuple):
    """The LD column of a primitive's row (``primitive(..., ld=...)``): ``(forward, locked)``, the
    forward rule ``forward(state, tangents, ans, *args, **params)`` giving the output's tangent for
    the next direction column (None: zero; ``SMOOTH``: use the JVP rule), and per input the locked
    VJP ``locked[i](state, g, ans, *args, **params)`` of the branch the columns selected."""

    __slots__ = ()

    def __new__(cls, forward, locked):
        return tuple.__new__(cls, (forward, tuple(locked)))


RELU, LEAKY_RELU, HARDTANH = _piecewise(_relu_d), _piecewise(_leaky_d), _piecewise(_hardtanh_d)
HARDSIGMOID, HARDSWISH, ABS = _piecewise(_hardsigmoid_d), _piecewise(_hardswish_d), _piecewise(_abs_d)
MAXIMUM, MINIMUM = _select(True), _select(False)
CLIP = Rule(_clip_rule, [_clip_locked(i) for i in range(3)])
AMAX, AMIN = _extremum(1), _extremum(-1)
WINDOW_MAX = Rule(_window_max_rule, (_window_max_locked,))
TILED_MAX = Rule(_tiled_max_rule, (_tiled_max_locked,))
SORT = Rule(_sort_rule, (_sort_locked,))
VECTOR_NORM = Rule(_vector_norm_rule, (_vector_norm_locked,))
STD = Rule(_std_rule, (_std_locked,))
HYPOT = Rule(_hypot_rule, [_hypot_locked(i) for i in range(2)])


def _at_kink(t, args, key):
    """The elements of node ``t`` at the kink that the state ``key`` decides."""
    name, p = t._prim.name, t._params
    x = np.asarray(args[0])
    if name in ("relu", "leaky_relu", "absolute"):
        return x == 0
    if name == "hardtanh":
        return (x == p["min_val"]) | (x == p["max_val"])
    if name in ("hardsigmoid", "hardswish"):
        return np.abs(x) == 3
    if name in ("maximum", "minimum", "fmax", "fmin"):
        return broadcast_to(np.asarray(args[0]) == np.asarray(args[1]), np.shape(t._data))
    if name == "clip":
        a, lo, hi = (np.asarray(v) for v in args)
        at = a == lo if key == "s1" else np.maximum(a, lo) == hi
        return broadcast_to(at, np.shape(t._data))
    if name == "vector_norm":
        return x == 0
    return np.ones(np.shape(t._data), dtype=bool)


def _sort_tied(keys, axis):
    """Whether two entries along ``axis`` agree on every key so far (still tied)."""
    perm = np.lexsort(keys[::-1], axis=axis)
    rows = np.stack([np.take_along_axis(k, perm, axis=axis) for k in keys])
    same = np.all(np.diff(rows, axis=axis + 1 if axis >= 0 else axis) == 0, axis=0)
    return bool(np.any(same))


# -- comparisons of traced values, and where: the branch the perturbation takes ----------------

RECORDING = []  # the sweeps recording now (backchain.numpy's comparisons look here: no cost when empty)
_DECIDE = {"greater": lambda s: s > 0, "greater_equal": lambda s: s >= 0, "less": lambda s: s < 0,
           "less_equal": lambda s: s <= 0, "equal": lambda s: s == 0, "not_equal": lambda s: s != 0}


class Compared(np.ndarray):
    """The boolean result of comparing two values while an LD sweep records: it remembers the
    comparison, so that ``where`` can decide a tie the way the perturbed point decides it. Arrays
    derived from it (``~c``, ``c & d``) lose that memory and are plain conditions."""

    def __array_finalize__(self, obj):
        self.compared = None


def compared(name, args, out):
    """``out`` (the value of comparison ``name`` of ``args``) as a Compared, if a traced Tensor takes
    part and an LD sweep is recording."""
    if len(args) != 2 or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        return out
    c = np.asarray(out).view(Compared)
    c.compared = (name, args[0], args[1])
    return c


def _data(v):
    return np.asarray(v._data if isinstance(v, Tensor) else v)


def _where_state(state, cond, shape, tan):
    """The lexicographic sign of ``lhs - rhs`` of the comparison behind ``cond``, after the columns so
    far (``tan``: the tangents of this column, or None to read the state as it is)."""
    name, lhs, rhs = cond.compared
    s = state.get("s")
    if s is None:
        s = np.sign(broadcast_to(_data(lhs) - _data(rhs), shape))
    if tan is not None:
        ml = tan.get(id(lhs)) if isinstance(lhs, Tensor) else None
        mr = tan.get(id(rhs)) if isinstance(rhs, Tensor) else None
        d = (0.0 if ml is None else np.asarray(ml)) - (0.0 if mr is None else np.asarray(mr))
        s = _lexsign(s, broadcast_to(np.asarray(d, dtype=float), shape))
        state["s"] = s
    return _DECIDE[name](s)


def refuse_inner_kink(t):
    """Raise if node ``t``, differentiated inside a function whose LD-derivative is being recorded
    (``grad`` inside ``lexicographic``), sits on a kink: its rule's convention there would enter the
    recorded values as a constant, which the sweep cannot see through."""
    prim = t._prim
    if prim.ld is None and prim.name not in NOT_LIPSCHITZ and prim.name not in DISCONTINUOUS:
        return
    args = [a._data if isinstance(a, Tensor) else a for a in t._inputs]
    if _on_kink(prim, t._data, args, t._params):
        raise LDError(f"lexicographic: a derivative taken inside the function meets '{prim.name}' exactly at a "
                      "kink, where its rule uses a convention; the LD-derivative of such a function is not "
                      "covered (take the LD-derivative of the function itself)")


def _on_kink(prim, ans, args, params):
    """Whether a primitive without an LD rule sits exactly on one of its kinks here."""
    from .kinks import _COUNTERS

    count = _COUNTERS.get(prim.name)
    if count is None:
        return False
    try:
        return count(ans, *args, **params) > 0
    except (TypeError, ValueError):
        return False


class Sweep:
    """The recorded graph of ``f`` at one point, and the LD sweeps over it, column by column."""

    def __init__(self, f, args, argnum):
        from .transforms import _Trace, tree_flatten

        x = args[argnum]
        self.trace = _Trace([x], "kinks.lexicographic")
        new = list(args)
        new[argnum] = self.trace.inputs[0]
        RECORDING.append(self)
        try:
            out = self.trace.run(f, new)
        finally:
            RECORDING.remove(self)
        self.out_leaves, self.unflatten = tree_flatten(out)
        self.roots = self.trace.roots(self.out_leaves)
        real = [r for r in self.roots if r is not None and r._prim is not None]
        order = toposort(real, self.trace.boundary)[0] if real else []
        # the operands of comparisons that decide a where: their tangents are needed too
        extra = [v for t in order if t._prim.name == "where" and getattr(t._inputs[0], "compared", None)
                 for v in t._inputs[0].compared[1:]
                 if isinstance(v, Tensor) and v.requires_grad and v._prim is not None]
        if extra:
            order = toposort(real + extra, self.trace.boundary)[0]
        # creation order is a forward order, and puts a comparison's operands before the where it decides
        self.order = sorted(order, key=lambda t: t._seq)
        for t in self.order:
            cond = t._inputs[0] if t._prim.name == "where" else None
            if getattr(cond, "compared", None):
                _, lhs, rhs = cond.compared
                shape = np.shape(t._data)
                tie = broadcast_to(_data(lhs) == _data(rhs), shape)
                a, b = (broadcast_to(_data(v), shape) for v in t._inputs[1:])
                if np.any(tie & (a != b)):
                    raise LDError("lexicographic: where selects between values that differ where its condition "
                                  f"'{cond.compared[0]}' is tied: the function jumps there and has no LD-derivative")
        self.states = {}
        self.x = self.trace.inputs[0]
        self.columns = 0
        for t in self.order:  # points where the LD-derivative does not exist, or no rule covers
            prim = t._prim
            if prim.ld is not None:
                continue
            args_d = [a._data if isinstance(a, Tensor) else a for a in t._inputs]
            if _on_kink(prim, t._data, args_d, t._params):
                why = NOT_LIPSCHITZ.get(prim.name) or DISCONTINUOUS.get(prim.name)
                raise LDError(
                    f"lexicographic: '{prim.name}' sits exactly on a point where "
                    + (f"it is not Lipschitz or not continuous ({why}); the LD-derivative does not exist there"
                       if why else "it has a kink that no LD rule covers (its convention: "
                       f"{prim.kinks}); a directional derivative there is not available"))

    def value(self):
        return self.unflatten([o._data if isinstance(o, Tensor) else o for o in self.out_leaves])

    def column(self, m):
        """Push the next direction column ``m`` (the shape of x): the outputs' tangents."""
        tan = {id(self.x): np.asarray(m, dtype=np.result_type(self.x._data, np.float64))}
        for t in self.order:
            prim, params = t._prim, t._params
            inputs = t._inputs
            args = [a._data if isinstance(a, Tensor) else a for a in inputs]
            ts = [tan.get(id(a)) if isinstance(a, Tensor) else None for a in inputs]
            if all(v is None for v in ts):
                continue
            rule = None if prim.ld is None else prim.ld[0]
            c = None
            if prim.name == "where" and getattr(inputs[0], "compared", None):
                shape = np.shape(t._data)
                take = _where_state(self.states.setdefault(id(t), {}), inputs[0], shape, tan)
                c = np.where(take, _zeros(ts[1], shape), _zeros(ts[2], shape))
                rule = None
            elif rule is not None:
                c = rule(self.states.setdefault(id(t), {}), ts, t._data, *args, **params)
                if c is None:  # a zero tangent
                    continue
            if c is None and rule is None or c is SMOOTH:
                c = None
                for i, v in enumerate(ts):
                    if v is None or prim.jvps[i] is None:
                        continue
                    if type(v) is list:  # from a primitive with several results
                        v = [np.zeros(np.shape(a), np.result_type(a)) if e is None else e
                             for e, a in zip(v, inputs[i]._data)]
                    c = _add(c, prim.jvps[i](v, t._data, *args, **params))
            if c is None:
                continue
            if type(c) is not list:
                shape = np.shape(t._data)
                if np.shape(c) != shape:
                    c = broadcast_to(c, shape)
                c = _fit_tangent(np.asarray(c), t._data)
            tan[id(t)] = c
        self.columns += 1
        return [None if r is None else tan.get(id(r)) if r._prim is not None else tan.get(id(self.x))
                for r in self.roots]

    def undecided(self):
        """Whether some kink is still undecided after the columns so far: a kink element whose
        lexicographic sign is still 0, candidates still tied, a zero norm without a direction."""
        for t in self.order:
            cond = t._inputs[0] if t._prim.name == "where" else None
            if getattr(cond, "compared", None):
                _, lhs, rhs = cond.compared
                s = self.states.get(id(t), {}).get("s")
                tie = _data(lhs) == _data(rhs)
                if np.any(tie if s is None else broadcast_to(tie, np.shape(s)) & (s == 0)):
                    return True
                continue
            if t._prim.ld is None:
                continue
            args = [a._data if isinstance(a, Tensor) else a for a in t._inputs]
            if not _on_kink(t._prim, t._data, args, t._params):
                continue
            st = self.states.get(id(t))
            if st is None:
                return True
            for key in ("s", "s1", "s2"):
                if key in st and np.any(_at_kink(t, args, key) & (np.asarray(st[key]) == 0)):
                    return True
            cand = st.get("cand")
            if cand is not None:
                if isinstance(cand, list):
                    if np.any(np.sum(np.stack(cand), axis=0) > 1):
                        return True
                elif t._prim.name == "window_max":
                    if np.any(np.sum(cand, axis=0) > 1):
                        return True
                else:
                    ax = _axes(t._params.get("axis"), np.ndim(cand))
                    if np.any(np.sum(cand, axis=ax) > 1):
                        return True
            if "have" in st and not np.all(st["have"]):
                return True
            if "keys" in st and _sort_tied(st["keys"], t._params["axis"]):
                return True
        return False

    def locked_gradient(self, seed=1.0):
        """One reverse sweep with every kink's branch locked to the states of the columns so far."""
        root = self.roots[0]
        if root is None:
            return np.zeros_like(self.x._data)
        if root._prim is None:
            return np.full(np.shape(self.x._data), seed) if root is self.x else np.zeros_like(self.x._data)
        cot = {id(root): np.asarray(seed, dtype=np.result_type(root._data, np.float64))}
        for t in reversed(self.order):
            g = cot.pop(id(t), None)
            if g is None:
                continue
            prim, params = t._prim, t._params
            args = [a._data if isinstance(a, Tensor) else a for a in t._inputs]
            locked = None if prim.ld is None else prim.ld[1]
            if prim.name == "where" and getattr(t._inputs[0], "compared", None):
                take = _where_state(self.states.get(id(t), {}), t._inputs[0], np.shape(t._data), None)
                locked = (None, lambda st, g, ans, *a: np.where(take, g, 0.0),
                          lambda st, g, ans, *a: np.where(take, 0.0, g))
            elif locked is None and prim.ld is not None:
                raise LDError(f"kinks.lexicographic: no locked reverse rule for '{prim.name}'; "
                              "use the forward mode (mode='forward')")
            state = self.states.get(id(t), {})
            for i, a in enumerate(t._inputs):
                if not (isinstance(a, Tensor) and a.requires_grad):
                    continue
                if locked is not None:
                    if locked[i] is None:
                        continue
                    c = locked[i](state, g, t._data, *args, **params)
                else:
                    rule = prim.vjps[i]
                    if rule is None:
                        continue
                    c = rule(g, t._data, *args, **params)
                if c is None:
                    continue
                c = fit_cotangent(np.asarray(c), a)
                cot[id(a)] = _add(cot.get(id(a)), c)
        g = cot.get(id(self.x))
        return np.zeros_like(self.x._data) if g is None else g
