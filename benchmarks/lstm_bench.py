"""LSTM train step: backchain against PyTorch CPU (issue #6: at most 2x PyTorch's step time).
``gru_bench.py`` runs the same model with a GRU layer (``steps_for("GRU")``).

Model: one-layer LSTM, input 32, hidden 128, over 100 time steps, batch 32 (float32, time first);
a linear head 128->10 on the last hidden state; softmax cross-entropy; SGD (lr 0.01).
One step = forward, backward through all 100 time steps, parameter update.

Each implementation runs in a fresh process, single-threaded (OMP/OpenBLAS/MKL threads = 1,
torch.set_num_threads(1)); the median step time over --repeats steps (after --warmup steps) is
taken in each of --rounds interleaved rounds, and the medians over rounds are reported (ratio:
median of the per-round ratios). Both start from the same weights (PyTorch's LSTM's, copied
by name into backchain's), so their losses agree step by step.

    python benchmarks/lstm_bench.py [--repeats N] [--warmup N] [--rounds N] [--json out.json] [--lengths]

``--lengths``: a padded batch of sequences of lengths 50-100 (drawn once, seed 0): backchain's
``lengths=``, PyTorch's ``pack_padded_sequence``.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import _stepbench  # noqa: E402

T, N, I, H, LR = 100, 32, 32, 128, 0.01


def init(seed=0, gates=4):
    rng = np.random.default_rng(seed)
    b = 1.0 / np.sqrt(H)
    weights = {"weight_ih_l0": rng.uniform(-b, b, (gates * H, I)), "weight_hh_l0": rng.uniform(-b, b, (gates * H, H)),
               "bias_ih_l0": rng.uniform(-b, b, gates * H), "bias_hh_l0": rng.uniform(-b, b, gates * H)}
    head = {"weight": rng.uniform(-b, b, (10, H)), "bias": rng.uniform(-b, b, 10)}
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    head = {k: v.astype(np.float32) for k, v in head.items()}
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    y = rng.integers(0, 10, size=N)
    return weights, head, x, y


def _last(state):
    """The last layer's final hidden state: (h, c) for an LSTM, h for a GRU."""
    return (state[0] if isinstance(state, tuple) else state)[0]


def lengths_of_batch():
    """The lengths of ``--lengths``: 50-100, the longest first."""
    out = np.random.default_rng(0).integers(50, T + 1, size=N)
    out[0] = T
    return out


def backchain_step_fn(cell="LSTM", lengths=None):
    import backchain as bc

    weights, head_w, x, y = init(gates=4 if cell == "LSTM" else 3)
    rnn, head = getattr(bc.nn, cell)(I, H), bc.nn.Linear(H, 10)
    rnn.load_state_dict(weights)
    head.load_state_dict(head_w)
    params = list(rnn.parameters()) + list(head.parameters())

    def step():
        out, state = rnn(x, lengths=lengths)
        loss = bc.nn.functional.cross_entropy(head(_last(state)), y)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return float(loss.data)

    return step


def torch_step_fn(cell="LSTM", lengths=None):
    import torch

    torch.set_num_threads(1)
    weights, head_w, x, y = init(gates=4 if cell == "LSTM" else 3)
    rnn, head = getattr(torch.nn, cell)(I, H), torch.nn.Linear(H, 10)
    rnn.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    head.load_state_dict({k: torch.tensor(v) for k, v in head_w.items()})
    params = list(rnn.parameters()) + list(head.parameters())
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        seq = xt if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(
            xt, torch.as_tensor(lengths), enforce_sorted=False)
        out, state = rnn(seq)
        loss = torch.nn.functional.cross_entropy(head(_last(state)), yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return float(loss)

    return step


def steps_for(cell, lengths=None):
    return {"backchain": lambda: backchain_step_fn(cell, lengths), "torch": lambda: torch_step_fn(cell, lengths)}


def run(cell, argv):
    """The command line of this script and ``gru_bench.py``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    packed = "--lengths" in argv
    title = f"{cell} train step (T={T}, batch {N}, input {I}, hidden {H}" + (", lengths 50-100)" if packed else ")")
    return _stepbench.main(__file__ if cell == "LSTM" else os.path.join(os.path.dirname(__file__), "gru_bench.py"),
                           steps_for(cell, lengths_of_batch() if packed else None), title, argv, repeats=20,
                           warmup=3, flags=("--lengths",))




def measure(impl, repeats, warmup, lengths=False, cell="LSTM"):
    steps = steps_for(cell, lengths_of_batch() if lengths else None)
    return _stepbench.measure(steps[impl], repeats, warmup)


def main(argv=None):
    return run("LSTM", argv)


if __name__ == "__main__":
    main()
