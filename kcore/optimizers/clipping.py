"""Gradient clipping as Keras 3 does it, on numpy arrays (new arrays; inputs untouched)."""

import math

import numpy as np


def _squared_norm(g):
    flat = g.reshape(-1)
    return float(np.dot(flat, flat))


def _ratio(norm, clip):
    """``clip / max(norm, clip)``, NaN when ``norm`` is not finite (as Keras)."""
    if not math.isfinite(norm):
        return math.nan
    return clip / norm if norm > clip else 1.0


def clip_by_norm(g, clipnorm):
    """``g * clipnorm / max(||g||_2, clipnorm)``: rescales ``g`` to norm at most ``clipnorm``."""
    ratio = _ratio(math.sqrt(_squared_norm(g)), clipnorm)
    return g if ratio == 1.0 else g * g.dtype.type(ratio)


def global_norm(grads):
    """``sqrt(sum_i ||g_i||^2)`` over the non-``None`` gradients."""
    return math.sqrt(sum(_squared_norm(g) for g in grads if g is not None))


def clip_by_global_norm(grads, clipnorm):
    """Scales all gradients by ``clipnorm / max(global_norm, clipnorm)``."""
    ratio = _ratio(global_norm(grads), clipnorm)
    if ratio == 1.0:
        return list(grads)
    return [None if g is None else g * g.dtype.type(ratio) for g in grads]
