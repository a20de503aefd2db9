"""Turning ``update_state`` arguments into numpy arrays with Keras 3's shape rules.

Metrics are updated once per batch, outside any tape, so every metric of this package does
its arithmetic in numpy on the metric's dtype (``float32`` by default), as Keras does on
its variables' dtype.
"""

import numpy as np

from kcore import ops


def as_array(x, dtype):
    """``x`` (a kcore tensor, numpy array, list or number) as a numpy array of ``dtype``."""
    return np.asarray(ops.convert_to_numpy(x), dtype=dtype)


def same_rank(a, b):
    """Squeezes a trailing size-1 axis off whichever of ``a``, ``b`` has one more rank.

    This is Keras's ``squeeze_or_expand_to_same_rank`` for the cases metrics meet:
    ``(batch, 1)`` labels against ``(batch,)`` predictions and the reverse.
    """
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        a = a[..., 0]
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        b = b[..., 0]
    return a, b


def broadcast_weights(sample_weight, shape, dtype):
    """``sample_weight`` broadcast to ``shape``; ``None`` stays ``None``.

    Per-sample weights ``(batch,)`` apply to every entry of a sample: trailing axes are
    added until the ranks match (a trailing size-1 axis too many is squeezed).

    Raises:
        ValueError: the weights cannot be broadcast to ``shape``.
    """
    if sample_weight is None:
        return None
    w = as_array(sample_weight, dtype)
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if 0 < w.ndim < len(shape):
        w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"`sample_weight` of shape {np.shape(sample_weight)} cannot be broadcast to the "
            f"predictions of shape {tuple(shape)}. Pass one weight per sample, shape "
            f"({shape[0] if shape else 1},), or one per prediction."
        ) from None


def divide_no_nan(a, b):
    """``a / b``, and 0 where ``b == 0`` (Keras's ``ops.divide_no_nan``)."""
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    out = np.zeros(a.shape, dtype=np.result_type(a, b))
    np.divide(a, b, out=out, where=b != 0)
    return out


def to_result(value, dtype):
    """A metric result as kcore returns them: a tensor of the metric's dtype."""
    return ops.convert_to_tensor(np.asarray(value, dtype=dtype))
