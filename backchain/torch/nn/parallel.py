"""``torch.nn.parallel``: ``DistributedDataParallel`` over backchain's MPI group. As PyTorch's, it averages
the gradients over the ranks during ``backward`` (each parameter enters the forward through a node whose
derivative averages its cotangent over the ranks), so a plain training loop needs no change; rank 0's
parameters are broadcast when it is made. ``DataParallel`` (several GPUs in one process) runs the module
as it is, as PyTorch's does on the CPU."""
import numpy as np

import backchain.distributed as _dist
from backchain.distributed import DistributedDataParallel as _DDP
from backchain.nn import functional_call
from ..._core.primitive import primitive

__all__ = ["DistributedDataParallel"]


def _average_over_ranks(g, ans, x):
    return _dist.all_sum(np.asarray(g), average=True).astype(np.asarray(g).dtype, copy=False)


_synced = primitive("ddp_allreduce", lambda x: x, vjp=(_average_over_ranks,), linear=True, register=False)


class DistributedDataParallel(_DDP):
    """``torch.nn.parallel.DistributedDataParallel(module)``: the module's gradients are averaged over the
    ranks during ``backward``. ``device_ids``, ``output_device``, ``find_unused_parameters`` and the other
    GPU arguments are accepted and ignored.

    >>> import backchain.torch as torch
    >>> torch.distributed.init_process_group()
    >>> net = torch.nn.Linear(4, 2)
    >>> model = torch.nn.parallel.DistributedDataParallel(net, device_ids=None)
    >>> model(torch.ones(3, 4)).sum().backward()
    >>> net.bias.grad
    tensor([3., 3.])
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25.0, find_unused_parameters=False, **kwargs):
        super().__init__(module, bucket_cap_mb=bucket_cap_mb, broadcast_buffers=broadcast_buffers)

    def forward(self, *args, **kwargs):
        if self._world == 1:
            return self.module(*args, **kwargs)
        params = {name: _synced(p) for name, p in self.module.named_parameters() if p.requires_grad}
        return functional_call(self.module, params, args, kwargs)
