"""Metrics at an operating point: the best value of one rate where another meets a target.

``PrecisionAtRecall``, ``RecallAtPrecision``, ``SensitivityAtSpecificity`` and
``SpecificityAtSensitivity`` accumulate TP/FP/TN/FN at ``num_thresholds`` evenly spaced
thresholds in ``[0, 1]`` and return the largest value of the dependent rate among the
thresholds where the constrained rate is ``>=`` the target (0 when none qualifies).
"""

import numpy as np

from kcore.metrics import Metric

from kcore_metrics.confusion_counts import confusion_counts, prepare
from kcore_metrics.inputs import divide_no_nan, to_result


class _OperatingPointMetric(Metric):
    """Shared state and update of the four operating-point metrics.

    Subclasses name their target argument in ``_target`` and choose the rates in
    ``_rates(tp, fp, tn, fn) -> (constrained, dependent)``.
    """

    _direction = "up"
    _target = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self._target}` must be in the range [0, 1]. "
                             f"Received: {self._target}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._target, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0] + inner + [1.0], True
        for count in ("true_positives", "false_positives", "true_negatives",
                      "false_negatives"):
            setattr(self, count, self.add_variable(shape=(len(self.thresholds),),
                                                   initializer="zeros", name=count))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch's weighted confusion counts at every threshold.

        Args:
            y_true: binary labels, same shape as ``y_pred``.
            y_pred: probabilities in ``[0, 1]``.
            sample_weight: optional weights, one per sample or one per prediction.
        """
        y_true, y_pred, weights = prepare(y_true, y_pred, sample_weight, self.dtype,
                                          class_id=self.class_id)
        counts = confusion_counts(y_true, y_pred, weights, self.thresholds,
                                  evenly=self._evenly)
        for variable, count in zip((self.true_positives, self.false_positives,
                                    self.true_negatives, self.false_negatives), counts):
            variable.assign_add(count.astype(self.dtype))

    def result(self):
        counts = (v.numpy() for v in (self.true_positives, self.false_positives,
                                      self.true_negatives, self.false_negatives))
        constrained, dependent = self._rates(*counts)
        feasible = constrained >= np.asarray(self.value, dtype=constrained.dtype)
        best = np.max(dependent[feasible], initial=0.0) if feasible.any() else 0.0
        return to_result(best, self.dtype)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._target: self.value}


def _recall(tp, fp, tn, fn):
    return divide_no_nan(tp, tp + fn)


def _precision(tp, fp, tn, fn):
    return divide_no_nan(tp, tp + fp)


def _specificity(tp, fp, tn, fn):
    return divide_no_nan(tn, tn + fp)


class SensitivityAtSpecificity(_OperatingPointMetric):
    """The best sensitivity ``TP / (TP + FN)`` where specificity ``TN / (TN + FP)`` is at
    least ``specificity``.

    Args:
        specificity: the target, in ``[0, 1]``.
        num_thresholds: number of evenly spaced thresholds in ``[0, 1]`` (default 200).
        class_id: compute the metric for this column of ``y_pred`` only.
        name: default ``"sensitivity_at_specificity"``.
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _target = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None,
                 dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def _rates(self, *counts):
        return _specificity(*counts), _recall(*counts)


class SpecificityAtSensitivity(_OperatingPointMetric):
    """The best specificity where sensitivity is at least ``sensitivity``.

    Args: as ``SensitivityAtSpecificity``, with the target ``sensitivity``.

    Example:
        >>> m = kcore.metrics.SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _target = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None,
                 dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def _rates(self, *counts):
        return _recall(*counts), _specificity(*counts)


class PrecisionAtRecall(_OperatingPointMetric):
    """The best precision where recall is at least ``recall``.

    Args: as ``SensitivityAtSpecificity``, with the target ``recall``.

    Example:
        >>> m = kcore.metrics.PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _target = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def _rates(self, *counts):
        return _recall(*counts), _precision(*counts)


class RecallAtPrecision(_OperatingPointMetric):
    """The best recall where precision is at least ``precision`` (0 if unreachable).

    Args: as ``SensitivityAtSpecificity``, with the target ``precision``.

    Example:
        >>> m = kcore.metrics.RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.5
    """

    _target = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def _rates(self, *counts):
        return _precision(*counts), _recall(*counts)
