"""The ``Metric`` base class: state held in non-trainable variables, Keras 3's contract.

A metric accumulates statistics in ``update_state`` (called once per batch, outside any
``GradientTape``) and computes its value from them in ``result``. ``reset_state`` zeros every
variable (``fit`` calls it at the start of each epoch).
"""

import numpy as np

from kcore.backend import config
from kcore.backend.tensor import Variable
from kcore import initializers
from kcore.losses.loss import auto_name

def _initial_value(initializer, shape, dtype):
    if initializer is None:
        initializer = "zeros"
    if isinstance(initializer, str):
        initializer = initializers.get(initializer)
    if callable(initializer):
        return np.asarray(initializer(tuple(shape), dtype=dtype), dtype=dtype)
    return np.broadcast_to(np.asarray(initializer, dtype=dtype), shape)


class Metric:
    """Base class of all metrics.

    Subclasses create their state with ``add_variable`` in ``__init__`` (after calling
    ``super().__init__()``), update it in ``update_state`` and compute the value in
    ``result``.

    Args:
        dtype: the dtype of the state and of the result; defaults to ``floatx()``.
        name: the metric's name; defaults to the snake_case class name, made unique
            (``"my_metric"``, ``"my_metric_1"``, ...).

    ``direction`` (read-only, a kcore extension of Keras's private ``_direction``) is
    ``"up"`` when a larger value is better, ``"down"`` when a smaller one is, ``None`` when
    the metric does not say; callbacks in ``mode="auto"`` use it.

    Example:
        >>> class BinaryTruePositives(kcore.metrics.Metric):
        ...     def __init__(self, name="binary_true_positives", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.true_positives = self.add_variable(
        ...             shape=(), initializer="zeros", name="true_positives")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         values = kcore.ops.logical_and(kcore.ops.cast(y_true, "bool"),
        ...                                        kcore.ops.cast(y_pred, "bool"))
        ...         self.true_positives.assign_add(
        ...             kcore.ops.sum(kcore.ops.cast(values, self.dtype)))
        ...     def result(self):
        ...         return self.true_positives
    """

    _direction = None

    def __init__(self, dtype=None, name=None):
        self.name = name or auto_name(type(self).__name__)
        self._dtype = config.standardize_dtype(getattr(dtype, "compute_dtype", dtype))
        self._variables = []
        self._metrics = []

    def __setattr__(self, name, value):
        # Metrics assigned as attributes are tracked so that ``variables`` includes theirs.
        tracked = self.__dict__.get("_metrics")
        if tracked is not None and isinstance(value, Metric) and value is not self:
            if not any(m is value for m in tracked):
                tracked.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"You forgot to call `super().__init__()` in the `__init__()` method of "
                f"{type(self).__name__}. Go add it!"
            )

    @property
    def dtype(self):
        """The metric's dtype, e.g. ``"float32"``."""
        return self._dtype

    @property
    def direction(self):
        """``"up"``, ``"down"`` or ``None``: which way is better for this metric."""
        return self._direction

    @property
    def variables(self):
        """The state variables: this metric's, then those of metrics it holds."""
        self._check_super_called()
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable and tracks it.

        Args:
            shape: the variable's shape, e.g. ``()``.
            initializer: ``"zeros"``, ``"ones"``, an initializer name or object, or a value.
            dtype: the variable's dtype; defaults to ``floatx()``.
            aggregation: how replicas would combine it (kept for Keras compatibility).
            name: the variable's name.

        Returns:
            The new ``kcore.Variable``.
        """
        self._check_super_called()
        dtype = config.standardize_dtype(dtype)
        shape = tuple(shape) if shape is not None else ()
        variable = Variable(_initial_value(initializer, shape, dtype), dtype=dtype,
                            trainable=False, aggregation=aggregation, name=name)
        if variable.value.shape != shape:
            # kcore.Variable currently stores 0-d values as shape (1,) (np.ascontiguousarray);
            # a reshaped view keeps in-place updates working and the Keras shape ().
            variable.value = variable.value.reshape(shape)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Backward-compatible alias of ``add_variable``."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch; subclasses must implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Computes the metric value (a scalar or a dict of scalars) from the state."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Sets every state variable to zero."""
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.value.dtype))

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)`` followed by ``result()``."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """Returns ``{"name": ..., "dtype": ...}``."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
