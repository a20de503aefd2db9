"""``kcore.losses``: Keras 3's losses, as classes and as functions.

String identifiers (``get``) are the class names (→ an instance with default arguments), the
function names (→ the function) and the short names ``bce/BCE``, ``kld/KLD``, ``mae/MAE``,
``mse/MSE``, ``mape/MAPE``, ``msle/MSLE`` (→ the function), exactly as in Keras 3.

Example:
    >>> loss = kcore.losses.get("CategoricalCrossentropy")
    >>> kcore.losses.get("mse") is kcore.losses.mean_squared_error
    True
"""

import inspect

from kcore.backend import serialization
from kcore.losses.hinge import (CategoricalHinge, Hinge, SquaredHinge, categorical_hinge,
                                hinge, squared_hinge)
# reduce_weighted_values: the reduction step of Loss.__call__, for compile-time loss wiring.
from kcore.losses.loss import (Loss, LossFunctionWrapper, reduce_weighted_values,
                               squeeze_or_expand_to_same_rank)
from kcore.losses.probabilistic import (BinaryCrossentropy, BinaryFocalCrossentropy,
                                        CategoricalCrossentropy, CategoricalFocalCrossentropy,
                                        KLDivergence, Poisson, SparseCategoricalCrossentropy,
                                        binary_crossentropy, binary_focal_crossentropy,
                                        categorical_crossentropy,
                                        categorical_focal_crossentropy, kl_divergence, poisson,
                                        sparse_categorical_crossentropy)
from kcore.losses.regression import (CosineSimilarity, Huber, LogCosh, MeanAbsoluteError,
                                     MeanAbsolutePercentageError, MeanSquaredError,
                                     MeanSquaredLogarithmicError, cosine_similarity, huber,
                                     log_cosh, mean_absolute_error,
                                     mean_absolute_percentage_error, mean_squared_error,
                                     mean_squared_logarithmic_error)

__all__ = [
    "Loss", "LossFunctionWrapper", "get", "serialize", "deserialize",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy",
    "BinaryFocalCrossentropy", "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh", "hinge",
    "squared_hinge", "categorical_hinge", "kl_divergence", "poisson", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
]

LOSS_CLASSES = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh,
    Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
    BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
)
LOSS_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge, squared_hinge,
    categorical_hinge, kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
)
#: Every object a loss identifier can name: Keras 3's ``ALL_OBJECTS_DICT``.
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in LOSS_CLASSES + LOSS_FUNCTIONS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})

for _cls in LOSS_CLASSES:
    _cls._keras_module = "keras.losses"
serialization.register_kind("loss", bases=(Loss,), functions=True)
serialization.register_builtins("keras.losses", ALL_OBJECTS_DICT, kind="loss")


def serialize(loss):
    """Serializes a loss: a ``Loss`` to a Keras config dict, a built-in function to its name."""
    return serialization.serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from ``serialize``'s output (or a name)."""
    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects, kind="loss",
        printable_module_name="loss function")


def get(identifier):
    """Resolves ``identifier`` to a loss.

    Args:
        identifier: ``None``, a name (see the module docstring), a config dict, a ``Loss``
            or any callable ``fn(y_true, y_pred)``.

    Returns:
        ``None``, a ``Loss`` instance (for class names and configs) or a function.

    Raises:
        ValueError: an unknown name (the message lists the known names and the closest
            match) or an identifier that is not a loss.
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
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Expected a loss "
                     "name, a Loss instance or a function fn(y_true, y_pred).")
