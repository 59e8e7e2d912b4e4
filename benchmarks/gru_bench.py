"""GRU train step: backchain against PyTorch CPU, the model of ``lstm_bench.py`` with a GRU layer.

One-layer GRU, input 32, hidden 128, over 100 time steps, batch 32 (float32, time first); a linear
head 128->10 on the last hidden state; softmax cross-entropy; SGD (lr 0.01). Each implementation
runs in a fresh one-thread process, from the same weights (PyTorch's names), in interleaved rounds.

    python benchmarks/gru_bench.py [--repeats N] [--warmup N] [--rounds N] [--json out.json] [--lengths]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import lstm_bench  # noqa: E402

def measure(impl, repeats, warmup, lengths=False):
    return lstm_bench.measure(impl, repeats, warmup, lengths, cell="GRU")

def main(argv=None):
    return lstm_bench.run("GRU", argv)

if __name__ == "__main__":
    main()
