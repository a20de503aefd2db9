"""``ProgbarLogger``: the progress output of ``fit``/``evaluate``/``predict``."""

import sys
import time

from kcore.callbacks.callback import Callback
from kcore.distribution import is_rank_zero


def resolve_verbose(verbose):
    """Map ``fit``'s ``verbose`` to 0, 1 or 2.

    ``"auto"`` means 1 (a live bar) when stdout is a terminal and 2 (one line
    per epoch) otherwise, so logs of batch jobs and CI stay readable. This is
    kcore's choice; Keras always picks 1.
    """
    if verbose == "auto" or verbose is None:
        isatty = getattr(sys.stdout, "isatty", None)
        return 1 if isatty is not None and isatty() else 2
    return int(verbose)


def format_time_per_step(seconds):
    """``"31ms/step"``-style duration, in s, ms or us like Keras's progress bar."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def format_logs(logs):
    """``" - loss: 0.6683 - accuracy: 0.5000"``; non-scalar values are left out."""
    parts = []
    for key, value in (logs or {}).items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        parts.append(f" - {key}: {value:.4f}" if abs(value) > 1e-3 else f" - {key}: {value:.4e}")
    return "".join(parts)


class ProgbarLogger(Callback):
    """Prints progress: a live bar (``verbose=1``) or one line per epoch (``verbose=2``).

    ``verbose``, ``epochs`` and ``steps`` are read from ``params``. During
    ``fit`` the validation pass is silent; its ``val_`` metrics appear on the
    epoch's line. ``fit`` adds one automatically unless ``verbose=0``. With
    ``verbose=2`` an epoch prints as Keras does::

        Epoch 1/2
        2/2 - 0s - 31ms/step - accuracy: 0.5000 - loss: 0.6683 - val_accuracy: ...

    The live bar is drawn with ``tqdm``.
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._in_fit = False
        self._bar = None
        self._seen = 0
        self._start = 0.0

    def set_params(self, params):
        super().set_params(params)
        # In a data-parallel run only rank 0 prints.
        self.verbose = resolve_verbose(params.get("verbose", 1)) if is_rank_zero() else 0
        self.epochs = params.get("epochs", 1)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=sys.stdout, flush=True)
        self._begin_pass()

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._begin_pass()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._begin_pass()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _begin_pass(self):
        self.target = self.params.get("steps")
        self._seen = 0
        self._start = time.perf_counter()
        self._close_bar()
        if self.verbose == 1:
            self._bar = _make_bar(self.target)

    def _update(self, batch, logs):
        self._seen = batch + 1
        if self._bar is not None:
            self._bar.logs = dict(logs) if logs else {}
            self._bar.per_step = (time.perf_counter() - self._start) / self._seen
            self._bar.update(self._seen - self._bar.n)

    def _finish(self, logs):
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self._start
        per_step = elapsed / self._seen if self._seen else 0.0
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.logs = dict(logs) if logs else {}
            bar.per_step = per_step
            if bar.total is None:
                bar.total = self._seen
            bar.update(self._seen - bar.n)
            bar.close()
        elif self.verbose == 2:
            target = self.target if self.target is not None else self._seen
            width = len(str(target))
            print(f"{self._seen:{width}d}/{target} - {elapsed:.0f}s - "
                  f"{format_time_per_step(per_step)}{format_logs(logs)}",
                  file=sys.stdout, flush=True)

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


_bar_class = None


def _make_bar(total):
    global _bar_class
    if _bar_class is None:
        import tqdm  # only a live bar needs it

        class _Bar(tqdm.tqdm):
            """A tqdm bar whose right side reads like Keras's: time/step and metrics."""

            logs = {}
            per_step = 0.0

            @property
            def format_dict(self):
                info = super().format_dict
                info["metrics"] = format_logs(self.logs)
                info["per_step"] = format_time_per_step(self.per_step)
                return info

        _bar_class = _Bar
    return _bar_class(
        total=total, file=sys.stdout, leave=True,
        bar_format="{n_fmt}/{total_fmt} {bar:20} {elapsed_s:.0f}s {per_step}{metrics}")
