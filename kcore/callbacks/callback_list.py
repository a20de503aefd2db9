"""``CallbackList``: Keras's callback container, and the training loop's dispatcher.

The fit loop (``kcore.trainers.fit_run.FitRun``) uses it like this::

    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                       model=model, verbose=verbose, epochs=epochs, steps=steps)
    model.stop_training = False            # the loop resets it, the list never does
    with cbs.session(stage="fit"):
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            for batch ...:
                cbs.on_train_batch_begin(batch)
                ... forward, backward -> step = StepContext(...)
                if cbs.has_step_hooks:    # else: optimizer.apply(grads, variables)
                    cbs.reduce_gradients(step)
                    cbs.before_apply_gradients(step)
                    if not step.skip: optimizer.apply(step.grads, step.variables)
                    cbs.after_apply_gradients(step)
                cbs.on_train_batch_end(batch, logs)
                if model.stop_training: break
            ... validation: evaluate(..., callbacks=cbs) reuses the list, whose
                session(stage="evaluate") is then re-entrant (no new registration)
            cbs.on_epoch_end(epoch, epoch_logs)
            if model.stop_training: break
        cbs.on_train_end(epoch_logs)

What the session does:

- on entry (outermost only): ``check_pending()`` on the plugin manager,
  appends the plugins' ``kcore_default_callbacks`` (after the user's
  callbacks, before ``History``/``ProgbarLogger``) and validates the callbacks
  (duplicate ``state_key`` -> ``ValueError``; ``on_*`` methods that are not
  callback methods -> ``UserWarning``);
- when the body raises: ``kcore_on_exception`` — each callback's
  ``on_exception(exception, stage)`` first, in list order, then every plugin
  implementation, each isolated (a failing one is reported as a
  ``RuntimeWarning``) — then the original exception propagates unchanged.

Every event goes one way, inside a session or not: ``kcore_reduce_logs(model,
logs, scope)`` when a plugin implements it, then ``kcore_on_*`` through the
plugin manager, where the one adapter plugin (``kcore.callbacks.adapter``,
called first) runs this list's callbacks in list order and plugins run after.
All of them get the same ``logs`` dict, so a key added by one is seen by the
next and by ``History``. An event that no callback of the list overrides and
no plugin implements costs a few dict lookups. An exception from a callback
gets the note ``"in callback <Class>.<method>"``, one from a plugin
``"in hook <hook> of kcore plugin <name>"``.
"""

import difflib
import warnings

from kcore.callbacks import adapter
from kcore.callbacks.adapter import active, targets_of
from kcore.callbacks.callback import Callback, is_stateful
from kcore.callbacks.history import History
from kcore.callbacks.lookup import get
from kcore.callbacks.progbar_logger import ProgbarLogger
from kcore.hooks.hookspecs import CALLBACK_METHODS, EVENT_HOOKS, KERAS_EVENTS, LOG_SCOPES
from kcore.hooks.manager import get_plugin_manager


class CallbackList(Callback):
    """Container of ``Callback``s that dispatches each event to them and to plugins.

    Args:
        callbacks: a list of ``Callback`` instances, callback names
            (``"EarlyStopping"``) or ``{"class_name": ..., "config": ...}`` dicts;
            names resolve through the ``kcore.callbacks`` entry-point group.
        add_history: append a ``History`` unless one is in ``callbacks``.
        add_progbar: append a ``ProgbarLogger`` unless one is in ``callbacks``.
        model: the model, passed to every callback with ``set_model``.
        **params: the ``params`` dict given to every callback
            (``verbose``, ``epochs``, ``steps``).

    Order: user callbacks, plugin default callbacks, ``History``,
    ``ProgbarLogger``.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        if isinstance(callbacks, (Callback, str, dict)):
            callbacks = [callbacks]
        self.callbacks = [get(cb) for cb in (callbacks or [])]
        self._n_user = len(self.callbacks)
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self._pm = get_plugin_manager()
        adapter.install(self._pm)
        self._gate = self._pm.gate
        self._hook = self._pm.hook
        self._depth = 0
        self._stage = None
        self._defaults_added = False
        self.dispatch_table = {}
        self._update_dispatch_table()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        if model is not None:
            self._add_plugin_defaults()

    # --- Keras container API ---------------------------------------------------

    def append(self, callback):
        """Add a callback (instance, name or config) at the end of the list."""
        if self._depth:
            raise RuntimeError("Cannot add a callback while the list's session is running.")
        callback = get(callback)
        if self.model is not None:
            callback.set_model(self.model)
        callback.set_params(self.params)
        self.callbacks.append(callback)
        self._update_dispatch_table()

    def set_model(self, model):
        super().set_model(model)
        if self._history is not None and model is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    # --- session ---------------------------------------------------------------

    def session(self, stage="fit"):
        """Context manager around one ``fit``/``evaluate``/``predict`` call.

        Re-entrant: ``evaluate`` inside ``fit`` enters again and shares the
        outer session (``stage`` stays the outer one).

        Args:
            stage: ``"fit"``, ``"evaluate"`` or ``"predict"``, reported to
                ``kcore_on_exception``.
        """
        return _Session(self, stage)

    def _enter(self, stage):
        if self._depth:
            self._depth += 1
            return
        self._pm.check_pending()
        if not self._defaults_added:
            self._add_plugin_defaults()
        self._validate()
        self._update_dispatch_table()
        self._stage, self._depth = stage, 1

    def _exit(self, exception):
        self._depth -= 1
        if self._depth:
            return
        stage, self._stage = self._stage, None
        if exception is not None:
            token = active.set(self)
            try:
                self._hook.kcore_on_exception(model=self.model, exception=exception,
                                              stage=stage)
            finally:
                active.reset(token)

    def _update_dispatch_table(self):
        """Which callbacks act on which event (``adapter.targets_of``), decided once."""
        self.dispatch_table = {event: targets_of(self.callbacks, event)
                               for event in (*KERAS_EVENTS, "on_exception")}

    def _add_plugin_defaults(self):
        self._defaults_added = True
        # pluggy returns the results last-registered first; keep registration order.
        results = self._hook.kcore_default_callbacks(model=self.model, params=self.params)
        added = [callback for result in reversed(results) for callback in result]
        for callback in added:
            callback.set_model(self.model)
            callback.set_params(self.params)
        self.callbacks[self._n_user:self._n_user] = added
        self._update_dispatch_table()

    def _validate(self):
        owners = {}
        for position, callback in enumerate(self.callbacks):
            _warn_unknown_hooks(callback)
            if not is_stateful(callback):
                continue
            key = callback.state_key
            if key in owners:
                first, first_position = owners[key]
                raise ValueError(
                    f"Two stateful callbacks share the state_key {key!r}: "
                    f"{type(first).__name__} at position {first_position} and "
                    f"{type(callback).__name__} at position {position}. Their saved states would "
                    f"overwrite each other; give each a unique state_key (override the state_key "
                    f"property, e.g. to include the file path or monitored metric).")
            owners[key] = (callback, position)

    # --- gradient hooks (gated) ------------------------------------------------

    @property
    def has_step_hooks(self):
        """Whether a plugin implements a gradient hook.

        When ``False`` the loop may skip building a ``StepContext`` and apply
        the gradients directly.
        """
        gate = self._gate
        return (gate["kcore_reduce_gradients"] or gate["kcore_before_apply_gradients"]
                or gate["kcore_after_apply_gradients"])

    def reduce_gradients(self, step):
        """Fire ``kcore_reduce_gradients``; returns the claiming result or ``None``."""
        if self._gate["kcore_reduce_gradients"]:
            return self._hook.kcore_reduce_gradients(model=self.model, step=step)
        return None

    def before_apply_gradients(self, step):
        """Fire ``kcore_before_apply_gradients`` (plugins may clip or set ``step.skip``)."""
        if self._gate["kcore_before_apply_gradients"]:
            self._hook.kcore_before_apply_gradients(model=self.model, step=step)

    def after_apply_gradients(self, step):
        """Fire ``kcore_after_apply_gradients``."""
        if self._gate["kcore_after_apply_gradients"]:
            self._hook.kcore_after_apply_gradients(model=self.model, step=step)

    # --- event dispatch ----------------------------------------------------------

    def _fire(self, event, hook_name, scope, index_key, index, logs):
        """Dispatch one event: reduce_logs, then the callbacks (via the adapter) and plugins."""
        gate = self._gate
        if gate["kcore_reduce_logs"]:
            self._hook.kcore_reduce_logs(model=self.model, logs=logs, scope=scope)
        if self.dispatch_table[event] or gate[hook_name]:
            kwargs = {"model": self.model, "logs": logs}
            if index_key is not None:
                kwargs[index_key] = index
            token = active.set(self)
            try:
                getattr(self._hook, hook_name)(**kwargs)
            finally:
                active.reset(token)


class _Session:
    def __init__(self, callback_list, stage):
        self._list = callback_list
        self._stage = stage

    def __enter__(self):
        self._list._enter(self._stage)
        return self._list

    def __exit__(self, exc_type, exc, tb):
        self._list._exit(exc)
        return False


def _define_event(event):
    hook_name, scope = EVENT_HOOKS[event], LOG_SCOPES[event]
    if event in ("on_epoch_begin", "on_epoch_end") or "_batch_" in event:
        index_key = "epoch" if "epoch" in event else "batch"

        def method(self, index, logs=None):
            if logs is None:
                logs = {}
            self._fire(event, hook_name, scope, index_key, index, logs)
    else:
        def method(self, logs=None):
            if logs is None:
                logs = {}
            self._fire(event, hook_name, scope, None, None, logs)
    method.__name__ = event
    method.__qualname__ = f"CallbackList.{event}"
    method.__doc__ = f"Dispatch ``{event}``: ``kcore_reduce_logs``, then callbacks and plugins."
    return method


for _event in KERAS_EVENTS:
    setattr(CallbackList, _event, _define_event(_event))
del _event


def _warn_unknown_hooks(callback):
    names = set(dir(type(callback))) | set(getattr(callback, "__dict__", ()))
    for name in sorted(names):
        if name.startswith("on_") and name not in CALLBACK_METHODS and callable(
                getattr(callback, name, None)):
            close = difflib.get_close_matches(name, sorted(CALLBACK_METHODS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            warnings.warn(
                f"Callback {type(callback).__name__} defines {name}(), which is not a Keras "
                f"callback method and will never be called.{hint}", UserWarning, stacklevel=5)
