"""``ReduceLROnPlateau``: lower the learning rate when a monitored value stops improving."""

import warnings

import numpy as np

import kcore
from kcore.callbacks import MonitorCallback
from kcore_lr.rate import used_learning_rate


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Keras 3's algorithm, with two corrections (see the README):

    * **cooldown** means what it says: after a reduction, the next ``cooldown`` epochs do
      not count towards ``patience``. Keras 3 decrements its cooldown counter *before*
      testing it, so its ``cooldown=N`` waits only ``N - 1`` epochs and ``cooldown=1``
      does nothing; kcore's ``cooldown=N`` behaves like Keras's ``cooldown=N + 1``.
      ``cooldown=0`` is identical to Keras.
    * **schedules**: with an optimizer built on a ``LearningRateSchedule`` the reduction
      scales the schedule (``optimizer.scale_learning_rate``) instead of raising
      ``TypeError``. ``min_lr`` bounds the rate at the moment of a reduction; the scaled
      schedule keeps decaying afterwards as it would have.

    Each epoch end, in order: ``logs["learning_rate"]`` is set to the rate used during
    the epoch (so ``History``, ``CSVLogger`` and ``TensorBoard`` record it); if the epoch
    is in cooldown, one cooldown epoch is used up and ``wait = 0``; if ``logs[monitor]``
    improves on ``best`` by more than ``min_delta`` (absolute, strict) it becomes ``best``
    and ``wait = 0``; otherwise, outside cooldown, ``wait += 1`` and once ``wait >=
    patience`` and the rate is above ``min_lr`` it becomes ``max(lr * factor, min_lr)``,
    ``wait = 0`` and ``cooldown`` epochs of cooldown start.

    Args:
        monitor: the logs key to watch.
        factor: the multiplier, ``< 1``.
        patience: epochs without improvement before a reduction.
        verbose: 1 prints a message at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: smallest absolute change that counts as an improvement.
        cooldown: epochs after a reduction during which ``wait`` stays 0.
        min_lr: lower bound of the learning rate.

    Raises:
        ValueError: ``factor >= 1``.

    Example:
        >>> reduce_lr = kcore.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
        ...                                               patience=5, min_lr=0.001)
        >>> model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[reduce_lr])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if kwargs:
            warnings.warn(f"ReduceLROnPlateau ignores the unknown argument(s) {sorted(kwargs)}.",
                          stacklevel=2)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    @property
    def state_key(self):
        return f"ReduceLROnPlateau[{self.monitor}]"

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = used_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.", stacklevel=2)
            return
        cooling = self.in_cooldown()
        if cooling:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not cooling:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(optimizer, epoch)

    def _reduce(self, optimizer, epoch):
        old_lr = float(optimizer.learning_rate)
        if not old_lr > np.float32(self.min_lr):
            return
        new_lr = max(old_lr * self.factor, self.min_lr)
        if _is_settable(optimizer):
            optimizer.learning_rate = new_lr
        else:
            new_lr = optimizer.scale_learning_rate(new_lr / old_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        self.cooldown_counter = self.cooldown
        self.wait = 0

    def state_dict(self):
        """JSON-able state: counters, best value, and the schedule scale of the optimizer."""
        state = {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not _is_settable(optimizer):
            # A scaled schedule's factor is not an optimizer variable, so it is kept here.
            state["learning_rate_scale"] = float(optimizer.learning_rate_scale)
        return state

    def load_state_dict(self, state):
        self.best = state["best"]
        self.wait = int(state["wait"])
        self.cooldown_counter = int(state["cooldown_counter"])
        scale = state.get("learning_rate_scale")
        optimizer = getattr(self.model, "optimizer", None)
        if scale is not None and optimizer is not None and not _is_settable(optimizer):
            optimizer.learning_rate_scale = scale


def _is_settable(optimizer):
    """Whether ``optimizer.learning_rate`` is a plain rate (not a schedule or a callable)."""
    return isinstance(optimizer.learning_rate, kcore.Variable)
