"""W3: LeNet-style CNN train step (issue #7): batch 64 of 1x28x28, conv 1->8 5x5, ReLU, max-pool 2,
conv 8->16 5x5, ReLU, max-pool 2, linear 256->10, softmax cross-entropy, SGD (float32).

The NumPy baseline is the hand-written im2col forward and backward of ``benchmarks/conv_bench.py``
(fancy-index im2col, ``np.add.at`` col2im, reshape max-pool); backchain uses ``bc.nn.functional``
(conv2d, max_pool2d, relu, linear, cross_entropy); PyTorch the same with torch.nn.functional.
"""

from . import Workload
from .. import conv_bench
from ._sgd import BackchainSGD, TorchSGD

LR = conv_bench.LR


class NumpyLeNet:
    def __init__(self, batch):
        self.params, self.x, self.y = conv_bench.init(batch=batch)

    def grads(self):
        return conv_bench.numpy_lenet(self.params, self.x, self.y)[1]

    def step(self):
        for p, g in zip(self.params, self.grads()):
            p -= LR * g


class BackchainLeNet(BackchainSGD):
    lr = LR

    def __init__(self, batch):
        import backchain as bc
        import backchain.nn.functional as F

        self.bc, self.F = bc, F
        params, self.x, self.y = conv_bench.init(batch=batch)
        self.params = [bc.tensor(p, requires_grad=True) for p in params]

    def _loss(self):
        F = self.F
        w1, b1, w2, b2, w3, b3 = self.params
        h = F.max_pool2d(F.relu(F.conv2d(self.x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        return F.cross_entropy(F.linear(F.flatten(h, 1), w3, b3), self.y)


class TorchLeNet(TorchSGD):
    lr = LR

    def __init__(self, batch):
        import torch
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        params, x, y = conv_bench.init(batch=batch)
        self.params = [torch.tensor(p, requires_grad=True) for p in params]
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def _loss(self):
        F = self.F
        w1, b1, w2, b2, w3, b3 = self.params
        h = F.max_pool2d(F.relu(F.conv2d(self.x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        return F.cross_entropy(F.linear(h.flatten(1), w3, b3), self.y)


IMPLEMENTATIONS = {"numpy": NumpyLeNet, "backchain": BackchainLeNet, "torch": TorchLeNet}


def make(impl, batch):
    return IMPLEMENTATIONS[impl](batch)


def flops(batch):
    """Multiply-adds of the two convolutions and the linear layer, x2 for FLOPs, x3 for forward + backward."""
    conv1 = 8 * 24 * 24 * 25
    conv2 = 16 * 8 * 8 * 200
    return 2 * 3 * batch * (conv1 + conv2 + 256 * 10)


WORKLOAD = Workload(
    name="W3",
    title="LeNet-style CNN (conv 5x5 1->8, pool, conv 5x5 8->16, pool, linear 256->10), batch 64, SGD step",
    unit="ms/step",
    make=make,
    impls=("numpy", "backchain", "torch"),
    size=64,
    smoke_size=4,
    steps=50,
    warmup=5,
    quick_steps=3,
    quick_warmup=1,
    scale=1e3,
    flops=flops,
    sweep=(8, 64, 256),
    size_label="batch",
    per_label="example",
)
