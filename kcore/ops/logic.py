"""Comparisons, logic and floating-point classification: boolean results, no gradient."""

import numpy as np

from kcore.backend.autodiff import nondifferentiable

__all__ = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
           "logical_or", "logical_not", "logical_xor", "isnan", "isfinite", "isinf", "isclose"]


@nondifferentiable
def equal(x1, x2):
    """``x1 == x2``."""
    return np.equal(x1, x2)


@nondifferentiable
def not_equal(x1, x2):
    """``x1 != x2``."""
    return np.not_equal(x1, x2)


@nondifferentiable
def greater(x1, x2):
    """``x1 > x2``."""
    return np.greater(x1, x2)


@nondifferentiable
def greater_equal(x1, x2):
    """``x1 >= x2``."""
    return np.greater_equal(x1, x2)


@nondifferentiable
def less(x1, x2):
    """``x1 < x2``."""
    return np.less(x1, x2)


@nondifferentiable
def less_equal(x1, x2):
    """``x1 <= x2``."""
    return np.less_equal(x1, x2)


@nondifferentiable
def logical_and(x1, x2):
    """Element-wise logical AND."""
    return np.logical_and(x1, x2)


@nondifferentiable
def logical_or(x1, x2):
    """Element-wise logical OR."""
    return np.logical_or(x1, x2)


@nondifferentiable
def logical_not(x):
    """Element-wise logical NOT."""
    return np.logical_not(x)


@nondifferentiable
def logical_xor(x1, x2):
    """Element-wise logical XOR."""
    return np.logical_xor(x1, x2)


@nondifferentiable
def isnan(x):
    """True where ``x`` is nan."""
    return np.isnan(x)


@nondifferentiable
def isfinite(x):
    """True where ``x`` is neither infinite nor nan."""
    return np.isfinite(x)


@nondifferentiable
def isinf(x):
    """True where ``x`` is +inf or -inf."""
    return np.isinf(x)


@nondifferentiable
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True where ``|x1 - x2| <= atol + rtol * |x2|``."""
    return np.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
