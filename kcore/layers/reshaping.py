"""Reshaping layers: ``Flatten``, ``Reshape``."""

import math

from kcore import ops
from kcore.backend import config
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, ...)`` → ``(batch, prod(...))``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``, in which case the
            channels axis is moved last before flattening, as Keras does.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or config.image_data_format()
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first" and len(x.shape) > 2:
            perm = (0,) + tuple(range(2, len(x.shape))) + (1,)
            x = ops.transpose(x, perm)
        return ops.reshape(x, (x.shape[0], -1) if len(x.shape) > 1 else (x.shape[0], 1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (one entry may be ``-1``).

    Args:
        target_shape: the shape without the batch axis.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg
