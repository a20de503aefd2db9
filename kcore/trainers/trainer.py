"""The one training loop: ``compile``, ``fit``, ``evaluate``, ``predict`` and friends.

Each of ``fit``, ``evaluate`` and ``predict`` creates a run object (``FitRun``,
``EvaluateRun``, ``PredictRun``) that owns everything living for that call; the model keeps
only what outlives it (compile state, ``history``, Keras's public ``stop_*`` flags). Each
step is ``train_step``, which users may override as in Keras's "customizing what happens in
fit" guide.
"""

import inspect

from kcore import metrics as metrics_mod
from kcore import distribution, ops, optimizers, tracing
from kcore.backend.autodiff import GradientTape, no_recording
from kcore.backend.floating_point import flush_denormals
from kcore.backend.random import SeedGenerator
from kcore.hooks.step import StepContext
from kcore.metrics import Metric
from kcore.trainers import data_adapters, distributed, validation
from kcore.trainers.compile_utils import CompileLoss, CompileMetrics
from kcore.trainers.data_adapters import unpack_x_y_sample_weight
from kcore.trainers.fit_run import FitRun
from kcore.trainers.logs import batch_size_of, pythonify_logs, sorted_dicts, to_numpy
from kcore.trainers.runs import EvaluateRun, PredictRun, current_run

# compute_loss function -> whether it takes `training` (Keras's newer signature).
_TAKES_TRAINING = {}


class Trainer:
    """The training API mixed into ``Model``."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._compile_config = None
        self._stop_training = False
        self.stop_evaluating = False
        self.stop_predicting = False
        self.history = None
        # A resume point given to set_fit_state() outside a fit, for the next fit only.
        self._resume_request = None

    @property
    def stop_training(self):
        """Set to ``True`` (e.g. by a callback) to stop ``fit`` after the current batch.

        Sticky: within one ``fit`` it stays ``True`` once set, so one callback cannot undo
        another's request; ``fit`` resets it when it starts.
        """
        return self._stop_training

    @stop_training.setter
    def stop_training(self, value):
        run = current_run(self, FitRun)
        self._stop_training = run.request_stop(value) if run is not None else bool(value)

    @property
    def distribute(self):
        """The ``kcore.distribution.Distribution`` this process trains in (rank 0 of 1 alone).

        Same as ``kcore.distribution.distribution()``; plugins should use
        ``kcore.distribution.is_rank_zero()``.
        """
        return distribution.distribution() or distribution.Distribution(0, 1)

    # -- compile ------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configures the model for training.

        Args:
            optimizer: name (``"adam"``), config dict or optimizer instance.
            loss: name, ``Loss``, function, or (multi-output) a list/dict per output.
            loss_weights: weights of the per-output losses (float, list or dict).
            metrics: list (or per-output list/dict) of names, ``Metric``s or functions.
            weighted_metrics: metrics that take ``sample_weight``/``class_weight`` into account.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted for
                Keras compatibility (kcore always runs eagerly, one step at a time).
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        output_names = self._output_names_for_compile()
        self._compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        if metrics is not None and isinstance(metrics, str):
            raise ValueError(
                f"Expected `metrics` argument to be a list, tuple, or dict. Received "
                f"metrics={metrics!r}; write metrics=[{metrics!r}]."
            )
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, output_names) \
            if (metrics is not None or weighted_metrics is not None) else None
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics,
                                "run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
                                "jit_compile": jit_compile}
        self.compiled = True

    def _output_names_for_compile(self):
        names = getattr(self, "output_names", None)
        if isinstance(names, (list, tuple)) and names:
            return list(names)
        return ["output"]

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {what}(), e.g. "
                "model.compile(optimizer='adam', loss='mse')."
            )

    # -- metrics ------------------------------------------------------------------------
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, per-output loss trackers, layer metrics."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics is not None:
            out.append(self._compile_metrics)
        if self._compile_loss is not None:
            out.extend(self._compile_loss.trackers)
        for metric in self._cached("layer_metrics", self._layer_metrics):
            if not any(metric is m for m in out):
                out.append(metric)
        return out

    def _layer_metrics(self):
        # Scanned once per structure version (a Metric set on or deleted from a layer bumps
        # it): a 200-layer model took 0.5 ms per training step to rescan.
        found = []
        for layer in self._flatten_layers(include_self=False):
            for value in layer.__dict__.values():
                if isinstance(value, Metric) and not any(value is m for m in found):
                    found.append(value)
        return found

    @property
    def compiled_metrics(self):
        return self._compile_metrics

    @property
    def compiled_loss(self):
        return self._compile_loss

    @property
    def metrics_names(self):
        """The real names of the results (kcore lists every metric, unlike Keras 3)."""
        names = ["loss"] if self._loss_tracker is not None else []
        if self._compile_loss is not None:
            names += [m.name for m in self._compile_loss.trackers]
        if self._compile_metrics is not None and self._compile_metrics.built:
            names += [name for name, *_ in self._compile_metrics.entries]
        return names

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """The current value of every metric, as a flat ``{name: value}`` dict."""
        logs = {}
        metrics = self.metrics
        with distributed.global_metric_states(self, metrics):
            for m in metrics:
                result = m.result()
                if isinstance(result, dict):
                    logs.update(result)
                else:
                    logs[m.name] = result
        return pythonify_logs(logs)

    def get_metric_direction(self, name):
        """``"up"``, ``"down"`` or ``None`` for a logs key such as ``val_out_a_accuracy``.

        kcore extension used by monitoring callbacks in ``mode="auto"``; unlike Keras 3 it
        also knows per-output keys of multi-output models.
        """
        key = name[4:] if name.startswith("val_") else name
        if key == "loss" or (key.endswith("_loss") and self._compile_loss is not None and
                             any(m.name == key for m in self._compile_loss.trackers)):
            return "down"
        if self._compile_metrics is not None:
            direction = self._compile_metrics.direction_of(key)
            if direction is not None:
                return direction
            for _, _, m, _ in self._compile_metrics.entries:
                if m.name == key:
                    return getattr(m, "direction", None)
        for m in self.metrics:
            if m.name == key:
                return getattr(m, "direction", None)
        return None

    # -- steps --------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss (summed over outputs) plus every regularization loss."""
        total = None
        if self._compile_loss is not None and y is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        extra = self.losses
        if extra:
            reg = extra[0]
            for item in extra[1:]:
                reg = ops.add(reg, item)
            total = reg if total is None else total + reg
        if total is None:
            if self._compile_loss is None:
                raise ValueError(
                    "No loss to compute. Pass a loss to compile(), e.g. "
                    "model.compile(optimizer='adam', loss='mse'), or override compute_loss()."
                )
            raise ValueError("No targets `y` were given, so the compiled loss cannot be computed.")
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        # As Keras: an override written with the older signature
        # `compute_loss(self, x, y, y_pred, sample_weight)` is called without `training`.
        fn = type(self).compute_loss
        has_training = _TAKES_TRAINING.get(fn)
        if has_training is None:
            has_training = _TAKES_TRAINING[fn] = "training" in inspect.signature(fn).parameters
        if has_training:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _track_loss(self, loss, x):
        rows = batch_size_of(x)
        # An empty batch (a worker's share of a global batch smaller than the number of
        # workers) has a NaN mean loss and contributes nothing.
        if rows:
            self._loss_tracker.update_state(loss.value, sample_weight=rows)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns every metric's current result."""
        if self._compile_metrics is not None and y is not None:
            with validation.labels_ignored_by_loss(self):
                self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimization step on a batch; returns the metrics' results."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        # Only trainable variables are watched: frozen layers record nothing on the tape. (A
        # model built by this very call watches what it touches; frozen weights are not
        # trainable, so they are skipped either way.)
        variables = self.trainable_weights if self.built else None
        # The spans time the phases for kcore.tracing (TensorBoard's profile_batch); they
        # cost one context-variable lookup each when no tracer is active.
        with tracing.span("forward"), GradientTape(
                watch_accessed_variables=variables is None) as tape:
            if variables is not None:
                tape.watch(variables)
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        self._track_loss(loss, x)
        if variables is None:
            variables = self.trainable_weights
        with tracing.span("backward"):
            grads = [None if g is None else g.value for g in tape.gradient(loss, variables)]
        with tracing.span("optimizer"):
            self._apply_gradients(grads, variables, x, y, sample_weight, y_pred, loss)
        with tracing.span("metrics"):
            return self.compute_metrics(x, y, y_pred, sample_weight)

    def _apply_gradients(self, grads, variables, x, y, sample_weight, y_pred, loss):
        run = current_run(self, FitRun)
        hooks = run.callbacks if run is not None else None
        if hooks is not None and hooks.has_step_hooks:
            step = StepContext(batch_index=run.step, epoch=run.epoch, x=x, y=y,
                               sample_weight=sample_weight, outputs=y_pred, loss=loss, grads=grads,
                               variables=variables)
            hooks.reduce_gradients(step)
            hooks.before_apply_gradients(step)
            if not step.skip:
                self.optimizer.apply(step.grads, step.variables)
            hooks.after_apply_gradients(step)
        else:
            self.optimizer.apply(grads, variables)

    def test_step(self, data):
        """Computes the loss and metrics on a batch, without updating weights."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for a batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model; returns a ``History`` (also set as ``model.history``).

        Arguments and behaviour are Keras 3's: ``epochs`` is the index of the last epoch
        (training runs ``range(initial_epoch, epochs)``), ``validation_split`` takes the last
        fraction of the arrays before shuffling, and ``validation_freq`` counts epochs from 1.
        """
        self._assert_compiled("fit")
        validation.check_fit(self, x, y, sample_weight, batch_size, epochs, steps_per_epoch,
                             validation_split, validation_data, class_weight, initial_epoch,
                             validation_steps, validation_batch_size, validation_freq)
        return FitRun(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                      validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                      steps_per_epoch, validation_steps, validation_batch_size,
                      validation_freq).execute()

    # -- resumable state (kcore extension, used by BackupAndRestore) -----------------------
    @property
    def active_callbacks(self):
        """The ``CallbackList`` of the running ``fit``/``evaluate``/``predict``, else ``None``."""
        run = current_run(self)
        return run.callbacks if run is not None else None

    def get_fit_state(self):
        """Where the running ``fit`` is, as a JSON-able dict, for exact resumption.

        Holds the next ``epoch`` and ``step`` to run, the data-shuffling seed, the global
        random state (dropout etc.) and the current values of the metric variables.

        Raises:
            RuntimeError: no ``fit`` of this model is running (in this thread).
        """
        run = current_run(self, FitRun)
        if run is None:
            raise RuntimeError(
                "get_fit_state() is only available while fit() runs, e.g. from a callback.")
        return run.get_fit_state()

    def set_fit_state(self, state):
        """Makes the next ``fit`` (or the one starting) resume from ``get_fit_state()``.

        Applied right after ``on_train_begin``, once; ``initial_epoch`` is overridden.
        """
        run = current_run(self, FitRun)
        if run is not None:
            run.pending_state = dict(state)
        else:
            self._resume_request = dict(state)

    def _seed_generators(self):
        """Every layer's ``SeedGenerator`` (their streams are part of the fit state)."""
        found = []
        for layer in self._flatten_layers():
            for value in layer.__dict__.values():
                if isinstance(value, SeedGenerator) and not any(value is g for g in found):
                    found.append(value)
        return found

    def _take_resume_request(self):
        state, self._resume_request = self._resume_request, None
        return state

    # -- evaluate -----------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Returns the loss and metrics on the data (a scalar, a list, or a dict)."""
        self._assert_compiled("evaluate")
        if kwargs:
            raise ValueError(f"Invalid evaluate() argument(s): {sorted(kwargs)}.")
        validation.check_evaluate(self, x, y, sample_weight, batch_size, steps)
        logs = EvaluateRun(self, x, y, batch_size, verbose, sample_weight, steps,
                           callbacks).execute()
        return logs if return_dict else self._logs_to_list(logs)

    def _logs_to_list(self, logs):
        ordered = [k for k in self.metrics_names if k in logs]
        ordered += [k for k in sorted(logs) if k not in ordered]
        values = [logs[k] for k in ordered]
        return values[0] if len(values) == 1 else values

    # -- predict ------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, batched; numpy arrays in the output structure."""
        validation.check_predict(self, x, batch_size, steps)
        return PredictRun(self, x, batch_size, verbose, steps, callbacks).execute()

    # -- on_batch -----------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one training step on one batch (metrics are reset first, as in Keras 3)."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same time.")
            sample_weight = data_adapters.class_weight_to_sample_weight(y, class_weight)
        self.reset_metrics()
        batch = next(iter(data_adapters.ArrayAdapter(x, y, sample_weight,
                                                     batch_size=batch_size_of(x)).iter_epoch()))[1]
        with flush_denormals():
            logs = pythonify_logs(self.train_step(batch))
        return logs if return_dict else self._logs_to_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates one batch (metrics are reset first)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        batch = next(iter(data_adapters.ArrayAdapter(x, y, sample_weight,
                                                     batch_size=batch_size_of(x)).iter_epoch()))[1]
        with no_recording(), flush_denormals():
            logs = pythonify_logs(self.test_step(batch))
        return logs if return_dict else self._logs_to_list(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as numpy arrays."""
        with no_recording(), flush_denormals():
            return sorted_dicts(to_numpy(self.predict_step((x,))))

    # -- compile config (saving) --------------------------------------------------------
    def get_compile_config(self):
        return dict(self._compile_config) if self._compile_config else None
