"""Cross-entropies, focal cross-entropies, KL divergence and Poisson: function + class each.

Cross-entropies use the fused ops ``kcore.ops.binary_crossentropy`` /
``categorical_crossentropy`` / ``sparse_categorical_crossentropy``: from logits they are
computed stably (log-sum-exp), from probabilities the predictions are clipped to
``[eps, 1 - eps]`` as in Keras.
"""

import warnings

import numpy as np

from kcore import ops
from kcore.backend import config
from kcore.losses.loss import _KerasLoss


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be an int, got {axis!r} of type bool.")


def _warn_single_class(fn_name, y_pred):
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn_name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=3)


def _smooth_binary(y_true, label_smoothing):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true


def _smooth_categorical(y_true, label_smoothing):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    return y_true


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    ``-(t * log(p) + (1 - t) * log(1 - p))`` with ``t = y_true * (1 - ls) + 0.5 * ls``.

    Example:
        >>> kcore.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        ... # array([0.916, 0.714], dtype=float32)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _smooth_binary(ops.convert_to_tensor(y_true, dtype=y_pred.dtype), label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary focal cross-entropy (Lin et al., 2018), averaged over ``axis``.

    ``(1 - p_t) ** gamma * bce`` with ``p_t = t * p + (1 - t) * (1 - p)``, times
    ``t * alpha + (1 - t) * (1 - alpha)`` when ``apply_class_balancing``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _smooth_binary(ops.convert_to_tensor(y_true, dtype=y_pred.dtype), label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy over ``axis`` for one-hot ``y_true``.

    ``-sum(t * log(p), axis)`` with ``t = y_true * (1 - ls) + ls / num_classes``; ``p`` is
    ``softmax(y_pred)`` from logits, else ``y_pred`` renormalised and clipped.
    """
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """``sum(alpha * (1 - p) ** gamma * -t * log(p), axis)`` with ``p`` normalised and clipped.

    ``alpha`` may be a scalar or one weight per class.
    """
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    eps = config.epsilon()
    output = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    weight = ops.power(1.0 - output, gamma) * ops.convert_to_tensor(alpha, dtype=output.dtype)
    return ops.sum(weight * (-y_true * ops.log(output)), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Categorical cross-entropy for integer labels (shape ``(batch,)`` or ``(batch, 1)``).

    Args:
        y_true: integer (or integral float) class ids.
        y_pred: probabilities or logits over ``axis``.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label value whose entries get a zero loss; the result then carries
            a ``_keras_mask`` so that losses and metrics leave them out of their means.
        axis: the class axis.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.convert_to_numpy(y_true)
    if labels.ndim == len(y_pred.shape) and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    # Labels never carry a gradient; float labels (Loss.__call__ casts to its dtype) become ids.
    labels = labels.astype(np.int64, copy=False)
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits,
                                                   axis=axis)
    valid = labels != ignore_class
    # Ignored entries get label 0 (always in range) and a zero loss; unlike Keras we leave
    # y_pred untouched, so a zeroed probability row cannot put NaN into the gradient.
    res = ops.sparse_categorical_crossentropy(np.where(valid, labels, 0), y_pred,
                                              from_logits=from_logits, axis=axis)
    valid = valid.reshape(res.shape)
    res = ops.where(valid, res, 0.0)
    res._keras_mask = valid
    return res


def kl_divergence(y_true, y_pred):
    """``sum(t * log(t / p), axis=-1)`` with ``t`` and ``p`` clipped to ``[eps, 1]``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


class BinaryCrossentropy(_KerasLoss):
    """Binary cross-entropy: ``mean(-(t log p + (1 - t) log(1 - p)), axis)``.

    Args:
        from_logits: whether ``y_pred`` holds logits (stable fused computation) rather than
            probabilities (clipped to ``[eps, 1 - eps]``).
        label_smoothing: in ``[0, 1]``; labels become ``t * (1 - ls) + 0.5 * ls``.
        axis: the axis averaged over (default ``-1``).
        reduction, name, dtype: as for ``kcore.losses.Loss``.

    Example:
        >>> bce = kcore.losses.BinaryCrossentropy(from_logits=True)
        >>> float(bce([0.0, 1.0, 0.0, 0.0], [-18.6, 0.51, 2.94, -12.8]))  # ~0.8654
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_KerasLoss):
    """Binary focal cross-entropy: ``mean(w * (1 - p_t) ** gamma * bce, axis)``.

    Args:
        apply_class_balancing: weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the class-1 weight (default 0.25).
        gamma: the focusing parameter (default 2.0; 0 gives plain binary cross-entropy).
        from_logits, label_smoothing, axis: as for ``BinaryCrossentropy``.
        reduction, name, dtype: as for ``kcore.losses.Loss``.
    """

    _config_keys = ("apply_class_balancing", "alpha", "gamma", "from_logits",
                    "label_smoothing", "axis")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_KerasLoss):
    """Categorical cross-entropy for one-hot labels: ``-sum(t * log(p), axis)``.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: labels become ``t * (1 - ls) + ls / num_classes``.
        axis: the class axis (default ``-1``).
        reduction, name, dtype: as for ``kcore.losses.Loss``.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_KerasLoss):
    """Categorical focal cross-entropy: ``sum(alpha * (1 - p) ** gamma * -t * log(p), axis)``.

    Args:
        alpha: a scalar or one weight per class (default 0.25).
        gamma: the focusing parameter (default 2.0).
        from_logits, label_smoothing, axis: as for ``CategoricalCrossentropy``.
        reduction, name, dtype: as for ``kcore.losses.Loss``.
    """

    _config_keys = ("alpha", "gamma", "from_logits", "label_smoothing", "axis")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_KerasLoss):
    """Categorical cross-entropy for integer labels: ``-log(p[label])``.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label (e.g. -1 or 255 for "void") whose entries are left out: they
            get zero loss and do not count in the ``sum_over_batch_size`` denominator.
        reduction, name, dtype: as for ``kcore.losses.Loss``.
        axis: the class axis (default ``-1``).

    Example:
        >>> float(kcore.losses.SparseCategoricalCrossentropy()(
        ...     [1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))  # ~1.177
    """

    _config_keys = ("from_logits", "ignore_class")
    _extra_config_defaults = {"axis": -1}

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)


class KLDivergence(_KerasLoss):
    """Kullback-Leibler divergence: ``sum(t * log(t / p), axis=-1)``, inputs clipped to
    ``[eps, 1]``."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(_KerasLoss):
    """Poisson loss: ``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
