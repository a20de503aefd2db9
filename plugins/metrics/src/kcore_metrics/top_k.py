"""Top-k accuracies: is the true class among the ``k`` highest-scored classes?"""

import numpy as np

from kcore import config
from kcore.metrics import MeanMetricWrapper

from kcore_metrics.inputs import as_array


def _in_top_k(targets, scores, k):
    """Per row, whether ``scores[target]`` is among the ``k`` largest scores.

    Ties at the boundary count as in (as ``tf.math.in_top_k``): the target is in the top
    ``k`` when fewer than ``k`` classes score strictly higher. A non-finite target score is
    never in.
    """
    target_scores = np.take_along_axis(scores, targets[:, None], axis=-1)
    higher = np.sum(scores > target_scores, axis=-1)
    return (higher < k) & np.isfinite(target_scores[:, 0])


def _matches_to_labels_shape(matches, labels_shape):
    return matches.astype(config.floatx()).reshape(labels_shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample, 1.0 if the one-hot label's class is in ``y_pred``'s top ``k``, else 0.

    Example:
        >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
        ...                            [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
        array([0., 1.], dtype=float32)
    """
    y_pred = as_array(y_pred, config.floatx())
    labels = np.argmax(as_array(y_true, None), axis=-1)
    scores = y_pred.reshape(-1, y_pred.shape[-1])
    matches = _in_top_k(labels.reshape(-1).astype(np.int64), scores, k)
    return _matches_to_labels_shape(matches, labels.shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Per sample, 1.0 if the integer label is in ``y_pred``'s top ``k``, else 0.

    Args:
        y_true: integer labels, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: scores ``(batch, num_classes)``, or with ``from_sorted_ids=True`` class ids
            already sorted by decreasing score ``(batch, >= k)`` (e.g. from ``top_k``).
        k: how many top classes count.
        from_sorted_ids: see ``y_pred``.

    Example:
        >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
        array([0., 1.], dtype=float32)
    """
    y_pred = as_array(y_pred, None if from_sorted_ids else config.floatx())
    labels = as_array(y_true, None)
    flat = y_pred.reshape(-1, y_pred.shape[-1])
    targets = labels.reshape(-1)
    if not from_sorted_ids and targets.size and (
            targets.min() < 0 or targets.max() >= flat.shape[-1]):
        raise ValueError(
            f"sparse_top_k_categorical_accuracy expects integer class labels in "
            f"[0, {flat.shape[-1]}) for predictions with {flat.shape[-1]} classes; received "
            f"labels from {targets.min():g} to {targets.max():g}. Fix the labels or the "
            f"number of units of the last layer.")
    if from_sorted_ids:
        matches = np.any(flat[:, :k] == targets.astype(flat.dtype)[:, None], axis=1)
    else:
        matches = _in_top_k(targets.astype(np.int64), flat, k)
    return _matches_to_labels_shape(matches, labels.shape)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    Args:
        k: how many top classes count (default 5).
        name: default ``"top_k_categorical_accuracy"``.
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many top classes count (default 5).
        name: default ``"sparse_top_k_categorical_accuracy"``.
        dtype: the metric's dtype.
        from_sorted_ids: ``y_pred`` holds class ids sorted by decreasing score rather than
            scores.

    Example:
        >>> m = kcore.metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        # Keras 3.15 leaves `from_sorted_ids` out of the config (a round trip loses it);
        # kcore writes it when it is set, so default configs stay identical to Keras's.
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg
