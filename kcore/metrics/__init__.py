"""``kcore.metrics``: the ``Metric`` base and the metrics that ``fit`` itself needs.

Core metrics: ``Mean``, ``Sum``, ``MeanMetricWrapper``, the accuracy family, the error metrics
(MSE, MAE, RMSE, MAPE, MSLE) and the cross-entropies. Everything else (``AUC``,
``Precision``, ``F1Score``, ...) comes from plugins through the ``kcore.metrics`` entry-point
group: ``kcore.metrics.AUC`` and ``kcore.metrics.get("auc")`` load it on first use, and say
which package to install when nothing provides it.

String identifiers are the class names, their snake_case forms and ``bce/BCE``, ``mse/MSE``,
``mae/MAE``, ``mape/MAPE``, ``msle/MSLE``; ``get`` returns an instance with default
arguments (``get("mse").name == "mean_squared_error"``). ``"accuracy"`` resolves to
``Accuracy``; choosing binary/categorical/sparse accuracy from shapes is ``compile``'s job.

Example:
    >>> m = kcore.metrics.get("sparse_categorical_accuracy")
    >>> m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
"""

import inspect

from kcore.backend import serialization
from kcore import losses
from kcore.hooks import registry
from kcore.losses import (binary_crossentropy, binary_focal_crossentropy,
                          categorical_crossentropy, categorical_focal_crossentropy,
                          categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                          mean_absolute_error, mean_absolute_percentage_error,
                          mean_squared_error, mean_squared_logarithmic_error, poisson,
                          sparse_categorical_crossentropy, squared_hinge)
from kcore.losses.loss import to_snake_case
from kcore.metrics.accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, accuracy, binary_accuracy,
                                    categorical_accuracy, sparse_categorical_accuracy)
from kcore.metrics.metric import Metric
from kcore.metrics.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy,
                                         SparseCategoricalCrossentropy)
from kcore.metrics.reduction import Mean, MeanMetricWrapper, Sum
from kcore.metrics.regression import (MeanAbsoluteError, MeanAbsolutePercentageError,
                                      MeanSquaredError, MeanSquaredLogarithmicError,
                                      RootMeanSquaredError)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanSquaredError",
    "MeanAbsoluteError", "RootMeanSquaredError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "get", "serialize", "deserialize",
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "hinge", "squared_hinge",
    "categorical_hinge", "huber", "kl_divergence", "log_cosh", "poisson",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error",
]

METRIC_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy,
)
#: Built-in names → classes: Keras 3's ``ALL_OBJECTS_DICT`` restricted to the core metrics.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in METRIC_CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in METRIC_CLASSES})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})

#: Per-sample functions a ``MeanMetricWrapper`` config may name.
METRIC_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy)}

for _cls in METRIC_CLASSES:
    _cls._keras_module = "keras.metrics"


def _plugin_metric(name):
    """The metric an installed plugin provides as ``name`` (``kcore.metrics`` entry points)."""
    return registry.resolve(registry.METRICS_GROUP, name, builtin_names=tuple(ALL_OBJECTS_DICT))


serialization.register_kind("metric", bases=(Metric,), functions=True)
serialization.register_builtins("keras.metrics", {**ALL_OBJECTS_DICT, **METRIC_FUNCTIONS},
                                kind="metric", resolver=_plugin_metric)


def _lookup(name, custom_objects=None):
    """Built-in, then custom/registered objects, then the ``kcore.metrics`` entry points."""
    obj = ALL_OBJECTS_DICT.get(name)
    if obj is None:
        obj = serialization._find(name, {}, custom_objects)
    if obj is None:
        obj = _plugin_metric(name)
    return obj


def _function_from_config(fn):
    """The function a ``MeanMetricWrapper`` config names (a metric or loss function)."""
    if isinstance(fn, dict) and fn.get("class_name") == "function":
        fn = fn.get("config")  # Keras 3: {"module": "builtins", "class_name": "function", ...}
    if isinstance(fn, str) and fn in METRIC_FUNCTIONS:
        return METRIC_FUNCTIONS[fn]

    return losses.get(fn)


def serialize(metric):
    """Serializes a metric to a Keras config dict (a built-in function to its name)."""
    return serialization.serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from ``serialize``'s output or a name (plugins included)."""
    table = ALL_OBJECTS_DICT
    name = config.get("class_name") if isinstance(config, dict) else config
    plain = not isinstance(config, dict) or config.get("registered_name") in (None, name)
    if isinstance(name, str) and plain and name not in table \
            and serialization._find(name, {}, custom_objects) is None:
        table = {**table, name: _plugin_metric(name)}
    return serialization.deserialize_keras_object(
        config, module_objects=table, custom_objects=custom_objects, kind="metric")


def get(identifier):
    """Resolves ``identifier`` to a metric.

    Args:
        identifier: ``None``, a name (built-in or provided by an installed plugin), a config
            dict, a ``Metric`` or a function ``fn(y_true, y_pred)``.

    Returns:
        ``None``, a ``Metric`` instance, or a function (returned as is).

    Raises:
        ValueError: nothing provides the name (the message names the plugin distribution to
            install, or lists the known names and the closest match), or the identifier is
            not a metric.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Expected a "
                     "metric name, a Metric instance or a function fn(y_true, y_pred).")


def __getattr__(name):
    # ``kcore.metrics.AUC`` and other plugin metrics, loaded lazily through the registry.
    if name.startswith("_"):
        raise AttributeError(f"module 'kcore.metrics' has no attribute {name!r}")

    try:
        obj = registry.resolve(registry.METRICS_GROUP, name,
                               builtin_names=tuple(ALL_OBJECTS_DICT))
    except ValueError as e:
        raise AttributeError(f"module 'kcore.metrics' has no attribute {name!r}. {e}") from None
    globals()[name] = obj
    return obj
