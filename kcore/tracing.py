"""Step tracing: a Chrome trace-event timeline of training steps (``TensorBoard(profile_batch=)``).

While a ``StepTracer`` is active (``with tracer.active():``), the training loop records
spans: each batch's ``forward`` (model call and loss), ``backward`` (gradients) and
``optimizer`` (gradient hooks and the update), every callback method, and every plugin hook
call. ``tracer.write(path)`` saves them in the Chrome trace-event JSON format that Perfetto
(ui.perfetto.dev) and ``chrome://tracing`` open. This is a wall-clock timeline of kcore's own
steps, not TensorFlow's profiler: there are no device or memory traces.

The active tracer lives in a context variable, so tracing one ``fit`` does not trace another
running in another thread. When none is active, ``span`` costs one context-variable lookup.

Example:
    >>> tracer = kcore.tracing.StepTracer()
    >>> with tracer.active():
    ...     model.train_on_batch(x, y)
    >>> tracer.write("trace.json")
"""

import contextlib
import contextvars
import json
import os
import threading
import time

_active = contextvars.ContextVar("kcore_step_tracer", default=None)
_NOTHING = contextlib.nullcontext()


def current():
    """The active ``StepTracer`` of this context, or ``None``."""
    return _active.get()


def span(name, category="step", **args):
    """A context manager timing ``name`` on the active tracer (nothing when none is active)."""
    tracer = _active.get()
    return _NOTHING if tracer is None else tracer.span(name, category, **args)


class StepTracer:
    """Collects complete-duration events (``"ph": "X"``) in microseconds since its creation."""

    def __init__(self):
        self.events = []
        self._origin = time.perf_counter()
        self._token = None

    @contextlib.contextmanager
    def active(self):
        """Makes this tracer the active one of the current context for the ``with`` block."""
        token = _active.set(self)
        try:
            yield self
        finally:
            _active.reset(token)

    def start(self):
        """Activates the tracer until ``stop()`` (for callbacks that begin and end it apart)."""
        if self._token is None:
            self._token = _active.set(self)

    def stop(self):
        if self._token is not None:
            try:
                _active.reset(self._token)
            except ValueError:  # stopped from another context: just deactivate there
                _active.set(None)
            self._token = None

    @contextlib.contextmanager
    def span(self, name, category="step", **args):
        """Records ``name`` from entry to exit (also when the block raises)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            end = time.perf_counter()
            self.events.append({
                "name": name, "cat": category, "ph": "X", "pid": os.getpid(),
                "tid": threading.get_ident(), "ts": (start - self._origin) * 1e6,
                "dur": (end - start) * 1e6, **({"args": args} if args else {})})

    def write(self, path):
        """Writes the Chrome trace-event JSON (``{"traceEvents": [...]}``); returns ``path``."""
        path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"traceEvents": self.events, "displayTimeUnit": "ms",
                       "otherData": {"producer": "kcore step tracer (not TensorFlow's profiler)"}},
                      f)
        return path


__all__ = ["StepTracer", "current", "span"]
