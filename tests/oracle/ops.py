"""The oracle table: one ``Op`` per public differentiable function with a JAX or PyTorch counterpart.

JAX is the oracle for the NumPy-named functions (same names and semantics), PyTorch for
``nn.functional``. A row names the backchain callable and its counterpart, a sampler (cases of shapes and a
domain per argument), which arguments are differentiable, tolerances per dtype, the kink points with their
exact documented derivative, and any documented difference from the oracle (``note``).

Every public differentiable function appears once: as a row in ``OPS``, as a name in ``NO_ORACLE`` (no JAX
or PyTorch counterpart to compare with, with the reason) or in ``KNOWN_DEFECTS`` (a defect found here and
reported to the owner of the rule; the run leaves it out until the owner fixes it and removes the entry).
``test_oracle.py::test_coverage`` fails on a new public function that is in none of the three.
"""
import dataclasses
import functools
from typing import Callable, Optional

import jax.numpy as jnp
import jax.scipy.linalg as jsl
import jax.scipy.signal as jsig
import jax.scipy.stats as jst
import jax.scipy.special as jsp
import numpy as np
import torch
import scipy.special
import scipy.stats
import torch.nn.functional as TF

import backchain.numpy as bnp
import backchain.nn.functional as F
import backchain.scipy.linalg as bsl
import backchain.scipy.signal as bsig
import backchain.scipy.stats as bst
import backchain.scipy.special as bsp

from .harness import CHECKS, DTYPES


@dataclasses.dataclass
class Op:
    key: str                          # the public name: "numpy.sin", "nn.functional.relu"
    fn: Callable                      # backchain: array arguments -> array or tuple of arrays
    ref: Callable                     # the oracle, same arguments (jnp arrays, or torch tensors)
    backend: str = "jax"              # "jax" or "torch"
    cases: dict = None                # layout -> shapes, one per argument; "contiguous" required
    domain: object = (-2.0, 2.0)      # (lo, hi), a sampler (rng, shape) -> array, or a list of these per argument
    avoid: Optional[Callable] = None  # avoid(*args) -> True: draw again (near a kink, pole or tie)
    argnums: Optional[tuple] = None   # the differentiable arguments (default: all)
    rtol64: float = 1e-7
    atol64: float = 1e-10
    rtol32: float = 2e-4
    atol32: float = 1e-5
    order2_factor: float = 1.0        # tolerance multiplier for the second order
    order: int = 2                    # 0: values only; 1: no second order
    checks: tuple = CHECKS
    dtypes: tuple = DTYPES
    stride0: bool = True              # also run on a stride-0 (broadcast) view of the input
    complex: bool = False             # also run on complex inputs (real part from the domain, imaginary in (-1, 1))
    scalar_operand: bool = False      # also run with the last argument a Python float (x / 2.0)
    result_dtype: Optional[Callable] = None  # args -> the expected result dtype (where NumPy's differs from JAX's)
    kinks: tuple = ()                 # ((args...), (d/darg0, d/darg1, ...)) exact, for elementwise ops
    note: str = ""                    # a documented difference from the oracle

    def tol(self, dtype):
        return (self.rtol64, self.atol64) if np.dtype(dtype) == np.float64 else (self.rtol32, self.atol32)


# ---------------------------------------------------------------- samplers and cases

U = {"contiguous": ((2, 3),), "0-d": ((),), "empty": ((0, 3),)}
B = {"contiguous": ((2, 3), (2, 3)), "0-d": ((), ()), "empty": ((0, 3), (3,)),
     "broadcast": ((2, 1), (1, 3)), "broadcast-0d": ((2, 3), ())}
T3 = {"contiguous": ((2, 3),) * 3, "0-d": ((),) * 3, "broadcast": ((2, 3), (3,), ())}
M = {"contiguous": ((3, 4),), "empty": ((0, 4),)}    # one matrix, for reductions and shape functions
MM = {"contiguous": ((3, 4), (3, 4))}
SQ = {"contiguous": ((3, 3),), "batched": ((2, 3, 3),)}

POS = (0.3, 2.0)
UNIT = (-0.9, 0.9)


def away0(rng, shape):
    """±(0.3, 2): no value near 0."""
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def near(*points, margin=0.05):
    def avoid(x, *rest):
        return any(np.any(np.abs(x - p) < margin) for p in points)
    return avoid


def near_integer(margin=0.05, step=1.0, offset=0.0):
    def avoid(x, *rest):
        r = (x.astype(np.float64) - offset) / step
        return bool(np.any(np.abs(r - np.round(r)) < margin))
    return avoid


def ties(margin=0.05):
    def avoid(*args):
        return any(np.any(np.abs(a - b) < margin) for i, a in enumerate(args) for b in args[i + 1:])
    return avoid


def ratio_near_integer(x1, x2):
    r = np.asarray(x1, dtype=np.float64) / x2
    return bool(np.any(np.abs(r - np.round(r)) < 0.05))


def distinct(rng, shape):
    """A random permutation of well-separated values (sorting, max, median: no ties)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.15).reshape(shape) + rng.uniform(-0.05, 0.05, size=shape)


def ints(lo, hi):
    return lambda rng, shape: rng.integers(lo, hi, size=shape)


def booleans(rng, shape):
    return rng.uniform(size=shape) < 0.5


def spd(rng, shape):
    """Symmetric positive definite matrices (well conditioned)."""
    a = rng.standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) / n + np.eye(n)


def wellcond(rng, shape):
    """Square matrices near the identity (invertible, distinct singular values)."""
    return np.eye(shape[-1]) * 2 + rng.uniform(-0.5, 0.5, size=shape)


# ---------------------------------------------------------------- row makers

def _lookup(module, name):
    b = {"numpy": bnp, "numpy.linalg": bnp.linalg, "numpy.fft": bnp.fft, "scipy.special": bsp,
         "scipy.signal": bsig, "scipy.linalg": bsl, "nn.functional": F}[module]
    return getattr(b, name)


JAX = {"numpy": jnp, "numpy.linalg": jnp.linalg, "numpy.fft": jnp.fft, "scipy.special": jsp, "scipy.signal": jsig,
       "scipy.linalg": jsl}


def op(name, cases=U, module="numpy", kw=None, ref=None, fn=None, **opts):
    """A row calling ``module.name(*arrays, **kw)`` in backchain and in JAX (or ``ref``/``fn`` given)."""
    kw = kw or {}
    fn = fn or functools.partial(_lookup(module, name), **kw)
    if ref is None:
        ref = functools.partial(getattr(JAX[module], name), **kw)
    return Op(key=f"{module}.{name}", fn=fn, ref=ref, cases=cases, **opts)


def nnf(name, cases=U, kw=None, ref=None, fn=None, **opts):
    """A row for ``nn.functional.name`` against ``torch.nn.functional.name`` (or ``ref``)."""
    kw = kw or {}
    fn = fn or functools.partial(getattr(F, name), **kw)
    ref = ref or functools.partial(getattr(TF, name), **kw)
    return Op(key=f"nn.functional.{name}", fn=fn, ref=ref, backend="torch", cases=cases, **opts)


def unary(name, domain=(-2.0, 2.0), **opts):
    return op(name, U, domain=domain, **opts)


def binary(name, domain=(-2.0, 2.0), **opts):
    return op(name, B, domain=domain, scalar_operand=True, **opts)


# ---------------------------------------------------------------- NumPy: elementwise

ZERO_GRAD_JUMPS = "derivative 0 away from the jumps, like JAX"

OPS = [
    unary("sin", complex=True), unary("cos", complex=True), unary("tan", domain=(-1.2, 1.2), complex=True),
    unary("arcsin", domain=UNIT, kinks=(((1.0,), (np.inf,)), ((-1.0,), (np.inf,)))),
    unary("arccos", domain=UNIT, kinks=(((1.0,), (-np.inf,)), ((-1.0,), (-np.inf,)))), unary("arctan"),
    unary("sinh", complex=True), unary("cosh", complex=True), unary("tanh", complex=True),
    unary("arcsinh"), unary("arccosh", domain=(1.2, 3.0), kinks=(((1.0,), (np.inf,)),)),
    unary("arctanh", domain=UNIT, kinks=(((1.0,), (np.inf,)), ((-1.0,), (np.inf,)))),
    unary("exp", complex=True), unary("exp2", complex=True), unary("expm1", complex=True),
    unary("log", domain=POS, complex=True), unary("log2", domain=POS, complex=True),
    unary("log10", domain=POS, complex=True),
    unary("log1p", domain=(-0.6, 2.0)),
    unary("sqrt", domain=POS, kinks=(((0.0,), (np.inf,)),), complex=True),
    unary("cbrt", domain=away0, kinks=(((0.0,), (np.inf,)),)),
    unary("square", complex=True), unary("reciprocal", domain=away0, complex=True),
    unary("negative", complex=True), unary("positive"),
    unary("absolute", domain=away0, kinks=(((0.0,), (0.0,)),), complex=True,
          note="abs'(0) = 0 (min-norm); JAX gives 1. Complex: the gradient of |z| is z/|z| conjugated as in JAX"),
    unary("fabs", domain=away0, kinks=(((0.0,), (0.0,)),)),
    unary("sign", domain=away0, kinks=(((0.0,), (0.0,)),)),
    unary("floor", avoid=near_integer(), kinks=(((1.0,), (0.0,)),), note=ZERO_GRAD_JUMPS),
    unary("ceil", avoid=near_integer(), kinks=(((1.0,), (0.0,)),), note=ZERO_GRAD_JUMPS),
    unary("rint", avoid=near_integer(offset=0.5), kinks=(((0.5,), (0.0,)),), note=ZERO_GRAD_JUMPS),
    unary("round", avoid=near_integer(offset=0.5), kinks=(((0.5,), (0.0,)),), note=ZERO_GRAD_JUMPS),
    unary("around", avoid=near_integer(offset=0.5), ref=jnp.round),
    unary("trunc", avoid=near_integer(), kinks=(((1.0,), (0.0,)),), note=ZERO_GRAD_JUMPS),
    unary("fix", avoid=near_integer(), ref=jnp.trunc, kinks=(((1.0,), (0.0,)),)),
    unary("deg2rad"), unary("rad2deg"), unary("degrees"), unary("radians"),
    unary("sinc", rtol64=1e-6),
    unary("real", complex=True), unary("imag", complex=True), unary("conjugate", complex=True),
    unary("conj", complex=True), unary("angle", domain=away0, complex=True),
    unary("nan_to_num", kinks=((([np.nan, np.inf, 1.0],), ([0.0, 0.0, 1.0],)),)),
    binary("add", complex=True), binary("subtract", complex=True), binary("multiply", complex=True),
    binary("divide", domain=[(-2.0, 2.0), away0], complex=True),
    binary("true_divide", domain=[(-2.0, 2.0), away0]),
    binary("power", domain=[POS, (-2.0, 2.0)]),
    binary("float_power", domain=[POS, (-2.0, 2.0)], result_dtype=lambda x, y: np.float_power(x, y).dtype,
           note="NumPy's float_power computes in float64 (JAX keeps float32); gradients keep the input's dtype"),
    op("float_power(x, 2.0)", U, fn=lambda x: bnp.float_power(x, 2.0), ref=lambda x: jnp.float_power(x, 2.0),
       result_dtype=lambda x: np.float_power(x, 2.0).dtype),
    binary("arctan2", domain=away0, kinks=(((0.0, 0.0), (0.0, 0.0)),), note="0 / 0 at the origin; JAX gives NaN"),
    binary("hypot", domain=away0, kinks=(((0.0, 0.0), (0.0, 0.0)),), note="0 / 0 at the origin; JAX gives NaN"),
    binary("logaddexp"), binary("logaddexp2"),
    binary("maximum", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("minimum", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("fmax", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("fmin", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("copysign", domain=away0, kinks=(((0.0, 1.0), (0.0, 0.0)),)),
    binary("fmod", domain=away0, avoid=ratio_near_integer,
           kinks=(((3.0, 1.5), (1.0, -2.0)), ((-3.0, 1.5), (1.0, 2.0)))),
    binary("remainder", domain=away0, avoid=ratio_near_integer,
           kinks=(((3.0, 1.5), (1.0, -2.0)), ((-3.0, 1.5), (1.0, 2.0)))),
    binary("mod", domain=away0, avoid=ratio_near_integer),
    binary("heaviside", domain=away0, kinks=(((0.0, 0.3), (0.0, 1.0)),)),
    op("clip", T3, domain=[(-2.0, 2.0), (-1.0, -0.5), (0.5, 1.0)], avoid=ties(0.03),
       kinks=(((-1.0, -1.0, 1.0), (0.0, 0.0, 0.0)), ((1.0, -1.0, 1.0), (0.0, 0.0, 0.0))),
       note="at a bound every derivative is 0 (min-norm); JAX splits 0.5/0.5, PyTorch gives 1 to a"),
    op("where", {"contiguous": ((2, 3),) * 3, "0-d": ((),) * 3, "broadcast": ((2, 1), (1, 3), ())},
       domain=[booleans, (-2.0, 2.0), (-2.0, 2.0)], argnums=(1, 2)),
]


# ---------------------------------------------------------------- NumPy: reductions and statistics

def axes(name, domain=(-2.0, 2.0), jname=None, **opts):
    """A reduction, whole-array and along each axis (keepdims once)."""
    jname = jname or name
    fn, ref = _lookup("numpy", name), getattr(jnp, jname)
    rows = []
    for suffix, kw in (("", {}), ("(axis=1)", {"axis": 1}), ("(axis=0, keepdims)", {"axis": 0, "keepdims": True})):
        cases = {"contiguous": ((3, 4),), "empty": ((0, 4),)}
        if not kw:
            cases["0-d"] = ((),)
        row_opts = dict(opts, kinks=opts.get("kinks", ()) if not kw else ())  # kink points: whole-array row
        rows.append(Op(key=f"numpy.{name}{suffix}", fn=functools.partial(fn, **kw),
                       ref=functools.partial(ref, **kw), cases=cases, domain=domain, **row_opts))
    return rows


SCIPY64 = "SciPy computes in float64 (JAX keeps float32); the gradients keep the input's dtype"
F64 = "NumPy computes in float64 (JAX keeps float32); the gradients keep the input's dtype"


TIE_MAX = ((([1.0, 3.0, 3.0],), ([0.0, 0.5, 0.5],)),)   # ties split evenly (kink table)
TIE_MIN = ((([1.0, 3.0, 1.0],), ([0.5, 0.0, 0.5],)),)
STD = "at zero variance the derivative is 0 (min-norm, kink table); JAX and PyTorch give NaN"
STD_KINKS = ((([1.5, 1.5, 1.5],), ([0.0, 0.0, 0.0],)),)


def smooth_only(rows):
    """No 0-d or stride-0 inputs: their variance is 0, where backchain's convention differs from JAX's."""
    for r in rows:
        r.cases.pop("0-d", None)
        r.stride0 = False
        if r.key.endswith(")"):
            r.kinks = ()
    return rows


def nonempty(rows):
    for r in rows:
        r.cases = {k: v for k, v in r.cases.items() if k != "empty"}
    return rows


OPS += [
    *axes("sum"), *axes("nansum"), *axes("mean"), *nonempty(axes("nanmean")), *axes("prod"), *axes("nanprod"),
    *nonempty(axes("var")), *nonempty(axes("nanvar")),
    *smooth_only(nonempty(axes("std", kinks=STD_KINKS, note=STD))),
    *smooth_only(nonempty(axes("nanstd", kinks=STD_KINKS, note=STD))),
    *nonempty(axes("max", domain=distinct, kinks=TIE_MAX)), *nonempty(axes("min", domain=distinct, kinks=TIE_MIN)),
    *nonempty(axes("amax", domain=distinct, kinks=TIE_MAX)), *nonempty(axes("amin", domain=distinct, kinks=TIE_MIN)),
    *nonempty(axes("nanmax", domain=distinct)), *nonempty(axes("nanmin", domain=distinct)),
    *nonempty(axes("ptp", domain=distinct, kinks=((([1.0, 3.0, 3.0, 1.0],), ([-0.5, 0.5, 0.5, -0.5],)),))),
    *nonempty(axes("median", domain=distinct, kinks=((([1.0, 2.0, 2.0],), ([0.0, 1.0, 0.0],)),
                                                      (([4.0, 1.0, 3.0, 2.0],), ([0.0, 0.0, 0.5, 0.5],))))),
    *nonempty(axes("nanmedian", domain=distinct)),
    *nonempty(axes("average")),
    op("cumsum", M, kw={"axis": 1}), op("cumprod", M, kw={"axis": 1}),
    op("nancumsum", M, kw={"axis": 0}), op("nancumprod", M, kw={"axis": 0}),
    op("cumulative_sum", M, kw={"axis": 1}), op("cumulative_prod", M, kw={"axis": 1}),
    op("quantile", {"contiguous": ((3, 5),)}, fn=lambda a: bnp.quantile(a, 0.3, axis=1),
       ref=lambda a: jnp.quantile(a, 0.3, axis=1), domain=distinct),
    op("nanquantile", {"contiguous": ((3, 5),)}, fn=lambda a: bnp.nanquantile(a, 0.3, axis=1),
       ref=lambda a: jnp.nanquantile(a, 0.3, axis=1), domain=distinct),
    op("percentile", {"contiguous": ((3, 5),)}, fn=lambda a: bnp.percentile(a, 70.0, axis=0),
       ref=lambda a: jnp.percentile(a, 70.0, axis=0), domain=distinct),
    op("nanpercentile", {"contiguous": ((3, 5),)}, fn=lambda a: bnp.nanpercentile(a, 70.0),
       ref=lambda a: jnp.nanpercentile(a, 70.0), domain=distinct),
    op("cov", {"contiguous": ((3, 5),)}, result_dtype=lambda a: np.cov(a).dtype, note=F64),
    op("corrcoef", {"contiguous": ((3, 5),)}, rtol64=1e-6, result_dtype=lambda a: np.corrcoef(a).dtype, stride0=False,
       note=F64 + "; no stride-0 input: equal rows correlate exactly 1, at the bound of NumPy's clip to [-1, 1]"),
    op("trace", {"contiguous": ((3, 4),), "batched": ((2, 3, 3),)}),
    op("trapezoid", {"contiguous": ((3, 4),)}),
    op("diff", {"contiguous": ((3, 4),), "empty": ((0, 4),)}),
    op("ediff1d", {"contiguous": ((5,),), "matrix": ((2, 3),)}),
    op("gradient", {"contiguous": ((5,),)}),
]


# ---------------------------------------------------------------- NumPy: shape and joining

def shape_op(name, cases=M, kw=None, **opts):
    return op(name, cases, kw=kw, **opts)


OPS += [
    shape_op("reshape", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.reshape(a, (4, 3)),
             ref=lambda a: jnp.reshape(a, (4, 3))),
    shape_op("ravel"), shape_op("copy"),
    shape_op("transpose"), shape_op("permute_dims", fn=lambda a: bnp.permute_dims(a, (1, 0)),
                                    ref=lambda a: jnp.permute_dims(a, (1, 0))),
    shape_op("matrix_transpose"),
    shape_op("swapaxes", kw={"axis1": 0, "axis2": 1}), shape_op("moveaxis", kw={"source": 0, "destination": 1}),
    shape_op("rollaxis", fn=lambda a: bnp.rollaxis(a, 1), ref=lambda a: jnp.rollaxis(a, 1)),
    shape_op("expand_dims", kw={"axis": 1}),
    shape_op("squeeze", {"contiguous": ((3, 1, 4),)}),
    shape_op("flip"), shape_op("fliplr"), shape_op("flipud"), shape_op("rot90"),
    shape_op("roll", fn=lambda a: bnp.roll(a, 2, axis=1), ref=lambda a: jnp.roll(a, 2, axis=1)),
    shape_op("tile", fn=lambda a: bnp.tile(a, (2, 1)), ref=lambda a: jnp.tile(a, (2, 1))),
    shape_op("repeat", fn=lambda a: bnp.repeat(a, 2, axis=0), ref=lambda a: jnp.repeat(a, 2, axis=0)),
    shape_op("broadcast_to", {"contiguous": ((1, 4),)}, fn=lambda a: bnp.broadcast_to(a, (3, 4)),
             ref=lambda a: jnp.broadcast_to(a, (3, 4))),
    shape_op("broadcast_arrays", {"contiguous": ((3, 1), (1, 4))}),
    shape_op("atleast_1d", U), shape_op("atleast_2d", U), shape_op("atleast_3d", U),
    shape_op("concatenate", MM, fn=lambda a, b: bnp.concatenate([a, b], axis=1),
             ref=lambda a, b: jnp.concatenate([a, b], axis=1)),
    shape_op("concat", MM, fn=lambda a, b: bnp.concat([a, b]), ref=lambda a, b: jnp.concat([a, b])),
    shape_op("append", MM, fn=lambda a, b: bnp.append(a, b, axis=0), ref=lambda a, b: jnp.append(a, b, axis=0)),
    shape_op("stack", MM, fn=lambda a, b: bnp.stack([a, b], axis=1), ref=lambda a, b: jnp.stack([a, b], axis=1)),
    shape_op("hstack", MM, fn=lambda a, b: bnp.hstack([a, b]), ref=lambda a, b: jnp.hstack([a, b])),
    shape_op("vstack", MM, fn=lambda a, b: bnp.vstack([a, b]), ref=lambda a, b: jnp.vstack([a, b])),
    shape_op("dstack", MM, fn=lambda a, b: bnp.dstack([a, b]), ref=lambda a, b: jnp.dstack([a, b])),
    shape_op("column_stack", MM, fn=lambda a, b: bnp.column_stack([a, b]),
             ref=lambda a, b: jnp.column_stack([a, b])),
    shape_op("unstack"),
    shape_op("split", {"contiguous": ((4, 6),)}, fn=lambda a: bnp.split(a, 3, axis=1),
             ref=lambda a: jnp.split(a, 3, axis=1)),
    shape_op("array_split", {"contiguous": ((4, 5),)}, fn=lambda a: bnp.array_split(a, 3, axis=1),
             ref=lambda a: jnp.array_split(a, 3, axis=1)),
    shape_op("hsplit", {"contiguous": ((4, 6),)}, fn=lambda a: bnp.hsplit(a, 2), ref=lambda a: jnp.hsplit(a, 2)),
    shape_op("vsplit", {"contiguous": ((4, 6),)}, fn=lambda a: bnp.vsplit(a, 2), ref=lambda a: jnp.vsplit(a, 2)),
    shape_op("dsplit", {"contiguous": ((2, 3, 4),)}, fn=lambda a: bnp.dsplit(a, 2), ref=lambda a: jnp.dsplit(a, 2)),
    shape_op("pad", fn=lambda a: bnp.pad(a, ((1, 0), (2, 1))), ref=lambda a: jnp.pad(a, ((1, 0), (2, 1)))),
    shape_op("pad(reflect)", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.pad(a, 2, mode="reflect"),
             ref=lambda a: jnp.pad(a, 2, mode="reflect")),
    shape_op("pad(edge)", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.pad(a, 1, mode="edge"),
             ref=lambda a: jnp.pad(a, 1, mode="edge")),
    shape_op("diag", {"contiguous": ((4,),), "matrix": ((3, 4),)}),
    shape_op("diagflat", {"contiguous": ((2, 2),)}),
    shape_op("diagonal", {"contiguous": ((3, 4),), "batched": ((2, 3, 4),)}),
    shape_op("tril"), shape_op("triu"),
    shape_op("meshgrid", {"contiguous": ((3,), (4,))}),
    shape_op("vander", {"contiguous": ((4,),)}, result_dtype=lambda a: np.vander(a).dtype),
]


# ---------------------------------------------------------------- NumPy: products

OPS += [
    op("matmul", {"contiguous": ((3, 4), (4, 2)), "vector": ((4,), (4, 2)), "batched": ((2, 3, 4), (4, 2)),
                  "empty": ((0, 4), (4, 2))}),
    op("dot", {"contiguous": ((3, 4), (4, 2)), "vectors": ((4,), (4,)), "0-d": ((), (3,))}),
    op("vdot", {"contiguous": ((4,), (4,)), "matrices": ((2, 3), (2, 3))}),
    op("inner", {"contiguous": ((3, 4), (2, 4))}), op("outer", {"contiguous": ((3,), (4,))}),
    op("kron", {"contiguous": ((2, 3), (2, 2))}),
    op("tensordot", {"contiguous": ((3, 4, 2), (4, 2, 5))}),
    op("einsum", {"contiguous": ((3, 4), (4, 5))}, fn=lambda a, b: bnp.einsum("ij,jk->ik", a, b),
       ref=lambda a, b: jnp.einsum("ij,jk->ik", a, b)),
    op("einsum(trace)", {"contiguous": ((3, 3), (3,))}, fn=lambda a, b: bnp.einsum("ii,i->i", a, b),
       ref=lambda a, b: jnp.einsum("ii,i->i", a, b)),
    op("matvec", {"contiguous": ((3, 4), (4,)), "batched": ((2, 3, 4), (2, 4))}),
    op("vecmat", {"contiguous": ((3,), (3, 4))}),
    op("vecdot", {"contiguous": ((2, 4), (2, 4)), "broadcast": ((2, 4), (4,))}),
    op("cross", {"contiguous": ((4, 3), (4, 3)), "broadcast": ((4, 3), (3,))}),
    op("convolve", {"contiguous": ((6,), (3,))}),
    op("convolve(same)", {"contiguous": ((6,), (3,))}, fn=lambda a, v: bnp.convolve(a, v, mode="same"),
       ref=lambda a, v: jnp.convolve(a, v, mode="same")),
    op("correlate", {"contiguous": ((6,), (3,))}, fn=lambda a, v: bnp.correlate(a, v, mode="full"),
       ref=lambda a, v: jnp.correlate(a, v, mode="full")),
    op("polyval", {"contiguous": ((4,), (5,))}),
    op("polyfit", {"contiguous": ((6,), (6,))}, fn=lambda x, y: bnp.polyfit(x, y, 2),
       ref=lambda x, y: jnp.polyfit(x, y, 2), argnums=(1,), rtol64=1e-6,
       result_dtype=lambda x, y: np.polyfit(x, y, 2).dtype, note=F64),
    op("interp", {"contiguous": ((5,), (6,), (6,))}, domain=[(0.1, 4.9), lambda rng, s: np.arange(s[0]) * 1.0,
                                                              (-2.0, 2.0)],
       argnums=(0, 2), result_dtype=lambda x, xp, fp: np.interp(x, xp, fp).dtype, note=F64,
       avoid=lambda x, xp, fp: bool(np.any(np.abs(x - np.round(x)) < 0.05))),
]


# ---------------------------------------------------------------- NumPy: sorting and indexing

IDX = np.array([[2, 0], [1, 3]])

OPS += [
    op("sort", {"contiguous": ((3, 4),), "0-d-axis-None": ((5,),)}, domain=distinct),
    op("partition", {"contiguous": ((3, 5),)}, fn=lambda a: bnp.sort(bnp.partition(a, 2, axis=1), axis=1),
       ref=lambda a: jnp.sort(jnp.partition(a, 2, axis=1), axis=1), domain=distinct,
       note="only the k-th element's position is defined: compared after sorting"),
    op("take", M, fn=lambda a: bnp.take(a, IDX, axis=1), ref=lambda a: jnp.take(a, IDX, axis=1)),
    op("take_along_axis", {"contiguous": ((3, 4),)},
       fn=lambda a: bnp.take_along_axis(a, np.array([[0, 3], [1, 1], [2, 0]]), axis=1),
       ref=lambda a: jnp.take_along_axis(a, np.array([[0, 3], [1, 1], [2, 0]]), axis=1)),
    op("choose", {"contiguous": ((3,), (3,))}, fn=lambda a, b: bnp.choose(np.array([0, 1, 0]), [a, b]),
       ref=lambda a, b: jnp.choose(np.array([0, 1, 0]), [a, b])),
    op("compress", M, fn=lambda a: bnp.compress([True, False, True, True], a, axis=1),
       ref=lambda a: jnp.compress(np.array([True, False, True, True]), a, axis=1)),
    op("extract", M, fn=lambda a: bnp.extract(np.arange(a.size).reshape(a.shape) % 3 == 0, a),
       ref=lambda a: jnp.extract(np.arange(a.size).reshape(a.shape) % 3 == 0, a)),
    op("delete", M, fn=lambda a: bnp.delete(a, [0, 2], axis=1), ref=lambda a: jnp.delete(a, np.array([0, 2]), axis=1)),
    op("insert", MM, fn=lambda a, b: bnp.insert(a, 1, b[:, 0], axis=1),
       ref=lambda a, b: jnp.insert(a, 1, b[:, 0], axis=1)),
    op("select", {"contiguous": ((2, 3), (2, 3))},
       fn=lambda a, b: bnp.select([np.array([[True, False, False]] * 2), np.array([[False, True, False]] * 2)],
                                  [a, b], default=0.0),
       ref=lambda a, b: jnp.select([np.array([[True, False, False]] * 2), np.array([[False, True, False]] * 2)],
                                   [a, b], default=0.0)),
    op("getitem", M, fn=lambda a: a[1:, ::-2], ref=lambda a: a[1:, ::-2]),
    op("getitem(fancy)", {"contiguous": ((3, 4),)}, fn=lambda a: a[np.array([0, 2, 0]), 1:],
       ref=lambda a: a[np.array([0, 2, 0]), 1:]),
    op("getitem(mask)", {"contiguous": ((3, 4),)}, fn=lambda a: a[np.arange(12).reshape(3, 4) % 2 == 0],
       ref=lambda a: a[np.arange(12).reshape(3, 4) % 2 == 0]),
    op("linspace", {"contiguous": ((), ())}, fn=lambda a, b: bnp.linspace(a, b, 5),
       ref=lambda a, b: jnp.linspace(a, b, 5)),
    op("logspace", {"contiguous": ((), ())}, fn=lambda a, b: bnp.logspace(a, b, 5),
       ref=lambda a, b: jnp.logspace(a, b, 5)),
    op("logspace(base)", {"contiguous": ((), (), ())}, domain=[(-2.0, 2.0), (-2.0, 2.0), (0.5, 3.0)],
       fn=lambda a, b, c: bnp.logspace(a, b, 4, base=c), ref=lambda a, b, c: jnp.logspace(a, b, 4, base=c)),
    op("geomspace", {"contiguous": ((), (2,))}, domain=(0.5, 3.0), fn=lambda a, b: bnp.geomspace(a, b, 5),
       ref=lambda a, b: jnp.geomspace(a, b, 5), result_dtype=lambda a, b: np.geomspace(a, b, 5).dtype,
       note="NumPy's geomspace computes in float64 whatever the input (JAX: in the input's dtype)"),
    op("apply_along_axis", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.apply_along_axis(lambda r: bnp.sum(r * r), 1, a),
       ref=lambda a: jnp.apply_along_axis(lambda r: jnp.sum(r * r), 1, a)),
]


# ---------------------------------------------------------------- what the run leaves out

# Defects found here in rules owned by others, reported to them: "key" leaves the op out, "key [layout]"
# one layout, "key [float32]" one dtype. The owner removes the entry with the fix.
KNOWN_DEFECTS = {
    "numpy.mean [empty]": "JVP of the mean over an empty axis is 0 where JAX gives NaN (the value is NaN): backchain's "
                          "safe products make a zero tangent times an infinite or NaN local derivative 0 (the "
                          "where-branch convention of DESIGN.md section 4); to decide whether empty reductions "
                          "should be an exception",
    "numpy.mean(axis=0, keepdims) [empty]": "as numpy.mean [empty]",
}


# ---------------------------------------------------------------- numpy.linalg

def sym(f):
    """``f`` of the symmetric positive definite ``(a + aᵀ) / 2 + 3 I``: both sides see the same symmetric input."""
    return lambda a: f((a + np.swapaxes(a, -1, -2) if isinstance(a, np.ndarray) else a + a.swapaxes(-1, -2)) / 2
                       + 3 * np.eye(a.shape[-1], dtype=a.dtype))


def la(name, cases=SQ, domain=wellcond, **opts):
    """A numpy.linalg row; no stride-0 inputs (their rows are equal: singular matrices)."""
    return op(name, cases, module="numpy.linalg", domain=domain, stride0=False, **opts)


L = bnp.linalg
JL = jnp.linalg
RECT = {"contiguous": ((4, 3),), "wide": ((3, 4),), "batched": ((2, 4, 3),)}

OPS += [
    la("det"), la("slogdet"), la("inv"),
    la("solve", {"contiguous": ((3, 3), (3, 2)), "batched": ((2, 3, 3), (2, 3, 2))},
       domain=[wellcond, (-2.0, 2.0)]),
    la("cholesky", fn=sym(L.cholesky), ref=sym(JL.cholesky), domain=(-1.0, 1.0)),
    la("eigh", fn=sym(lambda a: (lambda w, v: (w, v * v))(*L.eigh(a))),
       ref=sym(lambda a: (lambda w, v: (w, v * v))(*JL.eigh(a))), domain=(-1.0, 1.0),
       note="eigenvectors compared through v * v (their signs are arbitrary)"),
    la("eigvalsh", fn=sym(L.eigvalsh), ref=sym(JL.eigvalsh), domain=(-1.0, 1.0)),
    la("svd", RECT, fn=lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*L.svd(a, full_matrices=False)),
       ref=lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*JL.svd(a, full_matrices=False)), domain=(-1.0, 1.0),
       rtol64=1e-6, note="singular vectors compared through u * u and vh * vh (their signs are arbitrary)"),
    la("svdvals", RECT, domain=(-1.0, 1.0)),
    la("pinv", RECT, domain=(-1.0, 1.0), rtol64=1e-6),
    la("qr", RECT, fn=lambda a: tuple(L.qr(a)), ref=lambda a: tuple(JL.qr(a)), domain=(-1.0, 1.0)),
    la("lstsq", {"contiguous": ((4, 3), (4, 2))}, domain=(-1.0, 1.0), fn=lambda a, b: L.lstsq(a, b)[0],
       ref=lambda a, b: JL.lstsq(a, b)[0], rtol64=1e-6),
    la("matrix_power", fn=lambda a: L.matrix_power(a, 3), ref=lambda a: JL.matrix_power(a, 3)),
    la("matrix_power(-2)", fn=lambda a: L.matrix_power(a, -2), ref=lambda a: JL.matrix_power(a, -2)),
    la("multi_dot", {"contiguous": ((3, 4), (4, 2), (2, 5))}, domain=(-1.0, 1.0),
       fn=lambda a, b, c: L.multi_dot([a, b, c]), ref=lambda a, b, c: JL.multi_dot([a, b, c])),
    la("norm", {"contiguous": ((3, 4),), "vector": ((5,),)}, domain=(-2.0, 2.0),
       kinks=((([[0.0, 0.0], [0.0, 0.0]],), ([[0.0, 0.0], [0.0, 0.0]],)),), note="0 at the zero matrix (min-norm)"),
    la("norm(ord=1, axis=1)", M, domain=away0, fn=lambda a: L.norm(a, ord=1, axis=1),
       ref=lambda a: JL.norm(a, ord=1, axis=1)),
    la("norm(ord=nuc)", {"contiguous": ((3, 4),)}, domain=(-1.0, 1.0), fn=lambda a: L.norm(a, ord="nuc"),
       ref=lambda a: JL.norm(a, ord="nuc")),
    la("norm(ord=2)", {"contiguous": ((3, 4),)}, domain=(-1.0, 1.0), fn=lambda a: L.norm(a, ord=2),
       ref=lambda a: JL.norm(a, ord=2)),
    la("vector_norm", {"contiguous": ((3, 4),), "0-d": ((),)}, domain=away0,
       kinks=((([0.0, 0.0, 0.0],), ([0.0, 0.0, 0.0],)),), note="0 at the zero vector (min-norm); JAX gives NaN"),
    la("vector_norm(ord=3, axis=0)", {"contiguous": ((3, 4),)}, domain=away0,
       note="no empty case: over an empty axis the norm is 0 and its tangent 0 (min-norm); JAX's tangent is NaN",
       fn=lambda a: L.vector_norm(a, ord=3, axis=0),
       ref=lambda a: JL.vector_norm(a, ord=3, axis=0)),
    la("vector_norm(ord=inf)", {"contiguous": ((3, 4),)}, domain=distinct, fn=lambda a: L.vector_norm(a, ord=np.inf),
       ref=lambda a: JL.vector_norm(a, ord=np.inf)),
    la("matrix_norm", {"contiguous": ((3, 4),), "batched": ((2, 3, 4),)}, domain=(-1.0, 1.0)),
    la("cond", domain=wellcond, rtol64=1e-6),
    la("trace", {"contiguous": ((3, 4),)}, domain=(-1.0, 1.0)),
    la("diagonal", {"contiguous": ((3, 4),)}, domain=(-1.0, 1.0)),
    la("outer", {"contiguous": ((3,), (4,))}, domain=(-1.0, 1.0)),
    la("tensordot", {"contiguous": ((3, 4, 2), (4, 2, 5))}, domain=(-1.0, 1.0)),
    la("matmul", {"contiguous": ((3, 4), (4, 2))}, domain=(-1.0, 1.0)),
    la("cross", {"contiguous": ((4, 3), (4, 3))}, domain=(-1.0, 1.0)),
    la("matrix_transpose", {"contiguous": ((3, 4),)}, domain=(-1.0, 1.0)),
    la("eigvals", {"contiguous": ((3, 3),)}, domain=lambda rng, s: np.diag([1.0, 2.0, 3.5]) + rng.uniform(-0.3, 0.3, s),
       fn=lambda a: bnp.sort(bnp.real(L.eigvals(a))), ref=lambda a: jnp.sort(jnp.real(JL.eigvals(a))),
       order=1, checks=("value", "vjp"), note="real, sorted eigenvalues; JAX has no JVP or second order for eig"),
]


# ---------------------------------------------------------------- numpy.fft

def cplx(rng, shape):
    return rng.uniform(-1, 1, size=shape) + 1j * rng.uniform(-1, 1, size=shape)


def ff(name, cases, domain=(-1.0, 1.0), **opts):
    return op(name, cases, module="numpy.fft", domain=domain, **opts)


V = {"contiguous": ((6,),), "matrix": ((3, 5),)}
V2 = {"contiguous": ((4, 6),), "batched": ((2, 3, 4),)}

OPS += [
    ff("fft", V), ff("fft(complex)", V, domain=cplx, fn=bnp.fft.fft, ref=jnp.fft.fft),
    ff("fft(n=8, ortho)", V, fn=lambda a: bnp.fft.fft(a, n=8, norm="ortho"),
       ref=lambda a: jnp.fft.fft(a, n=8, norm="ortho")),
    ff("ifft", V, domain=cplx), ff("fft2", V2), ff("ifft2", V2, domain=cplx),
    ff("fftn", V2), ff("ifftn", V2, domain=cplx),
    ff("rfft", V), ff("rfft(n=5)", V, fn=lambda a: bnp.fft.rfft(a, n=5), ref=lambda a: jnp.fft.rfft(a, n=5)),
    ff("irfft", V, domain=cplx), ff("irfft(n=7)", V, domain=cplx, fn=lambda a: bnp.fft.irfft(a, n=7),
                                    ref=lambda a: jnp.fft.irfft(a, n=7)),
    ff("rfft2", V2), ff("irfft2", V2, domain=cplx), ff("rfftn", V2), ff("irfftn", V2, domain=cplx),
    ff("fftshift", V2), ff("ifftshift", V2),
]


# ---------------------------------------------------------------- scipy.special

def sp(name, cases=U, domain=(-2.0, 2.0), **opts):
    return op(name, cases, module="scipy.special", domain=domain, **opts)


def sp2(name, domain, **opts):
    """A binary scipy.special row, also with a Python float operand: SciPy's result dtype (float64 for a
    float32 array and a Python float, where JAX and NumPy's own ufuncs keep float32)."""
    return sp(name, B, domain=domain, scalar_operand=True, note=SCIPY64,
              result_dtype=lambda *a: getattr(scipy.special, name)(*a).dtype, **opts)


C34 = {"contiguous": ((3, 4),)}  # SciPy's logsumexp fails on an empty array
BESSEL = "sampled from 0.3: below about 0.2 the second derivative of JAX's bessel_jn is wrong (j1''(0.1): -25977)"

OPS += [
    sp("erf"), sp("erfc"), sp("erfinv", domain=UNIT), sp("expit"), sp("expm1", ref=jnp.expm1),
    sp("log1p", domain=(-0.6, 2.0), ref=jnp.log1p),
    sp("erfcinv", domain=(0.1, 1.9), ref=lambda x: jsp.erfinv(1 - x), rtol64=1e-6),
    sp("gamma", domain=POS), sp("gammaln", domain=POS), sp("digamma", domain=POS),
    sp("psi", domain=POS, ref=jsp.digamma),
    sp2("beta", POS, rtol64=1e-6), sp2("betaln", POS, rtol64=1e-6),
    sp("polygamma", domain=POS, fn=lambda x: bsp.polygamma(1, x), ref=lambda x: jsp.polygamma(1, x), rtol64=1e-6,
       result_dtype=lambda x: scipy.special.polygamma(1, x).dtype, note=SCIPY64),
    sp("i0", rtol64=1e-6), sp("i0e", rtol64=1e-6), sp("i1", rtol64=1e-6), sp("i1e", rtol64=1e-6),
    sp("j0", domain=(0.3, 5.0), ref=lambda x: jsp.bessel_jn(x, v=1)[0], rtol64=1e-6, atol64=1e-8,
       note=BESSEL),
    sp("j1", domain=(0.3, 5.0), ref=lambda x: jsp.bessel_jn(x, v=1)[1], rtol64=1e-6, atol64=1e-8,
       note=BESSEL),
    sp("log_ndtr", domain=(-5.0, 3.0)), sp("ndtr"), sp("ndtri", domain=(0.05, 0.95), rtol64=1e-6),
    sp("logit", domain=(0.05, 0.95)),
    sp2("xlogy", [(-2.0, 2.0), POS]), sp2("xlog1py", [(-2.0, 2.0), (-0.6, 2.0)]),
    sp("logsumexp", C34), sp("logsumexp(axis=1)", C34, fn=lambda a: bsp.logsumexp(a, axis=1),
                           ref=lambda a: jsp.logsumexp(a, axis=1)),
    sp("softmax", M, kw={"axis": 1}), sp("log_softmax", M, kw={"axis": 1}),
    # d/da of gammainc has no closed form (a series, as JAX's): JAX's is first order only; second order in the specs
    sp2("gammainc", [POS, POS], order=1, rtol64=1e-9), sp2("gammaincc", [POS, POS], order=1, rtol64=1e-9),
    sp("betainc", {"contiguous": ((2, 3),) * 3, "broadcast": ((2, 3), (3,), ())}, domain=[POS, POS, (0.05, 0.95)],
       argnums=(2,), note="only x: JAX has no derivative in a, b (backchain's: against mpmath in "
                                          "tests/test_scipy_breadth.py)"),
    sp("multigammaln", domain=(1.5, 4.0), fn=lambda a: bsp.multigammaln(a, 3), ref=lambda a: jsp.multigammaln(a, 3),
       result_dtype=lambda a: scipy.special.multigammaln(a, 3).dtype, note=SCIPY64),
    sp("entr", domain=POS), sp("gammasgn", domain=(-0.9, -0.1)),
    sp("erfcx", domain=(-1.5, 3.0)), sp("expi", domain=POS),
    sp("exp1", domain=POS, ref=lambda x: -jsp.expi(-x), note="JAX's own exp1 fails under its tracer (a constant "
                                                             "handler error); E1(x) = -Ei(-x) for x > 0"),
    sp("log_expit", domain=(-4.0, 4.0), ref=lambda x: jnp.log(jsp.expit(x))),
    sp2("rel_entr", [POS, POS]), sp2("kl_div", [POS, POS]),
]


# ---------------------------------------------------------------- scipy.signal

SIG = {"contiguous": ((7,), (3,)), "2-d": ((4, 5), (2, 3))}

OPS += [
    op("convolve", SIG, module="scipy.signal"), op("correlate", SIG, module="scipy.signal"),
    op("fftconvolve", SIG, module="scipy.signal", rtol64=1e-6, atol64=1e-9, rtol32=1e-3, atol32=1e-4),
    op("fftconvolve(axes=1)", {"contiguous": ((3, 6), (3, 2))}, module="scipy.signal",
       fn=lambda a, b: bsig.fftconvolve(a, b, axes=1), ref=lambda a, b: jsig.fftconvolve(a, b, axes=1),
       rtol64=1e-6, atol64=1e-9, rtol32=1e-3, atol32=1e-4),
    op("fftconvolve(same)", SIG, module="scipy.signal", fn=lambda a, b: bsig.fftconvolve(a, b, mode="same"),
       ref=lambda a, b: jsig.fftconvolve(a, b, mode="same"), rtol64=1e-6, atol64=1e-9, rtol32=1e-3, atol32=1e-4),
]


# ---------------------------------------------------------------- scipy.linalg and scipy.stats

def tri(rng, shape):
    """Lower-triangular matrices with a diagonal away from 0 (upper part random: must be ignored)."""
    return rng.uniform(-1, 1, size=shape) + np.eye(shape[-1]) * 2.0


def sl(name, cases, domain, **opts):
    return op(name, cases, module="scipy.linalg", domain=domain, stride0=False, **opts)


def _lu_flat(lib, np_, a):
    _, l, u = lib.lu(a)
    return np_.concatenate([np_.ravel(l), np_.ravel(u)])


OPS += [
    sl("lu", {"contiguous": ((3, 3),), "tall": ((4, 3),), "wide": ((3, 4),)}, (-1.0, 1.0),
       fn=lambda a: _lu_flat(bsl, bnp, a), ref=lambda a: _lu_flat(jsl, jnp, a), complex=True),
    sl("lu_factor", {"contiguous": ((3, 3),), "tall": ((4, 3),)}, (-1.0, 1.0), fn=lambda a: bsl.lu_factor(a)[0],
       ref=lambda a: jsl.lu_factor(a)[0], complex=True),
    sl("lu_solve", {"contiguous": ((3, 3), (3, 2)), "vector": ((3, 3), (3,))}, (-1.0, 1.0),
       fn=lambda a, b: bsl.lu_solve(bsl.lu_factor(a), b), ref=lambda a, b: jsl.lu_solve(jsl.lu_factor(a), b),
       complex=True),
    sl("lu_solve(trans=2)", {"contiguous": ((3, 3), (3, 2))}, (-1.0, 1.0),
       fn=lambda a, b: bsl.lu_solve(bsl.lu_factor(a), b, trans=2),
       ref=lambda a, b: jsl.lu_solve(jsl.lu_factor(a), b, trans=2), complex=True),
    sl("solve_triangular", {"contiguous": ((3, 3), (3, 2)), "vector": ((3, 3), (3,))}, [tri, (-1.0, 1.0)],
       kw={"lower": True}, complex=True),
    sl("solve_triangular(upper, trans)", {"contiguous": ((3, 3), (3, 2))}, [tri, (-1.0, 1.0)],
       fn=lambda a, b: bsl.solve_triangular(a, b, trans=1), ref=lambda a, b: jsl.solve_triangular(a, b, trans=1),
       complex=True),
    sl("solve_triangular(upper, trans=2)", {"contiguous": ((3, 3), (3, 2))}, [tri, (-1.0, 1.0)],
       fn=lambda a, b: bsl.solve_triangular(a, b, trans=2), ref=lambda a, b: jsl.solve_triangular(a, b, trans=2),
       complex=True),
    sl("cholesky", {"contiguous": ((3, 3),)}, (-1.0, 1.0), fn=sym(bsl.cholesky), ref=sym(jsl.cholesky)),
    sl("cho_factor", {"contiguous": ((3, 3),)}, (-1.0, 1.0), fn=sym(lambda a: bsl.cho_factor(a, lower=True)[0]),
       ref=sym(lambda a: jnp.tril(jsl.cho_factor(a, lower=True)[0])),
       note="compared on the lower triangle: the other triangle of cho_factor's result is unspecified"),
    sl("cho_solve", {"contiguous": ((3, 3), (3, 2))}, [(-1.0, 1.0), (-1.0, 1.0)],
       fn=lambda a, b: bsl.cho_solve((bnp.tril(a) + 2 * np.eye(3, dtype=a.dtype), True), b),
       ref=lambda a, b: jsl.cho_solve((jnp.tril(a) + 2 * np.eye(3, dtype=a.dtype), True), b)),
    sl("solve_sylvester", {"contiguous": ((3, 3), (2, 2), (3, 2))}, [wellcond, wellcond, (-1.0, 1.0)],
       checks=("value",), note="values only: JAX's solve_sylvester has no derivative (schur), PyTorch has none"),
]

OPS += [
    Op(key=f"scipy.stats.{dist}.{method}", fn=getattr(getattr(bst, dist), method),
       ref=getattr(getattr(jst, dist), method), cases=cases, domain=domain, note=SCIPY64,
       result_dtype=lambda *a, d=dist, m=method: getattr(getattr(scipy.stats, d), m)(*a).dtype)
    for dist, method, cases, domain in [
        ("norm", "logpdf", T3, [(-2.0, 2.0), (-1.0, 1.0), POS]),
        ("norm", "pdf", T3, [(-2.0, 2.0), (-1.0, 1.0), POS]),
        ("norm", "cdf", T3, [(-2.0, 2.0), (-1.0, 1.0), POS]),
        ("norm", "logcdf", T3, [(-2.0, 2.0), (-1.0, 1.0), POS]),
        ("norm", "sf", T3, [(-2.0, 2.0), (-1.0, 1.0), POS]),
        ("norm", "ppf", T3, [(0.05, 0.95), (-1.0, 1.0), POS]),
        ("t", "logpdf", {"contiguous": ((2, 3), (2, 3))}, [(-2.0, 2.0), (1.5, 5.0)]),
        ("gamma", "logpdf", {"contiguous": ((2, 3), (2, 3))}, [POS, (1.5, 3.0)]),
        ("beta", "logpdf", {"contiguous": ((2, 3), (2, 3), (2, 3))}, [(0.1, 0.9), (1.5, 3.0), (1.5, 3.0)]),
    ]
]


def _counts(rng, shape):
    return rng.integers(0, 6, size=shape).astype(np.float64)


# the cdf family: the shape parameter of gamma and chi2 to first order (JAX's d/da of gammainc has no derivative);
# beta's in x only (no rule in a, b: backchain raises); poisson's in mu
OPS += [
    Op(key=f"scipy.stats.{dist}.{method}", fn=getattr(getattr(bst, dist), method),
       ref=getattr(getattr(jst, dist), method), cases=cases, domain=domain, note=SCIPY64, **opts,
       result_dtype=lambda *a, d=dist, m=method: getattr(getattr(scipy.stats, d), m)(*a).dtype)
    for dist, method, cases, domain, opts in [
        *[("gamma", m, {"contiguous": ((2, 3), (2, 3))}, [POS, (0.5, 3.0)], {"order": 1, "rtol64": 1e-9})
          for m in ("cdf", "logcdf", "sf", "logsf")],
        *[("chi2", m, {"contiguous": ((2, 3), (2, 3))}, [POS, (0.5, 4.0)], {"order": 1, "rtol64": 1e-9})
          for m in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")],
        *[("beta", m, {"contiguous": ((2, 3), (2, 3), (2, 3))}, [(0.1, 0.9), (1.5, 3.0), (1.5, 3.0)],
           {"argnums": (0,)}) for m in ("cdf", "logcdf", "sf", "logsf")],
        ("poisson", "cdf", {"contiguous": ((2, 3), (2, 3))}, [_counts, POS], {"argnums": (1,), "stride0": False}),
    ]
]


# ---------------------------------------------------------------- nn.functional, against PyTorch

X = {"contiguous": ((2, 3),), "0-d": ((),), "empty": ((0, 3),)}
NCL = {"contiguous": ((2, 3, 8),)}
NCHW = {"contiguous": ((2, 3, 6, 6),)}
NCDHW = {"contiguous": ((1, 2, 4, 4, 4),)}
TGT = np.array([2, 0, 1, 2])
UNPOOL1 = np.array([[[0, 3, 5], [1, 2, 4]]])      # max_pool1d(kernel 2) indices into length 6
UNPOOL2 = np.array([[[[1, 6], [8, 15]]]])         # max_pool2d(kernel 2) indices into 4 x 4

OPS += [
    nnf("relu", X, kinks=(((0.0,), (0.0,)),), note="relu'(0) = 0, as PyTorch"),
    nnf("relu6", X, domain=(-2.0, 8.0), avoid=near(0.0, 6.0), kinks=(((0.0,), (0.0,)), ((6.0,), (0.0,)))),
    nnf("leaky_relu", X, kw={"negative_slope": 0.1}, avoid=near(0.0), kinks=(((0.0,), (0.1,)),),
        note="leaky_relu'(0) = negative_slope (min-norm); PyTorch gives negative_slope too"),
    nnf("elu", X), nnf("selu", X), nnf("celu", X, kw={"alpha": 0.7}),
    nnf("gelu", X), nnf("gelu(tanh)", X, fn=lambda x: F.gelu(x, approximate="tanh"),
                        ref=lambda x: TF.gelu(x, approximate="tanh")),
    nnf("silu", X), nnf("mish", X), nnf("softplus", X), nnf("softplus(beta=2)", X, fn=lambda x: F.softplus(x, 2.0, 1.0),
                                                             ref=lambda x: TF.softplus(x, 2.0, 1.0)),
    nnf("softsign", X), nnf("sigmoid", X, ref=torch.sigmoid), nnf("tanh", X, ref=torch.tanh), nnf("logsigmoid", X),
    nnf("hardtanh", X, avoid=near(-1.0, 1.0), kinks=(((-1.0,), (0.0,)), ((1.0,), (0.0,)))),
    nnf("hardsigmoid", X, domain=(-4.0, 4.0), avoid=near(-3.0, 3.0), kinks=(((-3.0,), (0.0,)), ((3.0,), (0.0,))),
        order=1, note="PyTorch's hardsigmoid has no second derivative"),
    nnf("hardswish", X, domain=(-4.0, 4.0), avoid=near(-3.0, 3.0), kinks=(((-3.0,), (0.0,)), ((3.0,), (1.0,))),
        order=1, note="PyTorch's hardswish has no second derivative"),
    nnf("softmax", M, kw={"dim": 1}), nnf("log_softmax", M, kw={"dim": 0}),
    nnf("linear", {"contiguous": ((4, 3), (2, 3), (2,)), "batched": ((2, 4, 3), (2, 3), (2,))}),
    nnf("bilinear", {"contiguous": ((4, 3), (4, 2), (5, 3, 2), (5,))}),
    nnf("conv1d", {"contiguous": ((2, 3, 8), (4, 3, 3), (4,))}),
    nnf("conv1d(stride, padding, dilation)", {"contiguous": ((2, 4, 9), (6, 2, 3), (6,))},
        fn=lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=2),
        ref=lambda x, w, b: TF.conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=2)),
    nnf("conv2d", {"contiguous": ((2, 3, 6, 6), (4, 3, 3, 3), (4,))}),
    nnf("conv2d(stride, padding)", {"contiguous": ((1, 2, 7, 6), (3, 2, 3, 2), (3,))},
        fn=lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1),
        ref=lambda x, w, b: TF.conv2d(x, w, b, stride=(2, 1), padding=1)),
    nnf("conv3d", {"contiguous": ((1, 2, 4, 4, 4), (3, 2, 2, 2, 2), (3,))}),
    nnf("conv_transpose1d", {"contiguous": ((2, 3, 5), (3, 4, 3), (4,))},
        fn=lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
        ref=lambda x, w, b: TF.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1)),
    nnf("conv_transpose2d", {"contiguous": ((1, 2, 4, 4), (2, 3, 3, 3), (3,))},
        fn=lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2),
        ref=lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2)),
    nnf("conv_transpose3d", {"contiguous": ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), (2,))}),
    nnf("avg_pool1d", NCL, kw={"kernel_size": 3, "stride": 2, "padding": 1}),
    nnf("avg_pool2d", NCHW, kw={"kernel_size": 2}),
    nnf("avg_pool2d(count_include_pad=False, ceil_mode)", NCHW,
        fn=lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        ref=lambda x: TF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    nnf("avg_pool3d", NCDHW, kw={"kernel_size": 2}),
    nnf("max_pool1d", NCL, kw={"kernel_size": 3, "stride": 2}, domain=distinct),
    nnf("max_pool2d", NCHW, kw={"kernel_size": 2}, domain=distinct,
        kinks=(((np.ones((1, 1, 2, 2)),), (np.full((1, 1, 2, 2), 0.25),)),),
        note="ties split evenly within a window; PyTorch gives all to the first"),
    nnf("max_pool2d(overlapping ties)", NCHW, fn=lambda x: F.max_pool2d(x, 2, 1), ref=lambda x: TF.max_pool2d(x, 2, 1),
        domain=distinct, kinks=(((np.ones((1, 1, 2, 3)),), ([[[[0.25, 0.5, 0.25], [0.25, 0.5, 0.25]]]],)),)),
    nnf("max_pool2d(overlapping, padding)", NCHW, domain=distinct,
        fn=lambda x: F.max_pool2d(x, 3, 1, 1), ref=lambda x: TF.max_pool2d(x, 3, 1, 1)),
    nnf("max_pool3d", NCDHW, kw={"kernel_size": 2}, domain=distinct),
    nnf("adaptive_avg_pool1d", NCL, kw={"output_size": 3}),
    nnf("adaptive_avg_pool2d", NCHW, kw={"output_size": (4, 3)}),
    nnf("adaptive_max_pool1d", NCL, kw={"output_size": 3}, domain=distinct),
    nnf("adaptive_max_pool2d", NCHW, kw={"output_size": (4, 3)}, domain=distinct),
    nnf("batch_norm", {"contiguous": ((4, 3, 5), (3,), (3,))},
        fn=lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        ref=lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True), rtol64=1e-6),
    nnf("layer_norm", {"contiguous": ((4, 3, 5), (5,), (5,))}, fn=lambda x, w, b: F.layer_norm(x, (5,), w, b),
        ref=lambda x, w, b: TF.layer_norm(x, (5,), w, b), rtol64=1e-6),
    nnf("group_norm", {"contiguous": ((2, 4, 5), (4,), (4,))}, fn=lambda x, w, b: F.group_norm(x, 2, w, b),
        ref=lambda x, w, b: TF.group_norm(x, 2, w, b), rtol64=1e-6),
    nnf("rms_norm", {"contiguous": ((4, 3, 5), (5,))}, fn=lambda x, w: F.rms_norm(x, (5,), w, eps=1e-6),
        ref=lambda x, w: TF.rms_norm(x, (5,), w, eps=1e-6), rtol64=1e-6),
    nnf("normalize", {"contiguous": ((3, 4),)}), nnf("cosine_similarity", {"contiguous": ((3, 4), (3, 4))}),
    nnf("cross_entropy", {"contiguous": ((4, 3),)}, fn=lambda x: F.cross_entropy(x, TGT),
        ref=lambda x: TF.cross_entropy(x, torch.tensor(TGT))),
    nnf("cross_entropy(label_smoothing, sum)", {"contiguous": ((4, 3),)},
        fn=lambda x: F.cross_entropy(x, TGT, reduction="sum", label_smoothing=0.2),
        ref=lambda x: TF.cross_entropy(x, torch.tensor(TGT), reduction="sum", label_smoothing=0.2)),
    nnf("nll_loss", {"contiguous": ((4, 3),)}, fn=lambda x: F.nll_loss(x, TGT),
        ref=lambda x: TF.nll_loss(x, torch.tensor(TGT))),
    nnf("mse_loss", {"contiguous": ((3, 4), (3, 4))}),
    nnf("l1_loss", {"contiguous": ((3, 4), (3, 4))}, avoid=ties(), order=1),
    nnf("huber_loss", {"contiguous": ((3, 4), (3, 4))}, kw={"delta": 0.5},
        avoid=lambda a, b: bool(np.any(np.abs(np.abs(a - b) - 0.5) < 0.05))),
    nnf("smooth_l1_loss", {"contiguous": ((3, 4), (3, 4))}, kw={"beta": 0.5},
        avoid=lambda a, b: bool(np.any(np.abs(np.abs(a - b) - 0.5) < 0.05))),
    nnf("kl_div", {"contiguous": ((3, 4), (3, 4))}, domain=[(-2.0, 0.0), (0.1, 1.0)], kw={"reduction": "batchmean"}),
    nnf("binary_cross_entropy", {"contiguous": ((3, 4), (3, 4))}, domain=[(0.1, 0.9), (0.0, 1.0)]),
    nnf("binary_cross_entropy_with_logits", {"contiguous": ((3, 4), (3, 4))}, domain=[(-2.0, 2.0), (0.0, 1.0)]),
    nnf("embedding", {"contiguous": ((2, 3), (5, 4))}, domain=[ints(0, 5), (-1.0, 1.0)], argnums=(1,)),
    nnf("pad", NCHW, fn=lambda x: F.pad(x, (1, 2, 0, 1)), ref=lambda x: TF.pad(x, (1, 2, 0, 1))),
    nnf("pad(reflect)", NCHW, fn=lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"),
        ref=lambda x: TF.pad(x, (1, 2, 2, 1), mode="reflect")),
    nnf("pad(replicate)", NCHW, fn=lambda x: F.pad(x, (1, 2, 2, 1), mode="replicate"),
        ref=lambda x: TF.pad(x, (1, 2, 2, 1), mode="replicate")),
    nnf("pad(circular)", NCHW, fn=lambda x: F.pad(x, (1, 2, 2, 1), mode="circular"),
        ref=lambda x: TF.pad(x, (1, 2, 2, 1), mode="circular")),
    nnf("pixel_shuffle", {"contiguous": ((1, 8, 2, 3),)}, kw={"upscale_factor": 2}),
    nnf("pixel_unshuffle", {"contiguous": ((1, 2, 4, 6),)}, kw={"downscale_factor": 2}),
    nnf("channel_shuffle", {"contiguous": ((1, 6, 2, 2),)}, kw={"groups": 3}),
    nnf("flatten", NCHW, kw={"start_dim": 1}, ref=lambda x: torch.flatten(x, start_dim=1)),
    nnf("unflatten", {"contiguous": ((2, 6),)}, fn=lambda x: F.unflatten(x, 1, (2, 3)),
        ref=lambda x: torch.unflatten(x, 1, (2, 3))),
    nnf("interpolate(nearest)", {"contiguous": ((1, 2, 3, 4),)}, fn=lambda x: F.interpolate(x, scale_factor=2),
        ref=lambda x: TF.interpolate(x, scale_factor=2)),
    nnf("interpolate(bilinear)", {"contiguous": ((1, 2, 3, 4),)},
        fn=lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False),
        ref=lambda x: TF.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False)),
    nnf("interpolate(linear, align_corners)", {"contiguous": ((1, 2, 5),)},
        fn=lambda x: F.interpolate(x, size=8, mode="linear", align_corners=True),
        ref=lambda x: TF.interpolate(x, size=8, mode="linear", align_corners=True)),
    nnf("grid_sample", {"contiguous": ((1, 2, 4, 5), (1, 3, 3, 2))}, domain=[(-1.0, 1.0), (-0.9, 0.9)],
        fn=lambda x, g: F.grid_sample(x, g, align_corners=False),
        ref=lambda x, g: TF.grid_sample(x, g, align_corners=False), order=1, checks=("value", "vjp"),
        note="PyTorch's grid_sample has no forward mode and no second derivative through grid"),
    nnf("affine_grid", {"contiguous": ((2, 2, 3),)}, fn=lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False),
        ref=lambda t: TF.affine_grid(t, [2, 1, 3, 4], align_corners=False)),
    nnf("max_unpool1d", {"contiguous": ((1, 2, 3),)}, fn=lambda x: F.max_unpool1d(x, UNPOOL1, 2),
        ref=lambda x: TF.max_unpool1d(x, torch.tensor(UNPOOL1), 2)),
    nnf("max_unpool2d", {"contiguous": ((1, 1, 2, 2),)}, fn=lambda x: F.max_unpool2d(x, UNPOOL2, 2),
        ref=lambda x: TF.max_unpool2d(x, torch.tensor(UNPOOL2), 2)),
    nnf("prelu", {"contiguous": ((2, 3, 4), (3,))}, avoid=lambda x, w: bool(np.any(np.abs(x) < 0.05))),
    nnf("scaled_dot_product_attention", {"contiguous": ((2, 3, 4), (2, 5, 4), (2, 5, 4))}, rtol64=1e-6),
    nnf("scaled_dot_product_attention(causal)", {"contiguous": ((2, 4, 4), (2, 4, 4), (2, 4, 4))}, rtol64=1e-6,
        fn=lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        ref=lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True)),
]


# ---------------------------------------------------------------- no oracle

_CONSTRUCTOR = "a constructor (shape and fill in, a new array out): nothing to compare a derivative of"
_STE = "a backchain surrogate-gradient op (straight-through): no JAX or PyTorch counterpart"
_CATALOG = "compared with HIPS autograd or JAX in tests/test_numpy_arraylike.py (CATALOG)"

_AUTOGRAD_ONLY = ("no JAX counterpart of this order (bessel_jn: integer orders, x > 0.2 only); compared with "
                  "HIPS autograd's rules in tests/test_scipy_breadth.py")
_NO_JAX_BESSEL = ("no JAX counterpart (and PyTorch's modified_bessel_k0/k1 have no derivative); compared with "
                  "central differences of SciPy's own function in tests/test_scipy_breadth.py")
# Public differentiable functions with no row above: one line each on why.
NO_ORACLE = {
    "numpy.array": _CONSTRUCTOR, "numpy.asarray": _CONSTRUCTOR, "numpy.empty": _CONSTRUCTOR,
    "numpy.empty_like": _CONSTRUCTOR, "numpy.zeros": _CONSTRUCTOR, "numpy.zeros_like": _CONSTRUCTOR,
    "numpy.ones": _CONSTRUCTOR, "numpy.ones_like": _CONSTRUCTOR, "numpy.full": _CONSTRUCTOR,
    "numpy.full_like": _CONSTRUCTOR, "numpy.eye": _CONSTRUCTOR, "numpy.identity": _CONSTRUCTOR,
    "numpy.tri": _CONSTRUCTOR, "numpy.arange": _CONSTRUCTOR, "numpy.indices": _CONSTRUCTOR,
    "numpy.astype": "a cast: float-to-float covered by the dtype checks of every row; to int it is a constant",
    "numpy.fft.fftfreq": "sample frequencies from integers: no differentiable input",
    "numpy.fft.rfftfreq": "sample frequencies from integers: no differentiable input",
    "numpy.linalg.matrix_rank": "an integer result: no derivative",
    "numpy.linalg.eig": "JAX's eig has no derivative by default (enable_eigvec_derivs), PyTorch's eigenvectors a "
                        "different normalisation; eigenvalues are compared through numpy.linalg.eigvals",
    "scipy.special.y0": "no JAX counterpart; PyTorch's bessel_y0 has no derivative",
    "scipy.special.y1": "no JAX counterpart; PyTorch's bessel_y1 has no derivative",
    "scipy.linalg.sqrtm": "JAX's sqrtm has no derivative (and returns complex); PyTorch has none",
    **{f"scipy.special.{n}": _AUTOGRAD_ONLY for n in ("jv", "jn", "yn", "iv", "ive", "rgamma")},
    **{f"scipy.special.{n}": _NO_JAX_BESSEL for n in ("yv", "kv", "kve", "k0", "k1", "k0e", "k1e")},
    "scipy.special.stdtr": "no JAX counterpart (jax.scipy.stats.t has no cdf); compared with autograd's t.cdf in "
                           "tests/test_scipy_breadth.py",
    **{f"scipy.special.{n}": "no JAX counterpart; compared with mpmath and SciPy in tests/test_scipy_breadth.py"
       for n in ("gammaincinv", "gammainccinv", "betaincinv", "stdtrit")},
    "scipy.linalg.solve_banded": "no JAX counterpart; compared with JAX's dense solve and autograd's rule in "
                                 "tests/test_scipy_breadth.py",
    "nn.functional.dropout": "random: the mask cannot be shared with PyTorch's generator",
    "nn.functional.ctc_loss": "integer targets and lengths the generic row cannot draw: compared with PyTorch's "
                              "values and gradients in tests/test_ctc.py",
    "nn.functional.fractional_max_pool2d": "random windows: compared with PyTorch given the same _random_samples "
                                           "in tests/test_fractional_pool.py",
    "nn.functional.fractional_max_pool3d": "random windows: compared with PyTorch given the same _random_samples "
                                           "in tests/test_fractional_pool.py",
    "nn.functional.one_hot": "an integer result: no derivative",
    "nn.functional.round_ste": _STE, "nn.functional.sign_ste": _STE, "nn.functional.step": _STE,
    "nn.functional.acdc": "no JAX or PyTorch counterpart (a structured linear layer of backchain's)",
    "nn.functional.sinusoidal_positional_encoding": "a constructor from integers (length, d_model)",
    "nn.functional.writable": "not an array function: makes a Tensor's buffer writable",
    "nn.functional.multi_head_attention_forward": "not yet a row (covered by nn.MultiheadAttention against "
                                                  "PyTorch in tests/test_nn_layers_torch.py)",
    # composites of rows above (issue #17: the rest of NumPy's names), compared with autograd or JAX
    # (values and gradients) in tests/test_numpy_arraylike.py's CATALOG, not yet rows here
    **{f"numpy.{n}": _CATALOG for n in (
        "apply_over_axes", "asanyarray", "asarray_chkfinite", "ascontiguousarray", "asfortranarray", "block",
        "divmod", "frexp", "i0", "ldexp", "modf", "piecewise", "poly", "polyadd", "polyder", "polydiv", "polyint",
        "polymul", "polysub", "real_if_close", "require", "resize", "roots", "row_stack", "sort_complex",
        "trim_zeros", "unwrap", "fft.hfft", "fft.ihfft", "linalg.tensorinv", "linalg.tensorsolve", "linalg.vecdot")},
    "numpy.nextafter": "JAX has no derivative of nextafter (ours: 1 in x1, the step being below rounding)",
    **{f"numpy.{n}": "JAX's unique has a zero gradient, PyTorch's none (ours: a gather of first occurrences, "
                     "exact values in tests/test_numpy_namespace.py)"
       for n in ("unique", "unique_all", "unique_counts", "unique_inverse", "unique_values", "union1d", "intersect1d",
                 "setdiff1d", "setxor1d")},
    **{f"numpy.{n}test": "runs NumPy's test suite: not an array function" for n in ("", "linalg.", "fft.")},
}

# Registered primitives that no row above reaches, with the reason.
_LAYER = "a fused recurrent layer or cell: compared with PyTorch's nn.LSTM/GRU/RNN in tests/test_nn_layers_torch.py"
NO_ORACLE_PRIMITIVES = {
    "scipy.integrate.odeint": "compared with JAX's odeint in tests/test_odeint_containers.py (an ODE solve: "
                              "tolerances, not an array function's exact values)",
    "astype": "numpy.astype (see NO_ORACLE); every row's float32 run checks dtypes",
    "checkpoint": "a transform (backchain.checkpoint), not an array function",
    "input": "not an operation: marks the inputs of a recorded graph",
    "scipy.linalg.sqrtm": NO_ORACLE["scipy.linalg.sqrtm"],
    "dct": "reached only through nn.functional.acdc (no JAX or PyTorch counterpart)",
    "idct": "reached only through nn.functional.acdc (no JAX or PyTorch counterpart)",
    "scipy.special.y0": NO_ORACLE["scipy.special.y0"], "scipy.special.y1": NO_ORACLE["scipy.special.y1"],
    **{f"scipy.special.{n}": _AUTOGRAD_ONLY for n in ("jv", "yn", "iv", "ive", "rgamma")},
    **{f"scipy.special.{n}": _NO_JAX_BESSEL for n in ("yv", "kv", "kve", "k0", "k1", "k0e", "k1e")},
    "scipy.special.stdtr": NO_ORACLE["scipy.special.stdtr"],
    **{f"scipy.special.{n}": NO_ORACLE[f"scipy.special.{n}"]
       for n in ("gammaincinv", "gammainccinv", "betaincinv", "stdtrit")},
    "scipy.linalg.solve_banded": NO_ORACLE["scipy.linalg.solve_banded"],
    "scipy.special.gammainc_da": "the derivative of gammainc in a (reached by gammainc's first order; its own "
                                 "derivative in x by the specs' second order, against finite differences)",
    "scipy.special.gammainc_da2": "the second derivative of gammainc in a (JAX has none): against mpmath in "
                                  "tests/test_scipy_breadth.py",
    "scipy.special.betainc_dab": "the derivatives of betainc in a and b (JAX has none): against mpmath in "
                                 "tests/test_scipy_breadth.py",
    "scipy.special.betainc_dab2": "the second derivatives of betainc in a and b (JAX has none): against mpmath "
                                  "in tests/test_scipy_breadth.py",
    "scipy.special.stdtr_ddf": "the derivative of stdtr in df (no JAX counterpart): against mpmath in "
                               "tests/test_scipy_breadth.py",
    "rnn.gru_cell": _LAYER, "rnn.gru_layer": _LAYER, "rnn.lstm_cell": _LAYER, "rnn.lstm_layer": _LAYER,
    "rnn.rnn_tanh_layer": _LAYER,
}
