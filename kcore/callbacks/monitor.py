"""``MonitorCallback``: the base of callbacks that watch one logs value for improvement.

Keras 3 has the same internal base (``keras/src/callbacks/monitor_callback.py``) under
``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau``. kcore makes it public so
that plugin callbacks share one definition of "improved".
"""

import warnings

from kcore.callbacks.callback import Callback

_MODES = ("auto", "min", "max")


class MonitorCallback(Callback):
    """Base class for callbacks that track whether a monitored value improves.

    The improvement test is Keras 3's: with ``d = abs(min_delta)``,

    * ``mode="min"``: ``current < reference - d``;
    * ``mode="max"``: ``current > reference + d``;

    strict, and ``min_delta`` is absolute. A ``reference`` of ``None`` (nothing seen yet)
    always counts as improved. ``mode="auto"`` asks the model which way the monitored logs
    key should go (``model.get_metric_direction``, which knows ``val_`` keys and the
    per-output keys of multi-output models) and raises if it cannot tell.

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"``.
        mode: ``"auto"``, ``"min"`` or ``"max"``; anything else warns and means ``"auto"``.
        baseline: the starting value of ``self.best`` (``None``: nothing seen yet).
        min_delta: the smallest absolute change that counts as an improvement.

    Example:
        >>> class PrintBest(MonitorCallback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if self.monitor_op is None:
        ...             self._set_monitor_op()
        ...         if self._is_improvement(logs[self.monitor], self.best):
        ...             self.best = logs[self.monitor]
        ...             print(f"epoch {epoch + 1}: new best {self.best}")
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in _MODES:
            warnings.warn(
                f"{type(self).__name__} mode {mode!r} is unknown, fallback to auto mode "
                f"(expected one of {list(_MODES)}).", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        """Decides ``self.monitor_op`` (``"min"`` or ``"max"``) from ``mode`` and the model.

        Raises:
            ValueError: ``mode="auto"`` and the model does not know which way the
                monitored value should go (a custom metric without a direction, an
                unknown name); the message suggests ``mode=``.
        """
        if self.mode in ("min", "max"):
            self.monitor_op = self.mode
            return
        direction = self._auto_direction()
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor!r}, but kcore "
                f"cannot determine automatically whether that value should be maximized or "
                f"minimized (the model knows no direction for it: a custom metric without "
                f"`direction`, or a key that training never logs). Pass mode='max' to monitor "
                f"the highest value, or mode='min' for the lowest.")
        self.monitor_op = "max" if direction == "up" else "min"

    def _auto_direction(self):
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss":
            return "down"
        get_direction = getattr(self.model, "get_metric_direction", None)
        return get_direction(self.monitor) if get_direction is not None else None

    def _is_improvement(self, current, reference):
        """Whether ``current`` beats ``reference`` by more than ``min_delta`` (strictly)."""
        if reference is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.monitor_op == "max":
            return bool(current - self.min_delta > reference)
        return bool(current + self.min_delta < reference)


class BatchFrequency:
    """Keras's ``save_freq=<int>`` rule: true every ``every`` train batches, across epochs.

    Checkpointing callbacks share it. ``step(batch)`` is called from
    ``on_train_batch_end``; batch indices restart each epoch, and the count carries over.

    Args:
        every: the number of batches between two ``True`` results.
    """

    def __init__(self, every):
        self.every = int(every)
        self.reset()

    def reset(self):
        self.batches_seen_since_last_saving = 0
        self.last_batch_seen = 0

    def step(self, batch):
        """Counts ``batch``; returns whether ``every`` batches have passed since the last True."""
        if batch <= self.last_batch_seen:  # a new epoch started
            self.batches_seen_since_last_saving += batch + 1
        else:
            self.batches_seen_since_last_saving += batch - self.last_batch_seen
        self.last_batch_seen = batch
        if self.batches_seen_since_last_saving >= self.every:
            self.batches_seen_since_last_saving = 0
            return True
        return False

    def state_dict(self):
        return {"batches_seen_since_last_saving": self.batches_seen_since_last_saving,
                "last_batch_seen": self.last_batch_seen}

    def load_state_dict(self, state):
        self.batches_seen_since_last_saving = int(state["batches_seen_since_last_saving"])
        self.last_batch_seen = int(state["last_batch_seen"])
