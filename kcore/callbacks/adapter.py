"""The one adapter plugin through which every ``CallbackList`` calls its Keras callbacks.

pluggy calls implementations last-registered-first and matches arguments by name, neither
of which suits Keras callbacks (list order, positional arguments). So callbacks are not
registered one by one: a single adapter plugin, installed in the plugin manager as its
*dispatcher* (called before every other implementation, not counted by the hook gate),
delivers each event to the callbacks of the list that fired it, in list order, with
positional arguments. The firing list is in the context variable ``active``, so two
threads or async tasks each reach their own list, and an ``evaluate`` run inside a
callback never feeds its events to the ``fit`` list around it.
"""

import contextvars
import warnings

from kcore.callbacks.callback import Callback
from kcore.hooks.hookspecs import KERAS_ALIASES, KERAS_EVENTS, hookimpl

#: The ``CallbackList`` whose event is being dispatched in this context.
active = contextvars.ContextVar("kcore_active_callback_list", default=None)

ADAPTER_NAME = "kcore-keras-callbacks"


class CallbackAdapter:
    """The dispatcher plugin: one ``kcore_on_*`` implementation per Keras event, plus
    ``kcore_on_exception``, each delivering to ``active.get().dispatch_table[event]``."""

    def __repr__(self):
        return "<the Keras callbacks of the running call>"

    @hookimpl(tryfirst=True)
    def kcore_on_exception(self, exception, stage):
        owner = active.get()
        if owner is None:
            return
        for callback, method in owner.dispatch_table["on_exception"]:
            try:
                method(exception, stage)
            except Exception as err:
                warnings.warn(
                    f"{type(callback).__name__}.on_exception raised {type(err).__name__}: "
                    f"{err} while handling {type(exception).__name__}; the original exception "
                    f"propagates.", RuntimeWarning, stacklevel=2)


def install(pm):
    """Make sure ``pm`` has the adapter as its dispatcher (done by every ``CallbackList``)."""
    if pm.dispatcher is None:
        pm.set_dispatcher(CallbackAdapter(), ADAPTER_NAME)


def _event_impl(event):
    # Per-batch hot path: each variant inlines its loop (pluggy passes arguments by name,
    # so the variants differ only in the name of the index parameter).
    def note(callback, exc):
        exc.add_note(f"in callback {type(callback).__name__}.{event}")

    if "_batch_" in event:
        def impl(self, batch, logs):
            owner = active.get()
            if owner is not None:
                for callback, method in owner.dispatch_table[event]:
                    try:
                        method(batch, logs)
                    except Exception as exc:
                        note(callback, exc)
                        raise
    elif "epoch" in event:
        def impl(self, epoch, logs):
            owner = active.get()
            if owner is not None:
                for callback, method in owner.dispatch_table[event]:
                    try:
                        method(epoch, logs)
                    except Exception as exc:
                        note(callback, exc)
                        raise
    else:
        def impl(self, logs):
            owner = active.get()
            if owner is not None:
                for callback, method in owner.dispatch_table[event]:
                    try:
                        method(logs)
                    except Exception as exc:
                        note(callback, exc)
                        raise
    impl.__name__ = "kcore_" + event
    return hookimpl(tryfirst=True)(impl)


for _event in KERAS_EVENTS:
    setattr(CallbackAdapter, "kcore_" + _event, _event_impl(_event))
del _event


def targets_of(callbacks, event):
    """``[(callback, bound method)]`` of the callbacks that act on ``event``, in order.

    A callback with ``runs_last = True`` (a kcore extension, e.g. ``BackupAndRestore``)
    comes after all others, so it sees what they did at this event.
    """
    found = [(cb, getattr(cb, event)) for cb in callbacks if overrides(cb, event)]
    return sorted(found, key=lambda pair: bool(getattr(pair[0], "runs_last", False)))


def overrides(callback, event):
    """Whether ``callback`` does something on ``event`` (Callback's no-ops do not count)."""
    if event in getattr(callback, "__dict__", ()):
        return True
    if not isinstance(callback, Callback):
        return callable(getattr(callback, event, None))
    if getattr(type(callback), event) is not getattr(Callback, event):
        return True
    alias = KERAS_ALIASES.get(event)
    return alias is not None and overrides(callback, alias)
