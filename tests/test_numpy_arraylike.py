"""array_like everywhere (issue #17, item 2): every function of ``backchain.numpy`` that takes a
differentiable array takes it as a (nested) Python list of traced Tensors too, and differentiates
through it exactly as through the stacked array (values, gradients and JVPs to 1e-12). The stacked
array's values and gradients are compared with HIPS autograd's (or JAX's, where autograd lacks the
function) for the functions that have no row in the oracle suite (tests/oracle, which compares them
with JAX).

``CATALOG`` holds one row per (function, array_like argument); ``test_catalog_covers_namespace``
fails on a function of ``backchain.numpy`` that has neither a row nor a reason in ``NOT_ARRAYLIKE``.
"""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._core.tensor import Tensor

autograd = pytest.importorskip("autograd")
jax = pytest.importorskip("jax")
pytest.importorskip("torch")
import autograd.numpy as anp  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from tests.oracle.ops import OPS  # noqa: E402

ORACLE_ROWS = {o.key.split("(")[0].split(" [")[0] for o in OPS}   # compared with JAX there


V, M, SQ = (4,), (2, 3), (3, 3)   # a vector, a matrix, a square matrix
SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.8]])
C4 = np.array([0.3, -0.7, 1.1, 0.5])   # a constant operand
C3 = np.array([0.4, -0.2, 0.9])
STEPS = np.array([2.5, -1.25, 3.75, 0.3])   # a point for piecewise functions (modf, divmod)


def _getitem(m, a, i):
    return m.getitem(a, i) if m is bnp else a[i]


NEG = np.array([-4.0, -0.5, 0.25, 2.0])    # emath: negative inputs give complex results
WIDE = np.array([-2.5, -0.5, 0.25, 1.5])   # emath's arccos, arcsin, arctanh: beyond +-1 too


def _c(m, a):
    return a.astype(complex) if m is not bnp else a


def _emath(m, name, a):
    """backchain.numpy.emath's function; for the oracle, the complex function of the input made complex."""
    return getattr(m.emath, name)(a) if m is bnp else getattr(m, name)(_c(m, a))


def _quotient_remainder(m, qr):
    return m.concatenate([qr[0], qr[1][-1:]])


def _sum_all(m, outs):
    """One array from several results (split's pieces, average's pair), for the comparison."""
    return m.concatenate([m.ravel(o) for o in outs])


# (id, shape of the differentiable argument, f(m, L) with m backchain.numpy or jax.numpy, and L that
# argument; or a point instead of a shape where the function needs one). The id starts with the name
# in backchain.numpy (linalg.x, fft.x for the submodules); after ":" the argument or the variant.
CATALOG = [
    # reductions
    ("sum", M, lambda m, L: m.sum(L, axis=0)),
    ("mean", V, lambda m, L: m.mean(L)),
    ("prod", V, lambda m, L: m.prod(L)),
    ("max", V, lambda m, L: m.max(L)),
    ("min", V, lambda m, L: m.min(L)),
    ("amax", M, lambda m, L: m.amax(L, axis=1)),
    ("amin", M, lambda m, L: m.amin(L, axis=1)),
    ("ptp", V, lambda m, L: m.ptp(L)),
    ("var", V, lambda m, L: m.var(L)),
    ("std", M, lambda m, L: m.std(L, axis=1)),
    ("average", M, lambda m, L: m.average(L, axis=1, weights=C3)),
    ("average:weights", (3,), lambda m, L: m.average(np.array([[1.0, 2.0, 4.0]]), axis=1, weights=L)),
    ("cumsum", V, lambda m, L: m.cumsum(L)),
    ("cumprod", V, lambda m, L: m.cumprod(L)),
    ("cumulative_sum", V, lambda m, L: m.cumulative_sum(L)),
    ("cumulative_prod", V, lambda m, L: m.cumulative_prod(L)),
    ("nansum", V, lambda m, L: m.nansum(L)),
    ("nanprod", V, lambda m, L: m.nanprod(L)),
    ("nanmean", V, lambda m, L: m.nanmean(L)),
    ("nanvar", V, lambda m, L: m.nanvar(L)),
    ("nanstd", V, lambda m, L: m.nanstd(L)),
    ("nanmax", V, lambda m, L: m.nanmax(L)),
    ("nanmin", V, lambda m, L: m.nanmin(L)),
    ("nancumsum", V, lambda m, L: m.nancumsum(L)),
    ("nancumprod", V, lambda m, L: m.nancumprod(L)),
    ("median", V, lambda m, L: m.median(L)),
    ("nanmedian", V, lambda m, L: m.nanmedian(L)),
    ("quantile", V, lambda m, L: m.quantile(L, 0.3)),
    ("quantile:q", (2,), lambda m, L: m.quantile(C4, L)),
    ("percentile", V, lambda m, L: m.percentile(L, 30.0)),
    ("nanquantile", V, lambda m, L: m.nanquantile(L, 0.3)),
    ("nanpercentile", V, lambda m, L: m.nanpercentile(L, 30.0)),
    ("cov", M, lambda m, L: m.cov(L)),
    ("cov:y", V, lambda m, L: m.cov(C4, L)),
    ("corrcoef", M, lambda m, L: m.corrcoef(L)),
    # elementwise wrappers
    ("clip", V, lambda m, L: m.clip(L, 0.3, 0.6)),
    ("clip:a_max", V, lambda m, L: m.clip(C4, 0.0, L)),
    ("where", V, lambda m, L: m.where(C4 > 0, L, 0.0)),
    ("where:y", V, lambda m, L: m.where(C4 > 0, 1.0, L)),
    ("around", V, lambda m, L: m.around(L, 1) * 0 + L),
    ("round", V, lambda m, L: m.round(L, 1) * 0 + L),
    ("fabs", V, lambda m, L: m.fabs(L)),
    ("angle", V, lambda m, L: m.angle(L)),
    ("nan_to_num", V, lambda m, L: m.nan_to_num(L)),
    ("real_if_close", V, lambda m, L: m.real_if_close(L)),
    # shape
    ("reshape", M, lambda m, L: m.reshape(L, (3, 2))),
    ("transpose", M, lambda m, L: m.transpose(L)),
    ("permute_dims", M, lambda m, L: m.permute_dims(L, (1, 0))),
    ("matrix_transpose", M, lambda m, L: m.matrix_transpose(L)),
    ("astype", V, lambda m, L: m.astype(L, np.float64)),
    ("expand_dims", V, lambda m, L: m.expand_dims(L, 0)),
    ("swapaxes", M, lambda m, L: m.swapaxes(L, 0, 1)),
    ("ravel", M, lambda m, L: m.ravel(L)),
    ("rollaxis", M, lambda m, L: m.rollaxis(L, 1)),
    ("moveaxis", M, lambda m, L: m.moveaxis(L, 0, 1)),
    ("squeeze", (1, 3), lambda m, L: m.squeeze(L)),
    ("atleast_1d", V, lambda m, L: m.atleast_1d(L)),
    ("atleast_2d", V, lambda m, L: m.atleast_2d(L)),
    ("atleast_3d", V, lambda m, L: m.atleast_3d(L)),
    ("copy", V, lambda m, L: m.copy(L)),
    ("broadcast_to", V, lambda m, L: m.broadcast_to(L, (2, 4))),
    ("broadcast_arrays", V, lambda m, L: _sum_all(m, m.broadcast_arrays(L, np.ones((2, 1))))),
    ("concatenate", V, lambda m, L: m.concatenate([L, C4])),
    ("concat", V, lambda m, L: m.concat([C4, L])),
    ("stack", V, lambda m, L: m.stack([L, C4], axis=1)),
    ("vstack", V, lambda m, L: m.vstack([L, C4])),
    ("hstack", V, lambda m, L: m.hstack([C4, L])),
    ("dstack", V, lambda m, L: m.dstack([L, C4])),
    ("column_stack", V, lambda m, L: m.column_stack([L, C4])),
    ("append", V, lambda m, L: m.append(L, C4)),
    ("append:values", V, lambda m, L: m.append(C4, L)),
    ("array_split", V, lambda m, L: _sum_all(m, m.array_split(L, 3))),
    ("split", V, lambda m, L: _sum_all(m, m.split(L, 2))),
    ("hsplit", V, lambda m, L: _sum_all(m, m.hsplit(L, 2))),
    ("vsplit", (2, 2), lambda m, L: _sum_all(m, m.vsplit(L, 2))),
    ("dsplit", (1, 1, 4), lambda m, L: _sum_all(m, m.dsplit(L, 2))),
    ("unstack", M, lambda m, L: _sum_all(m, m.unstack(L))),
    ("tile", V, lambda m, L: m.tile(L, 2)),
    ("repeat", V, lambda m, L: m.repeat(L, 2)),
    ("flip", V, lambda m, L: m.flip(L)),
    ("fliplr", M, lambda m, L: m.fliplr(L)),
    ("flipud", M, lambda m, L: m.flipud(L)),
    ("roll", V, lambda m, L: m.roll(L, 1)),
    ("rot90", M, lambda m, L: m.rot90(L)),
    ("pad", V, lambda m, L: m.pad(L, 1)),
    ("triu", SQ, lambda m, L: m.triu(L)),
    ("tril", SQ, lambda m, L: m.tril(L)),
    ("resize", V, lambda m, L: m.resize(L, (2, 3))),
    ("block", V, lambda m, L: m.block(L)),   # in block, lists are the layout
    ("row_stack", V, lambda m, L: m.row_stack([L, C4]) if m is bnp else m.vstack([L, C4])),
    ("trim_zeros", V, lambda m, L: m.trim_zeros(L)),
    # indexing
    ("getitem", V, lambda m, L: _getitem(m, L, slice(1, 3))),
    ("take", V, lambda m, L: m.take(L, np.array([2, 0]))),
    ("take_along_axis", M, lambda m, L: m.take_along_axis(L, np.array([[1], [0]]), axis=1)),
    ("choose", M, lambda m, L: m.choose(np.array([0, 1, 1]), L)),
    ("compress", V, lambda m, L: m.compress(np.array([True, False, True, True]), L)),
    ("extract", V, lambda m, L: (m.extract(np.array([True, False, True, True]), L) if m is bnp
                                 else L[np.array([True, False, True, True])])),
    ("select", V, lambda m, L: m.select([C4 > 0], [L], 0.0)),
    ("sort", V, lambda m, L: m.sort(L)),
    ("partition", V, lambda m, L: m.sort(m.partition(L, 2))),
    # linear algebra
    ("dot", V, lambda m, L: m.dot(L, C4)),
    ("dot:b", V, lambda m, L: m.dot(C4, L)),
    ("vdot", V, lambda m, L: m.vdot(L, C4)),
    ("inner", V, lambda m, L: m.inner(C4, L)),
    ("outer", V, lambda m, L: m.outer(L, C4)),
    ("kron", V, lambda m, L: m.kron(C4, L)),
    ("cross", (3,), lambda m, L: m.cross(L, C3)),
    ("tensordot", V, lambda m, L: m.tensordot(L, C4, 1)),
    ("einsum", V, lambda m, L: m.einsum("i,i->", L, C4)),
    ("einsum:second", V, lambda m, L: m.einsum("i,j->ij", C4, L)),
    ("matmul", M, lambda m, L: m.matmul(L, SPD)),
    ("matvec", SQ, lambda m, L: m.matvec(L, C3)),
    ("vecmat", (3,), lambda m, L: m.vecmat(L, SPD)),
    ("vecdot", V, lambda m, L: m.vecdot(L, C4)),
    ("trace", SQ, lambda m, L: m.trace(L)),
    ("diag", V, lambda m, L: m.diag(L)),
    ("diag:matrix", SQ, lambda m, L: m.diag(L)),
    ("diagonal", SQ, lambda m, L: m.diagonal(L)),
    ("diagflat", V, lambda m, L: m.diagflat(L)),
    # numerics
    ("diff", V, lambda m, L: m.diff(L)),
    ("ediff1d", V, lambda m, L: m.ediff1d(L)),
    ("gradient", V, lambda m, L: m.gradient(L)),
    ("interp", V, lambda m, L: m.interp(L, np.array([0.0, 0.5, 1.0]), C3)),
    ("interp:fp", (3,), lambda m, L: m.interp(np.array([0.1, 0.7]), np.array([0.0, 0.5, 1.0]), L)),
    ("linspace", (2,), lambda m, L: m.linspace(_getitem(m, L, 0), _getitem(m, L, 1), 5)),
    ("linspace:start", (2,), lambda m, L: m.linspace(L, np.array([2.0, 3.0]), 4)),
    ("meshgrid", V, lambda m, L: _sum_all(m, m.meshgrid(L, C3))),
    ("trapezoid", V, lambda m, L: m.trapezoid(L)),
    ("trapezoid:x", V, lambda m, L: m.trapezoid(C4, L)),
    ("polyval", (3,), lambda m, L: m.polyval(L, C4)),
    ("polyval:x", V, lambda m, L: m.polyval(C3, L)),
    ("vander", (3,), lambda m, L: m.vander(L)),
    ("convolve", V, lambda m, L: m.convolve(L, C3)),
    ("convolve:v", (3,), lambda m, L: m.convolve(C4, L)),
    ("correlate", V, lambda m, L: m.correlate(L, C3, "full")),
    ("delete", V, lambda m, L: m.delete(L, 1)),
    ("insert", V, lambda m, L: m.insert(L, 1, 5.0)),
    ("insert:values", (2,), lambda m, L: m.insert(C4, np.array([1, 3]), L)),
    ("apply_along_axis", M, lambda m, L: m.apply_along_axis(m.sum, 1, L)),
    ("polyfit", V, lambda m, L: m.polyfit(np.arange(4.0), L, 2)),
    # constructors
    ("array", M, lambda m, L: m.array(L)),
    ("asarray", M, lambda m, L: m.asarray(L)),
    ("full", (3,), lambda m, L: m.full((2, 3), L)),
    ("full_like", (3,), lambda m, L: m.full_like(np.zeros((2, 3)), L)),
    ("logspace", (2,), lambda m, L: m.logspace(L, 2.0, 4)),
    ("logspace:base", (2,), lambda m, L: m.logspace(0.5, 2.0, 3, base=L)),
    ("geomspace", (2,), lambda m, L: m.geomspace(L, 3.0, 4)),
    ("geomspace:stop", (2,), lambda m, L: m.geomspace(0.5, L, 4, axis=1)),
    # numpy.linalg
    ("linalg.norm", V, lambda m, L: m.linalg.norm(L)),
    ("linalg.vector_norm", V, lambda m, L: m.linalg.vector_norm(L, ord=3)),
    ("linalg.matrix_norm", M, lambda m, L: m.linalg.matrix_norm(L)),
    ("linalg.det", SPD, lambda m, L: m.linalg.det(L)),
    ("linalg.slogdet", SPD, lambda m, L: m.linalg.slogdet(L)[1]),
    ("linalg.inv", SPD, lambda m, L: m.linalg.inv(L)),
    ("linalg.pinv", M, lambda m, L: m.linalg.pinv(L)),
    ("linalg.solve", SPD, lambda m, L: m.linalg.solve(L, C3)),
    ("linalg.solve:b", (3,), lambda m, L: m.linalg.solve(SPD, L)),
    ("linalg.lstsq", (3,), lambda m, L: m.linalg.lstsq(SPD[:, :2], L, rcond=None)[0]),
    ("linalg.cholesky", SPD, lambda m, L: m.linalg.cholesky(L)),
    ("linalg.qr", SPD, lambda m, L: m.abs(m.linalg.qr(L)[1])),
    ("linalg.eigh", SPD, lambda m, L: m.linalg.eigh(L)[0]),
    ("linalg.eigvalsh", SPD, lambda m, L: m.linalg.eigvalsh(L)),
    ("linalg.eig", SPD, lambda m, L: m.sort(m.real(m.linalg.eig(L)[0]))),
    ("linalg.eigvals", SPD, lambda m, L: m.sort(m.real(m.linalg.eigvals(L)))),
    ("linalg.svd", M, lambda m, L: m.linalg.svd(L, full_matrices=False)[1]),
    ("linalg.svdvals", M, lambda m, L: m.linalg.svdvals(L)),
    ("linalg.cond", SPD, lambda m, L: m.linalg.cond(L)),
    ("linalg.matrix_power", SPD, lambda m, L: m.linalg.matrix_power(L, 3)),
    ("linalg.multi_dot", SPD, lambda m, L: m.linalg.multi_dot([L, SPD, L])),
    ("linalg.matmul", SQ, lambda m, L: m.linalg.matmul(SPD, L)),
    ("linalg.outer", V, lambda m, L: m.linalg.outer(L, C4)),
    ("linalg.cross", (3,), lambda m, L: m.linalg.cross(C3, L)),
    ("linalg.tensordot", V, lambda m, L: m.linalg.tensordot(L, C4, axes=1)),
    ("linalg.trace", SQ, lambda m, L: m.linalg.trace(L)),
    ("linalg.diagonal", SQ, lambda m, L: m.linalg.diagonal(L)),
    ("linalg.matrix_transpose", M, lambda m, L: m.linalg.matrix_transpose(L)),
    ("linalg.vecdot", V, lambda m, L: m.linalg.vecdot(L, C4)),
    ("linalg.tensorsolve", SPD, lambda m, L: m.linalg.tensorsolve(L, C3)),
    ("linalg.tensorinv", SPD, lambda m, L: m.linalg.tensorinv(L, ind=1)),
    # numpy.fft
    ("fft.fft", V, lambda m, L: m.fft.fft(L)),
    ("fft.ifft", V, lambda m, L: m.fft.ifft(L)),
    ("fft.rfft", V, lambda m, L: m.fft.rfft(L)),
    ("fft.irfft", V, lambda m, L: m.fft.irfft(L)),
    ("fft.hfft", V, lambda m, L: m.fft.hfft(L)),
    ("fft.ihfft", V, lambda m, L: m.fft.ihfft(L)),
    ("fft.fft2", M, lambda m, L: m.fft.fft2(L)),
    ("fft.ifft2", M, lambda m, L: m.fft.ifft2(L)),
    ("fft.rfft2", M, lambda m, L: m.fft.rfft2(L)),
    ("fft.irfft2", M, lambda m, L: m.fft.irfft2(L)),
    ("fft.fftn", M, lambda m, L: m.fft.fftn(L)),
    ("fft.ifftn", M, lambda m, L: m.fft.ifftn(L)),
    ("fft.rfftn", M, lambda m, L: m.fft.rfftn(L)),
    ("fft.irfftn", M, lambda m, L: m.fft.irfftn(L)),
    ("fft.fftshift", V, lambda m, L: m.fft.fftshift(L)),
    ("fft.ifftshift", V, lambda m, L: m.fft.ifftshift(L)),
]

# Elementwise primitives (NumPy's ufuncs): one row each, the list as the first operand.
UNARY_DOMAIN = {"arccosh": np.array([1.2, 1.5, 2.0, 3.5]), "acosh": np.array([1.2, 1.5, 2.0, 3.5])}
UNARY = [
    "abs", "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "acos", "acosh", "asin",
    "asinh", "atan", "atanh", "cbrt", "ceil", "conj", "conjugate", "cos", "cosh", "deg2rad", "degrees", "exp",
    "exp2", "expm1", "fix", "floor", "imag", "log", "log10", "log1p", "log2", "negative", "positive", "rad2deg",
    "radians", "real", "reciprocal", "rint", "sign", "sin", "sinc", "sinh", "sqrt", "square", "tan", "tanh",
    "trunc", "spacing",
]
BINARY = [
    "add", "subtract", "multiply", "divide", "true_divide", "power", "pow", "float_power", "maximum",
    "minimum", "fmax", "fmin", "fmod", "mod", "remainder", "arctan2", "atan2", "hypot", "copysign",
    "logaddexp", "logaddexp2", "heaviside", "ldexp", "nextafter",
]
for _name in UNARY:
    CATALOG.append((_name, UNARY_DOMAIN.get(_name, V), (lambda n: lambda m, L: getattr(m, n)(L))(_name)))
for _name in BINARY:
    _b = np.array([2, 1, 3, 2]) if _name == "ldexp" else C4 + 1.0
    CATALOG.append((_name, V, (lambda n, b: lambda m, L: getattr(m, n)(L, b))(_name, _b)))
CATALOG.append(("frexp", V, lambda m, L: m.frexp(L)[0]))
CATALOG.append(("modf", STEPS, lambda m, L: m.modf(L)[0]))
CATALOG.append(("divmod", STEPS, lambda m, L: m.divmod(L, 0.7)[1]))
CATALOG.append(("i0", V, lambda m, L: m.i0(L)))
CATALOG.append(("unwrap", np.array([0.0, 3.0, 6.0, 1.0]), lambda m, L: m.unwrap(L)))
CATALOG.append(("sort_complex", V, lambda m, L: m.real(m.sort_complex(L))))
CATALOG += [
    ("asanyarray", V, lambda m, L: m.asanyarray(L) if m is not jnp else L),
    ("ascontiguousarray", V, lambda m, L: m.ascontiguousarray(L) if m is not jnp else L),
    ("asfortranarray", M, lambda m, L: m.asfortranarray(L) if m is not jnp else L),
    ("asarray_chkfinite", V, lambda m, L: m.asarray_chkfinite(L) if m is not jnp else L),
    ("require", V, lambda m, L: m.require(L) if m is not jnp else L),
    ("apply_over_axes", M, lambda m, L: m.apply_over_axes(m.sum, L, [1])),
    ("piecewise", V, lambda m, L: m.piecewise(L, [C4 < 0, C4 >= 0], [lambda v: v ** 2, lambda v: 3 * v])),
    ("polyadd", (3,), lambda m, L: m.polyadd(L, C4)),
    ("polysub", (3,), lambda m, L: m.polysub(C4, L)),
    ("polymul", (3,), lambda m, L: m.polymul(L, C4)),
    ("polyder", V, lambda m, L: m.polyder(L, 2)),
    # JAX keeps the remainder's leading zeros (NumPy trims them): the last coefficient is compared
    ("polydiv", V, lambda m, L: _quotient_remainder(m, m.polydiv(L, np.array([2.0, 1.0])))),
    ("polydiv:v", (2,), lambda m, L: _quotient_remainder(m, m.polydiv(C4, L))),
    ("polyint", (3,), lambda m, L: m.polyint(L, 2, k=np.array([1.0, 2.0]))),
    ("polyint:k", (2,), lambda m, L: m.polyint(C3, 2, k=L)),
    ("poly", (3,), lambda m, L: m.poly(L)),
    ("roots", np.array([1.0, -6.0, 11.0, -6.0]), lambda m, L: m.sort(m.real(m.roots(L)))),
    ("unique", np.array([0.3, 0.1, 0.3, 0.2]), lambda m, L: m.unique(L)),
    ("unique_values", np.array([0.3, 0.1, 0.3, 0.2]), lambda m, L: m.unique_values(L)),
    ("unique_counts", np.array([0.3, 0.1, 0.3, 0.2]), lambda m, L: m.unique_counts(L).values),
    ("unique_inverse", np.array([0.3, 0.1, 0.3, 0.2]), lambda m, L: m.unique_inverse(L).values),
    ("unique_all", np.array([0.3, 0.1, 0.3, 0.2]), lambda m, L: m.unique_all(L).values),
    ("vectorize", V, lambda m, L: m.vectorize(lambda v, w: v ** 3 * w)(L, C4)),
    ("emath.sqrt", NEG, lambda m, L: _emath(m, "sqrt", L)),
    ("emath.log", NEG, lambda m, L: _emath(m, "log", L)),
    ("emath.log2", NEG, lambda m, L: _emath(m, "log2", L)),
    ("emath.log10", NEG, lambda m, L: _emath(m, "log10", L)),
    ("emath.logn", NEG, lambda m, L: m.emath.logn(3.0, L) if m is bnp else m.log(_c(m, L)) / m.log(3.0)),
    ("emath.power", NEG, lambda m, L: m.emath.power(L, 1.5) if m is bnp else m.power(_c(m, L), 1.5)),
    ("emath.arccos", WIDE, lambda m, L: _emath(m, "arccos", L)),
    ("emath.arcsin", WIDE, lambda m, L: _emath(m, "arcsin", L)),
    ("emath.arctanh", WIDE, lambda m, L: _emath(m, "arctanh", L)),
    ("union1d", V, lambda m, L: m.union1d(L, C4)),
    ("union1d:ar2", V, lambda m, L: m.union1d(C4, L)),
    ("intersect1d", V, lambda m, L: m.intersect1d(L, m.concatenate([L[:2], C4]) if m is not bnp else L[:2] + [0.0])),
    ("setdiff1d", V, lambda m, L: m.setdiff1d(L, C4)),
    ("setxor1d", V, lambda m, L: m.setxor1d(C4, L)),
]

# Functions of backchain.numpy with no array_like argument that carries a derivative.
NOT_ARRAYLIKE = {
    "zeros", "ones", "empty", "eye", "identity", "arange", "indices", "tri",  # shapes in
    "zeros_like", "ones_like", "empty_like",   # constants (tested below with a traced list)
    "linalg.matrix_rank",   # an integer
    "test", "linalg.test", "fft.test",   # run NumPy's test suite
}


def _point(spec, seed):
    if isinstance(spec, np.ndarray):
        return spec.astype(float)
    return np.random.default_rng(seed).uniform(0.2, 0.8, spec)


def _listed(x):
    """The nested Python list of 0-d Tensors x[i] / x[i, j] (indexing a traced Tensor)."""
    if x.ndim == 1:
        return [x[i] for i in range(x.shape[0])]
    return [_listed(x[i]) for i in range(x.shape[0])]


def _scalar(m, out, w):
    """<f, w> (for a complex f, <Re f, w> + <Im f, w reversed>): a real number to differentiate."""
    if out.dtype.kind == "c":
        return m.sum(m.real(out) * w) + m.sum(m.imag(out) * w[::-1])
    return m.sum(out * w)


def _derivatives(fn, x, v, w):
    """backchain's value, gradient of <f(x), w> and JVP along v."""
    out, t = bc.jvp(lambda y: fn(bnp, y), (x,), (v,))
    g = bc.grad(lambda y: _scalar(bnp, fn(bnp, y), w))(x)
    return [np.asarray(a.data if isinstance(a, Tensor) else a) for a in (out, g, t)]


def _oracle(name, fn, x, w):
    """Value and gradient of <f(x), w> by HIPS autograd (NumPy underneath: fast) where it has the
    function and its derivative, else by JAX."""
    if name not in JAX_ONLY:
        try:
            value = fn(anp, x)
            return "autograd", value, autograd.grad(lambda y: _scalar(anp, fn(anp, y), w))(x)
        except Exception:  # noqa: BLE001 (a function, a rule or a case that autograd lacks: JAX's then)
            pass
    with jax.enable_x64(True):
        value = fn(jnp, jnp.asarray(x))
        return "JAX", np.asarray(value), np.asarray(jax.grad(lambda y: _scalar(jnp, fn(jnp, y), w))(jnp.asarray(x)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", CATALOG, ids=[c[0] for c in CATALOG])
def test_list_of_traced_tensors(case):
    name, spec, fn = case
    x = _point(spec, 0)
    v = np.random.default_rng(2).standard_normal(x.shape)
    value = fn(bnp, x)
    w = np.random.default_rng(1).standard_normal(np.shape(value))
    stacked = _derivatives(fn, x, v, w)
    listed = _derivatives(lambda m, y: fn(m, _listed(y)), x, v, w)
    for what, a, b in zip(("value", "grad", "jvp"), listed, stacked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"{name}: {what} through the list")
    np.testing.assert_allclose(stacked[0], np.asarray(value), rtol=1e-12, atol=1e-12, err_msg=f"{name}: untraced")
    assert np.any(stacked[1] != 0) or name in ZERO_GRADIENT, f"{name}: the gradient is zero (cut?)"
    # the JVP agrees with the gradient: <J v, w> = <v, J^T w>
    np.testing.assert_allclose(_scalar(np, stacked[2], w), np.sum(stacked[1] * v), rtol=1e-10, atol=1e-12,
                               err_msg=f"{name}: the JVP and the gradient disagree")
    if name.split(":")[0] in NO_ORACLE or f"numpy.{name.split(':')[0]}" in ORACLE_ROWS:
        return  # the stacked array's derivatives are compared with JAX by the oracle suite (tests/oracle)
    ofn = ORACLE_FN.get(name, fn)
    if name in LOWER_TRIANGLE:
        ofn = lambda m, y: fn(m, m.tril(y) + m.swapaxes(m.tril(y, -1), 0, 1))
    who, value_o, g_o = _oracle(name, ofn, x, w)
    np.testing.assert_allclose(stacked[0], value_o, rtol=1e-10, atol=1e-12, err_msg=f"{name}: value against {who}")
    np.testing.assert_allclose(stacked[1], g_o, rtol=1e-9, atol=1e-12, err_msg=f"{name}: grad against {who}")


# NumPy's cholesky and eigh read the lower triangle (so do ours); JAX and autograd symmetrize: they get that triangle
LOWER_TRIANGLE = {"linalg.cholesky", "linalg.eigh", "linalg.eigvalsh"}
# JAX differentiates eig's eigenvectors only on request; its eigvals give the same eigenvalues
ORACLE_FN = {"linalg.eig": lambda m, L: m.sort(m.real(m.linalg.eigvals(L)))}
# derivative zero everywhere (rounding)
ZERO_GRADIENT = {"angle", "ceil", "floor", "fix", "rint", "trunc", "sign", "heaviside", "imag", "spacing", "nextafter"}
NO_ORACLE = {"nextafter", "spacing", "unique", "unique_values", "unique_counts", "unique_inverse", "unique_all",
             "union1d", "intersect1d", "setdiff1d", "setxor1d"}
# JAX and autograd: no rule (ours: 1 in x1 for nextafter; 0 for spacing, a step); JAX's unique and set
# operations give a zero gradient, autograd's and PyTorch's none (ours: a gather; exact values in
# tests/test_numpy_namespace.py)
JAX_ONLY = {"full", "full_like", "polyint:k"}   # autograd takes fill_value and polyint's k as constants


def _public_functions():
    """Names of the functions of backchain.numpy (and .linalg, .fft) that are not NumPy's own
    objects and not the pass-throughs of _nondiff: the ones that should differentiate."""
    from backchain.numpy._nondiff import NAMES as NONDIFF

    out = []
    for prefix, mod in (("", bnp), ("linalg.", bnp.linalg), ("fft.", bnp.fft)):
        for name in dir(mod):
            obj = getattr(mod, name)
            if name.startswith("_") or not callable(obj) or isinstance(obj, type) or name in NONDIFF:
                continue
            if obj is getattr(getattr(np, prefix[:-1], np) if prefix else np, name, None):
                continue  # NumPy's own, re-exported
            if getattr(getattr(obj, "prim", None), "user", False):
                continue  # exported by a user's bc.defprimitive (other tests declare some)
            out.append(prefix + name)
    return out


def test_catalog_covers_namespace():
    covered = {c[0].split(":")[0] for c in CATALOG}
    missing = sorted(set(_public_functions()) - covered - NOT_ARRAYLIKE)
    assert not missing, f"functions of backchain.numpy with no row in CATALOG (or reason in NOT_ARRAYLIKE): {missing}"


# -- higher order and dtypes through lists ------------------------------------------------------------------

SECOND_ORDER = {
    "mean": lambda m, t: m.mean(m.array([t[0] ** 2, t[1] * t[2]])) if m is anp else m.mean([t[0] ** 2, t[1] * t[2]]),
    "dot": lambda m, t: m.dot(m.array([t[0], t[1] ** 2, 1.0]), t) if m is anp else m.dot([t[0], t[1] ** 2, 1.0], t),
    "linalg.norm": lambda m, t: (m.linalg.norm(m.array([t[0] * t[1], t[2]])) if m is anp
                                 else m.linalg.norm([t[0] * t[1], t[2]])),
    "concatenate": lambda m, t: m.sum(m.concatenate([t, m.array([t[0] * t[1], 1.0])]) ** 3) if m is anp
    else m.sum(m.concatenate([t, [t[0] * t[1], 1.0]]) ** 3),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_hessian_through_lists_against_autograd(name):
    f = SECOND_ORDER[name]
    x = np.array([0.7, -1.3, 0.4])
    np.testing.assert_allclose(bc.hessian(lambda t: f(bnp, t))(x), autograd.hessian(lambda t: f(anp, t))(x),
                               rtol=1e-12, atol=1e-12)


def test_float32_lists_stay_float32():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    for f in (lambda t: bnp.mean([t[0], t[1]]), lambda t: bnp.sum(bnp.concatenate([t, [t[0], t[1]]])),
              lambda t: bnp.dot([t[0], t[1], t[2]], t)):
        g = bc.grad(f)(x)
        assert g.dtype == np.float32 and np.asarray(f(bc.tensor(x)).data).dtype == np.float32
