"""Turn one op description (``ops.Op``) into checks against its JAX or PyTorch counterpart.

For one layout (how the arguments are laid out in memory and shaped) and one dtype, ``run_case`` checks:

* values: backchain's result against the reference's: values, shape and dtype;
* VJP (``bc.vjp``) with a random cotangent against ``jax.vjp`` / ``torch.autograd.grad``; every cotangent
  has its input's shape and dtype (float32 stays float32);
* JVP (``bc.jvp``) with random tangents against ``jax.jvp`` / ``torch.func.jvp``; the output tangent has
  the result's dtype;
* second order: the gradient of ``x -> <vjp(x)(ct), w>`` (reverse over reverse), against the same
  composition in the reference.

JAX runs in float64 only inside ``jax.enable_x64`` (scoped here, so the rest of the suite keeps JAX's
default).
"""
import os
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import torch

import backchain as bc
import backchain.numpy as bnp

DTYPES = (np.float64, np.float32)
CHECKS = ("value", "vjp", "jvp", "order2")


def seed_of(*parts):
    return zlib.crc32("/".join(map(str, parts)).encode())


def examples():
    """How many layout/dtype combinations to run per op beyond the two contiguous ones (None: all)."""
    n = os.environ.get("BACKCHAIN_ORACLE_EXAMPLES", "2")
    return None if n == "all" else int(n)


# ---------------------------------------------------------------- layouts

def _draw(rng, domain, shape):
    if callable(domain):
        return np.asarray(domain(rng, shape))
    lo, hi = domain
    return rng.uniform(lo, hi, size=shape)


def _lay(a, layout):
    """The array ``a`` in ``layout``: same values order is not kept, only shape and dtype."""
    if layout == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(a, 0, -1)).swapaxes(0, -1)
    if layout == "negative-stride" and a.ndim >= 1:
        return np.ascontiguousarray(a[::-1])[::-1]
    if layout == "stride-0" and a.ndim >= 1:
        return np.broadcast_to(a[:1], a.shape)
    return a


def layouts(op):
    """Every (layout, shapes) the op supports: its own cases plus the derived memory layouts."""
    out = list(op.cases.items())
    base = op.cases["contiguous"]
    if any(len(s) >= 2 for s in base if s is not None):
        out.append(("transposed", base))
    if any(len(s) >= 1 and s[0] > 1 for s in base if s is not None):
        out.append(("negative-stride", base))
        if op.stride0:
            out.append(("stride-0", base))
    if op.complex:
        out.append(("complex", base))
    if op.scalar_operand:  # x op 2.0 and 2.0 op x: a Python float operand, not differentiated
        out.append(("python-scalar", base[:-1] + ((),)))
        out.append(("python-scalar-first", ((),) + base[1:]))
    return out


def combos(op, skip=()):
    """The (layout, shapes, dtype) combinations to run: both contiguous ones, then a seeded sample.

    ``skip`` holds names ``"key [layout]"`` or ``"key [dtype]"`` of known defects to leave out.
    """
    every = [(lay, shapes, dt) for lay, shapes in layouts(op) for dt in op.dtypes
             if f"{op.key} [{lay}]" not in skip and f"{op.key} [{np.dtype(dt).name}]" not in skip]
    first = [c for c in every if c[0] == "contiguous"]
    rest = [c for c in every if c[0] != "contiguous"]
    n = examples()
    if n is not None and n < len(rest):
        rng = np.random.default_rng(seed_of(op.key, "combos"))
        rest = [rest[i] for i in sorted(rng.choice(len(rest), size=n, replace=False))]
    return first + rest


def sample_args(op, layout, shapes, dtype, rng):
    """Arguments for one case: float arguments in ``dtype`` and ``layout``; integer ones as drawn."""
    for _ in range(100):
        args = []
        for i, shape in enumerate(shapes):
            dom = op.domain[i] if isinstance(op.domain, list) else op.domain
            a = _draw(rng, dom, shape)
            if layout == "complex" and a.dtype.kind == "f":
                a = a + 1j * rng.uniform(-1.0, 1.0, size=shape)
            if a.dtype.kind in "fc":
                a = np.asarray(a, dtype=np.result_type(dtype, np.complex64) if a.dtype.kind == "c" else dtype)
            args.append(_lay(a, layout))
        if layout == "python-scalar":
            args[-1] = float(args[-1])
        if layout == "python-scalar-first":
            args[0] = float(args[0])
        if op.avoid is None or not op.avoid(*args):
            return args
    raise RuntimeError(f"{op.key}: no sample away from its kinks")


# ---------------------------------------------------------------- pytrees of results

def leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for v in x for leaf in leaves(v)]
    return [x]


def rebuild(x, vals):
    """``x``'s structure (tuples, lists, named tuples) holding ``vals`` (consumed from the front)."""
    if isinstance(x, (tuple, list)):
        parts = [rebuild(v, vals) for v in x]
        if hasattr(x, "_fields"):
            return type(x)(*parts)
        return type(x)(parts)
    return vals.pop(0)


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, bc.Tensor):
        return x.data
    return np.asarray(x)


def _random_like(rng, a):
    a = _np(a)
    r = rng.standard_normal(a.shape)
    if a.dtype.kind == "c":
        r = r + 1j * rng.standard_normal(a.shape)
    return r.astype(a.dtype)


# ---------------------------------------------------------------- the reference

def _like(out, cts):
    """The cotangents ``cts`` as JAX arrays in the structure and dtypes of ``out``."""
    flat, treedef = jax.tree_util.tree_flatten(out)
    return jax.tree_util.tree_unflatten(treedef, [jnp.asarray(c, dtype=o.dtype) for o, c in zip(flat, cts)])


class Jax:
    """The JAX side: arrays are converted to ``jnp`` arrays; float64 kept (x64 enabled around each call)."""

    def __init__(self, ref):
        self.ref = ref

    def call(self, *args):
        return [_np(v) for v in leaves(self.ref(*map(jnp.asarray, args)))]

    const = staticmethod(jnp.asarray)

    def vjp(self, f, args, cts):
        out, pull = jax.vjp(f, *map(jnp.asarray, args))
        return [_np(g) for g in pull(_like(out, cts))]

    def jvp(self, f, args, tangents):
        _, t = jax.jvp(f, tuple(map(jnp.asarray, args)), tuple(map(jnp.asarray, tangents)))
        return [_np(v) for v in leaves(t)]

    def full(self, f, args, cts, ws):
        """Values, the VJP and the gradient of ``<vjp(x)(ct), w>``, from one trace (JAX's time is in tracing)."""
        def s(*xs):
            out, pull = jax.vjp(f, *xs)
            gs = pull(_like(out, cts))
            return sum(jnp.sum(jnp.real(g * w)) for g, w in zip(gs, ws)), (out, gs)

        (_, (out, gs)), hs = jax.value_and_grad(s, argnums=tuple(range(len(args))), has_aux=True)(
            *map(jnp.asarray, args))
        return [_np(v) for v in leaves(out)], [_np(g) for g in gs], [_np(h) for h in hs]


class Torch:
    """The PyTorch side: ``torch.autograd.grad`` for VJPs, ``torch.func.jvp`` for JVPs."""

    def __init__(self, ref):
        self.ref = ref

    @staticmethod
    def _t(a, grad=False):
        return torch.tensor(np.array(a, order="C"), requires_grad=grad)

    def call(self, *args):
        return [_np(v) for v in leaves(self.ref(*map(self._t, args)))]

    const = _t

    def _grads(self, f, args, cts, create_graph=False):
        xs = [self._t(a, True) for a in args]
        outs = leaves(f(*xs))
        cts = [self._t(c).to(o.dtype) for o, c in zip(outs, cts)]
        gs = torch.autograd.grad(outs, xs, cts, allow_unused=True, create_graph=create_graph)
        return xs, outs, [torch.zeros_like(x) if g is None else g for x, g in zip(xs, gs)]

    def vjp(self, f, args, cts):
        return [_np(g) for g in self._grads(f, args, cts)[2]]

    def jvp(self, f, args, tangents):
        _, t = torch.func.jvp(f, tuple(map(self._t, args)), tuple(map(self._t, tangents)))
        return [_np(v) for v in leaves(t)]

    def full(self, f, args, cts, ws):
        """Values, the VJP and the gradient of ``<vjp(x)(ct), w>`` (double backward)."""
        xs, outs, gs = self._grads(f, args, cts, create_graph=True)
        s = sum((g * self._t(w)).sum() for g, w in zip(gs, ws))
        hs = torch.autograd.grad(s, xs, allow_unused=True) if s.requires_grad else [None] * len(xs)  # linear op
        hs = [np.zeros(x.shape, _np(x).dtype) if h is None else _np(h) for x, h in zip(xs, hs)]
        return [_np(v) for v in outs], [_np(g) for g in gs], hs


# ---------------------------------------------------------------- checks

def _up(a):
    """float32 -> float64, complex64 -> complex128: the reference always runs in double precision."""
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fc":
        return a
    return a.astype(np.promote_types(a.dtype, np.float64))


def _down(dtype, to):
    """The reference's double-precision result dtype, brought to the precision of the case (``to``)."""
    dtype = np.dtype(dtype)
    if np.dtype(to) == np.float32 and dtype.kind in "fc":
        return np.dtype(np.complex64 if dtype.kind == "c" else np.float32)
    return dtype


def close(got, want, rtol, atol, what, dtype_of=None):
    """``got`` matches ``want`` in shape and values, and has ``dtype_of``'s dtype (an array or a dtype)."""
    got, want = _np(got), _np(want)
    dtype = dtype_of if isinstance(dtype_of, np.dtype) else _np(dtype_of).dtype
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert got.dtype == dtype, f"{what}: dtype {got.dtype}, expected {dtype}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


def run_case(op, layout, shapes, dtype):
    rng = np.random.default_rng(seed_of(op.key, layout, np.dtype(dtype).name))
    args = sample_args(op, layout, shapes, dtype, rng)
    rtol, atol = op.tol(dtype)
    where = f"{op.key} [{layout} {[np.shape(a) for a in args]} {np.dtype(dtype).name}]"
    ref = Torch(op.ref) if op.backend == "torch" else Jax(op.ref)
    diff = [i for i in range(len(args)) if (op.argnums is None or i in op.argnums) and type(args[i]) is not float]

    def split(f):  # f of the differentiable arguments only; the others held fixed
        def g(*xs):
            full = list(args)
            for i, x in zip(diff, xs):
                full[i] = x
            return f(*full)
        return g

    dargs = [args[i] for i in diff]
    # The reference sees the same values in double precision: in float32 cases backchain's float32
    # results are compared with the exact ones (at float32 tolerances), and JAX compiles once per shape.
    rargs = [_up(a) for a in args]
    rdargs = [rargs[i] for i in diff]

    def rsplit(f):
        def g(*xs):
            full = [ref.const(a) for a in rargs]
            for i, x in zip(diff, xs):
                full[i] = x
            return f(*full)
        return g

    with jax.enable_x64(True):
        out = op.fn(*args)
        got = leaves(out)
        cts = [_random_like(rng, v) for v in got]
        ws = [_random_like(rng, a) for a in dargs]
        second = bool(dargs) and op.order >= 2 and "order2" in op.checks
        if second:  # values, VJP and second order from one reference call
            want, want_vjp, want2 = ref.full(rsplit(op.ref), rdargs, [_up(c) for c in cts], [_up(w) for w in ws])
        else:
            want = ref.call(*rargs)
            want_vjp = None
        assert len(got) == len(want), f"{where}: {len(got)} results, expected {len(want)}"
        if "value" in op.checks:
            for k, (a, b) in enumerate(zip(got, want)):
                expected = np.dtype(op.result_dtype(*args)) if op.result_dtype else _down(b.dtype, dtype)
                close(a, b, rtol, atol, f"{where} value {k}", dtype_of=expected)
        if op.order == 0 or not dargs:
            return
        if "vjp" in op.checks:
            _, pull = bc.vjp(split(op.fn), *dargs)
            gs = leaves(pull(rebuild(out, list(cts))))
            if want_vjp is None:
                want_vjp = ref.vjp(rsplit(op.ref), rdargs, [_up(c) for c in cts])
            for k, (g, r, a) in enumerate(zip(gs, want_vjp, dargs)):
                close(g, r, rtol, atol, f"{where} vjp arg {diff[k]}", dtype_of=a)
        if "jvp" in op.checks:
            ts = [_random_like(rng, a) for a in dargs]
            _, tout = bc.jvp(split(op.fn), tuple(dargs), tuple(ts))
            want = ref.jvp(rsplit(op.ref), rdargs, [_up(t) for t in ts])
            for k, (t, r, v) in enumerate(zip(leaves(tout), want, leaves(out))):
                close(t, r, rtol, atol, f"{where} jvp result {k}", dtype_of=v)
        if second:
            f = split(op.fn)

            def s(*xs):
                _, pull = bc.vjp(f, *xs)
                gs = leaves(pull(rebuild(out, list(cts))))
                return sum(bnp.sum(bnp.real(g * w)) for g, w in zip(gs, ws))

            hs = bc.grad(s, argnums=tuple(range(len(dargs))))(*dargs)
            tol2 = (rtol * op.order2_factor, atol * op.order2_factor)
            for k, (h, r, a) in enumerate(zip(hs, want2, dargs)):
                close(h, r, *tol2, f"{where} second order arg {diff[k]}", dtype_of=a)
            if all(np.isrealobj(a) for a in dargs):
                # forward over reverse: the JVP of x -> vjp(x)(ct) along w is the same Hessian product
                # (the Hessian of the real <f(x), ct> is symmetric)
                def pulled(*xs):
                    return list(leaves(bc.vjp(f, *xs)[1](rebuild(out, list(cts)))))

                _, hs = bc.jvp(pulled, tuple(dargs), tuple(ws))
                for k, (h, r, a) in enumerate(zip(hs, want2, dargs)):
                    close(h, r, *tol2, f"{where} forward over reverse arg {diff[k]}", dtype_of=a)


def run_kinks(op):
    """At each kink point of the op: the exact documented derivative, reverse and forward, both dtypes."""
    for point, expected in op.kinks:
        for dtype in op.dtypes:
            xs = [np.asarray(p, dtype=dtype) for p in point]
            where = f"{op.key} at {point} ({np.dtype(dtype).name})"
            argnums = tuple(range(len(xs)))
            gs = bc.grad(lambda *a: bnp.sum(op.fn(*a)), argnums=argnums)(*xs)
            for i, (g, e) in enumerate(zip(gs, expected)):
                close(g, np.asarray(e, dtype=dtype), 0, 0, f"{where}: d/darg{i} (reverse)", dtype_of=xs[i])
            for i, e in enumerate(expected):  # forward: a unit tangent on argument i (elementwise ops)
                if np.shape(e) != np.shape(op.fn(*xs)):
                    continue
                ts = tuple(np.ones_like(x) if j == i else np.zeros_like(x) for j, x in enumerate(xs))
                _, t = bc.jvp(op.fn, tuple(xs), ts)
                close(t, np.asarray(e, dtype=dtype), 0, 0, f"{where}: d/darg{i} (forward)", dtype_of=xs[i])
