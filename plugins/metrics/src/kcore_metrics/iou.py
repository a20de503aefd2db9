"""Intersection-over-union metrics from a weighted confusion matrix.

``IoU_c = TP_c / (TP_c + FP_c + FN_c)``; the metrics return the mean over target classes
whose denominator is non-zero. The confusion matrix (rows: true class, columns: predicted
class) is accumulated with one ``np.bincount`` per batch.

Unlike Keras 3.15, whose default integer confusion matrix truncates fractional sample
weights (a weight of 0.5 counts as 0), kcore always accumulates in floating point, as
newer Keras versions do. A Keras config with ``dtype="int64"`` is accepted; the result is
then ``float32``.
"""

import numpy as np

from kcore import config
from kcore.metrics import Metric

from kcore_metrics.inputs import as_array, broadcast_weights, to_result


class IoU(Metric):
    """The mean intersection-over-union of the classes in ``target_class_ids``.

    Args:
        num_classes: the number of classes (the confusion matrix is square of this size).
        target_class_ids: the classes to average over; one id gives that class's IoU.
        name: default ``"io_u"`` (Keras's snake_case of the class name).
        dtype: the metric's dtype.
        ignore_class: a label value (e.g. -1 or 255) whose pixels/samples are ignored.
        sparse_y_true: labels are class ids; ``False`` takes the ``argmax`` over ``axis``.
        sparse_y_pred: predictions are class ids; ``False`` takes the ``argmax``.
        axis: the class axis for the ``argmax`` (default -1).

    Example:
        >>> m = kcore.metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    _direction = "up"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, "
                             f"which is [0, {num_classes}).")
        self.num_classes = int(num_classes)
        self.target_class_ids = [int(c) for c in target_class_ids]
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self._result_dtype = (self.dtype if np.issubdtype(np.dtype(self.dtype), np.floating)
                              else "float32")
        # float64 counts stay exact far beyond float32's 2**24 (16.7M pixels).
        self.total_cm = self.add_variable(shape=(num_classes, num_classes),
                                          initializer="zeros", dtype="float64",
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch to the confusion matrix.

        Args:
            y_true: class ids (or one-hot with ``sparse_y_true=False``), any shape.
            y_pred: class ids (or scores with ``sparse_y_pred=False``), same size.
            sample_weight: optional weights, one per sample or one per label entry.
        """
        y_true = as_array(y_true, None)
        y_pred = as_array(y_pred, None)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        w = (np.ones(y_true.shape) if sample_weight is None
             else broadcast_weights(sample_weight, y_true.shape, np.float64))
        y_true = y_true.reshape(-1).astype(np.int64)
        y_pred = y_pred.reshape(-1).astype(np.int64)
        if y_true.size != y_pred.size:
            raise ValueError(f"{type(self).__name__}: y_true has {y_true.size} labels but "
                             f"y_pred has {y_pred.size} predictions after flattening.")
        w = w.reshape(-1)
        if self.ignore_class is not None:
            valid = y_true != self.ignore_class
            y_true, y_pred, w = y_true * valid, y_pred * valid, w * valid
        self._check_range(y_true, "y_true")
        self._check_range(y_pred, "y_pred")
        n = self.num_classes
        cm = np.bincount(y_true * n + y_pred, weights=w, minlength=n * n).reshape(n, n)
        self.total_cm.assign_add(cm)

    def _check_range(self, ids, what):
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_classes):
            bad = ids[(ids < 0) | (ids >= self.num_classes)][0]
            raise ValueError(
                f"{type(self).__name__}(num_classes={self.num_classes}) got class id {bad} "
                f"in {what}; ids must be in [0, {self.num_classes}). Use ignore_class for "
                "a void label, or increase num_classes.")

    def _class_ious(self):
        cm = self.total_cm.numpy()
        tp = np.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        return tp, denominator

    def result(self):
        tp, denominator = self._class_ious()
        ids = self.target_class_ids
        tp, denominator = tp[ids], denominator[ids]
        valid = np.sum(denominator > 1e-9)
        eps = config.epsilon()
        iou = tp / (denominator + eps)
        return to_result(np.sum(iou) / (valid + eps), self._result_dtype)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1, the others class 0.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (default: the mean of both).
        threshold: the decision threshold (default 0.5).
        name: default ``"binary_io_u"``.
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred, np.float32) >= self.threshold
        super().update_state(y_true, y_pred.astype(np.int64), sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those never seen are skipped).

    Args: as ``IoU`` without ``target_class_ids``; ``name`` defaults to ``"mean_io_u"``.

    Example:
        >>> m = kcore.metrics.MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        cfg = super().get_config()
        del cfg["target_class_ids"]
        return cfg


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels: both labels and scores go through ``argmax`` first.

    Args: as ``IoU``, without ``sparse_y_true``; ``sparse_y_pred`` defaults to ``False``;
    ``name`` defaults to ``"one_hot_io_u"``.

    Example:
        >>> m = kcore.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7]])
        >>> round(float(m.result()), 4)
        0.25
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids,
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        cfg = super().get_config()
        del cfg["sparse_y_true"]
        return cfg


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels: both labels and scores go through ``argmax`` first.

    Args: as ``MeanIoU``, without ``sparse_y_true``; ``sparse_y_pred`` defaults to
    ``False``; ``name`` defaults to ``"one_hot_mean_io_u"``.

    Example:
        >>> m = kcore.metrics.OneHotMeanIoU(num_classes=3)
        >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7]])
        >>> round(float(m.result()), 4)
        0.25
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        cfg = super().get_config()
        del cfg["sparse_y_true"]
        return cfg
