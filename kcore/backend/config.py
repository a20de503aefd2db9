"""Global numeric settings: default float type, fuzz factor and image data format.

These mirror ``keras.config``: ``floatx()`` is ``"float32"`` unless changed with
``set_floatx``; every op that creates floating-point data without an explicit dtype uses it.
"""

import functools

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_ALLOWED_FLOATX = ("float16", "float32", "float64")


def floatx():
    """Returns the default float type as a string, e.g. ``"float32"``."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type (``"float16"``, ``"float32"`` or ``"float64"``)."""
    global _FLOATX
    value = str(value)
    if value not in _ALLOWED_FLOATX:
        raise ValueError(f"Unknown floatx type {value!r}; expected one of {_ALLOWED_FLOATX}.")
    _FLOATX = value
    _standardize_cached.cache_clear()  # "float" maps to floatx


def epsilon():
    """Returns the fuzz factor used to avoid division by zero (default ``1e-7``)."""
    return _EPSILON


def set_epsilon(value):
    """Sets the fuzz factor returned by ``epsilon()``."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """Returns ``"channels_last"`` (the default) or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Sets the default image data format used by convolution and pooling layers."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "image data format must be 'channels_last' or 'channels_first', "
            f"got {data_format!r}."
        )
    _IMAGE_DATA_FORMAT = data_format


def backend():
    """Returns the name of the array backend: always ``"numpy"``."""
    return "numpy"


def standardize_dtype(dtype):
    """Returns the canonical string name of ``dtype``; ``None`` means ``floatx()``."""
    if dtype is None:
        return _FLOATX
    try:
        return _standardize_cached(dtype)
    except TypeError:  # unhashable input
        return _standardize(dtype)


@functools.lru_cache(maxsize=256)
def _standardize_cached(dtype):
    return _standardize(dtype)


def _standardize(dtype):
    if isinstance(dtype, np.dtype):
        # Before the Python-type checks: np.dtype("float64") == float is True in numpy.
        return dtype.name
    if hasattr(dtype, "name") and not isinstance(dtype, np.dtype):
        dtype = getattr(dtype, "name")
    if dtype in ("float", float):
        return _FLOATX
    if dtype in ("int", int):
        return "int64"
    if dtype in ("bool", bool):
        return "bool"
    if dtype in ("string", "str", str, bytes):  # Keras's name for text tensors
        return "string"
    try:
        if np.dtype(dtype).kind in "US":
            return "string"
        return np.dtype(dtype).name
    except TypeError as e:
        raise ValueError(f"Invalid dtype {dtype!r}: {e}") from None


def is_float_dtype(dtype):
    """True for floating-point dtypes."""
    return np.dtype(dtype).kind == "f"
