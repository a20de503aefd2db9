"""Regression losses: each function next to its ``Loss`` class.

Functions return one value per sample: the mean over the last axis (``cosine_similarity``:
the sum over ``axis``). All are built from ``kcore.ops``, so gradients flow through them.
"""

from kcore import ops
from kcore.backend import config
from kcore.losses.loss import _KerasLoss, squeeze_or_expand_to_same_rank


def _prepare(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``.

    Example:
        >>> kcore.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
        array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    denom = ops.maximum(ops.abs(y_true), config.epsilon())
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / denom), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    diff = ops.log(ops.maximum(y_pred, eps) + 1.0) - ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(diff), axis=-1)


def _l2_normalize(x, axis):
    # x / max(||x||, eps), written as x * rsqrt(max(sum x^2, eps^2)) so that a zero vector
    # has a finite gradient (as keras.ops.normalize).
    eps = config.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, eps * eps))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)``.

    In ``[-1, 1]``; -1 means the vectors point the same way, 0 that they are orthogonal (or
    one of them is zero).
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Mean over the last axis of ``0.5 * e**2`` if ``|e| <= delta``, else
    ``delta * |e| - 0.5 * delta**2``, with ``e = y_pred - y_true``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Computed as ``x + softplus(-2x) - log(2)``, which never overflows.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


class MeanSquaredError(_KerasLoss):
    """Mean of squared errors: ``loss = mean(square(y_true - y_pred), axis=-1)``.

    Args:
        reduction, name, dtype: as for ``kcore.losses.Loss``.

    Example:
        >>> float(kcore.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_KerasLoss):
    """Mean of absolute errors: ``loss = mean(abs(y_true - y_pred), axis=-1)``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_KerasLoss):
    """``loss = 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), eps)), axis=-1)``."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(_KerasLoss):
    """``loss = mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)`` (inputs ≥ eps)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class CosineSimilarity(_KerasLoss):
    """``loss = -sum(l2_norm(y_true) * l2_norm(y_pred), axis=axis)``.

    Args:
        axis: the features axis (default ``-1``).
        reduction, name, dtype: as for ``kcore.losses.Loss``.
    """

    _extra_config_defaults = {"axis": -1}

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)


class Huber(_KerasLoss):
    """Huber loss: quadratic for ``|e| <= delta``, linear beyond.

    ``loss = mean(where(|e| <= delta, 0.5 * e**2, delta * |e| - 0.5 * delta**2), axis=-1)``
    with ``e = y_pred - y_true``.

    Args:
        delta: where the loss changes from quadratic to linear (default 1.0).
        reduction, name, dtype: as for ``kcore.losses.Loss``.
    """

    _extra_config_defaults = {"delta": 1.0}

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_KerasLoss):
    """``loss = mean(log(cosh(y_pred - y_true)), axis=-1)``."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)
