"""Error metrics: the mean of a regression loss over all samples, and the root mean square."""

import numpy as np

from kcore import losses, ops
from kcore.losses.loss import squeeze_or_expand_to_same_rank
from kcore.metrics.reduction import Mean, PresetMeanMetricWrapper


class _ErrorMetric(PresetMeanMetricWrapper):
    _direction = "down"


class MeanSquaredError(_ErrorMetric):
    """Mean over samples of ``mean(square(y_true - y_pred), axis=-1)``.

    Example:
        >>> m = kcore.metrics.MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_ErrorMetric):
    """Mean over samples of ``mean(abs(y_true - y_pred), axis=-1)``."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_ErrorMetric):
    """Mean over samples of ``100 * mean(abs((y_true - y_pred) / y_true), axis=-1)``."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_ErrorMetric):
    """Mean over samples of ``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_pred - y_true)))`` over every entry seen (weighted per sample).

    Example:
        >>> m = kcore.metrics.RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.5
    """

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = np.asarray(ops.convert_to_numpy(y_true), dtype=self.dtype)
        y_pred = np.asarray(ops.convert_to_numpy(y_pred), dtype=self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return ops.convert_to_tensor(np.sqrt(ops.convert_to_numpy(super().result())))
