"""Depthwise and separable convolutions: ``DepthwiseConv1D/2D``, ``SeparableConv1D/2D``.

A depthwise convolution convolves each input channel with its own ``depth_multiplier``
filters; a separable convolution follows it with a 1x1 (pointwise) convolution that mixes
the channels. Both are one ``kcore.ops`` call plus a broadcast bias add.
"""

from kcore import constraints, initializers, ops, regularizers
from kcore.layers.conv_base import ConvBase, positive_int


class BaseDepthwiseConv(ConvBase):
    """N-D depthwise convolution, as Keras's ``BaseDepthwiseConv``.

    Weights: ``kernel (*kernel_size, channels, depth_multiplier)`` (named ``kernel`` as in
    Keras 3; tf.keras called it ``depthwise_kernel``), ``bias (channels * depth_multiplier,)``.
    Output channel ``c * depth_multiplier + m`` is channel ``c`` convolved with
    ``kernel[..., c, m]``.
    """

    _config_keys = ("depth_multiplier", "kernel_size", "strides", "padding", "data_format",
                    "dilation_rate", "activation", "use_bias", "depthwise_initializer",
                    "bias_initializer", "depthwise_regularizer", "bias_regularizer",
                    "activity_regularizer", "depthwise_constraint", "bias_constraint")

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer,
                         bias_constraint, activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = positive_int(self, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="kernel")
        self._build_bias(channels * self.depth_multiplier)
        self.built = True

    def _convolve(self, inputs):
        return ops.depthwise_conv(inputs, self.kernel, self.strides, self.padding,
                                  self.data_format, self.dilation_rate)

    def _output_channels(self, channels):
        return None if channels is None else channels * self.depth_multiplier


class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution: each channel convolved with its own filters.

    Args:
        kernel_size, strides, dilation_rate: int or tuple of 1 int (no ``strides > 1``
            with ``dilation_rate > 1``).
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: filters per input channel.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        activation, use_bias: as for ``Conv1D``.
        depthwise_initializer, bias_initializer: default ``"glorot_uniform"``, ``"zeros"``.
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        depthwise_constraint, bias_constraint: optional constraints.

    Input shape: ``(batch, steps, channels)``.
    Output shape: ``(batch, new_steps, channels * depth_multiplier)``.
    Weights: ``kernel (kernel_size, channels, depth_multiplier)``, ``bias``.
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, depth_multiplier, kernel_size, strides, padding, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution; arguments as for ``DepthwiseConv1D``, with 2-tuples.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, new_height, new_width, channels * depth_multiplier)``.
    Weights: ``kernel (kh, kw, channels, depth_multiplier)``, ``bias``.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, depth_multiplier, kernel_size, strides, padding, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class BaseSeparableConv(ConvBase):
    """N-D separable convolution: depthwise, then pointwise (1x1), then bias.

    Weights: ``depthwise_kernel (*kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel ((1,) * rank + (channels * depth_multiplier, filters))``,
    ``bias (filters,)``.
    """

    _config_keys = ("depth_multiplier", "filters", "kernel_size", "strides", "padding",
                    "data_format", "dilation_rate", "activation", "use_bias",
                    "depthwise_initializer", "pointwise_initializer", "bias_initializer",
                    "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                    "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                    "bias_constraint")

    def __init__(self, rank, depth_multiplier, filters, kernel_size, strides=1,
                 padding="valid", data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer,
                         bias_constraint, activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = positive_int(self, "depth_multiplier", depth_multiplier)
        self.filters = positive_int(self, "filters", filters)
        for part, init, reg, cons in (
                ("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                ("pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint)):
            setattr(self, f"{part}_initializer", initializers.get(init))
            setattr(self, f"{part}_regularizer", regularizers.get(reg))
            setattr(self, f"{part}_constraint", constraints.get(cons))

    def _part_weight(self, part, shape):
        return self.add_weight(shape=shape, initializer=getattr(self, f"{part}_initializer"),
                               regularizer=getattr(self, f"{part}_regularizer"),
                               constraint=getattr(self, f"{part}_constraint"),
                               name=f"{part}_kernel")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self._part_weight(
            "depthwise", self.kernel_size + (channels, self.depth_multiplier))
        self.pointwise_kernel = self._part_weight(
            "pointwise", (1,) * self.rank + (channels * self.depth_multiplier, self.filters))
        self._build_bias(self.filters)
        self.built = True

    def _convolve(self, inputs):
        return ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                  self.strides, self.padding, self.data_format,
                                  self.dilation_rate)

    def _output_channels(self, channels):
        return self.filters


class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution: a depthwise convolution, then a pointwise one.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of 1 int (of the depthwise step).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias: as for ``Conv1D``.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: optional penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights: ``depthwise_kernel (kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel (1, channels * depth_multiplier, filters)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(1, depth_multiplier, filters, kernel_size, strides, padding,
                         data_format, dilation_rate, activation, use_bias,
                         depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, pointwise_constraint,
                         bias_constraint, **kwargs)


class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution; arguments as for ``SeparableConv1D``, with 2-tuples.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, new_height, new_width, filters)``.
    Weights: ``depthwise_kernel (kh, kw, channels, depth_multiplier)``,
    ``pointwise_kernel (1, 1, channels * depth_multiplier, filters)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(2, depth_multiplier, filters, kernel_size, strides, padding,
                         data_format, dilation_rate, activation, use_bias,
                         depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, pointwise_constraint,
                         bias_constraint, **kwargs)


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
