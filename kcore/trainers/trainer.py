"""The one training loop: ``compile``, ``fit``, ``evaluate``, ``predict`` and friends.

``fit`` is a plain loop over epochs and batches that fires every Keras event through the
callback list (which also dispatches the pluggy hooks); each step is ``train_step``, which
users may override as in Keras's "customizing what happens in fit" guide.
"""

import math
import numbers
import warnings

import numpy as np

from kcore.backend.autodiff import GradientTape, no_recording
from kcore.backend.tensor import Tensor
from kcore.trainers import data_adapters, distributed
from kcore.trainers.data_adapters import unpack_x_y_sample_weight


def _scalar(value):
    if isinstance(value, Tensor):
        value = value.value
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return float(value.reshape(()))
        return value
    if isinstance(value, numbers.Number):
        return float(value)
    return value


def pythonify_logs(logs):
    """Floats where possible, nested dicts flattened, arrays split per element, keys sorted.

    A metric whose result is a vector (e.g. ``F1Score(average=None)``) appears as one scalar
    per element, ``<name>_0``, ``<name>_1``, ... so every logger can record it.
    """
    flat = {}

    def put(key, value):
        if isinstance(value, dict):
            for k, v in value.items():
                put(k, v)
            return
        value = _scalar(value)
        if isinstance(value, np.ndarray) and value.ndim == 1:
            for i, v in enumerate(value):
                flat[f"{key}_{i}"] = float(v)
        else:
            flat[key] = value

    for k, v in (logs or {}).items():
        put(k, v)
    return {k: flat[k] for k in sorted(flat)}


def _batch_size(x):
    for a in data_adapters._flat(x):
        return int(np.shape(getattr(a, "value", a))[0])
    return 0


def _verbose_mode(verbose):
    # "auto" is resolved by ProgbarLogger (1 on a terminal, 2 otherwise).
    return verbose if verbose == "auto" else int(verbose)


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
        self._active_callbacks = None
        self._pending_fit_state = None
        self._current_epoch = 0
        self._current_step = -1
        self._fit_adapter = None

    @property
    def stop_training(self):
        """Set to ``True`` (e.g. by a callback) to stop ``fit`` after the current batch.

        Sticky: within one ``fit`` it stays ``True`` once set, so one callback cannot undo
        another's request; ``fit`` resets it when it starts.
        """
        return self._stop_training

    @stop_training.setter
    def stop_training(self, value):
        self._stop_training = bool(value) or (self._stop_training and self._in_fit)

    _in_fit = False

    @property
    def distribute(self):
        """The ``kcore.distribution.Distribution`` this process trains in (rank 0 of 1 alone).

        Same as ``kcore.distribution.distribution()``; plugins should use
        ``kcore.distribution.is_rank_zero()``.
        """
        from kcore import distribution

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
        from kcore import metrics as metrics_mod
        from kcore import optimizers
        from kcore.trainers.compile_utils import CompileLoss, CompileMetrics

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
        from kcore.metrics import Metric

        for layer in self._flatten_layers(include_self=False):
            for value in layer.__dict__.values():
                if isinstance(value, Metric) and not any(value is m for m in out):
                    out.append(value)
        return out

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
                    return getattr(m, "_direction", None)
        for m in self.metrics:
            if m.name == key:
                return getattr(m, "_direction", None)
        return None

    # -- steps --------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss (summed over outputs) plus every regularization loss."""
        total = None
        if self._compile_loss is not None and y is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        extra = self.losses
        if extra:
            from kcore import ops

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

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns every metric's current result."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimization step on a batch; returns the metrics' results."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        # Only trainable variables are watched: frozen layers record nothing on the tape. (A
        # model built by this very call watches what it touches; frozen weights are not
        # trainable, so they are skipped either way.)
        variables = self.trainable_weights if self.built else None
        with GradientTape(watch_accessed_variables=variables is None) as tape:
            if variables is not None:
                tape.watch(variables)
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=True)
        self._loss_tracker.update_state(loss.value, sample_weight=_batch_size(x))
        if variables is None:
            variables = self.trainable_weights
        grads = tape._gradient_arrays(loss, variables)
        self._apply_gradients(grads, variables, x, y, sample_weight, y_pred, loss)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _apply_gradients(self, grads, variables, x, y, sample_weight, y_pred, loss):
        hooks = self._active_callbacks
        if hooks is not None and hooks.has_step_hooks:
            from kcore.hooks import StepContext

            step = StepContext(batch_index=self._current_step, epoch=self._current_epoch, x=x, y=y,
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
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        self._loss_tracker.update_state(loss.value, sample_weight=_batch_size(x))
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
        from kcore.callbacks import CallbackList

        distributed.sync_initial_state(self)
        if validation_split and validation_data is None:
            if not data_adapters.is_array_data(x):
                raise ValueError(
                    "`validation_split` is only supported for array inputs; pass "
                    "`validation_data` for generators and datasets."
                )
            (x, y, sample_weight), val = data_adapters.train_validation_split(
                (x, y, sample_weight), validation_split)
            validation_data = val
        adapter = data_adapters.get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch,
                                                 shuffle, class_weight)
        if getattr(adapter, "shuffle", False):
            adapter.shuffle_seed = _global_seed_draw()
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
            val_adapter = data_adapters.get_data_adapter(
                vx, vy, vsw, validation_batch_size or (batch_size if vy is not None or
                                                       data_adapters.is_array_data(vx) else None),
                validation_steps, False)
        verbose = _verbose_mode(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self, verbose=verbose,
            epochs=epochs, steps=adapter.num_batches)
        self._stop_training = False
        self._in_fit = True
        self._fit_adapter = adapter
        start_epoch, start_step = initial_epoch, 0
        training_logs = {}
        self._active_callbacks = cbs
        try:
            with cbs.session(stage="fit"):
                cbs.on_train_begin({})
                # A callback (e.g. BackupAndRestore) may ask to resume; consumed once, so
                # the resume point never leaks into a later fit.
                state, self._pending_fit_state = self._pending_fit_state, None
                if state is not None:
                    start_epoch, start_step = self._apply_fit_state(state, adapter)
                for epoch in range(start_epoch, epochs):
                    self._current_epoch = epoch
                    if not (epoch == start_epoch and getattr(self, "_resume_metrics", False)):
                        self.reset_metrics()
                    self._resume_metrics = False
                    cbs.on_epoch_begin(epoch, {})
                    logs = self._run_train_epoch(adapter, epoch, start_step if epoch == start_epoch else 0, cbs)
                    if self._steps_run == 0 and getattr(adapter, "_exhausted", False):
                        break  # the data ran out: no epoch happened
                    epoch_logs = self.get_metrics_result() or logs
                    if val_adapter is not None and _should_eval(epoch, validation_freq):
                        val_logs = self._evaluate_adapter(val_adapter, cbs)
                        epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                    cbs.on_epoch_end(epoch, epoch_logs)
                    training_logs = epoch_logs
                    if self.stop_training or getattr(adapter, "_exhausted", False):
                        break
                if self.optimizer is not None and hasattr(self.optimizer, "finalize_variable_values"):
                    self.optimizer.finalize_variable_values(self.trainable_weights)
                cbs.on_train_end(training_logs)
        finally:
            self._active_callbacks = None
            self._fit_adapter = None
            self._in_fit = False
        return self.history

    # -- resumable state (kcore extension, used by BackupAndRestore) -----------------------
    @property
    def active_callbacks(self):
        """The ``CallbackList`` of the running ``fit``/``evaluate``/``predict``, else ``None``."""
        return self._active_callbacks

    def get_fit_state(self):
        """Where the running ``fit`` is, as a JSON-able dict, for exact resumption.

        Holds the next ``epoch`` and ``step`` to run, the data-shuffling seed, the global
        random state (dropout etc.) and the current values of the metric variables.
        """
        from kcore.backend import random as backend_random

        adapter = self._fit_adapter
        steps = adapter.num_batches if adapter is not None else None
        epoch, step = self._current_epoch, self._current_step + 1
        if steps is not None and step >= steps:
            epoch, step = epoch + 1, 0
        return {
            "epoch": int(epoch), "step": int(step),
            "shuffle_seed": getattr(adapter, "shuffle_seed", None),
            "rng_state": backend_random.get_state(),
            "layer_rng_states": [g.get_state() for g in self._seed_generators()],
            "data_state": adapter.state_dict() if hasattr(adapter, "state_dict") else None,
            "metrics": [np.asarray(v.value).tolist() for m in self.metrics for v in m.variables],
        }

    def _seed_generators(self):
        from kcore.backend.random import SeedGenerator

        found = []
        for layer in self._flatten_layers():
            for value in layer.__dict__.values():
                if isinstance(value, SeedGenerator) and not any(value is g for g in found):
                    found.append(value)
        return found

    def set_fit_state(self, state):
        """Makes the next ``fit`` (or the one starting) resume from ``get_fit_state()``.

        Applied right after ``on_train_begin``, once; ``initial_epoch`` is overridden.
        """
        self._pending_fit_state = dict(state)

    def _apply_fit_state(self, state, adapter):
        from kcore.backend import random as backend_random

        if state.get("shuffle_seed") is not None and hasattr(adapter, "shuffle_seed"):
            adapter.shuffle_seed = state["shuffle_seed"]
        if state.get("data_state") is not None and hasattr(adapter, "load_state_dict"):
            adapter.load_state_dict(state["data_state"])
        if state.get("rng_state") is not None:
            backend_random.set_state(state["rng_state"])
        generators = self._seed_generators()
        for gen, gen_state in zip(generators, state.get("layer_rng_states") or []):
            gen.set_state(gen_state)
        epoch, step = int(state.get("epoch", 0)), int(state.get("step", 0))
        values = state.get("metrics")
        if step and values is not None:
            self._build_compiled_metrics(adapter, epoch)
            variables = [v for m in self.metrics for v in m.variables]
            if len(variables) == len(values):
                for v, value in zip(variables, values):
                    v.assign(np.asarray(value, dtype=v.dtype))
        self._resume_metrics = bool(step and values is not None)
        return epoch, step

    def _build_compiled_metrics(self, adapter, epoch):
        """Creates the compiled metrics' variables (normally built on the first batch)."""
        needs = ((self._compile_metrics is not None and not self._compile_metrics.built)
                 or (self._compile_loss is not None and not self._compile_loss.built))
        if not needs:
            return
        for _, batch in adapter.iter_epoch(epoch):
            x, y, _ = unpack_x_y_sample_weight(batch)
            with no_recording():
                y_pred = self(x, training=False)
            if y is not None:
                if self._compile_loss is not None and not self._compile_loss.built:
                    self._compile_loss.build(y, y_pred)
                if self._compile_metrics is not None and not self._compile_metrics.built:
                    self._compile_metrics.build(y, y_pred)
            break

    def _run_train_epoch(self, adapter, epoch, start_step, cbs):
        logs = {}
        self._steps_run = 0
        for step, batch in adapter.iter_epoch(epoch, start_step):
            self._steps_run += 1
            self._current_step = step
            cbs.on_train_batch_begin(step, {})
            with distributed.sharded(self, batch, "train") as batch:
                logs = pythonify_logs(self.train_step(batch))
            cbs.on_train_batch_end(step, logs)
            if self.stop_training:
                break
        return logs

    # -- evaluate -----------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Returns the loss and metrics on the data (a scalar, a list, or a dict)."""
        self._assert_compiled("evaluate")
        from kcore.callbacks import CallbackList

        if kwargs:
            raise ValueError(f"Invalid evaluate() argument(s): {sorted(kwargs)}.")
        adapter = data_adapters.get_data_adapter(x, y, sample_weight, batch_size, steps, False)
        if isinstance(callbacks, CallbackList):
            cbs = callbacks
        else:
            verbose = _verbose_mode(verbose)
            cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                               epochs=1, steps=adapter.num_batches)
        outer = self._active_callbacks
        self._active_callbacks = cbs
        try:
            with cbs.session(stage="evaluate"):
                logs = self._evaluate_adapter(adapter, cbs)
        finally:
            self._active_callbacks = outer
        if return_dict:
            return logs
        return self._logs_to_list(logs)

    def _evaluate_adapter(self, adapter, cbs):
        self.reset_metrics()
        self.stop_evaluating = False
        cbs.on_test_begin({})
        logs = {}
        with no_recording():
            for step, batch in adapter.iter_epoch():
                cbs.on_test_batch_begin(step, {})
                with distributed.sharded(self, batch, "test") as batch:
                    logs = pythonify_logs(self.test_step(batch))
                cbs.on_test_batch_end(step, logs)
                if self.stop_evaluating:
                    break
        logs = self.get_metrics_result() or logs
        cbs.on_test_end(logs)
        return logs

    def _logs_to_list(self, logs):
        ordered = [k for k in self.metrics_names if k in logs]
        ordered += [k for k in sorted(logs) if k not in ordered]
        values = [logs[k] for k in ordered]
        return values[0] if len(values) == 1 else values

    # -- predict ------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, batched; numpy arrays in the output structure."""
        from kcore.callbacks import CallbackList

        if data_adapters.is_array_data(x) or isinstance(x, (np.ndarray, Tensor)):
            adapter = data_adapters.ArrayAdapter(x, batch_size=batch_size, steps=steps)
        else:
            adapter = data_adapters.get_data_adapter(x, None, None, batch_size, steps, False)
        verbose = _verbose_mode(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=adapter.num_batches)
        self.stop_predicting = False
        outputs = []
        outer = self._active_callbacks
        self._active_callbacks = cbs
        try:
            with cbs.session(stage="predict"), no_recording():
                cbs.on_predict_begin({})
                for step, x_batch in adapter.iter_inputs():
                    cbs.on_predict_batch_begin(step, {})
                    with distributed.sharded(self, (x_batch,), "predict") as data:
                        batch_out = distributed.gather_outputs(
                            self, _to_numpy(self.predict_step(data)))
                    outputs.append(batch_out)
                    cbs.on_predict_batch_end(step, {"outputs": batch_out})
                    if self.stop_predicting:
                        break
                cbs.on_predict_end({})
        finally:
            self._active_callbacks = outer
        if not outputs:
            raise ValueError("predict() received no data: the input produced no batches.")
        return _concat(outputs)

    # -- on_batch -----------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one training step on one batch (metrics are reset first, as in Keras 3)."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same time.")
            sample_weight = data_adapters.class_weight_to_sample_weight(y, class_weight)
        self.reset_metrics()
        self._current_epoch, self._current_step = 0, 0
        batch = next(iter(data_adapters.ArrayAdapter(x, y, sample_weight,
                                                     batch_size=_batch_size(x)).iter_epoch()))[1]
        logs = pythonify_logs(self.train_step(batch))
        return logs if return_dict else self._logs_to_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates one batch (metrics are reset first)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        batch = next(iter(data_adapters.ArrayAdapter(x, y, sample_weight,
                                                     batch_size=_batch_size(x)).iter_epoch()))[1]
        with no_recording():
            logs = pythonify_logs(self.test_step(batch))
        return logs if return_dict else self._logs_to_list(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as numpy arrays."""
        with no_recording():
            return _to_numpy(self.predict_step((x,)))

    # -- compile config (saving) --------------------------------------------------------
    def get_compile_config(self):
        return dict(self._compile_config) if self._compile_config else None


def _global_seed_draw():
    from kcore.backend.random import global_generator

    return int(global_generator().integers(0, 2**31 - 1))


def _should_eval(epoch, validation_freq):
    epoch += 1
    if isinstance(validation_freq, int):
        return epoch % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch in validation_freq
    raise ValueError(f"`validation_freq` must be an int or a list of epochs, got {validation_freq!r}.")


def _to_numpy(struct):
    if isinstance(struct, Tensor):
        return struct.value
    if isinstance(struct, dict):
        return {k: _to_numpy(v) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_to_numpy(v) for v in struct)
    return np.asarray(struct)


def _concat(batches):
    first = batches[0]
    if isinstance(first, dict):
        return {k: _concat([b[k] for b in batches]) for k in first}
    if isinstance(first, (list, tuple)):
        return [_concat([b[i] for b in batches]) for i in range(len(first))]
    return np.concatenate(batches, axis=0)
