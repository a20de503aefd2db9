"""``AUC``: the area under the ROC or precision-recall curve, from thresholded counts."""

import numpy as np

from kcore import config
from kcore.metrics import Metric

from kcore_metrics.confusion_counts import confusion_counts, evenly_spaced, prepare
from kcore_metrics.inputs import divide_no_nan, to_result

_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Approximates the area under the ROC or PR curve with a Riemann sum over thresholds.

    Each update adds the batch's weighted TP/FP/TN/FN at every threshold (one
    ``np.bincount`` pass, no loop over thresholds); ``result()`` sums the area between
    consecutive thresholds:

    - ROC: ``sum((FPR_i - FPR_{i+1}) * h_i)`` with ``h_i`` the mean (``"interpolation"``),
      min (``"minoring"``) or max (``"majoring"``) of ``TPR_i`` and ``TPR_{i+1}``;
    - PR, ``"interpolation"``: Davis & Goadrich's interpolation of TP and FP (not of
      precision) between thresholds, integrated in closed form;
    - PR, minoring/majoring: as ROC with recall on x and precision on y.

    Args:
        num_thresholds: number of thresholds (> 1), evenly spaced in ``[0, 1]`` with the end
            points moved out by epsilon so that predictions of exactly 0 or 1 are counted.
        curve: ``"ROC"`` (default) or ``"PR"``.
        summation_method: ``"interpolation"`` (default), ``"minoring"`` or ``"majoring"``.
        name: default ``"auc"``.
        dtype: the metric's dtype.
        thresholds: explicit thresholds in ``[0, 1]`` (``num_thresholds`` is then ignored;
            the epsilon end points are added).
        multi_label: compute one AUC per label (last axis) and average them, instead of
            flattening all label/prediction pairs into one binary problem.
        num_labels: with ``multi_label``, the number of labels (else found at the first
            update).
        label_weights: non-negative per-label weights: the weights of the label AUCs'
            average with ``multi_label``, otherwise weights of each label's predictions.
        from_logits: ``y_pred`` are logits; a sigmoid is applied first.

    Example:
        >>> m = kcore.metrics.AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.75
    """

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        self.curve = _parse_curve(curve)
        self.summation_method = _parse_summation(summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
            self._evenly = evenly_spaced(np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = config.epsilon()
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else np.asarray(label_weights, dtype=self.dtype))
        self._from_logits = bool(from_logits)
        self._num_labels = None
        if self.multi_label:
            if num_labels:
                self._build(num_labels)
        elif num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        else:
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, including the two epsilon end points."""
        return [float(t) for t in self._thresholds]

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds,
                                                                    num_labels)
        self._num_labels = num_labels
        for count in ("true_positives", "false_positives", "true_negatives",
                      "false_negatives"):
            setattr(self, count, self.add_variable(shape=shape, initializer="zeros",
                                                   name=count))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch's weighted confusion counts at every threshold.

        Args:
            y_true: binary labels, same shape as ``y_pred``.
            y_pred: probabilities (or logits with ``from_logits=True``).
            sample_weight: optional weights, one per sample or one per prediction.
        """
        y_true, y_pred, weights = prepare(y_true, y_pred, sample_weight, self.dtype)
        if self.multi_label and self._num_labels is None:
            if y_pred.ndim != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found "
                                 f"rank {y_pred.ndim}, shape {y_pred.shape}.")
            self._build(y_pred.shape[-1])
        if self._from_logits:
            y_pred = (1.0 / (1.0 + np.exp(-y_pred))).astype(self.dtype)
        if self.label_weights is not None and not self.multi_label:
            per_label = np.broadcast_to(self.label_weights, y_pred.shape)
            weights = per_label if weights is None else weights * per_label
        counts = confusion_counts(y_true, y_pred, weights, self._thresholds,
                                  evenly=self._evenly, with_epsilon=True,
                                  multi_label=self.multi_label)
        for variable, count in zip((self.true_positives, self.false_positives,
                                    self.true_negatives, self.false_negatives), counts):
            variable.assign_add(count.astype(self.dtype))

    def result(self):
        tp, fp, tn, fn = (v.numpy() for v in (self.true_positives, self.false_positives,
                                              self.true_negatives, self.false_negatives))
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(tp, fp, fn)
        else:
            recall = divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        return to_result(self._sum_areas(areas), self.dtype)

    def _sum_areas(self, areas):
        if not self.multi_label:
            return np.sum(areas)
        by_label = np.sum(areas, axis=0)
        if self.label_weights is None:
            return np.mean(by_label)
        return divide_no_nan(np.sum(by_label * self.label_weights),
                             np.sum(self.label_weights))

    def get_config(self):
        cfg = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": (None if self.label_weights is None
                              else self.label_weights.tolist()),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            cfg["thresholds"] = self.thresholds[1:-1]
        return cfg


def _interpolated_pr_areas(tp, fp, fn):
    """Per-interval PR areas, TP and P = TP + FP linear between thresholds (Davis & Goadrich).

    Within an interval precision is ``(TP_A + slope * (P - P_A)) / P``; its integral over
    recall is ``slope * (dTP + intercept * log(P_A / P_B)) / (TP + FN)`` in closed form.
    """
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = divide_no_nan(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    both_positive = (p[:-1] > 0) & (p[1:] > 0)
    p_ratio = np.where(both_positive, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
    p_ratio = p_ratio.astype(tp.dtype)
    return divide_no_nan(slope * (dtp + intercept * np.log(p_ratio)),
                         np.maximum(tp[1:] + fn[1:], 0))


def _parse_curve(curve):
    name = getattr(curve, "value", curve)
    if not isinstance(name, str) or name.lower() not in _CURVES:
        raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                         '["PR", "ROC"]')
    return _CURVES[name.lower()]


def _parse_summation(method):
    name = getattr(method, "value", method)
    if not isinstance(name, str) or name.lower() not in _SUMMATIONS:
        raise ValueError(f'Invalid AUC summation method value: "{method}". Expected values '
                         'are ["interpolation", "majoring", "minoring"]')
    return name.lower()
