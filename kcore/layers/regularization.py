"""Regularization layers: ``Dropout``."""

from kcore import random as krandom
from kcore.layers.layer import Layer


class Dropout(Layer):
    """Sets inputs to 0 with probability ``rate`` during training, scaling the rest by ``1/(1-rate)``.

    Args:
        rate: fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: shape of the binary mask (``None`` entries follow the input).
        seed: int seed for reproducible masks.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout `rate` must be in [0, 1], got {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = krandom.SeedGenerator(seed) if seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return krandom.dropout(inputs, self.rate, noise_shape=self.noise_shape,
                                   seed=self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return cfg
