"""Element-wise arithmetic, math functions, comparisons and logic (``keras.ops`` names).

Binary ops broadcast as numpy does; their VJPs return broadcast-shaped gradients, which the
tape reduces to each input's shape. Constants are Python floats so that float32 stays
float32 (a ``np.float64`` scalar would upcast under NEP 50).
"""

import math as _math

import numpy as np

from kcore.backend import config
from kcore.backend.autodiff import nondifferentiable, primitive

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power",
    "negative", "abs", "absolute", "sign", "square", "sqrt", "rsqrt", "reciprocal", "exp",
    "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "sinh", "cosh",
    "arctan", "arcsin", "arccos", "arctan2", "erf", "maximum", "minimum", "clip", "where",
    "round", "floor", "ceil", "nan_to_num",
]

_LN2 = _math.log(2.0)
_LN10 = _math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / _math.sqrt(_math.pi)


# -- arithmetic -------------------------------------------------------------------------

def _float(x):
    """Integer/bool inputs of float-valued ops become ``floatx()`` (as Keras), not float64."""
    if isinstance(x, np.ndarray):
        return x if x.dtype.kind in "fc" else x.astype(config.floatx())
    if isinstance(x, (int, bool, np.integer, np.bool_)):
        return np.asarray(x, dtype=config.floatx())
    return x


def _weak(x1, x2):
    """A Python float next to an integer array gives ``floatx()`` (Python scalars are weak)."""
    if type(x2) is float and isinstance(x1, np.ndarray) and x1.dtype.kind in "iub":
        return x1.astype(config.floatx()), x2
    if type(x1) is float and isinstance(x2, np.ndarray) and x2.dtype.kind in "iub":
        return x1, x2.astype(config.floatx())
    return x1, x2


@primitive
def add(x1, x2):
    """``x1 + x2`` with broadcasting."""
    x1, x2 = _weak(x1, x2)
    return np.add(x1, x2), lambda g: (g, g)


@primitive
def subtract(x1, x2):
    """``x1 - x2`` with broadcasting."""
    x1, x2 = _weak(x1, x2)
    return np.subtract(x1, x2), lambda g: (g, -g)


@primitive
def multiply(x1, x2):
    """``x1 * x2`` with broadcasting."""
    x1, x2 = _weak(x1, x2)
    return np.multiply(x1, x2), lambda g: (g * x2, g * x1)


@primitive
def divide(x1, x2):
    """``x1 / x2`` with broadcasting (true division)."""
    x1, x2 = _float(x1), _float(x2)
    out = np.true_divide(x1, x2)
    return out, lambda g: (g / x2, -g * out / x2)


true_divide = divide


@nondifferentiable
def floor_divide(x1, x2):
    """``x1 // x2``; piecewise constant, so no gradient (as in TF)."""
    return np.floor_divide(x1, x2)


@primitive
def mod(x1, x2):
    """``x1 % x2`` with the sign of ``x2`` (numpy/Python convention)."""
    out = np.mod(x1, x2)
    return out, lambda g: (g, -g * np.floor_divide(x1, x2))


@primitive
def power(x1, x2):
    """``x1 ** x2``. The gradient for ``x2`` is taken as 0 where ``x1 <= 0``."""
    out = np.power(x1, x2)

    def vjp(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            g1 = g * x2 * np.power(x1, np.subtract(x2, 1))
            if isinstance(x2, (int, float)):
                return g1, None
            g2 = g * out * np.log(np.where(np.greater(x1, 0), x1, 1))
        return g1, g2

    return out, vjp


@primitive
def negative(x):
    """``-x``."""
    return np.negative(x), lambda g: (-g,)


@primitive
def abs(x):
    """``|x|``; the subgradient at 0 is 0."""
    return np.abs(x), lambda g: (g * np.sign(x),)


absolute = abs


@nondifferentiable
def sign(x):
    """-1, 0 or 1 according to the sign of ``x``."""
    return np.sign(x)


def square(x):
    """``x * x``."""
    return multiply(x, x)


@primitive
def sqrt(x):
    """Square root."""
    x = _float(x)
    out = np.sqrt(x)
    return out, lambda g: (g * 0.5 / out,)


def rsqrt(x):
    """``1 / sqrt(x)``."""
    return reciprocal(sqrt(x))


def reciprocal(x):
    """``1 / x``."""
    return divide(1.0, x)


# -- exponentials and logarithms --------------------------------------------------------
@primitive
def exp(x):
    """``e ** x``."""
    x = _float(x)
    out = np.exp(x)
    return out, lambda g: (g * out,)


@primitive
def expm1(x):
    """``exp(x) - 1``, accurate for small ``x``."""
    x = _float(x)
    out = np.expm1(x)
    return out, lambda g: (g * (out + 1.0),)


@primitive
def log(x):
    """Natural logarithm."""
    x = _float(x)
    return np.log(x), lambda g: (g / x,)


@primitive
def log1p(x):
    """``log(1 + x)``, accurate for small ``x``."""
    x = _float(x)
    return np.log1p(x), lambda g: (g / (1.0 + x),)


def log2(x):
    """Base-2 logarithm."""
    return multiply(log(x), 1.0 / _LN2)


def log10(x):
    """Base-10 logarithm."""
    return multiply(log(x), 1.0 / _LN10)


# -- trigonometric and hyperbolic -------------------------------------------------------
@primitive
def sin(x):
    """Sine."""
    x = _float(x)
    return np.sin(x), lambda g: (g * np.cos(x),)


@primitive
def cos(x):
    """Cosine."""
    x = _float(x)
    return np.cos(x), lambda g: (-g * np.sin(x),)


@primitive
def tan(x):
    """Tangent."""
    x = _float(x)
    out = np.tan(x)
    return out, lambda g: (g * (1.0 + out * out),)


@primitive
def tanh(x):
    """Hyperbolic tangent."""
    x = _float(x)
    out = np.tanh(x)
    return out, lambda g: (g * (1.0 - out * out),)


@primitive
def sinh(x):
    """Hyperbolic sine."""
    x = _float(x)
    return np.sinh(x), lambda g: (g * np.cosh(x),)


@primitive
def cosh(x):
    """Hyperbolic cosine."""
    x = _float(x)
    return np.cosh(x), lambda g: (g * np.sinh(x),)


@primitive
def arctan(x):
    """Inverse tangent."""
    x = _float(x)
    return np.arctan(x), lambda g: (g / (1.0 + x * x),)


@primitive
def arcsin(x):
    """Inverse sine."""
    x = _float(x)
    return np.arcsin(x), lambda g: (g / np.sqrt(1.0 - x * x),)


@primitive
def arccos(x):
    """Inverse cosine."""
    x = _float(x)
    return np.arccos(x), lambda g: (-g / np.sqrt(1.0 - x * x),)


@primitive
def arctan2(x1, x2):
    """Angle of the point ``(x2, x1)``, as ``np.arctan2``."""
    x1, x2 = _float(x1), _float(x2)
    def vjp(g):
        r2 = x1 * x1 + x2 * x2
        return g * x2 / r2, -g * x1 / r2

    return np.arctan2(x1, x2), vjp


# math.erf is exact to a few ulps; frompyfunc vectorises it (only exact gelu uses erf).
_erf_ufunc = np.frompyfunc(_math.erf, 1, 1)


@primitive
def erf(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    x = _float(x)
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else np.dtype("float64")
    out = _erf_ufunc(x).astype(dt)
    return out, lambda g: (g * _TWO_OVER_SQRT_PI * np.exp(-x * x),)


# -- piecewise ---------------------------------------------------------------------------
@primitive
def maximum(x1, x2):
    """Element-wise maximum. At ties the gradient goes to ``x1`` (as TF)."""
    out = np.maximum(x1, x2)

    def vjp(g):
        m = np.greater_equal(x1, x2)
        return np.where(m, g, 0), np.where(m, 0, g)

    return out, vjp


@primitive
def minimum(x1, x2):
    """Element-wise minimum. At ties the gradient goes to ``x1`` (as TF)."""
    out = np.minimum(x1, x2)

    def vjp(g):
        m = np.less_equal(x1, x2)
        return np.where(m, g, 0), np.where(m, 0, g)

    return out, vjp


@primitive
def _clip(x, x_min, x_max):
    out = np.clip(x, x_min, x_max)

    def vjp(g):
        below, above = np.less(x, x_min), np.greater(x, x_max)
        return (np.where(below | above, 0, g), np.where(below, g, 0),
                np.where(above & ~below, g, 0))

    return out, vjp


def clip(x, x_min, x_max):
    """Clips ``x`` to ``[x_min, x_max]``.

    The gradient flows to ``x`` where ``x_min <= x <= x_max`` (boundaries included, as
    TF's ``clip_by_value``), and to the bound that is active elsewhere.
    """
    return _clip(x, x_min, x_max)


@primitive
def _where(condition, x1, x2):
    cond = np.asarray(condition, dtype=bool)
    return np.where(cond, x1, x2), lambda g: (None, np.where(cond, g, 0), np.where(cond, 0, g))


@nondifferentiable
def _nonzero(condition):
    return np.nonzero(condition)


def where(condition, x1=None, x2=None):
    """Picks ``x1`` where ``condition`` holds, else ``x2``; ``where(c)`` gives ``nonzero(c)``.

    Example:
        >>> kcore.ops.where([True, False], 1.0, 2.0).numpy()
        array([1., 2.], dtype=float32)
    """
    if x1 is None and x2 is None:
        return _nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where(condition, x1, x2): give both x1 and x2, or neither.")
    return _where(condition, x1, x2)


@nondifferentiable
def round(x, decimals=0):
    """Rounds half to even, as numpy."""
    return np.round(x, decimals)


@nondifferentiable
def floor(x):
    """Largest integer not greater than ``x``."""
    return np.floor(x)


@nondifferentiable
def ceil(x):
    """Smallest integer not less than ``x``."""
    return np.ceil(x)


@primitive
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replaces nan and infinities with finite numbers; gradient flows where ``x`` is finite."""
    out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
    return out, lambda g: (np.where(np.isfinite(x), g, 0),)
