"""``PyDataset``: a dataset of batches defined by ``__len__`` and ``__getitem__``."""


class PyDataset:
    """Base class for datasets that produce one batch per index, as ``keras.utils.PyDataset``.

    Subclasses implement ``__len__`` (the number of batches) and ``__getitem__(index)``
    (a batch ``(x, y)`` or ``(x, y, sample_weight)``), and may override ``on_epoch_end``.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for Keras compatibility;
            kcore loads batches in the training thread.

    Example:
        >>> class Batches(kcore.utils.PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, i):
        ...         s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        ...         return self.x[s], self.y[s]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    @property
    def num_batches(self):
        """The number of batches, or ``None`` for an infinite dataset."""
        try:
            return len(self)
        except (NotImplementedError, TypeError):
            return None

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to reshuffle)."""
