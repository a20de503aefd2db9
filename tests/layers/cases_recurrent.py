"""Harness cases: recurrent layers, cells and the TimeDistributed/Bidirectional wrappers.

Wrapped layers and cells are given as config dicts, so that every instance the harness
creates gets its own sublayer (and the float64 gradient check a float64 one). Cells are
called as Keras calls them, ``cell(inputs, states=...)``; their states are fixed arrays of
batch 1 that broadcast over any batch, so the symbolic (unknown batch) check works too.
Masking is covered in ``test_recurrent.py`` (the harness has no mask inputs).
"""

import numpy as np

from kcore.layers import recurrent as R

from harness import LayerCase


def _cfg(class_name, **config):
    return {"class_name": class_name, "config": config}


_S = np.random.default_rng(5).normal(size=(4, 1, 3)).astype("float32")
SEQ = (2, 4, 3)

CASES = [
    LayerCase(R.SimpleRNN, {"units": 3}, SEQ, (2, 3), id="SimpleRNN"),
    LayerCase(R.SimpleRNN, {"units": 3, "activation": "sigmoid", "return_sequences": True,
                            "go_backwards": True}, SEQ, (2, 4, 3),
              id="SimpleRNN-seq-backwards-sigmoid"),
    LayerCase(R.SimpleRNN, {"units": 2, "return_state": True, "use_bias": False}, SEQ,
              [(2, 2), (2, 2)], id="SimpleRNN-state-nobias"),
    LayerCase(R.SimpleRNN, {"units": 3, "dropout": 0.5, "recurrent_dropout": 0.5, "seed": 3},
              SEQ, (2, 3), training_differs=True, random_in_training=True,
              id="SimpleRNN-dropout"),
    LayerCase(R.LSTM, {"units": 3}, SEQ, (2, 3), id="LSTM"),
    LayerCase(R.LSTM, {"units": 3, "return_sequences": True, "return_state": True}, SEQ,
              [(2, 4, 3), (2, 3), (2, 3)], id="LSTM-seq-state"),
    LayerCase(R.LSTM, {"units": 2, "go_backwards": True, "return_sequences": True,
                       "use_bias": False}, SEQ, (2, 4, 2), id="LSTM-backwards-nobias"),
    LayerCase(R.LSTM, {"units": 2, "activation": "softsign", "return_state": True}, SEQ,
              [(2, 2), (2, 2), (2, 2)], id="LSTM-unfused-softsign"),
    LayerCase(R.LSTM, {"units": 3, "dropout": 0.4, "seed": 1}, SEQ, (2, 3),
              training_differs=True, random_in_training=True, id="LSTM-dropout"),
    LayerCase(R.LSTM, {"units": 3, "dropout": 0.3, "recurrent_dropout": 0.4, "seed": 2}, SEQ,
              (2, 3), training_differs=True, random_in_training=True,
              id="LSTM-recurrent-dropout"),
    LayerCase(R.GRU, {"units": 3}, SEQ, (2, 3), id="GRU-reset-after"),
    LayerCase(R.GRU, {"units": 3, "reset_after": False, "return_sequences": True,
                      "return_state": True}, SEQ, [(2, 4, 3), (2, 3)], id="GRU-reset-before"),
    LayerCase(R.GRU, {"units": 2, "go_backwards": True, "return_sequences": True,
                      "recurrent_activation": "tanh"}, SEQ, (2, 4, 2), id="GRU-backwards"),
    LayerCase(R.GRU, {"units": 2, "activation": "selu", "reset_after": False}, SEQ, (2, 2),
              id="GRU-unfused-selu"),
    LayerCase(R.GRU, {"units": 3, "dropout": 0.3, "recurrent_dropout": 0.3, "seed": 4}, SEQ,
              (2, 3), training_differs=True, random_in_training=True, id="GRU-dropout"),
    LayerCase(R.RNN, {"cell": _cfg("LSTMCell", units=3), "return_sequences": True}, SEQ,
              (2, 4, 3), id="RNN-LSTMCell"),
    LayerCase(R.RNN, {"cell": [_cfg("SimpleRNNCell", units=3), _cfg("GRUCell", units=2)],
                      "return_state": True, "go_backwards": True}, SEQ,
              [(2, 2), (2, 3), (2, 2)], id="RNN-stacked-cells"),
    LayerCase(R.SimpleRNNCell, {"units": 3}, (2, 4), [(2, 3), (2, 3)],
              call_kwargs={"states": [_S[0]]}),
    LayerCase(R.LSTMCell, {"units": 3}, (2, 4), [(2, 3), (2, 3), (2, 3)],
              call_kwargs={"states": [_S[0], _S[1]]}),
    LayerCase(R.GRUCell, {"units": 3}, (2, 4), [(2, 3), (2, 3)],
              call_kwargs={"states": [_S[2]]}, id="GRUCell"),
    LayerCase(R.GRUCell, {"units": 3, "reset_after": False}, (2, 4), [(2, 3), (2, 3)],
              call_kwargs={"states": [_S[3]]}, id="GRUCell-reset-before"),
    LayerCase(R.StackedRNNCells, {"cells": [_cfg("LSTMCell", units=3),
                                            _cfg("SimpleRNNCell", units=3)]}, (2, 4),
              [(2, 3), (2, 3), (2, 3), (2, 3)],
              call_kwargs={"states": [[_S[0], _S[1]], [_S[2]]]}),
    LayerCase(R.Bidirectional, {"layer": _cfg("LSTM", units=3, return_sequences=True)}, SEQ,
              (2, 4, 6), id="Bidirectional-concat"),
    LayerCase(R.Bidirectional, {"layer": _cfg("GRU", units=2), "merge_mode": "sum"}, SEQ,
              (2, 2), id="Bidirectional-sum"),
    LayerCase(R.Bidirectional, {"layer": _cfg("SimpleRNN", units=2, return_sequences=True,
                                              return_state=True), "merge_mode": None}, SEQ,
              [(2, 4, 2), (2, 4, 2), (2, 2), (2, 2)], id="Bidirectional-none-state"),
    LayerCase(R.TimeDistributed, {"layer": _cfg("Dense", units=3)}, (2, 4, 5), (2, 4, 3),
              id="TimeDistributed-Dense"),
]
