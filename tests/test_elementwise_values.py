"""Forward values of the elementwise family equal NumPy's, on plain arrays (the
fast path) and on traced Tensors (the recorded path), for real and, where NumPy
supports it, complex inputs."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

R = np.array([-1.7, -0.5, 0.0, 0.3, 1.0, 2.5])          # general reals
P = np.array([0.0, 0.25, 1.0, 2.0, 10.0])               # non-negative
UNIT = np.array([-1.0, -0.6, 0.0, 0.4, 1.0])            # [-1, 1]
C = np.array([0.5 + 0.5j, -1.2 + 0.3j, 0.1 - 2.0j, 2.0 + 0j])
Y = np.array([[0.7], [-1.3], [2.0]])                     # a second argument, broadcasting against R

UNARY = [
    ("tan", R, True), ("arcsin", UNIT, True), ("arccos", UNIT, True), ("arctan", R, True),
    ("sinh", R, True), ("cosh", R, True), ("tanh", R, True), ("arcsinh", R, True),
    ("arccosh", 1.0 + P, True), ("arctanh", UNIT * 0.9, True), ("exp", R, True), ("exp2", R, True),
    ("expm1", R, True), ("log", 0.5 + P, True), ("log2", 0.5 + P, True), ("log10", 0.5 + P, True),
    ("log1p", P, True), ("sqrt", P, True), ("cbrt", R, False), ("sin", R, True), ("cos", R, True),
    ("square", R, True), ("reciprocal", 0.5 + P, True), ("negative", R, True), ("positive", R, True),
    ("abs", R, True), ("absolute", R, True), ("sign", R, True), ("sinc", R, True), ("deg2rad", R * 90, False),
    ("rad2deg", R, False), ("degrees", R, False), ("radians", R * 90, False), ("floor", R, False),
    ("ceil", R, False), ("rint", R, True), ("trunc", R, False), ("fix", R, False), ("round", R, True),
    ("around", R, True), ("real", R, True), ("imag", R, True), ("conj", R, True), ("conjugate", R, True),
    ("angle", R, True), ("nan_to_num", np.array([np.nan, np.inf, -np.inf, 1.5]), False),
]

BINARY = [
    "add", "subtract", "multiply", "divide", "true_divide", "power", "float_power", "arctan2", "hypot",
    "logaddexp", "logaddexp2", "maximum", "minimum", "fmax", "fmin", "fmod", "remainder", "mod",
    "copysign", "heaviside",
]
BINARY_COMPLEX = {"add", "subtract", "multiply", "divide", "true_divide", "power", "float_power"}


def _both(bfn, npfn, *args):
    np.testing.assert_array_equal(bfn(*args), npfn(*args))  # fast path: plain arrays
    traced = [bc.tensor(a, requires_grad=True) for a in args]
    out = bfn(*traced)
    assert isinstance(out, bc.Tensor) and out.requires_grad
    expected = npfn(*args)
    np.testing.assert_array_equal(out.data, expected)
    assert out.data.dtype == np.asarray(expected).dtype


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name, x, has_complex", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_numpy(name, x, has_complex):
    npfn = getattr(np, name)
    bfn = getattr(bnp, name)
    _both(bfn, npfn, x)
    _both(bfn, npfn, x.astype(np.float32))
    if has_complex:
        _both(bfn, npfn, C)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_numpy(name):
    npfn = getattr(np, name)
    bfn = getattr(bnp, name)
    x = np.abs(R) + 0.1 if name in ("power", "float_power") else R
    _both(bfn, npfn, x, Y)
    _both(bfn, npfn, x, 2.0)
    if name in BINARY_COMPLEX:
        _both(bfn, npfn, C, C[::-1])


def test_power_scalar_exponents_and_negative_bases():
    x = np.array([-2.0, -0.5, 0.0, 3.0])
    for p in (0, 1, 2, 3, -1, 2.0):
        with np.errstate(divide="ignore"):
            _both(lambda a: a ** p, lambda a: a ** p, x)
    _both(lambda a: 2.0 ** a, lambda a: 2.0 ** a, x)


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (None, 0.5), (-0.5, None), (1.0, 0.0)])
def test_clip_matches_numpy(lo, hi):
    _both(lambda a: bnp.clip(a, lo, hi), lambda a: np.clip(a, lo, hi), R)
    np.testing.assert_array_equal(bc.tensor(R, requires_grad=True).clip(lo, hi).data, np.clip(R, lo, hi))


def test_clip_array_bounds_and_keywords_match_numpy():
    lo, hi = np.array([-1.0, 0.0, 0.5]), np.array([[0.0], [2.0]])
    x = np.array([-2.0, 0.25, 3.0])
    _both(bnp.clip, np.clip, x, lo, hi)
    t = bc.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(bnp.clip(t, min=0.0, max=1.0).data, np.clip(x, 0.0, 1.0))


@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round_decimals_matches_numpy(decimals):
    x = np.array([-12.345, 0.055, 1.5, 2.5, 123.456])
    _both(lambda a: bnp.round(a, decimals), lambda a: np.round(a, decimals), x)
    _both(lambda a: bnp.around(a, decimals), lambda a: np.around(a, decimals), x)


def test_angle_deg_and_nan_to_num_params_match_numpy():
    _both(lambda z: bnp.angle(z, deg=True), lambda z: np.angle(z, deg=True), C)
    x = np.array([np.nan, np.inf, -np.inf, 1.0])
    _both(lambda a: bnp.nan_to_num(a, nan=-1.0, posinf=9.0, neginf=-9.0),
          lambda a: np.nan_to_num(a, nan=-1.0, posinf=9.0, neginf=-9.0), x)
    z = np.array([complex(np.nan, np.inf), 1 + 2j])
    _both(bnp.nan_to_num, np.nan_to_num, z)


@pytest.mark.parametrize("npfn", [np.tan, np.arcsinh, np.sinc, np.clip, np.round, np.around, np.fix, np.angle,
                                  np.nan_to_num, np.floor, np.remainder, np.fmax, np.hypot, np.imag])
def test_numpy_functions_on_tensors_dispatch_here(npfn):
    x = bc.tensor(R, requires_grad=True)
    args = {np.clip: (x, 0.0, 1.0), np.remainder: (x, 0.7), np.fmax: (x, 0.0), np.hypot: (x, 1.0)}.get(npfn, (x,))
    out = npfn(*args)
    assert isinstance(out, bc.Tensor) and out.requires_grad
    plain = [a.data if isinstance(a, bc.Tensor) else a for a in args]
    np.testing.assert_array_equal(out.data, npfn(*plain))
