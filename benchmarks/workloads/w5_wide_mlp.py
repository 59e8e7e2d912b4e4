"""W5: MLP 2048-2048-2048-2048, ReLU, mean squared error, batch 512, one SGD step (float32).

``matmul`` runs only the step's eight matrix products (``a @ b`` of the same
shapes): the GEMM floor against which GFLOP/s are read.
"""
from . import Workload
from . import _mlp

BATCH = 512


def _sizes(width):
    return (width,) * 4


def make(impl, width):
    params, x, y = _mlp.init(_sizes(width), BATCH, "mse")
    if impl == "matmul":
        return _mlp.MatmulFloor(params, x, y, "mse")
    return _mlp.IMPLEMENTATIONS[impl](params, x, y, "mse")


WORKLOAD = Workload(
    name="W5",
    title="MLP 2048-2048-2048-2048, ReLU, MSE, batch 512, SGD step (float32)",
    unit="ms/step",
    make=make,
    impls=("numpy", "backchain", "torch", "jax", "autograd", "matmul"),
    size=2048,
    smoke_size=16,
    steps=15,
    warmup=3,
    quick_steps=2,
    quick_warmup=1,
    scale=1e3,
    flops=lambda width: _mlp.flops(_sizes(width), BATCH),
    size_label="width",
)
