"""Random image augmentation: ``RandomCrop``, ``RandomFlip``, ``RandomRotation``,
``RandomZoom``, ``RandomTranslation``, ``RandomContrast``, ``RandomBrightness``.

As in Keras 3, ``call`` defaults to ``training=True``: called directly on an array they
augment, inside ``fit`` they augment, and inside ``predict``/``evaluate`` (or with
``training=False``) they pass images through (cast to float). Each layer draws from its own
``SeedGenerator`` (``seed=``), so ``kcore.utils.set_random_seed`` reproduces a run. The
random draws are per image (one crop offset per batch for ``RandomCrop``), with Keras's
distributions; the numbers differ from Keras's because the generators differ.
"""

import numpy as np

from kcore import ops
from kcore.backend.random import SeedGenerator
from kcore.backend.sharding import batch_draw_shape
from kcore.layers.preprocessing import image_ops
from kcore.layers.preprocessing.image import (ImageLayer, _positive_int, check_choice,
                                              resize_batch)


def _factor_pair(layer, arg, factor, bounds, mirror_lower_at=None):
    """``(lower, upper)`` from a number or a pair, checked against ``bounds`` as Keras does.

    A single number ``f`` gives ``(-f, f)``, with the lower end clipped to ``bounds[0]``
    (so ``RandomContrast(0.2)`` has ``factor == (0, 0.2)``, as in Keras).
    """
    msg = (f"{layer}: `{arg}` must be a number or a pair of numbers in "
           f"[{bounds[0]}, {bounds[1]}]; received {factor!r}.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(msg)
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        return tuple(sorted(factor))
    if isinstance(factor, bool) or not isinstance(factor, (int, float)):
        raise ValueError(msg)
    if not bounds[0] <= factor <= bounds[1]:
        raise ValueError(msg)
    factor = abs(factor)
    return (max(-factor, bounds[0]), factor)


class _RandomImageLayer(ImageLayer):
    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _uniform(self, low, high, size):
        generator = self.generator.generator
        if size is None:
            return generator.uniform(low, high)
        # In a data-parallel step, draw for the global batch and keep this worker's rows
        # (kcore.backend.sharding), so augmentation equals one process's.
        shape, rows = batch_draw_shape((size,) if isinstance(size, int) else size)
        out = generator.uniform(low, high, size=shape)
        return out if rows is None else out[rows]

    def call(self, inputs, training=True):
        x, rank = self._to_batch(inputs)
        if training:
            x = self.augment(x)
        return self._from_batch(x, rank)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["seed"] = self.seed
        return cfg


class _AffineLayer(_RandomImageLayer):
    """Rotation, zoom and translation: a random affine map per image, then resampling."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = type(self).__name__
        self.fill_mode = check_choice(name, "fill_mode", fill_mode, image_ops.FILL_MODES)
        self.interpolation = check_choice(name, "interpolation", interpolation,
                                          image_ops.AFFINE_INTERPOLATIONS)
        self.fill_value = fill_value

    def augment(self, x):
        return image_ops.affine_transform(x, self.transforms(*x.shape[:3]), self.interpolation,
                                          self.fill_mode, self.fill_value)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"fill_mode": self.fill_mode, "fill_value": self.fill_value,
                    "interpolation": self.interpolation})
        return cfg


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle about its centre.

    Args:
        factor: a fraction of a full turn: a float ``f`` draws angles uniformly from
            ``[-f * 360°, f * 360°]``, a pair ``(lo, hi)`` from ``[lo * 360°, hi * 360°]``
            (positive = counter-clockwise).
        fill_mode: how points outside the image are filled: ``"reflect"`` (default),
            ``"wrap"``, ``"nearest"`` or ``"constant"`` (``fill_value``).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: int seed.
        fill_value: the value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: the input's.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.factor = _factor_pair("RandomRotation", "factor", factor, (-1, 1))

    def transforms(self, n, h, w):
        # float32 as Keras computes it: the rounding of cos(90°) decides ties of "nearest".
        degrees = self._uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, n)
        angle = degrees.astype("float32") * np.float32(np.pi / 180.0)
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = np.float32(0.5 * (w - 1)), np.float32(0.5 * (h - 1))
        return np.stack([cos, -sin, cx - cx * cos + cy * sin,
                         sin, cos, cy - cx * sin - cy * cos], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg["factor"] = list(self.factor)
        return cfg


class RandomZoom(_AffineLayer):
    """Zooms each image in or out by a random factor about its centre.

    Args:
        height_factor: a float ``f`` or pair ``(lo, hi)`` in ``(-1, 1]``: the vertical zoom
            is drawn from ``[1 + lo, 1 + hi]`` (``(-f, f)`` for a float); negative values
            zoom in (e.g. ``-0.3`` shows 70% of the image), positive ones zoom out.
        width_factor: the same horizontally; ``None`` (default) keeps the aspect ratio by
            using the vertical factor.
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: the input's.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _open_factor("RandomZoom", "height_factor", height_factor)
        self._width_range = (None if width_factor is None else
                             _open_factor("RandomZoom", "width_factor", width_factor))

    def transforms(self, n, h, w):
        zoom_h = 1.0 + self._uniform(*self._height_range, n)
        zoom_w = zoom_h if self._width_range is None else 1.0 + self._uniform(*self._width_range, n)
        zeros = np.zeros(n)
        return np.stack([zoom_w, zeros, (w - 1) / 2.0 * (1.0 - zoom_w),
                         zeros, zoom_h, (h - 1) / 2.0 * (1.0 - zoom_h)], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return cfg


def _open_factor(layer, arg, factor):
    """A zoom/translation factor: a float or pair with every value in ``(-1, 1]``."""
    values = factor if isinstance(factor, (tuple, list)) else [factor]
    if (isinstance(factor, (tuple, list)) and len(factor) != 2) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and -1 < v <= 1
            for v in values):
        raise ValueError(f"{layer}: `{arg}` must be a number or a pair of numbers in (-1, 1]; "
                         f"received {factor!r}.")
    if isinstance(factor, (tuple, list)):
        return tuple(sorted(factor))
    return (-abs(factor), abs(factor))


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width.

    Args:
        height_factor: a float ``f`` or pair ``(lo, hi)`` in ``(-1, 1]``: the vertical shift
            is drawn from ``[lo * H, hi * H]`` (``(-f, f)`` for a float); positive shifts
            move the image down.
        width_factor: the same horizontally (positive moves right).
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: the input's.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _open_factor("RandomTranslation", "height_factor", height_factor)
        self._width_range = _open_factor("RandomTranslation", "width_factor", width_factor)

    def transforms(self, n, h, w):
        dy = self._uniform(*self._height_range, n) * h
        dx = self._uniform(*self._width_range, n) * w
        ones, zeros = np.ones(n), np.zeros(n)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return cfg


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"`` (default;
            as in Keras, one coin per image decides both flips).
        seed: int seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: the input's.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode,
                                 ("horizontal", "vertical", "horizontal_and_vertical"))

    def augment(self, x):
        flips = (self._uniform(0.0, 1.0, (x.shape[0], 1, 1, 1)) <= 0.5)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = ops.where(flips, ops.flip(x, axis=2), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = ops.where(flips, ops.flip(x, axis=1), x)
        return x

    def get_config(self):
        cfg = super().get_config()
        cfg["mode"] = self.mode
        return cfg


class RandomContrast(_RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor.

    ``y = clip((x - mean) * c + mean, *value_range)`` with ``c`` drawn per image from
    ``[1 - lower, 1 + upper]``.

    Args:
        factor: a float ``f`` in ``[0, 1]`` or a pair ``(lower, upper)``. As in Keras 3, a
            float gives ``(lower, upper) = (0, f)`` (the lower end is clipped at 0), so
            ``c`` is drawn from ``[1, 1 + f]``; a pair is sorted, so ``(-0.5, 0.5)`` always
            uses ``c = 1.5``.
        value_range: the ``(min, max)`` the output is clipped to (default ``(0, 255)``).
        seed: int seed.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: the input's.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_pair("RandomContrast", "factor", factor, (0, 1))
        self.value_range = _value_range("RandomContrast", value_range)

    def augment(self, x):
        c = self._uniform(1.0 - self.factor[0], 1.0 + self.factor[1],
                          (x.shape[0], 1, 1, 1)).astype(self.compute_dtype)
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        out = ops.add(ops.multiply(ops.subtract(x, mean), c), mean)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": list(self.factor), "value_range": list(self.value_range)})
        return cfg


class RandomBrightness(_RandomImageLayer):
    """Adds a random offset to each image: ``y = clip(x + d * (max - min), min, max)``.

    Args:
        factor: a float ``f`` in ``[-1, 1]`` (``d`` drawn from ``[-f, f]``) or a pair
            ``(lo, hi)``.
        value_range: the ``(min, max)`` range of the images (default ``(0, 255)``).
        seed: int seed.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: the input's.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_pair("RandomBrightness", "factor", factor, (-1, 1))
        self.value_range = _value_range("RandomBrightness", value_range)

    def augment(self, x):
        low, high = self.value_range
        delta = self._uniform(self.factor[0], self.factor[1], (x.shape[0], 1, 1, 1))
        x = ops.add(x, (delta * (high - low)).astype(self.compute_dtype))
        return ops.clip(x, low, high)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": list(self.factor), "value_range": list(self.value_range)})
        return cfg


def _value_range(layer, value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{layer}: `value_range` must be a pair (min, max); received "
                         f"{value_range!r}.")
    return tuple(sorted(value_range))


class RandomCrop(_RandomImageLayer):
    """Crops a random ``(height, width)`` window (one offset per batch, as Keras).

    During training an image not larger than the target on both sides is resized to the
    target instead (after Keras's centred slicing). At inference every image is centre-
    cropped to the target aspect ratio and resized to ``(height, width)``, as Keras's
    documentation describes (Keras 3.15's code returns the input unchanged there, so its
    output shape differs between training and inference; kcore keeps it fixed).

    Args:
        height, width: the output size.
        seed: int seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: ``(..., height, width,
    C)``.
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = _positive_int("RandomCrop", "height", height)
        self.width = _positive_int("RandomCrop", "width", width)

    def call(self, inputs, training=True):
        x, rank = self._to_batch(inputs)
        in_h, in_w = x.shape[1], x.shape[2]
        if training and in_h > self.height and in_w > self.width:
            top = int(self._uniform(0, in_h - self.height + 1, None))
            left = int(self._uniform(0, in_w - self.width + 1, None))
            x = x[:, top:top + self.height, left:left + self.width, :]
        elif training:
            top, left, _, _ = image_ops.aspect_crop_box(in_h, in_w, self.height, self.width)
            x = x[:, top:top + self.height, left:left + self.width, :]
            if tuple(x.shape[1:3]) != (self.height, self.width):
                x = resize_batch(x, self.height, self.width)
        elif (in_h, in_w) != (self.height, self.width):
            x = resize_batch(x, self.height, self.width, crop_to_aspect_ratio=True)
        return self._from_batch(x, rank)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self.height, self.width)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg

