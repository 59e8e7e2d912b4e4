"""The replay's float32 matrix products (backchain/jit/_gemm.py): values against float64 products and
np.matmul for every layout and ragged size, the same bits on one thread and on several, NumPy's
own products where the kernels do not apply, and the replays that use them."""
import time

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import backchain as bc  # noqa: E402
import backchain.numpy as bnp  # noqa: E402
from backchain.jit import _gemm, _pool, _simd  # noqa: E402

RNG = np.random.default_rng(0)


def _operands(m, k, n, layout):
    a = RNG.standard_normal((m, k)).astype(np.float32)
    b = RNG.standard_normal((k, n)).astype(np.float32)
    if layout[0] == "T":
        a = np.ascontiguousarray(a.T).T       # Fortran-contiguous: x.T of a weight gradient
    if layout[1] == "T":
        b = np.ascontiguousarray(b.T).T       # W.T of an input gradient
    return a, b


def _check(out, a, b):
    ref = a.astype(np.float64) @ b.astype(np.float64)
    bound = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)  # float32 rounding scales with it
    assert np.all(np.abs(out - ref) <= 4e-7 * np.sqrt(a.shape[1]) * bound + 1e-30)


@pytest.fixture(autouse=True)
def _kernels_on(monkeypatch):
    # the kernels run on any x86 CPU (LLVM splits the 16-lane vectors where AVX-512 is absent);
    # matmul uses them only where it is present: here, always; and on one thread every product they
    # take (on several, only those large enough to split)
    monkeypatch.setattr(_gemm, "AVX512", True)
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)


def _on_threads(n, fn):
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        return fn()
    finally:
        numba.set_num_threads(old)


@pytest.mark.parametrize("layout", ["NN", "TN", "NT"])
@pytest.mark.parametrize("m, k, n", [(128, 784, 256), (8, 16, 32), (37, 53, 48), (129, 1100, 80), (64, 32, 64),
                                     (300, 512, 96)])
def test_values_of_every_layout_and_ragged_size(layout, m, k, n):
    a, b = _operands(m, k, n, layout)
    out = np.full((m, n), np.nan, np.float32)
    took = _gemm.takes(a, b)
    assert took == (not (layout == "NT" and k % 16) and m * n * k >= 1 << 16)
    assert _gemm.matmul(a, b, out) is out
    _check(out, a, b)   # (what the tiles leave: padded copies, same kernels)


def _worker_parts():
    """Parts of products the pool's workers have run so far (0 where Numba has one thread)."""
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    if threads < 2:
        return 0
    ctl = _pool.pool(threads).ctl
    return int(ctl[_pool.STATE + 1::8].sum())


@pytest.mark.parametrize("layout", ["NN", "TN", "NT"])
def test_the_same_bits_on_one_thread_and_on_two(layout):
    a, b = _operands(520, 512, 128, layout)   # 2^25 multiply-adds: split in parts (rows in whole tiles)
    one = _on_threads(1, lambda: _gemm.matmul(a, b))
    before = _worker_parts()
    end = time.perf_counter() + 20
    while time.perf_counter() < end:   # until a worker has run a part (the first call wakes it, it loads its code)
        two = _on_threads(2, lambda: _gemm.matmul(a, b))
        np.testing.assert_array_equal(one, two)
        if _worker_parts() > before or numba.config.NUMBA_NUM_THREADS < 2:
            break
    assert _worker_parts() > before or numba.config.NUMBA_NUM_THREADS < 2
    _check(one, a, b)


def test_on_several_threads_smaller_products_run_on_the_calling_thread():
    a, b = _operands(64, 128, 64, "NN")   # 2^19 multiply-adds: a part would cost more than it gains
    assert _gemm.takes(a, b)
    one = _on_threads(1, lambda: _gemm.matmul(a, b))
    before = _worker_parts()
    for _ in range(20):
        np.testing.assert_array_equal(_on_threads(2, lambda: _gemm.matmul(a, b)), one)
    assert _worker_parts() == before


@pytest.mark.parametrize("case", ["small", "columns", "rows", "TT", "strided", "few terms", "TN"])
def test_other_float32_matrices_take_the_kernels_through_padded_copies(case):
    """A classifier's last layer and its gradients (10 columns, 10 terms), strided operands: the same
    kernels on copies padded to 16 columns, so that no product of a step is left to BLAS's threads."""
    a, b = _operands(128, 256, 256, "NN")
    if case == "small":
        a, b = _operands(128, 256, 10, "NN")     # a classifier's last layer
    elif case == "columns":
        b = b[:, :40].copy()
    elif case == "rows":
        a, b = _operands(7, 256, 200, "NN")
    elif case == "TT":
        a, b = _operands(128, 256, 256, "TT")
    elif case == "strided":
        a = a[:, ::2]
        b = b[:128, :33]
    elif case == "few terms":
        a, b = _operands(128, 10, 256, "NT")     # its input gradient
    else:
        a, b = _operands(256, 128, 10, "TN")     # its weight gradient
    assert not _gemm.takes(a, b) and _gemm._any2d(a, b)
    out = np.full((a.shape[0], b.shape[1]), np.nan, np.float32)
    assert _gemm.matmul(a, b, out) is out
    _check(out, a, b)
    np.testing.assert_array_equal(_on_threads(2, lambda: _gemm.matmul(a, b)), out)


@pytest.mark.parametrize("case", ["float64", "batched", "no terms", "int", "small", "one"])
def test_other_products_are_numpys(case):
    a, b = _operands(64, 64, 64, "NN")   # 2^18 multiply-adds: BLAS runs them on the calling thread
    if case == "small":
        a, b = a[:, :10].copy(), b[:10, :40].copy()
    elif case == "one":
        a, b = a[:1, :1].copy(), b[:1, :1].copy()
    elif case == "float64":
        a, b = a.astype(np.float64), b.astype(np.float64)
    elif case == "batched":
        a, b = np.stack([a, a]), b
    elif case == "no terms":
        a, b = a[:, :0], b[:0]
    else:
        a, b = (a * 10).astype(np.int32), (b * 10).astype(np.int32)
    assert not _gemm.takes(a, b)
    np.testing.assert_array_equal(_gemm.matmul(a, b), np.matmul(a, b))


def test_without_avx512_every_product_is_numpys(monkeypatch):
    monkeypatch.setattr(_gemm, "AVX512", False)
    a, b = _operands(128, 256, 256, "NN")
    assert not _gemm.takes(a, b)
    np.testing.assert_array_equal(_gemm.matmul(a, b), a @ b)


def _mlp_grad():
    def loss(ws, x, y):
        h = bnp.maximum(x @ ws[0], 0)
        return bnp.mean((h @ ws[1] - y) ** 2)

    rng = np.random.default_rng(1)
    ws = [rng.standard_normal((64, 96)).astype(np.float32) / 8, rng.standard_normal((96, 32)).astype(np.float32) / 10]
    x = rng.standard_normal((48, 64)).astype(np.float32)
    y = rng.standard_normal((48, 32)).astype(np.float32)
    return bc.grad(loss), ws, x, y


def test_a_replay_takes_its_products_with_fuse_auto_and_numpys_with_exact():
    g, ws, x, y = _mlp_grad()
    eager = g(ws, x, y)
    fast, exact = bc.jit(g, fuse="auto"), bc.jit(g, fuse="exact")
    for _ in range(3):
        got_fast, got_exact = fast(ws, x, y), exact(ws, x, y)
        for f, e, want in zip(got_fast, got_exact, eager):
            assert f.dtype == np.float32
            np.testing.assert_array_equal(e, want)   # exact: every value the eager one
            np.testing.assert_allclose(f, want, rtol=2e-5, atol=2e-6 * np.abs(want).max())
    (paths,) = fast._cache.values()
    assert "= g" in paths[0].compiled.source       # the replay's products
    (paths,) = exact._cache.values()
    assert "= g" not in paths[0].compiled.source


@pytest.mark.parametrize("dtype, n_in, bias", [(np.float32, 64, True), (np.float32, 64, False),
                                               (np.float32, 40, True), (np.float64, 64, True)])
def test_linear_layers_in_a_replay(dtype, n_in, bias):
    """nn.linear's forward by the A W^T kernel (3-D input, bias added after the product as eagerly);
    its gradients' products by matmul; in-features not a multiple of 16 and float64: the rule's own."""
    import backchain.nn as nn

    rng = np.random.default_rng(2)
    layer = nn.Linear(n_in, 96, bias=bias)
    layer.to(dtype)
    x = rng.standard_normal((4, 16, n_in)).astype(dtype)

    def f(x):
        return bnp.sum(bnp.tanh(layer(x)) ** 2)

    step = bc.jit(bc.value_and_grad(f), fuse="auto")
    for _ in range(3):
        (v, g), (ve, ge) = step(x), bc.value_and_grad(f)(x)
        ve, ge = (np.asarray(getattr(t, "_data", t)) for t in (ve, ge))  # eager: Tensors (the layer's graph)
        np.testing.assert_allclose(v, ve, rtol=1e-5)
        np.testing.assert_allclose(g, ge, rtol=1e-4, atol=1e-5 * np.abs(ge).max())
    (paths,) = step._cache.values()
    src = paths[0].compiled.source
    linear_name = [k for k, v in paths[0].compiled.run_buffered.__globals__.items() if v is _gemm.linear]
    assert bool(linear_name) == (dtype == np.float32)
    if dtype == np.float64:
        assert "= g" not in src


def test_products_from_several_threads_and_in_a_forked_child():
    import os
    import threading

    a, b = _operands(512, 256, 256, "NN")   # split in two
    want = _gemm.matmul(a, b)
    results = [None] * 4
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))   # (the fixture restores one)

    def work(i):
        x = a * np.float32(i + 1)
        results[i] = (_gemm.matmul(x, b), x)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, x in results:   # each call got its own product, not another thread's
        np.testing.assert_array_equal(r, _gemm.matmul(x, b))
    if hasattr(os, "fork"):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:   # the child's first product starts its own threads
            ok = np.array_equal(_gemm.matmul(a, b), want)
            os.write(w, b"1" if ok else b"0")
            os._exit(0)
        os.close(w)
        got = os.read(r, 1)
        os.waitpid(pid, 0)
        assert got == b"1"


@pytest.mark.parametrize("layout", ["NN", "TN", "NT"])
def test_stacks_of_matrices(layout):
    """Attention's products: stacks of one batch shape, each matrix in one of the layouts."""
    a = RNG.standard_normal((8, 8, 64, 64)).astype(np.float32)
    b = RNG.standard_normal((8, 8, 64, 64)).astype(np.float32)   # 2^24 multiply-adds: two threads
    if layout == "TN":
        a = np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
    if layout == "NT":
        b = np.ascontiguousarray(b.swapaxes(-1, -2)).swapaxes(-1, -2)
    assert _gemm.takes(a, b)
    out = _on_threads(2, lambda: _gemm.matmul(a, b))
    for i in range(8):
        for j in range(8):
            _check(out[i, j], a[i, j], b[i, j])
    np.testing.assert_array_equal(_gemm.matmul(a, b), out)   # one thread, whole matrices per thread: same bits
    assert not _gemm.takes(a, b[:1])              # broadcast batch: NumPy's
    assert not _gemm.takes(a[:, :, ::2, ::2], b[:, :, ::2])   # no unit stride in a matrix: NumPy's
    rows = a[:, :, ::2]                           # every other row: row-major, a leading dimension of 2k
    assert _gemm.takes(rows, b) == (layout != "TN")   # (column-major: no unit stride left)
    want = _gemm.matmul(np.ascontiguousarray(rows), b) if layout != "TN" else np.matmul(rows, b)
    np.testing.assert_array_equal(_gemm.matmul(rows, b), want)


@pytest.mark.parametrize("transposed", [False, True])
def test_attention_heads_split_from_one_array(transposed):
    """q @ k^T and p @ v on heads that are views of (batch, length, heads, dim) arrays: offsets per
    matrix, a leading dimension of heads * dim."""
    q = RNG.standard_normal((3, 40, 4, 32)).astype(np.float32).transpose(0, 2, 1, 3)
    k = RNG.standard_normal((3, 40, 4, 32)).astype(np.float32).transpose(0, 2, 1, 3)
    other = k.swapaxes(-1, -2) if transposed else RNG.standard_normal((3, 4, 32, 48)).astype(np.float32)
    assert not q.flags.c_contiguous and _gemm.takes(q, other)
    out = _gemm.matmul(q, other)
    for i in range(3):
        for j in range(4):
            _check(out[i, j], q[i, j], other[i, j])
    same = np.ascontiguousarray(k).swapaxes(-1, -2) if transposed else other   # the same kernel, stacked
    np.testing.assert_array_equal(out, _gemm.matmul(np.ascontiguousarray(q), same))


def test_stacks_in_a_buffer_dense_in_another_order():
    """Attention's heads read from a buffer the replay laid out as the traced value was (dense, but not
    C-ordered): the kernels read it in place."""
    owner = np.empty((32, 64, 4, 32), np.float32, order="C").transpose(0, 2, 1, 3)   # (b, heads, L, d) view
    buf = np.empty_like(owner, order="K")        # an owner dense in the view's memory order
    assert buf.base is None and not buf.flags.c_contiguous
    buf[...] = RNG.standard_normal(buf.shape).astype(np.float32)
    b = RNG.standard_normal((32, 4, 32, 64)).astype(np.float32)
    assert _gemm.takes(buf, b) and _gemm.takes(buf.swapaxes(-1, -2), buf)
    for x, y in ((buf, b), (buf.swapaxes(-1, -2), buf)):
        out = _gemm.matmul(x, y)
        np.testing.assert_allclose(out, np.matmul(x.astype(np.float64), y), rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(_on_threads(2, lambda: _gemm.matmul(x, y)), out)


def test_a_w_transpose_with_many_rows_copies_w_transposed_once():
    """A W^T with at least _NT_ROWS rows: W^T copied into a scratch array of the thread's, then the A B
    tiles; values against float64 products, the same bits on one thread and on two, the
    scratch reused for the next product of that shape."""
    if not _gemm.AVX512:
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2048, 128)).astype(np.float32)
    w = rng.standard_normal((384, 128)).astype(np.float32)
    want = x.astype(np.float64) @ w.T.astype(np.float64)
    one = _on_threads(1, lambda: _gemm.matmul(x, w.T))
    two = _on_threads(2, lambda: _gemm.matmul(x, w.T))
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(one, want, rtol=1e-4, atol=1e-4)
    scratch = _gemm._scratch.arrays[(128, 384)]
    w2 = rng.standard_normal((384, 128)).astype(np.float32)
    np.testing.assert_allclose(_gemm.matmul(x, w2.T), x.astype(np.float64) @ w2.T.astype(np.float64), rtol=1e-4,
                               atol=1e-4)
    assert _gemm._scratch.arrays[(128, 384)] is scratch
    _gemm._scratch.arrays.clear()
    for m, n, k, copied in ((128, 256, 256, False),    # few rows: the dot-product tiles, no copy
                            (1030, 48, 512, True),     # rows past the last 8-row tile, 512 terms
                            (1030, 40, 48, False)):    # W^T's columns not a multiple of 16: not copied
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((n, k)).astype(np.float32)
        got = _on_threads(1, lambda: _gemm.matmul(x, w.T))
        np.testing.assert_allclose(got, x.astype(np.float64) @ w.T.astype(np.float64), rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(_on_threads(2, lambda: _gemm.matmul(x, w.T)), got)
        assert ((k, n) in _gemm._scratch.arrays) is copied, (m, n, k)


@pytest.mark.parametrize("m, n", [(16, 16), (256, 256), (17, 33), (0, 5), (5, 0), (1, 1), (3, 40), (48, 130)])
def test_transpose_by_blocks_in_registers(m, n):
    """_simd.transpose: every number in its transposed place, for whole 16 x 16 blocks and the edges,
    with offsets and leading dimensions larger than the matrices (a block of a larger array in place),
    and nothing outside the destination block written."""
    src = RNG.standard_normal((m + 3, n + 5)).astype(np.float32)
    dst = np.full((n + 2, m + 7), -7.0, np.float32)
    _simd.transpose(src.reshape(-1), 1 * (n + 5) + 2, n + 5, dst.reshape(-1), 3, m + 7, m, n)
    want = np.full_like(dst, -7.0)
    want[0:n, 3:3 + m] = src[1:1 + m, 2:2 + n].T
    np.testing.assert_array_equal(dst, want)


def test_a_replay_of_a_w_transpose_with_many_rows_and_odd_columns():
    """x W^T with 1,030 rows and 40 output columns (not a multiple of 16) in a replay: the dot-product
    tiles, the values of eager (the W^T copy needs a multiple of 16 columns: taking it here failed)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1030, 48)).astype(np.float32)
    w = rng.standard_normal((40, 48)).astype(np.float32)
    f = bc.jit(lambda x, w: bnp.tanh(x @ w.T), fuse="auto")
    for _ in range(3):
        np.testing.assert_allclose(np.asarray(f(x, w)), np.tanh(x.astype(np.float64) @ w.T.astype(np.float64)),
                                   rtol=1e-4, atol=1e-5)


def test_a_posted_a_w_transpose_copies_w_transposed_as_matmul_does():
    """A product begun in the background (_gemm.post) with many rows copies W^T as matmul does, so the
    values are the same bit for bit on two threads (posted) as on one (matmul); into its own array,
    which a product of the same shape on the calling thread, before the wait, does not overwrite."""
    if not _gemm.AVX512:
        pytest.skip("the replay's own products run where the CPU has AVX-512")
    rng = np.random.default_rng(13)
    x, x2 = (rng.standard_normal((2048, 128)).astype(np.float32) for _ in range(2))
    w, w2 = (rng.standard_normal((384, 128)).astype(np.float32) for _ in range(2))
    one = _on_threads(1, lambda: _gemm.matmul(x, w.T))
    other = _on_threads(1, lambda: _gemm.matmul(x2, w2.T))

    def posted():
        out = np.empty((2048, 384), np.float32)
        _gemm.post(x, w.T, out)
        second = _gemm.matmul(x2, w2.T)   # (the thread's W^T scratch of this shape, rewritten meanwhile)
        _gemm.wait()
        return out, second

    out, second = _on_threads(2, posted)
    np.testing.assert_array_equal(out, one)
    np.testing.assert_array_equal(second, other)
