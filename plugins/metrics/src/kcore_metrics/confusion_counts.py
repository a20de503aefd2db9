"""Weighted confusion counts at many thresholds in one pass: no loop over thresholds.

A prediction ``p`` is positive at threshold ``t`` when ``p > t``. Over sorted thresholds
``t_0 < ... < t_{T-1}``, ``p`` is positive exactly at the first ``k(p)`` of them, where
``k(p)`` is the number of thresholds below ``p``. So one weighted histogram of ``k`` over
``0..T`` (``np.bincount``) and a reversed cumulative sum give every threshold's count:
``TP(t_i) = sum of true-label weights with k > i``. That is O(n log T) with
``np.searchsorted`` for arbitrary thresholds, and O(n + T) for evenly spaced ones
(``k = ceil(p * (T - 1))``, the bucket rule Keras uses, reproduced in the same float
precision so the counts equal Keras's).
"""

import numpy as np

from kcore import config

from kcore_metrics.inputs import as_array, broadcast_weights, same_rank

#: The threshold that ``top_k`` metrics compare against (Keras's ``NEG_INF``).
NEG_INF = -1e10


def parse_thresholds(thresholds, default):
    """``thresholds`` (``None``, a float or a list) as a list of floats in ``[0, 1]``.

    Raises:
        ValueError: a threshold is outside ``[0, 1]``.
    """
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or not 0 <= t <= 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


def evenly_spaced(thresholds):
    """Whether ``thresholds`` are ``0, 1/(T-1), ..., 1`` (Keras's test, ``T >= 3``)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def prepare(y_true, y_pred, sample_weight, dtype, top_k=None, class_id=None):
    """Labels, predictions and weights of one batch as same-shape numpy arrays.

    ``top_k`` keeps each row's ``k`` largest predictions and sets the others to
    ``NEG_INF``; ``class_id`` keeps only that column (a trailing axis of size 1 remains).

    Returns:
        ``(y_true, y_pred, weights)``; ``weights`` is ``None`` when ``sample_weight`` is.
    """
    y_true = as_array(y_true, dtype)
    y_pred = as_array(y_pred, dtype)
    y_pred, y_true = same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same shape, got {y_true.shape} and "
            f"{y_pred.shape}. Binary/multi-label metrics take one label per prediction; for "
            "integer class labels use a sparse metric or one-hot encode them."
        )
    weights = broadcast_weights(sample_weight, y_true.shape, dtype)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {y_pred.shape}"
            )
        keep = (Ellipsis, slice(class_id, class_id + 1))
        y_true, y_pred = y_true[keep], y_pred[keep]
        weights = None if weights is None else weights[keep]
    return y_true, y_pred, weights


def filter_top_k(x, k):
    """``x`` with all but the ``k`` largest entries of its last axis set to ``NEG_INF``.

    Ties keep the lower index, as ``top_k`` does.
    """
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, x, np.asarray(NEG_INF, dtype=x.dtype))


def _thresholds_exceeded(y_pred, thresholds, evenly, with_epsilon):
    """Per prediction, ``k``: it is positive at the first ``k`` thresholds (sorted order)."""
    n = len(thresholds)
    if evenly:
        p = np.clip(y_pred, 0.0, 1.0)
        # Keras's bucket ceil(p * (T - 1)) - 1, in the predictions' precision: a prediction
        # equal to a threshold is not above it. With the +-epsilon end thresholds of AUC,
        # p = 0 still exceeds the first one.
        np.multiply(p, np.asarray(n - 1, dtype=p.dtype), out=p)
        k = np.ceil(p, out=p).astype(np.int64)
        if with_epsilon:
            np.maximum(k, 1, out=k)
        return k
    return np.searchsorted(thresholds, y_pred, side="left")


def confusion_counts(y_true, y_pred, weights, thresholds, *, evenly=False,
                     with_epsilon=False, multi_label=False):
    """Weighted TP, FP, TN, FN of ``y_pred > t`` for every threshold ``t``.

    Args:
        y_true: labels, same shape as ``y_pred``; non-zero means positive.
        y_pred: predictions.
        weights: per-prediction weights of the same shape, or ``None`` (all 1).
        thresholds: the thresholds, in any order.
        evenly: the thresholds are ``evenly_spaced`` (possibly with the end points moved
            out by epsilon, ``with_epsilon``); uses Keras's O(n) bucket rule.
        multi_label: count each label (last axis) separately.

    Returns:
        ``(tp, fp, tn, fn)``, float64 arrays of shape ``(T,)``, or ``(T, num_labels)``
        with ``multi_label``, in the order of ``thresholds``.
    """
    thresholds = np.asarray(thresholds, dtype=y_pred.dtype)
    order = None
    if not evenly and np.any(np.diff(thresholds) < 0):
        order = np.argsort(thresholds, kind="stable")
        thresholds = thresholds[order]
    n = len(thresholds)
    k = _thresholds_exceeded(y_pred, thresholds, evenly, with_epsilon)
    # One histogram of k over 2 * (n + 1) bins: negatives' k first, then positives'.
    np.add(k, n + 1, out=k, where=y_true != 0)
    labels = y_pred.shape[-1] if multi_label else 1
    if multi_label:
        k = k.reshape(-1, labels) + np.arange(labels) * (2 * (n + 1))
    hist = np.bincount(k.ravel(), minlength=2 * (n + 1) * labels,
                       weights=None if weights is None else weights.ravel())
    hist = hist.astype(np.float64).reshape(labels, 2, n + 1).transpose(1, 2, 0)
    false_hist, true_hist = (h if multi_label else h[:, 0] for h in hist)
    # Count at threshold i = weight of the predictions above it = sum over k > i.
    tp = np.cumsum(true_hist[::-1], axis=0)[::-1][1:]
    fp = np.cumsum(false_hist[::-1], axis=0)[::-1][1:]
    fn = true_hist.sum(axis=0) - tp
    tn = false_hist.sum(axis=0) - fp
    if order is not None:
        unsorted = [np.empty_like(c) for c in (tp, fp, tn, fn)]
        for out, counts in zip(unsorted, (tp, fp, tn, fn)):
            out[order] = counts
        tp, fp, tn, fn = unsorted
    return tp, fp, tn, fn
