"""``kcore.random``: seeded random tensors, as ``keras.random``."""

import numpy as np

from kcore import ops
from kcore.backend import config
from kcore.backend.random import SeedGenerator, get_state, rng, set_state
from kcore.backend.sharding import batch_draw_shape
from kcore.backend.tensor import Tensor

__all__ = ["SeedGenerator", "get_state", "set_state", "normal", "uniform", "truncated_normal", "dropout", "shuffle",
           "randint", "categorical", "gamma", "beta", "binomial"]


def _dtype(dtype):
    return np.dtype(config.standardize_dtype(dtype))


def _draw(shape, draw):
    """``draw(shape)``; inside a data-parallel step, this worker's rows of the global draw.

    See ``kcore.backend.sharding``: every worker draws the whole global batch's numbers
    (so its stream advances as one process's) and keeps its own rows.
    """
    shape, rows = batch_draw_shape(shape)
    out = draw(shape)
    return out if rows is None else out[rows]


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution."""
    dt = _dtype(dtype)
    gen, kind = rng(seed), dt if dt in (np.float32, np.float64) else np.float64
    x = _draw(shape, lambda s: gen.standard_normal(s, dtype=kind))
    return Tensor((x * stddev + mean).astype(dt, copy=False))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniformly from ``[minval, maxval)``."""
    dt = _dtype(dtype)
    if dt.kind in "iu":
        return randint(shape, minval, maxval, dtype=dt, seed=seed)
    gen, kind = rng(seed), dt if dt in (np.float32, np.float64) else np.float64
    x = _draw(shape, lambda s: gen.random(s, dtype=kind))
    return Tensor((x * (maxval - minval) + minval).astype(dt, copy=False))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples, redrawn until within two standard deviations of the mean."""
    dt = _dtype(dtype)
    gen = rng(seed)

    def draw(shape):
        x = gen.standard_normal(shape)
        bad = np.abs(x) > 2.0
        while bad.any():
            x[bad] = gen.standard_normal(int(bad.sum()))
            bad = np.abs(x) > 2.0
        return x

    return Tensor((_draw(shape, draw) * stddev + mean).astype(dt))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers from ``[minval, maxval)``."""
    gen = rng(seed)
    return Tensor(_draw(shape, lambda s: gen.integers(minval, maxval, size=s)).astype(_dtype(dtype)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws ``num_samples`` class indices per row of ``logits``."""
    lg = np.asarray(logits.value if isinstance(logits, Tensor) else logits, dtype=np.float64)
    p = np.exp(lg - lg.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    cdf = np.cumsum(p, axis=-1)
    u = rng(seed).random((lg.shape[0], num_samples, 1))
    idx = (u > cdf[:, None, :]).sum(axis=-1)
    return Tensor(np.minimum(idx, lg.shape[-1] - 1).astype(_dtype(dtype)))


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from a gamma distribution with concentration ``alpha``."""
    return Tensor(rng(seed).gamma(alpha, size=tuple(shape)).astype(_dtype(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a beta distribution."""
    return Tensor(rng(seed).beta(alpha, beta, size=tuple(shape)).astype(_dtype(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from a binomial distribution."""
    return Tensor(rng(seed).binomial(counts, probabilities, size=tuple(shape)).astype(_dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes entries with probability ``rate`` and scales the rest by ``1/(1-rate)``."""
    x = inputs.value if isinstance(inputs, Tensor) else np.asarray(inputs)
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if d is None else d for i, d in enumerate(noise_shape))
    gen = rng(seed)
    keep = _draw(shape, lambda s: gen.random(s, dtype=np.float32)) >= rate
    mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - rate), dtype=x.dtype)
    return ops.multiply(inputs, mask)


def shuffle(x, axis=0, seed=None):
    """Shuffles ``x`` along ``axis``."""
    arr = x.value if isinstance(x, Tensor) else np.asarray(x)
    perm = rng(seed).permutation(arr.shape[axis])
    return Tensor(np.take(arr, perm, axis=axis))
