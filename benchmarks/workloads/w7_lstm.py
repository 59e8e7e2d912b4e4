"""W7: LSTM train step: 100 time steps, batch 32, input 32, hidden 128, a linear head 128->10 on the
last hidden state, softmax cross-entropy, SGD (float32).

The NumPy baseline is the LSTM forward pass and backpropagation through time written by hand
(gates in PyTorch's order i, f, g, o; one input-projection product for all steps, one hidden
product per step; weight gradients summed over steps); backchain uses ``bc.nn.LSTM`` and
``bc.nn.functional``; PyTorch ``torch.nn.LSTM`` with the same weights.
"""
import numpy as np

from . import Workload
from ._sgd import BackchainSGD, TorchSGD

T, I, H, LR = 100, 32, 128, 0.01
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def init(batch, seed=0):
    rng = np.random.default_rng(seed)
    b = 1.0 / np.sqrt(H)
    params = [rng.uniform(-b, b, s).astype(np.float32) for s in ((4 * H, I), (4 * H, H), (4 * H,), (4 * H,),
                                                                  (10, H), (10,))]
    x = rng.standard_normal((T, batch, I)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    return params, x, y


def _sigmoid(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


class NumpyLSTM:
    def __init__(self, batch):
        self.params, self.x, self.y = init(batch)

    def grads(self):
        w_ih, w_hh, b_ih, b_hh, w, b = self.params
        x, y = self.x, self.y
        n = x.shape[1]
        xp = x @ w_ih.T + (b_ih + b_hh)
        hs = np.zeros((T + 1, n, H), np.float32)
        cs = np.zeros((T + 1, n, H), np.float32)
        acts = np.empty((T, n, 4 * H), np.float32)
        for t in range(T):
            a = xp[t] + hs[t] @ w_hh.T
            i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
            g = np.tanh(a[:, 2 * H:3 * H])
            cs[t + 1] = f * cs[t] + i * g
            hs[t + 1] = o * np.tanh(cs[t + 1])
            acts[t, :, :H], acts[t, :, H:2 * H], acts[t, :, 2 * H:3 * H], acts[t, :, 3 * H:] = i, f, g, o
        logits = hs[T] @ w.T + b
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(n), y] -= 1
        dlogits = p / n
        dw, db = dlogits.T @ hs[T], dlogits.sum(axis=0)
        dh = dlogits @ w
        dc = np.zeros_like(dh)
        da = np.empty_like(acts)
        for t in range(T - 1, -1, -1):
            i, f, g, o = acts[t, :, :H], acts[t, :, H:2 * H], acts[t, :, 2 * H:3 * H], acts[t, :, 3 * H:]
            tc = np.tanh(cs[t + 1])
            dc = dc + dh * o * (1 - tc * tc)
            da[t, :, :H] = dc * g * i * (1 - i)
            da[t, :, H:2 * H] = dc * cs[t] * f * (1 - f)
            da[t, :, 2 * H:3 * H] = dc * i * (1 - g * g)
            da[t, :, 3 * H:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = da[t] @ w_hh
        flat = da.reshape(-1, 4 * H)
        dw_ih = flat.T @ x.reshape(-1, I)
        dw_hh = flat.T @ hs[:T].reshape(-1, H)
        dbias = flat.sum(axis=0)
        return [dw_ih, dw_hh, dbias, dbias.copy(), dw, db]

    def step(self):
        for p, g in zip(self.params, self.grads()):
            p -= LR * g


class BackchainLSTM(BackchainSGD):
    lr = LR

    def __init__(self, batch):
        import backchain as bc

        self.bc = bc
        params, self.x, self.y = init(batch)
        self.lstm, self.head = bc.nn.LSTM(I, H), bc.nn.Linear(H, 10)
        self.lstm.load_state_dict(dict(zip(NAMES, params[:4])))
        self.head.load_state_dict({"weight": params[4], "bias": params[5]})
        self.params = list(self.lstm.parameters()) + list(self.head.parameters())

    def _loss(self):
        out, (h, c) = self.lstm(self.x)
        return self.bc.nn.functional.cross_entropy(self.head(h[0]), self.y)


class TorchLSTM(TorchSGD):
    lr = LR

    def __init__(self, batch):
        import torch

        self.torch = torch
        params, x, y = init(batch)
        self.lstm, self.head = torch.nn.LSTM(I, H), torch.nn.Linear(H, 10)
        self.lstm.load_state_dict({k: torch.tensor(v) for k, v in zip(NAMES, params[:4])})
        self.head.load_state_dict({"weight": torch.tensor(params[4]), "bias": torch.tensor(params[5])})
        self.params = list(self.lstm.parameters()) + list(self.head.parameters())
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def _loss(self):
        out, (h, c) = self.lstm(self.x)
        return self.torch.nn.functional.cross_entropy(self.head(h[0]), self.y)


IMPLEMENTATIONS = {"numpy": NumpyLSTM, "backchain": BackchainLSTM, "torch": TorchLSTM}


def make(impl, batch):
    return IMPLEMENTATIONS[impl](batch)


def flops(batch):
    """Matrix products: input and hidden projections forward, twice that backward."""
    return 3 * 2 * T * batch * 4 * H * (I + H)


WORKLOAD = Workload(
    name="W7",
    title="LSTM 32->128 over 100 steps, linear head, cross-entropy, batch 32, SGD step (float32)",
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
    sweep=(1, 8, 32, 128),
    size_label="batch",
    per_label="example",
)
