"""Numeric preprocessing: ``Rescaling`` and ``Normalization``.

Both are differentiable (plain ``kcore.ops``), so they can sit inside a trained model, e.g.
at the start of ``kcore.applications.EfficientNetB0``.
"""

import numpy as np

from kcore import ops
from kcore.backend import config
from kcore.layers.layer import Layer
from kcore.layers.preprocessing.adapt_data import batches


def _to_float_tensor(layer, inputs):
    return ops.cast(inputs, layer.compute_dtype)


def _config_value(value):
    """A JSON-able form of a scalar/list/array argument."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``: ``y = x * scale + offset``.

    Args:
        scale: float, or a per-channel list/array (broadcast over the last axis; over the
            channel axis ``-3`` when ``image_data_format()`` is ``"channels_first"``).
        offset: float (or per-channel list/array) added after scaling.

    Input shape: any; integer inputs are cast to the layer's float dtype.
    Output shape: the input's.

    Example:
        >>> kcore.layers.Rescaling(1 / 127.5, offset=-1)(np.array([0, 255]))
        Tensor([-1.,  1.])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("scale", scale), ("offset", offset)):
            try:
                np.asarray(value, dtype="float64")
            except (TypeError, ValueError):
                raise TypeError(f"Rescaling: `{arg}` must be a number or a list/array of "
                                f"numbers, received {value!r}.") from None
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def _channel_shaped(self, value):
        arr = np.asarray(value, dtype=self.compute_dtype)
        if arr.ndim and config.image_data_format() == "channels_first":
            arr = arr.reshape(arr.shape + (1,) * (3 - arr.ndim))
        return arr

    def call(self, inputs):
        x = _to_float_tensor(self, inputs)
        return ops.add(ops.multiply(x, self._channel_shaped(self.scale)),
                       self._channel_shaped(self.offset))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"scale": _config_value(self.scale), "offset": _config_value(self.offset)})
        return cfg


def _axis_tuple(axis):
    if axis is None:
        return ()
    if isinstance(axis, (int, np.integer)):
        return (int(axis),)
    return tuple(int(a) for a in axis)


class Normalization(Layer):
    """Shifts and scales inputs feature-wise: ``(x - mean) / sqrt(variance)``.

    The mean and variance come from the ``mean``/``variance`` arguments or are learned by
    ``adapt(data)`` (stored as the non-trainable weights ``mean``, ``variance``, ``count``,
    as Keras stores them). The divisor is ``max(sqrt(variance), epsilon())``.

    Args:
        axis: the axis or axes that keep separate statistics (default ``-1``, the features);
            ``None`` for one mean and variance over everything.
        mean: the mean, broadcastable to the kept axes (with ``variance``), or ``None`` to
            ``adapt()``.
        variance: the variance, with ``mean``.
        invert: apply the inverse transformation ``x * sqrt(variance) + mean``.

    Input shape: any with known sizes on the kept axes. Output shape: the input's.

    Example:
        >>> layer = kcore.layers.Normalization()
        >>> layer.adapt(np.array([[0., 10.], [2., 30.]]))
        >>> layer(np.array([[1., 20.]]))
        Tensor([[0., 0.]])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_tuple(axis)
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: set both `mean` and `variance`, or neither (and "
                             f"call adapt()). Received mean={mean!r}, variance={variance!r}.")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization: `mean` and `variance` must have one shape; "
                                 f"received {np.shape(mean)} and {np.shape(variance)}.")
            if np.ndim(mean) > len(self.axis):
                raise ValueError(f"Normalization: `mean` of shape {np.shape(mean)} has more "
                                 f"dimensions than the {len(self.axis)} kept axes "
                                 f"axis={self.axis}.")

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Normalization {self.name!r}: axis={self.axis} is out of range "
                             f"for inputs of rank {ndim} (shape {tuple(input_shape)}).")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"Normalization {self.name!r}: kept axis {d} must have a "
                                 f"known size; received input shape {tuple(input_shape)}.")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        self._stats_shape = tuple(input_shape[d] for d in self._keep_axis)
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._stats_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._stats_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:
            self._fixed_mean = self._broadcast_given(self.input_mean)
            self._fixed_variance = self._broadcast_given(self.input_variance)
        self.built = True

    def _broadcast_given(self, value):
        arr = np.asarray(value, dtype=self.compute_dtype)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, arr.ndim + 1):
            expanded[self._keep_axis[-i]] = arr.shape[-i]
        return np.broadcast_to(arr.reshape(expanded), self._broadcast_shape)

    @property
    def mean(self):
        """The mean in broadcast shape (``None`` before the layer is built)."""
        if not self.built:
            return None
        if self.input_mean is not None:
            return self._fixed_mean
        return self.adapt_mean.numpy().reshape(self._broadcast_shape)

    @property
    def variance(self):
        """The variance in broadcast shape (``None`` before the layer is built)."""
        if not self.built:
            return None
        if self.input_variance is not None:
            return self._fixed_variance
        return self.adapt_variance.numpy().reshape(self._broadcast_shape)

    def adapt(self, data):
        """Computes the mean and variance of ``data`` over the non-kept axes.

        Args:
            data: a numpy array, a list of batches, a ``PyDataset`` or an iterable of
                batches (``(x, y)`` batches use ``x``). Batches are combined exactly
                (pooled mean and variance).

        Raises:
            ValueError: empty data, or a kept axis whose size differs from the build shape.
        """
        stream = batches(self, data)
        first = next(stream)
        if not self.built:
            self._build_with_shapes(tuple(first.shape))
        elif self.input_mean is not None:
            raise ValueError(f"Normalization {self.name!r} was given `mean` and `variance`; "
                             "it cannot also be adapted.")
        total_mean = total_var = None
        total_count = 0
        for batch in _chain(first, stream):
            self._check_adapt_shape(batch)
            batch = batch.astype("float64")
            mean = batch.mean(axis=self._reduce_axis)
            var = batch.var(axis=self._reduce_axis)
            count = int(np.prod([batch.shape[d] for d in self._reduce_axis]))
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            new_count = total_count + count
            w = count / new_count
            new_mean = total_mean * (1 - w) + mean * w
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w)
                         + (var + (mean - new_mean) ** 2) * w)
            total_mean, total_count = new_mean, new_count
        self.adapt_mean.assign(total_mean.reshape(self._stats_shape))
        self.adapt_variance.assign(total_var.reshape(self._stats_shape))

    def _check_adapt_shape(self, batch):
        shape = batch.shape
        if len(shape) != len(self._build_input_shape) or any(
                shape[d] != self._build_input_shape[d] for d in self._keep_axis):
            raise ValueError(f"Normalization {self.name!r} was built for inputs of shape "
                             f"{self._build_input_shape} (kept axes {self._keep_axis}), but "
                             f"adapt() received data of shape {tuple(shape)}.")

    def call(self, inputs):
        x = _to_float_tensor(self, inputs)
        mean = self.mean.astype(self.compute_dtype, copy=False)
        std = np.maximum(np.sqrt(self.variance.astype(self.compute_dtype, copy=False)),
                         np.asarray(config.epsilon(), self.compute_dtype))
        if self.invert:
            return ops.add(ops.multiply(x, std), mean)
        return ops.divide(ops.subtract(x, mean), std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axis": list(self.axis), "invert": self.invert,
                    "mean": _config_value(np.asarray(self.input_mean).tolist()
                                          if self.input_mean is not None else None),
                    "variance": _config_value(np.asarray(self.input_variance).tolist()
                                              if self.input_variance is not None else None)})
        return cfg


def _chain(first, rest):
    yield first
    yield from rest
