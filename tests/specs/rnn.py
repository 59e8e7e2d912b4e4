"""Spec rows for backchain/_rules/rnn.py: the fused pointwise LSTM and GRU steps."""
from backchain._rules import rnn as R
from tests.specs import Spec

SPECS = [
    Spec(lambda g, c: R.lstm_cell(g, c)[0], [((3, 8), (3, 2)), ((1, 2, 12), (2, 3))], prims=("rnn.lstm_cell",),
         id="lstm_cell_h"),
    Spec(lambda g, c: R.lstm_cell(g, c)[1], [((3, 8), (3, 2)), ((12,), (3,))], prims=("rnn.lstm_cell",),
         id="lstm_cell_c"),
    Spec(lambda g, c: R.lstm_cell(g, c)[0] * R.lstm_cell(g, c)[1], [((2, 8), (2, 2))], prims=("rnn.lstm_cell",),
         id="lstm_cell_both"),
    Spec(R.gru_cell, [((3, 6), (3, 6), (3, 2)), ((1, 2, 9), (2, 9), (2, 3))], prims=("rnn.gru_cell",),
         id="gru_cell"),
]

COVERED_ELSEWHERE = {}
