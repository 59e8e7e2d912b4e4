"""Linear algebra: products, contractions, decompositions, solves, norms.

Products (``matmul``, ``einsum``, ``cross``) and the diagonal are bilinear or
linear primitives; ``dot``, ``inner``, ``outer``, ``tensordot``, ``kron``,
``trace`` and ``diag`` are composites of them. Decompositions (``inv``,
``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh``, ``eig``, ``svd``,
``qr``, ``pinv``) are primitives whose rules are written with
``backchain.numpy``, so they can be differentiated again.

Every function accepts stacked matrices (``(..., M, N)``) wherever NumPy does.

Conventions (stated where chosen below):

* ``cholesky`` and ``eigh`` read one triangle of their input only, as NumPy's
  do; their derivative is the exact derivative of that function, so the
  gradient lives on the triangle read (the off-diagonal entries receive the
  sum of the symmetric gradient's two entries). Composed with a symmetric
  construction such as ``x + x.T`` this equals the symmetric convention of
  PyTorch and JAX.
* ``norm`` at the zero vector has gradient 0 (the minimum-norm subgradient,
  DESIGN.md section 4); the 1-norm gives 0 at a zero component; ``inf`` norms
  split the gradient evenly among tied maxima.
"""
import string
from collections import Counter

import numpy as np
from numpy.linalg._linalg import EighResult, EigResult, QRResult, SlogdetResult, SVDResult  # NumPy 2's named results

import backchain.numpy as bnp
from .. import _ld
from .._core.primitive import Joint, primitive, safe_times
from .._core.tensor import Tensor
from ..numpy._arraylike import stacked, stacked_each
from .._vmap import rules as R

__all__ = ["matmul", "dot", "vdot", "vecdot", "matvec", "vecmat", "inner", "outer", "tensordot", "einsum",
           "kron", "trace", "diag", "diagonal", "cross"]


def _data(a):
    return a._data if isinstance(a, Tensor) else a


def _any_tensor(*args):
    for a in args:
        if isinstance(a, Tensor):
            return True
    return False


def _eye(n, like):
    return np.eye(n, dtype=np.result_type(_data(like).dtype, np.float32))


def _real_dtype(like):
    """The real floating dtype of ``like`` (float32 for float32 and complex64): constant masks
    made in it keep float32 tangents float32."""
    return np.finfo(np.result_type(_data(like).dtype, np.float32)).dtype


def _tril_mask(n, k=0, like=None):
    m = np.tril(np.ones((n, n)), k)
    return m if like is None else m.astype(_real_dtype(like))


# ---------------------------------------------------------------------------
# matmul and the products built on it

def _matmul_vjp_a(g, ans, a, b):
    if b.ndim == 1:
        return g * b if a.ndim == 1 else bnp.expand_dims(g, -1) * b
    if a.ndim == 1:
        return bnp.matmul(b, bnp.expand_dims(g, -1))[..., 0]
    return bnp.matmul(g, bnp.swapaxes(b, -1, -2))


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 1:
        return g * a if b.ndim == 1 else bnp.expand_dims(a, -1) * bnp.expand_dims(g, -2)
    if b.ndim == 1:
        return bnp.matmul(bnp.swapaxes(a, -1, -2), bnp.expand_dims(g, -1))[..., 0]
    return bnp.matmul(bnp.swapaxes(a, -1, -2), g)


matmul = primitive("matmul", np.matmul, vjp=(_matmul_vjp_a, _matmul_vjp_b), linear=True, batch=R.matmul_rule)


def _norm_axes(axes, ndim, op):
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(f"{op}: axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim)
    return out


def _moveaxes_last(x, axes):
    """Transpose ``x`` so that ``axes`` (non-negative) come last, in that order."""
    nd = np.ndim(_data(x))
    perm = [i for i in range(nd) if i not in axes] + list(axes)
    if perm == list(range(nd)):
        return x
    return bnp.transpose(x, perm)


def tensordot(a, b, axes=2):
    """``numpy.tensordot``, differentiable (a composite of transpose, reshape and matmul)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.tensordot(a, b, axes)
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ax_a, ax_b = list(range(len(sa) - n, len(sa))), list(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a, ax_b = _norm_axes(ax_a, len(sa), "tensordot"), _norm_axes(ax_b, len(sb), "tensordot")
    if len(ax_a) != len(ax_b) or any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError(f"tensordot: shape mismatch for sum: {sa} axes {ax_a} and {sb} axes {ax_b}")
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [j for j in range(len(sb)) if j not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a]))
    at = bnp.reshape(_moveaxes_last(a, ax_a), (int(np.prod([sa[i] for i in free_a])), k))
    perm_b = ax_b + free_b
    bt = b if perm_b == list(range(len(sb))) else bnp.transpose(b, perm_b)
    bt = bnp.reshape(bt, (k, int(np.prod([sb[j] for j in free_b]))))
    return bnp.reshape(matmul(at, bt), tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))


def dot(a, b, out=None):
    """``numpy.dot``, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.dot(a, b, out=out)
    if out is not None:
        raise TypeError("dot: out= is not supported for differentiable arrays")
    na, nb = np.ndim(_data(a)), np.ndim(_data(b))
    if na == 0 or nb == 0:
        return bnp.multiply(a, b)
    if nb == 1 or (na <= 2 and nb <= 2) or na == 1:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def inner(a, b):
    """``numpy.inner``: contraction over the last axes, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.inner(a, b)
    if np.ndim(_data(a)) == 0 or np.ndim(_data(b)) == 0:
        return bnp.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None):
    """``numpy.outer`` (inputs are flattened), differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.outer(a, b, out=out)
    return bnp.reshape(a, (-1, 1)) * bnp.reshape(b, (1, -1))


def vdot(a, b):
    """``numpy.vdot``: ``sum(conj(a) * b)`` over the flattened inputs, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.vdot(a, b)
    a = bnp.reshape(a, (-1,))
    if np.iscomplexobj(_data(a)):
        a = bnp.conj(a)
    return bnp.sum(a * bnp.reshape(b, (-1,)))


def vecdot(x1, x2, /, *, axis=-1):
    """``numpy.vecdot``: ``sum(conj(x1) * x2, axis)`` with broadcasting, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.vecdot(bnp.array([[1.0, 2.0], [3.0, 4.0]]), bnp.array([1.0, -1.0]))
    array([-1., -1.])
    """
    if x1.__class__ is list or x1.__class__ is tuple:
        x1 = stacked(x1)
    if x2.__class__ is list or x2.__class__ is tuple:
        x2 = stacked(x2)
    if not _any_tensor(x1, x2):
        return np.vecdot(x1, x2, axis=axis)
    return bnp.sum(bnp.conj(x1) * x2 if np.iscomplexobj(_data(x1)) else x1 * x2, axis=axis)


def matvec(x1, x2, /):
    """``numpy.matvec``: matrix (..., m, n) times vector (..., n), broadcast, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.matvec(bnp.array([[1.0, 2.0], [3.0, 4.0]]), bnp.array([1.0, 1.0]))
    array([3., 7.])
    """
    if x1.__class__ is list or x1.__class__ is tuple:
        x1 = stacked(x1)
    if x2.__class__ is list or x2.__class__ is tuple:
        x2 = stacked(x2)
    if not _any_tensor(x1, x2):
        return np.matvec(x1, x2)
    return matmul(x1, bnp.expand_dims(x2, -1))[..., 0]


def vecmat(x1, x2, /):
    """``numpy.vecmat``: conj(vector) (..., m) times matrix (..., m, n), broadcast, differentiable.

    >>> import backchain.numpy as bnp
    >>> bnp.vecmat(bnp.array([1.0, 1.0]), bnp.array([[1.0, 2.0], [3.0, 4.0]]))
    array([4., 6.])
    """
    if x1.__class__ is list or x1.__class__ is tuple:
        x1 = stacked(x1)
    if x2.__class__ is list or x2.__class__ is tuple:
        x2 = stacked(x2)
    if not _any_tensor(x1, x2):
        return np.vecmat(x1, x2)
    v = bnp.conj(x1) if np.iscomplexobj(_data(x1)) else x1
    return matmul(bnp.expand_dims(v, -2), x2)[..., 0, :]


def kron(a, b):
    """``numpy.kron``, differentiable (a broadcast product reshaped)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.kron(a, b)
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    ra = bnp.reshape(a, tuple(x for n in sa for x in (n, 1)))
    rb = bnp.reshape(b, tuple(x for n in sb for x in (1, n)))
    return bnp.reshape(ra * rb, tuple(p * q for p, q in zip(sa, sb)))


# ---------------------------------------------------------------------------
# einsum

_LETTERS = string.ascii_letters


def _parse_einsum(subscripts, shapes):
    """Explicit form of ``subscripts``: ellipses replaced by letters, output given."""
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand subscripts in '{subscripts}' but {len(shapes)} operands")
    free = [c for c in _LETTERS if c not in s]
    ell_nd = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            ell_nd = max(ell_nd, len(shape) - (len(term) - 3))
    ell = "".join(free[:ell_nd])
    new = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            k = len(shape) - (len(term) - 3)
            term = term.replace("...", ell[ell_nd - k:] if k > 0 else "")
        if len(term) != len(shape) or not all(c in _LETTERS for c in term):
            raise ValueError(f"einsum: subscripts '{term}' do not match an operand of shape {shape}")
        new.append(term)
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = Counter(c for c in ins if c in _LETTERS)
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return new, out


def _einsum_vjp(i, g, ans, *operands, subscripts, optimize):
    ins, out = subscripts.split("->")
    terms = ins.split(",")
    term = terms[i]
    others = [t for k, t in enumerate(terms) if k != i]
    other_ops = [op for k, op in enumerate(operands) if k != i]
    sizes = dict(zip(term, operands[i].shape))
    reach = set(out).union(*others)
    uniq = "".join(dict.fromkeys(term))
    keep = "".join(c for c in uniq if c in reach)
    if others or out != keep:
        v = _einsum(g, *other_ops, subscripts=",".join([out] + others) + "->" + keep, optimize=optimize)
    else:
        v = g
    if keep != uniq:  # letters summed in this operand only: the cotangent is constant along them
        v = bnp.reshape(v, tuple(sizes[c] if c in keep else 1 for c in uniq))
        v = bnp.broadcast_to(v, tuple(sizes[c] for c in uniq))
    if uniq != term:  # repeated letters (a diagonal of this operand): place v on that diagonal
        fresh = iter(c for c in _LETTERS if c not in subscripts)
        seen, spread, deltas = set(), "", []
        for c in term:
            if c in seen:
                d = next(fresh)
                deltas.append(c + d)
                spread += d
            else:
                seen.add(c)
                spread += c
        eyes = [_eye(sizes[d[0]], g) for d in deltas]
        v = _einsum(v, *eyes, subscripts=",".join([uniq] + deltas) + "->" + spread, optimize=optimize)
    return v


_einsum = primitive(
    "einsum", lambda *ops, subscripts, optimize: np.einsum(subscripts, *ops, optimize=optimize),
    vjp=_einsum_vjp, variadic=True, linear=True,
    batch=R.einsum_rule,
)


def _interleaved(args):
    """``einsum(op0, sublist0, op1, sublist1, ..., [sublistout])`` as a subscripts string."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    ops, terms = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = None
    if len(ops) > len(terms):
        out = letters(ops.pop())
    return ",".join(terms) + ("" if out is None else "->" + out), ops


def einsum(*operands, out=None, optimize=False, **kwargs):
    """``numpy.einsum``, differentiable in every operand.

    The VJP for operand ``i`` is another einsum of the cotangent with the other
    operands; repeated letters (traces, diagonals), letters summed in one operand
    only, ellipses and the implicit output are handled. ``optimize`` is passed
    to NumPy.
    """
    operands = stacked_each(operands)
    if not _any_tensor(*operands):
        return np.einsum(*operands, out=out, optimize=optimize, **kwargs)
    if out is not None or kwargs:
        raise TypeError(f"einsum: {'out=' if out is not None else sorted(kwargs)} not supported "
                        "for differentiable arrays")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _interleaved(operands)
    shapes = [np.shape(_data(o)) for o in ops]
    terms, outs = _parse_einsum(subscripts, shapes)
    sizes = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n != 1 and n != sizes[c]:
                raise ValueError(
                    f"einsum: subscript '{c}' has size {sizes[c]} in one operand and {n} in another "
                    f"('{subscripts}' with operand shapes {shapes})")
    # Broadcast size-1 dimensions explicitly, so the VJP of the primitive sees no broadcasting.
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        full = tuple(sizes[c] for c in term)
        if full != shape:
            ops[k] = bnp.broadcast_to(ops[k], full)
    return _einsum(*ops, subscripts=",".join(terms) + "->" + outs, optimize=optimize)


# ---------------------------------------------------------------------------
# diagonal, trace, diag, cross

def _diag_embed_impl(x, shape, offset, axis1, axis2):
    out = np.zeros(shape, dtype=np.asarray(x).dtype)
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = np.shape(x)[-1]
    view[..., np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)] = x
    return out


_diagonal = primitive(
    "diagonal", lambda x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2),
    vjp=(lambda g, ans, x, offset, axis1, axis2: _diag_embed(
        g, shape=x.shape, offset=offset, axis1=axis1, axis2=axis2),),
    linear=True,
    batch=R.diagonal_rule,
)

_diag_embed = primitive(
    "diagonal_embed", _diag_embed_impl,
    vjp=(lambda g, ans, x, shape, offset, axis1, axis2: _diagonal(
        g, offset=offset, axis1=axis1, axis2=axis2),),
    linear=True,
    doc="Zeros of `shape` with `x` on the diagonal (offset, axis1, axis2): the transpose of `diagonal`.",
    batch=R.diagonal_embed_rule,
)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """``numpy.diagonal``, differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.diagonal(a, offset, axis1, axis2)
    nd = np.ndim(a._data)
    axis1, axis2 = _norm_axes((axis1, axis2), nd, "diagonal")
    if axis1 == axis2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    return _diagonal(a, offset=int(offset), axis1=axis1, axis2=axis2)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``numpy.trace``, differentiable (the sum of ``diagonal``)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.trace(a, offset, axis1, axis2, dtype, out)
    if out is not None:
        raise TypeError("trace: out= is not supported for differentiable arrays")
    t = bnp.sum(diagonal(a, offset, axis1, axis2), axis=-1)
    return t if dtype is None else bnp.astype(t, dtype)


def diag(v, k=0):
    """``numpy.diag``: a 1-D input becomes a 2-D matrix with it on diagonal ``k``;
    a 2-D input gives its ``k``-th diagonal. Differentiable."""
    if v.__class__ is list or v.__class__ is tuple:
        v = stacked(v)
    if not _any_tensor(v):
        return np.diag(v, k)
    nd = np.ndim(v._data)
    if nd == 1:
        n = v.shape[0] + abs(int(k))
        return _diag_embed(v, shape=(n, n), offset=int(k), axis1=0, axis2=1)
    if nd == 2:
        return _diagonal(v, offset=int(k), axis1=0, axis2=1)
    raise ValueError(f"diag: input must be 1-d or 2-d, got shape {v.shape}")


_cross = primitive(
    "cross", lambda a, b: np.cross(a, b),
    vjp=(lambda g, ans, a, b: _cross(b, g), lambda g, ans, a, b: _cross(g, a)),
    linear=True,
    batch=R.ELEMENTWISE,
)

_PAD2 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross`` of 3-vectors (2-vectors are padded with a zero z), differentiable."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = _moveaxes_last(a, _norm_axes((axisa,), np.ndim(_data(a)), "cross"))
    b = _moveaxes_last(b, _norm_axes((axisb,), np.ndim(_data(b)), "cross"))
    na, nb = np.shape(_data(a))[-1], np.shape(_data(b))[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), "
                         f"got {na} and {nb}")
    if na == 2:
        a = matmul(a, _PAD2)
    if nb == 2:
        b = matmul(b, _PAD2)
    c = _cross(a, b)
    if na == 2 and nb == 2:
        return c[..., 2]
    nd = np.ndim(c._data)
    axisc = _norm_axes((axisc,), nd, "cross")[0]
    if axisc != nd - 1:
        perm = list(range(nd - 1))
        perm.insert(axisc, nd - 1)
        c = bnp.transpose(c, perm)
    return c


# ---------------------------------------------------------------------------
# inverse, solve, determinants

def _mT(x):
    return bnp.swapaxes(x, -1, -2)


_inv = primitive(
    "inv", np.linalg.inv,
    vjp=(lambda g, ans, a: -matmul(_mT(ans), matmul(g, _mT(ans))),),
    jvp=(lambda t, ans, a: -matmul(ans, matmul(t, ans)),),
    batch=R.stacks,
)


def inv(a):
    """``numpy.linalg.inv``; d inv(A) = -inv(A) dA inv(A)."""
    return _inv(a)


def _solve_vjp_b(g, ans, a, b):
    if b.ndim == 1:
        return _solve(_mT(a), bnp.expand_dims(g, -1))[..., 0]
    return _solve(_mT(a), g)


def _solve_vjp_a(g, ans, a, b):
    gb = _solve_vjp_b(g, ans, a, b)
    if b.ndim == 1:
        return -bnp.expand_dims(gb, -1) * bnp.expand_dims(ans, -2)
    return -matmul(gb, _mT(ans))


def _solve_jvp_a(t, ans, a, b):
    if b.ndim == 1:
        return -_solve(a, matmul(t, bnp.expand_dims(ans, -1)))[..., 0]
    return -_solve(a, matmul(t, ans))


_solve = primitive(
    "solve", np.linalg.solve,
    vjp=(_solve_vjp_a, _solve_vjp_b),
    jvp=(_solve_jvp_a, lambda t, ans, a, b: _solve(a, t)),
    batch=R.solve_rule,
)


def solve(a, b):
    """``numpy.linalg.solve`` (``b`` a vector when 1-D, else a stack of matrices)."""
    return _solve(a, b)


def _inv_T(a):
    return _mT(_inv(a))


def _minors_cofactor(a):
    """The cofactor matrix from the (n-1) x (n-1) minors: exact at any rank, and differentiable
    again through the minors' determinants (the second derivative of det at a rank n - 2 matrix
    is not 0 although its cofactor matrix is). n^2 determinants of size n - 1: for small n."""
    n = a.shape[-1]
    if n == 1:
        return bnp.ones_like(a)
    keep = np.array([[j for j in range(n) if j != i] for i in range(n)])  # keep[i]: all but i
    minors = a[..., keep[:, None, :, None], keep[None, :, None, :]]  # (..., i, j, n-1, n-1)
    sign = (1.0 - 2.0 * (np.add.outer(np.arange(n), np.arange(n)) % 2)).astype(_real_dtype(a))
    return _small_det(minors) * sign


def _small_det(m):
    """det, written out up to 3 x 3 (exact for small integers, where LAPACK's LU rounds)."""
    n = m.shape[-1]
    if n == 1:
        return m[..., 0, 0]
    if n == 2:
        return m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
    if n == 3:
        return bnp.sum(m[..., 0, :] * _cross(m[..., 1, :], m[..., 2, :]), axis=-1)
    return _det(m)


def _svd_cofactor(a):
    """The cofactor matrix from the SVD A = U S V^H: det(U) det(V^H) conj(U) adj(S) conj(V^H),
    with adj(S) = diag(prod_{j != i} s_j); O(n^3), for larger n."""
    u, s, vh = _svd(a)
    n = a.shape[-1]
    others = bnp.prod(bnp.where(np.eye(n, dtype=bool), 1.0, bnp.expand_dims(s, -2)), axis=-1)
    scale = bnp.expand_dims(bnp.expand_dims(_det(u) * _det(vh), -1), -1)
    return scale * matmul(_cj(u) * bnp.expand_dims(others, -2), _cj(vh))


def _singular_cofactor(a):
    """The cofactor matrix (the adjugate's transpose) without an inverse, for singular matrices:
    from the minors (n <= 16) or the SVD."""
    return _minors_cofactor(a) if a.shape[-1] <= 16 else _svd_cofactor(a)


def _but_singular(singular, a):
    """``a`` with the matrices marked ``singular`` replaced by the identity (to invert the others)."""
    return bnp.where(singular[..., None, None], _eye(a.shape[-1], a), a)


def _det_grad(ans, a):
    """d det(A) / dA = det(A) A^-T, the cofactor matrix, also where A is singular (LAPACK's det
    exactly 0): there from the minors or the SVD, not from an inverse that does not exist."""
    singular = np.asarray(_data(ans)) == 0
    if not np.any(singular):
        return bnp.expand_dims(bnp.expand_dims(ans, -1), -1) * _inv_T(a)
    cof = _singular_cofactor(a)
    if np.all(singular):
        return cof
    regular = bnp.expand_dims(bnp.expand_dims(ans, -1), -1) * _inv_T(_but_singular(singular, a))
    return bnp.where(singular[..., None, None], cof, regular)


# At a singular A, d det(A) = tr(adj(A) dA): the cofactor matrix, not det * inv(A)^T (which
# would fail); e.g. [[4, -2], [-2, 1]] at [[1, 2], [2, 4]], and 0 at a matrix of rank n - 2.
_det = primitive(
    "det", np.linalg.det,
    vjp=(lambda g, ans, a: bnp.expand_dims(bnp.expand_dims(g, -1), -1) * _det_grad(ans, a),),
    jvp=(lambda t, ans, a: bnp.sum(_det_grad(ans, a) * t, axis=(-2, -1)),),
    kinks="singular matrices: the cofactor matrix (the adjugate's transpose), 0 at rank n - 2",
    batch=R.stacks,
)


def det(a):
    """``numpy.linalg.det``; d det(A) = tr(adj(A) dA) = det(A) tr(inv(A) dA), also at singular A."""
    return _det(a)


def _slogdet_inv_T(ans, a):
    """A^-T, the gradient of log|det A|. At a singular A (sign 0) no derivative exists (the value
    is -inf, and every direction that moves det raises it): the cofactor matrix divided by +0,
    i.e. +-inf with the cofactor's sign (the limit from the side where det > 0, along the
    cofactor), NaN where the cofactor is 0 (0 / 0; every entry at rank n - 2). A constant:
    no higher derivative there."""
    singular = np.asarray(_data(ans[0])) == 0
    if not np.any(singular):
        return _inv_T(a)
    cof = np.asarray(_data(_singular_cofactor(_data(a))))
    with np.errstate(divide="ignore", invalid="ignore"):
        at_pole = cof / np.zeros((), cof.dtype)
    return bnp.where(singular[..., None, None], at_pole, _inv_T(_but_singular(singular, a)))


def _slogdet_vjp(g, ans, a):
    # d log det(A) = tr(A^-1 dA) =: tau; logabsdet moves with Re(tau) and, for complex A, the sign
    # (a phase) with i Im(tau): d sign = i sign Im(tau). Transposed under Re(sum(a * b)): the
    # cotangent of A is (Re g_logabsdet + i Im(g_sign sign)) A^-T. A real sign is constant.
    # (safe_times: a zero coefficient, the cotangent of an unused logabsdet, times the infinite
    # A^-T of a singular A gives 0, so the real sign's gradient is 0 there too)
    coef = g[1]
    if np.iscomplexobj(_data(a)):
        coef = bnp.real(coef) + 1j * bnp.imag(g[0] * ans[0])
    return safe_times(bnp.expand_dims(bnp.expand_dims(coef, -1), -1), _slogdet_inv_T(ans, a))


def _slogdet_jvp(t, ans, a):
    sign = ans[0]
    tau = bnp.sum(safe_times(t, _slogdet_inv_T(ans, a)), axis=(-2, -1))
    if np.iscomplexobj(_data(a)):
        return [1j * sign * bnp.imag(tau), bnp.real(tau)]
    return [bnp.zeros_like(sign), tau]


_slogdet = primitive(
    "slogdet", lambda a: tuple(np.linalg.slogdet(a)),
    vjp=(_slogdet_vjp,), jvp=(_slogdet_jvp,), multiple_results=True,
    kinks="a real sign has derivative 0; singular A: logabsdet's gradient is the cofactor matrix / +0",
    batch=R.stacks,
)


def slogdet(a):
    """``numpy.linalg.slogdet``: ``(sign, logabsdet)``. A real sign is piecewise constant (derivative
    0); a complex one, ``det / |det|``, moves with the determinant's phase."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.slogdet(a)
    return SlogdetResult(*_slogdet(a))


# ---------------------------------------------------------------------------
# Cholesky and the symmetric eigenproblem: exact derivatives of the triangle read

def _half_tril(n, upper=False, like=None):
    """tril (or triu) of ones with 1/2 on the diagonal, in ``like``'s real dtype (float64 if None)."""
    m = _tril_mask(n) - 0.5 * np.eye(n)
    m = m.T if upper else m
    return m if like is None else m.astype(_real_dtype(like))


def _sym_from_triangle(t, upper=False):
    """The symmetric (Hermitian) matrix that NumPy's routine sees when given ``t``: one triangle
    mirrored (conjugated), and for complex ``t`` only the real part of the diagonal (LAPACK
    ignores its imaginary part)."""
    n = t.shape[-1]
    strict = _tril_mask(n, -1, like=t)
    if upper:
        strict = strict.T
    if np.iscomplexobj(_data(t)):
        return t * strict + bnp.real(t) * np.eye(n, dtype=_real_dtype(t)) + bnp.conj(_mT(t * strict))
    return t * (strict + _eye(n, t)) + _mT(t * strict)


def _ct(x):
    """The conjugate transpose of the last two axes (the transpose for real ``x``)."""
    return bnp.conj(_mT(x)) if np.iscomplexobj(_data(x)) else _mT(x)


def _cj(x):
    return bnp.conj(x) if np.iscomplexobj(_data(x)) else x


def _cholesky_vjp(g, ans, a):
    # Murray (2016), arXiv:1602.07527: S = L^-T phi(L^T g) L^-1; the gradient on
    # the lower triangle read is phi(S + S^T). Complex (A = L L^H): S = L^-T phi(L^T g) conj(L^-1)
    # and phi(S + S^H), the transpose of the JVP below under the pairing Re(sum(a * b)).
    n = a.shape[-1]
    phi = _half_tril(n, like=a)
    linv = _inv(ans)
    s = matmul(_mT(linv), matmul(matmul(_mT(ans), g) * phi, _cj(linv)))
    return (s + _ct(s)) * phi


def _cholesky_jvp(t, ans, a):
    # dL = L phi(L^-1 dA L^-H), dA the Hermitian matrix the triangle read stands for
    n = a.shape[-1]
    linv = _inv(ans)
    da = _sym_from_triangle(t)
    return matmul(ans, matmul(linv, matmul(da, _ct(linv))) * _half_tril(n, like=t))


_cholesky = primitive("cholesky", lambda a: np.linalg.cholesky(a), vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
                      batch=R.stacks)


def cholesky(a, /, *, upper=False):
    """``numpy.linalg.cholesky`` (real symmetric or complex Hermitian, positive definite).

    Like NumPy, only the lower triangle of ``a`` is read (the upper with
    ``upper=True``), and of a complex diagonal only the real part; the gradient
    is exact for that function, so it is zero on the triangle not read.
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.cholesky(a, upper=upper)
    if upper:  # A = U^H U with U = L^H, L the factor of the lower triangle of A^T (A^H for complex)
        return _ct(_cholesky(_ct(a)))
    return _cholesky(a)


def _eig_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = w.shape[-1]
    eye = _eye(n, w)
    return 1.0 / (bnp.expand_dims(w, -2) - bnp.expand_dims(w, -1) + eye) - eye


def _eigh_vjp(needs, g, ans, a, UPLO):
    # the transpose of the JVP below; complex: temp = conj(V) K V^T and the triangle's
    # cotangent is phi(temp + temp^H) (pairing Re(sum(a * b))). An unused output's cotangent is
    # None (a symbolic zero): without eigenvectors no 1 / (w_j - w_i) is formed, so eigvalsh has
    # its exact gradient at repeated eigenvalues too (sum(eigvalsh(A)) = trace(A): I).
    w, v = ans
    gw, gv = g
    inner_ = 0.0
    if gv is not None:
        inner_ = matmul(_mT(v), gv) * _eig_gaps(w)
    if gw is not None:
        inner_ = inner_ + bnp.expand_dims(gw, -2) * _eye(w.shape[-1], w)
    temp = matmul(_cj(v), matmul(inner_, _mT(v)))
    return ((temp + _ct(temp)) * _half_tril(a.shape[-1], upper=UPLO == "U", like=temp),)


def _eigh_jvp(t, ans, a, UPLO):
    # M = V^H dA V: dw = diag(M) (real), dV = V (F * M), F[i, j] = 1 / (w[j] - w[i]); the
    # eigenvectors' phases (signs, for real input) are held fixed
    w, v = ans
    m = matmul(_ct(v), matmul(_sym_from_triangle(t, upper=UPLO == "U"), v))
    dw = _diagonal(m, offset=0, axis1=m.ndim - 2, axis2=m.ndim - 1)
    if np.iscomplexobj(_data(m)):
        dw = bnp.real(dw)
    return [dw, matmul(v, _eig_gaps(w) * m)]


_eigh = primitive(
    "eigh", lambda a, UPLO: tuple(np.linalg.eigh(a, UPLO)),
    vjp=Joint(_eigh_vjp, 1, symbolic_zeros=True), jvp=(_eigh_jvp,), multiple_results=True,
    kinks="repeated eigenvalues: eigenvector derivative undefined (division by w_j - w_i)",
    batch=R.stacks,
)


def eigh(a, UPLO="L"):
    """``numpy.linalg.eigh`` (real symmetric or complex Hermitian): ``(eigenvalues, eigenvectors)``.

    Only the ``UPLO`` triangle is read, as in NumPy (of a complex diagonal, only
    the real part), and the gradient is exact for that function. Eigenvector
    derivatives use F[i, j] = 1 / (w[j] - w[i]), so they need distinct
    eigenvalues; functions of the eigenvectors should be invariant to each
    eigenvector's sign (its phase, for complex input): the derivative holds the
    phases fixed.
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.eigh(a, UPLO)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*_eigh(a, UPLO=UPLO))


def eigvalsh(a, UPLO="L"):
    """``numpy.linalg.eigvalsh``, differentiable (through ``eigh``)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.eigvalsh(a, UPLO)
    return eigh(a, UPLO)[0]


# ---------------------------------------------------------------------------
# general eigenproblem (complex outputs)

def _eig_jvp(t, ans, a):
    # JAX's rule: dw = diag(v^-1 dA v); dv = v (F * v^-1 dA v), then the change of
    # each column's norm removed (NumPy returns unit-norm eigenvectors).
    w, v = ans
    m = matmul(_solve(v, t), v)
    dw = _diagonal(m, offset=0, axis1=m.ndim - 2, axis2=m.ndim - 1)
    du = matmul(v, _eig_gaps(w) * m)
    dv = du - v * bnp.expand_dims(bnp.sum(bnp.real(bnp.conj(v) * du), axis=-2), -2)
    return [dw, dv]


def _eig_vjp(needs, g, ans, a):
    # an unused output's cotangent is None (a symbolic zero): eigvals forms no 1 / (w_j - w_i),
    # so its gradient is exact at repeated (but diagonalizable) eigenvalues
    w, v = ans
    gw, gv = g
    gm = 0.0
    if gv is not None:  # transpose of the normalization step (pairing Re(sum(a * b)))
        s = bnp.sum(bnp.real(gv * v), axis=-2)
        gdu = gv - bnp.conj(v) * bnp.expand_dims(s, -2)
        gm = _eig_gaps(w) * matmul(_mT(v), gdu)
    if gw is not None:
        gm = gm + bnp.expand_dims(gw, -2) * _eye(w.shape[-1], w)
    return (matmul(_mT(_inv(v)), matmul(gm, _mT(v))),)


_eig = primitive(
    "eig", lambda a: tuple(np.linalg.eig(a)),
    vjp=Joint(_eig_vjp, 1, symbolic_zeros=True), jvp=(_eig_jvp,), multiple_results=True,
    kinks="repeated eigenvalues: eigenvector derivative undefined",
    batch=R.stacks,
)


def eig(a):
    """``numpy.linalg.eig``: ``(eigenvalues, eigenvectors)``, complex in general.

    Eigenvectors are unit-norm with an arbitrary phase, so only functions
    invariant to each eigenvector's phase have meaningful derivatives.
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.eig(a)
    return EigResult(*_eig(a))


def eigvals(a):
    """``numpy.linalg.eigvals``, differentiable (complex output in general)."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.eigvals(a)
    return _eig(a)[0]


# ---------------------------------------------------------------------------
# SVD, QR, pseudo-inverse

def _svd_parts(s):
    k = s.shape[-1]
    eye = _eye(k, s)
    s2 = s * s
    f = 1.0 / (bnp.expand_dims(s2, -2) - bnp.expand_dims(s2, -1) + eye) - eye
    return eye, f


def _svd_vjp(g, ans, a):
    # Townsend (2016), "Differentiating the singular value decomposition"; complex input: the
    # transpose of the JVP below under the pairing Re(sum(a * b)) (conjugates where that puts them,
    # and the phase term i Im(diag(U^T gU)) / s).
    u, s, vh = ans
    gu, gs, gvh = g
    v, gv = _ct(vh), _ct(gvh)
    eye, f = _svd_parts(s)
    s_row, s_col = bnp.expand_dims(s, -2), bnp.expand_dims(s, -1)
    utgu = matmul(_mT(u), gu)
    vtgv = matmul(_mT(v), gv)
    j = (f * (utgu - _ct(utgu))) * s_row + eye * bnp.expand_dims(gs, -1) + s_col * (f * (vtgv - _ct(vtgv)))
    if np.iscomplexobj(_data(u)):
        j = j + eye * bnp.expand_dims(1j * bnp.imag(_diagonal(utgu, offset=0, axis1=utgu.ndim - 2,
                                                                 axis2=utgu.ndim - 1)) / s, -1)
    uc, vhc = _cj(u), _cj(vh)
    out = matmul(uc, matmul(j, vhc))
    m, n = a.shape[-2:]
    if m > n:
        out = out + matmul((gu - matmul(uc, utgu)) / s_row, vhc)
    if n > m:
        gvt = _mT(gvh)
        out = out + matmul(uc, _mT((gvt - matmul(v, matmul(vh, gvt))) / s_row))
    return out


def _svd_jvp(t, ans, a):
    # dP = U^H dA V; ds = Re diag(dP); U^H dU = F * (dP S + S dP^H), V^H dV = F * (S dP + dP^H S),
    # and for complex input the phase gauge diag(V^H dV) = 0, so diag(U^H dU) = i Im(diag dP) / s
    u, s, vh = ans
    v = _ct(vh)
    eye, f = _svd_parts(s)
    s_row, s_col = bnp.expand_dims(s, -2), bnp.expand_dims(s, -1)
    dp = matmul(_ct(u), matmul(t, v))
    ds = _diagonal(dp, offset=0, axis1=dp.ndim - 2, axis2=dp.ndim - 1)
    inner_u = f * (dp * s_row + s_col * _ct(dp))
    if np.iscomplexobj(_data(dp)):
        inner_u = inner_u + eye * bnp.expand_dims(1j * bnp.imag(ds) / s, -1)
        ds = bnp.real(ds)
    du = matmul(u, inner_u)
    dv = matmul(v, f * (s_col * dp + _ct(dp) * s_row))
    m, n = a.shape[-2:]
    if m > n:
        dav = matmul(t, v)
        du = du + (dav - matmul(u, matmul(_ct(u), dav))) / s_row
    if n > m:
        dau = matmul(_ct(t), u)
        dv = dv + (dau - matmul(v, matmul(vh, dau))) / s_row
    return [du, ds, _ct(dv)]


_svd = primitive(
    "svd", lambda a: tuple(np.linalg.svd(a, full_matrices=False)),
    vjp=(_svd_vjp,), jvp=(_svd_jvp,), multiple_results=True,
    kinks="repeated or zero singular values: singular vector derivatives undefined",
    batch=R.stacks,
)


def _nonzero_sv(x, ans):
    """``x`` with 0 where the singular value is exactly 0: there s_i, like |x| at 0, has the
    minimum-norm subgradient 0 (DESIGN.md section 4), so the nuclear norm's gradient at a
    rank-deficient A is U_r V_r^H over the non-zero singular values, 0 at A = 0."""
    zero = np.asarray(_data(ans)) == 0
    return bnp.where(zero, 0.0, x) if np.any(zero) else x


def _check_matrix(op, a):
    if np.ndim(_data(a)) < 2:
        raise np.linalg.LinAlgError(f"{op}: expected an array of shape (..., M, N) (a matrix or a stack of "
                                    f"matrices), got shape {np.shape(_data(a))}")


def _svdvals_vjp(g, ans, a):
    # d s_i = Re(u_i^H dA v_i): the cotangent of A is conj(U) diag(g) V^T
    u, _, vh = _svd(a)
    return matmul(_cj(u) * bnp.expand_dims(_nonzero_sv(g, ans), -2), _cj(vh))


def _svdvals_jvp(t, ans, a):
    u, _, vh = _svd(a)
    m = matmul(_ct(u), matmul(t, _ct(vh)))
    d = _diagonal(m, offset=0, axis1=m.ndim - 2, axis2=m.ndim - 1)
    return _nonzero_sv(bnp.real(d) if np.iscomplexobj(_data(d)) else d, ans)


_svdvals = primitive(
    "svdvals", lambda a: np.linalg.svd(a, compute_uv=False),
    vjp=(_svdvals_vjp,), jvp=(_svdvals_jvp,),
    kinks="zero singular values: 0 (min-norm); repeated ones: the derivative of each depends on the basis",
    batch=R.stacks,
)


def svdvals(x, /):
    """``numpy.linalg.svdvals``: singular values, differentiable (d s_i = u_i^T dA v_i)."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.linalg.svdvals(x)
    return _svdvals(x)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``numpy.linalg.svd`` (real or complex), differentiable.

    Gradients need ``full_matrices=False`` for a non-square input (the extra
    columns of a full ``u`` or ``vh`` are not unique). Singular vectors are
    defined up to a joint sign (a joint phase, for complex input), so
    differentiate functions invariant to it (``u @ diag(s) @ vh``, ``abs(u) ** 2``);
    the derivative holds the phases of the right singular vectors fixed.
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    _check_matrix("svd", a)
    if not compute_uv:
        return _svdvals(a)
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            f"svd: the derivative with full_matrices=True is not defined for a non-square input "
            f"(shape {a.shape}); pass full_matrices=False")
    return SVDResult(*_svd(a))


def _qr_vjp(g, ans, a):
    # the transpose of the JVP below under the pairing Re(sum(a * b)): with M = gR R^T - Q^T gQ,
    # N is M on and above the diagonal, conj(M^T) below it, and only Re(M) on the diagonal when
    # complex; the cotangent of A is (gQ + conj(Q) N) R^-T
    q, r = ans
    gq, gr = g
    n = a.shape[-1]
    z = matmul(gr, _mT(r)) - matmul(_mT(q), gq)
    low = _tril_mask(n, -1, like=z)
    ybar = z + (_ct(z) - z) * low
    if np.iscomplexobj(_data(z)):
        eye = np.eye(n, dtype=_real_dtype(z))
        ybar = ybar * (1.0 - eye) + bnp.real(z) * eye
    return matmul(gq + matmul(_cj(q), ybar), _mT(_inv(r)))


def _qr_jvp(t, ans, a):
    # X = dA R^-1, Y = Q^H X; Q^H dQ = W (anti-Hermitian: the strict lower part of Y mirrored, and
    # for complex input i Im(diag Y), since R's diagonal is real); dQ = X + Q (W - Y), dR = (Y - W) R
    q, r = ans
    n = a.shape[-1]
    x = matmul(t, _inv(r))
    y = matmul(_ct(q), x)
    low = y * _tril_mask(n, -1, like=y)
    do = low - _ct(low)
    if np.iscomplexobj(_data(y)):
        do = do + 1j * bnp.imag(y) * np.eye(n, dtype=_real_dtype(y))
    return [matmul(q, do - y) + x, matmul(y - do, r)]


_qr = primitive(
    "qr", lambda a: tuple(np.linalg.qr(a, mode="reduced")),
    vjp=(_qr_vjp,), jvp=(_qr_jvp,), multiple_results=True,
    kinks="rank-deficient input: R is singular and the derivative undefined",
    batch=R.stacks,
)


def qr(a, mode="reduced"):
    """``numpy.linalg.qr`` (real or complex; modes 'reduced' and 'r', and 'complete' of a wide or square
    input), differentiable.

    NumPy's R has a real diagonal (LAPACK's convention), which fixes Q's column phases; the
    derivative keeps that convention."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.qr(a, mode)
    _check_matrix("qr", a)
    m, n = a.shape[-2:]
    if mode not in ("reduced", "r") and not (mode == "complete" and m <= n):
        raise NotImplementedError(
            f"qr: derivatives are implemented for modes 'reduced' and 'r' (and 'complete' when M <= N, where it "
            f"is the same); a complete Q of a tall input is not unique (got shape {a.shape}, mode {mode!r})")
    if m < n:
        # wide: Householder QR factors the leading square block first, so Q is that block's Q,
        # and R = [R_1, Q^H A_2]
        q, r1 = _qr(a[..., :m])
        r = bnp.concatenate([r1, matmul(_ct(q), a[..., m:])], axis=-1)
        return r if mode == "r" else QRResult(q, r)
    q, r = _qr(a)
    return r if mode == "r" else QRResult(q, r)


def _pinv_vjp(g, ans, a, **params):
    # the transpose of the JVP below under the pairing Re(sum(a * b)); for real input the conjugates
    # vanish: -P^T g P^T + (I - AP) g^T P P^T + P^T P g^T (I - PA)
    p = ans
    m, n = a.shape[-2:]
    ima = _eye(m, a) - matmul(a, p)
    inp = _eye(n, a) - matmul(p, a)
    pc, gh = _cj(p), _ct(g)
    return (-matmul(_mT(p), matmul(g, _mT(p)))
            + matmul(_cj(ima), matmul(gh, matmul(pc, _mT(p))))
            + matmul(matmul(_mT(p), pc), matmul(gh, _cj(inp))))


def _pinv_jvp(t, ans, a, **params):
    # Golub and Pereyra (1973), valid where the rank is locally constant:
    # dP = -P dA P + P P^H dA^H (I - AP) + (I - PA) dA^H P^H P
    p = ans
    m, n = a.shape[-2:]
    ima = _eye(m, a) - matmul(a, p)
    inp = _eye(n, a) - matmul(p, a)
    th = _ct(t)
    return (-matmul(p, matmul(t, p))
            + matmul(matmul(p, _ct(p)), matmul(th, ima))
            + matmul(inp, matmul(th, matmul(_ct(p), p))))


def _pinv_impl(a, rcond, hermitian):
    if rcond is None:
        return np.linalg.pinv(a, hermitian=hermitian)
    return np.linalg.pinv(a, rcond, hermitian)


_pinv = primitive("pinv", _pinv_impl, vjp=(_pinv_vjp,), jvp=(_pinv_jvp,),
                  kinks="rank changes: the derivative holds where the rank is locally constant", batch=R.stacks)


def pinv(a, rcond=None, hermitian=False):
    """``numpy.linalg.pinv`` (real or complex), differentiable where the rank is locally constant."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return _pinv_impl(a, rcond, hermitian)
    return _pinv(a, rcond=rcond, hermitian=hermitian)


def lstsq(a, b, rcond=None):
    """``numpy.linalg.lstsq``: ``(x, residuals, rank, s)``, differentiable in ``a`` and ``b`` where the
    rank is locally constant (x = pinv(a) b with NumPy's cut-off for small singular values;
    the residuals and singular values are differentiable too, the rank is an int).

    >>> import backchain as bc, backchain.numpy as bnp
    >>> a = bnp.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> x, res, rank, s = bnp.linalg.lstsq(a, bnp.array([1.0, 2.0, 2.0]))
    >>> x.round(6), res.round(6), int(rank)
    (array([1.166667, 0.5     ]), array([0.166667]), 2)
    >>> bc.grad(lambda b: bnp.linalg.lstsq(a, b)[0][1])(bnp.array([1.0, 2.0, 2.0])).round(6) + 0.0
    array([-0.5,  0. ,  0.5])
    """
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if b.__class__ is list or b.__class__ is tuple:
        b = stacked(b)
    if not _any_tensor(a, b):
        return np.linalg.lstsq(a, b, rcond=rcond)
    if getattr(a, "_batched", False) or getattr(b, "_batched", False):
        return _lstsq_batched(a, b, rcond)
    ad, bd = np.asarray(_data(a)), np.asarray(_data(b))
    if ad.ndim != 2 or bd.ndim not in (1, 2) or bd.shape[0] != ad.shape[0]:
        raise np.linalg.LinAlgError(f"lstsq: a must be 2-D and b 1-D or 2-D with as many rows, got shapes "
                                    f"{ad.shape} and {bd.shape}")
    m, n = ad.shape
    _, res0, rank, _ = np.linalg.lstsq(ad, bd, rcond=rcond)  # NumPy decides the rank and the residuals' form
    cut = np.finfo(np.result_type(ad.dtype, np.float32)).eps * max(m, n) if rcond is None else rcond
    x = matmul(pinv(a, rcond=cut), b)
    if np.size(res0):  # full column rank and more rows than columns: squared norms of the residuals
        r = b - matmul(a, x)
        res = bnp.sum(bnp.real(bnp.conj(r) * r) if np.iscomplexobj(_data(r)) else r * r, axis=0)
        res = bnp.reshape(res, np.shape(res0))
    else:
        res = res0
    return x, res, int(rank), svdvals(a)


def _lstsq_batched(a, b, rcond):
    """``lstsq`` inside ``vmap``: the rank of each example counted from its singular values as NumPy
    counts it (those above the cut-off times the largest), returned batched. The residuals, whose
    shape NumPy makes depend on the rank, are NumPy's where the examples agree on having full
    column rank or not, and every example's squared residual norms (JAX's) where they do not."""
    ashape, bshape = np.shape(a), np.shape(b)
    if len(ashape) != 2 or len(bshape) not in (1, 2) or bshape[0] != ashape[0]:
        raise np.linalg.LinAlgError(f"lstsq: a must be 2-D and b 1-D or 2-D with as many rows, got shapes "
                                    f"{ashape} and {bshape}")
    m, n = ashape
    cut = np.finfo(np.result_type(a.dtype, np.float32)).eps * max(m, n) if rcond is None else rcond
    s = svdvals(a)
    smax = bnp.max(s) if min(m, n) else 0.0
    rank = bnp.sum(bnp.astype(s > cut * smax, np.int64)) if min(m, n) else 0
    x = matmul(pinv(a, rcond=cut), b)
    if m <= n or not getattr(rank, "_batched", False) and int(rank) < n:
        return x, np.zeros((0,), dtype=np.finfo(np.result_type(a.dtype, b.dtype, np.float32)).dtype), rank, s
    if getattr(rank, "_batched", False):
        from .._vmap.batched import any_example

        # a batch whose examples all lack full rank has NumPy's empty residuals; one that mixes ranks
        # has the residuals of every example (JAX's lstsq), one shape for the whole batch
        if not any_example(rank == n):
            return x, np.zeros((0,), dtype=np.finfo(np.result_type(a.dtype, b.dtype, np.float32)).dtype), rank, s
    r = b - matmul(a, x)
    res = bnp.sum(bnp.real(bnp.conj(r) * r) if r.dtype.kind == "c" else r * r, axis=0)
    res = bnp.reshape(res, (1,) if len(bshape) == 1 else bshape[1:])
    return x, res, rank if getattr(rank, "_batched", False) else int(rank), s


# ---------------------------------------------------------------------------
# norms

def _kept_shape(shape, axis):
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _vector_norm_weight(ans, x, ord, axis, keepdims):
    """d norm / d x, elementwise (the shape of ``x``); the kink conventions live here."""
    a = ans if keepdims else bnp.reshape(ans, _kept_shape(x.shape, axis))
    cplx = np.iscomplexobj(_data(x))
    ax = bnp.abs(x)
    at_zero = ax == 0
    if cplx:  # d|z| pairs with conj(z) / |z| (the conjugate-Wirtinger convention)
        direction = bnp.where(at_zero, 0.0, bnp.conj(x) / bnp.where(at_zero, 1.0, ax))
    else:  # sign(0) = 0: the 1-norm's min-norm subgradient at a zero component
        direction = bnp.sign(x)
    zero_norm = a == 0
    if ord == 2:
        # norm at the zero vector: gradient 0 (min-norm subgradient, DESIGN.md section 4)
        num = bnp.conj(x) if cplx else x
        return bnp.where(zero_norm, 0.0, num / bnp.where(zero_norm, 1.0, a))
    if ord == 1:
        return direction
    if ord == 0:
        return bnp.zeros_like(ax)
    if ord in (np.inf, -np.inf):
        # ties for the max (min) |x_i|: the gradient is split evenly among them
        mask = np.asarray(_data(ax) == _data(a))
        share = (mask / np.sum(mask, axis=axis, keepdims=True)).astype(_real_dtype(x))
        return direction * share
    # general p: sign(x) |x|^(p-1) / norm^(p-1); 0 at zero components (p < 1 has
    # infinite slopes of both signs there) and at the zero vector.
    ratio = bnp.where(at_zero, 0.0, bnp.where(at_zero, 1.0, ax) / bnp.where(zero_norm, 1.0, a))
    return bnp.where(at_zero | zero_norm, 0.0, direction * bnp.power(bnp.where(at_zero, 1.0, ratio), ord - 1))


def _vector_norm_vjp(g, ans, x, ord, axis, keepdims):
    if not keepdims:
        g = bnp.reshape(g, _kept_shape(x.shape, axis))
    return g * _vector_norm_weight(ans, x, ord, axis, keepdims)


def _vector_norm_jvp(t, ans, x, ord, axis, keepdims):
    out = bnp.sum(_vector_norm_weight(ans, x, ord, axis, keepdims) * t, axis=axis, keepdims=keepdims)
    return bnp.real(out) if np.iscomplexobj(_data(out)) else out


_vector_norm = primitive(
    "vector_norm",
    lambda x, ord, axis, keepdims: np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord),
    vjp=(_vector_norm_vjp,), jvp=(_vector_norm_jvp,),
    ld=_ld.VECTOR_NORM, kinks="zero vector: 0; 1-norm at a zero component: 0; inf-norm ties: split evenly; ord=0: 0",
    batch=R.reduce_axis,
)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """``numpy.linalg.vector_norm``, differentiable; the gradient at the zero vector is 0."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    nd = np.ndim(x._data)
    if axis is None:
        axis = tuple(range(nd))
    elif isinstance(axis, (int, np.integer)):
        axis = (axis,)
    axis = tuple(sorted(_norm_axes(axis, nd, "vector_norm")))
    if isinstance(ord, str):
        raise ValueError(f"vector_norm: invalid ord {ord!r} for vectors")
    return _vector_norm(x, ord=float(ord) if ord not in (np.inf, -np.inf) else ord, axis=axis, keepdims=keepdims)


def _matrix_norm(x, ord, axis, keepdims):
    nd = np.ndim(x._data)
    r, c = _norm_axes(axis, nd, "norm")
    if r == c:
        raise ValueError("norm: duplicate axes given")
    out_shape = tuple(n for i, n in enumerate(x.shape) if i not in (r, c))
    kept = _kept_shape(x.shape, (r, c))
    if ord in (None, "fro"):
        return _vector_norm(x, ord=2.0, axis=tuple(sorted((r, c))), keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = _svdvals(_moveaxes_last(x, (r, c)))
        if ord == "nuc":
            res = bnp.sum(s, axis=-1)
        else:  # singular values are >= 0: the largest (smallest) is the inf (-inf) norm, ties split
            res = _vector_norm(s, ord=np.inf if ord == 2 else -np.inf, axis=(s.ndim - 1,), keepdims=False)
        return bnp.reshape(res, kept) if keepdims else res
    if ord in (1, -1, np.inf, -np.inf):
        summed, over = (r, c) if ord in (1, -1) else (c, r)
        sums = bnp.sum(bnp.abs(x), axis=summed, keepdims=True)
        res = _vector_norm(sums, ord=np.inf if ord > 0 else -np.inf, axis=(over,), keepdims=True)
        return res if keepdims else bnp.reshape(res, out_shape)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


def norm(x, ord=None, axis=None, keepdims=False):
    """``numpy.linalg.norm`` with every ``ord``, ``axis`` and ``keepdims``, differentiable.

    Kinks: the gradient at the zero vector (or zero matrix, Frobenius) is 0, the
    minimum-norm subgradient; the 1-norm gives 0 at a zero component; max-type
    norms (``inf``, matrix ``1``/``inf``/``2``) split the gradient among ties;
    ``ord=0`` (a count) has derivative 0.
    """
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.linalg.norm(x, ord, axis, keepdims)
    nd = np.ndim(x._data)
    if axis is None:
        if ord is None:
            return _vector_norm(x, ord=2.0, axis=tuple(range(nd)), keepdims=keepdims)
        if nd == 1:
            axis = (0,)
        elif nd == 2:
            axis = (0, 1)
        else:
            raise ValueError(f"norm: improper number of dimensions to norm ({nd}) with ord={ord!r}")
    elif isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(axis)
    if len(axis) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
        return vector_norm(x, axis=axis, keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: improper number of dimensions to norm (axis={axis})")


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """``numpy.linalg.matrix_norm`` over the last two axes, differentiable."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return _matrix_norm(x, ord, (-2, -1), keepdims)


# ---------------------------------------------------------------------------
# composites and pass-throughs

def matrix_power(a, n):
    """``numpy.linalg.matrix_power``: repeated squaring with ``matmul``; negative ``n`` uses ``inv``."""
    if a.__class__ is list or a.__class__ is tuple:
        a = stacked(a)
    if not _any_tensor(a):
        return np.linalg.matrix_power(a, n)
    n = int(n)
    if n == 0:
        return np.linalg.matrix_power(a._data, 0)
    if n < 0:
        a, n = _inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


def multi_dot(arrays, *, out=None):
    """``numpy.linalg.multi_dot`` (left to right), differentiable."""
    arrays = stacked_each(arrays)
    if not _any_tensor(*arrays):
        return np.linalg.multi_dot(arrays, out=out)
    result = arrays[0]
    for b in arrays[1:]:
        result = matmul(result, b)
    return result


def cond(x, p=None):
    """``numpy.linalg.cond``, differentiable (through ``svdvals``, or ``norm`` and ``inv``)."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.linalg.cond(x, p)
    if p in (None, 2, -2):
        s = _svdvals(x)
        big, small = s[..., 0], s[..., -1]
        return big / small if p in (None, 2) else small / big
    return norm(x, p, axis=(-2, -1)) * norm(_inv(x), p, axis=(-2, -1))


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """``numpy.linalg.matrix_rank``: an integer, no derivative."""
    return np.linalg.matrix_rank(_data(A), tol, hermitian, rtol=rtol)


def matrix_transpose(x, /):
    """``numpy.linalg.matrix_transpose``: swap the last two axes, differentiable."""
    if x.__class__ is list or x.__class__ is tuple:
        x = stacked(x)
    if not _any_tensor(x):
        return np.linalg.matrix_transpose(x)
    return _mT(x)


# Names of backchain.numpy.linalg (NumPy's numpy.linalg names) -> functions.
LINALG_EXPORTS = {
    "inv": inv, "solve": solve, "det": det, "slogdet": slogdet, "cholesky": cholesky,
    "eigh": eigh, "eigvalsh": eigvalsh, "eig": eig, "eigvals": eigvals,
    "svd": svd, "svdvals": svdvals, "qr": qr, "pinv": pinv, "lstsq": lstsq,
    "norm": norm, "vector_norm": vector_norm, "matrix_norm": matrix_norm,
    "matrix_power": matrix_power, "matrix_rank": matrix_rank, "cond": cond, "multi_dot": multi_dot,
    "matmul": matmul, "tensordot": tensordot, "outer": outer, "cross": cross,
    "diagonal": lambda x, /, *, offset=0: diagonal(x, offset, -2, -1),
    "trace": lambda x, /, *, offset=0, dtype=None: trace(x, offset, -2, -1, dtype),
    "matrix_transpose": matrix_transpose, "LinAlgError": np.linalg.LinAlgError,
}
