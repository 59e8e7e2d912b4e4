"""RSS over 2,000 training steps of the digits demo model (flat, or growing?).

The model and loss of `python -m backchain demo` (64-128-64-10 MLP, ReLU, AdamW,
cross-entropy with label smoothing 0.1), batch 64, cycling over the training set.
The resident set size is sampled every 100 steps; the report gives the samples,
the growth from step 100 to the end and the largest step-to-step change.

    python benchmarks/memory_digits.py [--steps 2000] [--every 100] [--json out.json]
"""
import argparse
import json
import os
import sys
import time


def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--json")
    args = p.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import backchain as bc

    nn = bc.nn
    train, _ = bc.data.digits(flatten=True)
    x, y = train.tensors
    bc.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = bc.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    n, batch = len(x), 64
    samples = []
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        k = (step * batch) % (n - batch)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(bc.tensor(x[k:k + batch])), y[k:k + batch], label_smoothing=0.1)
        loss.backward()
        opt.step()
        if step % args.every == 0:
            samples.append((step, round(rss_mb(), 2)))
    elapsed = time.perf_counter() - start
    first = next(r for s, r in samples if s >= min(100, args.steps))
    growth = samples[-1][1] - first
    jumps = max((b[1] - a[1] for a, b in zip(samples, samples[1:])), default=0.0)
    print(f"{args.steps} steps in {elapsed:.1f} s; RSS (MB) every {args.every} steps:")
    print("  " + "  ".join(f"{s}:{r:.1f}" for s, r in samples))
    print(f"growth after step {min(100, args.steps)}: {growth:+.2f} MB; largest change between samples: {jumps:+.2f} MB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"steps": args.steps, "samples": samples, "growth_mb": growth, "seconds": elapsed}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
