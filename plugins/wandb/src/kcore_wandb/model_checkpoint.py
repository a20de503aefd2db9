"""``WandbModelCheckpoint``: Keras's ``ModelCheckpoint`` that also logs each file to W&B."""

import os
import string
import warnings

import numpy as np

from kcore.callbacks import BatchFrequency, MonitorCallback

from kcore_wandb import runs


class WandbModelCheckpoint(MonitorCallback):
    """Saves the model (or its weights) like Keras's ``ModelCheckpoint`` and logs a W&B artifact.

    The save decision is Keras 3's ``ModelCheckpoint``: every epoch (or every
    ``save_freq`` batches, counted across epochs), or with ``save_best_only``
    only when ``monitor`` improved (a missing ``monitor`` warns and saves, as
    in Keras 3). Files are written by ``model.save`` / ``model.save_weights``
    (Keras HDF5 layouts). After each save the file is logged as version of
    the artifact ``run_<run id>_model`` (type ``model``) with aliases
    ``latest`` and ``epoch_<epoch>`` (0-based, as wandb's callback) or
    ``epoch_<epoch>_batch_<batch>``. A file that was not written in this step
    is never uploaded (unlike wandb's callback, wandb/wandb#8842).

    Uses the active run, or starts one for the ``fit`` when there is none.
    Only rank 0 saves.

    Args:
        filepath: where to save; may hold ``{epoch:02d}``, ``{batch}`` and any
            logs key, e.g. ``"ckpt/m-{epoch:02d}-{val_loss:.2f}.keras"`` (epoch
            and batch 1-based). Must end in ``.keras`` or ``.h5`` (``.weights.h5``
            with ``save_weights_only``).
        monitor: the logs key compared with ``save_best_only``.
        verbose: 1 prints a line per decision.
        save_best_only: save only when ``monitor`` improved.
        save_weights_only: save weights only (``model.save_weights``).
        mode: ``"auto"``, ``"min"`` or ``"max"``: which way ``monitor`` improves.
        save_freq: ``"epoch"`` or an int N: save every N batches.
        initial_value_threshold: the value ``monitor`` must beat at first.

    Raises:
        ValueError: a ``filepath`` suffix kcore cannot write, or a bad ``save_freq``.

    Example:
        >>> ckpt = WandbModelCheckpoint("ckpt/best.keras", save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[ckpt])
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        _check_suffix(self.filepath, save_weights_only)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a positive int "
                f"(save every N batches).")
        if save_best_only and not _placeholders(self.filepath):
            warnings.warn(
                f"WandbModelCheckpoint(save_best_only=True): filepath {self.filepath!r} has no "
                f"placeholder such as {{epoch:02d}}, so each new best overwrites the file; every "
                f"saved version is still logged as a new artifact version.", stacklevel=2)
        self._current_epoch = 0
        self._frequency = BatchFrequency(save_freq) if save_freq != "epoch" else None
        self._run = None

    @property
    def state_key(self):
        return f"WandbModelCheckpoint[{self.filepath}]"

    def state_dict(self):
        return {"best": None if self.best is None else float(self.best),
                **(self._frequency.state_dict() if self._frequency is not None else {})}

    def load_state_dict(self, state):
        self.best = state["best"]
        if self._frequency is not None and "last_batch_seen" in state:
            self._frequency.load_state_dict(state)

    # --- events ------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        if runs.is_chief(self.model):
            self._run = runs.acquire(self)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._run is not None and self._should_save_on_batch(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._run is not None and self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def on_train_end(self, logs=None):
        if self._run is not None:
            self._run = None
            runs.release(self)

    def on_exception(self, exception, stage):
        """``fit`` failed: a run kcore-wandb started for it is finished as failed."""
        if self._run is not None:
            self._run = None
            runs.fail(self.model)

    # --- Keras's ModelCheckpoint decision ----------------------------------------

    def _should_save_on_batch(self, batch):
        return self._frequency is not None and self._frequency.step(batch)

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            self._say(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None or np.ndim(current) > 0:
            what = "available" if current is None else "a scalar"
            warnings.warn(f"Can save best model only with {self.monitor} {what}; saving anyway.",
                          stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._say(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        self._say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        alias = f"epoch_{epoch}" if batch is None else f"epoch_{epoch}_batch_{batch}"
        self._log_artifact(filepath, ["latest", alias], epoch, batch, logs)

    def _file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as exc:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {exc}. '
                f"Available keys: epoch, batch, {', '.join(sorted(logs))}.") from exc

    def _log_artifact(self, filepath, aliases, epoch, batch, logs):
        import wandb

        if not os.path.exists(filepath):  # never upload a file this step did not write
            return
        metadata = {"epoch": epoch, "filepath": filepath}
        if batch is not None:
            metadata["batch"] = batch
        if logs.get(self.monitor) is not None and np.ndim(logs[self.monitor]) == 0:
            metadata[self.monitor] = float(logs[self.monitor])
        artifact = wandb.Artifact(f"run_{self._run.id}_model", type="model", metadata=metadata)
        if os.path.isdir(filepath):
            artifact.add_dir(filepath)
        else:
            artifact.add_file(filepath)
        self._run.log_artifact(artifact, aliases=aliases)

    def _say(self, message):
        if self.verbose > 0:
            print(message)


def _placeholders(filepath):
    return [field for _, field, _, _ in string.Formatter().parse(filepath) if field is not None]


def _check_suffix(filepath, save_weights_only):
    if save_weights_only:
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                f"When using `save_weights_only=True` in WandbModelCheckpoint, the filepath "
                f"provided must end in `.weights.h5` (Keras weights format). Received: "
                f"filepath={filepath}")
    elif not filepath.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError(
            f"The filepath provided must end in `.keras` (Keras model format) or `.h5` (legacy "
            f"HDF5). Received: filepath={filepath}")

