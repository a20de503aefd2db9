"""Logs as callbacks see them: flat ``{name: float}`` dicts, and the batch/output helpers
the run objects share."""

import numbers

import numpy as np

from kcore.backend.tensor import Tensor
from kcore.trainers import data_adapters


def _scalar(value):
    if isinstance(value, Tensor):
        value = value.value
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return float(value.reshape(()))
        return value
    if isinstance(value, numbers.Number):
        return float(value)
    return value


def pythonify_logs(logs):
    """Floats where possible, nested dicts flattened, arrays split per element, keys sorted.

    A metric whose result is a vector (e.g. ``F1Score(average=None)``) appears as one scalar
    per element, ``<name>_0``, ``<name>_1``, ... so every logger can record it.
    """
    flat = {}

    def put(key, value):
        if isinstance(value, dict):
            for k, v in value.items():
                put(k, v)
            return
        value = _scalar(value)
        if isinstance(value, np.ndarray) and value.ndim == 1:
            for i, v in enumerate(value):
                flat[f"{key}_{i}"] = float(v)
        else:
            flat[key] = value

    for k, v in (logs or {}).items():
        put(k, v)
    return {k: flat[k] for k in sorted(flat)}


def batch_size_of(x):
    """The number of samples in a (possibly nested) batch of inputs."""
    for a in data_adapters._flat(x):
        return int(np.shape(getattr(a, "value", a))[0])
    return 0


def to_numpy(struct):
    """Tensors (in any list/tuple/dict nesting) as numpy arrays."""
    if isinstance(struct, Tensor):
        return struct.value
    if isinstance(struct, dict):
        return {k: to_numpy(v) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(to_numpy(v) for v in struct)
    return np.asarray(struct)


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def sorted_dicts(struct):
    """``struct`` with every dict's keys in sorted order (Keras's flattening order)."""
    if isinstance(struct, dict):
        return {k: sorted_dicts(struct[k]) for k in _sorted_keys(struct)}
    if isinstance(struct, (list, tuple)):
        return type(struct)(sorted_dicts(v) for v in struct)
    return struct


def concat_batches(batches):
    """Per-batch outputs (same structure each) joined along the batch axis."""
    first = batches[0]
    if isinstance(first, dict):  # keys sorted, as Keras returns predict() dicts
        return {k: concat_batches([b[k] for b in batches]) for k in _sorted_keys(first)}
    if isinstance(first, (list, tuple)):
        return [concat_batches([b[i] for b in batches]) for i in range(len(first))]
    return np.concatenate(batches, axis=0)
