"""Tensor creation. Without an explicit ``dtype``, floating-point results are ``floatx()``."""

import numpy as np

from kcore.backend import config
from kcore.backend.tensor import Tensor
from kcore.ops.core import as_array, convert_to_numpy, convert_to_tensor

__all__ = ["convert_to_tensor", "convert_to_numpy", "zeros", "ones", "zeros_like", "ones_like",
           "full", "full_like", "empty", "arange", "linspace", "eye", "identity", "tri"]


def _shape(shape):
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)


def zeros(shape, dtype=None):
    """A tensor of zeros (``floatx()`` unless ``dtype`` is given)."""
    return Tensor(np.zeros(_shape(shape), config.standardize_dtype(dtype)))


def ones(shape, dtype=None):
    """A tensor of ones (``floatx()`` unless ``dtype`` is given)."""
    return Tensor(np.ones(_shape(shape), config.standardize_dtype(dtype)))


def empty(shape, dtype=None):
    """An uninitialised tensor (``floatx()`` unless ``dtype`` is given)."""
    return Tensor(np.empty(_shape(shape), config.standardize_dtype(dtype)))


def _like_dtype(x, dtype):
    return as_array(x).dtype if dtype is None else config.standardize_dtype(dtype)


def zeros_like(x, dtype=None):
    """Zeros with the shape (and, by default, the dtype) of ``x``."""
    return Tensor(np.zeros(np.shape(as_array(x)), _like_dtype(x, dtype)))


def ones_like(x, dtype=None):
    """Ones with the shape (and, by default, the dtype) of ``x``."""
    return Tensor(np.ones(np.shape(as_array(x)), _like_dtype(x, dtype)))


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return config.standardize_dtype(dtype)
    return as_array(fill_value).dtype


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value`` (its dtype unless ``dtype`` is given)."""
    return Tensor(np.full(_shape(shape), as_array(fill_value), _fill_dtype(fill_value, dtype)))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in the shape (and, by default, the dtype) of ``x``."""
    return Tensor(np.full(np.shape(as_array(x)), as_array(fill_value), _like_dtype(x, dtype)))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``: ``int32`` for ints, else ``floatx()``.

    Example:
        >>> kcore.ops.arange(3).numpy()
        array([0, 1, 2], dtype=int32)
    """
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step) if v is not None)
        dtype = "int32" if ints else config.floatx()
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    return Tensor(np.arange(start, stop, step).astype(config.standardize_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``, as ``np.linspace``."""
    dt = config.standardize_dtype(dtype)
    out, step = np.linspace(as_array(start), as_array(stop), num, endpoint=endpoint,
                            retstep=True, axis=axis)
    out = Tensor(out.astype(dt))
    return (out, step) if retstep else out


def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on the ``k``-th diagonal."""
    return Tensor(np.eye(N, M, k, dtype=config.standardize_dtype(dtype)))


def identity(n, dtype=None):
    """The ``n`` by ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal, zeros above."""
    return Tensor(np.tri(N, M, k, dtype=config.standardize_dtype(dtype)))
