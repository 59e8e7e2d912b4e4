"""Test helper: a tiny stand-in for ``bc.nn`` modules (NOT part of the library).

``ToyMLP`` has the PyTorch Module interface that the training code relies on
(callable, ``parameters``, ``named_parameters``, ``state_dict`` /
``load_state_dict``, ``train`` / ``eval``, ``zero_grad``, ``named_modules``,
``children``, ``register_forward_hook``), built from plain
``bc.tensor(requires_grad=True)`` parameters and ``backchain.numpy`` ops.
"""
import numpy as np

import backchain as bc
import backchain.numpy as bnp


class _Handle:
    def __init__(self, hooks, key):
        self.hooks, self.key = hooks, key

    def remove(self):
        self.hooks.pop(self.key, None)


class ToyModule:
    def __init__(self):
        self._params = {}
        self._children = {}
        self._hooks = {}
        self.training = True

    def __call__(self, x):
        out = self.forward(x)
        for hook in list(self._hooks.values()):
            hook(self, (x,), out)
        return out

    def register_forward_hook(self, hook):
        key = object()
        self._hooks[key] = hook
        return _Handle(self._hooks, key)

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def children(self):
        return iter(self._children.values())

    def named_parameters(self, prefix=""):
        for name, p in self._params.items():
            yield (f"{prefix}.{name}" if prefix else name), p
        for cname, child in self._children.items():
            yield from child.named_parameters(f"{prefix}.{cname}" if prefix else cname)

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def state_dict(self):
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state):
        own = dict(self.named_parameters())
        if set(own) != set(state):
            raise KeyError(f"load_state_dict: keys differ: {sorted(set(own) ^ set(state))}")
        for name, p in own.items():
            p.data[...] = state[name]

    def train(self, mode=True):
        for _, m in self.named_modules():
            m.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None


class ToyLinear(ToyModule):
    def __init__(self, n_in, n_out, rng, dtype=np.float64):
        super().__init__()
        bound = 1 / np.sqrt(n_in)
        self.weight = self._params["weight"] = bc.tensor(rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype),
                                                         requires_grad=True)
        self.bias = self._params["bias"] = bc.tensor(rng.uniform(-bound, bound, n_out).astype(dtype),
                                                     requires_grad=True)

    def forward(self, x):
        return bnp.matmul(x, bnp.transpose(self.weight)) + self.bias


class ToyTanh(ToyModule):
    def forward(self, x):
        return bnp.tanh(x)


class ToyMLP(ToyModule):
    """fc1 -> act -> fc2, called in order (like a Sequential)."""

    def __init__(self, n_in=4, n_hidden=16, n_out=3, seed=0, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.fc1 = self._children["fc1"] = ToyLinear(n_in, n_hidden, rng, dtype)
        self.act = self._children["act"] = ToyTanh()
        self.fc2 = self._children["fc2"] = ToyLinear(n_hidden, n_out, rng, dtype)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def cross_entropy(logits, target):
    """Mean cross-entropy of integer targets, written with backchain.numpy (stable log-softmax)."""
    target = np.asarray(target)
    shifted = logits - bnp.max(logits, axis=1, keepdims=True)
    log_probs = shifted - bnp.log(bnp.sum(bnp.exp(shifted), axis=1, keepdims=True))
    onehot = np.eye(log_probs.shape[1], dtype=log_probs.dtype)[target]
    return -bnp.sum(log_probs * onehot) / len(target)


def blobs(n=240, n_in=4, n_classes=3, seed=0, dtype=np.float64):
    """Separable Gaussian blobs: (x, y)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (n_classes, n_in))
    y = rng.integers(0, n_classes, n)
    x = centers[y] + rng.normal(0, 1, (n, n_in))
    return x.astype(dtype), y.astype(np.int64)
