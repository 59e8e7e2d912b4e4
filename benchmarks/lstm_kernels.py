"""bc.jit's LSTM recurrences alone (``backchain/jit/_rnn_kernels.py``) at W7's shapes: the forward
pass, and the backward pass without and with the weight gradient, on the threads Numba has.

    python -m benchmarks.lstm_kernels                       # both cores
    NUMBA_NUM_THREADS=1 python -m benchmarks.lstm_kernels   # one core

Prints medians in ms per call (after a warm-up of at least 0.5 s). Needs a CPU with AVX-512 (the
16-lane kernels) and Numba.
"""
import argparse
import statistics
import time

import numpy as np


def arrays(steps=100, batch=32, inputs=32, hidden=128, seed=0):
    """The kernels' arrays (their layouts: ``_rnn_kernels``' docstring) with W7's shapes and values
    from a forward pass."""
    r = hidden + inputs
    rp = -(-r // 16) * 16
    f32 = np.float32
    rng = np.random.default_rng(seed)
    scale = np.full(4 * hidden, 0.5, f32)
    scale[2 * hidden:3 * hidden] = 1
    shift = np.full(4 * hidden, 0.5, f32)
    shift[2 * hidden:3 * hidden] = 0
    return dict(
        w=(rng.standard_normal((4 * hidden, r)) / np.sqrt(hidden)).astype(f32), bias=np.zeros(4 * hidden, f32),
        scale=scale, shift=shift, x=rng.standard_normal((steps, batch, inputs)).astype(f32),
        z=np.zeros((steps + 1, r, batch), f32), cs=np.zeros((steps + 1, hidden, batch), f32),
        acts=np.zeros((steps, 5 * hidden, batch), f32), a=np.empty((4 * hidden, batch), f32),
        zz=np.zeros((steps + 1, batch, rp), f32), keep=np.zeros((1, 1), f32),
        g=(rng.standard_normal((steps, hidden, batch)) * 0.01).astype(f32),
        d=np.zeros((1, 1, 1), f32), dh=np.zeros((hidden, batch), f32), dc=np.zeros((hidden, batch), f32),
        dt=np.empty((4 * hidden, batch), f32), dt2=np.empty((4 * hidden, batch), f32),
        ds=np.empty((4 * hidden, batch), f32), dw=np.empty((4 * hidden, rp), f32),
        wtp=np.empty(4 * hidden * 8 * -(-hidden // 8), f32))


def run(v, which):
    """One forward pass (``which == "forward"``) or backward pass (``"backward"``, ``"backward+weights"``)."""
    import numba

    from backchain.jit import _rnn_kernels as rk
    from backchain.jit._pool import STATE, held

    threads = numba.get_num_threads()
    n = v["cs"].shape[1]
    with held(threads) as ctl:
        ub = rk.units_per_part(n, threads if ctl.size > STATE else 1)
        if which == "forward":
            rk.forward_simd(ctl, rk._forward_part.address, ub, v["w"], v["bias"], v["scale"], v["shift"], v["cs"],
                            v["z"], v["acts"], v["a"], v["zz"], v["keep"], False, v["x"])
        else:
            w_hh = np.ascontiguousarray(v["w"][:, :n])
            v["dh"][:] = 0
            v["dc"][:] = 0
            rk.backward_simd(ctl, rk._backward_part.address, ub, v["acts"], v["cs"], v["g"], True, w_hh, v["wtp"],
                             v["dh"], v["dc"], v["d"], False, v["dt"], v["dt2"], v["ds"], v["keep"], False, v["dh"],
                             v["dc"], v["zz"], v["dw"], which == "backward+weights")


def measure(v, which, calls=40, warm_s=0.5):
    run(v, which)
    end = time.perf_counter() + warm_s
    while time.perf_counter() < end:
        run(v, which)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        run(v, which)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args(argv)
    import numba

    from backchain.jit import _simd

    if not _simd.AVX512:
        raise SystemExit("the LSTM kernels' 16-lane products need a CPU with AVX-512")
    v = arrays(steps=args.steps)
    run(v, "forward")   # (activations for the backward pass)
    print(f"LSTM recurrences, W7's shapes ({args.steps} steps, batch 32, 32 -> 128), "
          f"{numba.get_num_threads()} thread(s), ms per call:")
    for which in ("forward", "backward", "backward+weights"):
        print(f"  {which:18s} {measure(v, which, args.calls) * 1e3:8.3f}")


if __name__ == "__main__":
    main()
