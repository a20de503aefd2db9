"""The accuracy family: per-sample functions and the metrics that average them."""

from kcore import ops
from kcore.backend import config
from kcore.losses.loss import squeeze_or_expand_to_same_rank
from kcore.metrics.reduction import PresetMeanMetricWrapper
from kcore.ops.nn import check_class_ids


def _matches(y_true, y_pred):
    return ops.cast(ops.equal(y_true, y_pred), config.floatx())


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred == y_true``, else 0.0, element-wise (``Accuracy`` averages them)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true``, else 0.0, element-wise.

    Example:
        >>> kcore.metrics.binary_accuracy([[1], [0]], [[0.9], [0.8]]).numpy()
        array([[1.], [0.]], dtype=float32)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return _matches(y_true, y_pred)


def categorical_accuracy(y_true, y_pred):
    """Per sample, 1.0 where ``argmax(y_pred) == argmax(y_true)`` (one-hot labels), else 0."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.argmax(ops.convert_to_tensor(y_true), axis=-1), y_pred.dtype)
    true_shape = tuple(y_true.shape)
    reshape = len(y_true.shape) == len(y_pred.shape)
    if reshape:
        y_true = y_true.reshape(true_shape[:-1])
    y_pred = ops.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = ops.cast(y_pred, y_true.dtype)
    matches = _matches(y_true, y_pred)
    return matches.reshape(true_shape) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """Per sample, 1.0 where ``argmax(y_pred) == y_true`` (integer labels), else 0.

    ``y_true`` may have shape ``(batch,)`` or ``(batch, 1)``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    if y_pred.shape and y_true.value.size:
        check_class_ids(y_true.value, y_pred.shape[-1], "sparse_categorical_accuracy")
    true_shape = tuple(y_true.shape)
    reshape = len(true_shape) == len(y_pred.shape) and true_shape[-1] == 1
    if reshape:
        y_true = y_true.reshape(true_shape[:-1])
    y_pred = ops.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = ops.cast(y_pred, y_true.dtype)
    matches = _matches(y_true, y_pred)
    if reshape:
        matches = matches.reshape(true_shape)
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = matches.reshape(tuple(matches.shape[:-1]))
    return matches


class _AccuracyMetric(PresetMeanMetricWrapper):
    _direction = "up"


class Accuracy(_AccuracyMetric):
    """How often ``y_pred`` equals ``y_true`` exactly.

    Example:
        >>> m = kcore.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_AccuracyMetric):
    """How often ``y_pred > threshold`` matches the binary labels.

    Args:
        name: default ``"binary_accuracy"``.
        dtype: the metric's dtype.
        threshold: in ``(0, 1)``; predictions above it count as 1 (default 0.5).

    Example:
        >>> m = kcore.metrics.BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(
                f"Invalid value for argument `threshold` of BinaryAccuracy: {threshold!r}. "
                "Expected a value in the open interval (0, 1)."
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(_AccuracyMetric):
    """How often ``argmax(y_pred)`` matches the one-hot labels' ``argmax``.

    Example:
        >>> m = kcore.metrics.CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(_AccuracyMetric):
    """How often ``argmax(y_pred)`` equals the integer labels.

    Example:
        >>> m = kcore.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)
