"""``ProgbarLogger``: the progress output of ``fit``/``evaluate``/``predict``, as Keras 3 prints it.

The line reads like Keras's::

    12/36 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.8100 - loss: 0.5200

``verbose=1`` redraws that line in place while a pass runs when stdout is a terminal (the
redrawing is ``tqdm``'s, imported only then); when stdout is not a terminal it prints only the
finished line, once per epoch, so logs stay readable. ``verbose=2`` prints one short line per
epoch (``36/36 - 1s - 2ms/step - ...``). ``verbose="auto"`` is 1 on a terminal and 2
otherwise. The line is never cut to the terminal's width: a narrow terminal, or one that
reports a width of 0 (``docker run -t``, some CI runners), wraps it but shows every metric.
"""

import functools
import os
import sys
import time

from kcore.callbacks.callback import Callback
from kcore.distribution import is_rank_zero

BAR_WIDTH = 20
_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def resolve_verbose(verbose):
    """Map ``fit``'s ``verbose`` to 0, 1 or 2.

    ``"auto"`` means 1 (a live bar) when stdout is a terminal and 2 (one line
    per epoch) otherwise, so logs of batch jobs and CI stay readable. This is
    kcore's choice; Keras always picks 1.
    """
    if verbose == "auto" or verbose is None:
        return 1 if _is_terminal() else 2
    return int(verbose)


def _is_terminal():
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty is not None and isatty())


def format_time_per_step(seconds):
    """``"31ms/step"``-style duration, in s, ms or us like Keras's progress bar."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def format_eta(seconds):
    """Keras's remaining-time field: ``"7s"``, ``"1:20"`` or ``"1:02:03"``."""
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{seconds % 3600 // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{seconds:.0f}s"


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


def format_bar_line(seen, target, seconds, per_step, logs, finished, color=False):
    """One Keras progress line: count, 20-character bar, time, time per step, metrics.

    ``seconds`` is the time elapsed; while the pass runs the line shows the estimated time
    left instead, as Keras does. ``target=None`` (unknown number of steps) prints
    ``"     12/Unknown"`` and no bar.
    """
    bold, green, white, reset = (_BOLD, _GREEN, _WHITE, _RESET) if color else ("",) * 4
    if target:
        count = f"{seen:{len(str(target))}d}/{target}"
        done = min(BAR_WIDTH, int(BAR_WIDTH * seen / target))
        bar = f" {green}{'━' * done}{reset}{white}{'━' * (BAR_WIDTH - done)}{reset}" if color \
            else f" {'━' * BAR_WIDTH}" if finished or done == BAR_WIDTH \
            else f" {'━' * done}{' ' * (BAR_WIDTH - done)}"
    else:
        count, bar = f"{seen:7d}/Unknown", ""
    running = target and not finished
    when = format_eta(per_step * (target - seen)) if running else f"{seconds:.0f}s"
    return (f"{bold}{count}{reset}{bar} {bold}{when}{reset} {format_time_per_step(per_step)}"
            f"{format_logs(logs)}")


class ProgbarLogger(Callback):
    """Prints progress: a live bar (``verbose=1``) or one line per epoch (``verbose=2``).

    ``verbose``, ``epochs`` and ``steps`` are read from ``params``. During
    ``fit`` the validation pass is silent; its ``val_`` metrics appear on the
    epoch's line. ``fit`` adds one automatically unless ``verbose=0``. With
    ``verbose=2`` an epoch prints as Keras does::

        Epoch 1/2
        2/2 - 0s - 31ms/step - accuracy: 0.5000 - loss: 0.6683 - val_accuracy: ...
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
        if self.verbose == 1 and _is_terminal():
            self._bar = _LiveLine(self.target, sys.stdout)

    def _update(self, batch, logs):
        self._seen = batch + 1
        if self._bar is not None:
            elapsed = time.perf_counter() - self._start
            self._bar.show(self._seen, elapsed, elapsed / self._seen, logs)

    def _finish(self, logs):
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self._start
        per_step = elapsed / self._seen if self._seen else 0.0
        target = self.target if self.target is not None else self._seen
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.close(self._seen, elapsed, per_step, logs)
        elif self.verbose == 1:
            print(format_bar_line(self._seen, target, elapsed, per_step, logs, finished=True),
                  file=sys.stdout, flush=True)
        else:
            print(f"{self._seen:{len(str(target))}d}/{target} - {elapsed:.0f}s - "
                  f"{format_time_per_step(per_step)}{format_logs(logs)}",
                  file=sys.stdout, flush=True)

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close(self._seen, time.perf_counter() - self._start, 0.0, None)
            self._bar = None


class _LiveLine:
    """The in-place line on a terminal, redrawn by a ``tqdm`` status line.

    tqdm does the terminal work (rate-limited redraws, ``\\r`` and padding over a longer
    previous line); the text is Keras's line from ``format_bar_line``. ``ncols`` is given
    so that tqdm never measures the terminal: at a measured width of 0 it would drop the
    custom line and print only its own counters.
    """

    def __init__(self, target, file):
        self.target = target
        self.color = "NO_COLOR" not in os.environ
        self._tqdm = _line_tqdm()(total=target, file=file, leave=True, mininterval=0.05,
                                  ncols=1 << 16, nrows=1 << 16, bar_format="{keras_line}")

    def _set(self, seen, elapsed, per_step, logs, finished):
        self._tqdm.keras_line = format_bar_line(seen, self.target, elapsed, per_step, logs,
                                                finished, color=self.color)

    def show(self, seen, elapsed, per_step, logs):
        self._set(seen, elapsed, per_step, logs, finished=False)
        self._tqdm.update(seen - self._tqdm.n)

    def close(self, seen, elapsed, per_step, logs):
        self._set(seen, elapsed, per_step, logs, finished=True)
        self._tqdm.n = seen
        self._tqdm.close()


@functools.cache
def _line_tqdm():
    import tqdm  # only a live bar needs it

    class KerasLineTqdm(tqdm.tqdm):
        """A tqdm whose whole line is ``keras_line`` (set before each update)."""

        keras_line = ""

        @property
        def format_dict(self):
            return dict(super().format_dict, keras_line=self.keras_line)

    return KerasLineTqdm
