"""Reductions over axes (``sum``, ``max``, ``mean``, ``logsumexp``, ``norm`` ...).

``axis`` is ``None`` (all axes), an int or a tuple of ints, negative values allowed. The
primitives' VJPs return gradients with ``keepdims`` shape; the tape broadcasts them back.
"""

import numpy as np

from kcore.backend.autodiff import nondifferentiable, primitive
from kcore.backend.tensor import Tensor
from kcore.ops.core import as_array, as_float as _float, cast, stop_gradient
from kcore.ops.logic import isfinite, not_equal
from kcore.ops.math import maximum
from kcore.ops.math import minimum
from kcore.ops.shape import reshape
from kcore.ops.math import (abs, add, divide, exp, log, multiply, power, sqrt, square, subtract,
                            where)

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "argmax",
           "argmin", "logsumexp", "all", "any", "cumsum", "cumprod", "norm", "count_nonzero",
           "average"]


def _axes(axis, ndim):
    """Normalises ``axis`` to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        return tuple(sorted(a % ndim for a in axis)) if ndim else ()
    return (axis % ndim,) if ndim else ()


def _keep(g, shape, axes, keepdims):
    """Gives the reduced gradient ``g`` singleton dims on ``axes`` so it broadcasts back."""
    g = np.asarray(g)
    if not keepdims:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


@primitive
def _sum(x, axis, keepdims):
    x = np.asarray(x)
    axes = _axes(axis, x.ndim)
    # numpy widens int32 sums to int64; keep the input's integer type, as Keras does.
    dt = x.dtype if x.dtype.kind in "iu" else None
    return (np.sum(x, axis=axes, keepdims=keepdims, dtype=dt),
            lambda g: (_keep(g, x.shape, axes, keepdims),))


def sum(x, axis=None, keepdims=False):
    """Sum of elements over ``axis``.

    Example:
        >>> kcore.ops.sum([[1.0, 2.0], [3.0, 4.0]], axis=0).numpy()
        array([4., 6.], dtype=float32)
    """
    return _sum(_arr(x), axis=axis, keepdims=keepdims)


def _arr(x):
    """Tensors pass through (the tape follows them); anything else becomes an array."""
    return x if isinstance(x, Tensor) else as_array(x)


def _extreme(np_fn):
    def fn(x, axis, keepdims):
        x = np.asarray(x)
        axes = _axes(axis, x.ndim)
        out = np_fn(x, axis=axes, keepdims=True)

        def vjp(g):
            # Ties share the gradient equally, as TF's reduce_max does.
            mask = x == out
            return (mask * (_keep(g, x.shape, axes, keepdims) / mask.sum(axis=axes, keepdims=True)),)

        return (out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes]),
                vjp)

    return fn


@primitive
def _max(x, axis, keepdims):
    return _extreme(np.max)(x, axis, keepdims)


@primitive
def _min(x, axis, keepdims):
    return _extreme(np.min)(x, axis, keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    """Maximum over ``axis``; tied maxima share the gradient equally."""
    out = _max(_arr(x), axis=axis, keepdims=keepdims)
    return out if initial is None else _maximum_initial(out, initial)


def min(x, axis=None, keepdims=False, initial=None):
    """Minimum over ``axis``; tied minima share the gradient equally."""
    out = _min(_arr(x), axis=axis, keepdims=keepdims)
    return out if initial is None else _minimum_initial(out, initial)


def _maximum_initial(out, initial):
    return maximum(out, initial)


def _minimum_initial(out, initial):
    return minimum(out, initial)


amax = max
amin = min


@primitive
def _prod(x, axis, keepdims):
    x = np.asarray(x)
    axes = _axes(axis, x.ndim)
    out = np.prod(x, axis=axes, keepdims=keepdims, dtype=x.dtype if x.dtype.kind in "iu" else None)

    def vjp(g):
        # Product of all *other* elements via exclusive cumulative products from both ends:
        # exact even where x has zeros (unlike out / x).
        rest = [i for i in range(x.ndim) if i not in axes]
        xt = np.transpose(x, rest + list(axes)).reshape([x.shape[i] for i in rest] + [-1])
        ones = np.ones(xt.shape[:-1] + (1,), x.dtype)
        left = np.cumprod(np.concatenate([ones, xt[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, xt[..., :0:-1]], -1), -1)[..., ::-1]
        others = (left * right).reshape([x.shape[i] for i in rest] + [x.shape[i] for i in axes])
        others = np.transpose(others, np.argsort(rest + list(axes)))
        return (_keep(g, x.shape, axes, keepdims) * others,)

    return out, vjp


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of elements over ``axis``."""
    x = x if dtype is None else cast(x, dtype)
    return _prod(_arr(x), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``; integer inputs give ``floatx()``."""
    x = _float(x)
    shape = as_array(x).shape
    n = int(np.prod([shape[a] for a in _axes(axis, len(shape))]))
    return divide(sum(x, axis=axis, keepdims=keepdims), float(n))


def var(x, axis=None, keepdims=False):
    """Population variance ``mean((x - mean(x))**2)`` over ``axis``."""
    x = _float(x)
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow.

    The shift by the (stop-gradient) maximum cancels exactly in the gradient, which is
    therefore ``softmax(x)``.
    """
    x = _float(x)
    m = stop_gradient(max(x, axis=axis, keepdims=True))
    m = where(isfinite(m), m, 0.0)
    out = add(log(sum(exp(subtract(x, m)), axis=axis, keepdims=True)), m)
    return out if keepdims else _squeeze(out, axis)


def _squeeze(x, axis):
    shape = as_array(x).shape
    axes = _axes(axis, len(shape))
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


@nondifferentiable
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (the first one at ties)."""
    return np.argmax(x, axis=axis, keepdims=keepdims)


@nondifferentiable
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (the first one at ties)."""
    return np.argmin(x, axis=axis, keepdims=keepdims)


@nondifferentiable
def all(x, axis=None, keepdims=False):
    """True where every element along ``axis`` is truthy."""
    return np.all(x, axis=axis if not isinstance(axis, list) else tuple(axis), keepdims=keepdims)


@nondifferentiable
def any(x, axis=None, keepdims=False):
    """True where some element along ``axis`` is truthy."""
    return np.any(x, axis=axis if not isinstance(axis, list) else tuple(axis), keepdims=keepdims)


@nondifferentiable
def count_nonzero(x, axis=None):
    """Number of non-zero elements along ``axis``."""
    return np.asarray(np.count_nonzero(x, axis=axis if not isinstance(axis, list) else tuple(axis)))


@primitive
def _cumsum(x, axis):
    def vjp(g):
        return (np.flip(np.cumsum(np.flip(g, axis), axis), axis),)

    return np.cumsum(x, axis=axis), vjp


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (``None``: over the flattened array)."""
    x = x if dtype is None else cast(x, dtype)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return _cumsum(x, axis=axis)


@primitive
def _cumprod(x, axis):
    out = np.cumprod(x, axis=axis)

    def vjp(g):
        # d out_j / d x_i = out_j / x_i for j >= i; exact only where x is non-zero (as TF).
        return (np.flip(np.cumsum(np.flip(g * out, axis), axis), axis) / x,)

    return out, vjp


def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis``. Its gradient assumes non-zero ``x`` (as TF)."""
    x = x if dtype is None else cast(x, dtype)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return _cumprod(x, axis=axis)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, as ``np.linalg.norm``.

    Args:
        x: input tensor.
        ord: ``None``/2 (Euclidean or Frobenius), 1, -1, ``inf``, ``-inf``, 0 or any p for
            vectors; ``"fro"``, 1, -1, ``inf``, ``-inf`` for matrices (``axis`` of length 2).
        axis: ``None`` (all axes, Euclidean), an int or a pair of ints.
        keepdims: keep the reduced axes with length 1.

    Returns:
        The norm, in ``x``'s float dtype.
    """
    x = _float(x)
    ndim = as_array(x).ndim
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        return _matrix_norm(x, ord, tuple(axis), keepdims)
    if axis is None and ord is not None and ndim == 2:
        return _matrix_norm(x, ord, (0, 1), keepdims)
    if ord is None or ord == 2:
        return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return cast(sum(cast(not_equal(x, 0), as_array(x).dtype.name), axis=axis, keepdims=keepdims),
                    as_array(x).dtype.name)
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    return power(sum(power(abs(x), p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, ord, axis, keepdims):
    a0, a1 = (a % as_array(x).ndim for a in axis)
    if ord in (None, "fro"):
        return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (a0, a1) if ord in (1, -1) else (a1, a0)
        s = sum(abs(x), axis=inner, keepdims=True)
        red = max if ord in (1, np.inf) else min
        out = red(s, axis=outer, keepdims=True)
        return out if keepdims else _squeeze(out, (a0, a1))
    raise ValueError(
        f"norm: matrix ord={ord!r} is not supported; use None, 'fro', 1, -1, inf or -inf."
    )


def average(x, axis=None, weights=None):
    """Weighted mean over ``axis``; 1-D ``weights`` apply along ``axis``."""
    if weights is None:
        return mean(x, axis=axis)
    x = _float(x)
    w = weights if hasattr(weights, "value") else as_array(weights)
    xa, wa = as_array(x), as_array(w)
    if wa.ndim == 1 and xa.ndim > 1 and axis is not None:
        w = reshape(w, [-1 if i == axis % xa.ndim else 1 for i in range(xa.ndim)])
    return divide(sum(multiply(x, w), axis=axis), sum(multiply(w, np.ones_like(xa)), axis=axis))
