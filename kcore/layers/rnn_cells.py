"""Recurrent cells: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` and ``StackedRNNCells``.

A cell computes one time step, ``cell(inputs, states) -> (output, new_states)``, with
``kcore.ops`` (so any cell is differentiable step by step); ``kcore.layers.RNN`` loops it
over time. ``SimpleRNN``/``LSTM``/``GRU`` keep their weights on such a cell, as Keras 3
does (weight paths ``lstm/lstm_cell/kernel``), but run whole sequences with the fused
primitives of ``kcore.ops.recurrent``.
"""

import numpy as np

from kcore import activations, constraints, initializers, ops, regularizers
from kcore import random as krandom
from kcore.backend.serialization import deserialize_keras_object, serialize_keras_object
from kcore.layers.layer import Layer


def deserialize_layer(config, dtype=None, custom_objects=None):
    """A layer from a Keras config dict (a ``Layer`` instance is returned as is).

    Args:
        config: ``{"class_name": ..., "config": {...}}`` (``module``/``registered_name``/
            ``build_config`` keys are accepted and ignored), or a layer.
        dtype: a dtype to give the layer when its config names none.
        custom_objects: extra classes by name.
    """
    if isinstance(config, Layer) or config is None:
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a layer or a layer config dict with 'class_name', got "
                         f"{config!r}.")
    # Imported here: both namespaces import this module.
    import kcore.layers as layers_pkg
    from kcore.layers import recurrent

    table = {name: obj for ns in (vars(recurrent), vars(layers_pkg)) for name, obj in ns.items()
             if isinstance(obj, type) and issubclass(obj, Layer)}
    config = dict(config)
    config.pop("build_config", None)  # built by the owner, inside its name scope
    inner = dict(config.get("config") or {})
    if dtype is not None and inner.get("dtype") is None:
        inner["dtype"] = dtype
    config["config"] = inner
    return deserialize_keras_object(config, module_objects=table, custom_objects=custom_objects,
                                    printable_module_name="layer", kind="layer")


class DropoutRNNCell:
    """Mixin that samples a cell's dropout masks once per sequence, as Keras.

    The owning ``RNN`` calls ``reset_dropout_mask``/``reset_recurrent_dropout_mask`` after
    each sequence. A cell with ``dropout_mask_count = k`` gets ``k`` masks (one per gate).
    """

    def _create_dropout_mask(self, step_input, rate):
        ones = np.ones(np.shape(getattr(step_input, "value", step_input)),
                       dtype=self.compute_dtype)
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return krandom.dropout(ones, rate, seed=self.seed_generator)
        return [krandom.dropout(ones, rate, seed=self.seed_generator) for _ in range(count)]

    def get_dropout_mask(self, step_input):
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input,
                                                                     self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None


class _Cell(Layer, DropoutRNNCell):
    """Shared arguments, weights and config of the three built-in cells."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{type(self).__name__} `units` must be a positive integer, got "
                             f"{units!r}.")
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = krandom.SeedGenerator(seed)
        self.state_size = self.units
        self.output_size = self.units

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        g = self._gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], g), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, g), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                    initializer=self._bias_initializer(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def _dropped(self, x, mask, training):
        return ops.multiply(x, mask) if training and mask is not None else x

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "recurrent_initializer": serialize_keras_object(self.recurrent_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "recurrent_regularizer": serialize_keras_object(self.recurrent_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "recurrent_constraint": serialize_keras_object(self.recurrent_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return cfg


def _first_state(states):
    return states[0] if isinstance(states, (list, tuple)) else states


class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: ``h = activation(x W + b + h_prev U)``.

    Args:
        units: state size. Other arguments as ``SimpleRNN``.

    Call: ``cell(inputs (batch, features), states [h (batch, units)], training=False)``
    returns ``(h, [h])``. Weights: ``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)``.

    Example:
        >>> rnn = kcore.layers.RNN(kcore.layers.SimpleRNNCell(4))
        >>> rnn(np.zeros((2, 5, 3), "float32")).shape
        (2, 4)
    """

    def call(self, sequence, states, training=False):
        h_prev = _first_state(states)
        x = self._dropped(sequence, self.get_dropout_mask(sequence), training)
        h = ops.matmul(x, self.kernel)
        if self.bias is not None:
            h = ops.add(h, self.bias)
        h_in = self._dropped(h_prev, self.get_recurrent_dropout_mask(h_prev), training)
        output = self.activation(ops.add(h, ops.matmul(h_in, self.recurrent_kernel)))
        return output, ([output] if isinstance(states, (list, tuple)) else output)


class LSTMCell(_Cell):
    """One step of an LSTM (Hochreiter 1997), gates ordered i, f, c, o as in Keras.

    Args:
        units: state size. Other arguments as ``LSTM``.

    Call: ``cell(inputs, states [h, c], training=False)`` returns ``(h, [h, c])``.
    Weights: ``kernel (features, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)``
    (``unit_forget_bias=True`` initializes the forget-gate slice of the bias to 1).
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        # Keras: with recurrent dropout each gate gets its own dropout masks.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units

        def forget_bias_ones(shape, dtype=None):
            return np.concatenate([np.asarray(init((u,), dtype=dtype)), np.ones((u,), dtype),
                                   np.asarray(init((2 * u,), dtype=dtype))])

        return forget_bias_ones

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        u = self.units
        dp = self.get_dropout_mask(inputs) if training else None
        rdp = self.get_recurrent_dropout_mask(h_prev) if training else None
        if isinstance(dp, list) or isinstance(rdp, list):
            kernels = ops.split(self.kernel, 4, axis=1)
            rec = ops.split(self.recurrent_kernel, 4, axis=1)
            z = [ops.add(ops.matmul(self._dropped(inputs, dp and dp[k], training), kernels[k]),
                         ops.matmul(self._dropped(h_prev, rdp and rdp[k], training), rec[k]))
                 for k in range(4)]
            z = ops.concatenate(z, axis=1)
        else:
            z = ops.add(ops.matmul(self._dropped(inputs, dp, training), self.kernel),
                        ops.matmul(h_prev, self.recurrent_kernel))
        if self.bias is not None:
            z = ops.add(z, self.bias)
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = ops.add(ops.multiply(f, c_prev), ops.multiply(i, self.activation(z[:, 2 * u:3 * u])))
        o = self.recurrent_activation(z[:, 3 * u:])
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self):
        cfg = super().get_config()
        cfg["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        cfg["unit_forget_bias"] = self.unit_forget_bias
        return cfg


class GRUCell(_Cell):
    """One step of a GRU (Cho 2014), gates ordered z (update), r (reset), h as in Keras.

    Args:
        units: state size. Other arguments as ``GRU``; ``reset_after=True`` (default)
            applies the reset gate after the recurrent matmul and uses two biases.

    Call: ``cell(inputs, states [h], training=False)`` returns ``(h, [h])``.
    Weights: ``kernel (features, 3u)``, ``recurrent_kernel (u, 3u)``, ``bias (2, 3u)``
    with ``reset_after=True``, else ``(3u,)``.
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_prev = _first_state(states)
        u = self.units
        dp = self.get_dropout_mask(inputs) if training else None
        rdp = self.get_recurrent_dropout_mask(h_prev) if training else None
        dp = dp if isinstance(dp, list) or dp is None else [dp] * 3
        rdp = rdp if isinstance(rdp, list) or rdp is None else [rdp] * 3
        kernels = ops.split(self.kernel, 3, axis=1)
        rec = ops.split(self.recurrent_kernel, 3, axis=1)
        b_in = b_rec = None
        if self.bias is not None:
            b_in, b_rec = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
        x = [ops.matmul(self._dropped(inputs, dp and dp[k], training), kernels[k])
             for k in range(3)]
        hs = [self._dropped(h_prev, rdp and rdp[k], training) for k in range(3)]
        if b_in is not None:
            x = [ops.add(x[k], b_in[k * u:(k + 1) * u]) for k in range(3)]
        inner = [ops.matmul(hs[k], rec[k]) for k in range(2)]
        if b_rec is not None:
            inner = [ops.add(inner[k], b_rec[k * u:(k + 1) * u]) for k in range(2)]
        z = self.recurrent_activation(ops.add(x[0], inner[0]))
        r = self.recurrent_activation(ops.add(x[1], inner[1]))
        if self.reset_after:
            rh = ops.matmul(hs[2], rec[2])
            if b_rec is not None:
                rh = ops.add(rh, b_rec[2 * u:])
            rh = ops.multiply(r, rh)
        else:
            rh = ops.matmul(ops.multiply(r, hs[2]), rec[2])
        hh = self.activation(ops.add(x[2], rh))
        h = ops.add(ops.multiply(z, h_prev), ops.multiply(ops.subtract(1.0, z), hh))
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def get_config(self):
        cfg = super().get_config()
        cfg["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        cfg["reset_after"] = self.reset_after
        return cfg


class StackedRNNCells(Layer):
    """Runs several cells one after the other within each time step (a deep RNN).

    Args:
        cells: a list of cells (instances, or their config dicts).

    Example:
        >>> cells = [kcore.layers.LSTMCell(8), kcore.layers.LSTMCell(4)]
        >>> kcore.layers.RNN(kcore.layers.StackedRNNCells(cells))(x)   # (batch, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = [deserialize_layer(c, dtype=kwargs.get("dtype")) for c in cells]
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"Every cell needs a `call` method and a `state_size`, got "
                                 f"{cell!r}.")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is None:
            size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    def get_initial_state(self, batch_size=None):
        out = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                out.append(cell.get_initial_state(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) \
                    else [cell.state_size]
                out.append([ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes])
        return out

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_with_shapes(tuple(input_shape))
            size = getattr(cell, "output_size", None) or cell.state_size
            size = size[0] if isinstance(size, (list, tuple)) else size
            input_shape = (input_shape[0], size)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if was_list else [cell_states]
            kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            new_states.append(cell_states if was_list or len(cell_states) > 1 else cell_states[0])
        return inputs, new_states

    def get_config(self):
        cfg = super().get_config()
        cfg["cells"] = [serialize_keras_object(c) for c in self.cells]
        return cfg
