"""``FitRun``: one call of ``fit``, read top to bottom in ``FitRun.execute``.

The run prepares the data, makes the callback list, begins (``on_train_begin``), applies a
resume request (``model.set_fit_state``, e.g. from ``BackupAndRestore``), runs epochs —
each: begin, train batches, validate, end — and finishes. Every counter, the stop flag and
the resume state live here, never on the model.
"""

import numpy as np

from kcore.backend import random as backend_random
from kcore.backend.autodiff import no_recording
from kcore.backend.floating_point import flush_denormals
from kcore.trainers import data_adapters, distributed
from kcore.trainers.data_adapters import unpack_x_y_sample_weight
from kcore.trainers.logs import pythonify_logs
from kcore.trainers.runs import Run, make_callback_list, run_test_loop


class FitRun(Run):
    """One ``fit`` call. Arguments are ``fit``'s (see ``Trainer.fit``)."""

    stage = "fit"

    def __init__(self, model, x=None, y=None, batch_size=None, epochs=1, verbose="auto",
                 callbacks=None, validation_split=0.0, validation_data=None, shuffle=True,
                 class_weight=None, sample_weight=None, initial_epoch=0, steps_per_epoch=None,
                 validation_steps=None, validation_batch_size=None, validation_freq=1):
        self.epochs = epochs
        self.validation_freq = validation_freq
        self.epoch, self.step = initial_epoch, -1
        self.start_epoch, self.start_step = initial_epoch, 0
        self.steps_run = 0
        self.stop_training = False
        self.resume_metrics = False
        self.pending_state = None
        self.logs = {}
        # Before the data is shuffled: workers of a data-parallel run agree on every seed.
        distributed.sync_initial_state(model)
        self._prepare_data(x, y, sample_weight, batch_size, shuffle, class_weight,
                           steps_per_epoch, validation_split, validation_data, validation_steps,
                           validation_batch_size)
        super().__init__(model, make_callback_list(model, callbacks, verbose,
                                                   self.adapter.num_batches, epochs=epochs,
                                                   add_history=True))

    # -- the call ----------------------------------------------------------------------
    def execute(self):
        """Runs the fit; returns the model's ``History``."""
        with self:
            self._begin()
            self._resume()
            for epoch in range(self.start_epoch, self.epochs):
                if not self._run_epoch(epoch):
                    break
            self._finish()
        return self.model.history

    def _prepare_data(self, x, y, sample_weight, batch_size, shuffle, class_weight,
                      steps_per_epoch, validation_split, validation_data, validation_steps,
                      validation_batch_size):
        if validation_split and validation_data is None:
            if not data_adapters.is_array_data(x):
                raise ValueError(
                    "`validation_split` is only supported for array inputs; pass "
                    "`validation_data` for generators and datasets.")
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                (x, y, sample_weight), validation_split)
        self.adapter = data_adapters.get_data_adapter(x, y, sample_weight, batch_size,
                                                      steps_per_epoch, shuffle, class_weight)
        if getattr(self.adapter, "shuffle", False):
            self.adapter.shuffle_seed = int(
                backend_random.global_generator().integers(0, 2**31 - 1))
        self.val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
            batches = validation_batch_size or (
                batch_size if vy is not None or data_adapters.is_array_data(vx) else None)
            self.val_adapter = data_adapters.get_data_adapter(vx, vy, vsw, batches,
                                                              validation_steps, False)

    def _begin(self):
        self.model.stop_training = False
        self.callbacks.on_train_begin({})

    def _resume(self):
        # A callback (e.g. BackupAndRestore) may have asked to resume, in on_train_begin or
        # before fit; the request is consumed here, so it never leaks into a later fit.
        state = self.pending_state or self.model._take_resume_request()
        self.pending_state = None
        if state is not None:
            self.start_epoch, self.start_step = self._apply_fit_state(state)

    def _run_epoch(self, epoch):
        """One epoch; returns whether training goes on."""
        self.epoch = epoch
        resuming = epoch == self.start_epoch
        if not (resuming and self.resume_metrics):
            self.model.reset_metrics()
        self.resume_metrics = False
        self.callbacks.on_epoch_begin(epoch, {})
        logs = self._train_batches(epoch, self.start_step if resuming else 0)
        if self.steps_run == 0 and self.data_exhausted:
            return False  # the data ran out: no epoch happened
        logs = self.model.get_metrics_result() or logs
        self._validate(epoch, logs)
        self.callbacks.on_epoch_end(epoch, logs)
        self.logs = logs
        return not (self.stop_requested or self.data_exhausted)

    def _train_batches(self, epoch, start_step):
        """The hot loop over one epoch's batches; returns the last batch's logs."""
        model, cbs = self.model, self.callbacks
        logs = {}
        self.steps_run = 0
        for step, batch in self.adapter.iter_epoch(epoch, start_step):
            self.steps_run += 1
            self.step = step
            cbs.on_train_batch_begin(step, {})
            with flush_denormals(), distributed.sharded(model, batch, "train") as batch:
                logs = pythonify_logs(model.train_step(batch))
            cbs.on_train_batch_end(step, logs)
            if self.stop_requested:
                break
        return logs

    def _validate(self, epoch, logs):
        if self.val_adapter is None or not _should_validate(epoch, self.validation_freq):
            return
        val_logs = run_test_loop(self.model, self.val_adapter, self.callbacks)
        logs.update({"val_" + k: v for k, v in val_logs.items()})

    def _finish(self):
        optimizer = self.model.optimizer
        if optimizer is not None and hasattr(optimizer, "finalize_variable_values"):
            optimizer.finalize_variable_values(self.model.trainable_weights)
        self.callbacks.on_train_end(self.logs)

    # -- stop flag -----------------------------------------------------------------------
    def request_stop(self, value):
        """``model.stop_training = value`` during this run: sticky once ``True``."""
        self.stop_training = self.stop_training or bool(value)
        return self.stop_training

    @property
    def stop_requested(self):
        # Also honours a request set on the model from another thread.
        return self.stop_training or self.model.__dict__.get("_stop_training", False)

    @property
    def data_exhausted(self):
        return getattr(self.adapter, "exhausted", False)

    # -- resumable state -------------------------------------------------------------------
    def get_fit_state(self):
        """See ``Trainer.get_fit_state``."""
        model, adapter = self.model, self.adapter
        steps = adapter.num_batches
        epoch, step = self.epoch, self.step + 1
        if steps is not None and step >= steps:
            epoch, step = epoch + 1, 0
        return {
            "epoch": int(epoch), "step": int(step),
            "shuffle_seed": getattr(adapter, "shuffle_seed", None),
            "rng_state": backend_random.get_state(),
            "layer_rng_states": [g.get_state() for g in model._seed_generators()],
            "data_state": adapter.state_dict() if hasattr(adapter, "state_dict") else None,
            "metrics": [np.asarray(v).tolist() for v in distributed.metric_states_to_save(model)],
        }

    def _apply_fit_state(self, state):
        adapter, model = self.adapter, self.model
        if state.get("shuffle_seed") is not None and hasattr(adapter, "shuffle_seed"):
            adapter.shuffle_seed = state["shuffle_seed"]
        if state.get("data_state") is not None and hasattr(adapter, "load_state_dict"):
            adapter.load_state_dict(state["data_state"])
        if state.get("rng_state") is not None:
            backend_random.set_state(state["rng_state"])
        for gen, gen_state in zip(model._seed_generators(), state.get("layer_rng_states") or []):
            gen.set_state(gen_state)
        epoch, step = int(state.get("epoch", 0)), int(state.get("step", 0))
        values = state.get("metrics")
        if step and values is not None:
            self._build_compiled_metrics(epoch)
            variables = [v for m in model.metrics for v in m.variables]
            values = distributed.metric_states_to_resume(values)
            if len(variables) == len(values):
                for v, value in zip(variables, values):
                    v.assign(np.asarray(value, dtype=v.dtype))
        self.resume_metrics = bool(step and values is not None)
        return epoch, step

    def _build_compiled_metrics(self, epoch):
        """Creates the compiled metrics' variables (normally built on the first batch)."""
        model = self.model
        compile_loss, compile_metrics = model.compiled_loss, model.compiled_metrics
        if not ((compile_metrics is not None and not compile_metrics.built)
                or (compile_loss is not None and not compile_loss.built)):
            return
        for _, batch in self.adapter.iter_epoch(epoch):
            x, y, _ = unpack_x_y_sample_weight(batch)
            with no_recording():
                y_pred = model(x, training=False)
            if y is not None:
                for compiled in (compile_loss, compile_metrics):
                    if compiled is not None and not compiled.built:
                        compiled.build(y, y_pred)
            break


def _should_validate(epoch, validation_freq):
    epoch += 1
    if isinstance(validation_freq, int):
        return epoch % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch in validation_freq
    raise ValueError(
        f"`validation_freq` must be an int or a list of epochs, got {validation_freq!r}.")
