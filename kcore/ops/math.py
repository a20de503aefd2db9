"""Element-wise arithmetic and math functions (``keras.ops`` names)."""

import numpy as np

from kcore.backend.autodiff import primitive
from kcore.ops.core import as_array

__all__ = ["add", "subtract", "multiply", "divide", "negative", "exp", "log", "matmul"]





@primitive
def add(x1, x2):
    """``x1 + x2`` with broadcasting."""
    return np.add(x1, x2), lambda g: (g, g)


@primitive
def subtract(x1, x2):
    """``x1 - x2`` with broadcasting."""
    return np.subtract(x1, x2), lambda g: (g, -g)


@primitive
def multiply(x1, x2):
    """``x1 * x2`` with broadcasting."""
    return np.multiply(x1, x2), lambda g: (g * x2, g * x1)


@primitive
def divide(x1, x2):
    """``x1 / x2`` with broadcasting (true division)."""
    out = np.true_divide(x1, x2)
    return out, lambda g: (g / x2, -g * out / x2)


@primitive
def negative(x):
    """``-x``."""
    return np.negative(x), lambda g: (-g,)


@primitive
def exp(x):
    """``e ** x``."""
    out = np.exp(x)
    return out, lambda g: (g * out,)


@primitive
def log(x):
    """Natural logarithm."""
    return np.log(x), lambda g: (g / x,)


@primitive
def matmul(x1, x2):
    """Matrix product with numpy's broadcasting rules for stacked matrices."""
    x1 = np.asarray(x1)
    x2 = np.asarray(x2)
    out = np.matmul(x1, x2)

    def vjp(g):
        if x1.ndim == 1 or x2.ndim == 1:
            a = x1 if x1.ndim > 1 else x1[None, :]
            b = x2 if x2.ndim > 1 else x2[:, None]
            gg = g
            if x1.ndim == 1:
                gg = np.expand_dims(gg, -2)
            if x2.ndim == 1:
                gg = np.expand_dims(gg, -1)
            ga = np.matmul(gg, np.swapaxes(b, -1, -2))
            gb = np.matmul(np.swapaxes(a, -1, -2), gg)
            if x1.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + (x1.shape[0],)) if ga.ndim > 2 else ga[0]
                ga = ga if ga.ndim == 1 else ga.sum(axis=tuple(range(ga.ndim - 1)))
            if x2.ndim == 1:
                gb = gb[..., 0]
                gb = gb if gb.ndim == 1 else gb.sum(axis=tuple(range(gb.ndim - 1)))
            return ga, gb
        return np.matmul(g, np.swapaxes(x2, -1, -2)), np.matmul(np.swapaxes(x1, -1, -2), g)

    return out, vjp
