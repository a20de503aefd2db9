"""Turns what ``adapt(data)`` receives into a stream of numpy batches, as Keras accepts it:
an array, a ``Tensor``, a ``PyDataset`` or any iterable of batches (``(x, y)`` tuples give
their ``x``)."""

import numpy as np

from kcore.backend.tensor import Tensor


def _as_numpy(batch):
    if isinstance(batch, tuple):
        batch = batch[0]
    if isinstance(batch, Tensor):
        return batch.value
    return np.asarray(batch)


def batches(layer, data):
    """Yields the numpy batches of ``data``; raises a clear error for what is not data.

    Args:
        layer: the layer being adapted (named in errors).
        data: array, Tensor, list of strings, ``PyDataset`` or iterable of batches.

    Raises:
        TypeError: ``data`` is not array-like or iterable.
        ValueError: ``data`` holds no element.
    """
    name = f"{type(layer).__name__} {layer.name!r}"
    if isinstance(data, (np.ndarray, Tensor)) or (
            isinstance(data, (list, tuple)) and (not data or not _is_batch(data[0]))):
        arr = _as_numpy(data) if not isinstance(data, tuple) else np.asarray(data)
        if arr.size == 0:
            raise ValueError(f"{name}: adapt() received empty data (shape {arr.shape}). "
                             "Pass at least one sample.")
        yield arr
        return
    if isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__") and \
            not hasattr(data, "__getitem__"):
        raise TypeError(f"{name}: adapt() expects a numpy array, a list, a PyDataset or an "
                        f"iterable of batches; received {type(data).__name__}.")
    if hasattr(data, "on_epoch_end") and hasattr(data, "__getitem__"):  # a PyDataset
        data = (data[i] for i in range(len(data)))
    count = 0
    for batch in data:
        arr = _as_numpy(batch)
        count += 1
        yield arr
    if count == 0:
        raise ValueError(f"{name}: adapt() received an empty iterable (no batches). Pass at "
                         "least one batch, e.g. layer.adapt(x) or layer.adapt([x1, x2]).")


def _is_batch(item):
    return isinstance(item, (np.ndarray, Tensor, tuple)) or (
        isinstance(item, list) and item and not isinstance(item[0], (str, bytes, int, float)))
