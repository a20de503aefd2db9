"""Turning what ``fit``/``evaluate``/``predict`` receive into batches, as Keras does.

Accepted: numpy arrays (and kcore tensors), lists/tuples/dicts of them matched to model
inputs and outputs, Python generators/iterables yielding ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``, and ``PyDataset``. Array batches are drawn from a per-epoch
permutation; ``validation_split`` takes the *last* fraction of the data before shuffling.
"""

import math
import warnings

import numpy as np

from kcore.backend import config
from kcore.backend.random import global_generator
from kcore.backend.tensor import Tensor
from kcore.trainers.py_dataset import PyDataset


def unpack_x_y_sample_weight(data):
    """Splits a batch into ``(x, y, sample_weight)``; missing parts are ``None``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data should be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; received a tuple of "
        f"{len(data)} elements."
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _flat(struct):
    if struct is None:
        return []
    if isinstance(struct, dict):
        return [a for v in struct.values() for a in _flat(v)]
    if isinstance(struct, (list, tuple)):
        return [a for v in struct for a in _flat(v)]
    return [struct]


def _map(struct, fn):
    if struct is None:
        return None
    if isinstance(struct, dict):
        return {k: _map(v, fn) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_map(v, fn) for v in struct)
    return fn(struct)


def _as_array(a):
    if isinstance(a, Tensor):
        return a.value
    arr = np.asarray(a)
    if arr.dtype == np.float64:
        arr = arr.astype(config.floatx())
    if arr.dtype == object:
        raise ValueError(
            "Could not convert the data to a numeric array (ragged or mixed content). Pad "
            "sequences to one length first, e.g. kcore.utils.pad_sequences."
        )
    if arr.ndim == 0:
        raise ValueError(f"Expected arrays with a batch axis, got a scalar {a!r}.")
    return arr


def is_array_data(x):
    flat = _flat(x)
    return bool(flat) and all(isinstance(a, (np.ndarray, Tensor, list)) or np.isscalar(a) is False
                              and hasattr(a, "__array__") for a in flat)


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from ``{class: weight}``; classes not listed weigh 1."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for models with a single output.")
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] != 1:
        labels = np.argmax(y, axis=-1)
    else:
        labels = np.round(y.reshape(y.shape[0], -1)[:, 0] if y.ndim > 1 else y).astype(np.int64)
    table = np.ones(int(max(labels.max(initial=0), max(class_weight, default=0))) + 1, np.float32)
    for cls, w in class_weight.items():
        table[int(cls)] = w
    return table[labels]


def train_validation_split(arrays, validation_split):
    """Splits each array at ``floor(n * (1 - validation_split))`` (no shuffling)."""
    flat = [a for a in _flat(arrays) if a is not None]
    n = flat[0].shape[0]
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves an empty training or validation set for "
            f"{n} samples. Use a split that keeps samples on both sides."
        )
    train = _map(arrays, lambda a: a[:split_at])
    val = _map(arrays, lambda a: a[split_at:])
    return train, val


class ArrayAdapter:
    """Batches of in-memory arrays; shuffled once per epoch when ``shuffle`` is set."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None):
        self.x = _map(x, _as_array)
        self.y = _map(y, _as_array)
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(
                    "You cannot pass `class_weight` and `sample_weight` at the same time; fold "
                    "the class weights into `sample_weight` instead."
                )
            if self.y is None:
                raise ValueError("`class_weight` needs targets `y`.")
            sample_weight = class_weight_to_sample_weight(self.y, class_weight)
        self.sample_weight = _map(sample_weight, _as_array)
        sizes = {}
        for label, struct in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)):
            for a in _flat(struct):
                sizes.setdefault(label, set()).add(a.shape[0])
        all_sizes = set().union(*sizes.values()) if sizes else set()
        if len(all_sizes) > 1:
            detail = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in sizes.items())
            raise ValueError(
                f"Data cardinality is ambiguous: make sure all arrays contain the same number of "
                f"samples. {detail}."
            )
        self.num_samples = all_sizes.pop() if all_sizes else 0
        if self.num_samples == 0:
            raise ValueError("The data is empty (0 samples).")
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.steps = int(math.ceil(self.num_samples / self.batch_size))  # batches per pass
        self._requested_steps = steps
        self.shuffle_seed = None
        self._passes = -1  # passes over the data started (steps_per_epoch mode)
        self._cursor = None  # [pass, next batch index] (steps_per_epoch mode)

    @property
    def num_batches(self):
        return self._requested_steps or self.steps

    def _order(self, epoch):
        if not self.shuffle:
            return None
        seed = self.shuffle_seed
        gen = np.random.default_rng([seed, epoch]) if seed is not None else global_generator()
        if self.shuffle == "batch":
            starts = np.arange(0, self.num_samples, self.batch_size)
            gen.shuffle(starts)
            return np.concatenate([np.arange(s, min(s + self.batch_size, self.num_samples)) for s in starts])
        return gen.permutation(self.num_samples)

    def _batch(self, order, i):
        lo, hi = i * self.batch_size, min((i + 1) * self.batch_size, self.num_samples)
        if order is None:
            take = lambda a: a[lo:hi]  # noqa: E731 - a view, no copy
        else:
            idx = order[lo:hi]
            take = lambda a: a[idx]  # noqa: E731
        return pack_x_y_sample_weight(_map(self.x, take), _map(self.y, take),
                                      _map(self.sample_weight, take))

    def iter_epoch(self, epoch=0, start_step=0):
        """Yields ``(step, batch)`` for one epoch.

        Without ``steps_per_epoch`` every epoch is one pass over the (reshuffled) data. With
        it, as Keras's epoch iterator does, the position carries over from epoch to epoch;
        when the data runs out mid-epoch that epoch ends early (with a warning) and the next
        epoch starts a new pass.
        """
        if self._requested_steps is None:
            order = self._order(epoch)
            for step in range(start_step, self.steps):
                yield step, self._batch(order, step)
            return
        if self._cursor is None or self._cursor[1] >= self.steps:
            self._passes += 1
            self._cursor = [self._passes, 0]
        order = self._order(self._cursor[0])
        # A resumed fit restores the cursor past the batches already used: start_step
        # only renumbers the steps.
        for step in range(start_step, self._requested_steps):
            if self._cursor[1] >= self.steps:
                warnings.warn(
                    "Your input ran out of data; the epoch ends early. Make sure that "
                    "`steps_per_epoch * epochs` batches can be drawn, or leave "
                    "`steps_per_epoch` unset.", stacklevel=3)
                return
            i = self._cursor[1]
            self._cursor[1] += 1
            yield step, self._batch(order, i)

    def state_dict(self):
        """The position in the data (for exact resumption with ``steps_per_epoch``)."""
        return {"passes": self._passes, "cursor": self._cursor}

    def load_state_dict(self, state):
        self._passes = int(state.get("passes", 0))
        cursor = state.get("cursor")
        self._cursor = None if cursor is None else [int(cursor[0]), int(cursor[1])]

    def iter_inputs(self):
        for step, batch in self.iter_epoch():
            yield step, batch[0]


class GeneratorAdapter:
    """Batches from a Python generator/iterable of ``(x,)``, ``(x, y)``, ``(x, y, w)``."""

    def __init__(self, data, steps=None):
        self.data = data
        self.steps = steps
        self._iterator = None
        self.exhausted = False

    @property
    def num_batches(self):
        return self.steps

    def _next_iterator(self):
        if self._iterator is None or (self.steps is None and self._reiterable()):
            self._iterator = iter(self.data)
        return self._iterator

    def _reiterable(self):
        return iter(self.data) is not self.data

    def iter_epoch(self, epoch=0, start_step=0):
        it = self._next_iterator()
        step = 0
        while self.steps is None or step < self.steps:
            try:
                batch = next(it)
            except StopIteration:
                if self.steps is not None or step == 0:
                    warnings.warn(
                        "Your input ran out of data; interrupting training. Make sure your "
                        "generator can produce at least `steps_per_epoch * epochs` batches, or "
                        "pass an iterable that can be re-iterated each epoch.", stacklevel=3)
                    self.exhausted = True
                return
            if step >= start_step:
                x, y, sw = unpack_x_y_sample_weight(batch)
                yield step, pack_x_y_sample_weight(_map(x, _as_array), _map(y, _as_array),
                                                   _map(sw, _as_array))
            step += 1

    def iter_inputs(self):
        for step, batch in self.iter_epoch():
            yield step, batch[0]


class PyDatasetAdapter:
    """Batches from a ``PyDataset`` (``__len__`` + ``__getitem__``)."""

    def __init__(self, dataset, steps=None, shuffle=False):
        self.dataset = dataset
        self.shuffle = shuffle
        self.steps = steps
        self.shuffle_seed = None
        self.exhausted = False

    @property
    def num_batches(self):
        if self.steps is not None:
            return self.steps
        n = self.dataset.num_batches
        return n

    def iter_epoch(self, epoch=0, start_step=0):
        n = self.dataset.num_batches
        indices = np.arange(n) if n is not None else None
        if self.shuffle and indices is not None:
            seed = self.shuffle_seed
            gen = np.random.default_rng([seed, epoch]) if seed is not None else global_generator()
            gen.shuffle(indices)
        total = self.steps if self.steps is not None else n
        step = 0
        while total is None or step < total:
            i = step if indices is None else indices[step % len(indices)]
            try:
                batch = self.dataset[int(i)]
            except IndexError:
                if total is None:
                    break
                raise
            if step >= start_step:
                x, y, sw = unpack_x_y_sample_weight(batch)
                yield step, pack_x_y_sample_weight(_map(x, _as_array), _map(y, _as_array),
                                                   _map(sw, _as_array))
            step += 1
        self.dataset.on_epoch_end()

    def iter_inputs(self):
        for step, batch in self.iter_epoch():
            yield step, batch[0]


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                     class_weight=None):
    """Chooses the adapter for ``x`` and validates the combination of arguments."""
    if x is None:
        raise ValueError("No data was given: pass `x` (and `y`) to fit/evaluate/predict.")
    # As Keras: `batch_size` is ignored (silently) for data that yields its own batches.
    if isinstance(x, PyDataset):
        _no_extra("a PyDataset", y, sample_weight)
        if class_weight is not None:
            raise ValueError("`class_weight` is not supported with a PyDataset; yield sample weights.")
        return PyDatasetAdapter(x, steps=steps, shuffle=shuffle)
    if _is_generator_like(x):
        _no_extra("a generator or iterable", y, sample_weight)
        if class_weight is not None:
            raise ValueError("`class_weight` is not supported with generators; yield sample weights.")
        return GeneratorAdapter(x, steps=steps)
    return ArrayAdapter(x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=shuffle,
                        class_weight=class_weight)


def _no_extra(kind, y, sample_weight):
    if y is not None:
        raise ValueError(f"`y` must not be passed when `x` is {kind}; yield (x, y) batches instead.")
    if sample_weight is not None:
        raise ValueError(
            f"`sample_weight` must not be passed when `x` is {kind}; yield (x, y, sample_weight).")


def _is_generator_like(x):
    if isinstance(x, (np.ndarray, Tensor, list, tuple, dict, str, bytes)):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__")
