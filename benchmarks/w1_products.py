"""W1's matrix products alone: NumPy's BLAS against JAX's (XLA) compiled products, in one process.

W1's training step is eight float32 products (three forward, five backward: every weight
gradient and two input gradients); under ``bc.jit`` the replay runs them as the same NumPy calls
as the hand-written baseline. This script times each product both ways, interleaved, so that the
gap between a replay and ``jax.jit`` on W1 can be split into products and everything else.

    python -m benchmarks.w1_products [--rounds 5] [--repeat 200]

Each library runs in a fresh process per round (XLA's and OpenBLAS's worker threads, spinning in
one process on two cores, would slow each other's products by tens of times). Prints the BLAS in
use (threadpoolctl), then per product the median over rounds of the median time in µs of NumPy
(``np.matmul`` into a preallocated ``out``) and of ``jax.jit(matmul)`` (blocking until ready;
its dispatch cost, measured on an identity function, is printed separately), and the sums.
"""
import argparse
import json
import subprocess
import sys
import time

import numpy as np

B, SIZES = 128, (784, 256, 256, 10)


def _products(rng):
    """(name, a, b, transpose_a) for each product of W1's step, with operands of W1's shapes."""
    f32 = np.float32
    out = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        h = rng.standard_normal((B, n_in), dtype=f32)
        w = rng.standard_normal((n_in, n_out), dtype=f32)
        g = rng.standard_normal((B, n_out), dtype=f32)
        out.append((f"h{i} @ W{i}       ({B}x{n_in} @ {n_in}x{n_out})", h, w, False))
        out.append((f"h{i}.T @ g{i}     ({n_in}x{B} @ {B}x{n_out})", h, g, True))
        if i > 0:
            out.append((f"g{i} @ W{i}.T     ({B}x{n_out} @ {n_out}x{n_in})", g, np.ascontiguousarray(w.T), False))
    return out


def _median_us(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e6


def _child(impl, repeat):
    """Median µs of each product with one library, in this process (its own thread pools)."""
    rng = np.random.default_rng(0)
    res = []
    if impl == "jax":
        import jax
        import jax.numpy as jnp

        mm, mmt = jax.jit(lambda a, b: a @ b), jax.jit(lambda a, b: a.T @ b)
        ident = jax.jit(lambda a: a)
    for name, a, b, t in _products(rng):
        if impl == "numpy":
            c = np.empty(((a.shape[1] if t else a.shape[0]), b.shape[1]), np.float32)
            fn = (lambda a=a, b=b, c=c: np.matmul(a.T, b, out=c)) if t else (lambda a=a, b=b, c=c: np.matmul(a, b, out=c))
        else:
            ja, jb, jf = jnp.asarray(a), jnp.asarray(b), (mmt if t else mm)
            fn = lambda jf=jf, ja=ja, jb=jb: jf(ja, jb).block_until_ready()
        np.testing.assert_allclose(np.asarray(fn()), (a.T if t else a) @ b, rtol=1e-3, atol=1e-3)
        for _ in range(20):
            fn()
        res.append(_median_us(fn, repeat))
    if impl == "jax":
        jd = jnp.asarray(np.ones((B, SIZES[0]), np.float32))
        res.append(_median_us(lambda: ident(jd).block_until_ready(), repeat))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=200)
    p.add_argument("--child", choices=["numpy", "jax"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.repeat)))
        return
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            print(f"{info.get('internal_api')}: {info.get('architecture')} kernels, {info.get('num_threads')} threads")
    except ImportError:
        pass
    names = [name for name, *_ in _products(np.random.default_rng(0))]
    runs = {"numpy": [], "jax": []}
    for _ in range(args.rounds):  # each library in a fresh process: one's spinning threads never slow the other
        for impl in runs:
            out = subprocess.run([sys.executable, "-m", "benchmarks.w1_products", "--child", impl,
                                  "--repeat", str(args.repeat)], capture_output=True, text=True, check=True)
            runs[impl].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {impl: np.median(np.array(r), axis=0) for impl, r in runs.items()}
    print(f"{'product (float32)':44s} {'numpy µs':>9s} {'jax µs':>9s} {'jax/numpy':>9s}")
    for i, name in enumerate(names):
        n, j = med["numpy"][i], med["jax"][i]
        print(f"{name:44s} {n:9.1f} {j:9.1f} {j / n:9.2f}")
    tn, tj = float(med["numpy"][:len(names)].sum()), float(med["jax"][:len(names)].sum())
    print(f"{'sum':44s} {tn:9.1f} {tj:9.1f} {tj / tn:9.2f}")
    print(f"jax dispatch of an identity function: {med['jax'][-1]:.1f} µs per call (included in each jax time)")


if __name__ == "__main__":
    main()
