"""Deterministic image preprocessing: ``Resizing`` and ``CenterCrop``, and the shared base of
every image layer (rank and ``data_format`` handling)."""

import numpy as np

from kcore import ops
from kcore.backend import config
from kcore.layers.layer import Layer
from kcore.layers.preprocessing import image_ops


def _positive_int(layer_name, arg, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer_name}: `{arg}` must be a positive int, received {value!r}.")
    return value


def check_choice(layer_name, arg, value, choices):
    if value not in choices:
        raise ValueError(f"{layer_name}: unknown `{arg}` {value!r}; expected one of "
                         f"{list(choices)}.")
    return value


class ImageLayer(Layer):
    """Base of the image layers: takes one image ``(H, W, C)`` or a batch ``(N, H, W, C)``
    (channels first with ``data_format="channels_first"``), casts it to the layer's float
    dtype, and hands ``transform`` a channels-last batch."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_choice(type(self).__name__, "data_format",
                                        data_format or config.image_data_format(),
                                        ("channels_last", "channels_first"))
        self.supports_masking = False
        self.built = True

    def _to_batch(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        rank = len(x.shape)
        if rank not in (3, 4):
            raise ValueError(f"{type(self).__name__} {self.name!r} expects images of rank 3 "
                             f"(H, W, C) or 4 (batch, H, W, C); received shape "
                             f"{tuple(x.shape)}.")
        if rank == 3:
            x = ops.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        return x, rank

    def _from_batch(self, x, rank):
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 3, 1, 2))
        return ops.squeeze(x, 0) if rank == 3 else x

    def _spatial(self, shape):
        if self.data_format == "channels_first":
            return shape[-2], shape[-1]
        return shape[-3], shape[-2]

    def _with_spatial(self, shape, height, width):
        shape = list(shape)
        if self.data_format == "channels_first":
            shape[-2], shape[-1] = height, width
        else:
            shape[-3], shape[-2] = height, width
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


def resize_batch(x, height, width, interpolation="bilinear", antialias=False,
                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0):
    """Resizes a channels-last batch, cropping or padding to the target aspect ratio first."""
    if crop_to_aspect_ratio:
        top, left, crop_h, crop_w = image_ops.aspect_crop_box(x.shape[1], x.shape[2], height,
                                                             width)
        x = x[:, top:top + crop_h, left:left + crop_w, :]
    elif pad_to_aspect_ratio:
        x = image_ops.pad_to_aspect(x, height, width, fill_value)
    return image_ops.resize(x, height, width, interpolation, antialias)


class Resizing(ImageLayer):
    """Resizes images to ``(height, width)``.

    Args:
        height, width: the output size.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``, ``"lanczos3"``
            or ``"lanczos5"``.
        crop_to_aspect_ratio: first crop the largest centred window of the target aspect
            ratio, so the image is not distorted.
        pad_to_aspect_ratio: instead pad (with ``fill_value``) to the target aspect ratio.
        fill_mode: ``"constant"`` (the only mode Keras supports for the padding).
        fill_value: the padding value.
        antialias: widen the kernel when downsampling (an area-like filter).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)`` (channels last).
    Output shape: ``(..., height, width, C)``, float.

    Example:
        >>> kcore.layers.Resizing(2, 2)(np.ones((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("Resizing", "height", height)
        self.width = _positive_int("Resizing", "width", width)
        self.interpolation = check_choice("Resizing", "interpolation", interpolation,
                                          image_ops.INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: `crop_to_aspect_ratio` and `pad_to_aspect_ratio` "
                             "cannot both be True.")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = check_choice("Resizing", "fill_mode", fill_mode, ("constant",))
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs):
        x, rank = self._to_batch(inputs)
        x = resize_batch(x, self.height, self.width, self.interpolation, self.antialias,
                         self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value)
        if np.dtype(inputs.dtype).kind in "iu":
            # Integer images are resampled to whole values within their range, as Keras.
            raw = inputs.value if hasattr(inputs, "value") else np.asarray(inputs)
            x = ops.clip(ops.round(x), raw.min(), raw.max())
        return self._from_batch(x, rank)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self.height, self.width)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width,
                    "interpolation": self.interpolation,
                    "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                    "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                    "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                    "antialias": self.antialias})
        return cfg


class CenterCrop(ImageLayer):
    """Crops the central ``(height, width)`` window of images.

    An image smaller than the target on either side is instead cropped to the target aspect
    ratio and resized (bilinear), as Keras does, so the output is always
    ``(height, width)``.

    Args:
        height, width: the output size.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(H, W, C)`` or ``(batch, H, W, C)``. Output shape: ``(..., height, width,
    C)``, float.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("CenterCrop", "height", height)
        self.width = _positive_int("CenterCrop", "width", width)

    def call(self, inputs):
        x, rank = self._to_batch(inputs)
        in_h, in_w = x.shape[1], x.shape[2]
        if in_h >= self.height and in_w >= self.width:
            top, left = (in_h - self.height) // 2, (in_w - self.width) // 2
            x = x[:, top:top + self.height, left:left + self.width, :]
        else:
            x = resize_batch(x, self.height, self.width, crop_to_aspect_ratio=True)
        return self._from_batch(x, rank)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self.height, self.width)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg
