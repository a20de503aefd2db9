"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``,
``GroupNormalization``, ``RMSNormalization``, ``UnitNormalization``.

Batch, layer and RMS normalisation run on the fused primitives of
``kcore.ops.normalization`` (one recorded op per call, hand-written VJP). Weight names,
shapes and order are Keras 3's: ``gamma``, ``beta``, then BatchNormalization's
non-trainable ``moving_mean``, ``moving_variance``.
"""

from kcore import constraints, initializers, ops, regularizers
from kcore.backend import config as kconfig
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer, in_symbolic_build
from kcore.ops import normalization as fused


class _AffineNormalization(Layer):
    """Shared ``center``/``scale`` arguments and the ``gamma``/``beta`` weights."""

    def __init__(self, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = None
        self.beta = None

    def _add_affine(self, shape, with_gamma, with_beta):
        if with_gamma:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, autocast=False)
        if with_beta:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, autocast=False)

    def compute_output_shape(self, input_shape):
        return input_shape

    def _affine_config(self):
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }


class BatchNormalization(_AffineNormalization):
    """Normalises each channel with batch statistics in training, moving averages otherwise.

    Training (``training=True`` and the layer trainable): ``y = (x - mean_B) /
    sqrt(var_B + epsilon) * gamma + beta`` with the batch mean and biased variance over
    every axis but ``axis``, and the moving statistics are updated in place:
    ``moving = moving * momentum + batch * (1 - momentum)``. Inference, or a frozen layer
    (``trainable=False``, as Keras): the moving statistics are used and nothing changes.
    With a ``mask`` (``(batch, steps)`` for ``(batch, steps, channels)``), masked steps are
    left out of the batch statistics.

    Args:
        axis: the channel axis (int).
        momentum: momentum of the moving averages.
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.
        renorm, renorm_clipping, renorm_momentum: batch renormalisation; not supported
            (only ``renorm=False``).
        synchronized: accepted for compatibility, no effect: in a data-parallel run
            (kcore-mpi) statistics are each rank's own rows; use
            ``kcore_mpi.SyncBatchNormalization`` for the global batch's.

    Input shape: any, with ``axis`` known. Output shape: the input's.
    Weights: ``gamma (C,)``, ``beta (C,)``, ``moving_mean (C,)``, ``moving_variance (C,)``.

    Example:
        >>> bn = kcore.layers.BatchNormalization()
        >>> y = bn(np.random.rand(8, 3).astype("float32"), training=True)
        >>> [w.name for w in bn.weights]
        ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        if renorm:
            raise ValueError(
                f"BatchNormalization {self.name!r}: renorm=True (batch renormalization) is not "
                "supported by kcore; use renorm=False."
            )
        if isinstance(axis, (list, tuple)):  # tf.keras 2 configs store [axis]
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization normalizes over one axis, got axis={axis}.")
            axis = axis[0]
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.synchronized = synchronized

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} of the input "
                             f"must have a known size, got input shape {tuple(input_shape)}.")
        self._add_affine((dim,), self.scale, self.center)
        self.moving_mean = self.add_weight(shape=(dim,), name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=(dim,), name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        channel = self.axis % len(input_shape)
        self._reduction_axes = [i for i in range(len(input_shape)) if i != channel]
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if mask is not None and len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(
                f"BatchNormalization {self.name!r}: the mask must have one dimension less than "
                f"the inputs. Received mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}."
            )
        if not (training and self.trainable):
            return fused.fused_batch_normalization(
                inputs, self.moving_mean, self.moving_variance, self.axis, offset=self.beta,
                scale=self.gamma, epsilon=self.epsilon)
        if mask is None:
            out, mean, variance = fused.batch_normalization_with_moments(
                inputs, self.axis, offset=self.beta, scale=self.gamma, epsilon=self.epsilon)
        else:
            mean, variance = self._masked_moments(inputs, mask)
            out = fused.fused_batch_normalization(inputs, mean, variance, self.axis,
                                                  offset=self.beta, scale=self.gamma,
                                                  epsilon=self.epsilon)
        if not in_symbolic_build():
            self._update_moving_stats(mean.numpy(), variance.numpy())
        return out

    def _update_moving_stats(self, mean, variance):
        m = self.momentum
        self.moving_mean.assign(self.moving_mean.value * m + mean * (1.0 - m))
        self.moving_variance.assign(self.moving_variance.value * m + variance * (1.0 - m))

    def _masked_moments(self, inputs, mask):
        # Keras's weighted moments: masked steps have weight 0; the count gets + epsilon.
        w = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        axes = self._reduction_axes
        count = ops.add(ops.sum(w, axis=axes, keepdims=True), kconfig.epsilon())
        weighted = ops.multiply(w, inputs)
        mean = ops.divide(ops.sum(weighted, axis=axes, keepdims=True), count)
        sq = ops.square(ops.subtract(weighted, mean))
        variance = ops.divide(ops.sum(ops.multiply(w, sq), axis=axes, keepdims=True), count)
        return ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon})
        cfg.update(self._affine_config())
        cfg.update({
            "moving_mean_initializer": serialize_keras_object(self.moving_mean_initializer),
            "moving_variance_initializer": serialize_keras_object(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return cfg


def _axes_list(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


class LayerNormalization(_AffineNormalization):
    """Normalises each example over ``axis``: ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Args:
        axis: int or list of ints, the axes normalised (and spanned by ``gamma``/``beta``).
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` / ``gamma``.
        rms_scaling: Keras's deprecated variant ``x / sqrt(var + epsilon) * gamma`` (no
            centring of the output, no ``beta``); prefer ``RMSNormalization``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint: as usual.

    Input shape: any. Output shape: the input's.
    Weights: ``gamma``, ``beta`` with the sizes of the normalised axes.

    Example:
        >>> ln = kcore.layers.LayerNormalization()
        >>> ln(np.random.rand(2, 5, 8).astype("float32")).shape
        (2, 5, 8)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        if not isinstance(axis, (int, list, tuple)):
            raise TypeError(f"LayerNormalization `axis` must be an int or a list of ints, got "
                            f"{axis!r}.")
        self.axis = _axes_list(axis)
        self.epsilon = float(epsilon)
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        if not isinstance(self.axis, list):
            self.axis = [self.axis]
        shape = tuple(input_shape[a] for a in self.axis)
        self._add_affine(shape, self.scale or self.rms_scaling,
                         self.center and not self.rms_scaling)
        self.built = True

    def call(self, inputs):
        return fused.layer_normalization(inputs, self.gamma, self.beta, axis=self.axis,
                                         epsilon=self.epsilon, rms_scaling=self.rms_scaling)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "epsilon": self.epsilon, "rms_scaling": self.rms_scaling})
        cfg.update(self._affine_config())
        return cfg


class GroupNormalization(_AffineNormalization):
    """Normalises each example over groups of channels (Wu & He, 2018).

    The ``C`` channels on ``axis`` are split into ``groups`` groups; each group is
    normalised over its channels and all non-batch axes, then ``gamma``/``beta`` (per
    channel) are applied. ``groups=-1`` is instance normalisation, ``groups=1`` layer
    normalisation over all axes.

    Args:
        groups: number of groups; must divide the channel count (``-1``: one per channel).
        axis: the channel axis.
        epsilon: added to the variance.
        center, scale and the initializer/regularizer/constraint arguments: as usual.

    Input shape: any, with ``axis`` known. Output shape: the input's.
    Weights: ``gamma (C,)``, ``beta (C,)``.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"GroupNormalization {self.name!r}: axis {self.axis} of the input "
                             f"must have a known size, got input shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f"GroupNormalization {self.name!r}: the number of channels ({dim}) must be a "
                f"multiple of `groups` ({self.groups}) and at least as large."
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self._add_affine((dim,), self.scale, self.center)
        self.built = True

    def call(self, inputs):
        shape = tuple(inputs.shape)
        ndim = len(shape)
        ch = self.axis % ndim
        grouped = shape[:ch] + (self.groups, shape[ch] // self.groups) + shape[ch + 1:]
        axes = tuple(i for i in range(1, ndim + 1) if i != ch)
        x = fused.layer_normalization(ops.reshape(inputs, grouped), axis=axes,
                                      epsilon=self.epsilon)
        x = ops.reshape(x, shape)
        pshape = [1] * ndim
        pshape[ch] = shape[ch]
        if self.gamma is not None:
            x = ops.multiply(x, ops.reshape(self.gamma, pshape))
        if self.beta is not None:
            x = ops.add(x, ops.reshape(self.beta, pshape))
        return x

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon})
        cfg.update(self._affine_config())
        return cfg


class RMSNormalization(Layer):
    """Root-mean-square normalisation: ``x * rsqrt(mean(x ** 2) + epsilon) * scale``.

    Args:
        axis: int or list of ints, the axes normalised (and spanned by ``scale``).
        epsilon: added to the mean square.

    Input shape: any. Output shape: the input's. Weights: ``scale`` (sizes of ``axis``).
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_list(axis)
        self.epsilon = epsilon
        self.supports_masking = False  # as Keras's RMSNormalization

    def build(self, input_shape):
        if not isinstance(self.axis, list):
            self.axis = [self.axis]
        shape = tuple(input_shape[a] for a in self.axis)
        self.scale = self.add_weight(shape=shape, name="scale", initializer="ones")
        self.built = True

    def call(self, inputs):
        return fused.rms_normalization(inputs, self.scale, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "epsilon": self.epsilon})
        return cfg


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: int or list/tuple of ints.

    Input shape: any. Output shape: the input's. No weights.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = tuple(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"UnitNormalization `axis` must be an int or a list/tuple of ints, "
                            f"got {axis!r}.")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        # Keras floors the norm at 1e-12, i.e. the squared norm at 1e-24.
        return ops.normalize(inputs, axis=self.axis, order=2, epsilon=1e-24)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg
