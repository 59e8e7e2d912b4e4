"""The cost of LD-derivatives (bc.kinks.lexicographic) relative to a gradient, on W1's MLP and on
the demo's digits CNN.

    python benchmarks/ld_cost.py            # about a minute on two cores
    python benchmarks/ld_cost.py --quick    # tiny sizes, to check that it runs

Each function is a scalar loss of the flattened parameters. Reported, as medians of repeated
calls and ratios to ``bc.grad`` of the same function:

* ``lock, random direction``: one forward sweep along a Gaussian direction decides every kink it
  can, then one reverse sweep with the branches locked (an element of the B-subdifferential);
* ``lock, identity``: forward sweeps along e1, e2, ... until every kink at the point is decided
  (the LD gradient for the identity directions), then one reverse sweep; its number of sweeps
  (stopped after a minute: ties between identical pieces, such as pooling windows over a blank
  margin, are never decided, so they take all ``x.size`` sweeps);
* ``forward, one column``: one sweep of the vector forward mode; the full forward mode costs
  ``x.size`` of them (given as an estimate, too long to run).

W1 (784-256-256-10, batch 128) is measured at its random initial weights (no kink is hit) and at
a point where the 256 first-layer units of the first example sit exactly at 0; the digits CNN at
its initial weights on 32 digits, whose blank margins make every 2x2 max-pooling window over
them a tie.
"""
import argparse
import time

import numpy as np

import backchain as bc
import backchain.numpy as bnp
from backchain.kinks import lexicographic
from backchain._ld import Sweep


def _median(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _flat(model):
    params = [p for p in model.parameters()]
    shapes = [p.shape for p in params]
    theta = np.concatenate([p.data.ravel().astype(np.float64) for p in params])

    def unflatten(theta):
        out, k = {}, 0
        for (name, p), shape in zip(model.named_parameters(), shapes):
            n = int(np.prod(shape))
            out[name] = bnp.reshape(theta[k:k + n], shape)
            k += n
        return out

    return theta, unflatten


def _loss(model, x, y):
    theta, unflatten = _flat(model.double())
    return (lambda th: bc.nn.functional.cross_entropy(bc.nn.functional_call(model, unflatten(th), (x,)), y)), theta


def measure(name, f, theta, reps, budget=60.0):
    t_grad = _median(lambda: bc.grad(f)(theta), reps)
    t_rand = _median(lambda: lexicographic(f, mode="lock")(theta, directions="random"), reps)
    sweep = Sweep(f, (theta,), 0)
    e = np.zeros_like(theta)
    e[0] = 1.0
    t_col = _median(lambda: sweep.column(e), reps)
    t0 = time.perf_counter()
    sweep = Sweep(f, (theta,), 0)
    k = 0
    while sweep.undecided() and k < theta.size and time.perf_counter() - t0 < budget:
        e = np.zeros_like(theta)
        e[k] = 1.0
        sweep.column(e)
        k += 1
    done = not sweep.undecided() or k == theta.size
    sweep.locked_gradient()
    t_id = time.perf_counter() - t0
    g = bc.grad(f)(theta)
    lock = lexicographic(f, mode="lock")(theta, directions="random")
    print(f"{name}: {theta.size:,} inputs; grad {t_grad * 1e3:.2f} ms")
    print(f"  lock, random direction   {t_rand * 1e3:8.2f} ms  {t_rand / t_grad:6.2f}x grad")
    if done:
        print(f"  lock, identity           {t_id * 1e3:8.2f} ms  {t_id / t_grad:6.2f}x grad  ({k} forward sweeps)")
    else:
        print(f"  lock, identity           stopped after {t_id:.0f} s and {k:,} forward sweeps, kinks still undecided")
    print(f"  forward, one column      {t_col * 1e3:8.2f} ms  {t_col / t_grad:6.2f}x grad; all {theta.size:,} "
          f"columns: about {t_col * theta.size:,.0f} s")
    print(f"  the LD gradient (random direction) equals bc.grad's: {np.allclose(lock, g, rtol=1e-10, atol=1e-12)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args(argv)
    nn = bc.nn
    bc.manual_seed(0)
    rng = np.random.default_rng(0)
    width, batch = (16, 8) if args.quick else (256, 128)
    mlp = nn.Sequential(nn.Linear(784 if not args.quick else 20, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                        nn.Linear(width, 10))
    x = rng.standard_normal((batch, mlp[0].in_features))
    y = rng.integers(0, 10, batch)
    f, theta = _loss(mlp, x, y)
    measure("W1 MLP, random weights (no kink hit)", f, theta, args.reps)
    with bc.no_grad():  # the first example's first-layer pre-activations exactly 0 (the same product as F.linear's)
        mlp[0].bias.data[:] = 0.0
        mlp[0].bias.data[:] = -np.asarray(mlp[0](x).data)[0]
    f, theta = _loss(mlp, x, y)
    with bc.kinks.count() as hits:
        f(theta)
    print(f"(kinks hit at the second point: {dict((k, v) for k, v in hits.items() if v)})")
    measure("W1 MLP, 256 units at 0", f, theta, args.reps)

    from backchain.__main__ import _cnn
    train, _ = bc.data.digits()
    xb, yb = train.tensors[0][:32 if not args.quick else 4].astype(np.float64), train.tensors[1][:32 if not args.quick else 4]
    cnn = _cnn(8)
    f, theta = _loss(cnn, xb, yb)
    with bc.kinks.count() as hits:
        f(theta)
    print(f"(digits CNN: kinks hit {dict((k, v) for k, v in hits.items() if v)})")
    measure("digits CNN, initial weights", f, theta, args.reps)


if __name__ == "__main__":
    main()
