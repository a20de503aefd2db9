"""Layer wrappers: ``Wrapper`` (base), ``TimeDistributed`` and ``Bidirectional``."""

import copy

from kcore import ops
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.layer import Layer
from kcore.layers.rnn_cells import deserialize_layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Wrapper(Layer):
    """Abstract base of layers that wrap another layer (``self.layer``).

    Args:
        layer: the wrapped layer (or its config dict).
    """

    def __init__(self, layer, **kwargs):
        layer = deserialize_layer(layer, dtype=kwargs.get("dtype"))
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__} wraps a kcore layer, got {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_with_shapes(input_shape)
        self.built = True

    def get_config(self):
        cfg = super().get_config()
        cfg["layer"] = serialize_keras_object(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step of its input, with the same weights.

    The ``(batch, time, ...)`` input is reshaped to ``(batch * time, ...)`` and the wrapped
    layer runs once, so there is no loop over time.

    Args:
        layer: the layer to apply to each ``(batch, ...)`` slice.

    Input shape ``(batch, time, ...)``; output ``(batch, time) + layer output shape[1:]``.

    Example:
        >>> td = kcore.layers.TimeDistributed(kcore.layers.Dense(8))
        >>> td(np.zeros((2, 10, 16), "float32")).shape
        (2, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"TimeDistributed {self.name!r} needs inputs of rank >= 3 "
                             f"(batch, time, ...), got shape {input_shape}.")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        super().build(self._child_shape(input_shape))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._child_shape(shape)
        batch, time = shape[0], shape[1]
        kwargs = {}
        if getattr(self.layer, "_call_has_training", False):
            kwargs["training"] = training
        if mask is not None and getattr(self.layer, "_call_has_mask", False):
            m = getattr(mask, "value", mask)
            if tuple(m.shape[:2]) != (batch, time):
                raise ValueError(f"TimeDistributed {self.name!r}: the mask's shape "
                                 f"{tuple(m.shape)} does not start with (batch, time) = "
                                 f"{(batch, time)}.")
            kwargs["mask"] = m.reshape((batch * time,) + tuple(m.shape[2:]))
        y = self.layer(ops.reshape(inputs, (batch * time,) + shape[2:]), **kwargs)
        return ops.reshape(y, (batch, time) + tuple(y.shape[1:]))


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Args:
        layer: an ``RNN`` (``LSTM``, ``GRU``, ...) or its config dict; a copy named
            ``forward_<name>`` runs forwards.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or ``None``
            (a list of both outputs).
        weights: initial weights, the forward layer's then the backward layer's.
        backward_layer: the backward layer; default a copy of ``layer`` with
            ``go_backwards=True`` named ``backward_<name>``.

    With ``return_sequences`` the backward outputs are flipped back to input order before
    merging, and masked steps output zeros (``zero_output_for_mask``), as in Keras. With
    ``return_state`` the forward states come first, then the backward states.

    Example:
        >>> bi = kcore.layers.Bidirectional(kcore.layers.LSTM(4, return_sequences=True))
        >>> bi(np.zeros((2, 5, 3), "float32")).shape
        (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        dtype = kwargs.get("dtype")
        layer = deserialize_layer(layer, dtype=dtype)
        backward_layer = deserialize_layer(backward_layer, dtype=dtype)
        for arg, value in (("layer", layer), ("backward_layer", backward_layer)):
            if value is not None and not isinstance(value, Layer):
                raise ValueError(f"Bidirectional `{arg}` must be a kcore layer, got {value!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge_mode {merge_mode!r}; expected one of "
                             f"{list(_MERGE_MODES)}.")
        super().__init__(weights=weights, **kwargs)
        self.forward_layer = _renamed_copy(layer, "forward_")
        if backward_layer is None:
            backward_layer = _renamed_copy(layer, "backward_", go_backwards=True)
        self.backward_layer = backward_layer
        _check_pair(self.forward_layer, self.backward_layer)
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def build(self, sequences_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_with_shapes(tuple(sequences_shape))
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        kwargs = {"mask": mask, "training": training}
        y = self.forward_layer(sequences, initial_state=fwd_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = ops.add(y, y_rev)
        elif self.merge_mode == "ave":
            output = ops.multiply(ops.add(y, y_rev), 0.5)
        elif self.merge_mode == "mul":
            output = ops.multiply(y, y_rev)
        else:
            return [y, y_rev] + list(states) if self.return_state else [y, y_rev]
        return (output,) + states if self.return_state else output

    def compute_mask(self, inputs, previous_mask=None):
        mask = previous_mask[0] if isinstance(previous_mask, list) else previous_mask
        if self.return_sequences:
            output_mask = mask if self.merge_mode else [mask, mask]
        else:
            output_mask = None if self.merge_mode else [None, None]
        if self.return_state:
            n_states = 2 * len(self.forward_layer.state_size)
            head = output_mask if isinstance(output_mask, list) else [output_mask]
            return head + [None] * n_states
        return output_mask

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states) + tuple(self.backward_layer.states)
        return None

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} must be stateful to reset its states.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def get_config(self):
        cfg = super().get_config()
        cfg["merge_mode"] = self.merge_mode
        cfg["layer"] = serialize_keras_object(self.forward_layer)
        cfg["backward_layer"] = serialize_keras_object(self.backward_layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, custom_objects=custom_objects)
        return cls(**config)


def _renamed_copy(layer, prefix, **overrides):
    """A fresh layer from ``layer``'s config, named ``<prefix><name>`` (as Keras does)."""
    config = serialize_keras_object(layer)
    inner = dict(config["config"])
    name = layer.name[len(prefix):] if layer.name.startswith(prefix) else layer.name
    inner["name"] = prefix + name
    inner.update(overrides)
    config["config"] = inner
    return deserialize_layer(config)


def _check_pair(forward, backward):
    if forward.go_backwards == backward.go_backwards:
        raise ValueError("Bidirectional: the forward and backward layers need different "
                         f"`go_backwards` values, got {forward.go_backwards} for both.")
    for attr in ("stateful", "return_sequences", "return_state"):
        f, b = getattr(forward, attr), getattr(backward, attr)
        if f != b:
            raise ValueError(f"Bidirectional: the forward and backward layers must agree on "
                             f"`{attr}`, got {f} (forward) and {b} (backward).")
