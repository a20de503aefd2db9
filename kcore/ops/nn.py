"""Neural-network ops: activations, cross-entropies, normalisation, one-hot encodings.

``sigmoid``, ``softplus``, ``softmax``, ``log_softmax`` and the from-logits cross-entropies
are fused primitives: each is computed in its numerically stable form (no overflow at
+-300 in float32) and has a short hand-written VJP. Everything else is composed.
"""

import contextvars
import math as _math

import numpy as np

from kcore.backend import config
from kcore.backend.autodiff import _unbroadcast, nondifferentiable, primitive
from kcore.backend.kernels import kernels_for
from kcore.ops.core import as_array, as_float as _float, cast
from kcore.ops.linalg import matmul
from kcore.ops.logic import greater
from kcore.ops.math import (abs, add, clip, divide, erf, expm1, log, maximum, minimum, multiply,
                            negative, rsqrt, square, subtract, tanh, where)
from kcore.ops.reductions import max as _reduce_max, mean, norm, sum
from kcore.ops.shape import reshape, squeeze
from kcore.ops.shape import moveaxis

__all__ = [
    "relu", "relu6", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "softmax",
    "log_softmax", "softplus", "softsign", "elu", "selu", "gelu", "silu", "swish",
    "leaky_relu", "log_sigmoid", "tanh", "mish", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "moments",
    "batch_normalization", "normalize", "one_hot", "multi_hot",
]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805
_SQRT_2_OVER_PI = _math.sqrt(2.0 / _math.pi)
_INV_SQRT_2 = 1.0 / _math.sqrt(2.0)


# -- fused numpy kernels -------------------------------------------------------------------
def _np_sigmoid(x):
    # exp(-|x|) never overflows; pick the algebraically equal form for each sign.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# -- activations ---------------------------------------------------------------------------
@primitive
def relu(x):
    """``max(x, 0)``; the gradient at 0 is 0 (as TF)."""
    out = np.maximum(x, 0)
    return out, lambda g: (g * (out > 0),)


def relu_mask(y, g):
    """``g * (y > 0)`` for ``y = relu(...)`` (so ``y >= 0`` and ``sign(y)`` is the 0/1 mask).

    One compiled pass when the kernels are available, two numpy passes otherwise. The fused
    Dense and Conv ops use it for their ReLU's gradient.
    """
    compiled = kernels_for(y.dtype, g.dtype)
    if compiled is not None and y.shape == g.shape and y.dtype == g.dtype and y.flags.c_contiguous:
        return compiled.sign_times(y.reshape(-1), np.ascontiguousarray(g).reshape(-1)).reshape(
            y.shape)
    mask = np.sign(y)
    mask *= g
    return mask


@primitive
def _dense(x, kernel, bias=None, *, relu=False):
    """(kcore extension) ``x @ kernel + bias``, then ``relu`` if asked, as one op.

    What ``Dense`` computes, with the bias and the ReLU applied in place on the product:
    no extra passes or temporaries, and one tape entry instead of three. The numbers are
    those of ``matmul``, ``add`` and ``relu`` in turn (tested bit for bit), except that
    the ReLU's gradient at a NaN pre-activation is NaN here and 0 in ``relu`` (as in the
    fused convolution).

    Args:
        x: ``(batch, ..., in)``.
        kernel: ``(in, units)``.
        bias: ``(units,)`` or ``None``.
        relu: apply ``max(., 0)``.
    """
    y, matmul_vjp = matmul.raw(x, kernel)  # a fresh array: the rest is in place
    if bias is not None:
        if np.result_type(y, bias) == y.dtype:
            y += bias
        else:  # a wider bias: promote as add would
            y = y + bias
    if relu:
        np.maximum(y, 0, out=y)

    def vjp(g, needs=(True, True, True)):
        if relu:
            g = relu_mask(y, g)
        gx, gk = matmul_vjp(g, needs[:2])
        # the bias's gradient as add's: reduced over the broadcast axes by the tape's helper
        gb = _unbroadcast(g, np.shape(bias)) if bias is not None and needs[2] else None
        return gx, gk, gb

    return y, vjp


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return minimum(relu(x), 6.0)


@primitive
def sigmoid(x):
    """``1 / (1 + exp(-x))``, stable for large ``|x|``."""
    out = _np_sigmoid(x)
    return out, lambda g: (g * out * (1.0 - out),)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6`` (Keras 3)."""
    return divide(relu6(add(x, 3.0)), 6.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


@primitive
def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    out = e / np.sum(e, axis=axis, keepdims=True)
    return out, lambda g: (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple), shifted by the max.

    Example:
        >>> kcore.ops.softmax([0.0, 0.0]).numpy()
        array([0.5, 0.5], dtype=float32)
    """
    return _softmax(_float(x), axis=_axis(axis))


@primitive
def _log_softmax(x, axis):
    out = _np_log_softmax(x, axis)
    return out, lambda g: (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``, computed stably."""
    return _log_softmax(_float(x), axis=_axis(axis))


@primitive
def softplus(x):
    """``log(1 + exp(x))``, computed as ``max(x, 0) + log1p(exp(-|x|))``."""
    out = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    return out, lambda g: (g * _np_sigmoid(x),)


def softsign(x):
    """``x / (1 + |x|)``."""
    return divide(x, add(abs(x), 1.0))


def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    # expm1 sees only x <= 0: a large positive x would overflow, and 0 * inf gives nan.
    return where(greater(x, 0), x, multiply(expm1(minimum(x, 0.0)), float(alpha)))


def selu(x):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return multiply(elu(x, _SELU_ALPHA), _SELU_SCALE)


def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation unless ``approximate=False``."""
    if approximate:
        inner = multiply(add(x, multiply(multiply(square(x), x), 0.044715)), _SQRT_2_OVER_PI)
        return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, _INV_SQRT_2)), 1.0))


def silu(x):
    """``x * sigmoid(x)``."""
    return multiply(x, sigmoid(x))


swish = silu


def leaky_relu(x, negative_slope=0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x``."""
    return where(greater(x, 0), x, multiply(x, float(negative_slope)))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return negative(softplus(negative(x)))


def mish(x):
    """``x * tanh(softplus(x))``."""
    return multiply(x, tanh(softplus(x)))


# -- cross-entropies -------------------------------------------------------------------------
@primitive
def _sigmoid_cross_entropy_with_logits(target, logits):
    x, z = logits, target
    out = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    return out, lambda g: (-g * x, g * (_np_sigmoid(x) - z))


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise ``-(t log p + (1 - t) log(1 - p))``.

    Args:
        target: labels in ``[0, 1]``, same shape as ``output``.
        output: probabilities, or logits when ``from_logits=True``.
        from_logits: use the fused stable form ``max(x, 0) - x t + log1p(exp(-|x|))``,
            whose gradient is ``sigmoid(x) - t``.

    Returns:
        The loss per element (no reduction).
    """
    output, from_logits = _cached_logits(output, from_logits, "sigmoid", None)
    output = _float(output)
    target = cast(target, as_array(output).dtype.name)
    if from_logits:
        return _sigmoid_cross_entropy_with_logits(target, output)
    eps = config.epsilon()
    p = clip(output, eps, 1.0 - eps)
    return negative(add(multiply(target, log(p)),
                        multiply(subtract(1.0, target), log(subtract(1.0, p)))))


def _cached_logits(output, from_logits, kind, axis):
    """The logits behind a softmax/sigmoid activation's output, when it has them.

    As in Keras, a cross-entropy on the output of ``activations.softmax``/``sigmoid``
    uses the fused logits form: stabler, and the softmax's own backward is skipped.
    """
    cached = getattr(output, "_keras_logits", None)
    if cached is None or from_logits:
        return output, from_logits
    logits, cached_kind, cached_axis = cached
    if cached_kind != kind or (axis is not None and cached_axis is not None and
                               cached_axis % output.ndim != axis % output.ndim):
        return output, from_logits
    return logits, True


@primitive
def _softmax_cross_entropy_with_logits(target, logits, axis):
    logp = _np_log_softmax(logits, axis)
    out = -np.sum(target * logp, axis=axis)

    def vjp(g):
        g = np.expand_dims(g, axis)
        # Gradient of -sum(t * log_softmax(x)) is softmax(x) * sum(t) - t; sum(t) is 1 for
        # proper labels.
        return -g * logp, g * (np.exp(logp) * np.sum(target, axis=axis, keepdims=True) - target)

    return out, vjp


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(t * log p)`` along ``axis``.

    Args:
        target: one-hot (or soft) labels, same shape as ``output``.
        output: probabilities (rescaled to sum to 1, then clipped to ``[eps, 1 - eps]`` as
            Keras does), or logits when ``from_logits=True`` (fused log-softmax form whose
            gradient is ``softmax(x) - t``).
        from_logits: whether ``output`` holds logits.
        axis: the class axis.

    Returns:
        The loss with ``axis`` reduced.
    """
    output, from_logits = _cached_logits(output, from_logits, "softmax", axis)
    output = _float(output)
    target = cast(target, as_array(output).dtype.name)
    if from_logits:
        return _softmax_cross_entropy_with_logits(target, output, axis=axis)
    eps = config.epsilon()
    p = divide(output, sum(output, axis=axis, keepdims=True))
    p = clip(p, eps, 1.0 - eps)
    return negative(sum(multiply(target, log(p)), axis=axis))


@primitive
def _sparse_softmax_cross_entropy_with_logits(target, logits, axis):
    logp = _np_log_softmax(logits, axis)
    # The classes moved last, one row per prediction: each row's target entry is picked by
    # plain indexing (numpy's take/put_along_axis build index grids, ~10x the cost here).
    moved = np.moveaxis(logp, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    picked = (np.arange(len(rows)), np.asarray(target, np.intp).reshape(-1))
    out = -rows[picked].reshape(np.shape(target))

    def vjp(g):
        d = np.exp(rows)
        d[picked] -= 1.0
        return None, np.expand_dims(g, axis) * np.moveaxis(d.reshape(moved.shape), -1, axis)

    return out, vjp


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer class labels.

    Args:
        target: integer labels with ``output``'s shape minus ``axis`` (a trailing length-1
            axis is squeezed away, as Keras does).
        output: probabilities or logits, classes along ``axis``.
        from_logits: whether ``output`` holds logits (fused, gradient ``softmax - onehot``).
        axis: the class axis.

    Returns:
        The loss with ``axis`` reduced.
    """
    output, from_logits = _cached_logits(output, from_logits, "softmax", axis)
    output = _float(output)
    t = as_array(target)
    out_ndim = as_array(output).ndim
    if t.ndim == out_ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if t.dtype.kind not in "iu":
        t = t.astype(np.int64)
    n = as_array(output).shape[axis]
    check_class_ids(t, n, "sparse_categorical_crossentropy")
    if from_logits:
        return _sparse_softmax_cross_entropy_with_logits(t, output, axis=axis)
    return categorical_crossentropy(one_hot(t, n, axis=axis, dtype=as_array(output).dtype.name),
                                    output, from_logits=False, axis=axis)


# Labels that the running computation's loss ignores (``ignore_class``): compiled sparse
# metrics see them too and must let them pass. Set per fit/evaluate step, per thread.
ignored_labels = contextvars.ContextVar("kcore_ignored_labels", default=())


def check_class_ids(labels, num_classes, what):
    """Raises a clear ``ValueError`` unless every label is a class index in ``[0, n)``.

    Without it an out-of-range label is an ``IndexError`` deep in numpy, and ``-1``
    silently trains as the last class.

    Args:
        labels: integer label array.
        num_classes: the size of the class axis of the predictions.
        what: the loss or metric name, for the message.
    """
    if labels.size == 0:
        return
    low, high = labels.min(), labels.max()
    if low >= 0 and high < num_classes:
        return
    for value in ignored_labels.get():
        labels = labels[labels != value]
    if labels.size == 0:
        return
    low, high = labels.min(), labels.max()
    if low >= 0 and high < num_classes:
        return
    bad = low if low < 0 else high
    raise ValueError(
        f"{what} expects integer class labels in [0, {num_classes}) for predictions with "
        f"{num_classes} classes; received label {int(bad)} (labels range from {int(low)} to "
        f"{int(high)}). Fix the labels (e.g. subtract 1 if they start at 1), give the last "
        f"layer {int(high) + 1} units if there are that many classes, or leave out a 'void' "
        f"label such as -1 with SparseCategoricalCrossentropy(ignore_class=-1).")


# -- normalisation ---------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and (population) variance of ``x`` over ``axes``.

    Returns:
        ``(mean, variance)``.
    """
    x = _float(x)
    m = mean(x, axis=axes, keepdims=True)
    v = mean(square(subtract(x, m)), axis=axes, keepdims=True)
    if not keepdims:
        m, v = squeeze(m, axes), squeeze(v, axes)
    return m, v


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, per channel on ``axis``.

    ``mean``, ``variance``, ``offset`` and ``scale`` are 1-D, of length ``x.shape[axis]``.
    """
    ndim = as_array(x).ndim
    shape = [1] * ndim
    shape[axis % ndim] = -1
    inv = rsqrt(add(reshape(variance, shape), float(epsilon)))
    if scale is not None:
        inv = multiply(inv, reshape(scale, shape))
    res = negative(multiply(reshape(mean, shape), inv))
    if offset is not None:
        res = add(res, reshape(offset, shape))
    return add(multiply(x, inv), res)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (floored at ``epsilon``)."""
    eps = config.epsilon() if epsilon is None else float(epsilon)
    x = _float(x)
    if order == 2:
        return multiply(x, rsqrt(maximum(sum(square(x), axis=axis, keepdims=True), eps)))
    return divide(x, maximum(norm(x, ord=order, axis=axis, keepdims=True), eps))


# -- encodings ---------------------------------------------------------------------------
@nondifferentiable
def _one_hot(x, num_classes, axis, dtype):
    x = np.asarray(x)
    # Out-of-range labels (e.g. -1 for padding) give an all-zero row, as in TF.
    out = (x[..., None] == np.arange(num_classes)).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis not in (-1, x.ndim) else out


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encodes integer ``x`` into a new ``axis`` of length ``num_classes``."""
    return _one_hot(x, num_classes=int(num_classes), axis=axis,
                    dtype=config.standardize_dtype(dtype))


def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """Encodes each row of integer labels as a vector with ones at those labels."""
    oh = one_hot(inputs, num_classes, axis=-1, dtype=dtype)
    out = _reduce_max(oh, axis=-2 if np.ndim(as_array(inputs)) > 1 else 0)
    if axis not in (-1, as_array(out).ndim - 1):
        out = moveaxis(out, -1, axis)
    return out


# -- helpers -----------------------------------------------------------------------------
def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis
