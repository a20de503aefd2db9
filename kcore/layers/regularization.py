"""Regularization layers: ``Dropout``, ``SpatialDropout1D/2D/3D``, ``GaussianNoise``,
``GaussianDropout``, ``AlphaDropout``, ``ActivityRegularization``.

The noise layers act only when called with ``training=True`` (as inside ``fit``); at
inference they return their input unchanged. Their noise comes from a seedable
``SeedGenerator``, so ``kcore.utils.set_random_seed`` or ``seed=`` reproduces it.
"""

import math

import numpy as np

from kcore import ops
from kcore import random as krandom
from kcore import regularizers
from kcore.backend import config
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer


def _check_rate(layer, name, value):
    if not 0 <= value <= 1:
        raise ValueError(f"{type(layer).__name__} `{name}` must be in [0, 1], got {value!r}.")


class _NoiseLayer(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = krandom.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


class Dropout(_NoiseLayer):
    """Sets inputs to 0 with probability ``rate`` during training, scaling the rest by ``1/(1-rate)``.

    Args:
        rate: fraction of the inputs to drop, in ``[0, 1]``.
        noise_shape: shape of the binary mask (``None`` entries follow the input), e.g.
            ``(batch, 1, features)`` to drop the same features at every timestep.
        seed: int seed for reproducible masks.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_rate(self, "rate", rate)
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def _noise_shape(self, inputs):
        return self.noise_shape

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return krandom.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                                   seed=self.seed_generator)
        return inputs

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate,
                    "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                    "seed": self.seed})
        return cfg


class _SpatialDropout(Dropout):
    _rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = data_format or config.image_data_format()
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, inputs):
        shape = tuple(inputs.shape)
        if self.data_format == "channels_first":
            return shape[:2] + (1,) * self._rank
        return shape[:1] + (1,) * self._rank + shape[-1:]

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("noise_shape")
        cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole feature maps: drops entire channels of ``(batch, steps, channels)``.

    Args:
        rate: fraction of the channels to drop.
        seed: int seed.

    Input shape: ``(batch, steps, channels)``. Output shape: the input's.
    """

    _rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        kwargs.pop("data_format", None)
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("data_format")
        return cfg


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2D feature maps (channels) of images.

    Args:
        rate: fraction of the channels to drop.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int seed.

    Input shape: ``(batch, rows, cols, channels)`` (channels last). Output shape: the input's.
    """

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3D feature maps (channels) of volumes.

    Args:
        rate: fraction of the channels to drop.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int seed.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` (channels last). Output shape: the
    input's.
    """

    _rank = 3


class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` during training.

    Args:
        stddev: the noise's standard deviation, in ``[0, 1]``.
        seed: int seed.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_rate(self, "stddev", stddev)
        self.stddev = stddev

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            noise = krandom.normal(inputs.shape, stddev=self.stddev, dtype=inputs.dtype,
                                   seed=self.seed_generator)
            return ops.add(inputs, noise)
        return inputs

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg


class GaussianDropout(_NoiseLayer):
    """Multiplies inputs by Gaussian noise of mean 1 and ``stddev = sqrt(rate / (1 - rate))``.

    Args:
        rate: the equivalent drop probability, in ``[0, 1]``.
        seed: int seed.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_rate(self, "rate", rate)
        self.rate = rate

    def call(self, inputs, training=False):
        if training and 0 < self.rate < 1:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = krandom.normal(inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype,
                                   seed=self.seed_generator)
            return ops.multiply(inputs, noise)
        return inputs

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(_NoiseLayer):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks).

    Dropped entries are set to ``-alpha * scale`` of SELU, then an affine map ``a * x + b``
    restores zero mean and unit variance:
    ``a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5``, ``b = -a * alpha_p * rate``.

    Args:
        rate: fraction of the inputs to drop.
        noise_shape: shape of the binary mask (``None`` entries follow the input).
        seed: int seed.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_rate(self, "rate", rate)
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        shape = tuple(inputs.shape) if self.noise_shape is None else tuple(
            inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        keep = (krandom.uniform(shape, seed=self.seed_generator).numpy() >= self.rate)
        keep = keep.astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = ops.add(ops.multiply(inputs, keep), np.asarray(alpha_p * (1 - keep), inputs.dtype))
        return ops.add(ops.multiply(x, np.asarray(a, inputs.dtype)), np.asarray(b, inputs.dtype))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed,
                    "noise_shape": None if self.noise_shape is None else list(self.noise_shape)})
        return cfg


class ActivityRegularization(Layer):
    """Returns its input and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` to the layer's losses.

    Args:
        l1: L1 factor.
        l2: L2 factor.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg
