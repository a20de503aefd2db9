"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector``,
``UpSampling1D/2D/3D``, ``ZeroPadding1D/2D/3D``, ``Cropping1D/2D/3D``.

The 1D/2D/3D variants of a family share one implementation over ``rank`` spatial axes;
spatial axes follow the batch axis (``channels_last``) or the channels axis
(``channels_first``).
"""

import math

import numpy as np

from kcore import ops
from kcore.backend import config
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, ...)`` → ``(batch, prod(...))``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``, in which case the
            channels axis is moved last before flattening, as Keras does.

    Input shape: ``(batch, ...)``. Output shape: ``(batch, prod(...))``.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or config.image_data_format()
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first" and len(x.shape) > 2:
            x = ops.transpose(x, (0,) + tuple(range(2, len(x.shape))) + (1,))
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

    Input shape: ``(batch, ...)``. Output shape: ``(batch,) + target_shape``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(
                d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(
                "Reshape `target_shape` must hold positive sizes and at most one -1, got "
                f"{tuple(target_shape)}."
            )
        self.built = True

    def call(self, inputs):
        self._check_size(tuple(inputs.shape))
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def _check_size(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if (size % known == 0) if -1 in self.target_shape else size == known:
            return
        need = f"a multiple of {known}" if -1 in self.target_shape else str(known)
        raise ValueError(
            f"Reshape layer {self.name!r} cannot reshape samples of shape {input_shape[1:]} "
            f"({size} values) to target_shape {self.target_shape} ({need} values). Use a "
            f"target_shape with {size} values in total, or -1 for the axis to infer.")

    def compute_output_shape(self, input_shape):
        known = [d for d in self.target_shape if d != -1]
        if -1 not in self.target_shape:
            return (input_shape[0],) + self.target_shape
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest) // math.prod(known)
        return (input_shape[0],) + tuple(size if d == -1 else d for d in self.target_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


class Permute(Layer):
    """Permutes the non-batch axes, e.g. ``Permute((2, 1))`` swaps the two axes of a sequence.

    Args:
        dims: a permutation of ``1..n`` (the batch axis 0 stays first).

    Input shape: ``(batch, d1, ..., dn)``. Output shape: ``(batch, d[dims[0]], ...)``.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute `dims` must be a permutation of 1..{len(self.dims)} (the batch axis "
                f"is not included), got dims={tuple(dims)}."
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        cfg = super().get_config()
        cfg["dims"] = list(self.dims)
        return cfg


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: ``(batch, features)`` → ``(batch, n, features)``.

    Args:
        n: the number of repetitions.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"RepeatVector `n` must be a positive int, got n={n!r}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg


# -- shared helpers of the 1D/2D/3D families ----------------------------------------------
def _int_tuple(value, n, name, allow_zero=False):
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values) or any(
            v < 0 or (v == 0 and not allow_zero) for v in values):
        raise ValueError(f"`{name}` must be an int or a tuple of {n} "
                         f"{'non-negative' if allow_zero else 'positive'} ints, got {value!r}.")
    return tuple(int(v) for v in values)


def _pairs(value, rank, name):
    """``((before, after),) * rank`` from an int, a pair (rank 1) or per-axis ints/pairs."""
    if rank == 1:
        return (_int_tuple(value, 2, name, allow_zero=True),)
    if isinstance(value, int):
        return ((value, value),) * rank
    if len(value) != rank:
        raise ValueError(f"`{name}` must have {rank} entries (one per spatial axis), got {value!r}.")
    return tuple(_int_tuple(v, 2, f"{name}[{i}]", allow_zero=True) for i, v in enumerate(value))


def _spatial_axes(rank, data_format):
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + rank))


def _pairs_config(pairs):
    return list(pairs[0]) if len(pairs) == 1 else [list(p) for p in pairs]


class _ZeroPadding(Layer):
    _rank = None

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or config.image_data_format()
        self.padding = _pairs(padding, self._rank, "padding")
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs):
        widths = [(0, 0)] * len(inputs.shape)
        for axis, pair in zip(_spatial_axes(self._rank, self.data_format), self.padding):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self._rank, self.data_format), self.padding):
            out[axis] = None if out[axis] is None else out[axis] + a + b
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"padding": _pairs_config(self.padding), "data_format": self.data_format})
        return cfg


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis of a sequence with zeros.

    Args:
        padding: an int (both sides) or ``(before, after)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, padded_steps, features)``.
    """

    _rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Pads the rows and columns of images with zeros.

    Args:
        padding: an int, ``(rows, cols)`` symmetric pads, or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, rows, cols, channels)``. Output shape: padded rows and cols.
    """

    _rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes of volumes with zeros.

    Args:
        padding: an int, three symmetric pads, or three ``(before, after)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, d1, d2, d3, channels)``. Output shape: padded spatial axes.
    """

    _rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class _Cropping(Layer):
    _rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or config.image_data_format()
        self.cropping = _pairs(cropping, self._rank, "cropping")
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _check(self, shape):
        for axis, (a, b) in zip(_spatial_axes(self._rank, self.data_format), self.cropping):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}): cropping {self.cropping} "
                    f"removes all of axis {axis} of an input of shape {tuple(shape)}."
                )

    def call(self, inputs):
        self._check(inputs.shape)
        key = [slice(None)] * len(inputs.shape)
        for axis, (a, b) in zip(_spatial_axes(self._rank, self.data_format), self.cropping):
            key[axis] = slice(a, inputs.shape[axis] - b)
        return ops.getitem(inputs, tuple(key))

    def compute_output_spec(self, inputs, *args, **kwargs):
        # Not inferred by a dry run: the dummy sizes (2, 3) of unknown axes may be too small
        # to crop.
        from kcore.layers.input_layer import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self._rank, self.data_format), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - a - b
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"cropping": _pairs_config(self.cropping), "data_format": self.data_format})
        return cfg


class Cropping1D(_Cropping):
    """Crops the steps axis of a sequence.

    Args:
        cropping: an int (both sides) or ``(before, after)``.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, cropped, features)``.
    """

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        kwargs.pop("data_format", None)
        super().__init__(cropping, data_format="channels_last", **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("data_format")
        return cfg


class Cropping2D(_Cropping):
    """Crops rows and columns of images.

    Args:
        cropping: an int, ``(rows, cols)`` symmetric crops, or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, rows, cols, channels)``. Output shape: cropped rows and cols.
    """

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: an int, three symmetric crops, or three ``(before, after)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, d1, d2, d3, channels)``. Output shape: cropped spatial axes.
    """

    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


def _linear_resize_matrix(size, factor, dtype):
    """``(size * factor, size)`` matrix of bilinear weights with half-pixel centres (as TF)."""
    out = np.arange(size * factor)
    src = np.maximum((out + 0.5) / factor - 0.5, 0.0)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, size - 1)
    frac = src - lo
    m = np.zeros((size * factor, size), np.float64)
    np.add.at(m, (out, lo), 1.0 - frac)
    np.add.at(m, (out, hi), frac)
    return m.astype(dtype)


class _UpSampling(Layer):
    _rank = None

    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or config.image_data_format()
        self.size = _int_tuple(size, self._rank, "size")
        self.interpolation = interpolation.lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{type(self).__name__} `interpolation` must be 'nearest' or "
                             f"'bilinear' in kcore, got {interpolation!r}.")
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs):
        x = inputs
        for axis, factor in zip(_spatial_axes(self._rank, self.data_format), self.size):
            if self.interpolation == "nearest":
                x = ops.repeat(x, factor, axis=axis)
            else:
                m = _linear_resize_matrix(x.shape[axis], factor, x.dtype)
                x = ops.moveaxis(ops.tensordot(x, m, axes=[[axis], [1]]), -1, axis)
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, factor in zip(_spatial_axes(self._rank, self.data_format), self.size):
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"size": list(self.size), "data_format": self.data_format,
                    "interpolation": self.interpolation})
        return cfg


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times along the steps axis.

    Args:
        size: the upsampling factor.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, steps * size, features)``.
    """

    _rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, data_format="channels_last", **kwargs)

    def get_config(self):
        cfg = super().get_config()
        del cfg["data_format"], cfg["interpolation"]
        cfg["size"] = self.size[0]
        return cfg


class UpSampling2D(_UpSampling):
    """Upsamples images by ``size`` along rows and columns.

    Args:
        size: an int or ``(rows_factor, cols_factor)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat pixels) or ``"bilinear"`` (half-pixel centres,
            as ``tf.image.resize``).

    Input shape: ``(batch, rows, cols, channels)``. Output shape: ``(batch, rows * size[0],
    cols * size[1], channels)``.
    """

    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size=size, data_format=data_format, interpolation=interpolation, **kwargs)


class UpSampling3D(_UpSampling):
    """Repeats the entries of volumes ``size`` times along each spatial axis.

    Args:
        size: an int or three factors.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, d1, d2, d3, channels)``. Output shape: each spatial axis times its
    factor.
    """

    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        del cfg["interpolation"]
        return cfg
