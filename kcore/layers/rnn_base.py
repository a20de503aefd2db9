"""``RNN``: runs a cell over the time axis, with masks, initial and stateful states.

Semantics follow Keras 3's ``RNN`` and ``backend.rnn``:

* ``go_backwards=True`` reads the sequence from the end; the returned sequence is in that
  (reversed) order.
* A mask ``(batch, time)`` (e.g. from ``Embedding(mask_zero=True)`` or ``Masking``) skips
  steps: the states are carried over unchanged, and the output at a masked step repeats the
  previous output (zeros before the first unmasked step), or is zero with
  ``zero_output_for_mask=True`` (which ``Bidirectional`` sets for ``return_sequences``).
* ``stateful=True`` keeps the final states of a call as the initial states of the next
  (``reset_states()`` zeroes them); the states are not weights.

``SimpleRNN``, ``LSTM`` and ``GRU`` replace the step loop by a fused primitive (see
``kcore.ops.recurrent``); any other cell runs step by step through ``kcore.ops``.
"""

import numpy as np

from kcore import ops
from kcore.backend.serialization import serialize_keras_object
from kcore.backend.tensor import Tensor
from kcore.layers.layer import Layer, in_symbolic_build
from kcore.layers.rnn_cells import StackedRNNCells, deserialize_layer


def _is_nested(x):
    return isinstance(x, (list, tuple))


def _map(fn, *structures):
    first = structures[0]
    if _is_nested(first):
        return [_map(fn, *items) for items in zip(*structures)]
    return fn(*structures)


def _flatten(structure):
    if _is_nested(structure):
        return [x for s in structure for x in _flatten(s)]
    return [structure]


def _as_array(x):
    return np.asarray(x.value if isinstance(x, Tensor) else x)


class _StateHolder:
    """Keeps stateful RNN states out of the layer's weight tracking (they are not weights)."""

    def __init__(self):
        self.values = None


class RNN(Layer):
    """Base class for recurrent layers: applies ``cell`` to every time step of a sequence.

    Args:
        cell: an RNN cell (``call(inputs, states)`` and ``state_size``), a list of cells
            (stacked), or a cell config dict.
        return_sequences: return the whole output sequence rather than the last output.
        return_state: also return the final states.
        go_backwards: process the sequence backwards (and return the reversed sequence).
        stateful: reuse the final states of a batch as the initial states of the next.
        unroll: accepted for Keras compatibility (the loop is never unrolled).
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments: ``sequences (batch, time, features)``, ``initial_state`` (a list of
    tensors), ``mask (batch, time)``, ``training``.

    Output shape: ``(batch, units)``, or ``(batch, time, units)`` with
    ``return_sequences``; with ``return_state`` a tuple ``(output, *states)``.

    Example:
        >>> rnn = kcore.layers.RNN(kcore.layers.LSTMCell(4), return_sequences=True)
        >>> rnn(np.zeros((2, 5, 3), "float32")).shape
        (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        # tf.keras 2 configs carry these; kcore is always batch-major.
        if kwargs.pop("time_major", False):
            raise ValueError("time_major=True is not supported; pass (batch, time, features) inputs.")
        kwargs.pop("implementation", None)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell), dtype=kwargs.get("dtype"))
        cell = deserialize_layer(cell, dtype=kwargs.get("dtype"))
        if not hasattr(cell, "call") or getattr(cell, "state_size", None) is None:
            raise ValueError(f"RNN `cell` needs a `call` method and a `state_size` attribute, "
                             f"got {cell!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = unroll
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self._state_holder = _StateHolder()

    @property
    def state_size(self):
        size = self.cell.state_size
        return list(size) if _is_nested(size) else [size]

    # -- build / states ---------------------------------------------------------------------
    def build(self, sequences_shape):
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_with_shapes(step_shape)
        self.built = True

    def get_initial_state(self, batch_size):
        """Zero states for ``batch_size`` sequences (a list, one entry per state)."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            states = fn(batch_size=batch_size)
            return list(states) if _is_nested(states) else [states]
        dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
        return [ops.zeros((batch_size, d), dtype=dtype) for d in self.state_size]

    @property
    def states(self):
        """The stateful states (numpy-backed, not weights), or ``None``."""
        return self._state_holder.values

    def reset_state(self):
        """Zeroes the states of a stateful RNN."""
        if self._state_holder.values is not None:
            self._state_holder.values = _map(np.zeros_like, self._state_holder.values)

    def reset_states(self, states=None):
        """Zeroes the states of a stateful RNN, or sets them to ``states`` (a list)."""
        if states is None:
            return self.reset_state()
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} must be stateful to set its states.")
        states = states if _is_nested(states) else [states]
        self._state_holder.values = _map(lambda s: np.array(_as_array(s), self.compute_dtype),
                                         list(states))

    def _initial_states(self, sequences, initial_state):
        batch = sequences.shape[0]
        if initial_state is not None:
            states = list(initial_state) if _is_nested(initial_state) else [initial_state]
            return _map(lambda s: ops.cast(ops.convert_to_tensor(s), self.compute_dtype), states)
        if self.stateful and not in_symbolic_build():
            held = self._state_holder.values
            if held is None:
                held = _map(_as_array, self.get_initial_state(batch))
                self._state_holder.values = held
            elif _flatten(held)[0].shape[0] != batch:
                raise ValueError(
                    f"Layer {self.name!r} is stateful with batch size "
                    f"{_flatten(held)[0].shape[0]}, but received a batch of {batch}. A stateful "
                    "RNN needs the same batch size on every call (or call reset_states(...) "
                    "with new states).")
            # Copies: the tape may keep references while the held states are replaced.
            return _map(lambda s: Tensor(np.array(s)), held)
        return self.get_initial_state(batch)

    # -- call ---------------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        if _is_nested(mask):
            mask = mask[0]
        if mask is not None:
            mask = _as_array(mask).astype(bool)
        states = self._initial_states(sequences, initial_state)
        try:
            last, seq, states = self.inner_loop(sequences, states, mask, training)
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful and not in_symbolic_build():
            self._state_holder.values = _map(lambda s: np.array(_as_array(s)), states)
        output = seq if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """Steps ``cell`` through time; returns ``(last_output, outputs_or_None, states)``."""
        steps = ops.unstack(sequences, axis=1)
        T = len(steps)
        order = range(T - 1, -1, -1) if self.go_backwards else range(T)
        kwargs = {"training": training} if getattr(self.cell, "_call_has_training", False) else {}
        states, prev, outputs = initial_state, None, []
        for t in order:
            out, new_states = self.cell(steps[t], states, **kwargs)
            if not _is_nested(new_states):
                new_states = [new_states]
            if mask is not None:
                m = mask[:, t:t + 1]
                if prev is None or self.zero_output_for_mask:
                    prev = ops.zeros_like(out)
                out = ops.where(m, out, prev)
                new_states = _map(lambda n, s: ops.where(m, n, s), list(new_states), list(states))
            states, prev = new_states, out
            if self.return_sequences:
                outputs.append(out)
        seq = ops.stack(outputs, axis=1) if self.return_sequences else None
        return prev, seq, states

    def compute_mask(self, inputs, previous_mask=None):
        mask = previous_mask[0] if _is_nested(previous_mask) else previous_mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_flatten(self.state_size))
        return output_mask

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_keras_object(self.cell),
        })
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cell"] = deserialize_layer(config["cell"], custom_objects=custom_objects)
        return cls(**config)


def _reset_dropout_masks(cell):
    if hasattr(cell, "reset_dropout_mask"):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for c in getattr(cell, "cells", None) or []:
        _reset_dropout_masks(c)
