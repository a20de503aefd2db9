"""``TensorBoard(profile_batch=...)``: a Chrome trace-event timeline of the chosen batches.

kcore has no TensorFlow profiler to run; instead the batches asked for are recorded with
``kcore.tracing.StepTracer`` (forward, backward, optimizer and metrics phases, each callback
method, each plugin hook call) and written as ``<log_dir>/train/kcore_trace_batches_<start>_
<stop>.json``, which Perfetto and ``chrome://tracing`` open. The path is printed.
"""

import os


def parse_profile_batch(profile_batch):
    """Keras's forms: ``0`` (off), ``N``, ``(start, stop)`` or ``"start,stop"``; 1-based.

    Returns ``None`` when off, else ``(start, stop)`` with ``1 <= start <= stop``.
    """
    value = profile_batch
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            value = tuple(int(p) for p in parts)
        except ValueError:
            value = profile_batch
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        start, stop = value
        if start == stop == 0:
            return None
        if 1 <= start <= stop:
            return start, stop
    raise ValueError(
        "TensorBoard(profile_batch=...) expects 0 (off), a batch number N >= 1, or a pair "
        f"(start, stop) / 'start,stop' with 1 <= start <= stop, got {profile_batch!r}. "
        "Batches are counted from 1 over the whole fit, as in Keras.")


class BatchTrace:
    """Starts a step tracer before batch ``start`` and writes it after batch ``stop``."""

    def __init__(self, start, stop):
        self.start, self.stop = start, stop
        self._tracer = None

    def before_batch(self, global_batch):
        if global_batch == self.start and self._tracer is None:
            from kcore.tracing import StepTracer

            self._tracer = StepTracer()
            self._tracer.start()

    def after_batch(self, global_batch, train_dir):
        """Writes the trace once batch ``stop`` is done; returns its path or ``None``."""
        if self._tracer is None or global_batch < self.stop:
            return None
        tracer, self._tracer = self._tracer, None
        tracer.stop()
        path = os.path.join(train_dir, f"kcore_trace_batches_{self.start}_{self.stop}.json")
        tracer.write(path)
        print(f"TensorBoard: step trace of batches {self.start}-{self.stop} written to {path} "
              "(Chrome trace-event JSON: open it in ui.perfetto.dev or chrome://tracing)")
        return path

    def abort(self):
        """``fit`` ended or failed inside the window: stop recording, write nothing."""
        if self._tracer is not None:
            self._tracer.stop()
            self._tracer = None
