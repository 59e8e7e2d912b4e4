"""Command line: ``python -m backchain demo``."""
import argparse
import sys
import time

import numpy as np


def demo(args):
    import backchain as bc
    import backchain.numpy as bnp

    print("backchain demo: the code is the derivative\n")

    # 1. A gradient, checked against a finite difference.
    f = lambda x: bnp.sum(bnp.tanh(x) ** 2 * bnp.sin(3.0 * x))
    x = np.linspace(-1.0, 1.0, 5)
    g = bc.grad(f)(x)
    eps = 1e-6
    fd = np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(5)])
    print("1. grad of sum(tanh(x)^2 sin(3x)) at", np.round(x, 2))
    print("   backchain:         ", np.round(g, 6))
    print("   finite differences:", np.round(fd, 6))
    print(f"   max difference {np.max(np.abs(g - fd)):.1e}\n")

    # 2. Higher order and forward mode.
    d = bc.grad
    print("2. derivatives of tanh at 0.3, to third order:",
          [round(float(h(0.3)), 6) for h in (bnp.tanh, d(bnp.tanh), d(d(bnp.tanh)), d(d(d(bnp.tanh))))])
    rosen = lambda p: (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2
    p, v = np.array([-1.2, 1.0]), np.array([1.0, 0.0])
    _, hv = bc.jvp(bc.grad(rosen), (p,), (v,))
    print(f"   Hessian-vector product of Rosenbrock at {p} along {v}: {hv}\n")

    # 3. A small network trained with plain gradient descent on a functional loss.
    rng = np.random.default_rng(0)
    n = 200
    t = rng.uniform(0, 3 * np.pi, n)
    label = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    xy = np.stack([r * np.cos(t + np.pi * label), r * np.sin(t + np.pi * label)], 1)
    xy += rng.normal(0, 0.02, xy.shape)
    params = {
        "w1": rng.normal(0, 1.0, (2, 32)), "b1": np.zeros(32),
        "w2": rng.normal(0, 1.0 / np.sqrt(32), (32, 32)), "b2": np.zeros(32),
        "w3": rng.normal(0, 1.0 / np.sqrt(32), (32, 1)), "b3": np.zeros(1),
    }

    def logits(p, x):
        h = bnp.tanh(x @ p["w1"] + p["b1"])
        h = bnp.tanh(h @ p["w2"] + p["b2"])
        return (h @ p["w3"] + p["b3"])[:, 0]

    def loss(p, x, y):
        z = logits(p, x)
        # binary cross-entropy with logits, written stably: log(1 + e^z) - y z
        return bnp.mean(bnp.maximum(z, 0.0) + bnp.log(1.0 + bnp.exp(-bnp.abs(z))) - y * z)

    value_and_grad = bc.value_and_grad(loss)
    lr, steps = 0.5, args.steps
    mom = {k: np.zeros_like(v) for k, v in params.items()}
    start = time.perf_counter()
    print(f"3. a 2-32-32-1 tanh network on two interleaved spirals ({n} points), {steps} steps of momentum SGD")
    for step in range(steps + 1):
        value, grads = value_and_grad(params, xy, label)
        if step % max(1, steps // 5) == 0:
            acc = np.mean((logits(params, xy) > 0) == label)
            print(f"   step {step:5d}   loss {value:.4f}   accuracy {acc:.3f}")
        for k in params:
            mom[k] = 0.9 * mom[k] - lr * grads[k]
            params[k] = params[k] + mom[k]
    elapsed = time.perf_counter() - start
    acc = np.mean((logits(params, xy) > 0) == label)
    print(f"   final accuracy {acc:.3f} in {elapsed:.1f} s")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m backchain", description="backchain command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="a short worked example of gradients and training")
    p.add_argument("--steps", type=int, default=1500, help="training steps of the network example")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args)
    return 1


if __name__ == "__main__":
    sys.exit(main())
