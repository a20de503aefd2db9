"""``Sum``, ``Mean`` and ``MeanMetricWrapper``: weighted accumulation of per-sample values.

Sample weights follow Keras 3: values of higher rank than the weights are first averaged
(``Mean``) or summed (``Sum``) over their extra trailing axes, so ``(batch,)`` weights apply
per sample to ``(batch, timesteps)`` values; the weighted values are then summed into
``total``, and ``Mean`` adds the sum of the weights (or the number of samples) to ``count``.
The arithmetic runs in numpy: metrics are updated outside any tape, once per batch.
"""

import numpy as np

from kcore import ops
from kcore import losses
from kcore.backend import serialization
from kcore.losses.loss import squeeze_or_expand_to_same_rank
from kcore.metrics.metric import Metric


def _as_array(x, dtype):
    return np.asarray(ops.convert_to_numpy(x), dtype=dtype)


def _fold_mask(sample_weight, mask, dtype):
    """``sample_weight * mask`` (or the mask alone): masked entries get weight 0."""
    if mask is None:
        return sample_weight
    mask = _as_array(mask, dtype)
    if sample_weight is None:
        return mask
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, _as_array(sample_weight, dtype))
    return sample_weight * mask


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weights ``values`` and reduces them to one value per sample (numpy arrays).

    Entries masked by ``values._keras_mask`` (e.g. ``ignore_class``) get weight 0; Keras 3
    drops that mask when no ``sample_weight`` is given, kcore always applies it.

    Returns ``(values, sample_weight)``: values of shape ``(batch,)`` (or scalar) already
    multiplied by the weights, and the weights reduced to the same shape (or ``None``).
    """
    sample_weight = _fold_mask(sample_weight, getattr(values, "_keras_mask", None), dtype)
    values = _as_array(values, dtype)
    if sample_weight is not None:
        sample_weight = _as_array(sample_weight, dtype)
        if values.ndim == 0 and sample_weight.ndim == 0:  # e.g. fit's mean loss, batch size
            return values * sample_weight, sample_weight
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim = sample_weight.ndim
        if values.ndim > w_ndim:
            values = reduce_fn(values, axis=tuple(range(w_ndim, values.ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(
                f"`sample_weight` of shape {sample_weight.shape} cannot be broadcast to the "
                f"metric values of shape {values.shape}. Pass one weight per sample."
            ) from None
        values = values * sample_weight
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, w_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen: ``total += sum(values * sample_weight)``.

    Args:
        name: the metric's name (default ``"sum"``).
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.Sum()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype)
        self.total.assign_add(values.sum())

    def result(self):
        return ops.convert_to_tensor(self.total.numpy())


class Mean(Metric):
    """The (weighted) mean of the values seen: ``sum(w * values) / sum(w)``.

    Args:
        name: the metric's name (default ``"mean"``).
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.Mean()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean,
                                                            self.dtype)
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            self.count.assign_add(sample_weight.sum())
        else:
            self.count.assign_add(values.shape[0] if values.ndim else 1)

    def result(self):
        count = self.count.value
        value = self.total.value / count if count != 0 else np.zeros((), self.count.value.dtype)
        return ops.convert_to_tensor(np.asarray(value, dtype=self.dtype))


def _is_builtin_loss(fn):
    return fn in losses.LOSS_FUNCTIONS or type(fn) in losses.LOSS_CLASSES


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` over all samples.

    Args:
        fn: the function; it returns one value per sample (e.g. a loss function).
        name: the metric's name; defaults to ``fn.__name__`` (or ``fn.name`` for a
            ``Loss``).
        dtype: the metric's dtype.
        **kwargs: passed on to ``fn`` on every update (and saved in the config).

    Wrapping one of kcore's loss functions (or built-in ``Loss`` objects) makes the
    metric's ``direction`` ``"down"``.

    Example:
        >>> m = kcore.metrics.MeanMetricWrapper(kcore.losses.huber, delta=0.5)
        >>> m.name
        'huber'
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        name = name or getattr(fn, "__name__", None) or getattr(fn, "name", None)
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_builtin_loss(fn):
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=_fold_mask(sample_weight, mask, self.dtype))

    def get_config(self):
        cfg = super().get_config()
        cfg["fn"] = serialization.serialize_keras_object(self._fn)
        cfg.update(serialization.serialize_keras_object(self._fn_kwargs))
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from kcore.metrics import _function_from_config

            config["fn"] = _function_from_config(config["fn"])
        return cls(**config)


class PresetMeanMetricWrapper(MeanMetricWrapper):
    """Built-in wrappers of a fixed function: the config holds ``name``, ``dtype`` and the
    constructor's own arguments (which are ``fn``'s keyword arguments), not ``fn``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(fn, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
