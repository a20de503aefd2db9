"""Thresholded confusion counts and the ratios built on them: TP/FP/TN/FN, Precision, Recall.

A prediction is positive at threshold ``t`` when ``y_pred > t``; a label is positive when
it is non-zero. With a list of thresholds the result is one value per threshold (an array,
which ``fit`` logs as ``<name>_0``, ``<name>_1``, ...).
"""

import numpy as np

from kcore.metrics import Metric

from kcore_metrics.confusion_counts import (NEG_INF, confusion_counts, evenly_spaced,
                                            parse_thresholds, prepare)
from kcore_metrics.inputs import divide_no_nan, to_result


class _ThresholdedMetric(Metric):
    """Accumulates the confusion counts named in ``_counts`` at ``self.thresholds``."""

    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default)
        self._evenly = evenly_spaced(self.thresholds)
        for count in self._counts:
            setattr(self, count, self.add_variable(
                shape=(len(self.thresholds),), initializer="zeros", name=count))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch's weighted counts.

        Args:
            y_true: labels, same shape as ``y_pred`` (cast to bool).
            y_pred: predictions, usually probabilities in ``[0, 1]``.
            sample_weight: optional weights, one per sample or one per prediction.
        """
        y_true, y_pred, weights = prepare(y_true, y_pred, sample_weight, self.dtype,
                                          top_k=self.top_k, class_id=self.class_id)
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, weights, self.thresholds,
                                          evenly=self._evenly)
        counts = {"true_positives": tp, "false_positives": fp, "true_negatives": tn,
                  "false_negatives": fn}
        for name in self._counts:
            getattr(self, name).assign_add(counts[name].astype(self.dtype))

    def _per_threshold(self, values):
        values = np.asarray(values, dtype=self.dtype)
        return to_result(values[0] if len(self.thresholds) == 1 else values, self.dtype)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class _ConfusionCount(_ThresholdedMetric):
    """One confusion count. Keras gives these no direction: ``mode="auto"`` cannot be used
    to monitor them (more true positives is better, more false ones worse)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self):
        return self._per_threshold(getattr(self, self._counts[0]).numpy())

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of true positives: ``y_true`` and ``y_pred > threshold``.

    Args:
        thresholds: a float or a list of floats in ``[0, 1]`` (default 0.5); with a list,
            ``result()`` is one count per threshold.
        name: default ``"true_positives"``.
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _counts = ("true_positives",)


class FalsePositives(_ConfusionCount):
    """The (weighted) number of false positives: ``not y_true`` and ``y_pred > threshold``.

    Example:
        >>> m = kcore.metrics.FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _counts = ("false_positives",)


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of true negatives: ``not y_true`` and ``y_pred <= threshold``.

    Example:
        >>> m = kcore.metrics.TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _counts = ("true_negatives",)


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of false negatives: ``y_true`` and ``y_pred <= threshold``.

    Example:
        >>> m = kcore.metrics.FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _counts = ("false_negatives",)


class Precision(_ThresholdedMetric):
    """``TP / (TP + FP)``: the fraction of positive predictions that are right.

    Args:
        thresholds: a float or a list of floats in ``[0, 1]``; with a list, ``result()``
            has one value per threshold. Default 0.5, or (with ``top_k``) no threshold.
            Use ``thresholds=0`` for a model that outputs logits.
        top_k: only each sample's ``top_k`` highest predictions can be positive.
        class_id: compute the metric for this column (class) of ``y_pred`` only.
        name: default ``"precision"``.
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _direction = "up"
    _counts = ("true_positives", "false_positives")

    def result(self):
        tp = self.true_positives.numpy()
        return self._per_threshold(divide_no_nan(tp, tp + self.false_positives.numpy()))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(_ThresholdedMetric):
    """``TP / (TP + FN)``: the fraction of positive labels that are predicted positive.

    Args: as ``Precision``; ``name`` defaults to ``"recall"``.

    Example:
        >>> m = kcore.metrics.Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _direction = "up"
    _counts = ("true_positives", "false_negatives")

    def result(self):
        tp = self.true_positives.numpy()
        return self._per_threshold(divide_no_nan(tp, tp + self.false_negatives.numpy()))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}
