"""``python -m backchain.jit``: compile bc.jit's kernels ahead (see ``_warm.py``)."""
import argparse

from ._warm import warm


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m backchain.jit",
                                description="Compile bc.jit's Numba kernels (patterns, products, LSTM) into "
                                            "Numba's disk cache, so that first calls load them.")
    p.parse_args(argv)
    warm(verbose=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
