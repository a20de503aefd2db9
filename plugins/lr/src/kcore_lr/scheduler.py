"""``LearningRateScheduler``: set the learning rate at the start of every epoch."""

import numpy as np

from kcore.callbacks import Callback
from kcore_lr.rate import used_learning_rate


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate to ``schedule(epoch, lr)`` before each epoch.

    As in Keras 3: ``epoch`` is 0-based and absolute (it counts ``initial_epoch``), ``lr``
    is the current rate as a float; a schedule that raises ``TypeError`` when given two
    arguments is called again as ``schedule(epoch)`` (the legacy one-argument API). The
    result must be a Python ``float`` or a numpy floating scalar. At each epoch end the rate
    is added to the logs as ``learning_rate``, so ``History`` and loggers record it.

    Args:
        schedule: a function ``(epoch, lr) -> float`` or ``(epoch) -> float``.
        verbose: 1 prints the new rate at each epoch start.

    Raises:
        ValueError: the schedule returned something other than a float.

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> model.fit(x, y, epochs=15,
        ...           callbacks=[kcore.callbacks.LearningRateScheduler(schedule)])
        >>> model.history.history["learning_rate"]
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = float(optimizer.learning_rate)
            lr = self.schedule(epoch, lr)
        except TypeError:  # Keras compatibility: the old one-argument API.
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(
                "The output of the schedule function should be a float. "
                f"Got: {lr!r} of type {type(lr).__name__} (use float(...) on it).")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = used_learning_rate(self.model.optimizer)
