"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where it stopped."""

import json
import os
import shutil
import warnings

import kcore
from kcore.callbacks import BatchFrequency

_METADATA = "training_metadata.json"
_FORMAT = "kcore-backup-1"


class BackupAndRestore(kcore.callbacks.Callback):
    """Backs training up as it runs; a new ``fit`` after a crash resumes at the same step.

    Every ``save_freq`` (each epoch, or every N batches) it writes, into ``backup_dir``:

    * ``backup-<n>.weights.h5``: the weights and the optimizer state
      (``model.save_weights``);
    * ``training_metadata.json``: which weights file is current, the position in
      training (``model.get_fit_state()``: next epoch *and batch*, shuffling seed, random
      state, metric accumulators) and the ``state_dict()`` of every stateful callback of
      the ``fit`` (``EarlyStopping``'s patience, ``ReduceLROnPlateau``'s counters,
      ``ModelCheckpoint``'s best value, ``CSVLogger``'s rows, ...), keyed by
      ``state_key``.

    The weights file gets a new name each time and the metadata is replaced atomically
    after it, so a kill at any instant leaves a consistent pair. When a ``fit`` starts and
    a backup exists, the weights, optimizer state, callback states and position are
    restored and training continues from the next batch: the run ends bit for bit as an
    uninterrupted one would (same data order, same dropout noise). The resume point is
    consumed by that one ``fit``; later ``fit`` calls start where they are told.

    Saving and restoring happen after every other callback has handled the event
    (``runs_last``, a kcore extension), so the saved state includes what the other
    callbacks did at that epoch or batch, and the restored states are not wiped by their
    own ``on_train_begin``, whatever the order of the callbacks list.

    Differences from Keras 3: Keras resumes at the start of the interrupted epoch, does
    not restore callback states, names its files ``latest.weights.h5`` /
    ``training_metadata.json`` and leaves its start epoch set on the model for later
    ``fit`` calls.

    Args:
        backup_dir: directory for the backup; must not be shared with other runs.
        save_freq: ``"epoch"`` or an int: back up every that many batches (the count
            carries across epochs).
        double_checkpoint: keep the previous backup too, and fall back to it when the
            latest cannot be read.
        delete_checkpoint: delete ``backup_dir`` when training finishes normally
            (including an early stop).

    Raises:
        ValueError: an empty ``backup_dir`` or a bad ``save_freq``; at restore time, a model
            that is not built (its weights cannot be loaded before it is).

    Example:
        >>> backup = kcore.callbacks.BackupAndRestore("backup", save_freq=100)
        >>> model.fit(x, y, epochs=10, callbacks=[backup])   # killed at epoch 4, batch 37
        >>> model.fit(x, y, epochs=10, callbacks=[backup])   # continues at epoch 4, batch 38
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed to BackupAndRestore.")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or
                                     isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                f"Expected either 'epoch' or a positive integer (a number of batches).")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._backup_path = self._metadata_path + ".bkp"
        self._frequency = BatchFrequency(save_freq) if save_freq != "epoch" else None
        self._save_index = 0
        self._epoch_save_pending = False
        if self._frequency is not None:
            # Only then: a callback that acts on batch ends costs every batch a call.
            self.on_train_batch_end = self._on_train_batch_end

    #: Called after every other callback at each event (kcore extension).
    runs_last = True

    # --- events ----------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._restore()

    def _on_train_batch_end(self, batch, logs=None):
        if self._frequency.step(batch):
            self._save_after_batch()

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" or self._epoch_save_pending:
            self._epoch_save_pending = False
            self._save()

    def on_train_end(self, logs=None):
        self._finish()

    # --- restore -------------------------------------------------------------------------

    def _restore(self):
        self._epoch_save_pending = False
        if self._frequency is not None:
            self._frequency.reset()
        self._save_index = 0
        if not os.path.exists(self._metadata_path) and not os.path.exists(self._backup_path):
            return
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you "
                "call `fit()`: give it an Input, or call `model.build(input_shape)` (the "
                f"backup in {self.backup_dir!r} cannot be loaded into an unbuilt model).")
        candidates = [self._metadata_path] + ([self._backup_path] if self.double_checkpoint
                                              else [])
        errors = []
        for path in candidates:
            try:
                metadata = self._load(path)
            except (OSError, ValueError, KeyError) as e:
                errors.append(f"{path}: {type(e).__name__}: {e}")
                continue
            if errors:
                warnings.warn("BackupAndRestore: the latest backup could not be read ("
                              f"{errors[0]}); resumed from the previous one.", stacklevel=2)
            self._apply(metadata)
            return
        raise OSError("BackupAndRestore could not read the backup in "
                      f"{self.backup_dir!r}: " + "; ".join(errors))

    def _load(self, path):
        with open(path) as f:
            metadata = json.load(f)
        if metadata.get("format") != _FORMAT:
            raise ValueError(f"not a kcore backup (format {metadata.get('format')!r})")
        self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
        return metadata

    def _apply(self, metadata):
        own = metadata["own"]
        if self._frequency is not None:
            self._frequency.load_state_dict(own)
        self._save_index = own["save_index"]
        states = metadata["callbacks"]
        for callback in self.model.active_callbacks:
            if callback is self or not _is_stateful(callback):
                continue
            state = states.get(callback.state_key)
            if state is None:
                warnings.warn(
                    f"BackupAndRestore: the backup has no state for callback "
                    f"{callback.state_key!r}; it starts fresh.", stacklevel=2)
                continue
            callback.load_state_dict(state)
        # The fit state also carries every layer's random stream (dropout masks).
        self.model.set_fit_state(metadata["fit_state"])

    # --- save ----------------------------------------------------------------------------

    def _save_after_batch(self):
        if self.model.get_fit_state()["step"] == 0:
            # The epoch's last batch: its end (validation, callbacks' epoch-end updates) is
            # still to come, and resuming at the next epoch would skip it. Back up after it.
            self._epoch_save_pending = True
        else:
            self._save()

    def _save(self):
        model = self.model
        if not kcore.distribution.is_rank_zero():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        self._save_index += 1
        weights = f"backup-{self._save_index}.weights.h5"
        model.save_weights(os.path.join(self.backup_dir, weights), overwrite=True)
        fit_state = model.get_fit_state()
        metadata = {
            "format": _FORMAT, "weights": weights,
            "epoch": fit_state["epoch"], "batch": fit_state["step"], "fit_state": fit_state,
            "callbacks": {cb.state_key: cb.state_dict() for cb in model.active_callbacks
                          if cb is not self and _is_stateful(cb)},
            "own": {**(self._frequency.state_dict() if self._frequency is not None else
                       {"batches_seen_since_last_saving": 0, "last_batch_seen": 0}),
                    "save_index": self._save_index},
        }
        text = json.dumps(metadata)
        if self.double_checkpoint and os.path.exists(self._metadata_path):
            _replace_atomically(self._backup_path, _read(self._metadata_path))
        _replace_atomically(self._metadata_path, text)
        self._remove_unreferenced()

    def _remove_unreferenced(self):
        keep = set()
        for path in (self._metadata_path, self._backup_path):
            if os.path.exists(path):
                try:
                    keep.add(json.loads(_read(path))["weights"])
                except (OSError, ValueError, KeyError):
                    pass
        for name in os.listdir(self.backup_dir):
            if name.startswith("backup-") and name.endswith(".weights.h5") and name not in keep:
                os.remove(os.path.join(self.backup_dir, name))

    def _finish(self):
        if self.delete_checkpoint and kcore.distribution.is_rank_zero():
            shutil.rmtree(self.backup_dir, ignore_errors=True)


def _is_stateful(callback):
    return callable(getattr(callback, "state_dict", None)) and callable(
        getattr(callback, "load_state_dict", None))


def _read(path):
    with open(path) as f:
        return f.read()


def _replace_atomically(path, text):
    with kcore.saving.atomic_write(path) as tmp:
        with open(tmp, "w") as f:
            f.write(text)
