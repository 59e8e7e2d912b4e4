"""Jacobians by batching: one backward sweep for every row (``jacrev``) or one forward sweep for
every column (``jacfwd``), the rows or columns of the identity given to ``vmap`` at once instead
of one sweep per basis vector."""
import numpy as np

from .._core.tensor import Tensor
from .api import _move, active, vmap

__all__ = ["jacobian"]


def _t():
    from .. import transforms

    return transforms


def _leaf_info(leaves):
    shapes, dtypes = [], []
    for x in leaves:
        shapes.append(tuple(np.shape(x)) if isinstance(x, Tensor) else np.shape(np.asarray(x)))
        dt = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
        dtypes.append(dt if dt.kind in "fc" else np.dtype(np.float64))
    return shapes, dtypes


def _basis(shapes, dtypes):
    """The rows of the identity, cut into one array per leaf: leaf ``i`` gets shape ``(n,) + shapes[i]``."""
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    n = sum(sizes)
    dtype = np.result_type(*dtypes) if dtypes else np.float64
    eye = np.eye(n, dtype=dtype)
    out, k = [], 0
    for s, m, dt in zip(shapes, sizes, dtypes):
        out.append(eye[:, k:k + m].astype(dt, copy=False).reshape((n,) + s))
        k += m
    return out, sizes, n


def _rows(stacked, k, m, shape):
    """Rows ``k:k+m`` of ``stacked`` (of shape ``(n,) + inner``), shaped ``shape + inner``."""
    inner = tuple(np.shape(stacked))[1:]
    if isinstance(stacked, Tensor):
        from .. import numpy as bnp

        return bnp.reshape(stacked[k:k + m], shape + inner)
    return np.reshape(np.asarray(stacked)[k:k + m], shape + inner)


def _map(fn, basis):
    """``vmap(fn)(*basis)``; while ``bc.jit`` traces, one sweep per basis vector instead, stacked as
    values of the program being traced (the tracer records primitive calls, not batched values)."""
    from .._core import primitive as _pm

    tracer = _pm._trace_hook
    if tracer is None:
        return vmap(fn, _internal=True)(*basis)
    from .. import numpy as bnp

    t = _t()
    results = [fn(*[b[i] for b in basis]) for i in range(len(basis[0]))]
    flat = [t.tree_flatten(r)[0] for r in results]
    unflatten = t.tree_flatten(results[0])[1]
    return unflatten([bnp.stack([tracer.track_tensor(f[k]) for f in flat]) for k in range(len(flat[0]))])


def jacobian(f, args, nums, single, mode):
    """The Jacobian of ``f`` at ``args`` with respect to the arguments ``nums`` (see ``transforms.jacobian``)."""
    t = _t()
    xs = tuple(args[i] for i in nums)
    x_leaves, x_unflatten = t.tree_flatten(list(xs))
    x_shapes, x_dtypes = _leaf_info(x_leaves)

    def g(*diff):
        full = list(args)
        for i, d in zip(nums, diff):
            full[i] = d
        return f(*full)

    if mode == "rev":
        out, vjp_fn = t.vjp(g, *xs)
        o_leaves, o_unflatten = t.tree_flatten(out)
        o_shapes, o_dtypes = _leaf_info(o_leaves)
        basis, sizes, n = _basis(o_shapes, o_dtypes)
        if n == 0:
            blocks = [[np.zeros(os + xs_, dtype=xd) for xs_, xd in zip(x_shapes, x_dtypes)] for os in o_shapes]
        else:
            rows = _map(lambda *c: vjp_fn(o_unflatten(list(c))), basis)
            rows = t.tree_flatten(list(rows))[0]
            blocks, k = [], 0
            for os, m in zip(o_shapes, sizes):
                blocks.append([_rows(r, k, m, os) for r in rows])
                k += m
    else:
        basis, sizes, n = _basis(x_shapes, x_dtypes)
        # outside any vmap, the primal is computed once and only the tangents are batched
        push = t.jvp if active() else t._jvp
        if n == 0:
            o_leaves, o_unflatten = t.tree_flatten(g(*xs))
            o_shapes, _ = _leaf_info(o_leaves)
            blocks = [[np.zeros(os + xs_) for xs_ in x_shapes] for os in o_shapes]
        else:
            outs = []

            def column(*tangent):
                out, t_out = push(g, xs, tuple(x_unflatten(list(tangent))))
                outs.append(out)
                return t_out

            cols = _map(column, basis)
            o_leaves, o_unflatten = t.tree_flatten(outs[0])
            o_shapes, _ = _leaf_info(o_leaves)
            cols = t.tree_flatten(cols)[0]
            blocks = []
            for j, os in enumerate(o_shapes):
                row, k = [], 0
                for xs_, m in zip(x_shapes, sizes):
                    block = _rows(cols[j], k, m, xs_)  # in + out
                    nin = len(xs_)
                    nd = nin + len(os)
                    row.append(_move(block, tuple(range(nin)), tuple(range(nd - nin, nd))) if nin else block)
                    k += m
                blocks.append(row)

    def per_output(row):
        parts = x_unflatten(row)
        return parts[0] if single else tuple(parts)

    return o_unflatten([per_output(row) for row in blocks])
