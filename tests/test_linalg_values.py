"""Forward values of the linear algebra family on Tensors equal NumPy's on plain arrays."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
import backchain.numpy.linalg as bla
from tests.specs.linalg import wellcond, spd, distinct_sv

R = np.random.default_rng(7)


def _u(*shape):
    return R.uniform(-1, 1, size=shape)


# (backchain function, numpy function, arguments)
CASES = [
    ("dot_nd", bnp.dot, np.dot, [_u(2, 2, 3), _u(4, 3, 2)]),
    ("dot_1d_nd", bnp.dot, np.dot, [_u(3), _u(2, 3, 4)]),
    ("dot_scalar", bnp.dot, np.dot, [np.array(2.0), _u(3)]),
    ("vdot", bnp.vdot, np.vdot, [_u(2, 3) + 1j * _u(2, 3), _u(3, 2) - 2j * _u(3, 2)]),
    ("inner", bnp.inner, np.inner, [_u(2, 3), _u(4, 3)]),
    ("outer", bnp.outer, np.outer, [_u(2, 2), _u(3)]),
    ("tensordot", lambda a, b: bnp.tensordot(a, b, ([0, 2], [1, 0])),
     lambda a, b: np.tensordot(a, b, ([0, 2], [1, 0])), [_u(2, 3, 4), _u(4, 2, 5)]),
    ("kron", bnp.kron, np.kron, [_u(2, 1, 2), _u(2, 3)]),
    ("einsum_implicit_mixed_case", lambda a, b: bnp.einsum("Ba,ab", a, b),
     lambda a, b: np.einsum("Ba,ab", a, b), [_u(2, 3), _u(3, 4)]),
    ("einsum_ellipsis_broadcast", lambda a, b: bnp.einsum("...ij,...jk", a, b),
     lambda a, b: np.einsum("...ij,...jk", a, b), [_u(1, 2, 3), _u(4, 3, 2)]),
    ("einsum_trace_diag", lambda a: bnp.einsum("iij->ij", a), lambda a: np.einsum("iij->ij", a), [_u(3, 3, 2)]),
    ("einsum_sublist", lambda a, b: bnp.einsum(a, [0, Ellipsis], b, [0]),
     lambda a, b: np.einsum(a, [0, Ellipsis], b, [0]), [_u(3, 2), _u(3)]),
    ("trace", lambda a: bnp.trace(a, 1, 2, 0), lambda a: np.trace(a, 1, 2, 0), [_u(3, 2, 4)]),
    ("diag_k", lambda v: bnp.diag(v, -2), lambda v: np.diag(v, -2), [_u(3)]),
    ("diagonal", lambda a: bnp.diagonal(a, -1, 2, 0), lambda a: np.diagonal(a, -1, 2, 0), [_u(3, 2, 4)]),
    ("cross_axes", lambda a, b: bnp.cross(a, b, axisa=0, axisc=0),
     lambda a, b: np.cross(a, b, axisa=0, axisc=0), [_u(3, 2), _u(2, 3)]),
    ("inv", bla.inv, np.linalg.inv, [wellcond(R, (2, 3, 3))]),
    ("solve_vec_batched", bla.solve, np.linalg.solve, [wellcond(R, (2, 3, 3)), _u(3)]),
    ("det", bla.det, np.linalg.det, [wellcond(R, (2, 3, 3))]),
    ("slogdet", lambda a: bla.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1], [wellcond(R, (3, 3))]),
    ("cholesky", bla.cholesky, np.linalg.cholesky, [spd(R, (2, 3, 3))]),
    ("eigvalsh", bla.eigvalsh, np.linalg.eigvalsh, [spd(R, (3, 3))]),
    ("eigvals", bla.eigvals, np.linalg.eigvals, [_u(3, 3)]),
    ("svdvals", lambda a: bla.svd(a, compute_uv=False), lambda a: np.linalg.svd(a, compute_uv=False),
     [distinct_sv(R, (2, 4, 3))]),
    ("qr_r", lambda a: bla.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), [_u(4, 3)]),
    ("pinv", bla.pinv, np.linalg.pinv, [_u(2, 4)]),
    ("matrix_power_neg", lambda a: bla.matrix_power(a, -3), lambda a: np.linalg.matrix_power(a, -3),
     [wellcond(R, (3, 3))]),
    ("matrix_power_5", lambda a: bla.matrix_power(a, 5), lambda a: np.linalg.matrix_power(a, 5), [_u(2, 2, 2)]),
    ("cond", bla.cond, np.linalg.cond, [_u(3, 3)]),
    ("cond_1", lambda a: bla.cond(a, 1), lambda a: np.linalg.cond(a, 1), [wellcond(R, (3, 3))]),
] + [
    (f"norm_{ord}_{axis}_{keepdims}", lambda x, o=ord, a=axis, k=keepdims: bla.norm(x, o, a, k),
     lambda x, o=ord, a=axis, k=keepdims: np.linalg.norm(x, o, a, k), [_u(2, 3, 4)])
    for ord in [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
    for axis, keepdims in [((0, 2), False), ((2, 1), True)]
] + [
    (f"vector_norm_{ord}", lambda x, o=ord: bla.norm(x, o, axis=1), lambda x, o=ord: np.linalg.norm(x, o, axis=1),
     [_u(2, 4)])
    for ord in [None, 0, 1, -1, 2, 3, 0.5, np.inf, -np.inf]
]


@pytest.mark.parametrize("name,fn,np_fn,args", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy(name, fn, np_fn, args):
    tensors = [bc.tensor(a, requires_grad=True) for a in args]
    out = fn(*tensors)
    np.testing.assert_allclose(out.data, np_fn(*args), rtol=1e-12, atol=1e-12)
    # the fast path (plain arrays in) returns NumPy's result directly
    np.testing.assert_allclose(np.asarray(fn(*args)), np_fn(*args), rtol=1e-12, atol=1e-12)


def test_decompositions_reconstruct():
    a = distinct_sv(R, (4, 3))
    u, s, vh = bla.svd(bc.tensor(a, requires_grad=True), full_matrices=False)
    np.testing.assert_allclose((u.data * s.data) @ vh.data, a, atol=1e-12)
    q, r = bla.qr(bc.tensor(a, requires_grad=True))
    np.testing.assert_allclose(q.data @ r.data, a, atol=1e-12)
    m = spd(R, (3, 3))
    w, v = bla.eigh(bc.tensor(m, requires_grad=True))
    np.testing.assert_allclose((v.data * w.data) @ v.data.T, m, atol=1e-12)


def test_unsupported_cases_raise_clear_errors():
    with pytest.raises(NotImplementedError, match="full_matrices"):
        bla.svd(bc.tensor(_u(4, 3), requires_grad=True))
    with pytest.raises(ValueError, match="einsum"):
        bnp.einsum("ij,jk", bc.tensor(_u(2, 3), requires_grad=True))
    with pytest.raises(ValueError, match="norm"):
        bla.norm(bc.tensor(_u(2, 2, 2), requires_grad=True), 1)


def test_numpy_dispatch():
    x = bc.tensor(_u(3, 3), requires_grad=True)
    assert isinstance(np.trace(x), bc.Tensor)
    assert isinstance(np.linalg.norm(x), bc.Tensor)
    assert isinstance(np.einsum("ij->j", x), bc.Tensor)
