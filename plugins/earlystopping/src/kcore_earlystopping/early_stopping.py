"""``EarlyStopping``: stop training when a monitored value has stopped improving."""

import base64
import warnings

import numpy as np

from kcore.callbacks import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs.

    The algorithm is Keras 3's, edge cases included. At each epoch end, once
    ``epoch >= start_from_epoch`` and ``logs[monitor]`` exists: ``wait += 1``; if the value
    improves on ``best`` (strictly, by more than the absolute ``min_delta``) it becomes
    ``best`` and ``wait`` returns to 0 (only if it also beats ``baseline``, when one is
    given); otherwise training stops once ``wait >= patience``, never at epoch index 0.
    Warm-up epochs (before ``start_from_epoch``) are ignored entirely.

    With ``restore_best_weights=True`` the weights of the best epoch are put back at the end
    of training, whether or not this callback stopped it. State is reset at the start of
    every ``fit``, so one instance can be reused.

    Args:
        monitor: the logs key to watch.
        min_delta: smallest absolute change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: ``"auto"`` (the metric's own direction; raises if unknown), ``"min"`` or
            ``"max"``.
        baseline: training stops after ``patience`` epochs unless some epoch beats it.
        restore_best_weights: restore the best epoch's weights at the end of training.
        start_from_epoch: number of warm-up epochs not monitored at all.

    Example:
        >>> stop = kcore.callbacks.EarlyStopping(monitor="val_loss", patience=3,
        ...                                      restore_best_weights=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
        >>> stop.stopped_epoch
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    @property
    def state_key(self):
        return f"EarlyStopping[{self.monitor}]"

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first monitored epoch is the best so far even if it does not "improve".
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or ``None`` with a warning listing the available keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}", stacklevel=2)
        return value

    def state_dict(self):
        """JSON-able state: counters, best value and epoch, and the best weights if kept."""
        return {
            "wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
            "best_epoch": self.best_epoch,
            "best_weights": None if self.best_weights is None
            else [_encode_array(w) for w in self.best_weights],
        }

    def load_state_dict(self, state):
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best = state["best"]
        self.best_epoch = int(state["best_epoch"])
        weights = state.get("best_weights")
        self.best_weights = None if weights is None else [_decode_array(w) for w in weights]


def _encode_array(array):
    # Raw bytes keep the weights bit-exact (a decimal round trip would too, at 3x the size).
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def _decode_array(encoded):
    data = base64.b64decode(encoded["data"])
    return np.frombuffer(data, dtype=np.dtype(encoded["dtype"])).reshape(encoded["shape"]).copy()
