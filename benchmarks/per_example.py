"""Per-example gradients and Jacobians by batching (``bc.vmap``), against their peers in one run.

1. Per-example gradients of W1's MLP (784-256-256-10, ReLU, softmax cross-entropy, float32) for a
   batch of 128: ``bc.vmap(bc.grad(loss))`` against one batched gradient of the same batch, a Python
   loop over the examples, ``torch.func.vmap(torch.func.grad)`` and ``jax.jit(jax.vmap(jax.grad))``.
2. The same for W3's LeNet (batch 64), without JAX.
3. An ensemble of 8 LeNets (their parameters stacked) on one batch of 64: ``bc.vmap`` over the
   parameters (each convolution one grouped convolution, the models side by side) against a Python
   loop over the models and ``torch.func.vmap``, forward and gradient of the summed losses.
4. ``bc.jacobian`` of a 256 -> 256 function, against the loop over basis vectors that it replaced
   (one pullback per output element).

Each case runs ``--repeat`` times after a warm-up; the table gives medians and ratios within this run.
On a machine whose cores other processes share, multi-threaded BLAS calls now and then wait a
scheduler time slice (a 1 ms product takes 12-16 ms); ``OPENBLAS_NUM_THREADS=1`` (which also sets
torch's threads here) gives stable figures.

    python -m benchmarks.per_example [--batch 128] [--repeat 20] [--json out.json]
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

SIZES = (784, 256, 256, 10)


def _init(batch, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        params[f"W{i}"] = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        params[f"b{i}"] = (0.01 * rng.standard_normal(n_out)).astype(np.float32)
    x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=batch)
    return params, x, y


def _time(fn, repeat, warmup=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def backchain_cases(params, x, y):
    import backchain as bc
    import backchain.nn.functional as F

    n = len(SIZES) - 1

    def forward(p, h):
        for i in range(n):
            h = h @ p[f"W{i}"] + p[f"b{i}"]
            if i < n - 1:
                h = F.relu(h)
        return h

    def loss_one(p, xi, yi):  # one example: logits (10,), a scalar target
        return F.cross_entropy(forward(p, xi)[None], yi[None])

    def loss_batch(p, xb, yb):
        return F.cross_entropy(forward(p, xb), yb)

    per_example = bc.vmap(bc.grad(loss_one), in_axes=(None, 0, 0))
    batched = bc.grad(loss_batch)
    one = bc.grad(loss_one)
    return {
        "backchain vmap(grad)": lambda: per_example(params, x, y),
        "backchain batched gradient": lambda: batched(params, x, y),
        "backchain Python loop": lambda: [one(params, x[i], y[i]) for i in range(len(x))],
    }, per_example


def numpy_case(params, x, y):
    """Per-example gradients written out by hand in NumPy: the batched backward pass, then each example's
    outer products. Their size (128 copies of the parameters, 138 MB in float32) sets the floor."""
    n = len(SIZES) - 1

    def grads():
        hs, zs, h = [x], [], x
        for i in range(n):
            z = h @ params[f"W{i}"] + params[f"b{i}"]
            zs.append(z)
            if i < n - 1:
                h = np.maximum(z, 0)
                hs.append(h)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        dz = e / e.sum(axis=1, keepdims=True)
        dz[np.arange(len(x)), y] -= 1  # each example's own loss: no division by the batch
        out = {}
        for i in reversed(range(n)):
            out[f"W{i}"] = hs[i][:, :, None] * dz[:, None, :]
            out[f"b{i}"] = dz
            if i > 0:
                dz = (dz @ params[f"W{i}"].T) * (zs[i - 1] > 0)
        return out

    return {"NumPy by hand (the floor)": grads}


def torch_case(params, x, y):
    try:
        import torch
    except ImportError:
        return {}
    from torch.func import grad, vmap

    tp = {k: torch.from_numpy(v) for k, v in params.items()}
    n = len(SIZES) - 1

    def loss_one(p, xi, yi):
        h = xi
        for i in range(n):
            h = h @ p[f"W{i}"] + p[f"b{i}"]
            if i < n - 1:
                h = torch.relu(h)
        return torch.nn.functional.cross_entropy(h[None], yi[None])

    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if threads:  # the same number of threads as NumPy's BLAS
        torch.set_num_threads(int(threads))
    fn = vmap(grad(loss_one), in_dims=(None, 0, 0))
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    return {"torch.func vmap(grad)": lambda: fn(tp, tx, ty)}


def jax_case(params, x, y):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    n = len(SIZES) - 1

    def loss_one(p, xi, yi):
        h = xi
        for i in range(n):
            h = h @ p[f"W{i}"] + p[f"b{i}"]
            if i < n - 1:
                h = jax.nn.relu(h)
        return -jax.nn.log_softmax(h)[yi]

    fn = jax.jit(jax.vmap(jax.grad(loss_one), in_axes=(None, 0, 0)))
    jp = {k: jnp.asarray(v) for k, v in params.items()}
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    return {"jax jit(vmap(grad))": lambda: jax.block_until_ready(fn(jp, jx, jy))}


def cnn_cases(batch):
    """W3's LeNet (1x28x28, conv 1->8 5x5, max-pool 2, conv 8->16 5x5, max-pool 2, linear 256->10), float32."""
    import backchain as bc
    import backchain.nn.functional as F
    from . import conv_bench

    params, x, y = conv_bench.init(batch=batch)
    params = list(params)

    def net(p, h):
        w1, b1, w2, b2, w3, b3 = p
        h = F.max_pool2d(F.relu(F.conv2d(h, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        return F.linear(F.flatten(h, 1), w3, b3)

    def loss_one(p, xi, yi):
        return F.cross_entropy(net(p, xi[None]), yi[None])

    per_example = bc.vmap(bc.grad(loss_one), in_axes=(None, 0, 0))
    batched = bc.grad(lambda p, xb, yb: F.cross_entropy(net(p, xb), yb))
    one = bc.grad(loss_one)
    cases = {
        "backchain vmap(grad)": lambda: per_example(params, x, y),
        "backchain batched gradient": lambda: batched(params, x, y),
        "backchain Python loop": lambda: [one(params, x[i], y[i]) for i in range(len(x))],
    }
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return cases, per_example, one, (params, x, y)
    tf = torch.nn.functional
    tp = [torch.from_numpy(p) for p in params]

    def tloss(p, xi, yi):
        w1, b1, w2, b2, w3, b3 = p
        h = tf.max_pool2d(tf.relu(tf.conv2d(xi[None], w1, b1)), 2)
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, w2, b2)), 2)
        return tf.cross_entropy(tf.linear(h.flatten(1), w3, b3), yi[None])

    tfn = vmap(grad(tloss), in_dims=(None, 0, 0))
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    cases["torch.func vmap(grad)"] = lambda: tfn(tp, tx, ty)
    return cases, per_example, one, (params, x, y)


def ensemble_cases(models=8, batch=64):
    """``models`` LeNets with their own parameters (stacked along a new first axis) on one batch."""
    import backchain as bc
    import backchain.numpy as bnp
    import backchain.nn.functional as F
    from . import conv_bench

    stacks = [list(conv_bench.init(batch=batch)[0]) for _ in range(models)]
    rng = np.random.default_rng(3)
    stacks = [[p * rng.uniform(0.8, 1.2, size=p.shape).astype(p.dtype) for p in ps] for ps in stacks]
    stacked = [np.stack(ps) for ps in zip(*stacks)]
    _, x, y = conv_bench.init(batch=batch)

    def net(p, h):
        w1, b1, w2, b2, w3, b3 = p
        h = F.max_pool2d(F.relu(F.conv2d(h, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        return F.linear(F.flatten(h, 1), w3, b3)

    def loss(p, xb, yb):
        return F.cross_entropy(net(p, xb), yb)

    fwd = bc.vmap(net, in_axes=(0, None))
    grad = bc.grad(lambda ps: bnp.sum(bc.vmap(loss, in_axes=(0, None, None))(ps, x, y)))
    loop_grad = bc.grad(loss)
    cases = {
        "backchain vmap over models, forward": lambda: fwd(stacked, x),
        "backchain loop over models, forward": lambda: [net(p, x) for p in stacks],
        "backchain vmap over models, gradient": lambda: grad(stacked),
        "backchain loop over models, gradient": lambda: [loop_grad(p, x, y) for p in stacks],
    }
    check = (lambda: fwd(stacked, x), lambda: np.stack([np.asarray(net(p, x)) for p in stacks]),
             lambda: grad(stacked), lambda: [loop_grad(p, x, y) for p in stacks])
    try:
        import torch
        from torch.func import grad as tgrad, vmap as tvmap
    except ImportError:
        return cases, check
    tf = torch.nn.functional
    tp = [torch.from_numpy(p) for p in stacked]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def tnet(p, h):
        w1, b1, w2, b2, w3, b3 = p
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, w1, b1)), 2)
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, w2, b2)), 2)
        return tf.linear(h.flatten(1), w3, b3)

    tfwd = tvmap(tnet, in_dims=(0, None))
    tg = tgrad(lambda ps: tvmap(lambda p: tf.cross_entropy(tnet(p, tx), ty))(ps).sum())
    cases["torch.func vmap over models, forward"] = lambda: tfwd(tp, tx)
    cases["torch.func vmap over models, gradient"] = lambda: tg(tp)
    return cases, check


def jacobian_cases(n=256):
    import backchain as bc
    import backchain.numpy as bnp

    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    f = lambda v: bnp.tanh(A @ v) * bnp.sum(v ** 2)  # noqa: E731

    def loop():  # what jacobian did before: one pullback per output element
        _, pull = bc.vjp(f, x)
        eye = np.eye(n)
        return np.stack([pull(eye[k])[0] for k in range(n)])

    return {"bc.jacobian (vmap over pullbacks)": lambda: bc.jacobian(f)(x),
            "bc.jacobian fwd (vmap over tangents)": lambda: bc.jacobian(f, mode="fwd")(x),
            "loop over basis vectors (before)": loop}, loop, lambda: bc.jacobian(f)(x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    params, x, y = _init(args.batch)
    cases, per_example = backchain_cases(params, x, y)
    cases.update(numpy_case(params, x, y))
    cases.update(torch_case(params, x, y))
    cases.update(jax_case(params, x, y))
    # the per-example gradients agree with the loop before anything is timed
    got = per_example(params, x, y)
    ref = cases["backchain Python loop"]()
    hand = cases["NumPy by hand (the floor)"]()
    for i in (0, len(x) - 1):
        for k in params:
            np.testing.assert_allclose(got[k][i], ref[i][k], rtol=2e-4, atol=1e-6)
            np.testing.assert_allclose(hand[k][i], ref[i][k], rtol=2e-4, atol=1e-6)
    results = {}
    print(f"Per-example gradients, MLP {'-'.join(map(str, SIZES))}, batch {args.batch}, float32 "
          f"[ms; medians of {args.repeat}]")
    for name, fn in cases.items():
        results[name] = _time(fn, args.repeat if "loop" not in name else max(3, args.repeat // 5))
    base = results["backchain batched gradient"][0]
    tf = results.get("torch.func vmap(grad)", (None,))[0]
    print(f"  {'case':36s} {'median':>9s} {'min':>9s} {'/batched':>9s} {'/torch.func':>12s}")
    for name, (med, mn) in results.items():
        rt = f"{med / tf:12.2f}" if tf else f"{'-':>12s}"
        print(f"  {name:36s} {med * 1e3:9.2f} {mn * 1e3:9.2f} {med / base:9.2f} {rt}")

    ccases, cnn_pe, cnn_one, (cp, cx, cy) = cnn_cases(64 if args.batch >= 64 else args.batch)
    got = cnn_pe(cp, cx, cy)
    for i in (0, len(cx) - 1):
        for a, b in zip(got, cnn_one(cp, cx[i], cy[i])):
            np.testing.assert_allclose(a[i], b, rtol=2e-4, atol=1e-6)
    cres = {name: _time(fn, args.repeat if "loop" not in name else max(3, args.repeat // 5))
            for name, fn in ccases.items()}
    cbase, ctf = cres["backchain batched gradient"][0], cres.get("torch.func vmap(grad)", (None,))[0]
    print(f"Per-example gradients, W3's LeNet (1x28x28, two 5x5 convolutions, max-pool), batch {len(cx)}, "
          f"float32 [ms; medians]")
    print(f"  {'case':36s} {'median':>9s} {'min':>9s} {'/batched':>9s} {'/torch.func':>12s}")
    for name, (med, mn) in cres.items():
        rt = f"{med / ctf:12.2f}" if ctf else f"{'-':>12s}"
        print(f"  {name:36s} {med * 1e3:9.2f} {mn * 1e3:9.2f} {med / cbase:9.2f} {rt}")

    ecases, (efwd, efwd_loop, egrad, egrad_loop) = ensemble_cases()
    np.testing.assert_allclose(np.asarray(efwd()), efwd_loop(), rtol=2e-4, atol=1e-5)
    for k, (a, per_model) in enumerate(zip(egrad(), zip(*egrad_loop()))):
        np.testing.assert_allclose(np.asarray(a), np.stack(per_model), rtol=2e-3, atol=1e-5)
    eres = {name: _time(fn, max(3, args.repeat // 2)) for name, fn in ecases.items()}
    print("An ensemble of 8 LeNets (stacked parameters) on one batch of 64, float32 [ms; medians]")
    print(f"  {'case':40s} {'median':>9s} {'min':>9s}")
    for name, (med, mn) in eres.items():
        print(f"  {name:40s} {med * 1e3:9.2f} {mn * 1e3:9.2f}")

    jcases, loop, new = jacobian_cases()
    np.testing.assert_allclose(new(), loop(), rtol=1e-10, atol=1e-12)
    jres = {name: _time(fn, max(3, args.repeat // 4), warmup=1) for name, fn in jcases.items()}
    before = jres["loop over basis vectors (before)"][0]
    print("Jacobian of a 256 -> 256 function (tanh(A @ x) * sum(x ** 2)), float64 [ms; medians]")
    print(f"  {'case':36s} {'median':>9s} {'min':>9s} {'speed-up':>9s}")
    for name, (med, mn) in jres.items():
        print(f"  {name:36s} {med * 1e3:9.2f} {mn * 1e3:9.2f} {before / med:9.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"per_example": {k: v[0] for k, v in results.items()},
                       "per_example_cnn": {k: v[0] for k, v in cres.items()},
                       "ensemble_cnn": {k: v[0] for k, v in eres.items()},
                       "jacobian": {k: v[0] for k, v in jres.items()}}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
