"""``FBetaScore`` and ``F1Score`` for multi-class and multi-label classification."""

import numpy as np

from kcore import config
from kcore.metrics import Metric

from kcore_metrics.inputs import as_array, to_result

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score: ``(1 + b^2) * P * R / (b^2 * P + R)``, per class or averaged.

    ``y_pred`` is binarised first: entries ``> threshold``, or (``threshold=None``) each
    row's maximum (unless it is 0), count as predicted positives. Per class (column) the
    weighted TP, FP and FN are accumulated; ``P = TP / (TP + FP + eps)``,
    ``R = TP / (TP + FN + eps)``.

    Args:
        average: ``None`` (default: ``result()`` is an array with one score per class,
            logged by ``fit`` as ``<name>_0``, ``<name>_1``, ...), ``"micro"`` (counts
            summed over classes first), ``"macro"`` (unweighted mean of the class scores)
            or ``"weighted"`` (mean weighted by each class's support).
        beta: a positive Python float, the weight of recall (default 1.0).
        threshold: a Python float in ``(0, 1]``, or ``None`` for the row-wise argmax.
        name: default ``"fbeta_score"``.
        dtype: the metric's dtype.

    Inputs are 2-D: ``y_true`` and ``y_pred`` of shape ``(batch, num_classes)``.

    Example:
        >>> m = kcore.metrics.FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().numpy().round(4)
        array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError("Invalid `average` argument value. Expected one of: {None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError("Invalid `beta` argument value. It should be a Python float "
                             f"> 0. Received: beta={beta!r} of type {type(beta).__name__!r}")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError("Invalid `threshold` argument value. It should be a Python "
                             f"float with 0 < threshold <= 1. Received: threshold={threshold!r}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape "
                             "(batch_size, output_dim). Received input shapes: "
                             f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for count in ("true_positives", "false_positives", "false_negatives",
                      "intermediate_weights"):
            setattr(self, count, self.add_variable(shape=shape, initializer="zeros",
                                                   dtype=self.dtype, name=count))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch's weighted per-class TP, FP, FN and support.

        Args:
            y_true: ``(batch, num_classes)`` binary (one-hot or multi-hot) labels.
            y_pred: ``(batch, num_classes)`` scores.
            sample_weight: optional ``(batch,)`` weights.
        """
        y_true = as_array(y_true, self.dtype)
        y_pred = as_array(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            row_max = np.max(y_pred, axis=-1, keepdims=True)
            # A row of zeros must not become a row of ones.
            predicted = (y_pred >= row_max) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        w = None if sample_weight is None else as_array(sample_weight, self.dtype)

        def weighted_sum(values):
            if w is not None:
                values = values * np.expand_dims(w, 1)
            return np.sum(values, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(predicted * y_true))
        self.false_positives.assign_add(weighted_sum(predicted * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - predicted) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return to_result(0.0, self.dtype)
        eps = np.asarray(config.epsilon(), dtype=self.dtype)
        tp, fp, fn = (v.numpy() for v in (self.true_positives, self.false_positives,
                                          self.false_negatives))
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            support = self.intermediate_weights.numpy()
            score = np.sum(score * support / (np.sum(support) + eps))
        elif self.average is not None:
            score = np.mean(score)
        return to_result(score, self.dtype)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score ``2 * P * R / (P + R)``: ``FBetaScore`` with ``beta=1``.

    Args: ``average``, ``threshold``, ``name`` (default ``"f1_score"``) and ``dtype``, as
    for ``FBetaScore``.

    Example:
        >>> m = kcore.metrics.F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> [round(float(v), 4) for v in m.result().numpy()]
        [0.5, 0.8, 0.6667]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        cfg = super().get_config()
        del cfg["beta"]
        return cfg
