"""Datasets cut from arrays: ``timeseries_dataset_from_array`` and ``split_dataset``.

Keras returns ``tf.data`` datasets; kcore returns a ``PyDataset`` of numpy batches (which
``fit``/``evaluate``/``predict`` accept and which can be indexed and iterated), or plain
arrays where the input was arrays (``split_dataset``).
"""

import random

import numpy as np

from kcore.trainers.py_dataset import PyDataset


class ArrayBatches(PyDataset):
    """Batches of ``(x, y)`` (or ``x``) gathered from arrays by per-sample indices.

    Args:
        make_x: ``indices -> x batch``.
        make_y: ``indices -> y batch``, or ``None`` for unlabelled data.
        indices: the sample indices, in order.
        batch_size: samples per batch (the last batch may be smaller); ``None``: one sample
            per item, unbatched.
    """

    def __init__(self, make_x, make_y, indices, batch_size):
        super().__init__()
        self._make_x, self._make_y = make_x, make_y
        self._indices = np.asarray(indices)
        self.batch_size = batch_size

    def __len__(self):
        if self.batch_size is None:
            return len(self._indices)
        return -(-len(self._indices) // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        index %= len(self)
        if self.batch_size is None:
            idx = self._indices[index:index + 1]
        else:
            idx = self._indices[index * self.batch_size:(index + 1) * self.batch_size]
        x = self._make_x(idx)
        if self.batch_size is None:
            x = x[0]
        if self._make_y is None:
            return x
        y = self._make_y(idx)
        return (x, y[0] if self.batch_size is None else y)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Sliding windows over a time series, as ``keras.utils.timeseries_dataset_from_array``.

    Window ``i`` holds ``data[s, s + r, ..., s + (sequence_length - 1) * r]`` with
    ``s = start_index + i * sequence_stride`` and ``r = sampling_rate``; its target is
    ``targets[s]``.

    Args:
        data: array-like, time along axis 0.
        targets: targets per time step (``targets[s]`` goes with the window starting at
            ``s``), or ``None`` for windows only.
        sequence_length: time steps per window.
        sequence_stride: offset between consecutive windows.
        sampling_rate: offset between time steps inside a window.
        batch_size: windows per batch (``None``: unbatched items).
        shuffle: shuffle the windows (with ``seed``).
        start_index, end_index: use only ``data[start_index:end_index]``.

    Returns:
        A ``PyDataset`` of ``(windows, targets)`` batches (or ``windows``), shapes
        ``(batch, sequence_length) + data.shape[1:]``.

    Example:
        >>> ds = kcore.utils.timeseries_dataset_from_array(np.arange(10), None, 3,
        ...                                                batch_size=2)
        >>> ds[0]
        array([[0, 1, 2], [1, 2, 3]])
    """
    data = np.asarray(data)
    for name, value in (("sequence_length", sequence_length),
                        ("sequence_stride", sequence_stride),
                        ("sampling_rate", sampling_rate)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"timeseries_dataset_from_array: `{name}` must be a positive "
                             f"int; received {value!r}.")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                   or batch_size <= 0):
        raise ValueError("timeseries_dataset_from_array: `batch_size` must be a positive int "
                         f"or None; received {batch_size!r}.")
    start_index = 0 if start_index is None else start_index
    end_index = len(data) if end_index is None else end_index
    if not 0 <= start_index < len(data):
        raise ValueError("timeseries_dataset_from_array: `start_index` must be in [0, "
                         f"{len(data)}); received {start_index}.")
    if not start_index < end_index <= len(data):
        raise ValueError("timeseries_dataset_from_array: `end_index` must be in "
                         f"({start_index}, {len(data)}]; received {end_index}.")
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        np.random.default_rng(seed).shuffle(starts)
    offsets = np.arange(sequence_length) * sampling_rate

    def windows(idx):
        return data[start_index + idx[:, None] + offsets[None, :]]

    def window_targets(idx):
        return targets[start_index + idx]

    return ArrayBatches(windows, None if targets is None else window_targets, starts,
                        batch_size)


def _split_sizes(left_size, right_size, total):
    """Integer sizes from Keras's int (count) or float (fraction) ``left_size``/``right_size``."""
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"split_dataset: `{name}` must be an int (a count) or a float (a "
                            f"fraction); received {type(value).__name__}.")
        if isinstance(value, int) and not 0 < value < total or \
                isinstance(value, float) and not 0 < value < 1:
            raise ValueError(f"split_dataset: `{name}` must be in (0, {total}) as an int or in "
                             f"(0, 1) as a float; received {value!r}.")
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: set `left_size` or `right_size` (or both).")
    left = round(left_size * total) if isinstance(left_size, float) else left_size
    right = round(right_size * total) if isinstance(right_size, float) else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} exceeds the "
                         f"{total} samples.")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: one side would be empty (left {left}, right {right} "
                         f"of {total} samples); adjust the sizes.")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits samples into two datasets, as ``keras.utils.split_dataset``.

    Args:
        dataset: an array, a tuple/list of arrays with one length (e.g. ``(x, y)``), a dict
            of such arrays, or a ``PyDataset`` (split by batch items).
        left_size, right_size: a count (int) or fraction (float) of the samples; the
            unset side gets the rest.
        shuffle: shuffle the samples first (Python's ``random`` with ``seed``, as Keras).
        seed: the shuffling seed.

    Returns:
        ``(left, right)`` of the same structure as ``dataset`` (arrays for arrays; for a
        ``PyDataset``, two ``PyDataset`` of single samples).
    """
    if isinstance(dataset, PyDataset):
        samples = [_unbatch_item(dataset[b], i) for b in range(len(dataset))
                   for i in range(_batch_len(dataset[b]))]
        order = _order(len(samples), shuffle, seed)
        left, right = _split_sizes(left_size, right_size, len(samples))
        pick = lambda ids: ArrayBatches(lambda idx: [samples[i] for i in idx], None, ids, None)  # noqa: E731
        return pick(order[:left]), pick(order[len(order) - right:])
    arrays, rebuild = _flatten(dataset)
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"split_dataset: every array must have the same length; received "
                         f"lengths {sorted(lengths)}.")
    total = lengths.pop()
    order = np.asarray(_order(total, shuffle, seed), dtype="int64")
    left, right = _split_sizes(left_size, right_size, total)
    return (rebuild([a[order[:left]] for a in arrays]),
            rebuild([a[order[total - right:]] for a in arrays]))


def _order(total, shuffle, seed):
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    return order


def _flatten(dataset):
    if isinstance(dataset, dict):
        keys = list(dataset)
        return ([np.asarray(dataset[k]) for k in keys],
                lambda parts: dict(zip(keys, parts)))
    if isinstance(dataset, (tuple, list)) and dataset and all(
            isinstance(d, np.ndarray) for d in dataset):
        return [np.asarray(d) for d in dataset], lambda parts: type(dataset)(parts)
    if isinstance(dataset, (np.ndarray, list, tuple)):
        return [np.asarray(dataset)], lambda parts: parts[0]
    raise TypeError("split_dataset: `dataset` must be an array, a tuple/list/dict of arrays "
                    f"or a PyDataset; received {type(dataset).__name__}.")


def _batch_len(batch):
    first = batch[0] if isinstance(batch, tuple) else batch
    return len(first)


def _unbatch_item(batch, i):
    if isinstance(batch, tuple):
        return tuple(part[i] for part in batch)
    return batch[i]
