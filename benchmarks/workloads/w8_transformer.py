"""W8: transformer encoder train step: 2 post-norm layers (d_model 128, 4 heads, feed-forward 512, ReLU,
no dropout), batch 32 of 64 tokens, mean squared error against a random target, SGD (float32).

The NumPy baseline writes the forward and backward passes of the two layers by hand (attention
with its softmax, the residuals, both LayerNorms, the feed-forward block); backchain uses
``bc.nn.TransformerEncoder``; PyTorch ``torch.nn.TransformerEncoder`` in training mode, with the
same weights (PyTorch's parameter names and layout).
"""
import numpy as np

from . import Workload
from ._sgd import BackchainSGD, TorchSGD

L, D, HEADS, FF, LAYERS, LR, EPS = 64, 128, 4, 512, 2, 0.01, 1e-5
NAMES = ("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
         "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
         "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")


def init(batch, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(LAYERS):
        u = lambda shape, fan: rng.uniform(-1, 1, shape) / np.sqrt(fan)
        layers.append([u((3 * D, D), D), 0.02 * rng.standard_normal(3 * D), u((D, D), D),
                       0.02 * rng.standard_normal(D), u((FF, D), D), 0.02 * rng.standard_normal(FF), u((D, FF), FF),
                       0.02 * rng.standard_normal(D), 1 + 0.1 * rng.standard_normal(D),
                       0.1 * rng.standard_normal(D), 1 + 0.1 * rng.standard_normal(D),
                       0.1 * rng.standard_normal(D)])
    params = [p.astype(np.float32) for layer in layers for p in layer]
    x = rng.standard_normal((batch, L, D)).astype(np.float32)
    target = rng.standard_normal((batch, L, D)).astype(np.float32)
    return params, x, target


def _state(params):
    return {f"layers.{k}.{name}": params[k * len(NAMES) + j] for k in range(LAYERS) for j, name in enumerate(NAMES)}


# -- hand-written NumPy -------------------------------------------------------------------------

def _layer_norm(x, g, b):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    inv = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + EPS)
    xhat = xc * inv
    return xhat * g + b, (xhat, inv)


def _layer_norm_back(dy, g, cache):
    xhat, inv = cache
    dxhat = dy * g
    dx = (dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True)) * inv
    return dx, (dy * xhat).reshape(-1, D).sum(0), dy.reshape(-1, D).sum(0)


def _heads(t, n):
    return t.reshape(n, L, HEADS, D // HEADS).transpose(0, 2, 1, 3)


def _merge(t, n):
    return t.transpose(0, 2, 1, 3).reshape(n, L, D)


def _layer_forward(x, p):
    w_in, b_in, w_o, b_o, w1, b1, w2, b2, g1, be1, g2, be2 = p
    n = x.shape[0]
    qkv = x @ w_in.T + b_in
    q, k, v = (_heads(qkv[..., j * D:(j + 1) * D], n) for j in range(3))
    scale = np.float32(1.0 / np.sqrt(D // HEADS))
    s = (q * scale) @ k.transpose(0, 1, 3, 2)
    e = np.exp(s - s.max(-1, keepdims=True))
    pr = e / e.sum(-1, keepdims=True)
    o = _merge(pr @ v, n)
    a = o @ w_o.T + b_o
    y1, ln1 = _layer_norm(x + a, g1, be1)
    hpre = y1 @ w1.T + b1
    h = np.maximum(hpre, 0)
    f = h @ w2.T + b2
    y2, ln2 = _layer_norm(y1 + f, g2, be2)
    return y2, (x, q, k, v, pr, o, y1, ln1, hpre, h, ln2, scale)


def _layer_backward(dy2, p, cache):
    w_in, b_in, w_o, b_o, w1, b1, w2, b2, g1, be1, g2, be2 = p
    x, q, k, v, pr, o, y1, ln1, hpre, h, ln2, scale = cache
    n = x.shape[0]
    flat = lambda t: t.reshape(-1, t.shape[-1])
    dz2, dg2, dbe2 = _layer_norm_back(dy2, g2, ln2)
    dw2, db2 = flat(dz2).T @ flat(h), flat(dz2).sum(0)
    dh = (dz2 @ w2) * (hpre > 0)
    dw1, db1 = flat(dh).T @ flat(y1), flat(dh).sum(0)
    dy1 = dz2 + dh @ w1
    dz1, dg1, dbe1 = _layer_norm_back(dy1, g1, ln1)
    dwo, dbo = flat(dz1).T @ flat(o), flat(dz1).sum(0)
    do = _heads(dz1 @ w_o, n)
    dpr = do @ v.transpose(0, 1, 3, 2)
    dv = pr.transpose(0, 1, 3, 2) @ do
    ds = pr * (dpr - (dpr * pr).sum(-1, keepdims=True))
    dq = (ds @ k) * scale
    dk = ds.transpose(0, 1, 3, 2) @ (q * scale)
    dqkv = np.concatenate([_merge(dq, n), _merge(dk, n), _merge(dv, n)], axis=-1)
    dw_in, db_in = flat(dqkv).T @ flat(x), flat(dqkv).sum(0)
    dx = dz1 + dqkv @ w_in
    return dx, [dw_in, db_in, dwo, dbo, dw1, db1, dw2, db2, dg1, dbe1, dg2, dbe2]


class NumpyEncoder:
    def __init__(self, batch):
        self.params, self.x, self.target = init(batch)

    def grads(self):
        m = len(NAMES)
        layers = [self.params[k * m:(k + 1) * m] for k in range(LAYERS)]
        h, caches = self.x, []
        for p in layers:
            h, c = _layer_forward(h, p)
            caches.append(c)
        d = (h - self.target) * np.float32(2.0 / h.size)
        grads = [None] * LAYERS
        for k in reversed(range(LAYERS)):
            d, grads[k] = _layer_backward(d, layers[k], caches[k])
        return [g for layer in grads for g in layer]

    def step(self):
        for p, g in zip(self.params, self.grads()):
            p -= LR * g


class BackchainEncoder(BackchainSGD):
    lr = LR

    def __init__(self, batch):
        import backchain as bc
        import backchain.numpy as bnp

        self.bnp = bnp
        params, self.x, self.target = init(batch)
        layer = bc.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.model = bc.nn.TransformerEncoder(layer, LAYERS)
        self.model.load_state_dict(_state(params))
        self.params = list(self.model.parameters())

    def _loss(self):
        return self.bnp.mean((self.model(self.x) - self.target) ** 2)


class TorchEncoder(TorchSGD):
    lr = LR

    def __init__(self, batch):
        import torch

        self.torch = torch
        params, x, target = init(batch)
        layer = torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.model = torch.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.model.load_state_dict({k: torch.tensor(v) for k, v in _state(params).items()})
        self.params = list(self.model.parameters())
        self.x, self.target = torch.from_numpy(x), torch.from_numpy(target)

    def _loss(self):
        return self.torch.nn.functional.mse_loss(self.model(self.x), self.target)


IMPLEMENTATIONS = {"numpy": NumpyEncoder, "backchain": BackchainEncoder, "torch": TorchEncoder}


def make(impl, batch):
    return IMPLEMENTATIONS[impl](batch)


def flops(batch):
    """Matrix products of the projections, attention and feed-forward block, forward and backward."""
    per_layer = 2 * batch * L * (3 * D * D + D * D + 2 * D * FF) + 2 * 2 * batch * L * L * D
    return 3 * LAYERS * per_layer


WORKLOAD = Workload(
    name="W8",
    title="Transformer encoder, 2 layers, d_model 128, 4 heads, ff 512, seq 64, batch 32, MSE, SGD step",
    unit="ms/step",
    make=make,
    impls=("numpy", "backchain", "torch"),
    size=32,
    smoke_size=2,
    steps=30,
    warmup=3,
    quick_steps=3,
    quick_warmup=1,
    scale=1e3,
    flops=flops,
    rtol=1e-3,
    sweep=(1, 8, 32, 128),
    size_label="batch",
    per_label="example",
)
