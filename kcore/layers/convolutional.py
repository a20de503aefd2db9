"""Convolution layers: ``Conv1D/2D/3D`` and ``Conv1D/2D/3DTranspose`` (+ Keras aliases).

Each layer is one ``kcore.ops`` call (one im2col + GEMM), a broadcast bias add and its
activation. The depthwise and separable convolutions are in ``conv_depthwise.py``.

Example:
    >>> layer = kcore.layers.Conv2D(8, 3, padding="same", activation="relu")
    >>> layer(np.zeros((2, 28, 28, 1), "float32")).shape
    (2, 28, 28, 8)
"""

from kcore import constraints, initializers, ops, regularizers
from kcore.layers.conv_base import ConvBase, positive_int, standardize_tuple

_COMMON_KEYS = ("activation", "use_bias", "kernel_initializer", "bias_initializer",
                "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                "kernel_constraint", "bias_constraint")


class _KernelMixin:
    """Stores the ``kernel_*`` arguments and creates the kernel weight."""

    def _set_kernel_args(self, initializer, regularizer, constraint):
        self.kernel_initializer = initializers.get(initializer)
        self.kernel_regularizer = regularizers.get(regularizer)
        self.kernel_constraint = constraints.get(constraint)

    def _build_kernel(self, shape):
        self.kernel = self.add_weight(shape=shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")


class BaseConv(_KernelMixin, ConvBase):
    """N-D convolution: ``activation(conv(inputs, kernel) + bias)``, as Keras's ``BaseConv``.

    Weights: ``kernel (*kernel_size, channels // groups, filters)``, ``bias (filters,)``.
    With ``groups > 1`` the channels are split into ``groups`` groups, each convolved
    with its own ``filters // groups`` filters.
    """

    _config_keys = ("filters", "kernel_size", "strides", "padding", "data_format",
                    "dilation_rate", "groups") + _COMMON_KEYS

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer,
                         bias_constraint, allow_causal=rank == 1,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(self, "filters", filters)
        self.groups = groups
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(f"{type(self).__name__}: `groups` must be a positive integer "
                             f"that divides filters={filters}, got groups={groups!r}.")
        self._set_kernel_args(kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"Layer {self.name!r}: the number of input channels ({channels}, "
                             f"input shape {tuple(input_shape)}) must be divisible by "
                             f"groups={self.groups}.")
        self._build_kernel(self.kernel_size + (channels // self.groups, self.filters))
        self._build_bias(self.filters)
        self.built = True

    _fusable = True

    def _convolve(self, inputs, bias=None, relu=False):
        return ops.conv(inputs, self.kernel, self.strides, self.padding, self.data_format,
                        self.dilation_rate, bias=bias, relu=relu)

    def _output_channels(self, channels):
        return self.filters


class Conv1D(BaseConv):
    """1D convolution over steps (temporal convolution).

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 1 int: the window length.
        strides: int or tuple of 1 int.
        padding: ``"valid"``, ``"same"`` or ``"causal"`` (output ``t`` sees only inputs
            ``<= t``: the input is padded on the left by ``(kernel_size - 1) * dilation``).
        data_format: ``"channels_last"`` ``(batch, steps, channels)`` (default) or
            ``"channels_first"`` ``(batch, channels, steps)``.
        dilation_rate: int or tuple of 1 int (not with ``strides > 1``).
        groups: number of channel groups (divides channels and filters).
        activation: activation name or function (default: none).
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: default ``"glorot_uniform"``, ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights: ``kernel (kernel_size, channels // groups, filters)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(BaseConv):
    """2D convolution over images.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 2 ints: the window height and width.
        strides: int or tuple of 2 ints.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size ``ceil(in / strides)``,
            padded as TF does, the extra cell at the end).
        data_format: ``"channels_last"`` ``(batch, height, width, channels)`` (default) or
            ``"channels_first"`` ``(batch, channels, height, width)``.
        dilation_rate: int or tuple of 2 ints (not with ``strides > 1``).
        groups, activation, use_bias, kernel_*/bias_*, activity_regularizer: as for
            ``Conv1D``.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, new_height, new_width, filters)``.
    Weights: ``kernel (kh, kw, channels // groups, filters)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv3D(BaseConv):
    """3D convolution over volumes; arguments as for ``Conv2D``, with 3-tuples.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, new_depth, new_height, new_width, filters)``.
    Weights: ``kernel (kd, kh, kw, channels // groups, filters)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


def deconv_output_length(length, kernel, stride, padding, output_padding, dilation):
    """Output length of a transposed convolution along one axis, as Keras computes it."""
    if length is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if output_padding is None:
        return length * stride + (max(kernel - stride, 0) if padding == "valid" else 0)
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


class BaseConvTranspose(_KernelMixin, ConvBase):
    """N-D transposed convolution (the gradient of a convolution w.r.t. its input).

    Weights: ``kernel (*kernel_size, filters, channels)`` (output and input channels
    swapped compared with ``BaseConv``), ``bias (filters,)``.
    """

    _config_keys = ("filters", "kernel_size", "strides", "padding", "output_padding",
                    "data_format", "dilation_rate") + _COMMON_KEYS

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer,
                         bias_constraint, activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(self, "filters", filters)
        self.output_padding = None if output_padding is None else standardize_tuple(
            output_padding, rank, "output_padding", allow_zero=True)
        for stride, pad in zip(self.strides, self.output_padding or ()):
            if pad >= stride:
                raise ValueError(f"{type(self).__name__}: each `output_padding` must be "
                                 f"smaller than its stride; got output_padding="
                                 f"{self.output_padding}, strides={self.strides}.")
        self._set_kernel_args(kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._build_kernel(self.kernel_size + (self.filters, channels))
        self._build_bias(self.filters)
        self.built = True

    def _convolve(self, inputs):
        return ops.conv_transpose(inputs, self.kernel, self.strides, self.padding,
                                  self.output_padding, self.data_format, self.dilation_rate)

    def _output_channels(self, channels):
        return self.filters

    def _output_spatial(self, spatial):
        pads = self.output_padding or (None,) * self.rank
        return tuple(deconv_output_length(n, k, s, self.padding, p, d) for n, k, s, p, d in
                     zip(spatial, self.kernel_size, self.strides, pads, self.dilation_rate))


class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution (sometimes called deconvolution).

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of 1 int.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None`` or int/tuple: extra steps at the end of the output; each
            must be smaller than its stride. Without it the output length is
            ``in * strides`` (same) or ``in * strides + max(kernel - strides, 0)`` (valid).
        data_format, activation, use_bias, kernel_*/bias_*, activity_regularizer: as for
            ``Conv1D``.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights: ``kernel (kernel_size, filters, channels)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, output_padding,
                         data_format, dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution; arguments as for ``Conv1DTranspose``, with 2-tuples.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, new_height, new_width, filters)``.
    Weights: ``kernel (kh, kw, filters, channels)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, output_padding,
                         data_format, dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution; arguments as for ``Conv1DTranspose``, with 3-tuples.

    Input shape: ``(batch, depth, height, width, channels)``.
    Output shape: ``(batch, new_depth, new_height, new_width, filters)``.
    Weights: ``kernel (kd, kh, kw, filters, channels)``, ``bias (filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, output_padding,
                         data_format, dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
