"""``MaxAbsoluteError``: a metric published through the ``kcore.metrics`` group."""

from kcore import ops
from kcore.metrics import Metric


class MaxAbsoluteError(Metric):
    """The largest ``|y_true - y_pred|`` seen since the last ``reset_state()``.

    A maximum is not a weighted statistic, so ``sample_weight`` is accepted for
    API compatibility and ignored. The base class's ``reset_state()`` sets the
    state back to 0 at the start of every epoch.

    Args:
        name: name of the metric in the logs.
        dtype: dtype of the result.

    Example:
        >>> m = MaxAbsoluteError()
        >>> m.update_state([[0.0], [1.0]], [[0.5], [0.0]])
        >>> float(m.result())
        1.0
    """

    def __init__(self, name="max_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.max_error = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="max_error")

    def update_state(self, y_true, y_pred, sample_weight=None):
        error = ops.abs(ops.subtract(ops.cast(y_true, self.dtype), ops.cast(y_pred, self.dtype)))
        self.max_error.assign(ops.maximum(self.max_error, ops.max(error)))

    def result(self):
        return ops.cast(self.max_error, self.dtype)
