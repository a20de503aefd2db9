"""Hinge losses (maximum-margin classification): function + class each.

``hinge`` and ``squared_hinge`` expect labels in ``{-1, 1}``; when every label is 0 or 1 they
are converted with ``2 * y_true - 1`` first, as in Keras.
"""

import numpy as np

from kcore import ops
from kcore.losses.loss import _KerasLoss


def convert_binary_labels_to_hinge(y_true):
    """Maps ``{0, 1}`` labels to ``{-1, 1}``; other labels are returned unchanged."""
    values = ops.convert_to_numpy(y_true)
    if np.all((values == 0) | (values == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _prepare(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.convert_to_tensor(y_true, dtype=y_pred.dtype), y_pred


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Example:
        >>> kcore.losses.hinge([[0.0, 1.0]], [[0.3, 0.8]]).numpy()  # labels -> [-1, 1]
        array([0.75], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred, -1)`` and
    ``neg = max((1 - y_true) * y_pred, -1)``, for one-hot ``y_true``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


class Hinge(_KerasLoss):
    """Hinge loss: ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels become -1/1."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_KerasLoss):
    """Squared hinge: ``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_KerasLoss):
    """Categorical hinge: ``maximum(neg - pos + 1, 0)`` (see ``categorical_hinge``)."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
