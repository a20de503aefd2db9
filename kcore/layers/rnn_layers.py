"""``SimpleRNN``, ``LSTM`` and ``GRU``: Keras 3's recurrent layers on fused primitives.

Each layer owns a cell (``simple_rnn_cell``/``lstm_cell``/``gru_cell``, which holds the
weights, as in Keras 3) and runs whole sequences with ``kcore.ops.recurrent`` whenever the
activations have fused kernels and no recurrent dropout is active in training (Keras then
uses per-gate masks, run step by step through the cell, as Keras itself does without
cuDNN). Input dropout uses one mask per sequence, shared across time steps.
"""

from kcore import activations, ops
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.input_spec import InputSpec
from kcore.layers.rnn_base import RNN
from kcore.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell
from kcore.ops import recurrent as fused

_FUSED_NAMES = {activations.tanh: "tanh", activations.sigmoid: "sigmoid",
                activations.relu: "relu", activations.hard_sigmoid: "hard_sigmoid",
                activations.linear: "linear"}
_CELL_PROPERTIES = ("units", "activation", "recurrent_activation", "use_bias",
                    "unit_forget_bias", "reset_after", "kernel_initializer",
                    "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                    "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")
_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")


class _FusedRNN(RNN):
    """Shared construction, fused dispatch and config of SimpleRNN, LSTM and GRU."""

    def _setup(self, cell, rnn_args, activity_regularizer, use_cudnn, kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"`use_cudnn` must be one of 'auto', True, False; got {use_cudnn!r}.")
        super().__init__(cell, activity_regularizer=activity_regularizer,
                         **dict(zip(_RNN_ARGS, rnn_args)), **kwargs)
        self.use_cudnn = use_cudnn  # accepted and ignored: kcore runs on the CPU
        self.input_spec = InputSpec(ndim=3)

    def _activation_names(self):
        names = {"activation": _FUSED_NAMES.get(self.cell.activation)}
        if hasattr(self.cell, "recurrent_activation"):
            names["recurrent_activation"] = _FUSED_NAMES.get(self.cell.recurrent_activation)
        return None if None in names.values() else names

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        names = self._activation_names()
        per_gate_masks = getattr(cell, "dropout_mask_count", None) is not None
        if names is None or (training and (cell.recurrent_dropout > 0 or
                                           (per_gate_masks and cell.dropout > 0))):
            return super().inner_loop(sequences, initial_state, mask, training)
        if training and cell.dropout > 0:
            dp = cell.get_dropout_mask(sequences[:, 0])
            sequences = ops.multiply(sequences, ops.expand_dims(dp, 1))
        y, *states = self._fused(sequences, initial_state, dict(
            mask=mask, go_backwards=self.go_backwards, return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask, **names))
        return (None, y, states) if self.return_sequences else (y, None, states)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)

    def get_config(self):
        cfg = super().get_config()
        del cfg["cell"]
        cell_cfg = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_cfg.pop(key, None)
        cfg.update(cell_cfg)
        cfg["activity_regularizer"] = serialize_keras_object(self.activity_regularizer)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("cell", None)
        return cls(**config)


# Hyper-parameters live on the cell; the layer exposes them read-only, as Keras does.
for _name in _CELL_PROPERTIES:
    setattr(_FusedRNN, _name, property(lambda self, _n=_name: getattr(self.cell, _n)))


def _cell_kwargs(kwargs):
    return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True)}


class SimpleRNN(_FusedRNN):
    """Fully connected RNN: ``h_t = activation(x_t W + b + h_{t-1} U)``.

    Args:
        units: output size.
        activation: default ``"tanh"``.
        use_bias, kernel_initializer (``"glorot_uniform"``), recurrent_initializer
            (``"orthogonal"``), bias_initializer (``"zeros"``), ``*_regularizer``,
            ``*_constraint``: as in Keras.
        dropout, recurrent_dropout: fractions of the inputs / recurrent state dropped in
            training (one mask per sequence).
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll: see ``RNN``.

    Input shape ``(batch, time, features)``; output ``(batch, units)`` or
    ``(batch, time, units)``. Weights (on ``simple_rnn_cell``): ``kernel``,
    ``recurrent_kernel``, ``bias``.

    Example:
        >>> kcore.layers.SimpleRNN(4)(np.zeros((2, 5, 3), "float32")).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer,
                             kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, dropout=dropout,
                             recurrent_dropout=recurrent_dropout, seed=seed,
                             name="simple_rnn_cell", **_cell_kwargs(kwargs))
        self._setup(cell, (return_sequences, return_state, go_backwards, stateful, unroll),
                    activity_regularizer, "auto", kwargs)

    def _fused(self, x, states, options):
        c = self.cell
        return fused.simple_rnn_sequence(x, states[0], c.kernel, c.recurrent_kernel, c.bias,
                                         **options)


class LSTM(_FusedRNN):
    """Long Short-Term Memory (Hochreiter 1997), Keras 3's ``LSTM``.

    Args:
        units: output size.
        activation: cell/candidate activation, default ``"tanh"``.
        recurrent_activation: gate activation, default ``"sigmoid"``.
        unit_forget_bias: initialize the forget-gate bias to 1 (default ``True``).
        use_cudnn: accepted and ignored.
        Other arguments as ``SimpleRNN``.

    Input shape ``(batch, time, features)``; output ``(batch, units)`` or
    ``(batch, time, units)``; with ``return_state`` also ``h`` and ``c``. Weights (on
    ``lstm_cell``): ``kernel (features, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)``,
    gates ordered i, f, c, o.

    Example:
        >>> lstm = kcore.layers.LSTM(4, return_sequences=True, return_state=True)
        >>> seq, h, c = lstm(np.zeros((2, 5, 3), "float32"))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer,
                        unit_forget_bias=unit_forget_bias,
                        recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                        recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint,
                        bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, seed=seed, name="lstm_cell",
                        implementation=kwargs.pop("implementation", 2), **_cell_kwargs(kwargs))
        self._setup(cell, (return_sequences, return_state, go_backwards, stateful, unroll),
                    activity_regularizer, use_cudnn, kwargs)

    def _fused(self, x, states, options):
        c = self.cell
        return fused.lstm_sequence(x, states[0], states[1], c.kernel, c.recurrent_kernel,
                                   c.bias, **options)


class GRU(_FusedRNN):
    """Gated Recurrent Unit (Cho 2014), Keras 3's ``GRU``.

    Args:
        units: output size.
        reset_after: apply the reset gate after the recurrent matmul (Keras 3 default
            ``True``, cuDNN-compatible, ``bias (2, 3u)``); ``False`` gives ``bias (3u,)``.
        Other arguments as ``LSTM`` (without ``unit_forget_bias``).

    Weights (on ``gru_cell``): ``kernel (features, 3u)``, ``recurrent_kernel (u, 3u)``,
    ``bias``, gates ordered z (update), r (reset), h.

    Example:
        >>> kcore.layers.GRU(4)(np.zeros((2, 5, 3), "float32")).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, kernel_initializer=kernel_initializer,
                       recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer,
                       bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout,
                       recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed,
                       name="gru_cell", implementation=kwargs.pop("implementation", 2),
                       **_cell_kwargs(kwargs))
        self._setup(cell, (return_sequences, return_state, go_backwards, stateful, unroll),
                    activity_regularizer, use_cudnn, kwargs)

    def _fused(self, x, states, options):
        c = self.cell
        return fused.gru_sequence(x, states[0], c.kernel, c.recurrent_kernel, c.bias,
                                  reset_after=c.reset_after, **options)
