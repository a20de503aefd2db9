"""Pooling layers: ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D`` and the global
``GlobalMaxPooling1D/2D/3D``, ``GlobalAveragePooling1D/2D/3D`` (+ Keras aliases).

Windowed pooling is one ``kcore.ops.max_pool``/``average_pool`` call (loop-free, with the
argmax saved for the backward pass); global pooling is one reduction over the spatial axes.

Example:
    >>> kcore.layers.MaxPooling2D()(np.zeros((2, 28, 28, 8), "float32")).shape
    (2, 14, 14, 8)
"""

from kcore import ops
from kcore.layers.conv_base import (
    as_float,
    check_rank,
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from kcore.layers.layer import Layer


class BasePooling(Layer):
    """Max or average pooling over windows of ``pool_size``, as Keras's ``BasePooling``.

    Args:
        pool_size: int or tuple of ``pool_dimensions`` ints.
        strides: int or tuple; ``None`` means ``pool_size`` (non-overlapping windows).
        pool_dimensions: number of spatial dimensions (1, 2 or 3).
        pool_mode: ``"max"`` or ``"average"``.
        padding: ``"valid"`` or ``"same"`` (output ``ceil(in / strides)``; padded cells
            never win a max and are left out of an average, as in TF).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(f"`pool_mode` must be 'max' or 'average', got {pool_mode!r}.")
        self.pool_size = standardize_tuple(pool_size, pool_dimensions, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(
            strides, pool_dimensions, "strides")
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self._pool = ops.max_pool if pool_mode == "max" else ops.average_pool
        self.built = True

    def call(self, inputs):
        if len(inputs.shape) != self.pool_dimensions + 2:
            check_rank(self, inputs.shape, self.pool_dimensions, self.data_format)
        if self.pool_mode == "average":
            inputs = as_float(self, inputs)
        return self._pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.pool_dimensions, self.data_format)
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = tuple(conv_output_length(n, k, s, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if first:
            return tuple(input_shape[:2]) + out
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"pool_size": self.pool_size, "padding": self.padding,
                    "strides": self.strides, "data_format": self.data_format})
        return cfg


class MaxPooling1D(BasePooling):
    """Max pooling over steps.

    Args:
        pool_size: int: the window length (default 2).
        strides: int or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)``.
    Output shape: ``(batch, pooled_steps, channels)``.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, 1, "max", padding, data_format, name, **kwargs)


class MaxPooling2D(BasePooling):
    """Max pooling over images; arguments as for ``MaxPooling1D``, with 2-tuples.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, pooled_height, pooled_width, channels)``.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, 2, "max", padding, data_format, name, **kwargs)


class MaxPooling3D(BasePooling):
    """Max pooling over volumes; arguments as for ``MaxPooling1D``, with 3-tuples.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, pooled_depth, pooled_height, pooled_width, channels)``.
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, 3, "max", padding, data_format, name, **kwargs)


class AveragePooling1D(BasePooling):
    """Average pooling over steps; ``pool_size`` is required (unlike ``MaxPooling1D``).

    Args:
        pool_size: int: the window length.
        strides, padding, data_format: as for ``MaxPooling1D``.

    Input shape: ``(batch, steps, channels)``.
    Output shape: ``(batch, pooled_steps, channels)``.
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, 1, "average", padding, data_format, name, **kwargs)


class AveragePooling2D(BasePooling):
    """Average pooling over images; arguments as for ``AveragePooling1D``, with 2-tuples.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, pooled_height, pooled_width, channels)``.
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, 2, "average", padding, data_format, name, **kwargs)


class AveragePooling3D(BasePooling):
    """Average pooling over volumes; arguments as for ``AveragePooling1D``, with 3-tuples.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, pooled_depth, pooled_height, pooled_width, channels)``.
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, 3, "average", padding, data_format, name, **kwargs)


class BaseGlobalPooling(Layer):
    """Max or average over every spatial axis, as Keras's ``BaseGlobalPooling``.

    Args:
        pool_dimensions: number of spatial dimensions (1, 2 or 3).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the spatial axes with size 1.
    """

    _reduce = None

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        first = self.data_format == "channels_first"
        self._axes = tuple(range(2, 2 + pool_dimensions) if first
                           else range(1, 1 + pool_dimensions))
        self.built = True

    def call(self, inputs):
        if len(inputs.shape) != self.pool_dimensions + 2:
            check_rank(self, inputs.shape, self.pool_dimensions, self.data_format)
        if self._reduce is ops.mean:
            inputs = as_float(self, inputs)
        return self._reduce(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.pool_dimensions, self.data_format)
        if self.keepdims:
            return tuple(1 if i in self._axes else n for i, n in enumerate(input_shape))
        return tuple(n for i, n in enumerate(input_shape) if i not in self._axes)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over steps.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the steps axis with size 1.

    Input shape: ``(batch, steps, channels)``.
    Output shape: ``(batch, channels)``, or ``(batch, 1, channels)`` with ``keepdims``.
    """

    _reduce = staticmethod(ops.max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width; arguments as for ``GlobalMaxPooling1D``.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, channels)``, or ``(batch, 1, 1, channels)`` with ``keepdims``.
    """

    _reduce = staticmethod(ops.max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over depth, height and width; arguments as for ``GlobalMaxPooling1D``.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, channels)``, or ``(batch, 1, 1, 1, channels)`` with ``keepdims``.
    """

    _reduce = staticmethod(ops.max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over steps; with a ``mask`` ``(batch, steps)``, the mean of the unmasked steps.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the steps axis with size 1.

    Call args:
        inputs: ``(batch, steps, channels)``.
        mask: optional boolean ``(batch, steps)``, e.g. from ``Embedding(mask_zero=True)``;
            masked steps are left out of the mean. The output carries no mask.

    Output shape: ``(batch, channels)``, or ``(batch, 1, channels)`` with ``keepdims``.
    """

    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        if len(inputs.shape) != 3:
            check_rank(self, inputs.shape, 1, self.data_format)
        inputs = as_float(self, inputs)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype),
                                  2 if self.data_format == "channels_last" else 1)
        total = ops.sum(ops.multiply(inputs, weights), axis=self._axes, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(weights, axis=self._axes, keepdims=self.keepdims))

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width; arguments as for ``GlobalAveragePooling1D`` (no mask).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, channels)``, or ``(batch, 1, 1, channels)`` with ``keepdims``.
    """

    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width; arguments as for ``GlobalAveragePooling2D``.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, channels)``, or ``(batch, 1, 1, 1, channels)`` with ``keepdims``.
    """

    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
