"""Spec rows for backchain/_rules/elementwise.py."""
import numpy as np

import backchain.numpy as bnp
from tests.specs import Spec

U = [((),), ((3,),), ((2, 3),)]          # unary shapes
B = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3))]  # binary, with broadcasting
T = [((), (), ()), ((3,), (3,), (3,)), ((2, 3), (3,), ()), ((2, 1), (1, 3), (2, 3))]  # ternary

POS = (0.2, 2.0)
UNIT = (-0.9, 0.9)


def near(*points, margin=0.05):
    """avoid= helper: reject samples whose first argument is within ``margin`` of any of ``points``."""
    def avoid(x, *rest):
        return any(np.any(np.abs(np.real(x) - p) < margin) for p in points)
    return avoid


def near_jump(step=1.0, offset=0.0, margin=0.01):
    """avoid= helper: reject x within ``margin * step`` of a jump at ``offset + k * step``."""
    def avoid(x, *rest):
        r = (np.real(x) - offset) / step
        return bool(np.any(np.abs(r - np.round(r)) < margin))
    return avoid


def near_any_tie(margin=0.05):
    """avoid= helper: reject samples where any two arguments (broadcast) are within ``margin``."""
    def avoid(*args):
        return any(np.any(np.abs(a - b) < margin) for i, a in enumerate(args) for b in args[i + 1:])
    return avoid


def near_pole_i(z, *rest):
    """Poles / branch points at ±i (arctan, arcsinh) for complex samples."""
    return bool(np.any(np.abs(1.0 + z * z) < 0.3))


def away_from_zero(rng, shape):
    """±(0.3, 2): divisors with no value near 0."""
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def ratio_near_integer(x1, x2):
    r = np.real(x1) / np.real(x2)
    return bool(np.any(np.abs(r - np.round(r)) < 0.03))


def both_near_zero(x1, x2):
    return bool(np.any(np.abs(x1) < 0.05) or np.any(np.abs(x2) < 0.05))


def small(rng, shape):
    """(-0.02, 0.02): exercises sinc's series branch (|x| < 0.01) and the formula just past it."""
    return rng.uniform(-0.02, 0.02, size=shape)


def angle_cut(z):
    if np.iscomplexobj(z):
        return bool(np.any(np.abs(z) < 0.1) or np.any((np.abs(np.imag(z)) < 0.05) & (np.real(z) < 0)))
    return bool(np.any(np.abs(z) < 0.05))


INT_EXPONENTS = np.array([1.0, 2.0, 3.0])

SPECS = [
    # arithmetic
    Spec(bnp.add, B, prims=("add",), broadcast=True, complex=True),
    Spec(bnp.subtract, B, prims=("subtract",), broadcast=True, complex=True),
    Spec(bnp.multiply, B, prims=("multiply",), broadcast=True, complex=True),
    Spec(bnp.divide, B, prims=("divide",), domain=POS, broadcast=True, complex=True),
    Spec(bnp.negative, U, prims=("negative",), complex=True),
    Spec(bnp.positive, U, prims=("positive",)),
    Spec(bnp.square, U, prims=("square",), complex=True),
    Spec(bnp.reciprocal, U, prims=("reciprocal",), domain=POS, complex=True),
    # powers
    Spec(bnp.power, B, prims=("power",), domain=POS, broadcast=True, complex=True),
    Spec(lambda x: x ** 2, U, prims=("power",), id="power-scalar-2"),
    Spec(lambda x: x ** 3, U, prims=("power",), id="power-scalar-3-negative-base"),
    Spec(lambda x: x ** -1, U, prims=("power",), id="power-scalar-minus-1", avoid=near(0.0, margin=0.3)),
    Spec(lambda x: x ** 0.5, U, prims=("power",), id="power-scalar-half", domain=POS),
    Spec(lambda x: x ** 0, U, prims=("power",), id="power-scalar-0"),
    Spec(lambda x: x ** 1, U, prims=("power",), id="power-scalar-1"),
    Spec(lambda y: 2.0 ** y, U, prims=("power",), id="power-scalar-base", complex=True),
    Spec(lambda x: bnp.power(x, INT_EXPONENTS), [((3,),), ((2, 3),)], prims=("power",),
         id="power-integer-array-exponent-negative-base"),
    Spec(bnp.float_power, B, prims=("float_power",), domain=POS, broadcast=True, complex=True),
    Spec(lambda x: bnp.float_power(x, 3), U, prims=("float_power",), id="float_power-scalar-3"),
    Spec(bnp.sqrt, U, prims=("sqrt",), domain=POS, complex=True),
    Spec(bnp.cbrt, U, prims=("cbrt",), avoid=near(0.0, margin=0.2)),
    # exponentials and logarithms
    Spec(bnp.exp, U, prims=("exp",), complex=True),
    Spec(bnp.exp2, U, prims=("exp2",), complex=True),
    Spec(bnp.expm1, U, prims=("expm1",), complex=True),
    Spec(bnp.log, U, prims=("log",), domain=POS, complex=True),
    Spec(bnp.log2, U, prims=("log2",), domain=POS, complex=True),
    Spec(bnp.log10, U, prims=("log10",), domain=POS, complex=True),
    Spec(bnp.log1p, U, prims=("log1p",), domain=(-0.5, 2.0), complex=True),
    Spec(bnp.logaddexp, B, prims=("logaddexp",), broadcast=True),
    Spec(bnp.logaddexp2, B, prims=("logaddexp2",), broadcast=True),
    # trigonometric and hyperbolic
    Spec(bnp.sin, U, prims=("sin",), complex=True),
    Spec(bnp.cos, U, prims=("cos",), complex=True),
    Spec(bnp.tan, U, prims=("tan",), domain=(-1.2, 1.2), complex=True),
    Spec(bnp.arcsin, U, prims=("arcsin",), domain=UNIT, complex=True),
    Spec(bnp.arccos, U, prims=("arccos",), domain=UNIT, complex=True),
    Spec(bnp.arctan, U, prims=("arctan",), complex=True, avoid=near_pole_i),
    Spec(bnp.arctan2, B, prims=("arctan2",), broadcast=True, avoid=near(0.0)),
    Spec(bnp.hypot, B, prims=("hypot",), broadcast=True),
    Spec(bnp.sinh, U, prims=("sinh",), complex=True),
    Spec(bnp.cosh, U, prims=("cosh",), complex=True),
    Spec(bnp.tanh, U, prims=("tanh",), complex=True),
    Spec(bnp.arcsinh, U, prims=("arcsinh",), complex=True, avoid=near_pole_i),
    Spec(bnp.arccosh, U, prims=("arccosh",), domain=(1.2, 3.0), complex=True),
    Spec(bnp.arctanh, U, prims=("arctanh",), domain=UNIT, complex=True),
    Spec(bnp.sinc, U, prims=("sinc",), complex=True),
    Spec(bnp.sinc, U, prims=("sinc",), id="sinc-near-0", domain=small, complex=True),
    Spec(bnp.deg2rad, U, prims=("deg2rad",)),
    Spec(bnp.rad2deg, U, prims=("rad2deg",)),
    Spec(bnp.radians, [((3,),)], prims=("deg2rad",), id="radians"),
    Spec(bnp.degrees, [((3,),)], prims=("rad2deg",), id="degrees"),
    # absolute value, sign, steps
    Spec(bnp.abs, U, prims=("absolute",), avoid=near(0.0), complex=True),
    Spec(bnp.fabs, U, prims=("absolute",), avoid=near(0.0), id="fabs"),
    Spec(bnp.sign, U, prims=("sign",), avoid=near(0.0), complex=True),  # complex: x / |x|, moves with the phase
    Spec(bnp.copysign, B, prims=("copysign",), broadcast=True, avoid=both_near_zero),
    Spec(bnp.heaviside, B, prims=("heaviside",), broadcast=True, avoid=near(0.0)),
    # maximum, minimum, clip
    Spec(bnp.maximum, B, prims=("maximum",), avoid=near_any_tie(), broadcast=True),
    Spec(bnp.minimum, B, prims=("minimum",), avoid=near_any_tie(), broadcast=True),
    Spec(bnp.fmax, B, prims=("fmax",), avoid=near_any_tie(), broadcast=True),
    Spec(bnp.fmin, B, prims=("fmin",), avoid=near_any_tie(), broadcast=True),
    Spec(lambda x: bnp.clip(x, -0.5, 0.5), U, prims=("clip",), id="clip-scalar-bounds",
         avoid=near(-0.5, 0.5)),
    Spec(lambda x: bnp.clip(x, None, 0.5), U, prims=("clip",), id="clip-upper-only", avoid=near(0.5)),
    Spec(lambda x: bnp.clip(x, min=-0.5), U, prims=("clip",), id="clip-lower-only-keyword",
         avoid=near(-0.5)),
    Spec(bnp.clip, T, prims=("clip",), id="clip-array-bounds", avoid=near_any_tie(), broadcast=True),
    # remainders (jumps where x1 / x2 is an integer; avoided)
    Spec(bnp.fmod, B, prims=("fmod",), domain=away_from_zero, avoid=ratio_near_integer, broadcast=True),
    Spec(bnp.remainder, B, prims=("remainder",), domain=away_from_zero, avoid=ratio_near_integer,
         broadcast=True),
    # rounding: derivative 0 (samples away from the jumps)
    Spec(bnp.floor, U, prims=("floor",), avoid=near_jump()),
    Spec(bnp.ceil, U, prims=("ceil",), avoid=near_jump()),
    Spec(bnp.trunc, U, prims=("trunc",), avoid=near_jump()),
    Spec(bnp.fix, U, prims=("fix",), avoid=near_jump()),
    Spec(bnp.rint, U, prims=("rint",), avoid=near_jump(offset=0.5)),
    Spec(bnp.round, U, prims=("round",), avoid=near_jump(offset=0.5)),
    Spec(lambda x: bnp.around(x, 1), U, prims=("round",), id="around-decimals-1",
         avoid=near_jump(step=0.1, offset=0.05, margin=0.05)),
    Spec(bnp.nan_to_num, U, prims=("nan_to_num",), complex=True),
    # selection and complex parts
    Spec(lambda x, y: bnp.where(x > 0, x, y), B, prims=("where",), id="where", broadcast=True),
    Spec(bnp.real, U, prims=("real",), complex=True),
    Spec(bnp.imag, U, prims=("imag",), complex=True),
    Spec(bnp.conj, U, prims=("conjugate",), complex=True),
    Spec(bnp.angle, U, prims=("angle",), complex=True, avoid=angle_cut),
    Spec(lambda z: bnp.angle(z, deg=True), U, prims=("angle",), id="angle-deg", complex=True, avoid=angle_cut),
]

# Primitives checked by other rows or tests, with where.
COVERED_ELSEWHERE = {
    "input": "the identity through which traced arguments enter a transform (tests/test_transforms.py)",
    "tuple_get": "part of every multiple-result primitive (linalg rows)",
    "sum_to": "undoes broadcasting in every broadcasting row",
    "broadcast_to": "broadcasting rows and shape rows",
    "astype": "dtype tests",
}
