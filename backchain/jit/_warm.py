"""Compile ``bc.jit``'s kernels ahead: ``python -m backchain.jit``.

The replay's Numba kernels (the pattern rewrites, the float32 products, the LSTM recurrence)
compile the first time a program needs them on a machine, then load from Numba's disk cache: the
first call and two steps of W7's LSTM step take 11.9 s on a new machine, 0.35 s afterwards. :func:`warm`
runs a few small training steps under ``bc.jit`` (a dense network, a convolutional one, an LSTM,
an attention layer; float32 and float64) so that those kernels are compiled and cached before the
program that needs them runs: in a container image's build, say, or once after ``pip install``.

Kernels fused from a program's own elementwise runs (``_fuse.py``) are compiled per program and
are not among them.
"""
import time

import numpy as np

__all__ = ["warm"]


def _steps(dtype):
    """Small training steps whose replays use every pattern, product and LSTM kernel for ``dtype``."""
    import backchain as bc
    import backchain.nn as nn
    import backchain.nn.functional as F

    rng = np.random.default_rng(0)
    dense = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    # (the second convolution padded: float32 convolutions the pool's kernels do not take, _conv_kernels.py)
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    lstm = nn.LSTM(16, 32)
    head = nn.Linear(32, 10)
    attention = nn.TransformerEncoderLayer(64, 2, 64, dropout=0.0, batch_first=True)   # heads of 32: stacks
    cases = []
    for model, x, loss in (
            (dense, rng.standard_normal((32, 64)), lambda out, y: F.cross_entropy(out, y)),
            (conv, rng.standard_normal((16, 1, 26, 26)), lambda out, y: F.cross_entropy(out, y)),
            (attention, rng.standard_normal((4, 32, 64)), lambda out, y: bc.numpy.mean(out ** 2))):
        model.to(dtype)
        cases.append((model, x.astype(dtype), loss))
    lstm.to(dtype)
    head.to(dtype)
    y = rng.integers(0, 10, 32)

    def step_of(model, x, loss):
        opt = bc.optim.SGD(model.parameters(), lr=0.01)

        def step():
            out = model(x)
            value = loss(out, y[:len(out)])
            opt.zero_grad()
            value.backward()
            opt.step()

        return step

    steps = [step_of(*case) for case in cases]
    seq = rng.standard_normal((20, 16, 16)).astype(dtype)   # (steps, batch, features): a batch of 16
    params = list(lstm.parameters()) + list(head.parameters())

    def lstm_step():
        out, _ = lstm(seq)
        value = F.cross_entropy(head(out[-1]), y[:16])
        for p in params:
            p.grad = None
        value.backward()
        for p in params:
            p.data -= 0.01 * p.grad

    # (sizes whose products the pool splits, begins in the background, pads, and fuses with the SGD step)
    ws = [bc.tensor((rng.standard_normal(s) * 0.05).astype(dtype), requires_grad=True)
          for s in ((512, 256), (256,), (256, 10), (10,))]
    xs = rng.standard_normal((128, 512)).astype(dtype)

    yw = rng.integers(0, 10, 128)

    def matmul_step():   # x @ W + b written out, and p.data -= lr * p.grad: W1's patterns
        h = F.relu(xs @ ws[0] + ws[1])
        value = F.cross_entropy(h @ ws[2] + ws[3], yw)
        for p in ws:
            p.grad = None
        value.backward()
        for p in ws:
            p.data -= 0.01 * p.grad

    sa = rng.standard_normal((4, 32, 32)).astype(dtype)
    sb = bc.tensor(rng.standard_normal((4, 32, 32)).astype(dtype), requires_grad=True)

    def stack_step():   # stacks of contiguous matrices (the attention layer's are views: NumPy's)
        value = bc.numpy.sum(bc.numpy.tanh(sa @ sb) @ sb)
        sb.grad = None
        value.backward()

    return steps + [lstm_step, matmul_step, stack_step]


def warm(dtypes=(np.float32, np.float64), verbose=False):
    """Run small training steps under ``bc.jit`` for each dtype, on one thread and on the machine's
    threads, until every kernel their replays take is compiled (or loaded from Numba's cache).
    Returns the seconds it took."""
    import backchain as bc

    try:
        import numba
    except ImportError:
        if verbose:
            print("bc.jit: Numba is not installed (pip install backchain[jit]); nothing to compile")
        return 0.0
    from . import _background, _pool

    t0 = time.perf_counter()
    _pool.warm()
    threads = numba.get_num_threads()
    for n in sorted({1, threads}):
        numba.set_num_threads(n)
        try:
            for dtype in dtypes:
                for step in _steps(np.dtype(dtype).type):
                    jitted = bc.jit(step)
                    for _ in range(3):   # the trace, then replays (the kernels compile on the first)
                        jitted()
        finally:
            numba.set_num_threads(threads)
    _background.wait()
    took = time.perf_counter() - t0
    if verbose:
        print(f"bc.jit: kernels compiled or loaded from Numba's cache in {took:.1f} s")
    return took
