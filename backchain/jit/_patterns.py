"""Rewrites of a traced program for its buffered replay: a few calls that always come together in
a training step become one, computing the same values bit for bit (but for the LSTM layer's and
the convolutions' own kernels, which ``fuse="exact"`` leaves out: ``rewrite(program, exact=True)``).

- ``add(matmul, bias)`` then ``relu``: one pass writes both (:func:`_kernels.bias_relu`);
- ``relu`` then a 2 x 2 max pool: one pass writes both (:func:`_kernels.relu_pool2`);
- ``_relu_d(h, z)`` then ``multiply(g, mask)``: one pass, no boolean mask (:func:`_kernels.relu_vjp`);
- ``_tiled_max_vjp(g, ans, x)`` (max pool, ties split), optionally times a ReLU's mask: one pass
  over the windows (:func:`_kernels.pool_relu_vjp`) instead of a boolean mask per window position,
  a count of ties and a strided product per position;
- a convolution's input gradient: its col2im (one strided add per kernel position) as one loop
  (:func:`_kernels.col2im2d`), adding in the same order;
- ``p.data -= lr * g`` on a parameter the program writes back: one in-place pass over ``p``'s array
  (:func:`_kernels.axpy_sub`), which the replay then needs not copy back;
- a convolution and the weight gradient of the same input: the second reuses the first's im2col
  columns, kept in an array the program owns, instead of copying the input's windows again;
- a convolution's input gradient and its weight gradient: the second reads the first's batch-last
  copy of the cotangent (an array the program owns) instead of making its own;
- a float32 LSTM layer (``lstm_layer``, masked or not) and its VJP: a product and one kernel per time
  step (``_rnn_kernels.py``, the products by ``_simd.py``'s tiles where the CPU has AVX-512). Not
  bit for bit: its tanh is a rational approximation (within 6 ulp of NumPy's) and its products sum
  in another order than BLAS;
- a float32 2-D convolution of stride 1 without padding, dilation or groups, its weight and its input
  gradient, where the CPU has AVX-512: the replay's own kernels, sample by sample on the pool's
  workers (``_conv_kernels.py``). Not bit for bit: sums in another order than BLAS. Its float32 2 x 2
  max pools (forward with the ReLU, backward) run by samples on the workers too, bit for bit.

Each rewritten call owns its output arrays (allocated once): only the buffered replay, which runs
one at a time, uses the rewritten program. The kernels need Numba; a call whose arrays the kernel
cannot take (another layout, NaN maxima, a ``relu_at_zero`` policy other than 0) runs the NumPy
functions it replaced. The convolution and pooling calls ask for their kernels when the program is
rewritten and take the NumPy route until a background thread has compiled them
(``_background.py``); the values are the same either way. Those kernels, and the convolutions'
layout copies (batch last to batch first and back) and im2col copies, can run in chunks of samples
or channels shared with a helper thread (``_split.py``; off by default: it did not pay here).
"""
import numpy as np

from ._program import Call, Guard, Program, Slot

__all__ = ["rewrite"]


def _readers(program):
    """Slot -> indices of the steps reading it (len(steps) for a program output)."""
    readers = {}
    for i, s in enumerate(program.steps):
        for k in ([s.slot] if s.__class__ is Guard else s.reads):
            readers.setdefault(k, []).append(i)
    for o in program.outputs:
        if o.__class__ is Slot:
            readers.setdefault(o.k, []).append(len(program.steps))
    return readers


def _fn(step, module, name):
    f = getattr(step, "fn", None)
    return f is not None and getattr(f, "__module__", None) == module and getattr(f, "__name__", None) == name


def _is_slot(a):
    return a.__class__ is Slot


def _float(aval):
    return aval is not None and aval[1].kind == "f"


def _relu_policy_zero():
    from .._rules import activations

    return activations._policy.relu_at_zero == 0.0


# -- add(a, bias) + relu ----------------------------------------------------------------------------

def _bias_relu(add, relu, avals):
    a, b = add.args
    z, h = add.outs[0], relu.outs[0]
    shape, dtype = avals[z]
    zbuf, hbuf = np.empty(shape, dtype), np.empty(shape, dtype)
    zero = dtype.type(0)
    add_fn, relu_fn = add.fn, relu.fn

    def bias_relu(a, b):
        if (a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.shape == shape and a.dtype == dtype
                and b.dtype == dtype and b.shape == shape[-1:] and a.flags.c_contiguous):
            from ._kernels import bias_relu as kernel

            kernel(a, b, zero, zbuf, hbuf)
            return zbuf, hbuf
        z = add_fn(a, b)
        return z, relu_fn(z)

    # (for a product before it whose parts apply it to their rows: _gemm.matmul_bias_relu)
    bias_relu.shape, bias_relu.dtype, bias_relu.outs = shape, dtype, (zbuf, hbuf)
    return Call("bias_relu", bias_relu, (a, b), {}, [z, h], multiple=True)


def _match_bias_relu(steps, i, avals, readers, outputs):
    relu = steps[i]
    if not (relu.__class__ is Call and _fn(relu, "backchain._rules.activations", "_relu_impl")):
        return None
    (z,) = relu.args if len(relu.args) == 1 else (None,)
    if not _is_slot(z):
        return None
    j = max((p for p in range(i) if z.k in getattr(steps[p], "outs", ())), default=None)
    add = steps[j] if j is not None else None
    if add is None or add.__class__ is not Call or add.ufunc is not np.add or add.params or len(add.args) != 2:
        return None
    a, b = add.args
    av = avals[z.k]
    if not (_is_slot(a) and _is_slot(b) and _float(av) and len(av[0]) == 2 and avals[a.k] == av
            and avals[b.k] == (av[0][-1:], av[1])):
        return None
    if relu.outs[0] in outputs or z.k in outputs:
        return None
    if any(p < i for p in readers[z.k] if p != i):   # z read between the add and the relu
        return None
    return j, _bias_relu(add, relu, avals)


# -- relu + 2 x 2 max pool -------------------------------------------------------------------------

def _relu_pool(relu, pool, avals):
    h, y = relu.outs[0], pool.outs[0]
    hshape, dtype = avals[h]
    hbuf, ybuf = np.empty(hshape, dtype), np.empty(avals[y][0], dtype)
    zero = dtype.type(0)
    relu_fn, pool_fn, params = relu.fn, pool.fn, dict(pool.params)
    ready = _kernel("relu_pool2", _example(4, dtype), zero, _example(4, dtype), _example(4, dtype))

    def relu_pool(x):
        kernel = ready.fn
        if (kernel is not None and x.__class__ is np.ndarray and x.shape == hshape and x.dtype == dtype
                and x.flags.c_contiguous):
            if dtype == np.float32:   # (by samples on the pool's workers)
                from ._conv_kernels import relu_pool
                relu_pool(x, hbuf, ybuf)
            else:
                _chunked(hshape[0], x.nbytes, lambda a, b: kernel(x[a:b], zero, hbuf[a:b], ybuf[a:b]))
            return hbuf, ybuf
        h = relu_fn(x)
        return h, pool_fn(h, **params)

    return Call("relu_pool", relu_pool, relu.args, {}, [h, y], multiple=True)


def _match_relu_pool(steps, i, avals, readers, outputs):
    relu = steps[i]
    if not (relu.__class__ is Call and _fn(relu, "backchain._rules.activations", "_relu_impl")
            and len(relu.args) == 1 and _is_slot(relu.args[0]) and not relu.params):
        return None
    h = relu.outs[0]
    av = avals[h]
    if not _float(av) or len(av[0]) != 4 or av[0][2] % 2 or av[0][3] % 2 or h in outputs:
        return None
    for j in readers.get(h, []):
        t = steps[j] if j < len(steps) else None
        if (t is not None and t.__class__ is Call and _fn(t, "backchain._rules.pool", "_tiled_max_impl")
                and tuple(t.params.get("kernel", ())) == (2, 2) and len(t.args) == 1
                and t.outs[0] not in outputs
                and avals[t.outs[0]] == (av[0][:2] + (av[0][2] // 2, av[0][3] // 2), av[1])):
            return j, _relu_pool(relu, t, avals)
    return None


# -- _relu_d + multiply -----------------------------------------------------------------------------

def _relu_vjp(relu_d, mul, g, avals):
    x = relu_d.args[1]
    out = mul.outs[0]
    shape, dtype = avals[out]
    buf = np.empty(shape, dtype)
    flat = buf.reshape(-1)
    zero, one = dtype.type(0), dtype.type(1)
    d_fn, mul_fn = relu_d.fn, mul.fn
    h = relu_d.args[0]
    order = 0 if mul.args[0].k == g.k else 1

    def relu_vjp(g, h, x):
        if (_relu_policy_zero() and g.__class__ is np.ndarray and x.__class__ is np.ndarray
                and g.shape == shape and x.shape == shape and g.dtype == dtype and x.dtype == dtype
                and g.flags.c_contiguous and x.flags.c_contiguous):
            from ._kernels import relu_vjp as kernel

            kernel(g.reshape(-1), x.reshape(-1), zero, one, flat)
            return buf
        m = d_fn(h, x)
        return mul_fn(g, m) if order == 0 else mul_fn(m, g)

    return Call("relu_vjp", relu_vjp, (g, h, x), {}, [out])


def _match_relu_vjp(steps, i, avals, readers, outputs):
    mul = steps[i]
    if not (mul.__class__ is Call and mul.ufunc is np.multiply and not mul.params and len(mul.args) == 2
            and all(_is_slot(a) for a in mul.args)):
        return None
    for m, g in (mul.args, mul.args[::-1]):
        j = next((p for p in range(i) if m.k in getattr(steps[p], "outs", ())), None)
        if j is None or not _fn(steps[j], "backchain._rules.activations", "_relu_d"):
            continue
        d = steps[j]
        if len(d.args) != 2 or not all(_is_slot(a) for a in d.args) or d.params:
            continue
        av = avals[mul.outs[0]]
        if not (_float(av) and avals[g.k] == av and avals[d.args[1].k] == av) or mul.outs[0] in outputs:
            continue
        if readers[m.k] != [i]:
            continue
        return j, _relu_vjp(d, mul, g, avals)
    return None


# -- max pool VJP (+ relu mask) ---------------------------------------------------------------------

def _pool_vjp(vjp, relu_d, mul, avals, x_is_relu_of_pre=False):
    g, ans, x = vjp.args
    kernel_size = vjp.params["kernel"]
    out = (mul if mul is not None else vjp).outs[0]
    shape, dtype = avals[out]
    buf = np.empty(shape, dtype)
    zero, one = dtype.type(0), dtype.type(1)
    size = int(np.prod(kernel_size))
    inv = np.array([1] + [np.divide(1, np.uint8(k), dtype=dtype) for k in range(1, size + 1)], dtype)
    vjp_fn = vjp.fn
    params = dict(vjp.params)
    if relu_d is None:
        args, d_fn, mul_fn, h = (g, ans, x, None, None), None, None, None
    else:
        h, pre = relu_d.args
        args = (g, ans, x, h, pre)
        d_fn, mul_fn = relu_d.fn, mul.fn
        first = mul.args[0].k == vjp.outs[0]
    ex = _example(4, dtype)
    ready = _kernel("pool2_relu_vjp" if tuple(kernel_size) == (2, 2) else "pool_relu_vjp",
                    ex, ex, ex, ex, relu_d is not None, inv, zero, one, ex)

    def pool_vjp(g, ans, x, h, pre):
        relu = pre is not None
        kernel = ready.fn
        if (kernel is not None and g.__class__ is np.ndarray and ans.__class__ is np.ndarray and x.__class__ is np.ndarray
                and x.shape == shape and x.dtype == dtype and g.dtype == dtype and ans.dtype == dtype
                and g.flags.c_contiguous and ans.flags.c_contiguous and x.flags.c_contiguous
                and (not relu or (pre.__class__ is np.ndarray and pre.shape == shape and pre.dtype == dtype
                                  and pre.flags.c_contiguous and _relu_policy_zero()))):
            # where x = relu(pre), x > 0 exactly where pre > 0 (NaN in neither): one array less to read
            p = x if (not relu or x_is_relu_of_pre) else pre
            if dtype == np.float32 and tuple(kernel_size) == (2, 2):   # (by samples on the pool's workers)
                from ._conv_kernels import pool_relu_vjp
                if pool_relu_vjp(g, ans, x, p, relu, inv, buf):
                    return buf
            else:
                bad = []

                def part(a, b):
                    if not kernel(g[a:b], ans[a:b], x[a:b], p[a:b], relu, inv, zero, one, buf[a:b]):
                        bad.append(a)

                _chunked(shape[0], buf.nbytes, part)
                if not bad:
                    return buf
        r = vjp_fn(g, ans, x, **params)
        if not relu:
            return r
        m = d_fn(h, pre)
        return mul_fn(r, m) if first else mul_fn(m, r)

    return Call("pool_relu_vjp" if relu_d is not None else "pool_vjp", pool_vjp, args, {}, [out])


def _match_pool_vjp(steps, i, avals, readers, outputs):
    vjp = steps[i]
    if not (vjp.__class__ is Call and _fn(vjp, "backchain._rules.pool", "_tiled_max_vjp")):
        return None
    if len(vjp.args) != 3 or not all(_is_slot(a) for a in vjp.args) or set(vjp.params) != {"kernel", "ties"}:
        return None
    kernel, ties = vjp.params["kernel"], vjp.params["ties"]
    g, ans, x = vjp.args
    ax, ag = avals[x.k], avals[g.k]
    if ties != "split" or len(kernel) != 2 or not _float(ax) or len(ax[0]) != 4 or ag != avals[ans.k]:
        return None
    if ag[1] != ax[1] or ax[0] != ag[0][:2] + (ag[0][2] * kernel[0], ag[0][3] * kernel[1]):
        return None
    r = vjp.outs[0]
    if r in outputs:
        return None
    # the ReLU mask that multiplies the result, when only that product reads it
    users = readers.get(r, [])
    if len(users) == 1:
        mul = steps[users[0]]
        if (mul.__class__ is Call and mul.ufunc is np.multiply and not mul.params and len(mul.args) == 2
                and all(_is_slot(a) for a in mul.args) and mul.outs[0] not in outputs):
            m = mul.args[1] if mul.args[0].k == r else mul.args[0]
            j = next((p for p in range(users[0]) if m.k in getattr(steps[p], "outs", ())), None)
            if j is not None and _fn(steps[j], "backchain._rules.activations", "_relu_d") \
                    and readers[m.k] == [users[0]] and len(steps[j].args) == 2 \
                    and all(_is_slot(a) for a in steps[j].args) and avals[steps[j].args[1].k] == ax \
                    and avals[mul.outs[0]] == ax:
                pre = steps[j].args[1].k
                made = next((s for s in steps if x.k in getattr(s, "outs", ())), None)
                relu_of_pre = (made is not None and _fn(made, "backchain._rules.activations", "_relu_impl")
                               and len(made.args) == 1 and _is_slot(made.args[0]) and made.args[0].k == pre)
                return ("pool", i, j, users[0]), _pool_vjp(vjp, steps[j], mul, avals, relu_of_pre)
    return ("pool", i, None, None), _pool_vjp(vjp, None, None, avals)


# -- convolution + weight gradient sharing the columns ---------------------------------------------

def _example(ndim, dtype):
    """A small C-contiguous array of rank ``ndim`` and ``dtype``: the type of an argument of a kernel."""
    return np.zeros((1,) * ndim, dtype)


def _kernel(name, *example):
    """The kernel ``name`` of ``_kernels.py`` for arguments like ``example``, compiled in the background
    (its ``fn`` is None until then)."""
    from ._background import request

    return request(name, *example)


# Work per chunk of a call shared between two threads (``_split.py``): about this many bytes of its
# largest array (a chunk then takes 10-20 µs, against a few µs of Python per chunk).
_CHUNK_BYTES = 1 << 17
_MAX_CHUNKS = 8


def _chunked(n, nbytes, fn):
    """``fn(a, b)`` over chunks ``[a, b)`` of ``range(n)`` that together cover it, on two threads where
    ``nbytes`` (the work's largest array) makes more than one chunk and the helper is in use; else
    ``fn(0, n)``, one call."""
    from . import _split

    k = min(n, nbytes // _CHUNK_BYTES, _MAX_CHUNKS)
    if k < 2 or not _split.sharing():
        fn(0, n)
        return
    _split.run(lambda i: fn(i * n // k, (i + 1) * n // k), k)


def _batch_first(a, slot):
    """``conv._batch_first``: ``(C, *S, N)`` to a new ``(N, C, *S)``, the same copy in blocks of about
    40 KiB of source rows, the blocks shared between two threads."""
    from .._rules import conv as C

    n = a.shape[-1]
    if not a.flags.c_contiguous or n == 1 or a.nbytes < 2 * _CHUNK_BYTES:
        return C._batch_first(a, slot)
    res = C._output(slot, (n,) + a.shape[:-1], a.dtype)
    src, dst = a.reshape(-1, n), res.reshape(n, -1)
    step = max(8, 40960 // (n * a.itemsize))

    def part(lo, hi):
        for i in range(lo, hi, step):
            j = min(i + step, hi)
            np.copyto(dst[:, i:j], src[i:j].T)

    _chunked(src.shape[0], a.nbytes, part)
    return res


def _grouped_cotangent(gy, groups, out=None):
    """``conv._grouped_cotangent``: ``(N, O, *out)`` to ``(groups, O/groups, prod(out) * N)`` (batch last),
    the copy of ``conv._batch_last`` (16 samples at a time) split over the columns, on two threads;
    into ``out`` (shape ``(O, *out, N)``) where given, else into the convolutions' scratch array."""
    from .._rules import conv as C

    n, o = gy.shape[:2]
    if gy.__class__ is not np.ndarray or not gy.flags.c_contiguous or gy.shape[0] <= 16 \
            or gy.nbytes < 2 * _CHUNK_BYTES:
        if out is None:
            return C._grouped_cotangent(gy, groups)
        return C._batch_last(gy, out).reshape(groups, o // groups, -1)
    gt = C._scratch("cotangent", gy.shape[1:] + gy.shape[:1], gy.dtype) if out is None else out
    src, dst = gy.reshape(n, -1), gt.reshape(-1, n)

    def part(lo, hi):
        for i in range(0, n, 16):
            np.copyto(dst[lo:hi, i:i + 16], src[i:i + 16, lo:hi].T)

    _chunked(src.shape[1], gy.nbytes, part)
    return gt.reshape(groups, o // groups, -1)


def _copy(dst, src):
    """``np.copyto(dst, src)`` in chunks along the first axis (or the second, where the first is 1),
    on two threads."""
    if dst.shape[0] > 1 or dst.ndim == 1:
        _chunked(dst.shape[0], dst.nbytes, lambda a, b: np.copyto(dst[a:b], src[a:b]))
    else:
        _chunked(dst.shape[1], dst.nbytes, lambda a, b: np.copyto(dst[:, a:b], src[:, a:b]))


def _same(a, b):
    if _is_slot(a) and _is_slot(b):
        return a.k == b.k
    return a is b


def _conv_pair(fwd, wgrad, avals, new_slot):
    from .._rules import conv as C

    x = fwd.args[0]
    p = fwd.params
    stride, padding, dilation, groups = p["stride"], p["padding"], p["dilation"], p["groups"]
    fwd_fn, wgrad_fn = fwd.fn, wgrad.fn
    wshape = wgrad.params["wshape"]
    state = {}

    def columns(x, kernel):
        nd = len(kernel)
        xt = C._channels_first(x, padding)
        c, n = xt.shape[0], xt.shape[-1]
        out = C._out_shape(xt.shape[1:-1], kernel, stride, dilation)
        st = xt.strides
        view = C.as_strided(xt, (c,) + tuple(kernel) + out + (n,),
                            (st[0],) + tuple(st[1 + i] * dilation[i] for i in range(nd))
                            + tuple(st[1 + i] * stride[i] for i in range(nd)) + (st[-1],), writeable=False)
        key = (view.shape, x.dtype)
        cols = state.get(key)
        if cols is None:
            state.clear()
            cols = state[key] = np.empty(view.shape, x.dtype)
        _copy(cols, view)
        return cols.reshape(groups, (c // groups) * int(np.prod(kernel)), int(np.prod(out)) * n), out

    def conv_keep(x, w, *b):
        """The convolution (``_conv_impl``), and its columns for the weight gradient."""
        if x.__class__ is not np.ndarray or w.__class__ is not np.ndarray:
            return fwd_fn(x, w, *b, **p), None
        kernel = w.shape[2:]
        cols, out = columns(x, kernel)
        o = w.shape[0]
        wg = w.reshape(groups, o // groups, -1)
        y = C._scratch("image", (groups, o // groups, cols.shape[2]), np.result_type(wg, cols, *b))
        np.matmul(wg, cols, out=y)
        if b:
            y += b[0].reshape(groups, o // groups, 1)
        return _batch_first(y.reshape((o,) + out + (x.shape[0],)), "conv"), cols

    def weight_grad(cols, x, gy, gt=None):
        """``_conv_weight_grad_impl`` on the columns the convolution copied (and on the cotangent in the
        batch-last layout that the input gradient made, where it made one)."""
        if cols is None or gy.__class__ is not np.ndarray:
            return wgrad_fn(x, gy, **wgrad.params)
        gw = np.matmul(_grouped_cotangent(gy, groups) if gt is None else gt, np.swapaxes(cols, 1, 2))
        return gw.reshape(wshape)

    k = new_slot
    f2 = Call(fwd.name + "+cols", conv_keep, tuple(fwd.args[:3] if len(fwd.args) == 3 else fwd.args[:2]), {},
              [fwd.outs[0], k], multiple=True)
    w2 = Call("conv_weight_grad(cols)", weight_grad, (Slot(k), x, wgrad.args[1]), {}, list(wgrad.outs))
    return f2, w2


def _conv_pairs(steps, avals):
    """(forward index, weight-gradient index) of convolutions whose weight gradient reads the same input
    with the same parameters."""
    pairs = []
    fwds = [i for i, s in enumerate(steps) if s.__class__ is Call
            and (_fn(s, "backchain._rules.conv", "_conv_bias_impl") or _fn(s, "backchain._rules.conv", "_conv_impl"))]
    for i in fwds:
        f = steps[i]
        n_arrays = 3 if f.fn.__name__ == "_conv_bias_impl" else 2
        if len(f.args) != n_arrays or set(f.params) != {"stride", "padding", "dilation", "groups"}:
            continue
        for j in range(i + 1, len(steps)):
            s = steps[j]
            if (s.__class__ is Call and _fn(s, "backchain._rules.conv", "_conv_weight_grad_impl")
                    and len(s.args) == 2 and _same(s.args[0], f.args[0])
                    and all(s.params.get(q) == f.params[q] for q in f.params)
                    and tuple(s.params.get("wshape", ()))[2:] == tuple(_shape_of(f.args[1], avals))[2:]):
                pairs.append((i, j))
                break
    return pairs


def _shape_of(a, avals):
    if _is_slot(a):
        return avals[a.k][0] if avals[a.k] is not None else ()
    return np.shape(a)


# -- transposed convolution: col2im in one pass ---------------------------------------------------

def _input_grad(call, avals, share=None):
    """The input gradient's call; with ``share`` (a new slot), it also returns the cotangent in the
    batch-last layout (an array it owns, or None where it took the NumPy route), for the weight
    gradient of the same convolution to read instead of copying it again."""
    p = dict(call.params)
    xshape, stride, padding, dilation, groups = p["xshape"], p["stride"], p["padding"], p["dilation"], p["groups"]
    fn = call.fn
    state = {}
    dtype = avals[call.outs[0]][1]
    col2im = _kernel("col2im2d", _example(6, dtype), (1,) * 2, (1,) * 2, _example(4, dtype))

    def conv_input_grad(gy, w):
        """``_conv_input_grad_impl`` with its col2im (25 strided adds for a 5 x 5 kernel) as one Numba loop."""
        k = col2im.fn
        if k is None or gy.__class__ is not np.ndarray or w.__class__ is not np.ndarray or w.ndim != 4:
            return fn(gy, w, **p) if share is None else (fn(gy, w, **p), None)
        kernel = w.shape[2:]
        o, cg = w.shape[:2]
        n, out = gy.shape[0], gy.shape[2:]
        wt = np.swapaxes(w.reshape(groups, o // groups, -1), 1, 2)
        own = None
        if share is not None:
            shape = gy.shape[1:] + gy.shape[:1]
            own = state.get("gt")
            if own is None or own.shape != shape or own.dtype != gy.dtype:
                own = state["gt"] = np.empty(shape, gy.dtype)
        gt = _grouped_cotangent(gy, groups, own)
        dt = np.result_type(wt, gt)
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(xshape[2:], padding))
        key = (wt.shape, gt.shape, dt)
        bufs = state.get(key)
        if bufs is None:
            for stale in [q for q in state if q != "gt"]:
                del state[stale]
            bufs = state[key] = (np.empty((groups, wt.shape[1], gt.shape[2]), dt),
                                 np.empty((groups * cg,) + padded + (n,), dt))
        dcols, buf = bufs
        np.matmul(wt, gt, out=dcols)
        d6 = dcols.reshape((groups * cg,) + tuple(kernel) + tuple(out) + (n,))
        st, dl = tuple(stride), tuple(dilation)

        def part(a, b):
            buf[a:b].fill(0)
            k(d6[a:b], st, dl, buf[a:b])

        _chunked(buf.shape[0], buf.nbytes, part)
        crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(xshape[2:], padding))
        r = _batch_first(buf[(slice(None),) + crop], "conv_input_grad")
        return r if share is None else (r, gt)

    if share is None:
        return Call("conv_input_grad(col2im)", conv_input_grad, call.args, {}, list(call.outs))
    return Call("conv_input_grad(col2im)", conv_input_grad, call.args, {}, list(call.outs) + [share], multiple=True)


def _match_input_grad(steps, i, avals, readers, outputs):
    s = steps[i]
    if not (s.__class__ is Call and _fn(s, "backchain._rules.conv", "_conv_input_grad_impl") and len(s.args) == 2
            and set(s.params) == {"xshape", "stride", "padding", "dilation", "groups"}
            and len(s.params["xshape"]) == 4):
        return None
    return s


def _shares_cotangent(ig, wg):
    """Whether input-gradient call ``ig`` and weight-gradient call ``wg`` (both the program's own) are of
    one convolution: the same cotangent slot and parameters."""
    return (_is_slot(ig.args[0]) and _is_slot(wg.args[1]) and ig.args[0].k == wg.args[1].k
            and all(ig.params[q] == wg.params.get(q) for q in ("stride", "padding", "dilation", "groups")))


# -- p.data -= lr * g on a parameter: in place, one pass ------------------------------------------

def _sgd(mul, write, p_slot, dtype):
    c, g = mul.args
    out = write.outs[0]
    write_fn, mul_fn = write.fn, mul.fn
    ready = _kernel("axpy_sub", _example(1, dtype), dtype.type(0), _example(1, dtype))

    def sgd_update(p, g):
        """``p -= c * g`` in ``p`` itself, the parameter's array (the eager step writes it in place too)."""
        kernel = ready.fn
        if (kernel is not None and p.__class__ is np.ndarray and g.__class__ is np.ndarray and p.shape == g.shape
                and p.dtype == dtype and g.dtype == dtype and p.flags.c_contiguous and g.flags.c_contiguous
                and p.flags.writeable and not np.shares_memory(p, g)):
            kernel(p.reshape(-1), p.dtype.type(c), g.reshape(-1))
            return p
        return write_fn(p, mul_fn(c, g))

    # (for _gemm.matmul_sgd: the coefficient as float32, where the kernel's product c * g is float32's)
    sgd_update.coef = float(c) if dtype == np.float32 else None
    return Call("sgd_update", sgd_update, (p_slot, g), {}, [out])


def _match_sgd(program, steps, i, avals, readers, outputs):
    """``p.data -= c * g`` where ``p`` is a parameter the program writes back: the product ``c * g``
    (read by nothing else) and the write become one in-place pass over ``p``'s own array."""
    import functools

    from ._watch import _write_call

    w = steps[i]
    state = getattr(program, "state", None)
    if not state or w.__class__ is not Call or w.fn.__class__ is not functools.partial:
        return None
    if w.fn.func is not _write_call or w.fn.args[:1] != (np.subtract,) or w.params or len(w.args) != 2:
        return None
    p, t = w.args
    if not (_is_slot(p) and _is_slot(t)):
        return None
    inputs = program.inputs[-len(state):]
    if p.k not in inputs:
        return None
    tensor = state[inputs.index(p.k)]
    writes = getattr(program, "writes", [])
    at = next((n for n, x in enumerate(writes) if x is tensor), None)
    if at is None or program.outputs[program.n_out + at].__class__ is not Slot \
            or program.outputs[program.n_out + at].k != w.outs[0]:
        return None
    if any(r >= i for r in readers.get(p.k, []) if r != i) or p.k in outputs:
        return None
    if any(s.__class__ is Guard for s in steps[i:]):   # a retrace after the write would write it twice
        return None
    j = next((q for q in range(i) if t.k in getattr(steps[q], "outs", ())), None)
    if j is None:
        return None
    m = steps[j]
    if not (m.__class__ is Call and m.fn is np.multiply and not m.params and len(m.args) == 2
            and type(m.args[0]) is float and _is_slot(m.args[1]) and readers.get(t.k) == [i]):
        return None
    g = m.args[1]
    if not (_float(avals[p.k]) and avals[g.k] == avals[p.k] and avals[t.k] == avals[p.k]):
        return None
    return j, _sgd(m, w, p, avals[p.k][1])


# -- an LSTM layer and its VJP: a product and a kernel per time step (_rnn_kernels.py) --------------

def _aval_of(a, avals):
    """(shape, dtype) of an argument: a slot's traced one, a constant array's own; None for None."""
    if _is_slot(a):
        return avals[a.k]
    if a.__class__ is np.ndarray:
        return a.shape, a.dtype
    return None


def _lstm_shapes(args, avals):
    """(T, N, I, H) where the layer's arrays are float32 of consistent shapes (the kernels' case), else None."""
    if len(args) != 7 or any(a is not None and not (_is_slot(a) or a.__class__ is np.ndarray) for a in args):
        return None
    av = [_aval_of(a, avals) for a in args]
    if any(v is None for v in av[:5]) or any(v is not None and v[1] != np.float32 for v in av):
        return None
    x, h0, c0, wi, wh = (v[0] for v in av[:5])
    if len(x) != 3 or len(wh) != 2 or x[0] < 1:
        return None
    t, n, i = x
    h = wh[1]
    if n < 1 or h < 1:
        return None
    if h0 != (n, h) or c0 != (n, h) or wi != (4 * h, i) or wh != (4 * h, h):
        return None
    if any(v is not None and v[0] != (4 * h,) for v in av[5:]):
        return None
    return t, n, i, h


def _is_lstm_vjp(step):
    import functools

    from .._rules import rnn

    f = getattr(step, "fn", None)
    return (step.__class__ is Call and f.__class__ is functools.partial and f.func.__name__ == "_joint_call"
            and f.args[:1] == (rnn._lstm_layer_vjp_all,) and len(f.args) == 2)


def _lstm_mask(mask, steps, batch):
    """Whether ``mask`` is None or the (T, N) booleans the kernels take."""
    return mask is None or (mask.__class__ is np.ndarray and mask.dtype == np.bool_ and mask.shape == (steps, batch))


def _lstm_float32(*arrays):
    return all(a is None or (a.__class__ is np.ndarray and a.dtype == np.float32) for a in arrays)


def _lstm_layer(fwd, vjp, dims, outputs, new_slot):
    """The forward call (its results and the residuals for the VJP, in the new slot) and the VJP call
    (or None) of one LSTM layer direction, on the kernels of ``_rnn_kernels.py`` (their layouts).

    Forward, per step: ``a = [W_hh | W_ih] z[t]`` (``z[t] = [h_{t-1}; x_t]``) then
    :func:`_rnn_kernels.forward_step`. Backward, per step: :func:`_rnn_kernels.backward_step` then
    ``dh = W_hh^T d[:, t]``. The weight gradients are products over all steps: of ``d`` by the rows
    ``zz`` (T N, H + I) that the forward pass keeps for the tiles (``simd``), or by ``z`` (BLAS); the
    biases' a sum. A call whose arrays are not the traced float32 ones runs the rule's functions.
    """
    from . import _simd

    steps, batch, m, n = dims
    r = n + m
    fwd_fn, f32 = fwd.fn, np.float32
    # the products by the 16-lane kernels (_simd.py) where the CPU has them and the batch fills them
    simd = _simd.AVX512 and batch % 16 == 0
    rp = -(-r // 16) * 16   # z's rows as the columns of the weight gradient's product: a multiple of 16
    scale = np.full(4 * n, 0.5, f32)
    scale[2 * n:3 * n] = 1
    shift = np.full(4 * n, 0.5, f32)
    shift[2 * n:3 * n] = 0
    bufs = {}
    unmasked = np.zeros((1, 1), f32)   # (the kernels' mask arguments where there is none)

    def buffers():
        if not bufs:
            bufs.update(z=np.empty((steps + 1, r, batch), f32), cs=np.empty((steps + 1, n, batch), f32),
                        acts=np.empty((steps, 5 * n, batch), f32), a=np.empty((4 * n, batch), f32),
                        w=np.empty((4 * n, r), f32), bias=np.empty(4 * n, f32),
                        zz=np.zeros((steps + 1, batch, rp), f32) if simd else None)
        return bufs

    def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=None):
        if not (_lstm_float32(x, h0, c0, w_ih, w_hh, b_ih, b_hh) and x is not None and x.shape == (steps, batch, m)
                and _lstm_mask(mask, steps, batch)):
            return tuple(fwd_fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=mask)) + (None,)
        import numba

        from ._pool import STATE, held
        from ._rnn_kernels import _forward_part, forward_simd, forward_step, units_per_part

        b = buffers()
        z, cs, acts, a, w, bias = b["z"], b["cs"], b["acts"], b["a"], b["w"], b["bias"]
        w[:, :n] = w_hh
        w[:, n:] = w_ih
        if b_ih is None and b_hh is None:
            bias.fill(0)
        elif b_ih is None or b_hh is None:
            bias[:] = b_ih if b_hh is None else b_hh
        else:
            np.add(b_ih, b_hh, out=bias)
        z[0, :n] = h0.T
        z[steps, n:] = 0
        cs[0] = c0.T
        masked = mask is not None
        keep = unmasked
        if masked:   # 1.0 where a sequence has ended and its states carry over
            keep = b.setdefault("keep", np.empty((steps, batch), f32))
            np.copyto(keep, np.logical_not(mask))
        if simd:
            zz = b["zz"]
            zz[0, :, :n] = h0
            zz[:steps, :, n:r] = x
            threads = numba.get_num_threads()
            with held(threads) as ctl:
                ub = units_per_part(n, threads if ctl.size > STATE else 1)   # (solo words: one part)
                forward_simd(ctl, _forward_part.address, ub, w, bias, scale, shift, cs, z, acts, a, zz, keep,
                             masked, np.ascontiguousarray(x))   # (x[t] into z[t, H:] there)
        else:
            z[:steps, n:] = x.transpose(0, 2, 1)
            matmul = np.matmul
            for t in range(steps):
                matmul(w, z[t], out=a)
                forward_step(a, bias, scale, shift, cs, z, acts, t, keep, masked)
        hs = z[1:, :n]   # (T, H, N)
        if masked:   # the outputs past a sequence's end are 0, as the rule's
            hs = np.multiply(hs, np.asarray(mask, dtype=bool)[:, None, :],
                             out=b.setdefault("hs", np.empty(hs.shape, f32)))
        return hs.transpose(0, 2, 1), z[steps, :n].T, cs[steps].T, b

    mask_arg = {"mask": fwd.params["mask"]} if fwd.params.get("mask") is not None else {}
    f2 = Call(fwd.name + "(kernels)", lstm_layer, tuple(fwd.args), mask_arg, list(fwd.outs) + [new_slot],
              multiple=True)
    if vjp is None:
        return f2, None
    needs = vjp.fn.args[1]
    vjp_fn = vjp.fn
    fresh = [k in outputs for k in vjp.outs]   # results the program returns: new arrays on every call
    own = {}
    none = np.zeros((1, 1, 1), f32)

    def out(name, shape):
        a = own.get(name)
        if a is None:
            a = own[name] = np.empty(shape, f32)
        return a

    def lstm_layer_vjp(res, ct, ans, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=None):
        gh, gh_last, gc_last = ct
        if not (res is not None and _lstm_float32(gh, gh_last, gc_last, w_ih, w_hh)
                and (gh is None or gh.shape == (steps, batch, n))
                and all(g is None or g.shape == (batch, n) for g in (gh_last, gc_last))
                and _lstm_mask(mask, steps, batch)):
            return vjp_fn(ct, ans, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask=mask)
        import numba

        from ._pool import STATE, held
        from ._rnn_kernels import _backward_part, backward_simd, backward_step, transpose_steps, units_per_part
        from ._simd import transpose

        z, cs, acts = res["z"], res["cs"], res["acts"]
        # the cotangents of every step's pre-activations, kept where a product reads them after the
        # recurrence: the input's gradient, or (without the 16-lane kernels) the weights'
        keep_d = bool(needs[0]) or not simd
        d = out("d", (4 * n, steps, batch)) if keep_d else none
        dh, dc = out("dh", (n, batch)), out("dc", (n, batch))
        for s_, g_ in ((dh, gh_last), (dc, gc_last)):
            if g_ is None:
                s_.fill(0)
            else:
                np.copyto(s_, g_.T)
        masked = mask is not None
        on = unmasked
        ph = pc = dh
        if masked:   # 1.0 where a sequence ran the step, 0.0 where its states carried over
            on = out("on", (steps, batch))
            np.copyto(on, mask)
            ph, pc = out("ph", (n, batch)), out("pc", (n, batch))
        has_g = gh is not None and bool(gh.any())
        g = none
        if has_g:
            g = out("g", (steps, n, batch))
            transpose_steps(np.ascontiguousarray(gh), g)
            if masked:   # the outputs past a sequence's end are constants (0): no cotangent flows back
                np.multiply(g, on[:, None, :], out=g)
        matmul = np.matmul
        dt = out("dt", (4 * n, batch))
        if simd:
            ds = out("ds", (4 * n, batch))
            weights = bool(needs[3] or needs[4])
            dw = out("dw", (4 * n, rp)) if weights else out("dw0", (8, 16))
            threads = numba.get_num_threads()
            with held(threads) as ctl:
                ub = units_per_part(n, threads if ctl.size > STATE else 1)   # (solo words: one part)
                backward_simd(ctl, _backward_part.address, ub, acts, cs, g, has_g, np.ascontiguousarray(w_hh),
                              out("wtp", (4 * n * 8 * -(-n // 8),)), dh, dc, d, keep_d, dt,
                              out("dt2", (4 * n, batch)), ds, on, masked, ph, pc, res["zz"], dw, weights)
        else:
            wt = out("wt", (n, 4 * n))
            transpose(np.ascontiguousarray(w_hh).reshape(-1), 0, n, wt.reshape(-1), 0, 4 * n, 4 * n, n)
            for t in range(steps - 1, -1, -1):
                backward_step(acts, cs, g, has_g, dh, dc, d, t, dt, on, masked, ph, pc)
                matmul(wt, dt, out=dh)
                if masked:
                    dh += ph
        flat = d.reshape(4 * n, steps * batch) if keep_d else None
        results = []
        for k, need in enumerate(needs):
            if not need:
                continue
            if k == 0:
                v = matmul(flat.T, w_ih, out=out("dx", (steps * batch, m))).reshape(steps, batch, m)
            elif k == 1:
                v = dh.T
            elif k == 2:
                v = dc.T
            elif k == 3 or k == 4:   # [W_hh | W_ih]'s gradient against z's rows h (0:n) or x (n:r)
                lo, hi = (n, r) if k == 3 else (0, n)
                v = out(f"dw{k}", (4 * n, hi - lo))
                if simd:   # both weights' gradients: d (4H, T N) by zz (T N, rp), by the recurrence
                    np.copyto(v, own["dw"][:, lo:hi])
                else:
                    matmul(flat, z[:steps, lo:hi].transpose(0, 2, 1).reshape(steps * batch, hi - lo), out=v)
            else:
                v = out(f"db{k}", (4 * n,))
                if k == 6 and needs[5]:
                    np.copyto(v, own["db5"])
                else:
                    np.sum(ds if simd else flat, axis=1, out=v)
            results.append(v)
        return tuple(v.copy() if f else v for v, f in zip(results, fresh))

    rest = vjp.args[2:]
    v2 = Call(vjp.name + "(kernels)", lstm_layer_vjp, (Slot(new_slot), vjp.args[0], vjp.args[1]) + tuple(rest),
              mask_arg, list(vjp.outs), multiple=True)
    return f2, v2


def _lstm_layers(steps, avals):
    """(forward index, VJP index or None, dims) of the LSTM layer calls the kernels take: float32 (a mask,
    if any, of (T, N) booleans), and a VJP (first order, on arrays) on the same arguments that reads the
    forward call's results."""
    found = []
    for i, s in enumerate(steps):
        if not (s.__class__ is Call and _fn(s, "backchain._rules.rnn", "_lstm_layer_impl")):
            continue
        mask = s.params.get("mask")
        if set(s.params) - {"mask"}:
            continue
        dims = _lstm_shapes(s.args, avals)
        if dims is None:
            continue
        if mask is not None and _aval_of(mask, avals) != (dims[:2], np.dtype(bool)):
            continue
        j = None
        for q in range(i + 1, len(steps)):
            v = steps[q]
            if not _is_lstm_vjp(v) or len(v.args) != 9 or set(v.params) - {"mask"}:
                continue
            vm = v.params.get("mask")
            if not (vm is mask or (vm is not None and mask is not None and _same(vm, mask))):
                continue
            ct, ans = v.args[0], v.args[1]
            if not (isinstance(ans, tuple) and len(ans) == 3 and all(_is_slot(a) for a in ans)
                    and [a.k for a in ans] == list(s.outs) and isinstance(ct, list) and len(ct) == 3
                    and all(c is None or _is_slot(c) or c.__class__ is np.ndarray for c in ct)
                    and all(_same(a, b) or (a is None and b is None) for a, b in zip(v.args[2:], s.args))):
                continue
            j = q
            break
        found.append((i, j, dims))
    return found


# -- float32 convolutions by the replay's own kernels, sample by sample on the pool (_conv_kernels.py) --

def _direct_convs(steps, avals):
    """``{index: call}`` for the convolutions (forward, weight and input gradients) that
    ``_conv_kernels`` computes: float32, 2-D, stride 1, no padding, one group, where the CPU has
    AVX-512. Not bit for bit with BLAS's products (sums in another order)."""
    from . import _simd

    convs = ("_conv_bias_impl", "_conv_impl", "_conv_weight_grad_impl", "_conv_input_grad_impl")
    if not _simd.AVX512 or not any(_fn(s, "backchain._rules.conv", name) for s in steps for name in convs):
        return {}
    from . import _conv_kernels as K

    found = {}
    for i, s in enumerate(steps):
        if s.__class__ is not Call or len(s.outs) != 1 or s.multiple:
            continue
        out = avals[s.outs[0]]
        if out is None or out[1] != np.float32:
            continue
        if _fn(s, "backchain._rules.conv", "_conv_bias_impl") or _fn(s, "backchain._rules.conv", "_conv_impl"):
            nargs = 3 if s.fn.__name__ == "_conv_bias_impl" else 2
            if len(s.args) != nargs or set(s.params) != {"stride", "padding", "dilation", "groups"}:
                continue
            xs, ws = _shape_of(s.args[0], avals), _shape_of(s.args[1], avals)
            if K.takes(xs, ws, s.params, out[1]):
                found[i] = _conv_forward(s)
        elif _fn(s, "backchain._rules.conv", "_conv_weight_grad_impl"):
            if len(s.args) != 2 or set(s.params) != {"wshape", "stride", "padding", "dilation", "groups"}:
                continue
            if K.takes(_shape_of(s.args[0], avals), tuple(s.params["wshape"]), s.params, out[1]):
                found[i] = _conv_weight_grad(s)
        elif _fn(s, "backchain._rules.conv", "_conv_input_grad_impl"):
            if len(s.args) != 2 or set(s.params) != {"xshape", "stride", "padding", "dilation", "groups"}:
                continue
            if K.takes(tuple(s.params["xshape"]), _shape_of(s.args[1], avals), s.params, out[1]):
                found[i] = _conv_input_grad(s)
    return found


def _f32_arrays(*arrays):
    return all(a.__class__ is np.ndarray and a.dtype == np.float32 for a in arrays)


def _conv_forward(s):
    from . import _conv_kernels as K

    fn, params = s.fn, s.params

    def conv2d(x, w, *b):
        if _f32_arrays(x, w, *b) and K.takes(x.shape, w.shape, params, x.dtype) and all(v.shape == w.shape[:1] for v in b):
            return K.forward(x, w, *b)
        return fn(x, w, *b, **params)
    return Call("conv2d(kernels)", conv2d, s.args, {}, list(s.outs))


def _conv_weight_grad(s):
    from . import _conv_kernels as K

    fn, params = s.fn, s.params
    wshape = tuple(params["wshape"])

    def conv_weight_grad(x, gy):
        if _f32_arrays(x, gy) and K.takes(x.shape, wshape, params, x.dtype) \
                and gy.shape == (x.shape[0], wshape[0], x.shape[2] - wshape[2] + 1, x.shape[3] - wshape[3] + 1):
            return K.weight_grad(x, gy, wshape)
        return fn(x, gy, **params)
    return Call("conv_weight_grad(kernels)", conv_weight_grad, s.args, {}, list(s.outs))


def _conv_input_grad(s):
    from . import _conv_kernels as K

    fn, params = s.fn, s.params
    xshape = tuple(params["xshape"])

    def conv_input_grad(gy, w):
        if _f32_arrays(gy, w) and K.takes(xshape, w.shape, params, w.dtype) \
                and gy.shape == (xshape[0], w.shape[0], xshape[2] - w.shape[2] + 1, xshape[3] - w.shape[3] + 1):
            return K.input_grad(gy, w, xshape)
        return fn(gy, w, **params)
    return Call("conv_input_grad(kernels)", conv_input_grad, s.args, {}, list(s.outs))


# -- the pass ---------------------------------------------------------------------------------------

def rewrite(program, exact=False):
    """``program`` with the patterns above replaced by single calls (a new Program), or ``program``
    itself where none occurs. ``exact`` (``fuse="exact"``): only the rewrites that compute the eager
    values bit for bit (not the LSTM's or the convolutions' own kernels)."""
    steps = list(program.steps)
    avals = list(program.avals)
    outputs = {o.k for o in program.outputs if o.__class__ is Slot}
    readers = _readers(program)
    drop = set()
    replace = {} if exact else _direct_convs(steps, avals)
    # max pool VJPs (and their ReLU masks)
    for i in range(len(steps)):
        m = _match_pool_vjp(steps, i, avals, readers, outputs)
        if m is None:
            continue
        (_, v, d, mul), call = m
        if d is None:
            replace[v] = call
        else:
            drop.update((v, d))
            replace[mul] = call
    # two calls into one, placed at the later one: relu + max pool forward (the pool's value made where
    # the relu was), the relu backward's mask and product, bias + relu, SGD updates of parameters
    sgd = lambda steps, i, avals, readers, outputs: _match_sgd(program, steps, i, avals, readers, outputs)  # noqa: E731
    for match in (_match_relu_pool, _match_relu_vjp, _match_bias_relu, sgd):
        for i in range(len(steps)):
            if i in replace or i in drop:
                continue
            m = match(steps, i, avals, readers, outputs)
            if m is not None and m[0] not in drop and m[0] not in replace:
                drop.add(m[0])
                replace[i] = m[1]
    # transposed convolutions (input gradients)
    input_grads = {}
    for i in range(len(steps)):
        if i not in replace and i not in drop:
            m = _match_input_grad(steps, i, avals, readers, outputs)
            if m is not None:
                input_grads[i] = m
    # LSTM layers (one direction each) and their VJPs: a product and one kernel per time step
    for i, j, dims in ([] if exact else _lstm_layers(steps, avals)):
        if i in replace or (j is not None and j in replace):
            continue
        k = len(avals)
        avals.append(None)   # the residuals (arrays the forward call owns): no buffer, no del
        replace[i], v = _lstm_layer(steps[i], steps[j] if j is not None else None, dims, outputs, k)
        if j is not None:
            replace[j] = v
    # convolutions sharing columns with their weight gradients, and the cotangent's batch-last copy
    # with their input gradients (made before the weight gradient)
    for i, j in _conv_pairs(steps, avals):
        if i in replace or j in replace:
            continue
        k = len(avals)
        avals.append(None)   # the columns (an array the call owns): no buffer, no del
        replace[i], replace[j] = _conv_pair(steps[i], steps[j], avals, k)
        q = next((q for q in sorted(input_grads) if q < j and _shares_cotangent(input_grads[q], steps[j])), None)
        if q is not None:
            g = len(avals)
            avals.append(None)   # the cotangent, batch last (an array the call owns)
            replace[q] = _input_grad(input_grads.pop(q), avals, share=g)
            w = replace[j]
            replace[j] = Call(w.name, w.fn, w.args + (Slot(g),), {}, list(w.outs))
    for i, s in input_grads.items():
        replace[i] = _input_grad(s, avals)
    if not replace:
        return program
    new = []
    for i, s in enumerate(steps):
        if i in drop:
            continue
        new.append(replace.get(i, s))
    out = Program(program.name, program.inputs, new, program.outputs, avals, program.rebuild, program.input_names)
    out.layouts = dict(program.layouts)
    for attr in ("state", "modes", "writes", "grads", "n_out"):
        if hasattr(program, attr):
            setattr(out, attr, getattr(program, attr))
    return out
