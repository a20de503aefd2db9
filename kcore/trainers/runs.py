"""Run objects: one per call of ``fit``, ``evaluate`` or ``predict``.

A run owns everything that lives for one call — the data adapter, the ``CallbackList``
(whose session registers the adapter plugin that calls the Keras callbacks), the counters,
the stop flag, the resume state — and routes an exception out of the call through the
list's session (``kcore_on_exception``, then the original propagates). The model keeps
none of it, so two calls never see each other's state and saving has nothing to skip.

The runs in progress in the current thread or async task form a stack in a context
variable. ``current_run(model)`` finds the innermost one of a model: that is how
``model.get_fit_state()``, ``model.active_callbacks``, ``model.stop_training`` and the
gradient hooks of ``train_step`` reach the call they belong to. (``FitRun`` lives in
``fit_run.py``.)
"""

import contextvars

import numpy as np

from kcore.backend.autodiff import no_recording
from kcore.backend.floating_point import flush_denormals
from kcore.backend.tensor import Tensor
from kcore.callbacks.callback_list import CallbackList
from kcore.trainers import data_adapters, distributed
from kcore.trainers.logs import concat_batches, pythonify_logs, to_numpy

_RUNS = contextvars.ContextVar("kcore_runs", default=())


def current_run(model, kind=None):
    """The innermost run of ``model`` in this thread/async context (of type ``kind``), or
    ``None``."""
    for run in reversed(_RUNS.get()):
        if run.model is model and (kind is None or isinstance(run, kind)):
            return run
    return None


def verbose_mode(verbose):
    """``"auto"`` is resolved by ``ProgbarLogger`` (1 on a terminal, 2 otherwise)."""
    return verbose if verbose == "auto" else int(verbose)


def make_callback_list(model, callbacks, verbose, steps, epochs=1, add_history=False):
    """The callbacks of one call: the caller's ``CallbackList`` as is, or a new one."""
    if isinstance(callbacks, CallbackList):
        return callbacks
    verbose = verbose_mode(verbose)
    return CallbackList(callbacks, add_history=add_history, add_progbar=verbose != 0,
                        model=model, verbose=verbose, epochs=epochs, steps=steps)


class Run:
    """What every run has: the model, its callback list, and being the current run.

    Used as a context manager around the body of the call: entering opens the callback
    list's session and makes this the current run; leaving routes an exception to
    ``kcore_on_exception`` (the run is still current then, so handlers can see
    ``model.active_callbacks``) and unregisters everything.
    """

    stage = None

    def __init__(self, model, callbacks):
        self.model = model
        self.callbacks = callbacks
        self._session = None
        self._token = None

    def __enter__(self):
        self._token = _RUNS.set(_RUNS.get() + (self,))
        self._session = self.callbacks.session(stage=self.stage)
        try:
            self._session.__enter__()
        except BaseException:
            _RUNS.reset(self._token)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            return self._session.__exit__(exc_type, exc, tb)
        finally:
            _RUNS.reset(self._token)


def run_test_loop(model, adapter, callbacks):
    """One pass of ``test_step`` over ``adapter`` with the test events; returns the logs.

    Shared by ``evaluate`` and the validation pass of ``fit`` (which passes its own list).
    """
    model.reset_metrics()
    model.stop_evaluating = False
    callbacks.on_test_begin({})
    logs = {}
    with no_recording():
        for step, batch in adapter.iter_epoch():
            callbacks.on_test_batch_begin(step, {})
            with flush_denormals(), distributed.sharded(model, batch, "test") as batch:
                logs = pythonify_logs(model.test_step(batch))
            callbacks.on_test_batch_end(step, logs)
            if model.stop_evaluating:
                break
    logs = model.get_metrics_result() or logs
    callbacks.on_test_end(logs)
    return logs


class EvaluateRun(Run):
    """One ``evaluate`` call."""

    stage = "evaluate"

    def __init__(self, model, x, y, batch_size, verbose, sample_weight, steps, callbacks):
        self.adapter = data_adapters.get_data_adapter(x, y, sample_weight, batch_size, steps,
                                                      False)
        super().__init__(model, make_callback_list(model, callbacks, verbose,
                                                   self.adapter.num_batches))

    def execute(self):
        """Returns the logs of the pass."""
        with self:
            return run_test_loop(self.model, self.adapter, self.callbacks)


class PredictRun(Run):
    """One ``predict`` call."""

    stage = "predict"

    def __init__(self, model, x, batch_size, verbose, steps, callbacks):
        if data_adapters.is_array_data(x) or isinstance(x, (np.ndarray, Tensor)):
            self.adapter = data_adapters.ArrayAdapter(x, batch_size=batch_size, steps=steps)
        else:
            self.adapter = data_adapters.get_data_adapter(x, None, None, batch_size, steps,
                                                          False)
        super().__init__(model, make_callback_list(model, callbacks, verbose,
                                                   self.adapter.num_batches))

    def execute(self):
        """Returns the outputs of every batch, concatenated."""
        model, cbs = self.model, self.callbacks
        model.stop_predicting = False
        outputs = []
        with self, no_recording():
            cbs.on_predict_begin({})
            for step, x_batch in self.adapter.iter_inputs():
                cbs.on_predict_batch_begin(step, {})
                with flush_denormals(), distributed.sharded(model, (x_batch,), "predict") as data:
                    batch_out = distributed.gather_outputs(model, to_numpy(model.predict_step(data)))
                outputs.append(batch_out)
                cbs.on_predict_batch_end(step, {"outputs": batch_out})
                if model.stop_predicting:
                    break
            cbs.on_predict_end({})
        if not outputs:
            raise ValueError("predict() received no data: the input produced no batches.")
        return concat_batches(outputs)
