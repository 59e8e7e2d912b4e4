"""Run by tests/test_distributed_mpi.py under ``mpiexec -n 2`` (or alone): ``python _distributed_worker.py MODE OUT``.

Modes:
  train    20 SGD steps of a data-parallel MLP (explicit loop) and a short ``bc.fit`` with a
           checkpoint callback; every rank writes what it ended with into OUT.
  raise    rank 1 raises in the middle of training; every rank must stop.
  timeout  rank 1 stops taking part (sleeps) with a 2 s collective timeout; every rank must stop.
  single   the same API in one process without mpiexec (a group of one).
"""
import json
import os
import sys
import time

import numpy as np

import backchain as bc

N_SAMPLES, N_IN, N_CLASSES = 640, 20, 5
SEED_DATA, SEED_SHUFFLE, SEED_MODEL = 0, 7, 100


def data():
    rng = np.random.default_rng(SEED_DATA)
    x = rng.normal(size=(N_SAMPLES, N_IN)).astype(np.float32)
    w = rng.normal(size=(N_IN, N_CLASSES)).astype(np.float32)
    y = np.argmax(x @ w + 0.5 * rng.normal(size=(N_SAMPLES, N_CLASSES)), axis=1)
    return x, y


def make_model(seed):
    bc.manual_seed(seed)
    nn = bc.nn
    return nn.Sequential(nn.Linear(N_IN, 32), nn.Tanh(), nn.Linear(32, N_CLASSES))


def make_optimizer(params):
    return bc.optim.SGD(params, lr=0.1, momentum=0.9)


def loop(model, opt, loader, sampler, epochs, on_step=None):
    F = bc.nn.functional
    step = 0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            if on_step is not None:
                on_step(step)
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            step += 1
    return step


def train(out):
    dist = bc.distributed
    r = dist.rank()
    x, y = data()
    ds = bc.data.TensorDataset(x, y)
    # A different initialisation on every rank: the wrapper must broadcast rank 0's.
    net = make_model(SEED_MODEL + r)
    model, opt = dist.wrap(net, make_optimizer(net.parameters()))
    sampler = dist.DistributedSampler(ds, shuffle=True, seed=SEED_SHUFFLE)
    loader = bc.data.DataLoader(ds, batch_size=32, sampler=sampler)
    steps = loop(model, opt, loader, sampler, epochs=2)
    np.savez(os.path.join(out, f"loop_rank{r}.npz"), steps=steps, **net.state_dict())

    # bc.fit: wraps, shards, reduces the logs and checkpoints on rank 0 by itself.
    import backchain.io

    writes = []
    real_save = backchain.io.save
    backchain.io.save = lambda obj, path: (writes.append(os.path.basename(path)), real_save(obj, path))[1]
    net2 = make_model(SEED_MODEL + 10 + r)
    ckpt = bc.train.ModelCheckpoint(os.path.join(out, "fit-{epoch}.safetensors"), weights_only=True)
    hist = bc.fit(net2, (x[:512], y[:512]), "cross_entropy", bc.optim.Adam(net2.parameters(), lr=1e-2), epochs=2,
                  validation=(x[512:], y[512:]), batch_size=16, seed=3, verbose=2, callbacks=[ckpt])
    backchain.io.save = real_save
    final = bc.evaluate(net2, (x[512:], y[512:]), "cross_entropy")
    with open(os.path.join(out, f"fit_rank{r}.json"), "w") as f:
        json.dump({"history": hist.to_dict(), "writes": writes, "final": final, "world": dist.world_size(),
                   "w0": float(net2.state_dict()["0.weight"].ravel()[0])}, f)


def fail(out, how):
    dist = bc.distributed
    x, y = data()
    ds = bc.data.TensorDataset(x, y)
    net = make_model(SEED_MODEL)
    model, opt = dist.wrap(net, make_optimizer(net.parameters()))
    sampler = dist.DistributedSampler(ds, seed=SEED_SHUFFLE)
    loader = bc.data.DataLoader(ds, batch_size=32, sampler=sampler)

    def on_step(step):
        if dist.rank() != 1 or step != 3:
            return
        if how == "raise":
            raise ValueError("rank 1 fails on purpose")
        time.sleep(60)  # stops taking part: rank 0 waits in the gradient allreduce until its timeout

    loop(model, opt, loader, sampler, epochs=1, on_step=on_step)
    print(f"rank {dist.rank()} finished, which it should not have", flush=True)


def single(out):
    dist = bc.distributed
    x, y = data()
    net = make_model(SEED_MODEL)
    model, opt = dist.wrap(net, make_optimizer(net.parameters()))
    hist = bc.fit(model, (x, y), "cross_entropy", opt, epochs=1, batch_size=64, seed=0, verbose=0)
    dist.barrier()
    dist.save(net.state_dict(), os.path.join(out, "single.safetensors"))
    with open(os.path.join(out, "single.json"), "w") as f:
        json.dump({"world": dist.world_size(), "rank": dist.rank(), "loss": hist["loss"][-1],
                   "sum": dist.all_sum([1.0, 2.0]).tolist()}, f)


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    bc.distributed.init(timeout=2 if mode == "timeout" else 60)
    {"train": train, "single": single}.get(mode, lambda o: fail(o, mode))(out)
