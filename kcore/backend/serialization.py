"""Keras 3 (de)serialization of objects: the one entry point for every ``get()`` and loader.

Keras 3 configs name an object as ``{"module": "keras.initializers", "class_name":
"GlorotUniform", "config": {...}, "registered_name": None}`` and a function as
``{"module": "builtins", "class_name": "function", "config": "relu", "registered_name":
"function"}``. ``serialize_keras_object`` writes that form; ``deserialize_keras_object``
reads it (and tf.keras 2's ``{"class_name", "config"}`` form) calling only what may be
called (``deserialization``). Every other module imports these names from here:

- ``object_registration``: ``register_keras_serializable``, ``custom_object_scope`` and safe
  mode, per thread / async task (context variables);
- ``object_kinds``: what each place in a config may name, and kcore's built-ins per module;
- ``deserialization``: ``deserialize_keras_object`` and ``resolve_class``.
"""

import inspect

import numpy as np

from kcore.backend import object_kinds as kinds
from kcore.backend.bytecode import func_dump
from kcore.backend.deserialization import (  # noqa: F401 -- re-exported entry points
    LAMBDA_REFUSED, PLAIN_TYPES, deserialize_keras_object, resolve_class)
from kcore.backend.object_kinds import (  # noqa: F401
    ObjectKind, check_kind, register_builtins, register_kind, unknown_name_error)
from kcore.backend.object_registration import (  # noqa: F401
    CustomObjectScope, SafeModeScope, custom_object_scope, enable_unsafe_deserialization,
    get_custom_objects, get_registered_name, get_registered_object, in_safe_mode,
    is_registered, register_keras_serializable)
from kcore.backend.tensor import Tensor


def _find(name, module_objects, custom_objects):
    """Exact-name lookup: ``custom_objects`` → scopes → registered → ``module_objects``."""
    return get_registered_object(name, custom_objects, module_objects)


# -- serialize ----------------------------------------------------------------------------
def serialize_keras_object(obj):
    """The Keras 3 config of ``obj`` (plain values pass through; see the module docstring).

    Example:
        >>> kcore.saving.serialize_keras_object(kcore.regularizers.L1(0.01))["class_name"]
        'L1'
    """
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    special = _serialize_special(obj)
    if special is not None:
        return special
    if kinds.is_function(obj):
        if getattr(obj, "__name__", None) == "<lambda>":
            return {"class_name": "__lambda__", "config": {"value": list(func_dump(obj))}}
        return {"module": "builtins", "class_name": "function",
                "config": get_registered_name(obj), "registered_name": "function"}
    if inspect.isclass(obj):
        return get_registered_name(obj)
    if hasattr(obj, "get_config"):
        return _serialize_instance(obj)
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: to be "
                    "serializable, a class must implement get_config().")


def _serialize_special(obj):
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, Tensor) and not hasattr(obj, "get_config"):
        value = np.asarray(obj.numpy())
        return {"class_name": "__tensor__", "config": {"value": value.tolist(),
                                                        "dtype": str(value.dtype)}}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                       "dtype": str(obj.dtype)}}
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.item()
    return None


def _serialize_instance(obj):
    cls = type(obj)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"get_config() of {obj!r} must return a dict, got {type(config).__name__}.")
    public = kinds.public_name(cls)
    if public is not None:
        module, class_name = public
        # Keras names its unexported built-ins (Functional) by module path + registered name.
        registered = class_name if module.startswith("keras.src.") else None
    elif cls.__module__.split(".")[0].startswith("kcore") and not is_registered(cls) \
            and getattr(cls, "_keras_module", None):
        # A kcore plugin's built-in (e.g. AUC): written as Keras writes its own.
        module, class_name, registered = cls._keras_module, cls.__name__, None
    else:
        module = None if cls.__module__ == "__main__" else cls.__module__
        class_name = cls.__name__
        registered = None if module == "builtins" else get_registered_name(cls)
    out = {"module": module, "class_name": class_name,
           "config": serialize_keras_object(config), "registered_name": registered}
    if hasattr(obj, "get_compile_config"):
        # A model, as Keras writes it at the top of config.json. (Layers nested in a model
        # get their build_config from the model's own get_config.)
        build = obj.get_build_config() if hasattr(obj, "get_build_config") else None
        if build is not None:
            out["build_config"] = serialize_keras_object(build)
        compiled = obj.get_compile_config()
        if compiled is not None:
            out["compile_config"] = serialize_keras_object(compiled)
    return out


# -- helpers for the modules' get() -------------------------------------------------------
def get_object(identifier, deserialize, kind, expected):
    """The shared ``get()``: ``None``, a name or config dict, a class, or a callable.

    Args:
        identifier: what the user passed.
        deserialize: the module's ``deserialize(config)``.
        kind: e.g. ``"regularizer"`` (for the error message).
        expected: what would have been accepted, e.g. ``"a name such as 'l2', ..."``.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected {expected}.")
