"""``torch.linalg``: PyTorch's linear-algebra names and signatures over ``backchain.numpy.linalg``
(results are torch Tensors; decompositions return PyTorch's named tuples)."""
import collections

import numpy as np

import backchain.numpy as bnp
from ._ops import _t
from ._tensor import wrap_result

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "eigh", "eigvalsh", "svd",
           "svdvals", "qr", "cholesky", "pinv", "matrix_rank", "matrix_power", "multi_dot", "cross", "lstsq", "eig",
           "eigvals", "solve_triangular", "matrix_exp"]

_SlogdetResult = collections.namedtuple("slogdet", ["sign", "logabsdet"])
_EighResult = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
_SVDResult = collections.namedtuple("svd", ["U", "S", "Vh"])
_QRResult = collections.namedtuple("qr", ["Q", "R"])
_EigResult = collections.namedtuple("eig", ["eigenvalues", "eigenvectors"])


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements when None).

    >>> import backchain.torch as torch
    >>> torch.linalg.vector_norm(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1)
    tensor([5., 0.])
    """
    a = _t(x) if dtype is None else _t(x).type(dtype)
    if dim is None:
        out = bnp.linalg.norm(bnp.reshape(a, (-1,)), ord=ord)
        return bnp.reshape(out, (1,) * a.ndim) if keepdim else out
    if isinstance(dim, (tuple, list)):
        axes = tuple(dim)
        if ord == 2:
            return bnp.sqrt(bnp.sum(a * a, axis=axes, keepdims=keepdim))
        if ord in (np.inf, -np.inf):
            return (bnp.amax if ord > 0 else bnp.amin)(bnp.abs(a), axis=axes, keepdims=keepdim)
        return bnp.sum(bnp.abs(a) ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)
    return bnp.linalg.norm(a, ord=ord, axis=dim, keepdims=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix ``ord``-norm over the two dimensions ``dim``.

    >>> import backchain.torch as torch
    >>> torch.linalg.matrix_norm(torch.tensor([[3.0, 0.0], [0.0, 4.0]]), ord=2)
    tensor(4.)
    """
    a = _t(A) if dtype is None else _t(A).type(dtype)
    return bnp.linalg.norm(a, ord=ord, axis=tuple(dim), keepdims=keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (``dim`` an int, or a 1-d input), a matrix norm (``dim`` a pair, or a 2-d input), or the
    2-norm of all elements (``ord`` and ``dim`` None).

    >>> import backchain.torch as torch
    >>> torch.linalg.norm(torch.tensor([[3.0, 4.0], [6.0, 8.0]])), torch.linalg.norm(torch.ones(4), ord=1)
    (tensor(11.1803), tensor(4.))
    """
    a = _t(A)
    if isinstance(dim, int) or dim is None and a.ndim == 1 and ord is not None:
        return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(a, 2, dim, keepdim, dtype=dtype)
    return matrix_norm(a, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


def inv(A):
    """The inverse of a square matrix (or a batch).

    >>> import backchain.torch as torch
    >>> torch.linalg.inv(torch.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    return bnp.linalg.inv(_t(A))


def det(A):
    """The determinant.

    >>> import backchain.torch as torch
    >>> torch.linalg.det(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(-2.)
    """
    return bnp.linalg.det(_t(A))


def slogdet(A):
    """``(sign, logabsdet)`` of the determinant.

    >>> import backchain.torch as torch
    >>> torch.linalg.slogdet(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).logabsdet
    tensor(0.6931)
    """
    sign, logabs = bnp.linalg.slogdet(_t(A))
    return _SlogdetResult(wrap_result(sign), logabs)


def solve(A, B, *, left=True):
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``).

    >>> import backchain.torch as torch
    >>> torch.linalg.solve(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([2.0, 2.0]))
    tensor([1.0000, 0.5000])
    """
    a, b = _t(A), _t(B)
    if left:
        return bnp.linalg.solve(a, b)
    return bnp.swapaxes(bnp.linalg.solve(bnp.swapaxes(a, -1, -2), bnp.swapaxes(b, -1, -2)), -1, -2)


def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix, eigenvalues ascending.

    >>> import backchain.torch as torch
    >>> torch.linalg.eigh(torch.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
    tensor([1., 3.])
    """
    w, v = bnp.linalg.eigh(_t(A), UPLO=UPLO)
    return _EighResult(w, v)


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending.

    >>> import backchain.torch as torch
    >>> torch.linalg.eigvalsh(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
    tensor([1., 3.])
    """
    return bnp.linalg.eigvalsh(_t(A), UPLO=UPLO)


def svd(A, full_matrices=True):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``.

    >>> import backchain.torch as torch
    >>> torch.linalg.svd(torch.tensor([[3.0, 0.0], [0.0, -2.0]])).S
    tensor([3., 2.])
    """
    u, s, vh = bnp.linalg.svd(_t(A), full_matrices=full_matrices)
    return _SVDResult(u, s, vh)


def svdvals(A):
    """The singular values, descending.

    >>> import backchain.torch as torch
    >>> torch.linalg.svdvals(torch.tensor([[3.0, 0.0], [0.0, -2.0]]))
    tensor([3., 2.])
    """
    return bnp.linalg.svdvals(_t(A))


def qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = Q R``.

    >>> import backchain.torch as torch
    >>> q, r = torch.linalg.qr(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> torch.allclose(q @ r, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    True
    """
    q, r = bnp.linalg.qr(_t(A), mode=mode)
    return _QRResult(q, r)


def cholesky(A, *, upper=False):
    """The lower (or upper) Cholesky factor.

    >>> import backchain.torch as torch
    >>> torch.linalg.cholesky(torch.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    low = bnp.linalg.cholesky(_t(A))
    return bnp.swapaxes(low, -1, -2) if upper else low


def pinv(A, *, rcond=None, hermitian=False):
    """The pseudo-inverse.

    >>> import backchain.torch as torch
    >>> torch.linalg.pinv(torch.tensor([[2.0, 0.0], [0.0, 0.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    kw = {} if rcond is None else {"rcond": rcond}
    return bnp.linalg.pinv(_t(A), hermitian=hermitian, **kw)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The numerical rank (int64).

    >>> import backchain.torch as torch
    >>> torch.linalg.matrix_rank(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    tensor(1)
    """
    a = np.asarray(_t(A)._data)
    tol = None
    if atol is not None or rtol is not None:  # PyTorch's max(atol, rtol * largest singular value)
        s = np.linalg.svd(a, compute_uv=False, hermitian=hermitian)
        tol = np.maximum(atol or 0.0, (rtol or 0.0) * s.max(axis=-1))
    return wrap_result(np.asarray(np.linalg.matrix_rank(a, tol=tol, hermitian=hermitian), dtype=np.int64))


def matrix_power(A, n):
    """``A`` to the integer power ``n``.

    >>> import backchain.torch as torch
    >>> torch.linalg.matrix_power(torch.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
    tensor([[1., 3.],
            [0., 1.]])
    """
    return bnp.linalg.matrix_power(_t(A), n)


def multi_dot(tensors):
    """The product of a list of matrices, in the cheapest order.

    >>> import backchain.torch as torch
    >>> torch.linalg.multi_dot([torch.ones(2, 3), torch.ones(3, 4), torch.ones(4, 1)])
    tensor([[12.],
            [12.]])
    """
    return bnp.linalg.multi_dot([_t(t) for t in tensors])


def eig(A):
    """``(eigenvalues, eigenvectors)`` of a square matrix, complex as in PyTorch.

    >>> import backchain.torch as torch
    >>> torch.linalg.eig(torch.tensor([[2.0, 0.0], [0.0, 3.0]])).eigenvalues
    tensor([2.+0.j, 3.+0.j])
    """
    a = _t(A)
    ctype = np.result_type(a._data.dtype, np.complex64)
    w, v = bnp.linalg.eig(a)
    return _EigResult(bnp.astype(w, ctype), bnp.astype(v, ctype))


def eigvals(A):
    """The eigenvalues of a square matrix, complex.

    >>> import backchain.torch as torch
    >>> torch.linalg.eigvals(torch.tensor([[0.0, -1.0], [1.0, 0.0]]))
    tensor([0.+1.j, 0.-1.j])
    """
    a = _t(A)
    return bnp.astype(bnp.linalg.eigvals(a), np.result_type(a._data.dtype, np.complex64))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The solution ``X`` of ``A X = B`` for a triangular ``A`` (``X A = B`` with ``left=False``).

    >>> import backchain.torch as torch
    >>> torch.linalg.solve_triangular(torch.tensor([[2.0, 1.0], [0.0, 4.0]]), torch.tensor([[3.0], [4.0]]),
    ...                               upper=True)
    tensor([[1.],
            [1.]])
    """
    from backchain.scipy.linalg import solve_triangular as _solve
    a, b = _t(A), _t(B)
    if not left:
        return bnp.swapaxes(_solve(bnp.swapaxes(a, -1, -2), bnp.swapaxes(b, -1, -2), lower=upper,
                                   unit_diagonal=unitriangular), -1, -2)
    return _solve(a, b, lower=not upper, unit_diagonal=unitriangular)


def matrix_exp(A):
    """The matrix exponential, by scaling and squaring of a Taylor series (differentiable through its
    products).

    >>> import backchain.torch as torch
    >>> torch.linalg.matrix_exp(torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
    tensor([[1., 1.],
            [0., 1.]])
    """
    a = _t(A)
    data = np.asarray(a._data)
    norm = float(np.max(np.sum(np.abs(data), axis=-2))) if data.size else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0.5 else 0
    x = a / float(2 ** squarings)
    eye = np.broadcast_to(np.eye(data.shape[-1], dtype=data.dtype), data.shape)
    term, total = x, x + eye
    for k in range(2, 19 if data.dtype in (np.float64, np.complex128) else 12):
        term = bnp.matmul(term, x) / k
        total = total + term
    for _ in range(squarings):
        total = bnp.matmul(total, total)
    return total


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim``.

    >>> import backchain.torch as torch
    >>> torch.linalg.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]))
    tensor([0., 0., 1.])
    """
    return bnp.cross(_t(input), _t(other), axis=dim)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B``, as ``(solution, residuals, rank, singular_values)``.

    >>> import backchain.torch as torch
    >>> A = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    >>> torch.linalg.lstsq(A, torch.tensor([[1.0], [2.0], [0.0]])).solution
    tensor([[1.],
            [1.]])
    """
    x, res, rank, sv = bnp.linalg.lstsq(_t(A), _t(B), rcond=rcond)
    return collections.namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])(
        x, wrap_result(res), wrap_result(np.asarray(rank, dtype=np.int64)), wrap_result(sv))


_LUResult = collections.namedtuple("lu", ["P", "L", "U"])
_LUFactorResult = collections.namedtuple("lu_factor", ["LU", "pivots"])


def _no_pivot(pivot, what):
    if not pivot:
        raise RuntimeError(f"{what}: LU without pivoting is not implemented on the CPU")


def lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P L U`` (partial pivoting), differentiable; real or complex, any shape,
    stacks too. ``P`` has ``A``'s dtype, as in PyTorch. Complex gradients follow backchain's convention
    (``dL/dx - i dL/dy`` for a real loss: the conjugate of PyTorch's ``.grad``).

    >>> import backchain.torch as torch
    >>> P, L, U = torch.linalg.lu(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> L, U
    (tensor([[1.0000, 0.0000],
            [0.3333, 1.0000]]), tensor([[3.0000, 4.0000],
            [0.0000, 0.6667]]))
    """
    from backchain.scipy.linalg import lu as _lu
    _no_pivot(pivot, "linalg.lu")
    a = _t(A)
    p, l, u = _lu(a)
    if np.iscomplexobj(a._data):  # SciPy's P is real; PyTorch's has A's dtype
        p = bnp.astype(p, a._data.dtype)
    return _LUResult(wrap_result(p), l, u)


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)``: LAPACK's packed factor and its 1-based row interchanges (int32), differentiable.

    >>> import backchain.torch as torch
    >>> torch.linalg.lu_factor(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots
    tensor([2, 2], dtype=torch.int32)
    """
    from backchain.scipy.linalg import lu_factor as _lu_factor
    _no_pivot(pivot, "linalg.lu_factor")

    def one(a):
        f, piv = _lu_factor(a)
        return f, (np.asarray(piv) + 1).astype(np.int32)

    from backchain._rules.scipy_linalg import _per_matrix
    a = _t(A)
    f, piv = one(a) if a.ndim == 2 else _per_matrix(one, a, 2)
    return _LUFactorResult(f, wrap_result(np.asarray(getattr(piv, "_data", piv))))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``; ``A^H`` with ``adjoint``) from
    :func:`lu_factor`'s result, differentiable in ``LU`` and ``B``.

    >>> import backchain.torch as torch
    >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> torch.linalg.lu_solve(*torch.linalg.lu_factor(A), torch.tensor([[5.0], [11.0]]))
    tensor([[1.],
            [2.]])
    """
    from backchain.scipy.linalg import lu_solve as _lu_solve
    f, b = _t(LU), _t(B)
    piv = np.asarray(_t(pivots)._data) - 1
    trans = 2 if adjoint else 0  # 2: A^H (A^T for real A)
    if not left:  # X A = B  <=>  A^T X^T = B^T;  X A^H = B  <=>  conj(A) X^T = B^T
        if adjoint and np.iscomplexobj(f._data):
            f = bnp.conj(f)  # conj(A) = P conj(L) conj(U): the factor of conj(A), same pivots
        trans = 0 if adjoint else 1
        b = bnp.swapaxes(b, -1, -2)
    if f.ndim == 2:
        x = _lu_solve((f, piv), b, trans=trans)
    else:
        batch = tuple(f.shape[:-2])
        ff = bnp.reshape(f, (-1,) + tuple(f.shape[-2:]))
        bb = bnp.reshape(bnp.broadcast_to(b, batch + tuple(b.shape[-2:])), (-1,) + tuple(b.shape[-2:]))
        pp = piv.reshape((-1, piv.shape[-1]))
        x = bnp.reshape(bnp.stack([_lu_solve((ff[i], pp[i]), bb[i], trans=trans) for i in range(ff.shape[0])]),
                        batch + tuple(b.shape[-2:]))
    return bnp.swapaxes(x, -1, -2) if not left else x


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from :func:`lu_factor`'s packed result (``torch.lu_unpack``)."""
    f = _t(LU_data)
    piv = np.asarray(_t(LU_pivots)._data) - 1
    m, n = f.shape[-2:]
    k = min(m, n)
    from backchain._rules.scipy_linalg import _piv_permutation

    def perm_matrix(p):
        order = _piv_permutation(p, m)  # row i of P^T A is row order[i] of A
        P = np.zeros((m, m), dtype=np.asarray(f._data).dtype)
        P[order, np.arange(m)] = 1.0
        return P
    P = perm_matrix(piv) if piv.ndim == 1 else np.stack([perm_matrix(p) for p in piv.reshape(-1, k)]).reshape(
        piv.shape[:-1] + (m, m))
    dtype = np.asarray(f._data).dtype
    L = f[..., :, :k] * np.tril(np.ones((m, k), dtype=dtype), -1) + np.eye(m, k, dtype=dtype)
    U = f[..., :k, :] * np.triu(np.ones((k, n), dtype=dtype))
    return _LUResult(wrap_result(P) if unpack_pivots else None, L if unpack_data else None,
                     U if unpack_data else None)


__all__ += ["lu", "lu_factor", "lu_solve"]
