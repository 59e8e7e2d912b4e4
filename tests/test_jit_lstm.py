"""The buffered replay's LSTM kernels (backchain/jit/_rnn_kernels.py, _simd.py, the rewrite in
_patterns.py): a float32 LSTM layer's forward and VJP calls run as one product and one Numba kernel
per time step, the products by 16-lane FMA tiles (``simd``: where the CPU has AVX-512 and the batch
is a multiple of 16; forced on and off here, so both routes run on any CPU) or by BLAS.

Not bit for bit: the kernels' tanh is a rational approximation within 6 ulp of NumPy's (3.6e-7
absolute), and the products sum in another order than the rule's BLAS calls. Replayed values are
compared with eager ones at rtol 2e-5 (float32 steps), with PyTorch's ``torch.nn.LSTM`` at 1e-4
(float32 against float64) and 1e-10 (float64, which keeps the rule's NumPy functions), and with
central differences in float64. The calls the kernels do not take (float64, GRU) replay the rule's
functions: equal to eager bit for bit.
"""
import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F
import backchain.numpy as bnp
from backchain._rules.rnn import lstm_layer

pytest.importorskip("numba")

from backchain.jit import _gemm, _simd  # noqa: E402,F401  (_gemm: imported before a test patches _simd.AVX512)


@pytest.fixture(params=[False, True], ids=["blas", "simd"])
def simd(request, monkeypatch):
    """The products by BLAS, or by the 16-lane kernels (read when a program is rewritten)."""
    monkeypatch.setattr(_simd, "AVX512", request.param)
    return request.param


KERNELS = ("rnn.lstm_layer(kernels)", "_lstm_layer_vjp_all(kernels)")


def _kernel_calls(jf):
    names = []
    for paths in jf._cache.values():
        names += [s.name for s in paths[0].compiled.rewritten.steps if getattr(s, "name", None) in KERNELS]
    return names


def _model(dtype, seed=0, **kw):
    lstm = bc.nn.LSTM(5, 7, dtype=dtype, generator=np.random.default_rng(seed), **kw)
    head = bc.nn.Linear(7 * (2 if kw.get("bidirectional") else 1), 3, dtype=dtype,
                        generator=np.random.default_rng(seed + 1))
    return lstm, head


def _data(dtype, steps=6, batch=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((steps, batch, 5)).astype(dtype), rng.integers(0, 3, batch)


def _step_fn(lstm, head, every_step=False, lengths=None):
    params = list(lstm.parameters()) + list(head.parameters())
    opt = bc.optim.SGD(params, lr=0.1)

    def step(x, y):
        out, (h, c) = lstm(x, lengths=lengths)
        if every_step:   # all hidden states reach the loss: the VJP gets their cotangents
            loss = F.cross_entropy(head(out).mean(axis=0), y) + 0.1 * (out * out).mean()
        elif lstm.bidirectional:   # the last layer's two final states
            loss = F.cross_entropy(head(bnp.concatenate([h[-2], h[-1]], axis=-1)), y)
        else:
            loss = F.cross_entropy(head(h[-1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach()
    return step, params


def _train(dtype, steps=5, kernel_calls=2, rtol=2e-5, atol=1e-6, lengths=None, every_step=False, batch=16, **kw):
    """``steps`` SGD steps eager and under bc.jit from the same parameters; the parameters after each
    step compared. Returns the jitted step."""
    x, y = _data(dtype, batch=batch)
    eager, jitted = _model(dtype, **kw), _model(dtype, **kw)
    step_e, pe = _step_fn(*eager, every_step, lengths)
    step_j, pj = _step_fn(*jitted, every_step, lengths)
    jstep = bc.jit(step_j)
    for i in range(steps):
        xi = x * np.asarray(1 + 0.1 * i, dtype)
        le, lj = step_e(xi, y), jstep(xi, y)
        np.testing.assert_allclose(np.asarray(lj), np.asarray(le), rtol=rtol, atol=atol)
        for a, b in zip(pe, pj):
            assert b.data.dtype == dtype
            if rtol == 0:
                np.testing.assert_array_equal(b.data, a.data)
            else:
                np.testing.assert_allclose(b.data, a.data, rtol=rtol, atol=atol)
    assert len(_kernel_calls(jstep)) == kernel_calls
    return jstep


def test_float32_training_step_matches_eager(simd):
    _train(np.float32)


def test_batch_not_a_multiple_of_16_takes_blas(simd):
    _train(np.float32, batch=5)


def test_float32_all_hidden_states_in_the_loss(simd):
    _train(np.float32, every_step=True)


def test_stacked_layers_take_the_kernels_and_the_input_cotangent(simd):
    """The second layer's input is the first layer's output: its VJP computes the input's cotangent."""
    _train(np.float32, num_layers=2, kernel_calls=4)


def test_bidirectional_both_directions_take_the_kernels(simd):
    _train(np.float32, bidirectional=True, kernel_calls=4)


def test_without_bias(simd):
    _train(np.float32, bias=False)


def test_float64_keeps_the_rule_bit_for_bit():
    _train(np.float64, kernel_calls=0, rtol=0)


def test_float64_masked_keeps_the_rule_bit_for_bit():
    _train(np.float64, kernel_calls=0, rtol=0, lengths=[6, 3, 1, 5], batch=4)


LENGTHS = [6, 3, 1, 5, 0, 6, 2, 4, 6, 6, 1, 3, 5, 2, 4, 6]


@pytest.mark.parametrize("every_step", [False, True])
def test_masked_sequences(simd, every_step):
    """Padded sequences (lengths 0 to 6): the states carry over past a sequence's end, the outputs
    there are 0, and the carried cotangents pass through unchanged."""
    _train(np.float32, lengths=LENGTHS, every_step=every_step)


def test_masked_bidirectional_stacked(simd):
    _train(np.float32, lengths=LENGTHS, bidirectional=True, num_layers=2, kernel_calls=8)


def test_gru_is_untouched():
    def model():
        return (bc.nn.GRU(5, 7, dtype=np.float32, generator=np.random.default_rng(0)),
                bc.nn.Linear(7, 3, dtype=np.float32, generator=np.random.default_rng(1)))
    (gru_e, head_e), (gru, head) = model(), model()
    x, y = _data(np.float32)

    def make(g, h):
        opt = bc.optim.SGD(list(g.parameters()) + list(h.parameters()), lr=0.1)

        def step(x, y):
            out, hn = g(x)
            loss = F.cross_entropy(h(hn[-1]), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.detach()
        return step
    se, sj = make(gru_e, head_e), bc.jit(make(gru, head))
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(sj(x, y)), np.asarray(se(x, y)))
    for a, b in zip(gru_e.parameters(), gru.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    (paths,) = sj._cache.values()
    assert not any("(kernels)" in getattr(s, "name", "") for s in paths[0].compiled.rewritten.steps)


def test_w7_own_case_matches_eager(simd):
    """W7 itself (100 steps, hidden 128, batch 16 here) over four SGD steps."""
    from benchmarks.workloads import w7_lstm

    eager, jitted = w7_lstm.WORKLOAD.make("backchain", 16), w7_lstm.WORKLOAD.make("backchain", 16)
    jstep = bc.jit(jitted.step)
    for _ in range(4):
        eager.step()
        jstep()
        for a, b in zip(eager.params, jitted.params):
            np.testing.assert_allclose(b.data, a.data, rtol=2e-5, atol=1e-6)
    assert len(_kernel_calls(jstep)) == 2


# -- gradients of the layer primitive, under jit(grad) ---------------------------------------------

def _layer_args(dtype, steps=5, batch=16, i=4, h=6, seed=1):
    rng = np.random.default_rng(seed)
    b = 1 / np.sqrt(h)
    shapes = [(steps, batch, i), (batch, h), (batch, h), (4 * h, i), (4 * h, h), (4 * h,), (4 * h,)]
    return [rng.uniform(-b, b, s).astype(dtype) if k >= 3 else rng.standard_normal(s).astype(dtype)
            for k, s in enumerate(shapes)]


def _layer_loss(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    hs, h, c = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    return (hs * hs).sum() * 0.5 + (h * 1.5).sum() + (c * c).sum()


def _torch_grads(args):
    torch = pytest.importorskip("torch")
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
    m = torch.nn.LSTM(x.shape[2], h0.shape[1]).double()
    with torch.no_grad():
        for p, v in zip((m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(v)
    hs, (h, c) = m(x, (h0[None], c0[None]))
    loss = (hs * hs).sum() * 0.5 + (h * 1.5).sum() + (c * c).sum()
    loss.backward()
    return [a.grad.numpy() for a in (x, h0, c0)] + [p.grad.numpy() for p in
                                                     (m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0)]


@pytest.mark.parametrize("dtype, rtol, calls", [(np.float32, 1e-4, 2), (np.float64, 1e-10, 0)])
def test_gradients_match_torch(dtype, rtol, calls, simd):
    args = _layer_args(dtype)
    g = bc.jit(bc.grad(_layer_loss, argnums=tuple(range(7))))
    want = _torch_grads([a.astype(np.float64) for a in args])
    for _ in range(2):   # the trace, then the replay
        got = g(*args)
        for a, b in zip(got, want):
            a = np.asarray(a)
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())
    assert len(_kernel_calls(g)) == calls


@pytest.mark.parametrize("hidden, inputs", [(20, 7), (40, 33), (8, 16)])
@pytest.mark.parametrize("threads", [1, 2])
def test_hidden_sizes_across_unit_blocks_match_torch(hidden, inputs, threads, simd):
    """Hidden sizes whose unit blocks end inside a row tile (20: blocks of 8 rows and a partial one of
    W_hh^T packed ahead; 40: two parts of 24 and 16 units on two threads), inputs not a multiple of 16,
    every gradient against PyTorch's, on one thread and on two."""
    numba = pytest.importorskip("numba")
    args = _layer_args(np.float32, steps=7, batch=32, i=inputs, h=hidden, seed=hidden)
    g = bc.jit(bc.grad(_layer_loss, argnums=tuple(range(7))))
    want = _torch_grads([a.astype(np.float64) for a in args])
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for _ in range(2):
            for a, b in zip(g(*args), want):
                np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4, atol=1e-4 * np.abs(b).max())
    finally:
        numba.set_num_threads(before)
    assert len(_kernel_calls(g)) == 2


def test_replayed_gradients_are_new_arrays(simd):
    """The VJP call owns its arrays: gradients a program returns are copies, which a later replay
    does not overwrite."""
    args = _layer_args(np.float32)
    g = bc.jit(bc.grad(_layer_loss, argnums=(3, 4, 5)))
    g(*args)
    first = [np.asarray(a) for a in g(*args)]
    kept = [a.copy() for a in first]
    args2 = [a * np.float32(1.1) for a in args]
    second = [np.asarray(a) for a in g(*args2)]
    for a, b, c in zip(first, kept, second):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    assert len(_kernel_calls(g)) == 2


def test_replayed_outputs_are_new_arrays(simd):
    args = _layer_args(np.float32)
    f = bc.jit(lambda *a: lstm_layer(*a))
    f(*args)
    first = [np.asarray(o).copy() for o in f(*args)]
    out1 = f(*args)
    f(*[a * np.float32(0.5) for a in args])
    for a, b in zip(out1, first):
        np.testing.assert_array_equal(np.asarray(a), b)
    eager = lstm_layer(*args)
    for a, b in zip(out1, eager):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=1e-6)


def test_float64_gradients_match_central_differences():
    args = _layer_args(np.float64, steps=3, batch=2, i=3, h=4)
    got = bc.jit(bc.grad(_layer_loss, argnums=tuple(range(7))))(*args)
    rng = np.random.default_rng(3)
    eps = 1e-6
    for k, g in enumerate(got):
        for idx in [tuple(rng.integers(0, s) for s in args[k].shape) for _ in range(3)]:
            up = [a.copy() for a in args]
            dn = [a.copy() for a in args]
            up[k][idx] += eps
            dn[k][idx] -= eps
            fd = (float(_layer_loss(*up)) - float(_layer_loss(*dn))) / (2 * eps)
            assert abs(np.asarray(g)[idx] - fd) <= 1e-6 * max(1.0, abs(fd))


def test_tanh_within_six_ulp_of_numpy():
    from backchain.jit._rnn_kernels import tanh32

    x = np.concatenate([np.linspace(-12, 12, 400001), [0.0, -0.0, 1e-30, -1e-30, 7.9, 9.0, np.inf, -np.inf, np.nan]])
    x = x.astype(np.float32)
    out = np.empty_like(x)
    tanh32(x, out)
    ref = np.tanh(x)
    fin = np.isfinite(ref)
    assert np.all(np.abs(out[fin] - ref[fin]) <= 6 * np.spacing(np.abs(ref[fin])) + 1e-38)
    assert np.isnan(out[-1]) and out[-3] == 1 and out[-2] == -1


@pytest.mark.parametrize("m, n, k, kblock", [(512, 32, 160, 256), (128, 32, 512, 256), (13, 48, 7, 256),
                                             (9, 16, 1, 256), (3, 64, 600, 256), (8, 16, 0, 256), (17, 32, 1000, 96),
                                             (16, 64, 100, 256), (24, 96, 600, 96), (8, 80, 32, 512),
                                             (9, 64, 31, 256)])
def test_rows_nn_against_numpy(m, n, k, kblock):
    """The LSTM steps' products (``_simd.rows_nn``, A row-major, read in place where one 32-column tile
    reads it, packed 32 terms at a time in registers where several do): tiles, leftover rows, columns
    and terms, passes over k, offsets and leading dimensions larger than the operands' rows."""
    rng = np.random.default_rng(m * 1000 + k)
    a = rng.standard_normal((m, k + 3)).astype(np.float32)
    b = rng.standard_normal((k + 1, n + 16)).astype(np.float32)
    c = np.full((m + 1, n + 32), np.nan, np.float32)
    _simd.rows_nn(a.reshape(-1)[2:], k + 3, 1, b.reshape(-1)[n + 16 + 5:], n + 16, c.reshape(-1)[n + 32 + 7:], n + 32,
                  0, m, n, k, kblock)
    want = a[:, 2:2 + k].astype(np.float64) @ b[1:, 5:5 + n]
    got = c[1:, 7:7 + n]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * max(1, k))
    assert np.isnan(c[0]).all() and np.isnan(c[1:, :7]).all() and np.isnan(c[1:, 7 + n:]).all()


@pytest.mark.parametrize("m, n, k, kblock, r0", [(512, 32, 160, 256, 0), (128, 32, 512, 256, 64), (20, 48, 7, 256, 8),
                                                 (24, 96, 600, 96, 8), (13, 80, 33, 512, 0), (9, 64, 31, 256, 0)])
def test_rows_nn_on_rows_packed_ahead(m, n, k, kblock, r0):
    """``_simd.pack_rows`` then ``rows_nn(..., packed=True)`` (an LSTM layer's weights, packed once for
    every step): the same bits as the product on A in place, for rows from any tile boundary, partial
    last tiles (zeros past the rows) and passes over k."""
    rng = np.random.default_rng(m + n + k)
    a = rng.standard_normal((m, k + 3)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    want = np.full((m, n), np.nan, np.float32)
    _simd.rows_nn(a.reshape(-1), k + 3, 1, b.reshape(-1), n, want.reshape(-1), n, r0, m, n, k, kblock)
    ap = np.full(8 * k * -(-m // 8), np.nan, np.float32)
    _simd.pack_rows(a.reshape(-1), k + 3, 1, m, k, ap)
    assert not np.isnan(ap).any()
    got = np.full((m, n), np.nan, np.float32)
    _simd.rows_nn(ap, 0, 0, b.reshape(-1), n, got.reshape(-1), n, r0, m, n, k, kblock, False, True)
    np.testing.assert_array_equal(got[r0:], want[r0:])
    np.testing.assert_allclose(got[r0:], a[r0:, :k].astype(np.float64) @ b, rtol=0, atol=1e-5 * max(1, k))
    assert np.isnan(got[:r0]).all()
    at = np.asfortranarray(a[:, :k])   # a column-major A packs to the same runs
    ap2 = np.empty_like(ap)
    _simd.pack_rows(at.T.reshape(-1), 1, m, m, k, ap2)
    np.testing.assert_array_equal(ap2, ap)
