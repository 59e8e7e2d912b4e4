"""SciPy linear algebra primitives: triangular solves, Cholesky, Sylvester equations, sqrtm.

Each VJP is written with these same primitives (a triangular solve's VJP is a
triangular solve; a Sylvester solve's is a transposed Sylvester solve), so
derivatives of any order need no extra code. Names carry the ``scipy.linalg.``
prefix so that they never clash with ``numpy.linalg``'s.

Functions that read only one triangle of a matrix (``solve_triangular``,
``cho_solve``) have zero derivative with respect to the other triangle: the
cotangent is masked to the triangle that is read.

This module imports SciPy; ``import backchain`` does not load it.
"""
import numpy as np
import scipy.linalg as sl

import backchain.numpy as bnp
from .._core.primitive import primitive
from .._core.tensor import Tensor
from .._vmap import rules as R

__all__ = ["solve_triangular", "solve_banded", "cholesky", "cho_factor", "cho_solve", "solve_sylvester", "sqrtm",
           "lu", "lu_factor", "lu_solve"]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _mT(x):
    return bnp.swapaxes(x, -1, -2)


def _outer(u, v):
    """``u v^T`` for vectors, ``u @ v^T`` for matrices (columns of right-hand sides)."""
    if u.ndim == 1:
        return bnp.expand_dims(u, -1) * bnp.expand_dims(v, 0)
    return bnp.matmul(u, _mT(v))


def _mask(n, lower, unit_diagonal, dtype):
    m = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    if unit_diagonal:
        np.fill_diagonal(m, 0.0)
    return m.astype(dtype if np.dtype(dtype).kind in "fc" else np.float64)


# -- triangular solve ------------------------------------------------------------------


def _trans(trans):
    return {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}[trans]


def _conj_for(trans, a):
    """``conj(a)`` when ``trans`` asks for the conjugate transpose (2 or 'C') of a complex ``a``, else
    ``a``: ``a^H x = b`` is solved as ``conj(a)^T x = b``, through ``trans=1`` and the ``conj`` rule."""
    if trans in (2, "C") and np.iscomplexobj(_data(a)):
        return bnp.conj(a)
    return a


def _solve_tri_impl(a, b, trans, lower, unit_diagonal):
    return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _solve_tri_vjp_a(g, ans, a, b, trans, lower, unit_diagonal):
    gb = solve_triangular_p(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)
    # x = op(a)^{-1} b: the cotangent of op(a) is -gb x^T.
    ga = -(_outer(gb, ans) if trans == 0 else _outer(ans, gb))
    return ga * _mask(a.shape[-1], lower, unit_diagonal, ga.dtype)


def _solve_tri_vjp_b(g, ans, a, b, trans, lower, unit_diagonal):
    return solve_triangular_p(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)


def _solve_tri_jvp_a(t, ans, a, b, trans, lower, unit_diagonal):
    t = t * _mask(a.shape[-1], lower, unit_diagonal, t.dtype)
    op_t = t if trans == 0 else _mT(t)
    rhs = bnp.matmul(op_t, ans)
    return -solve_triangular_p(a, rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _solve_tri_jvp_b(t, ans, a, b, trans, lower, unit_diagonal):
    return solve_triangular_p(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


solve_triangular_p = primitive(
    "scipy.linalg.solve_triangular", _solve_tri_impl,
    vjp=(_solve_tri_vjp_a, _solve_tri_vjp_b), jvp=(_solve_tri_jvp_a, _solve_tri_jvp_b),
    kinks="only the triangle that is read gets a cotangent (and not the diagonal if unit_diagonal)",
    batch=R.solve_rule,
)


def _check_square(name, a):
    shape = np.shape(_data(a))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{name}: expected a square 2-D matrix, got shape {shape}")


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True):
    """``scipy.linalg.solve_triangular``, differentiable in ``a`` and ``b`` (real or complex matrices).

    Only the triangle of ``a`` that is read receives a cotangent. ``trans=2`` (``'C'``) solves with the
    conjugate transpose of a complex ``a``.

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.linalg import solve_triangular
    >>> a = np.array([[2.0, 0.0], [1.0, 4.0]])
    >>> bc.grad(lambda b: solve_triangular(a, b, lower=True).sum())(np.ones(2))
    array([0.375, 0.25 ])
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                                   overwrite_b=overwrite_b, check_finite=check_finite)
    _check_square("solve_triangular", a)
    if np.ndim(_data(b)) not in (1, 2) or np.shape(_data(b))[0] != np.shape(_data(a))[0]:
        raise ValueError(f"solve_triangular: b of shape {np.shape(_data(b))} does not match a of shape "
                         f"{np.shape(_data(a))} (expected ({np.shape(_data(a))[0]},) or ({np.shape(_data(a))[0]}, k))")
    return solve_triangular_p(_conj_for(trans, a), b, trans=_trans(trans), lower=bool(lower),
                              unit_diagonal=bool(unit_diagonal))


# -- banded solve ------------------------------------------------------------------------
# SciPy's band storage: ab[u + i - j, j] = A[i, j]. Band row k holds the diagonal j - i = u - k; its
# entries at columns j with i = j + k - u outside [0, n) are not read (no cotangent). Everything
# below is a gather from index tables, so the rules are linear maps written with backchain.numpy.


def _band_index(k_rows, n, shift):
    """Gather tables for ``out[k, j] = src[k, j + shift[k]]``: the clipped column and the valid mask."""
    cols = np.arange(n)[None, :] + np.asarray(shift)[:, None]
    valid = (cols >= 0) & (cols < n)
    return np.arange(k_rows)[:, None], np.clip(cols, 0, n - 1), valid


# The rules take stacks too (leading axes on ``ab`` and ``b``: a batch inside vmap); ``b`` is a
# vector per matrix when it has one axis fewer than ``ab``.

def _band_transpose(ab, lower, upper):
    """The band storage of A^T (``upper`` sub-, ``lower`` super-diagonals): abT[k, j] = ab[u + l - k, j + k - l]."""
    k_rows, n = ab.shape[-2:]
    rows, cols, valid = _band_index(k_rows, n, np.arange(k_rows) - lower)
    return ab[..., (lower + upper - rows) + 0 * cols, cols] * valid.astype(ab.dtype)


def _band_matmul(ab, x, upper):
    """``A @ x`` from the band storage: y[i] = sum_k ab[k, i + u - k] x[i + u - k]."""
    k_rows, n = ab.shape[-2:]
    rows, cols, valid = _band_index(k_rows, n, upper - np.arange(k_rows))
    mask = valid.astype(np.result_type(ab.dtype, x.dtype))
    if x.ndim == ab.ndim - 1:
        picked = (ab * bnp.expand_dims(x, -2))[..., rows + 0 * cols, cols]  # (..., k, n)
        return bnp.sum(picked * mask, axis=-2)
    prod = bnp.expand_dims(ab, -1) * bnp.expand_dims(x, -3)
    picked = prod[..., rows + 0 * cols, cols, :]  # (..., k, n, m)
    return bnp.sum(picked * mask[..., None], axis=-3)


def _solve_banded_vjp_ab(g, ans, ab, b, lower, upper):
    gb = solve_banded_p(_band_transpose(ab, lower, upper), g, lower=upper, upper=lower)
    k_rows, n = ab.shape[-2:]
    rows, cols, valid = _band_index(k_rows, n, np.arange(k_rows) - upper)  # i = j + k - u
    if ans.ndim == ab.ndim - 1:
        prod = gb[..., cols] * bnp.expand_dims(ans, -2)  # gb at row i of each band position
    else:
        prod = bnp.sum(gb[..., cols, :] * bnp.expand_dims(ans, -3), axis=-1)
    return -prod * valid.astype(prod.dtype)


def _solve_banded_impl(ab, b, lower, upper):
    if ab.ndim > 2 and b.ndim == ab.ndim - 1:  # a stack of vectors: SciPy reads a stack's b as matrices
        return sl.solve_banded((lower, upper), ab, b[..., None])[..., 0]
    return sl.solve_banded((lower, upper), ab, b)


def _solve_banded_vjp_b(g, ans, ab, b, lower, upper):
    return solve_banded_p(_band_transpose(ab, lower, upper), g, lower=upper, upper=lower)


solve_banded_p = primitive(
    "scipy.linalg.solve_banded", _solve_banded_impl,
    vjp=(_solve_banded_vjp_ab, _solve_banded_vjp_b),
    jvp=(lambda t, ans, ab, b, lower, upper: -solve_banded_p(ab, _band_matmul(t, ans, upper), lower=lower,
                                                             upper=upper),
         lambda t, ans, ab, b, lower, upper: solve_banded_p(ab, t, lower=lower, upper=upper)),
    kinks="the entries of ab outside the band (its unread corners) get a zero cotangent",
    batch=R.stacks,
)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """``scipy.linalg.solve_banded``: solve ``A x = b`` for a banded ``A`` in SciPy's band storage
    ``ab[u + i - j, j] = A[i, j]``, differentiable in ``ab`` and ``b``.

    The VJP solves with the transposed band (``(u, l)`` diagonals); the entries of ``ab`` that SciPy
    does not read (the corners of the storage) get a zero cotangent.

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.linalg import solve_banded
    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])   # tridiagonal 1, 4, 1
    >>> solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0]))
    array([1., 1., 1.])
    >>> bc.grad(lambda b: solve_banded((1, 1), ab, b)[0])(np.array([5.0, 6.0, 5.0])).round(6)  # row 0 of inv(A)
    array([ 0.267857, -0.071429,  0.017857])
    """
    lower, upper = (int(v) for v in l_and_u)
    if not isinstance(ab, Tensor) and not isinstance(b, Tensor):
        return sl.solve_banded((lower, upper), ab, b, overwrite_ab=overwrite_ab, overwrite_b=overwrite_b,
                               check_finite=check_finite)
    shape_ab, shape_b = np.shape(_data(ab)), np.shape(_data(b))
    if len(shape_ab) != 2 or shape_ab[0] != lower + upper + 1:
        raise ValueError(f"solve_banded: ab of shape {shape_ab} does not hold {lower} lower and {upper} upper "
                         f"diagonals (expected ({lower + upper + 1}, n))")
    if len(shape_b) not in (1, 2) or shape_b[0] != shape_ab[1]:
        raise ValueError(f"solve_banded: b of shape {shape_b} does not match ab of shape {shape_ab} (expected "
                         f"({shape_ab[1]},) or ({shape_ab[1]}, k))")
    return solve_banded_p(ab, b, lower=lower, upper=upper)


# -- Cholesky ----------------------------------------------------------------------------


def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = x.shape[-1]
    m = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return x * m.astype(x.dtype)


def _read(lower, n, dtype):
    """Masks of the triangle SciPy reads (with its diagonal) and of the strict other triangle."""
    ones = np.ones((n, n))
    read = np.tril(ones) if lower else np.triu(ones)
    other = np.triu(ones, 1) if lower else np.tril(ones, -1)
    return read.astype(dtype), other.astype(dtype)


def _mirror(t, lower):
    """The symmetric matrix that SciPy factors: the triangle read, mirrored."""
    read, other = _read(lower, t.shape[-1], t.dtype)
    strict = read - np.eye(t.shape[-1], dtype=t.dtype)
    return t * read + _mT(t * strict)


def _mirror_T(s, lower):
    """Transpose of ``_mirror``: the other triangle folds onto the one read."""
    read, other = _read(lower, s.shape[-1], s.dtype)
    return s * read + _mT(s * other)


def _cholesky_vjp(g, ans, a, lower):
    # Murray (2016): for A = L L^T, Abar = sym(L^{-T} phi(L^T Lbar) L^{-1}); then folded onto
    # the triangle that SciPy reads (the other triangle has no effect on the result).
    L = ans if lower else _mT(ans)
    gL = g if lower else _mT(g)
    inner = _phi(bnp.matmul(_mT(L), gL))
    left = solve_triangular_p(L, inner, trans=1, lower=True, unit_diagonal=False)
    full = _mT(solve_triangular_p(L, _mT(left), trans=1, lower=True, unit_diagonal=False))
    return _mirror_T(0.5 * (full + _mT(full)), lower)


def _cholesky_jvp(t, ans, a, lower):
    # Ldot = L phi(L^{-1} Adot L^{-T}), Adot the mirrored triangle of the tangent.
    L = ans if lower else _mT(ans)
    t = _mirror(t, lower)
    left = solve_triangular_p(L, t, trans=0, lower=True, unit_diagonal=False)
    inner = _mT(solve_triangular_p(L, _mT(left), trans=0, lower=True, unit_diagonal=False))
    dL = bnp.matmul(L, _phi(inner))
    return dL if lower else _mT(dL)


cholesky_p = primitive("scipy.linalg.cholesky", lambda a, lower: sl.cholesky(a, lower=lower),
                       vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
                       kinks="only the triangle that is read (lower or upper) gets a cotangent", batch=R.stacks)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cholesky``, differentiable.

    Like SciPy, it reads one triangle of ``a`` (the upper one unless ``lower``)
    as a symmetric matrix; the other triangle gets a zero cotangent.
    """
    if not isinstance(a, Tensor):
        return sl.cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    _check_square("cholesky", a)
    if np.iscomplexobj(a._data):  # Hermitian: numpy.linalg's rule, which conjugates (same triangle read)
        from .linalg import cholesky as hermitian_cholesky
        return hermitian_cholesky(a, upper=not lower)
    return cholesky_p(a, lower=bool(lower))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cho_factor``: ``(c, lower)``, differentiable; ``c``'s other triangle is zero.

    (SciPy leaves arbitrary values there; backchain zeros it on both paths, plain arrays
    and Tensors, so that ``c`` is the same factor either way.)
    """
    if not isinstance(a, Tensor):
        c, low = sl.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
        return (np.tril(c) if low else np.triu(c)), low
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``scipy.linalg.cho_solve``: solve ``A x = b`` from the Cholesky factor, differentiable.

    Composite of two triangular solves (so ``c``'s unread triangle gets a zero cotangent).
    """
    c, lower = c_and_lower
    if not isinstance(c, Tensor) and not isinstance(b, Tensor):
        return sl.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    if lower:  # A = L L^T
        y = solve_triangular(c, b, trans=0, lower=True)
        return solve_triangular(c, y, trans=1, lower=True)
    y = solve_triangular(c, b, trans=1, lower=False)  # A = U^T U
    return solve_triangular(c, y, trans=0, lower=False)


# -- Sylvester equation and the matrix square root -------------------------------------------


def _sylvester_vjp_q(g, ans, a, b, q):
    return solve_sylvester_p(_mT(a), _mT(b), g)


def _sylvester_vjp_a(g, ans, a, b, q):
    return -bnp.matmul(solve_sylvester_p(_mT(a), _mT(b), g), _mT(ans))


def _sylvester_vjp_b(g, ans, a, b, q):
    return -bnp.matmul(_mT(ans), solve_sylvester_p(_mT(a), _mT(b), g))


# A X + X B = Q: differentiating, A dX + dX B = dQ - dA X - X dB.
solve_sylvester_p = primitive(
    "scipy.linalg.solve_sylvester", lambda a, b, q: sl.solve_sylvester(a, b, q),
    vjp=(_sylvester_vjp_a, _sylvester_vjp_b, _sylvester_vjp_q),
    jvp=(lambda t, ans, a, b, q: solve_sylvester_p(a, b, -bnp.matmul(t, ans)),
         lambda t, ans, a, b, q: solve_sylvester_p(a, b, -bnp.matmul(ans, t)),
         lambda t, ans, a, b, q: solve_sylvester_p(a, b, t)),
    batch=R.stacks,
)


def solve_sylvester(a, b, q):
    """``scipy.linalg.solve_sylvester``: ``X`` with ``A X + X B = Q``, differentiable in ``a``, ``b``, ``q``."""
    if not any(isinstance(x, Tensor) for x in (a, b, q)):
        return sl.solve_sylvester(a, b, q)
    for name, x in (("a", a), ("b", b)):
        _check_square(f"solve_sylvester ({name})", x)
    return solve_sylvester_p(a, b, q)


def _sqrtm_impl(a):
    x = sl.sqrtm(a)
    if np.iscomplexobj(x) and not np.iscomplexobj(a):
        if np.allclose(x.imag, 0.0, atol=1e-12 * max(1.0, float(np.max(np.abs(x))))):
            x = x.real
    return x


# X X = A: X dX + dX X = dA, a Sylvester equation in dX; its transpose solves
# X^T Abar + Abar X^T = g. Both go through solve_sylvester, so order 2 works.
sqrtm_p = primitive(
    "scipy.linalg.sqrtm", _sqrtm_impl,
    vjp=(lambda g, ans, a: solve_sylvester_p(_mT(ans), _mT(ans), g),),
    jvp=(lambda t, ans, a: solve_sylvester_p(ans, ans, t),),
    batch=R.stacks,
)


def sqrtm(A, disp=True, blocksize=64):
    """``scipy.linalg.sqrtm``: the principal matrix square root, differentiable.

    The derivative solves the Sylvester equation ``X dX + dX X = dA`` (defined
    when no two eigenvalues of ``X`` sum to zero, true for the principal root
    of a matrix with no eigenvalues on the closed negative real axis).
    """
    if not isinstance(A, Tensor):
        return sl.sqrtm(A)
    _check_square("sqrtm", A)
    return sqrtm_p(A)


# -- LU factorisation --------------------------------------------------------------------------
# A = P L U with partial pivoting (P a permutation, piecewise constant in A; L unit lower trapezoidal
# m x k, U upper trapezoidal k x n, k = min(m, n)). With dA' = P^T dA split at k rows (tall) or
# columns (wide), the square block A_1 = L_1 U_1 gives F = L_1^-1 dA'_1 U_1^-1, dL_1 = L_1 (F below
# the diagonal), dU_1 = (F on and above it) U_1; the rest follows from A'_2 = L_2 U (tall) or
# A'_2 = L U_2 (wide). The VJP is the transpose of that map.
#
# Complex A: every step is arithmetic with no conjugate, so (L, U) is a holomorphic function of A
# for a fixed P, and the same rules hold. Backchain's VJP is the bilinear transpose (DESIGN.md, as
# in JAX and HIPS autograd, and as numpy.linalg's solve and inv rules do), so it takes plain
# transposes, not conjugate ones; the gradient of a real loss comes out as dL/dx - i dL/dy.


def _linv(l, x, trans=0):
    """``L^-1 x`` (``trans=1``: ``L^-T x``) for unit lower triangular ``L``."""
    return solve_triangular_p(l, x, trans=trans, lower=True, unit_diagonal=True)


def _uinv(u, x, trans=0):
    """``U^-1 x`` (``trans=1``: ``U^-T x``) for upper triangular ``U``."""
    return solve_triangular_p(u, x, trans=trans, lower=False, unit_diagonal=False)


def _lu_masks(k, like):
    """Masks of the strict lower triangle and of the rest, in ``like``'s real dtype (float32 for
    complex64: a float32 mask keeps a complex64 tangent complex64)."""
    dtype = _data(like).dtype
    if dtype.kind == "c":
        dtype = np.finfo(dtype).dtype
    below = np.tril(np.ones((k, k), dtype=dtype), -1)
    return below, 1.0 - below


def _lu_jvp(t, ans, a):
    p, l, u = ans
    m, n = np.shape(_data(a))
    k = min(m, n)
    below, upper = _lu_masks(k, a)
    pt = bnp.matmul(_mT(p), t)
    l1, u1 = l[:k], u[:, :k]
    f = _mT(_uinv(u1, _mT(_linv(l1, pt[:k, :k])), trans=1))  # L_1^-1 dA'_1 U_1^-1
    dl1 = bnp.matmul(l1, f * below)
    du1 = bnp.matmul(f * upper, u1)
    if m > n:  # dL_2 = (dA'_2 - L_2 dU) U^-1
        dl2 = _mT(_uinv(u1, _mT(pt[k:] - bnp.matmul(l[k:], du1)), trans=1))
        return [bnp.zeros_like(p), bnp.concatenate([dl1, dl2], axis=0), du1]
    if n > m:  # dU_2 = L^-1 (dA'_2 - dL U_2)
        du2 = _linv(l1, pt[:, k:] - bnp.matmul(dl1, u[:, k:]))
        return [bnp.zeros_like(p), dl1, bnp.concatenate([du1, du2], axis=1)]
    return [bnp.zeros_like(p), dl1, du1]


def _lu_vjp(g, ans, a):
    p, l, u = ans
    _, gl, gu = g
    m, n = np.shape(_data(a))
    k = min(m, n)
    below, upper = _lu_masks(k, a)
    l1, u1 = l[:k], u[:, :k]
    gl1, gu1 = gl[:k], gu[:, :k]
    rest = None
    if m > n:
        rest = _mT(_uinv(u1, _mT(gl[k:])))  # gL_2 U^-T
        gu1 = gu1 - bnp.matmul(_mT(l[k:]), rest)
    elif n > m:
        rest = _linv(l1, gu[:, k:], trans=1)  # L^-T gU_2
        gl1 = gl1 - bnp.matmul(rest, _mT(u[:, k:]))
    gf = bnp.matmul(_mT(l1), gl1) * below + bnp.matmul(gu1, _mT(u1)) * upper
    g1 = _mT(_uinv(u1, _mT(_linv(l1, gf, trans=1))))  # L_1^-T G_F U_1^-T
    if rest is not None:
        g1 = bnp.concatenate([g1, rest], axis=0 if m > n else 1)
    return bnp.matmul(p, g1)


def _lu_batch(prim, args, batched):
    """Inside vmap: one factorisation per example (each pivots its own rows)."""
    return _per_matrix(lu_p, args[0], 3)


lu_p = primitive(
    "scipy.linalg.lu", lambda a: tuple(sl.lu(a)), vjp=(_lu_vjp,), jvp=(_lu_jvp,), multiple_results=True,
    batch=_lu_batch,
    kinks="P is piecewise constant (derivative 0; it jumps where two pivot candidates tie); a singular "
          "leading block makes U singular and the derivative undefined",
)


def _check_matrix(name, a):
    a_ = _data(a)
    if np.ndim(a_) < 2:
        raise ValueError(f"{name}: expected a matrix (or a stack of them), got shape {np.shape(a_)}")
    if a_.dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected a real or complex matrix, got dtype {a_.dtype}")


def _per_matrix(fn, a, outputs):
    """``fn`` on each matrix of a stack ``a`` (..., m, n), results stacked back."""
    shape = a.shape
    flat = bnp.reshape(a, (-1,) + tuple(shape[-2:]))
    parts = [fn(flat[i]) for i in range(flat.shape[0])]
    return tuple(bnp.reshape(bnp.stack([r[j] for r in parts]), tuple(shape[:-2]) + tuple(np.shape(_data(parts[0][j]))))
                 for j in range(outputs))


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """``scipy.linalg.lu``: ``(p, l, u)`` with ``a = p @ l @ u`` (partial pivoting), differentiable in ``a``
    (real or complex, any shape, stacks too); ``permute_l`` gives ``(p @ l, u)``; ``p_indices`` the row
    indices.

    ``l`` and ``u`` are holomorphic in ``a`` (for a fixed ``p``): a complex VJP is the bilinear transpose,
    as in JAX, so the gradient of a real loss is ``dL/dx - i dL/dy`` (PyTorch's is its conjugate).

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.linalg import lu
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> bc.grad(lambda a: lu(a)[2][1, 1])(a)
    array([[-1.33333333,  1.        ],
           [ 0.44444444, -0.33333333]])
    """
    if not isinstance(a, Tensor):
        return sl.lu(a, permute_l=permute_l, overwrite_a=overwrite_a, check_finite=check_finite, p_indices=p_indices)
    _check_matrix("lu", a)
    p, l, u = lu_p(a) if a.ndim == 2 else _per_matrix(lu_p, a, 3)
    if permute_l:
        return bnp.matmul(p, l), u
    if p_indices:
        p = sl.lu(_data(a), p_indices=True)[0]
    return p, l, u


def _pack_lu(l, u):
    """LAPACK's packed factor: L below the diagonal, U on and above it, in one m x n matrix."""
    m, k = np.shape(_data(l))
    n = np.shape(_data(u))[1]
    below = l * np.tril(np.ones((m, k), dtype=_data(l).dtype), -1)
    if n > k:
        below = bnp.concatenate([below, bnp.zeros((m, n - k), dtype=_data(l).dtype)], axis=1)
    if m > k:
        u = bnp.concatenate([u, bnp.zeros((m - k, n), dtype=_data(u).dtype)], axis=0)
    return below + u


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.lu_factor``: ``(lu, piv)`` (LAPACK's packed factor and 0-based row interchanges),
    differentiable in ``a``.

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.linalg import lu_factor
    >>> bc.grad(lambda a: lu_factor(a)[0].sum())(np.array([[1.0, 2.0], [3.0, 4.0]])).round(4)
    array([[-1.    ,  1.    ],
           [ 1.3333,  0.6667]])
    """
    if not isinstance(a, Tensor):
        return sl.lu_factor(a, overwrite_a=overwrite_a, check_finite=check_finite)
    _check_matrix("lu_factor", a)
    if a.ndim != 2:
        raise ValueError(f"lu_factor: expected a 2-D matrix, got shape {a.shape} (SciPy's takes one matrix)")
    _, l, u = lu_p(a)
    if getattr(a, "_batched", False):  # inside vmap: each example's pivots
        from .._vmap.batched import constant_per_example

        return _pack_lu(l, u), constant_per_example(lambda m: sl.lu_factor(m)[1], a)
    return _pack_lu(l, u), sl.lu_factor(a._data)[1]


def _piv_permutation(piv, n):
    """The row order that LAPACK's interchanges ``piv`` (0-based: row i swapped with piv[i]) produce."""
    perm = np.arange(n)
    for i, j in enumerate(np.asarray(piv)):
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """``scipy.linalg.lu_solve``: solve ``a x = b`` (``trans=1``: ``a^T x = b``; ``trans=2``: ``a^H x = b``)
    from :func:`lu_factor`'s result, differentiable in the factor and in ``b`` (real or complex).

    >>> import numpy as np, backchain as bc
    >>> from backchain.scipy.linalg import lu_factor, lu_solve
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> bc.grad(lambda b: lu_solve(lu_factor(a), b).sum())(np.array([5.0, 11.0]))  # A^-T 1
    array([-0.5,  0.5])
    """
    lu_, piv = lu_and_piv
    if not isinstance(lu_, Tensor) and not isinstance(b, Tensor):
        return sl.lu_solve((lu_, piv), b, trans=trans, overwrite_b=overwrite_b, check_finite=check_finite)
    _check_square("lu_solve", lu_)
    n = np.shape(_data(lu_))[0]
    if np.shape(_data(b))[0] != n:
        raise ValueError(f"lu_solve: b of shape {np.shape(_data(b))} does not match the factor of shape {(n, n)}")
    lu_ = _conj_for(trans, lu_)  # a^H = conj(U)^T conj(L)^T P^T (P is real): trans=1's solves on conj(lu)
    if getattr(piv, "_batched", False):  # inside vmap, one set of pivots per example: gathers per example
        from .._vmap.batched import constant_per_example

        perm = constant_per_example(lambda p: _piv_permutation(p, n), piv)
        if _trans(trans) == 0:
            return solve_triangular_p(lu_, _linv(lu_, bnp.getitem(b, perm)), trans=0, lower=False, unit_diagonal=False)
        y = _linv(lu_, solve_triangular_p(lu_, b, trans=1, lower=False, unit_diagonal=False), trans=1)
        return bnp.getitem(y, constant_per_example(np.argsort, perm))
    perm = _piv_permutation(piv, n)
    if _trans(trans) == 0:  # P^T A = L U with P^T b = b[perm]
        return solve_triangular_p(lu_, _linv(lu_, b[perm]), trans=0, lower=False, unit_diagonal=False)
    y = _linv(lu_, solve_triangular_p(lu_, b, trans=1, lower=False, unit_diagonal=False), trans=1)
    return y[np.argsort(perm)]
