"""``kcore.saving``: Keras-compatible model and weight files, and object registration.

Example:
    >>> model.save("model.h5")                      # Keras legacy HDF5 layout
    >>> model = kcore.saving.load_model("model.h5") # also reads Keras 3 / tf.keras 2 files
    >>> model.save_weights("model.weights.h5")      # Keras 3 weights layout

h5py is imported only when a file is read or written. ``atomic_write`` is the helper every
kcore file write (and any plugin's) goes through: no torn file, no temporary left behind.
"""

from kcore.backend.serialization import (CustomObjectScope, custom_object_scope,
                                         deserialize_keras_object,
                                         enable_unsafe_deserialization, get_custom_objects,
                                         get_registered_name, get_registered_object,
                                         register_keras_serializable, serialize_keras_object)
from kcore.saving.atomic import atomic_write
from kcore.saving.saving_api import (load_model, load_weights, model_from_json, save_model,
                                     save_weights)


__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_json",
           "register_keras_serializable", "get_custom_objects", "get_registered_name",
           "get_registered_object", "CustomObjectScope", "custom_object_scope",
           "serialize_keras_object", "deserialize_keras_object",
           "enable_unsafe_deserialization", "atomic_write"]
