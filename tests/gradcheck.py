"""Finite-difference checks used by the rule tests (float64, random projections)."""
import numpy as np

import backchain as bc


def _re_dot(a, b):
    """Re(sum(a * b)): the pairing under which the VJP is the transpose of the JVP."""
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def _like(rng, x):
    x = np.asarray(x)
    r = rng.standard_normal(x.shape)
    if np.iscomplexobj(x):
        r = r + 1j * rng.standard_normal(x.shape)
    return r


def numeric_jvp(f, args, vs, eps):
    plus = f(*[a + eps * v for a, v in zip(args, vs)])
    minus = f(*[a - eps * v for a, v in zip(args, vs)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * eps)


def check_first_order(f, args, rng, rtol=1e-5, atol=1e-7, eps=1e-6, argnums=None):
    """VJP and JVP of ``f`` at ``args`` against central differences, plus adjointness and shapes."""
    argnums = tuple(range(len(args))) if argnums is None else argnums

    def g(*diff):
        full = list(args)
        for i, d in zip(argnums, diff):
            full[i] = d
        return f(*full)

    xs = [args[i] for i in argnums]
    out = np.asarray(g(*xs))
    u = _like(rng, out)
    vs = [_like(rng, x) for x in xs]
    num = numeric_jvp(g, xs, vs, eps)

    val, vjp_fn = bc.vjp(g, *xs)
    np.testing.assert_allclose(np.asarray(val), out, rtol=1e-12, atol=1e-12, err_msg="vjp value differs from f")
    cts = vjp_fn(u)
    for x, c in zip(xs, cts):
        c = np.asarray(c)
        assert c.shape == np.shape(x), f"cotangent shape {c.shape} != input shape {np.shape(x)}"
        assert c.dtype == np.asarray(x).dtype, f"cotangent dtype {c.dtype} != input dtype {np.asarray(x).dtype}"
    _, jv = bc.jvp(g, tuple(xs), tuple(vs))
    jv = np.asarray(jv)
    assert jv.shape == out.shape, f"tangent shape {jv.shape} != output shape {out.shape}"

    scale = max(1.0, float(np.max(np.abs(num))) if num.size else 1.0)
    np.testing.assert_allclose(jv, num, rtol=rtol, atol=atol * scale, err_msg="JVP vs finite differences")
    lhs = sum(_re_dot(c, v) for c, v in zip(cts, vs))
    rhs = _re_dot(u, num)
    tol = atol * scale * max(1.0, float(np.sum(np.abs(u)))) + rtol * abs(rhs)
    assert abs(lhs - rhs) <= tol * 10, f"VJP vs finite differences: <vjp(u), v> = {lhs}, <u, J v> = {rhs}"
    adj = _re_dot(u, jv)
    assert abs(lhs - adj) <= 1e-9 * max(1.0, abs(lhs), abs(adj)), f"VJP/JVP not adjoint: {lhs} vs {adj}"


def check_second_order(f, args, rng, rtol=1e-4, atol=1e-6, eps=1e-5, argnums=None):
    """Differentiate x -> <vjp_f(x)(u), w> (reverse-over-reverse and forward-over-reverse)."""
    argnums = tuple(range(len(args))) if argnums is None else argnums

    def g(*diff):
        full = list(args)
        for i, d in zip(argnums, diff):
            full[i] = d
        return f(*full)

    xs = [args[i] for i in argnums]
    out = np.asarray(g(*xs))
    u = _like(rng, out)
    ws = [_like(rng, x) for x in xs]

    def h(*xs_):
        _, vjp_fn = bc.vjp(g, *xs_)
        cts = vjp_fn(u)
        total = 0.0
        for c, w in zip(cts, ws):
            total = total + bc.numpy.sum(c * w)
        return total

    check_first_order(h, xs, rng, rtol=rtol, atol=atol, eps=eps)
