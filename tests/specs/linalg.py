"""Spec rows for backchain/_rules/linalg.py.

Decompositions are sampled where they are smooth (well-conditioned matrices,
separated eigenvalues and singular values), and rows for eigenvectors and
singular vectors compare only gauge-invariant functions of them (invariant to
each vector's sign), so that finite differences are meaningful.
"""
import numpy as np

import backchain.numpy as bnp
import backchain.numpy.linalg as bla
from tests.specs import Spec


def wellcond(rng, shape):
    """Uniform entries, plus n * I on square trailing blocks (far from singular)."""
    a = rng.uniform(-1.0, 1.0, size=shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        a = a + shape[-1] * np.eye(shape[-1])
    return a


def spd(rng, shape):
    """Symmetric positive definite with eigenvalues at least 1 apart (1, 2.5, 4, ...)."""
    if len(shape) < 2:
        return rng.uniform(-1.0, 1.0, size=shape)
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = 1.0 + 1.5 * np.arange(n) + rng.uniform(0, 0.3, size=shape[:-1])
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def distinct_sv(rng, shape):
    """A matrix with singular values at least 0.5 apart and the smallest >= 1."""
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (n, k)))
    s = 1.0 + 0.7 * np.arange(k)[::-1] + rng.uniform(0, 0.2, size=shape[:-2] + (k,))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def sv_or_uniform(rng, shape):
    """``distinct_sv`` for matrices, uniform in (-1, 1) for vectors (a right-hand side)."""
    return distinct_sv(rng, shape) if len(shape) >= 2 else rng.uniform(-1.0, 1.0, size=shape)


def near_zero(margin=0.05):
    def avoid(x, *rest):
        return bool(np.any(np.abs(np.real(x)) < margin))
    return avoid


def ties(margin=0.05):
    """Reject samples where the two largest or smallest |x| along the last axis are close."""
    def avoid(x, *rest):
        s = np.sort(np.abs(x).reshape(-1, x.shape[-1]) if x.ndim else np.abs(x).reshape(1, 1), axis=-1)
        return bool(s.shape[-1] > 1 and (np.any(s[:, -1] - s[:, -2] < margin) or np.any(s[:, 1] - s[:, 0] < margin)))
    return avoid


def _eigh_inv(a, UPLO="L"):
    w, v = bla.eigh(a, UPLO)
    return v * v * w + (v * w) @ v.T  # sign-invariant in each eigenvector


def _svd_inv(a):
    u, s, vh = bla.svd(a, full_matrices=False)
    return (u * u) @ (vh * vh) + (u * s ** 2) @ vh + bnp.sum(s)  # invariant to joint signs of (u_i, v_i)


def _qr_fn(a):
    q, r = bla.qr(a)
    return q @ r * 0.5 + q[..., :, :1] * bnp.sum(r, axis=-1)[..., None, :1]


def _eig_inv(a):
    w, v = bla.eig(a)
    return w + bnp.sum(bnp.abs(v) ** 2 * (1.0 + bnp.arange(a.shape[-1])), axis=0)


def _hermitian_pd(a, shift=4.0):
    """A matrix whose lower triangle stands for a Hermitian positive definite one: small entries
    (real parts in (-0.3, 0.3), imaginary in (-1, 1) when sampled complex) plus shift * I."""
    return a + shift * np.eye(a.shape[-1])


def _hermitian_spread(a):
    """As ``_hermitian_pd``, with eigenvalues kept apart by a spread diagonal (0, 6, 12, ...)."""
    return a + np.diag(6.0 * np.arange(a.shape[-1]))


def _eigh_phase_inv(a, UPLO="L"):
    w, v = bla.eigh(_hermitian_spread(a), UPLO)
    return (v * w) @ bnp.conj(v).T + bnp.abs(v) ** 2 * w  # invariant to each eigenvector's phase


def _spread_sv(a):
    """``a`` (small entries) plus 4, 7, 10, ... on its leading diagonal: singular values kept apart
    and away from 0 when ``a`` is sampled complex."""
    k = min(a.shape[-2:])
    d = np.zeros(a.shape[-2:])
    d[np.arange(k), np.arange(k)] = 4.0 + 3.0 * np.arange(k)
    return a + d


def _svd_phase_inv(a):
    u, s, vh = bla.svd(_spread_sv(a), full_matrices=False)
    return bnp.abs(u) ** 2 @ bnp.abs(vh) ** 2 + (u * bnp.expand_dims(s ** 2, -2)) @ vh + bnp.sum(s)  # joint phase


def _cross_rot(a, b):
    return bnp.cross(a, b, axisa=0, axisb=-1, axisc=0)


SQ = [((3, 3),), ((2, 3, 3),)]

SPECS = [
    # products
    Spec(bnp.matmul, [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 2)),
                      ((2, 1, 2, 3), (3, 3, 2))], prims=("matmul",), complex=True),
    Spec(bnp.dot, [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (4, 3, 2)),
                   ((2, 3), (2, 3, 2))], prims=("matmul", "reshape", "transpose"), id="dot", complex=True),
    Spec(bnp.vdot, [((3,), (3,)), ((2, 3), (3, 2))], id="vdot", complex=True),
    Spec(bnp.inner, [((3,), (3,)), ((2, 3), (4, 3)), ((), (2,))], id="inner", complex=True),
    Spec(bnp.outer, [((3,), (2,)), ((2, 2), (3,))], id="outer", complex=True),
    Spec(bnp.tensordot, [((2, 3, 4), (3, 4, 2))], id="tensordot_2", complex=True),
    Spec(lambda a, b: bnp.tensordot(a, b, 0), [((3,), (2,))], id="tensordot_0"),
    Spec(lambda a, b: bnp.tensordot(a, b, axes=([0, 2], [1, 0])), [((2, 3, 4), (4, 2, 3))],
         id="tensordot_axes"),
    Spec(bnp.kron, [((2, 2), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (2, 2))], id="kron"),
    # einsum
    Spec(lambda a, b: bnp.einsum("ij,jk->ik", a, b), [((2, 3), (3, 2))], prims=("einsum",),
         id="einsum_matmul", complex=True),
    Spec(lambda a, b: bnp.einsum("ij,jk", a, b, optimize=True), [((2, 3), (3, 2))], id="einsum_implicit"),
    Spec(lambda a: bnp.einsum("ii->", a), [((3, 3),)], id="einsum_trace", complex=True),
    Spec(lambda a: bnp.einsum("ii->i", a), [((3, 3),)], id="einsum_diag"),
    Spec(lambda a, b: bnp.einsum("iij,jk->ik", a, b), [((2, 2, 3), (3, 2))], id="einsum_partial_diag"),
    Spec(lambda a, b: bnp.einsum("ij,k->ik", a, b), [((2, 3), (2,))], id="einsum_summed_alone"),
    Spec(lambda a, b: bnp.einsum("...ij,...jk->...ik", a, b), [((2, 2, 3), (3, 2)), ((1, 2, 3), (2, 3, 2))],
         id="einsum_ellipsis"),
    Spec(lambda a, b, c: bnp.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 2), (2, 2))], id="einsum_three",
         complex=True),
    Spec(lambda a, b: bnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), [((2, 3), (3, 2))], id="einsum_sublist"),
    Spec(lambda a: bnp.einsum("i,i,i->", a, a, a), [((3,),)], id="einsum_same_operand"),
    # diagonal family
    Spec(bnp.diagonal, [((3, 3),), ((2, 3),)], prims=("diagonal",), complex=True),
    Spec(lambda a: bnp.diagonal(a, 1, 0, 2), [((3, 2, 3),)], id="diagonal_axes"),
    Spec(lambda a: bnp.diagonal(a, -1, -1, -2), [((2, 3, 3),)], id="diagonal_neg"),
    Spec(bnp.trace, [((3, 3),), ((2, 3, 4),)], id="trace"),
    Spec(lambda a: bnp.trace(a, offset=1, axis1=1, axis2=2), [((2, 3, 3),)], id="trace_axes"),
    Spec(bnp.diag, [((3,),), ((3, 3),), ((2, 3),)], prims=("diagonal_embed",), id="diag"),
    Spec(lambda a: bnp.diag(a, -1), [((3,),), ((3, 4),)], id="diag_k"),
    Spec(bnp.cross, [((3,), (3,)), ((2, 3), (3,)), ((2,), (2,)), ((2, 2), (3,))], prims=("cross",)),
    Spec(_cross_rot, [((3, 2), (2, 3))], id="cross_axes"),
    Spec(lambda a, b: bnp.cross(a, b, axis=0), [((3, 2), (3, 2))], id="cross_axis"),
    # inverse, solve, determinants
    Spec(bla.inv, SQ, prims=("inv",), domain=wellcond, complex=True),
    Spec(bla.solve, [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)),
                     ((2, 3, 3), (3, 1))], prims=("solve",), domain=wellcond, complex=True),
    Spec(bla.det, SQ + [((1, 1),)], prims=("det",), domain=wellcond, complex=True),
    Spec(lambda a: bla.slogdet(a)[1], SQ, prims=("slogdet",), domain=wellcond, id="slogdet", complex=True),
    Spec(lambda a: bla.slogdet(a)[0] * (1.0 + bla.slogdet(a)[1]), [((3, 3),), ((2, 2, 2),)], domain=wellcond,
         id="slogdet_complex_sign", complex=True),
    Spec(lambda a: bla.slogdet(-a)[1] * bla.slogdet(a)[0], [((3, 3),)], domain=wellcond, id="slogdet_sign"),
    # symmetric decompositions (one triangle read)
    Spec(bla.cholesky, SQ, prims=("cholesky",), domain=spd),
    # complex Hermitian: the lower (upper) triangle read, of the diagonal only the real part
    Spec(lambda a: bla.cholesky(_hermitian_pd(a)), [((3, 3),)], domain=(-0.3, 0.3), complex=True,
         id="cholesky_hermitian"),
    Spec(lambda a: bla.cholesky(_hermitian_pd(a), upper=True), [((3, 3),)], domain=(-0.3, 0.3), complex=True,
         id="cholesky_hermitian_upper"),
    Spec(_eigh_phase_inv, [((3, 3),)], domain=(-0.3, 0.3), complex=True, id="eigh_hermitian"),
    Spec(lambda a: _eigh_phase_inv(a, "U"), [((3, 3),)], domain=(-0.3, 0.3), complex=True, id="eigh_hermitian_U"),
    Spec(lambda a: bla.eigvalsh(_hermitian_spread(a)), [((3, 3),)], domain=(-0.3, 0.3), complex=True,
         id="eigvalsh_hermitian"),
    Spec(lambda a: bla.cholesky(a, upper=True), [((3, 3),)], domain=spd, id="cholesky_upper"),
    Spec(_eigh_inv, [((3, 3),)], prims=("eigh",), domain=spd, id="eigh"),
    Spec(lambda a: _eigh_inv(a, "U"), [((3, 3),)], domain=spd, id="eigh_U"),
    Spec(lambda a: bla.eigh(a)[1] ** 2, [((2, 3, 3),)], domain=spd, id="eigh_batched_vectors"),
    Spec(bla.eigvalsh, SQ, domain=spd, id="eigvalsh"),
    # eigenvalues of a general matrix: complex output; eigenvectors through |v|^2 (phase-invariant).
    Spec(bla.eigvals, [((3, 3),), ((2, 2, 2),)], prims=("eig",), domain=wellcond, id="eigvals"),
    Spec(_eig_inv, [((3, 3),)], domain=wellcond, id="eig_vectors"),
    # SVD and friends (distinct singular values)
    Spec(_svd_inv, [((3, 3),), ((4, 2),), ((2, 4),)], prims=("svd",), domain=distinct_sv, id="svd"),
    Spec(lambda a: bla.svd(a, compute_uv=False), [((3, 2),), ((2, 2, 3),)], prims=("svdvals",),
         domain=distinct_sv, id="svd_values"),
    Spec(bla.svdvals, [((3, 3),)], domain=distinct_sv, id="svdvals"),
    Spec(_svd_phase_inv, [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)], domain=(-0.3, 0.3), complex=True,
         id="svd_complex"),
    Spec(lambda a: bla.svdvals(_spread_sv(a)), [((3, 3),), ((2, 3),)], domain=(-0.3, 0.3), complex=True,
         id="svdvals_complex"),
    Spec(_qr_fn, [((3, 3),), ((4, 2),), ((2, 3, 2),)], prims=("qr",), domain=distinct_sv, id="qr", complex=True),
    Spec(lambda a: bla.qr(a, mode="r"), [((3, 2),)], domain=distinct_sv, id="qr_r", complex=True),
    # wide: the leading square block's QR, R's other columns Q^H A_2 (the leading block kept far from singular)
    Spec(lambda a: _qr_fn(_spread_sv(a)), [((2, 4),), ((2, 2, 3),)], prims=("qr",), domain=(-0.5, 0.5),
         id="qr_wide", complex=True),
    Spec(lambda a: bla.qr(_spread_sv(a), mode="complete")[0] * 2.0 + bla.qr(_spread_sv(a), mode="r")[:, :2],
         [((2, 3),)], prims=("qr",), domain=(-0.5, 0.5), id="qr_wide_complete"),
    Spec(bla.pinv, [((3, 3),), ((4, 2),), ((2, 3),), ((2, 2, 3),)], prims=("pinv",), domain=distinct_sv, complex=True),
    Spec(lambda a, b: bla.lstsq(a, b)[0], [((4, 2), (4,)), ((2, 3), (2, 2))], prims=("pinv",), domain=sv_or_uniform,
         id="lstsq", complex=True),
    Spec(lambda a, b: bla.lstsq(a, b)[1] + bnp.sum(bla.lstsq(a, b)[3]), [((4, 2), (4, 2))], prims=("pinv",),
         domain=distinct_sv, id="lstsq_residuals"),
    Spec(lambda x, y: bnp.polyfit(bnp.cumsum(x), y, 2), [((5,), (5,)), ((4,), (4, 2))], prims=("pinv",),
         domain=(0.5, 1.5), id="polyfit"),
    Spec(lambda a: bla.matrix_power(a, 3), [((3, 3),), ((2, 2, 2),)], id="matrix_power_3"),
    Spec(lambda a: bla.matrix_power(a, -2), [((3, 3),)], domain=wellcond, id="matrix_power_-2"),
    Spec(lambda a: bla.cond(a), [((3, 3),)], domain=distinct_sv, id="cond"),
    Spec(lambda a: bla.cond(a, "fro"), [((3, 3),)], domain=wellcond, id="cond_fro"),
    Spec(lambda a, b, c: bla.multi_dot([a, b, c]), [((2, 3), (3, 3), (3,))], id="multi_dot"),
    # norms
    Spec(bla.norm, [((3,),), ((2, 3),), ((2, 2, 3),)], prims=("vector_norm",), id="norm", complex=True),
    Spec(lambda x: bla.norm(x, 1), [((4,),)], avoid=near_zero(), id="norm_1"),
    Spec(lambda x: bla.norm(x, 3, axis=-1, keepdims=True), [((2, 3),)], avoid=near_zero(), id="norm_3"),
    Spec(lambda x: bla.norm(x, 0.5, axis=0), [((3, 2),)], avoid=near_zero(0.2), id="norm_half"),
    Spec(lambda x: bla.norm(x, np.inf, axis=1), [((2, 4),)], avoid=ties(), id="norm_inf"),
    Spec(lambda x: bla.norm(x, -np.inf), [((4,),)], avoid=ties(), id="norm_-inf"),
    Spec(lambda x: bla.norm(x, 0) * x, [((3,),)], avoid=near_zero(), id="norm_0"),
    Spec(lambda x: bla.norm(x, "fro", axis=(2, 0), keepdims=True), [((2, 3, 2),)], id="norm_fro"),
    Spec(lambda x: bla.norm(x, "nuc"), [((3, 2),)], domain=distinct_sv, id="norm_nuc"),
    Spec(lambda x: bla.norm(x, 2, axis=(0, 1), keepdims=True), [((3, 2),)], domain=distinct_sv, id="norm_2"),
    Spec(lambda x: bla.norm(x, -2, axis=(-1, -2)), [((2, 2, 3),)], domain=distinct_sv, id="norm_-2"),
    Spec(lambda x: bla.norm(x, 1, axis=(1, 2)), [((2, 3, 4),)], avoid=near_zero(), id="norm_mat_1"),
    Spec(lambda x: bla.norm(x, -1), [((3, 4),)], avoid=near_zero(), id="norm_mat_-1"),
    Spec(lambda x: bla.norm(x, np.inf, keepdims=True), [((3, 4),)], avoid=near_zero(), id="norm_mat_inf"),
    Spec(lambda x: bla.norm(x, -np.inf, axis=(1, 0)), [((3, 4),)], avoid=near_zero(), id="norm_mat_-inf"),
    Spec(lambda x: bla.vector_norm(x, axis=(0, 2), ord=4), [((2, 3, 2),)], avoid=near_zero(), id="vector_norm"),
    Spec(lambda x: bla.matrix_norm(x, ord="fro"), [((2, 2, 3),)], id="matrix_norm"),
    # NumPy 2's vector products
    Spec(lambda a, b: bnp.vecdot(a, b), [((3, 4), (4,)), ((2, 1, 3), (4, 3))], prims=("multiply", "sum"),
         id="vecdot", complex=True),
    Spec(bnp.matvec, [((2, 3, 4), (4,)), ((3, 2), (5, 2))], prims=("matmul",), id="matvec", complex=True),
    Spec(bnp.vecmat, [((3,), (2, 3, 4))], prims=("matmul",), id="vecmat", complex=True),
]

COVERED_ELSEWHERE = {}
