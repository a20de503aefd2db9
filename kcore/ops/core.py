"""Conversion, casting and gradient control: the ops every other op module leans on."""

import numpy as np

from kcore.backend import config
from kcore.backend.autodiff import primitive
from kcore.backend.tensor import Tensor

__all__ = ["convert_to_tensor", "convert_to_numpy", "cast", "stop_gradient", "is_tensor",
           "shape", "size", "dtype"]


def as_array(x, dtype=None):
    """The numpy array behind ``x``; Python floats become ``floatx()``, never float64."""
    if isinstance(x, Tensor):
        x = x.value
    elif not isinstance(x, np.ndarray):
        if isinstance(x, float) or (isinstance(x, (list, tuple)) and _has_float(x)):
            x = np.asarray(x, dtype=dtype or config.floatx())
            dtype = None
        else:
            x = np.asarray(x)
            if x.dtype == np.float64:
                x = x.astype(config.floatx())
    if dtype is not None:
        dtype = config.standardize_dtype(dtype)
        if x.dtype != dtype:
            x = x.astype(dtype)
    return x


def as_float(x):
    """``x`` with a float dtype: float tensors pass through, ints and bools become ``floatx()``."""
    if isinstance(x, Tensor) and x.value.dtype.kind == "f":
        return x
    a = as_array(x)
    return a if a.dtype.kind == "f" else a.astype(config.floatx())


def _has_float(seq):
    for v in seq:
        if isinstance(v, float) or (isinstance(v, (list, tuple)) and _has_float(v)):
            return True
        if isinstance(v, Tensor) or (isinstance(v, np.ndarray) and v.dtype.kind == "f"):
            return True
    return False


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Returns ``x`` as a ``Tensor`` (a tensor with the right dtype is returned as is).

    Python floats and lists of floats become ``floatx()``; numpy arrays keep their dtype
    unless ``dtype`` is given.
    """
    if isinstance(x, Tensor) and (dtype is None or x.value.dtype == config.standardize_dtype(dtype)):
        return x
    if isinstance(x, Tensor):
        return cast(x, dtype)
    return Tensor(as_array(x, dtype))


def convert_to_numpy(x):
    """Returns ``x`` as a numpy array."""
    return np.asarray(x.value if isinstance(x, Tensor) else x)


def is_tensor(x):
    """True for kcore tensors and variables."""
    return isinstance(x, Tensor)


@primitive
def _cast(x, dtype):
    in_dtype = x.dtype
    out = x.astype(dtype, copy=False)
    if out.dtype.kind not in "fc" or in_dtype.kind not in "fc":
        return out, lambda g: (None,)
    return out, lambda g: (g.astype(in_dtype, copy=False),)


def cast(x, dtype):
    """Casts ``x`` to ``dtype``; differentiable between float types."""
    if not isinstance(x, (Tensor, np.ndarray)):
        x = as_array(x)
    return _cast(x, dtype=config.standardize_dtype(dtype))


@primitive
def _stop_gradient(x):
    return x, lambda g: (None,)


def stop_gradient(variable):
    """Returns ``variable`` unchanged, but no gradient flows back through it."""
    return _stop_gradient(variable)


def shape(x):
    """The static shape of ``x`` as a tuple of ints."""
    return tuple(np.shape(x.value if isinstance(x, Tensor) else x))


def size(x):
    """The number of elements of ``x``."""
    return int(np.size(x.value if isinstance(x, Tensor) else x))


def dtype(x):
    """The dtype name of ``x``."""
    return as_array(x).dtype.name
