"""``kcore.config``: global settings (float type, epsilon, image format, unsafe loading)."""

from kcore.backend.config import (backend, epsilon, floatx, image_data_format, set_epsilon,
                                  set_floatx, set_image_data_format)
from kcore.backend.serialization import enable_unsafe_deserialization

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "enable_unsafe_deserialization"]
