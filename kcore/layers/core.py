"""Core layers: ``Dense``, ``Activation``, ``Identity``, ``Masking``.

``EinsumDense``, ``Embedding`` and ``Lambda`` live in their own modules.
"""

import numpy as np

from kcore import activations, constraints, initializers, regularizers
from kcore import ops
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer
from kcore.ops.nn import _dense


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: output size.
        activation: activation function or name (default: none).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (``"glorot_uniform"``, ``"zeros"``).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.
    Weights: ``kernel (input_dim, units)``, ``bias (units,)``.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense `units` must be a positive integer, got {units!r}.")
        if lora_rank is not None or quantization_config is not None:
            raise ValueError("kcore's Dense does not support LoRA or quantization.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer {self.name!r}: the last input dimension must be known, got {input_shape}.")
        self.kernel = self.add_weight(shape=(input_dim, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs, training=None):
        if self.activation is activations.linear or self.activation is activations.relu:
            # One op for matmul + bias + relu (see ops.nn._dense): the same numbers.
            return _dense(inputs, self.kernel, self.bias,
                          relu=self.activation is activations.relu)
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x) if self.activation is not activations.linear else x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        })
        return cfg


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a name (``"relu"``) or a callable.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Identity(Layer):
    """Returns its input unchanged (a placeholder layer).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``.

    The output is the input with those timesteps zeroed, and it carries a boolean mask
    ``(batch, steps)`` (``False`` = skip) that mask-aware downstream layers (RNNs, merges,
    losses) honour.

    Args:
        mask_value: the padding value that marks a timestep as masked.

    Input shape: ``(batch, steps, features)`` (any rank >= 2). Output shape: the input's.

    Example:
        >>> x = np.array([[[1.0], [0.0]]])
        >>> y = kcore.layers.Masking()(x)
        >>> y._keras_mask
        array([[ True, False]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config") is not None:
            mask_value = mask_value["config"].get("value", mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def _keep(self, inputs):
        x = np.asarray(getattr(inputs, "value", inputs))
        return np.any(x != self.mask_value, axis=-1)

    def compute_mask(self, inputs, previous_mask=None):
        return self._keep(inputs)

    def call(self, inputs):
        keep = self._keep(inputs)
        outputs = ops.where(keep[..., None], inputs, np.zeros((), inputs.dtype))
        outputs._keras_mask = keep
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["mask_value"] = self.mask_value
        return cfg
