"""One bc.jit feature on and off, side by side in one process: what it gains on a workload's step.

    python -m benchmarks.jit_features -w W8 -f rows cse nt-copy
    python -m benchmarks.jit_features -w W1 -f sgd-in-product --blocks 40

Each feature is turned off by replacing the function that plans it while the step is traced (or,
for ``nt-copy``, the threshold the products read at each call), so the two variants are the same
program otherwise. The variants' steps run in alternating blocks of a few steps after a warm-up,
so that the VM's slow spells fall on both; printed: each variant's median step and the median of
the per-block ratios (feature on / off). Features:

- ``rows``: softmax, its VJP and LayerNorm a row at a time (``_fuse._row_calls``);
- ``cse``: common subexpressions run once (``_cse.eliminate``);
- ``sgd-in-product``: the SGD step inside the product making the gradient (``_replay._sgd_of``);
- ``bias-relu-in-product``: a dense layer's bias and ReLU inside its product (``_replay._bias_relu_of``);
- ``nt-copy``: an A W^T product of many rows copies W^T and takes the A B tiles (``_gemm._NT_ROWS``).
"""
import argparse
import contextlib
import statistics
import time

from benchmarks.jit import _stepjit

WORKLOADS = {"W1": ("w1_mlp", 128), "W3": ("w3_cnn", 64), "W7": ("w7_lstm", 32), "W8": ("w8_transformer", 32)}


@contextlib.contextmanager
def _off(feature):
    """The feature turned off while a step is traced and replayed for the first time."""
    from backchain.jit import _cse, _fuse, _gemm, _replay

    if feature == "rows":
        saved, _fuse._row_calls = _fuse._row_calls, (lambda program: {})
        restore = lambda: setattr(_fuse, "_row_calls", saved)  # noqa: E731
    elif feature == "cse":
        saved, _cse.eliminate = _cse.eliminate, (lambda program: program)
        restore = lambda: setattr(_cse, "eliminate", saved)  # noqa: E731
    elif feature == "sgd-in-product":
        saved, _replay._sgd_of = _replay._sgd_of, (lambda step, k: False)
        restore = lambda: setattr(_replay, "_sgd_of", saved)  # noqa: E731
    elif feature == "bias-relu-in-product":
        saved, _replay._bias_relu_of = _replay._bias_relu_of, (lambda step, k: False)
        restore = lambda: setattr(_replay, "_bias_relu_of", saved)  # noqa: E731
    elif feature == "nt-copy":
        saved, _gemm._NT_ROWS = _gemm._NT_ROWS, 1 << 62
        restore = lambda: setattr(_gemm, "_NT_ROWS", saved)  # noqa: E731
    else:
        raise SystemExit(f"unknown feature {feature!r}: rows, cse, sgd-in-product, bias-relu-in-product, nt-copy")
    try:
        yield
    finally:
        restore()


def measure(workload, feature, blocks=12, steps=5, warm_s=1.0):
    """(median step on, median step off, median per-block ratio on / off), seconds."""
    module, size = WORKLOADS[workload]
    on = _stepjit(module)(size)
    with _off(feature):
        off = _stepjit(module)(size)
        for _ in range(3):
            off.step()
    for _ in range(3):
        on.step()
    end = time.perf_counter() + warm_s
    while time.perf_counter() < end:
        on.step()
        with _off(feature) if feature == "nt-copy" else contextlib.nullcontext():
            off.step()
    times = {"on": [], "off": []}
    for _ in range(blocks):
        for name, case in (("on", on), ("off", off)):
            ctx = _off(feature) if (feature == "nt-copy" and name == "off") else contextlib.nullcontext()
            with ctx:
                case.step()
                ts = []
                for _ in range(steps):
                    t0 = time.perf_counter()
                    case.step()
                    ts.append(time.perf_counter() - t0)
            times[name].append(statistics.median(ts))
    ratio = statistics.median(a / b for a, b in zip(times["on"], times["off"]))
    return statistics.median(times["on"]), statistics.median(times["off"]), ratio


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.jit_features", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-w", "--workloads", nargs="+", default=["W8"], choices=sorted(WORKLOADS))
    ap.add_argument("-f", "--features", nargs="+", default=["rows"])
    ap.add_argument("--blocks", type=int, default=12)
    args = ap.parse_args(argv)
    for w in args.workloads:
        for f in args.features:
            on, off, ratio = measure(w, f, args.blocks)
            print(f"{w} {f:15s} on {on * 1e3:8.3f} ms   off {off * 1e3:8.3f} ms   on / off {ratio:.3f}")


if __name__ == "__main__":
    main()
