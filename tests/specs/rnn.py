"""Spec rows for backchain/_rules/rnn.py: the fused pointwise LSTM and GRU steps and layers."""
import numpy as np

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

_MASK = np.arange(4)[:, None] < np.array([4, 1, 0, 3])[None, :]

SPECS += [
    Spec(lambda x, h0, c0, wi, wh, bi, bh: R.lstm_layer(x, h0, c0, wi, wh, bi, bh)[0],
         [((4, 2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,), (8,))], prims=("rnn.lstm_layer",), id="lstm_layer_h"),
    Spec(lambda x, h0, c0, wi, wh, bi, bh: R.lstm_layer(x, h0, c0, wi, wh, bi, bh)[2],
         [((3, 2, 2), (2, 3), (2, 3), (12, 2), (12, 3), (12,), (12,))], prims=("rnn.lstm_layer",), id="lstm_layer_c"),
    # only the last hidden state used, one bias only
    Spec(lambda x, h0, c0, wi, wh, bi: R.lstm_layer(x, h0, c0, wi, wh, bi, None)[1],
         [((3, 2, 2), (2, 3), (2, 3), (12, 2), (12, 3), (12,))], prims=("rnn.lstm_layer",), id="lstm_layer_h_last"),
    Spec(lambda x, h0, c0, wi, wh: R.lstm_layer(x, h0, c0, wi, wh, None, None)[0][-1]
         * R.lstm_layer(x, h0, c0, wi, wh, None, None)[2],
         [((3, 1, 2), (1, 1), (1, 1), (4, 2), (4, 1))], prims=("rnn.lstm_layer",), id="lstm_layer_nobias"),
    # with a mask (sequences of lengths 4, 1, 0 and 3 in a batch of 4): states carry over past the end
    Spec(lambda x, h0, c0, wi, wh, bi, bh: R.lstm_layer(x, h0, c0, wi, wh, bi, bh, mask=_MASK)[0] * 2.0
         + R.lstm_layer(x, h0, c0, wi, wh, bi, bh, mask=_MASK)[1] - R.lstm_layer(x, h0, c0, wi, wh, bi, bh,
                                                                                mask=_MASK)[2],
         [((4, 4, 2), (4, 3), (4, 3), (12, 2), (12, 3), (12,), (12,))], prims=("rnn.lstm_layer",),
         id="lstm_layer_mask"),
    # every result used, one bias only
    Spec(lambda x, h0, c0, wi, wh, bh: R.lstm_layer(x, h0, c0, wi, wh, None, bh)[0] * 2.0
         + R.lstm_layer(x, h0, c0, wi, wh, None, bh)[1] - R.lstm_layer(x, h0, c0, wi, wh, None, bh)[2],
         [((3, 2, 2), (2, 2), (2, 2), (8, 2), (8, 2), (8,))], prims=("rnn.lstm_layer",), id="lstm_layer_both"),
]

SPECS += [
    Spec(lambda x, h0, wi, wh, bi, bh: R.gru_layer(x, h0, wi, wh, bi, bh)[0],
         [((4, 2, 3), (2, 2), (6, 3), (6, 2), (6,), (6,))], prims=("rnn.gru_layer",), id="gru_layer"),
    # only the last state used (the usual case: no cotangent for the sequence of states)
    Spec(lambda x, h0, wi, wh: R.gru_layer(x, h0, wi, wh, None, None)[1],
         [((3, 1, 2), (1, 1), (3, 2), (3, 1))], prims=("rnn.gru_layer",), id="gru_layer_last_nobias"),
    # with a mask (lengths 4, 1, 0 and 3), both results used
    Spec(lambda x, h0, wi, wh, bi, bh: R.gru_layer(x, h0, wi, wh, bi, bh, mask=_MASK)[0] * 2.0
         - R.gru_layer(x, h0, wi, wh, bi, bh, mask=_MASK)[1],
         [((4, 4, 2), (4, 3), (9, 2), (9, 3), (9,), (9,))], prims=("rnn.gru_layer",), id="gru_layer_mask"),
    # both results used
    Spec(lambda x, h0, wi, wh, bh: R.gru_layer(x, h0, wi, wh, None, bh)[0][1:] * 2.0
         - R.gru_layer(x, h0, wi, wh, None, bh)[1],
         [((3, 2, 2), (2, 3), (9, 2), (9, 3), (9,))], prims=("rnn.gru_layer",), id="gru_layer_hh_bias"),
]

SPECS += [
    Spec(lambda x, h0, wi, wh, bi, bh: R.rnn_tanh_layer(x, h0, wi, wh, bi, bh)[0],
         [((4, 2, 3), (2, 2), (2, 3), (2, 2), (2,), (2,))], prims=("rnn.rnn_tanh_layer",), id="rnn_tanh_layer"),
    Spec(lambda x, h0, wi, wh: R.rnn_tanh_layer(x, h0, wi, wh, None, None)[1],
         [((3, 1, 2), (1, 3), (3, 2), (3, 3))], prims=("rnn.rnn_tanh_layer",), id="rnn_tanh_layer_last_nobias"),
    # with a mask (lengths 4, 1, 0 and 3), both results used, one bias only
    Spec(lambda x, h0, wi, wh, bh: R.rnn_tanh_layer(x, h0, wi, wh, None, bh, mask=_MASK)[0] * 2.0
         - R.rnn_tanh_layer(x, h0, wi, wh, None, bh, mask=_MASK)[1],
         [((4, 4, 2), (4, 3), (3, 2), (3, 3), (3,))], prims=("rnn.rnn_tanh_layer",), id="rnn_tanh_layer_mask"),
]
