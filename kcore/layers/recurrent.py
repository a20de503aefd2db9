"""Recurrent layers, Keras 3's ``keras.layers`` recurrent family in one namespace.

``RNN`` and the cells (``rnn_base``, ``rnn_cells``), ``SimpleRNN``/``LSTM``/``GRU`` on the
fused primitives of ``kcore.ops.recurrent`` (``rnn_layers``), and the ``TimeDistributed``
and ``Bidirectional`` wrappers (``rnn_wrappers``).
"""

from kcore.layers.rnn_base import RNN
from kcore.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from kcore.layers.rnn_layers import GRU, LSTM, SimpleRNN
from kcore.layers.rnn_wrappers import Bidirectional, TimeDistributed, Wrapper

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "StackedRNNCells", "Bidirectional", "TimeDistributed", "Wrapper"]
