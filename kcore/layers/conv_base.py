"""What every convolution layer shares: argument checks, input checks, bias, activation.

``ConvBase`` holds the N-D logic of Keras's ``BaseConv``/``BaseConvTranspose``/
``BaseDepthwiseConv``/``BaseSeparableConv`` once; each of those (in ``convolutional.py``
and ``conv_depthwise.py``) adds its own weights, its ``kcore.ops`` call and its config
keys. The argument helpers are shared with the pooling layers.
"""

import operator

from kcore import activations, constraints, initializers, ops, regularizers
from kcore.backend import config
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.layer import Layer

_SPATIAL_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def standardize_tuple(value, n, name, allow_zero=False):
    """An int or an iterable of ``n`` ints as a tuple of ``n`` ints (Keras's rule)."""
    try:
        value = (operator.index(value),) * n if not hasattr(value, "__iter__") else tuple(
            operator.index(v) for v in value)
    except TypeError:
        raise ValueError(f"`{name}` must be an int or a tuple of {n} ints, got "
                         f"{value!r}.") from None
    if len(value) != n:
        raise ValueError(f"`{name}` must be an int or a tuple of {n} ints, got {value!r}.")
    low = 0 if allow_zero else 1
    if any(v < low for v in value):
        raise ValueError(f"`{name}` values must be >= {low}, got {value!r}.")
    return value


def positive_int(layer, name, value):
    """``value`` if it is a positive int, else an error naming the layer and argument."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{type(layer).__name__}: `{name}` must be a positive integer, got "
                         f"{value!r}.")
    return value


def standardize_padding(padding, allow_causal=False):
    """``"valid"``, ``"same"`` (or ``"causal"`` where allowed), case-insensitive."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    value = str(padding).lower()
    if value not in allowed:
        raise ValueError(f"`padding` must be one of {allowed}, got {padding!r}.")
    return value


def standardize_data_format(data_format):
    """``data_format`` or ``kcore.config.image_data_format()`` when ``None``."""
    value = (data_format or config.image_data_format()).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError("`data_format` must be 'channels_last' or 'channels_first', got "
                         f"{data_format!r}.")
    return value


def layout(rank, data_format):
    """The expected input layout as text, e.g. ``(batch, height, width, channels)``."""
    names = _SPATIAL_NAMES[rank]
    axes = ("batch",) + (names + ("channels",) if data_format == "channels_last"
                         else ("channels",) + names)
    return "(" + ", ".join(axes) + ")"


def check_rank(layer, shape, rank, data_format):
    """Raises an actionable ``ValueError`` unless ``shape`` has ``rank + 2`` axes."""
    if len(shape) == rank + 2:
        return
    shape = tuple(shape)
    if len(shape) == rank + 1 and data_format == "channels_last":
        fix = (f"If the samples have no channels axis, add one with "
               f"`kcore.layers.Reshape({tuple(shape[1:]) + (1,)})` or `np.expand_dims(x, -1)`; "
               "if this is a single sample, add the batch axis with `np.expand_dims(x, 0)`.")
    elif len(shape) < rank + 2:
        fix = ("Reshape the data first, e.g. with a `kcore.layers.Reshape(target_shape)` "
               "layer or `np.expand_dims`.")
    else:
        fix = f"Use a {len(shape) - 2}D layer for inputs of this rank, or reshape them."
    raise ValueError(
        f"Input 0 of layer {layer.name!r} ({type(layer).__name__}) expects ndim={rank + 2}, "
        f"{layout(rank, data_format)}, but received an input of shape {shape} "
        f"(ndim={len(shape)}). {fix}")


def channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def conv_output_length(length, kernel, stride, padding, dilation=1):
    """Output length of a convolution or pooling window along one axis (``None`` stays)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - (kernel - 1) * dilation - 1) // stride + 1
    return -(-length // stride)  # "same" and "causal": ceil(length / stride)


def as_float(layer, inputs):
    """Integer inputs (e.g. uint8 images) cast to the layer's dtype: numpy would otherwise
    promote them with the float32 weights to float64."""
    if inputs.dtype.startswith("float"):
        return inputs
    return ops.cast(inputs, layer.compute_dtype)


def serialize_arg(key, value):
    """A constructor argument as it appears in a Keras config."""
    if key == "activation":
        return activations.serialize(value)
    if key.endswith(("_initializer", "_regularizer", "_constraint")):
        return serialize_keras_object(value)
    return value


class ConvBase(Layer):
    """The N-D logic shared by every convolution layer.

    Subclasses create their weights in ``build`` (calling ``_build_bias``), implement
    ``_convolve(inputs)`` with one ``kcore.ops`` call, ``_output_channels(channels)``, and
    list their constructor arguments in ``_config_keys`` (in Keras's config order).

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        kernel_size, strides, dilation_rate: int or tuple of ``rank`` ints.
        padding: ``"valid"`` or ``"same"`` (``"causal"`` where ``allow_causal``).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default from config).
        activation: applied to the output (default: none).
        use_bias: whether to add a bias vector.
        bias_initializer, bias_regularizer, bias_constraint: for the bias.
    """

    _config_keys = ()

    def __init__(self, rank, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, bias_constraint=None, allow_causal=False, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None
        self._channels = None
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{type(self).__name__}: `strides > 1` is not supported together "
                             f"with `dilation_rate > 1`; got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")

    # -- building -----------------------------------------------------------------------
    def _input_channels(self, input_shape):
        """Checks the input shape at build time; returns its number of channels."""
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = input_shape[channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(f"Layer {self.name!r}: the channels dimension of the inputs "
                             f"must be known, got input shape {tuple(input_shape)}.")
        self._channels = int(channels)
        return self._channels

    def _build_bias(self, size):
        if self.use_bias:
            self.bias = self.add_weight(shape=(size,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")

    # -- calling ------------------------------------------------------------------------
    def call(self, inputs):
        shape = inputs.shape
        if len(shape) != self.rank + 2:
            check_rank(self, shape, self.rank, self.data_format)
        if shape[channel_axis(self.data_format)] != self._channels:
            raise ValueError(
                f"Input 0 of layer {self.name!r} expects {self._channels} channels (the layer "
                f"was built for them) on axis {channel_axis(self.data_format)} of "
                f"{layout(self.rank, self.data_format)}, but received shape {tuple(shape)}.")
        x = as_float(self, inputs)
        if self._fusable and (self.activation is activations.linear or
                              self.activation is activations.relu):
            # One primitive for conv + bias + relu: no extra passes over the output.
            return self._convolve(x, bias=self.bias, relu=self.activation is activations.relu)
        x = self._convolve(x)
        if self.bias is not None:
            bias = self.bias if self.data_format == "channels_last" else ops.reshape(
                self.bias, (-1,) + (1,) * self.rank)
            x = ops.add(x, bias)
        return x if self.activation is activations.linear else self.activation(x)

    # Subclasses whose _convolve accepts bias= and relu= (plain convolutions).
    _fusable = False

    def _convolve(self, inputs):
        raise NotImplementedError

    def _output_channels(self, channels):
        raise NotImplementedError

    def _output_spatial(self, spatial):
        return tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
                     zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = self._output_channels(input_shape[channel_axis(self.data_format)])
        if self.data_format == "channels_last":
            return (input_shape[0],) + self._output_spatial(input_shape[1:-1]) + (channels,)
        return (input_shape[0], channels) + self._output_spatial(input_shape[2:])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({key: serialize_arg(key, getattr(self, key)) for key in self._config_keys})
        return cfg
