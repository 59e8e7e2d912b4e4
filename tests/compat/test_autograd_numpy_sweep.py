"""backchain.autograd.numpy against autograd.numpy, function by function: the same gradients where autograd has
one; where autograd has no rule (or a wrong one), backchain's gradient is checked by finite differences."""
import numpy as onp
import pytest

import backchain as bc
from ._oracle import check, modules

rng = onp.random.default_rng(5)
X = rng.uniform(0.2, 0.9, (3, 4))
S = rng.standard_normal((3, 3))
SPD = S @ S.T + 3 * onp.eye(3)
W = rng.standard_normal((3, 4))

UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arctanh", "exp",
         "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "square", "reciprocal", "negative", "abs", "fabs",
         "absolute", "sinc", "deg2rad", "rad2deg", "degrees", "radians", "real", "imag", "conj", "angle", "ravel",
         "transpose", "flipud", "fliplr", "rot90", "trace", "triu", "tril", "squeeze", "atleast_1d", "atleast_2d",
         "atleast_3d", "cumsum", "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "round",
         "around", "fix", "floor", "ceil", "sign"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_same_as_autograd(name):
    shape = onp.shape(getattr(onp, name)(X))
    weights = onp.cos(onp.arange(int(onp.prod(shape)))).reshape(shape)
    check(lambda ag, np: ag.grad(lambda x: np.sum(np.real(getattr(np, name)(x)) * weights))(X))


PROGRAMS = {
    "dot matmul": lambda ag, np: ag.grad(lambda a: np.sum(np.dot(a, a.T)) + np.sum(np.matmul(a.T, a)))(X),
    "outer inner kron": lambda ag, np: ag.grad(lambda a: np.sum(np.outer(a[0], a[1])) + np.inner(a[0], a[1])
                                               + np.sum(np.kron(a[:2, :2], a[:2, :2])))(X),
    "einsum": lambda ag, np: ag.grad(lambda a: np.einsum("ij,kj->ik", a, a).sum())(X),
    "tensordot": lambda ag, np: ag.grad(lambda a: np.sum(np.tensordot(a, a, axes=([1], [1]))))(X),
    "concatenate stack": lambda ag, np: ag.grad(lambda a: np.sum(np.concatenate([a, a], axis=1) ** 2)
                                                + np.sum(np.hstack([a, a]) * 2) + np.sum(np.vstack([a, a]))
                                                + np.sum(np.stack([a, a], axis=2) ** 3))(X),
    "split": lambda ag, np: ag.grad(lambda a: np.sum(np.split(a, 2, axis=1)[1] ** 2))(X),
    "reshape axes": lambda ag, np: ag.grad(lambda a: np.sum(np.expand_dims(np.reshape(a, (4, 3)), 0) ** 2)
                                           + np.sum(np.swapaxes(a, 0, 1)[0]) + np.sum(np.moveaxis(a[None], 0, 2)))(X),
    "tile repeat": lambda ag, np: ag.grad(lambda a: np.sum(np.tile(a, (2, 1)) ** 2)
                                          + np.sum(np.repeat(a, 2, axis=0) ** 3))(X),
    "where clip maximum": lambda ag, np: ag.grad(lambda a: np.sum(np.where(a > 0.5, a, -a) + np.clip(a, 0.3, 0.7)
                                                                  + np.maximum(a, 0.5) + np.minimum(a, 0.5)))(X),
    "power divide mod hypot": lambda ag, np: ag.grad(lambda a: np.sum(np.power(a, a) + np.true_divide(a, 2.0)
                                                                      + np.mod(a, 0.3) + np.hypot(a, a)))(X),
    "logaddexp": lambda ag, np: ag.grad(lambda a: np.sum(np.logaddexp(a, a[::-1]) + np.logaddexp2(a, 0.5)))(X),
    "linalg inv det solve": lambda ag, np: ag.grad(lambda a: np.sum(np.linalg.inv(a)) + np.linalg.det(a)
                                                   + np.sum(np.linalg.solve(a, onp.ones(3))))(SPD),
    "linalg pinv": lambda ag, np: ag.grad(lambda a: np.sum(np.linalg.pinv(a)))(S),
    "linalg svd": lambda ag, np: ag.grad(lambda a: np.sum(np.linalg.svd(a, full_matrices=False)[1]))(W),
    "linalg eig values": lambda ag, np: ag.grad(lambda a: np.sum(np.real(np.linalg.eig(a)[0])))(SPD),
    "linalg norm": lambda ag, np: ag.grad(lambda a: np.linalg.norm(a, "fro") + np.linalg.norm(a[0], 3))(X),
    "fft rfftn ifft2": lambda ag, np: ag.grad(lambda a: np.sum(np.abs(np.fft.rfftn(a)))
                                              + np.sum(np.real(np.fft.ifft2(a))))(X),
    "fftshift": lambda ag, np: ag.grad(lambda a: np.sum(np.fft.fftshift(a) * onp.arange(12).reshape(3, 4)))(X),
    "cross": lambda ag, np: ag.grad(lambda a: np.sum(np.cross(a[:, :3], a[::-1, :3])))(X),
    "cumsum diff": lambda ag, np: ag.grad(lambda a: np.sum(np.cumsum(a, axis=1) ** 2)
                                          + np.sum(np.diff(a, axis=0) ** 2))(X),
    "like constructors": lambda ag, np: ag.grad(lambda a: np.sum(a * np.ones_like(a) + np.zeros_like(a)
                                                                 + np.full(a.shape, 2.0) * a))(X),
    "array of traced": lambda ag, np: ag.grad(lambda a: np.sum(np.array([a[0], a[1] * 2])))(X),
    "var std ddof": lambda ag, np: ag.grad(lambda a: np.sum(np.var(a, axis=0, ddof=1, keepdims=True))
                                           + np.sum(np.std(a, axis=1, ddof=1)))(X),
    "nan_to_num": lambda ag, np: ag.grad(lambda a: np.sum(np.nan_to_num(a) ** 2))(X),
    "array_split": lambda ag, np: ag.grad(lambda a: np.sum(np.array_split(a, 3, axis=1)[0] ** 2))(X),
    "ndim shape size": lambda ag, np: ag.grad(lambda a: np.sum(a) * np.ndim(a) * np.size(a) * np.shape(a)[0])(X),
    "indexing": lambda ag, np: ag.grad(lambda a: a[1, 2] ** 2 + np.sum(a[[0, 2]]) + np.sum(a[a > 0.5]))(X),
    "complex": lambda ag, np: ag.grad(lambda a: np.sum(np.abs(np.exp(1j * a)) + np.angle(a + 1j)))(X),
    "T and @": lambda ag, np: ag.grad(lambda a: np.sum(a.T @ a))(X),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_same_as_autograd(name):
    check(PROGRAMS[name])


# autograd 1.9 has no VJP for these (NotImplementedError), or a wrong one (diag of a 3x4 matrix: a 3x3 gradient)
BEYOND = {
    "cbrt": lambda np: lambda a: np.sum(np.cbrt(a)),
    "nanmean nansum nanvar nanstd": lambda np: lambda a: np.nanmean(a) + np.nansum(a ** 2) + np.nanvar(a)
    + np.nanstd(a),
    "sort 2-D": lambda np: lambda a: np.sum(np.sort(a, axis=0) * W),
    "diagonal": lambda np: lambda a: np.sum(np.diagonal(a) * 2.0),
    "diag of a matrix": lambda np: lambda a: np.sum(np.diag(a) ** 2),
    "matrix_power": lambda np: lambda a: np.sum(np.linalg.matrix_power(a[:, :3], 3)),
    "matrix norm ord=1": lambda np: lambda a: np.linalg.norm(a + 1.0, ord=1),
    "polyval": lambda np: lambda a: np.sum(np.polyval(a[0], a[1])),
    "interp": lambda np: lambda a: np.sum(np.interp(onp.array([0.4, 0.6]), onp.array([0.1, 0.5, 1.0]), a[0, :3])),
    "broadcast_to": lambda np: lambda a: np.sum(np.broadcast_to(a[0], (2, 4)) ** 2),
    "take": lambda np: lambda a: np.sum(np.take(a, [0, 2], axis=1) ** 2),
    "asarray": lambda np: lambda a: np.sum(np.asarray(a) ** 2),
}


@pytest.mark.parametrize("name", list(BEYOND))
def test_beyond_autograd_against_finite_differences(name):
    ag, np = modules("autograd")
    f = BEYOND[name](np)
    with pytest.raises((NotImplementedError, AssertionError, ValueError)):
        g = ag.grad(f)(X)  # autograd: no rule, or a gradient of the wrong shape
        assert onp.shape(g) == X.shape
    ag, np = modules("backchain")
    f = BEYOND[name](np)
    assert ag.grad(f)(X).shape == X.shape
    bc.gradcheck(f, X, order=1, modes=("rev",))
