"""``ModelCheckpoint``: save the model or its weights during training."""

import os
import warnings

import numpy as np

import kcore
from kcore.callbacks import BatchFrequency, MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Saves the model (``model.save``) or its weights (``model.save_weights``) as it trains.

    Keras 3's behaviour: ``filepath`` may contain ``{epoch}`` (1-based) and any logs key
    (``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``), plus ``{batch}`` (1-based) when saving
    every ``save_freq`` batches; a missing placeholder raises ``KeyError``. With an int
    ``save_freq`` the batch counter carries across epochs. ``save_best_only`` saves only
    when ``monitor`` improves (strictly) on the best value so far, which starts at
    ``initial_value_threshold`` and is kept across ``fit`` calls; when the monitored value
    is missing from the logs it warns and saves anyway (as Keras 3 does).

    kcore additions and differences:

    * ``max_to_keep=N`` keeps only the N most recent files this callback wrote (the older
      ones are deleted), e.g. the last N best models with ``save_best_only``;
    * ``save_best_only`` with an int ``save_freq`` compares the *training* batch logs
      (running means since the epoch start). They never hold validation values, so a
      ``val_`` monitor is mapped to its training counterpart (``val_loss`` -> ``loss``)
      with a warning, instead of Keras's "not available" warning at every save;
    * the monitor's direction is only resolved when ``save_best_only`` needs it;
    * files are written atomically (a crash never leaves a torn checkpoint).

    Args:
        filepath: where to save; ends in ``.keras`` (whole model, with optimizer state; or
            ``.h5``, the legacy format) or, with ``save_weights_only=True``, in
            ``.weights.h5``.
        monitor: the logs key compared by ``save_best_only``.
        verbose: 1 prints Keras's messages.
        save_best_only: save only when ``monitor`` improves.
        save_weights_only: save only the weights (and optimizer state).
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``, or an int: save every that many batches.
        initial_value_threshold: the best value to beat initially.
        max_to_keep: keep only this many of the most recent files (``None``: all).

    Raises:
        ValueError: a bad suffix, ``save_freq`` or ``max_to_keep``.

    Example:
        >>> checkpoint = kcore.callbacks.ModelCheckpoint(
        ...     "ckpt/best-{epoch:02d}.keras", monitor="val_accuracy", save_best_only=True,
        ...     max_to_keep=3)
        >>> model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[checkpoint])
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, max_to_keep=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.max_to_keep = max_to_keep
        self._current_epoch = 0
        self._files = []
        self._check_arguments()
        self._frequency = BatchFrequency(save_freq) if save_freq != "epoch" else None
        self._batch_monitor = monitor
        if save_best_only and save_freq != "epoch" and monitor.startswith("val_"):
            self._batch_monitor = monitor[4:]
            warnings.warn(
                f"ModelCheckpoint: save_best_only with save_freq={save_freq} compares the "
                f"training batch logs, which have no validation values; monitoring "
                f"{self._batch_monitor!r} instead of {monitor!r}.", stacklevel=2)

    def _check_arguments(self):
        if self.save_freq != "epoch" and (
                not isinstance(self.save_freq, int) or isinstance(self.save_freq, bool)
                or self.save_freq < 1):
            raise ValueError(
                f"Unrecognized save_freq: {self.save_freq!r}. Expected save_freq are 'epoch' "
                f"or a positive integer (a number of batches).")
        if self.max_to_keep is not None and (
                not isinstance(self.max_to_keep, int) or self.max_to_keep < 1):
            raise ValueError(
                f"max_to_keep must be a positive integer or None, got {self.max_to_keep!r}.")
        path = self.filepath
        if self.save_weights_only:
            if not path.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). "
                    f"Received: filepath={path}")
        elif not path.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format) or `.h5` "
                "(legacy HDF5), or in `.weights.h5` with save_weights_only=True. "
                f"Received: filepath={path}")

    @property
    def state_key(self):
        return f"ModelCheckpoint[{self.filepath}]"

    # --- events --------------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs, self._batch_monitor)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs, self.monitor)

    def _should_save_on_batch(self, batch):
        return self._frequency is not None and self._frequency.step(batch)

    # --- saving --------------------------------------------------------------------------

    def _save_model(self, epoch, batch, logs, monitor):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath, monitor):
            return
        if os.path.isdir(filepath):
            raise IOError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used "
                f"is an existing directory: {filepath}")
        if not kcore.distribution.is_rank_zero():
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        self._remember(filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _should_save_model(self, epoch, logs, filepath, monitor):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {monitor} available.", stacklevel=3)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {monitor} did not improve from {best_str}")
        return False

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from None

    def _remember(self, filepath):
        if filepath in self._files:
            self._files.remove(filepath)
        self._files.append(filepath)
        if self.max_to_keep is None:
            return
        while len(self._files) > self.max_to_keep:
            old = self._files.pop(0)
            if os.path.isfile(old):
                os.remove(old)

    # --- resumable state -----------------------------------------------------------------

    def state_dict(self):
        """JSON-able state: best value, batch counters, current epoch and files written."""
        return {
            "best": self.best,
            **(self._frequency.state_dict() if self._frequency is not None else {}),
            "current_epoch": self._current_epoch,
            "files": list(self._files),
        }

    def load_state_dict(self, state):
        self.best = state["best"]
        if self._frequency is not None and "last_batch_seen" in state:
            self._frequency.load_state_dict(state)
        self._current_epoch = int(state["current_epoch"])
        self._files = list(state["files"])
