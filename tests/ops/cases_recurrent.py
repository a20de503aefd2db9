"""Gradient-check cases for the fused recurrent primitives (``kcore/ops/recurrent.py``).

Small float64 problems (batch 2, time 3-4, units 2-3) covering every code path: sequence
and last-step outputs, gradients arriving on the final states, ``go_backwards``, masks
(including a sequence whose first steps are masked), ``zero_output_for_mask``, no bias,
non-default activations and both GRU ``reset_after`` variants.
"""

import numpy as np

from kcore.ops import recurrent as rnn_ops
from tests.ops.gradcheck import Case

_rng = np.random.default_rng(7)


def _a(*shape, scale=0.6):
    return _rng.normal(scale=scale, size=shape)


# Trailing padding in row 0, leading padding in row 1 (its output starts as zeros).
_MASK = np.array([[True, True, True, False], [False, True, False, True]])
B, T, N = 2, 4, 3


def _lstm_args(u, bias=True):
    return (_a(B, T, N), _a(B, u), _a(B, u), _a(N, 4 * u), _a(u, 4 * u),
            _a(4 * u) if bias else None)


def _gru_args(u, reset_after=True, bias=True):
    b = (_a(2, 3 * u) if reset_after else _a(3 * u)) if bias else None
    return (_a(B, T, N), _a(B, u), _a(N, 3 * u), _a(u, 3 * u), b)


def _rnn_args(u, bias=True):
    return (_a(B, T, N), _a(B, u), _a(N, u), _a(u, u), _a(u) if bias else None)


def _case(name, fn, args, **kwargs):
    return Case(name, fn, tuple(args), kwargs)


_LSTM = rnn_ops.lstm_sequence
_GRU = rnn_ops.gru_sequence
_RNN = rnn_ops.simple_rnn_sequence

CASES = [
    _case("lstm_sequence", _LSTM, _lstm_args(3)),
    _case("lstm_sequence", _LSTM, _lstm_args(2), return_sequences=False),
    _case("lstm_sequence", _LSTM, _lstm_args(3), go_backwards=True),
    _case("lstm_sequence", _LSTM, _lstm_args(2), mask=_MASK),
    _case("lstm_sequence", _LSTM, _lstm_args(2), mask=_MASK, return_sequences=False,
          go_backwards=True),
    _case("lstm_sequence", _LSTM, _lstm_args(2), mask=_MASK, zero_output_for_mask=True),
    _case("lstm_sequence", _LSTM, _lstm_args(2, bias=False), activation="relu",
          recurrent_activation="hard_sigmoid"),
    # The tanh/sigmoid fast path without bias, and masked + go_backwards with sequences.
    _case("lstm_sequence", _LSTM, _lstm_args(3, bias=False)),
    _case("lstm_sequence", _LSTM, _lstm_args(2), mask=_MASK, go_backwards=True),
    # The generic (batch-major) path on sigmoid gates with a non-default cell activation.
    _case("lstm_sequence", _LSTM, _lstm_args(2), mask=_MASK, activation="relu"),
    _case("gru_sequence", _GRU, _gru_args(3)),
    _case("gru_sequence", _GRU, _gru_args(3, reset_after=False), reset_after=False),
    _case("gru_sequence", _GRU, _gru_args(2), return_sequences=False, go_backwards=True),
    _case("gru_sequence", _GRU, _gru_args(2, reset_after=False), reset_after=False,
          return_sequences=False),
    _case("gru_sequence", _GRU, _gru_args(2), mask=_MASK),
    _case("gru_sequence", _GRU, _gru_args(2, reset_after=False), reset_after=False, mask=_MASK,
          go_backwards=True),
    _case("gru_sequence", _GRU, _gru_args(2), mask=_MASK, return_sequences=False,
          zero_output_for_mask=True),
    _case("gru_sequence", _GRU, _gru_args(2, bias=False), activation="linear"),
    _case("simple_rnn_sequence", _RNN, _rnn_args(3)),
    _case("simple_rnn_sequence", _RNN, _rnn_args(2), return_sequences=False, go_backwards=True),
    _case("simple_rnn_sequence", _RNN, _rnn_args(2), mask=_MASK),
    _case("simple_rnn_sequence", _RNN, _rnn_args(2), mask=_MASK, return_sequences=False),
    _case("simple_rnn_sequence", _RNN, _rnn_args(2, bias=False), mask=_MASK,
          zero_output_for_mask=True, activation="sigmoid"),
]
