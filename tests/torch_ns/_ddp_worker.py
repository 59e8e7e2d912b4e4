"""Run under ``mpiexec -n 2``: nanoGPT-style DDP training through backchain.torch; each rank trains on its
half of the batch, and rank 0 writes the weights after 3 steps to the path given."""
import sys

import numpy as np

import backchain.torch as torch
from backchain.torch.distributed import init_process_group, destroy_process_group
from backchain.torch.nn.parallel import DistributedDataParallel as DDP


def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 5)).astype(np.float32), rng.integers(0, 3, 8)


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))


if __name__ == "__main__":
    init_process_group(backend="gloo")
    rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    x, y = data()
    half = len(x) // world
    xb, yb = torch.from_numpy(x[rank * half:(rank + 1) * half]), torch.from_numpy(y[rank * half:(rank + 1) * half])
    net = model()
    if rank == 1:  # a different start on rank 1: DDP broadcasts rank 0's weights
        with torch.no_grad():
            for p in net.parameters():
                p.add_(1.0)
    ddp = DDP(net, device_ids=None)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(ddp(xb), yb).backward()
        opt.step()
    t = torch.tensor([float(rank)])
    torch.distributed.all_reduce(t)
    if rank == 0:
        assert t.item() == sum(range(world)), t
        np.savez(sys.argv[1], *[p.detach().numpy() for p in net.parameters()])
    destroy_process_group()
