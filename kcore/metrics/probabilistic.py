"""Cross-entropy metrics: the mean over samples of the corresponding loss function."""

from kcore import losses
from kcore.metrics.reduction import PresetMeanMetricWrapper


class _CrossentropyMetric(PresetMeanMetricWrapper):
    _direction = "down"


class BinaryCrossentropy(_CrossentropyMetric):
    """Mean binary cross-entropy (see ``kcore.losses.binary_crossentropy``).

    Args:
        name: default ``"binary_crossentropy"``.
        dtype: the metric's dtype.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: labels become ``t * (1 - ls) + 0.5 * ls``.

    Example:
        >>> m = kcore.metrics.BinaryCrossentropy()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.8149
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_CrossentropyMetric):
    """Mean categorical cross-entropy for one-hot labels.

    Args:
        name: default ``"categorical_crossentropy"``.
        dtype: the metric's dtype.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: labels become ``t * (1 - ls) + ls / num_classes``.
        axis: the class axis.
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_CrossentropyMetric):
    """Mean categorical cross-entropy for integer labels.

    Args:
        name: default ``"sparse_categorical_crossentropy"``.
        dtype: the metric's dtype.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose entries are left out of the mean.
        axis: the class axis.

    Example:
        >>> m = kcore.metrics.SparseCategoricalCrossentropy()
        >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 4)
        1.1769
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
