"""Every public differentiable function has an oracle row, a reason in NO_ORACLE, or a KNOWN_DEFECTS entry;
every registered primitive is reached by some row or is named in NO_ORACLE_PRIMITIVES."""
import numpy as np

import backchain as bc
import backchain.nn.functional as F
import backchain.numpy as bnp
import backchain.scipy.linalg as bsl
import backchain.scipy.signal as bsig
import backchain.scipy.special as bsp
from backchain._core.primitive import REGISTRY
from backchain.numpy._nondiff import NAMES as NONDIFF

from .ops import KNOWN_DEFECTS, NO_ORACLE, NO_ORACLE_PRIMITIVES, OPS
from .harness import sample_args

MODULES = {"numpy": bnp, "numpy.linalg": bnp.linalg, "numpy.fft": bnp.fft, "scipy.special": bsp,
           "scipy.signal": bsig, "scipy.linalg": bsl, "nn.functional": F}


def _resolve(key):
    """The public object a row key names: "numpy.pad(reflect)" -> backchain.numpy.pad."""
    module, _, name = key.split("(")[0].split(" [")[0].rpartition(".")
    return getattr(MODULES[module], name, None) if module in MODULES else None


def public_functions():
    """(key, object) of every public function of the five modules, less the non-differentiable ones."""
    out = []
    for prefix, mod in MODULES.items():
        for name in dir(mod):
            obj = getattr(mod, name)
            if name.startswith("_") or not callable(obj) or isinstance(obj, type) or name in NONDIFF:
                continue
            if getattr(getattr(obj, "prim", None), "user", False):
                continue  # exported by a user's bc.defprimitive (the doctest of defprimitive makes one)
            if getattr(obj, "__module__", "").startswith("numpy") and prefix == "numpy":
                continue  # a NumPy re-export (dtype constructors and the like)
            out.append((f"{prefix}.{name}", obj))
    return out


def test_every_public_function_has_an_oracle_or_a_reason():
    keys = {o.key for o in OPS} | set(NO_ORACLE) | set(KNOWN_DEFECTS)
    covered = {id(_resolve(k)) for k in keys if _resolve(k) is not None}
    missing = sorted(k for k, obj in public_functions() if id(obj) not in covered)
    print("\nno oracle:\n" + "\n".join(f"  {k}: {why}" for k, why in sorted(NO_ORACLE.items())))
    print("known defects (left out of the run):\n" + "\n".join(f"  {k}: {why}" for k, why in KNOWN_DEFECTS.items()))
    assert not missing, f"public functions with no oracle row and no reason in NO_ORACLE: {missing}"


def test_no_stale_entries():
    assert all(_resolve(k) is not None for k in NO_ORACLE), [k for k in NO_ORACLE if _resolve(k) is None]
    rows = {o.key for o in OPS}
    stale = [k for k in KNOWN_DEFECTS if k.split(" [")[0] not in rows]
    assert not stale, f"KNOWN_DEFECTS entries with no row: {stale}"


def _primitives_of(op):
    """The primitives recorded by one contiguous float64 call of the row and by its VJP as a function of
    the inputs and the cotangent (so the VJP of a linear op counts too), and by its JVP likewise, from
    backchain.viz.graph."""
    args = sample_args(op, "contiguous", op.cases["contiguous"], np.float64, np.random.default_rng(0))
    diff = [i for i in range(len(args)) if op.argnums is None or i in op.argnums]

    def f(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        out = [v for v in _leaves(op.fn(*full)) if isinstance(v, bc.Tensor)]
        return sum(bnp.sum(bnp.real(v)) for v in out)

    def results(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        return _leaves(op.fn(*full))

    xs = [args[i] for i in diff]
    cts = [np.ones_like(v) for v in results(*xs)]

    def pulled(*xs_cts):
        _, pull = bc.vjp(results, *xs_cts[:len(xs)])
        return sum(bnp.sum(bnp.real(g)) for g in _leaves(pull(list(xs_cts[len(xs):]))))

    def pushed(*xs_ts):
        _, tout = bc.jvp(results, tuple(xs_ts[:len(xs)]), tuple(xs_ts[len(xs):]))
        return sum(bnp.sum(bnp.real(t)) for t in _leaves(tout))

    names = set()
    for fn, inputs in ((f, xs), (pulled, xs + cts), (pushed, xs + xs)):
        try:
            g = bc.viz.graph(fn, *inputs)
        except TypeError:  # the result does not depend on the traced inputs: nothing recorded
            continue
        names |= {label.split("\n")[0] for kind, label in g.nodes.values() if kind == "op"}
    return names


def _leaves(x):
    return [v for item in x for v in _leaves(item)] if isinstance(x, (tuple, list)) else [x]


def test_every_primitive_is_reached():
    import backchain.scipy.integrate  # noqa: F401  (registers odeint: the set must not depend on test order)

    seen = set()
    for op in OPS:
        seen |= _primitives_of(op)
    library = {name for name, prim in REGISTRY.items() if not prim.user}  # not those tests declare
    missing = sorted(library - seen - set(NO_ORACLE_PRIMITIVES))
    assert not missing, f"primitives no oracle row reaches, and not in NO_ORACLE_PRIMITIVES: {missing}"
