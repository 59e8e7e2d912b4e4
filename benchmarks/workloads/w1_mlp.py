"""W1: MLP 784-256-256-10, ReLU, softmax cross-entropy, batch 128, one SGD step (float32)."""
from . import Workload
from . import _mlp

SIZES = (784, 256, 256, 10)


def make(impl, batch):
    params, x, y = _mlp.init(SIZES, batch, "xent")
    return _mlp.IMPLEMENTATIONS[impl](params, x, y, "xent")


WORKLOAD = Workload(
    name="W1",
    title="MLP 784-256-256-10, ReLU, softmax cross-entropy, batch 128, SGD step (float32)",
    unit="ms/step",
    make=make,
    impls=("numpy", "backchain", "torch", "jax", "autograd"),
    size=128,
    smoke_size=8,
    steps=300,
    warmup=30,
    quick_steps=5,
    quick_warmup=1,
    scale=1e3,
    flops=lambda batch: _mlp.flops(SIZES, batch),
    sweep=(1, 4, 16, 64, 256, 1024, 4096),
    size_label="batch",
    per_label="example",
)
