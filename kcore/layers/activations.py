"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``.

All keep the input shape and pass masks through.
"""

import numpy as np

from kcore import activations, constraints, initializers, ops, regularizers
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer


class _ElementwiseActivation(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_ElementwiseActivation):
    """Rectified linear unit with optional ceiling, leak and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: saturation ceiling (``None``: none); must be >= 0.
        negative_slope: slope below ``threshold``; must be >= 0.
        threshold: the threshold below which values are zeroed or leaked; must be >= 0.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("max_value", max_value), ("negative_slope", negative_slope),
                           ("threshold", threshold)):
            if (value is None and arg != "max_value") or (value is not None and value < 0):
                raise ValueError(f"{arg} of a ReLU layer must be a non-negative number, got "
                                 f"{arg}={value!r}.")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                    "threshold": self.threshold})
        return cfg


class LeakyReLU(_ElementwiseActivation):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the leak (>= 0). tf.keras 2's name ``alpha`` is accepted too.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("The negative_slope of a LeakyReLU layer must be a non-negative "
                             f"float, got negative_slope={negative_slope!r}.")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        cfg = super().get_config()
        cfg["negative_slope"] = self.negative_slope
        return cfg


class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: the negative saturation value's magnitude.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        cfg = super().get_config()
        cfg["alpha"] = self.alpha
        return cfg


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

    Args:
        alpha_initializer: initializer of ``alpha`` (default zeros).
        alpha_regularizer, alpha_constraint: optional penalty and constraint on ``alpha``.
        shared_axes: axes (1-based, batch excluded) along which ``alpha`` is shared, e.g.
            ``[1, 2]`` for one ``alpha`` per channel of an image.

    Input shape: any. Output shape: the input's.
    Weights: ``alpha`` of the input shape without the batch axis, 1 on ``shared_axes``.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for i in self.shared_axes or ():
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"Layer {self.name!r} (PReLU) needs known sizes on every non-shared axis; got "
                f"input shape {tuple(input_shape)}. Pass shared_axes for the unknown ones."
            )
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return ops.subtract(ops.relu(inputs), ops.multiply(self.alpha, ops.relu(ops.negative(inputs))))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "alpha_initializer": serialize_keras_object(self.alpha_initializer),
            "alpha_regularizer": serialize_keras_object(self.alpha_regularizer),
            "alpha_constraint": serialize_keras_object(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return cfg


def _large_negative(dtype):
    return -3e4 if np.dtype(dtype) == np.float16 else -1e9


class Softmax(_ElementwiseActivation):
    """Softmax along ``axis``; masked positions get probability 0.

    Args:
        axis: an int or a tuple of ints (softmax over several axes at once).

    Call arguments:
        inputs: the logits.
        mask: optional boolean mask broadcastable to ``inputs`` (``True`` = keep). Given
            automatically when the input carries a Keras mask.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = np.asarray(getattr(mask, "value", mask))
            if mask.dtype != bool:
                mask = mask > 0.5
            if mask.ndim > len(inputs.shape) or any(
                    m != 1 and m != i for m, i in zip(mask.shape[::-1], inputs.shape[::-1])):
                raise ValueError(
                    f"Layer {self.name!r} (Softmax): the mask must be broadcastable to the "
                    f"inputs; got inputs.shape={tuple(inputs.shape)}, mask.shape={mask.shape}."
                )
            inputs = ops.where(mask, inputs, np.asarray(_large_negative(inputs.dtype), inputs.dtype))
        if isinstance(self.axis, (tuple, list)) and len(self.axis) > 1:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=tuple(self.axis),
                                                                 keepdims=True)))
        else:
            axis = self.axis[0] if isinstance(self.axis, (tuple, list)) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = ops.where(mask, outputs, np.zeros((), outputs.dtype))
        return outputs

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return cfg
