"""Fused normalisation primitives: batch, layer and RMS normalisation.

Each is one primitive whose forward computes the statistics, normalises, scales and shifts
in a few passes over the data, and whose hand-written VJP returns the gradients for the
input and for every parameter at once. They are on the hot path of CNN (batch norm) and
transformer (layer norm) training, where the composed form would record a dozen ops.

Shapes: for batch normalisation ``scale``, ``offset``, ``mean`` and ``variance`` are 1-D of
length ``x.shape[axis]``; for layer/RMS normalisation ``gamma``/``beta``/``scale`` have the
sizes of the normalised axes, in the order the axes are given (as Keras's weights).
Inside a VJP ``g`` is the upstream gradient; statistics are per channel (batch norm) or per
row (layer norm).
"""

import numpy as np

from kcore.backend import config
from kcore.backend.autodiff import primitive

__all__ = ["fused_batch_normalization", "batch_normalization_with_moments",
           "layer_normalization", "rms_normalization"]


def _norm_axes(axis, ndim):
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def _param_shape(shape, axes):
    """Broadcast shape of a parameter that spans ``axes`` of an array of ``shape``."""
    out = [1] * len(shape)
    for a in axes:
        out[a] = shape[a]
    return tuple(out)


def _reshaped(p, shape):
    return None if p is None else np.reshape(p, shape)


# -- batch normalisation -------------------------------------------------------------------
def _channel_reducers(ndim, ch):
    """Per-channel ``sum(a)`` and ``sum(a * b)`` over every axis but ``ch``.

    ``np.einsum`` reduces a product without materialising it and is several times faster
    than ``(a * b).sum(axes)`` for these shapes.
    """
    idx = "abcdefghijklmnopqrstuvwxyz"[:ndim]
    one, two = f"{idx}->{idx[ch]}", f"{idx},{idx}->{idx[ch]}"
    return (lambda a: np.einsum(one, a)), (lambda a, b: np.einsum(two, a, b))


@primitive
def _batch_norm_moments(x, scale, offset, axis, epsilon):
    """Training-mode batch norm: returns ``(out, batch_mean, batch_variance)``."""
    ch = int(axis) % x.ndim
    bshape = _param_shape(x.shape, (ch,))
    csum, cdot = _channel_reducers(x.ndim, ch)
    n = x.size // x.shape[ch]
    mean = csum(x) / n
    xhat = x - mean.reshape(bshape)
    var = cdot(xhat, xhat) / n
    inv = (1.0 / np.sqrt(var + epsilon)).reshape(bshape)
    xhat *= inv
    s = _reshaped(scale, bshape)
    out = xhat * s if s is not None else xhat.copy()
    if offset is not None:
        out += _reshaped(offset, bshape)

    def vjp(gs):
        g, g_mean, g_var = gs
        g_sum = csum(g).reshape(bshape)
        g_xhat = cdot(g, xhat).reshape(bshape)
        a = inv if s is None else s * inv
        # d out/dx through the batch statistics, plus the mean/variance outputs' own gradients
        # (d mean/dx = 1/n, d var/dx = 2 (x - mean)/n = 2 xhat / (inv n)).
        b = (-a * g_xhat + 2.0 * g_var.reshape(bshape) / inv) / n
        c = (g_mean.reshape(bshape) - a * g_sum) / n
        dx = g * a
        dx += xhat * b
        dx += c
        d_scale = None if scale is None else g_xhat.reshape(scale.shape)
        d_offset = None if offset is None else g_sum.reshape(offset.shape)
        return dx, d_scale, d_offset

    return (out, mean, var), vjp


def batch_normalization_with_moments(x, axis=-1, offset=None, scale=None, epsilon=1e-3):
    """Batch normalisation with the batch's own statistics, fused (training mode).

    ``out = (x - mean) / sqrt(variance + epsilon) * scale + offset`` where ``mean`` and
    ``variance`` (biased) are taken over every axis except ``axis``.

    Args:
        x: input tensor.
        axis: the channel axis.
        offset: optional 1-D shift (``beta``) of length ``x.shape[axis]``.
        scale: optional 1-D scale (``gamma``) of length ``x.shape[axis]``.
        epsilon: added to the variance.

    Returns:
        ``(out, mean, variance)``; ``mean`` and ``variance`` are 1-D, per channel.

    Example:
        >>> out, m, v = kcore.ops.batch_normalization_with_moments(np.ones((4, 3)))
        >>> m.shape
        (3,)
    """
    return _batch_norm_moments(x, scale, offset, axis=axis, epsilon=float(epsilon))


@primitive
def _batch_norm(x, mean, variance, scale, offset, axis, epsilon):
    ch = int(axis) % x.ndim
    bshape = _param_shape(x.shape, (ch,))
    m = mean.reshape(bshape)
    inv = 1.0 / np.sqrt(variance.reshape(bshape) + epsilon)
    s = _reshaped(scale, bshape)
    a = inv if s is None else inv * s
    shift = -m * a
    if offset is not None:
        shift = shift + _reshaped(offset, bshape)
    out = x * a
    out += shift

    def vjp(g):
        csum, cdot = _channel_reducers(x.ndim, ch)
        g_sum = csum(g).reshape(bshape)
        g_xc = cdot(g, x).reshape(bshape) - m * g_sum  # sum(g * (x - mean))
        one = 1.0 if s is None else s
        d_mean = (-a * g_sum).reshape(mean.shape)
        d_var = (-0.5 * inv ** 3 * one * g_xc).reshape(variance.shape)
        d_scale = None if scale is None else (inv * g_xc).reshape(scale.shape)
        d_offset = None if offset is None else g_sum.reshape(offset.shape)
        return g * a, d_mean, d_var, d_scale, d_offset

    return out, vjp


def fused_batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` as one fused op.

    Same arguments and result as ``kcore.ops.batch_normalization``; differentiable with
    respect to every tensor argument (inference-mode batch norm, masked statistics).

    Args:
        x: input tensor.
        mean, variance: 1-D statistics of length ``x.shape[axis]``.
        axis: the channel axis.
        offset, scale: optional 1-D ``beta`` and ``gamma``.
        epsilon: added to the variance.

    Returns:
        A tensor of ``x``'s shape.
    """
    return _batch_norm(x, mean, variance, scale, offset, axis=axis, epsilon=float(epsilon))


# -- layer normalisation -------------------------------------------------------------------
@primitive
def _layer_norm(x, gamma, beta, axes, epsilon):
    axes = _norm_axes(axes, x.ndim)
    pshape = _param_shape(x.shape, axes)
    keep = tuple(i for i in range(x.ndim) if i not in axes)
    mean = x.mean(axis=axes, keepdims=True)
    xhat = x - mean
    inv = 1.0 / np.sqrt(np.mean(np.square(xhat), axis=axes, keepdims=True) + epsilon)
    xhat *= inv
    s = _reshaped(gamma, pshape)
    out = xhat * s if s is not None else xhat.copy()
    if beta is not None:
        out += _reshaped(beta, pshape)

    def vjp(g):
        gx = g * s if s is not None else g
        dx = gx - gx.mean(axis=axes, keepdims=True)
        dx -= xhat * np.mean(gx * xhat, axis=axes, keepdims=True)
        dx *= inv
        d_gamma = None if gamma is None else (g * xhat).sum(axis=keep).reshape(gamma.shape)
        d_beta = None if beta is None else g.sum(axis=keep).reshape(beta.shape)
        return dx, d_gamma, d_beta

    return out, vjp


@primitive
def _rms_norm(x, scale, axes, epsilon, center):
    """``x * rsqrt(m + epsilon) * scale`` with ``m`` the mean square (of ``x - mean(x)`` if
    ``center``, as Keras's deprecated ``LayerNormalization(rms_scaling=True)``)."""
    axes = _norm_axes(axes, x.ndim)
    pshape = _param_shape(x.shape, axes)
    keep = tuple(i for i in range(x.ndim) if i not in axes)
    xc = x - x.mean(axis=axes, keepdims=True) if center else x
    inv = 1.0 / np.sqrt(np.mean(np.square(xc), axis=axes, keepdims=True) + epsilon)
    s = _reshaped(scale, pshape)
    xn = x * inv
    out = xn * s if s is not None else xn

    def vjp(g):
        gs = g * s if s is not None else g
        # d inv / dx = -inv^3 * xc / n (the mean's own derivative cancels when centred).
        dx = gs * inv
        dx -= xc * (inv ** 3 * np.mean(gs * x, axis=axes, keepdims=True))
        d_scale = None if scale is None else (g * xn).sum(axis=keep).reshape(scale.shape)
        return dx, d_scale

    return out, vjp


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Normalises ``x`` over ``axis`` (an int or a list) for each example, as Keras.

    ``out = (x - mean) / sqrt(variance + epsilon) * gamma + beta``. With
    ``rms_scaling=True`` (Keras's deprecated variant, which scales by the variance):
    ``out = x / sqrt(variance + epsilon) * gamma``, and ``beta`` is ignored.

    Args:
        x: input tensor.
        gamma, beta: optional parameters with the sizes of the normalised axes.
        axis: int or list of ints.
        epsilon: added to the variance (default ``kcore.config.epsilon()``).
        rms_scaling: see above.

    Returns:
        A tensor of ``x``'s shape.

    Example:
        >>> kcore.ops.layer_normalization(np.array([[1.0, 3.0]]), epsilon=0.0).numpy()
        array([[-1.,  1.]], dtype=float32)
    """
    eps = config.epsilon() if epsilon is None else float(epsilon)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if rms_scaling:
        return _rms_norm(x, gamma, axes=axes, epsilon=eps, center=True)
    return _layer_norm(x, gamma, beta, axes=axes, epsilon=eps)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalisation: ``x * rsqrt(mean(x ** 2) + epsilon) * scale``.

    Args:
        x: input tensor.
        scale: optional parameter with the sizes of the normalised axes.
        axis: int or list of ints.
        epsilon: added to the mean square (default ``kcore.config.epsilon()``).

    Returns:
        A tensor of ``x``'s shape.
    """
    eps = config.epsilon() if epsilon is None else float(epsilon)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return _rms_norm(x, scale, axes=axes, epsilon=eps, center=False)
