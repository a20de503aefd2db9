"""``CSVLogger``: one CSV row per epoch, with stable columns."""

import collections.abc
import csv
import os

import numpy as np

import kcore
from kcore.callbacks import Callback
from kcore.saving import atomic_write


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file: ``epoch`` (0-based) then one column per key.

    As in Keras 3: the header is ``epoch,<sorted logs keys>``, a missing value is written
    ``NA``, the file is flushed after every epoch, and ``append=True`` continues an
    existing file without repeating its header.

    kcore keeps the columns truthful and stable where Keras does not:

    * a ``val_*`` column exists only if validation actually ran during the fit. Keras adds
      ``val_<key>`` for every key when the first epoch has no validation, which gives
      phantom columns without validation (keras#21173). With ``validation_freq > 1`` the
      ``val_*`` columns appear at the first validated epoch and the earlier rows hold
      ``NA`` in them;
    * more generally, a key first seen after the header was written (validation, a
      ``learning_rate`` added by a later callback) adds a column instead of being dropped:
      the file is rewritten once, atomically, with the new header and ``NA`` in the
      earlier rows. Readers that open the file during training may therefore see the
      header grow; the final file always has one consistent header;
    * with ``append=True`` the existing header's columns and order are reused;
    * ``state_dict()`` holds the header and the rows, so a run resumed by
      ``BackupAndRestore`` rewrites the file as it was at the checkpoint and continues
      (rows of epochs that are re-run are not duplicated).

    Args:
        filename: path of the CSV file.
        separator: the one-character field separator.
        append: continue an existing file instead of overwriting it.

    Raises:
        ValueError: ``separator`` is not a single character.

    Example:
        >>> csv_logger = kcore.callbacks.CSVLogger("training.log")
        >>> model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[csv_logger])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                f"CSVLogger separator must be a single character, got {separator!r}.")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._rows = []
        self._rewrite = True

    @property
    def state_key(self):
        return f"CSVLogger[{self.filename}]"

    def on_train_begin(self, logs=None):
        self.keys, self._rows = None, []
        if self.append and os.path.exists(self.filename):
            self.keys, self._rows = self._read()
        # The file is (re)written at the first epoch end, so a fit that fails before
        # finishing an epoch leaves an existing file as it was.
        self._rewrite = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        new_keys = sorted(key for key in logs if key not in (self.keys or ()))
        if self.keys is None or new_keys:
            self.keys = (self.keys or []) + new_keys
            self._rewrite = True
        row = {"epoch": str(epoch)}
        row.update((key, _format(logs[key]) if key in logs else "NA") for key in self.keys)
        self._rows.append(row)
        if not kcore.distribution.is_rank_zero():
            return  # every rank keeps the rows (for state_dict); rank 0 writes them
        if self._rewrite:
            self._write_all()
            self._rewrite = False
        else:
            with open(self.filename, "a", newline="") as f:
                self._writer(f).writerow(row)

    def state_dict(self):
        """JSON-able state: the columns and every row currently in the file."""
        return {"keys": self.keys, "rows": [dict(row) for row in self._rows]}

    def load_state_dict(self, state):
        self.keys = list(state["keys"]) if state["keys"] is not None else None
        self._rows = [dict(row) for row in state["rows"]]
        self._rewrite = True

    # --- file I/O ------------------------------------------------------------------------

    def _writer(self, f):
        return csv.DictWriter(f, fieldnames=["epoch"] + self.keys, delimiter=self.sep,
                              lineterminator="\n", restval="NA")

    def _write_all(self):
        with atomic_write(self.filename) as tmp:
            with open(tmp, "w", newline="") as f:
                writer = self._writer(f)
                writer.writeheader()
                writer.writerows(self._rows)

    def _read(self):
        with open(self.filename, newline="") as f:
            table = list(csv.reader(f, delimiter=self.sep))
        if not table or not table[0]:
            return None, []
        header = table[0]
        keys = header[1:] if header[0] == "epoch" else header
        rows = [dict(zip(header, values)) for values in table[1:] if values]
        return keys, rows


def _format(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
            isinstance(value, np.ndarray) and value.ndim == 0):
        return f"[{', '.join(map(str, value))}]"
    return str(value)
