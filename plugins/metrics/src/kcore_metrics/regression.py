"""Regression metrics: ``R2Score``, ``CosineSimilarity``, ``LogCoshError``."""

import warnings

import numpy as np

from kcore import config, losses
from kcore.metrics import Metric, MeanMetricWrapper

from kcore_metrics.inputs import as_array, same_rank, to_result

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination ``1 - SS_res / SS_tot``, per target or aggregated.

    Per target column ``j`` (weighted by ``sample_weight``):
    ``SS_res = sum(w * (y - y_hat)^2)``, ``SS_tot = sum(w * y^2) - sum(w * y)^2 / sum(w)``.
    With ``num_regressors = p > 0`` the adjusted score ``1 - (1 - R2) (n - 1) / (n - p - 1)``
    is returned, ``n`` being the number of label entries seen.

    Args:
        class_aggregation: ``"uniform_average"`` (default), ``"variance_weighted_average"``
            (weighted by ``SS_tot``) or ``None`` (an array, one score per target, logged by
            ``fit`` as ``<name>_0``, ``<name>_1``, ...).
        num_regressors: the number of independent regressors for the adjusted R2 (0: plain).
        name: default ``"r2_score"``.
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.R2Score()
        >>> m.update_state([[1], [4], [3]], [[2], [4], [4]])
        >>> round(float(m.result()), 4)
        0.5714
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros",
                                             name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        for attr, name in (("squared_sum", "squared_sum"), ("sum", "sum"),
                           ("total_mse", "residual"), ("count", "count")):
            setattr(self, attr, self.add_variable(shape=(y_pred_shape[-1],),
                                                  initializer="zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch's weighted sums.

        Args:
            y_true: ``(batch, num_targets)`` targets.
            y_pred: ``(batch, num_targets)`` predictions.
            sample_weight: optional ``(batch,)`` or ``(batch, num_targets)`` weights.
        """
        y_true, y_pred = same_rank(as_array(y_true, self.dtype), as_array(y_pred, self.dtype))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        w = np.asarray(1.0 if sample_weight is None else as_array(sample_weight, self.dtype),
                       dtype=self.dtype)
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, y_true.shape)
        weighted = y_true * w
        self.sum.assign_add(np.sum(weighted, axis=0))
        self.squared_sum.assign_add(np.sum(y_true * weighted, axis=0))
        self.total_mse.assign_add(np.sum((y_true - y_pred) ** 2 * w, axis=0))
        self.count.assign_add(np.sum(w, axis=0))
        self.num_samples.assign_add(y_true.size)

    def result(self):
        if not self._built:
            return to_result(0.0, self.dtype)
        total_sum, count = self.sum.numpy(), self.count.numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            total = self.squared_sum.numpy() - total_sum * (total_sum / count)
            raw = 1 - self.total_mse.numpy() / total
        raw = np.where(np.isinf(raw), 0.0, raw).astype(self.dtype)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        return to_result(self._adjusted(score), self.dtype)

    def _adjusted(self, score):
        if self.num_regressors == 0:
            return score
        n, p = float(self.num_samples.numpy()), float(self.num_regressors)
        if p > n - 1:
            warnings.warn("More independent predictors than datapoints in adjusted R2 score. "
                          "Falling back to standard R2 score.", stacklevel=3)
            return score
        if p == n - 1:
            warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard "
                          "R2 score.", stacklevel=3)
            return score
        return 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per sample, the cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``.

    Unlike the loss ``kcore.losses.cosine_similarity`` (its negative), larger is better.

    Example:
        >>> cosine_similarity([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]).round(4)
        array([0., 1.], dtype=float32)
    """
    dtype = getattr(y_pred, "dtype", None)
    floating = dtype is not None and np.issubdtype(np.dtype(str(dtype)), np.floating)
    y_pred = as_array(y_pred, str(dtype) if floating else config.floatx())
    y_true = as_array(y_true, y_pred.dtype)
    y_true, y_pred = same_rank(y_true, y_pred)

    def l2_normalize(x):
        return x / np.sqrt(np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), 1e-12))

    return np.sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions (in ``[-1, 1]``).

    Args:
        name: default ``"cosine_similarity"``.
        dtype: the metric's dtype.
        axis: the axis along which the similarity is computed (default -1).

    Example:
        >>> m = kcore.metrics.CosineSimilarity()
        >>> m.update_state([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])
        >>> round(float(m.result()), 4)
        0.5
    """

    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        # Keras 3.15 leaves `axis` out of the config (a round trip loses it); kcore writes
        # it when it is not the default, so default configs stay identical to Keras's.
        cfg = {"name": self.name, "dtype": self.dtype}
        if self.axis != -1:
            cfg["axis"] = self.axis
        return cfg


class LogCoshError(MeanMetricWrapper):
    """The mean of ``log(cosh(y_pred - y_true))`` over the last axis, averaged over samples.

    Args:
        name: default ``"logcosh"`` (Keras's default; the string alias is
            ``"log_cosh_error"``).
        dtype: the metric's dtype.

    Example:
        >>> m = kcore.metrics.LogCoshError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 4)
        0.1084
    """

    _direction = "down"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
