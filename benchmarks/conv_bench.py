"""LeNet-style CNN train step: backchain against PyTorch CPU and against hand-written NumPy im2col.

Network (issue #6): batch 64 of 1x28x28 float32; conv 1->8 5x5, ReLU, max-pool 2; conv 8->16 5x5,
ReLU, max-pool 2; linear 256->10 (x @ W.T + b); softmax cross-entropy; SGD (lr 0.01).
One step = forward, backward, parameter update.

Implementations:
  backchain  conv2d / max_pool2d / relu primitives of backchain._rules, loss written with backchain.numpy
  torch      torch.nn.functional, autograd, in-place SGD
  numpy      the im2col forward and backward written by hand in this file, the way NumPy
             tutorials write them: im2col by a fancy-index gather, col2im by np.add.at,
             2x2 max-pool by reshape and a mask

Each implementation runs in a fresh process, single-threaded (OMP/OpenBLAS/MKL threads = 1,
torch.set_num_threads(1)), so that the figures compare the code rather than the machine's load;
the median step time over --repeats steps (after --warmup steps) is taken in each of --rounds
interleaved rounds, and the medians over rounds are reported (ratios: median of per-round ratios).

    python benchmarks/conv_bench.py [--repeats N] [--warmup N] [--rounds N] [--json out.json]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import _stepbench  # noqa: E402

N, LR = 64, 0.01


def init(seed=0, batch=N):
    rng = np.random.default_rng(seed)

    def u(shape, fan_in):
        b = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-b, b, size=shape).astype(np.float32)

    params = [u((8, 1, 5, 5), 25), u((8,), 25), u((16, 8, 5, 5), 200), u((16,), 200), u((10, 256), 256),
              u((10,), 256)]
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    return params, x, y


# -- backchain -------------------------------------------------------------------------------------

def backchain_step_fn():
    import backchain as bc
    import backchain.numpy as bnp
    from backchain._rules.activations import relu
    from backchain._rules.conv import conv2d
    from backchain._rules.pool import max_pool2d

    init_params, x, y = init()
    params = [bc.tensor(p, requires_grad=True) for p in init_params]
    onehot = np.eye(10, dtype=np.float32)[y]

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h = max_pool2d(relu(conv2d(x, w1, b1)), 2)
        h = max_pool2d(relu(conv2d(h, w2, b2)), 2)
        logits = bnp.reshape(h, (N, 256)) @ w3.T + b3
        m = bc.stop_gradient(bnp.max(logits, axis=1, keepdims=True))
        z = logits - m
        loss = bnp.mean(bnp.log(bnp.sum(bnp.exp(z), axis=1)) - bnp.sum(z * onehot, axis=1))
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return float(loss.data)

    return step


# -- torch -----------------------------------------------------------------------------------------

def torch_step_fn():
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    init_params, x, y = init()
    params = [torch.tensor(p, requires_grad=True) for p in init_params]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h = F.max_pool2d(F.relu(F.conv2d(xt, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        logits = h.reshape(N, 256) @ w3.T + b3
        loss = F.cross_entropy(logits, yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return float(loss)

    return step


# -- hand-written NumPy im2col ---------------------------------------------------------------------

def _im2col_indices(c, h, w, k):
    oh, ow = h - k + 1, w - k + 1
    i0 = np.tile(np.repeat(np.arange(k), k), c)
    j0 = np.tile(np.arange(k), k * c)
    i1 = np.repeat(np.arange(oh), ow)
    j1 = np.tile(np.arange(ow), oh)
    i = i0[:, None] + i1[None, :]
    j = j0[:, None] + j1[None, :]
    ch = np.repeat(np.arange(c), k * k)[:, None]
    return ch, i, j, oh, ow


def _conv_forward(x, w, b, idx):
    ch, i, j, oh, ow = idx
    cols = x[:, ch, i, j]                                     # (N, C*k*k, oh*ow)
    out = np.matmul(w.reshape(w.shape[0], -1), cols) + b[:, None]
    return out.reshape(x.shape[0], w.shape[0], oh, ow), cols


def _conv_backward(dout, x_shape, w, cols, idx):
    ch, i, j, oh, ow = idx
    d = dout.reshape(dout.shape[0], dout.shape[1], -1)        # (N, O, P)
    dw = np.einsum("nop,nkp->ok", d, cols).reshape(w.shape)
    db = d.sum(axis=(0, 2))
    dcols = np.matmul(w.reshape(w.shape[0], -1).T, d)         # (N, C*k*k, P)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    np.add.at(dx, (slice(None), ch, i, j), dcols)
    return dx, dw, db


def _pool_forward(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = r.max(axis=(3, 5))
    mask = r == out[:, :, :, None, :, None]
    return out, mask


def _pool_backward(dout, mask):
    n, c, h, w = dout.shape
    d = mask * dout[:, :, :, None, :, None]
    return d.reshape(n, c, 2 * h, 2 * w)


_IDX = {}


def numpy_lenet(params, x, y):
    """Loss and gradients (w1, b1, w2, b2, w3, b3) of the LeNet step, forward and backward by hand."""
    if not _IDX:
        _IDX[1], _IDX[2] = _im2col_indices(1, 28, 28, 5), _im2col_indices(8, 12, 12, 5)
    idx1, idx2 = _IDX[1], _IDX[2]
    n = len(x)
    onehot = np.eye(10, dtype=np.float32)[y]
    w1, b1, w2, b2, w3, b3 = params
    a1, cols1 = _conv_forward(x, w1, b1, idx1)
    r1 = np.maximum(a1, 0)
    p1, m1 = _pool_forward(r1)
    a2, cols2 = _conv_forward(p1, w2, b2, idx2)
    r2 = np.maximum(a2, 0)
    p2, m2 = _pool_forward(r2)
    f = p2.reshape(n, 256)
    logits = f @ w3.T + b3
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) - (z * onehot).sum(axis=1)))
    dlogits = (e / s - onehot) / n
    dw3 = dlogits.T @ f
    db3 = dlogits.sum(axis=0)
    df = dlogits @ w3
    dr2 = _pool_backward(df.reshape(p2.shape), m2) * (a2 > 0)
    dp1, dw2, db2 = _conv_backward(dr2, p1.shape, w2, cols2, idx2)
    dr1 = _pool_backward(dp1, m1) * (a1 > 0)
    _, dw1, db1 = _conv_backward(dr1, x.shape, w1, cols1, idx1)
    return loss, [dw1, db1, dw2, db2, dw3, db3]


def numpy_step_fn():
    params, x, y = init()

    def step():
        loss, grads = numpy_lenet(params, x, y)
        for p, g in zip(params, grads):
            p -= LR * g
        return loss

    return step


STEPS = {"backchain": backchain_step_fn, "torch": torch_step_fn, "numpy": numpy_step_fn}


def measure(impl, repeats, warmup):
    return _stepbench.measure(STEPS[impl], repeats, warmup)


def main(argv=None):
    steps = {k: STEPS[k] for k in ("backchain", "torch", "numpy")}
    return _stepbench.main(__file__, steps, f"LeNet-style train step, batch {N}", argv, repeats=30, warmup=5)


if __name__ == "__main__":
    main()
