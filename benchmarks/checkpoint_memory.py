"""Memory saved by bc.checkpoint on a deep MLP, and what the recomputation costs.

A 64-layer tanh MLP (width 256, batch 1024, float32) is differentiated with
bc.grad three ways: storing every activation, checkpointing every layer, and
checkpointing blocks of 8 layers (sqrt-style). Peak memory is measured with
tracemalloc (NumPy reports its allocations to it), time with perf_counter.

    python benchmarks/checkpoint_memory.py [--depth 64] [--width 256] [--batch 1024]
"""
import argparse
import time
import tracemalloc

import numpy as np

import backchain as bc
import backchain.numpy as bnp


def make(depth, width, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((width, width)).astype(np.float32) / np.sqrt(width),
             np.zeros(width, np.float32)) for _ in range(depth)]


def layer(h, w, b):
    return bnp.tanh(h @ w + b)


def loss_plain(params, x):
    h = x
    for w, b in params:
        h = layer(h, w, b)
    return bnp.sum(h * h)


def loss_checkpointed(params, x, every):
    def block(h, *wb):
        for k in range(0, len(wb), 2):
            h = layer(h, wb[k], wb[k + 1])
        return h
    block = bc.checkpoint(block)
    h = x
    for i in range(0, len(params), every):
        flat = [a for wb in params[i:i + every] for a in wb]
        h = block(h, *flat)
    return bnp.sum(h * h)


def measure(fn, params, x):
    tracemalloc.start()
    t = time.perf_counter()
    g = bc.grad(fn)(params, x)
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20, elapsed, g


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--depth", type=int, default=64)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1024)
    args = ap.parse_args(argv)
    params = make(args.depth, args.width)
    x = np.random.default_rng(1).standard_normal((args.batch, args.width)).astype(np.float32)
    weights_mb = sum(w.nbytes + b.nbytes for w, b in params) / 2 ** 20
    rows = []
    base_peak, base_time, g0 = measure(loss_plain, params, x)
    rows.append(("store all activations", base_peak, base_time))
    for every in (1, 8):
        peak, elapsed, g = measure(lambda p, x: loss_checkpointed(p, x, every), params, x)
        for (gw, gb), (hw, hb) in zip(g0, g):
            np.testing.assert_allclose(gw, hw, rtol=1e-4, atol=1e-6)
        rows.append((f"checkpoint every {every} layer{'s' if every > 1 else ''}", peak, elapsed))
    print(f"{args.depth}-layer tanh MLP, width {args.width}, batch {args.batch}, float32; "
          f"weights {weights_mb:.0f} MiB (gradients as much again)")
    print(f"{'':28}{'peak MiB':>10}{'time s':>10}{'memory':>9}{'time':>8}")
    for name, peak, elapsed in rows:
        print(f"{name:28}{peak:10.1f}{elapsed:10.3f}{peak / base_peak:9.2f}{elapsed / base_time:8.2f}")
    return rows


if __name__ == "__main__":
    main()
