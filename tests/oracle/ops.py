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

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
import torch
import torch.nn.functional as TF

import backchain.numpy as bnp
import backchain.nn.functional as F
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
    result_dtype: Optional[Callable] = None  # args -> the expected result dtype, where the oracle's differs from NumPy's
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
    r = x1.astype(np.float64) / x2
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
         "nn.functional": F}[module]
    return getattr(b, name)


JAX = {"numpy": jnp, "numpy.linalg": jnp.linalg, "numpy.fft": jnp.fft, "scipy.special": jsp}


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
    return op(name, B, domain=domain, **opts)


# ---------------------------------------------------------------- NumPy: elementwise

ZERO_GRAD_JUMPS = "derivative 0 away from the jumps, like JAX"

OPS = [
    unary("sin"), unary("cos"), unary("tan", domain=(-1.2, 1.2)),
    unary("arcsin", domain=UNIT), unary("arccos", domain=UNIT), unary("arctan"),
    unary("sinh"), unary("cosh"), unary("tanh"),
    unary("arcsinh"), unary("arccosh", domain=(1.2, 3.0)), unary("arctanh", domain=UNIT),
    unary("exp"), unary("exp2"), unary("expm1"),
    unary("log", domain=POS), unary("log2", domain=POS), unary("log10", domain=POS),
    unary("log1p", domain=(-0.6, 2.0)),
    unary("sqrt", domain=POS, kinks=(((0.0,), (np.inf,)),)),
    unary("cbrt", domain=away0, kinks=(((0.0,), (np.inf,)),)),
    unary("square"), unary("reciprocal", domain=away0), unary("negative"), unary("positive"),
    unary("absolute", domain=away0, kinks=(((0.0,), (0.0,)),), note="abs'(0) = 0 (min-norm); JAX gives 1"),
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
    unary("real"), unary("imag"), unary("conjugate"), unary("conj"),
    unary("angle", domain=away0, ref=lambda x: jnp.angle(x).astype(x.dtype),
          note="JAX returns float64 for a float32 0-d input; NumPy and backchain keep float32"),
    unary("nan_to_num"),
    binary("add"), binary("subtract"), binary("multiply"),
    binary("divide", domain=[(-2.0, 2.0), away0]), binary("true_divide", domain=[(-2.0, 2.0), away0]),
    binary("power", domain=[POS, (-2.0, 2.0)]),
    binary("float_power", domain=[POS, (-2.0, 2.0)], result_dtype=lambda x, y: np.float_power(x, y).dtype,
           note="NumPy's float_power computes in float64 (JAX keeps float32); gradients keep the input's dtype"),
    binary("arctan2", domain=away0), binary("hypot", domain=away0),
    binary("logaddexp"), binary("logaddexp2"),
    binary("maximum", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("minimum", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("fmax", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("fmin", avoid=ties(), kinks=(((1.0, 1.0), (0.5, 0.5)),)),
    binary("copysign", domain=away0, kinks=(((0.0, 1.0), (0.0, 0.0)),)),
    binary("fmod", domain=away0, avoid=ratio_near_integer),
    binary("remainder", domain=away0, avoid=ratio_near_integer),
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
        rows.append(Op(key=f"numpy.{name}{suffix}", fn=functools.partial(fn, **kw),
                       ref=functools.partial(ref, **kw), cases=cases, domain=domain, **opts))
    return rows


F64 = "NumPy computes in float64 (JAX keeps float32); the gradients keep the input's dtype"


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
    *nonempty(axes("max", domain=distinct)), *nonempty(axes("min", domain=distinct)),
    *nonempty(axes("amax", domain=distinct)), *nonempty(axes("amin", domain=distinct)),
    *nonempty(axes("nanmax", domain=distinct)), *nonempty(axes("nanmin", domain=distinct)),
    *nonempty(axes("ptp", domain=distinct)),
    *nonempty(axes("median", domain=distinct)), *nonempty(axes("nanmedian", domain=distinct)),
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
    op("corrcoef", {"contiguous": ((3, 5),)}, rtol64=1e-6, result_dtype=lambda a: np.corrcoef(a).dtype, note=F64),
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
    shape_op("reshape", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.reshape(a, (4, 3)), ref=lambda a: jnp.reshape(a, (4, 3))),
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
    shape_op("pad(edge)", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.pad(a, 1, mode="edge"), ref=lambda a: jnp.pad(a, 1, mode="edge")),
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
       argnums=(0, 2), result_dtype=lambda x, xp, fp: np.interp(x, xp, fp).dtype, note=F64, avoid=lambda x, xp, fp: bool(np.any(np.abs(x - np.round(x)) < 0.05))),
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
    op("getitem(fancy)", {"contiguous": ((3, 4),)}, fn=lambda a: a[np.array([0, 2, 0]), 1:], ref=lambda a: a[np.array([0, 2, 0]), 1:]),
    op("getitem(mask)", {"contiguous": ((3, 4),)}, fn=lambda a: a[np.arange(12).reshape(3, 4) % 2 == 0],
       ref=lambda a: a[np.arange(12).reshape(3, 4) % 2 == 0]),
    op("linspace", {"contiguous": ((), ())}, fn=lambda a, b: bnp.linspace(a, b, 5),
       ref=lambda a, b: jnp.linspace(a, b, 5)),
    op("apply_along_axis", {"contiguous": ((3, 4),)}, fn=lambda a: bnp.apply_along_axis(lambda r: bnp.sum(r * r), 1, a),
       ref=lambda a: jnp.apply_along_axis(lambda r: jnp.sum(r * r), 1, a)),
]


# ---------------------------------------------------------------- what the run leaves out

# Defects found here in rules owned by others, reported to them: "key" leaves the op out, "key [layout]"
# one layout. The owner removes the entry with the fix.
KNOWN_DEFECTS = {
    "numpy.mean [empty]": "JVP of the mean over an empty axis is 0; JAX gives NaN (0/0, as the value) "
                          "(reductions, reported)",
    "numpy.mean(axis=0, keepdims) [empty]": "as numpy.mean [empty] (reductions, reported)",
}
