"""``kcore.optimizers``: Keras 3 optimizers with in-place numpy updates.

The training loop calls ``optimizer.apply(grads, trainable_variables)`` once per batch
(``Optimizer`` documents the steps), ``finalize_variable_values(vars)`` at the end of
``fit``, and ``save_own_variables``/``load_own_variables`` (or ``variables`` by name) when
saving. ``get`` resolves ``compile(optimizer="adam")``: class names, case-insensitively.

Example:
    >>> opt = kcore.optimizers.get("adam")
    >>> opt.apply(grads, model.trainable_variables)
    >>> [v.path for v in opt.variables][:2]
    ['adam/iteration', 'adam/learning_rate']
"""

from kcore.backend.serialization import (deserialize_keras_object, get_registered_object,
                                         register_builtins,
                                         register_kind, serialize_keras_object)
from kcore.optimizers import schedules
from kcore.optimizers.adadelta import Adadelta
from kcore.optimizers.adagrad import Adagrad
from kcore.optimizers.adam import Adam, AdamW
from kcore.optimizers.adamax import Adamax
from kcore.optimizers.base import Optimizer
from kcore.optimizers.ftrl import Ftrl
from kcore.optimizers.lion import Lion
from kcore.optimizers.nadam import Nadam
from kcore.optimizers.rmsprop import RMSprop
from kcore.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Ftrl", "Lion", "schedules", "get", "serialize", "deserialize"]

_CLASSES = (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion)
# Keras resolves built-in names case-insensitively: "adam", "Adam" and "ADAM" all work.
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in _CLASSES}
register_kind("optimizer", bases=(Optimizer,))
register_builtins("keras.optimizers", {cls.__name__: cls for cls in (Optimizer,) + _CLASSES},
                  kind="optimizer")


def serialize(optimizer):
    """The Keras 3 config dict of an optimizer: ``{"class_name": "Adam", "config": ...}``."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """Rebuilds an optimizer from a config dict (Keras 3 or tf.keras, e.g. ``"Custom>Adam"``)."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        # tf.keras 2.11+ writes its own optimizers as "Custom>Adam": a built-in, unless a
        # custom object is registered under exactly that name.
        bare = config["class_name"].split(">")[-1].lower()
        registered = config.get("registered_name")
        if bare in ALL_OBJECTS_DICT and registered in (None, config["class_name"]) \
                and not _is_custom(config, custom_objects):
            config = {**config, "class_name": bare, "registered_name": None}
    elif isinstance(config, str) and config.lower() in ALL_OBJECTS_DICT:
        config = config.lower()
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="optimizer")


def _is_custom(config, custom_objects):
    name = config.get("registered_name") or config["class_name"]
    return get_registered_object(name, custom_objects) is not None


def get(identifier):
    """Resolves an optimizer: an instance (returned as is), a name or a config dict.

    Raises:
        ValueError: for an unknown name (listing the known ones) or anything else.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        identifier = {"class_name": identifier, "config": {}}
    if isinstance(identifier, dict):
        optimizer = deserialize(identifier)
        if isinstance(optimizer, Optimizer):
            return optimizer
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected an Optimizer, a "
        f"name such as 'adam' (known: {', '.join(sorted(ALL_OBJECTS_DICT))}) or a config dict."
    )
