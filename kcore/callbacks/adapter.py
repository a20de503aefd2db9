"""The adapter plugin through which a ``CallbackList`` calls its Keras callbacks.

pluggy calls implementations last-registered-first and matches arguments by
name, neither of which suits Keras callbacks. So the callbacks of one list are
not registered one by one: a single adapter, registered for the list's
session, calls them in list order with positional arguments.
"""

import contextvars

from kcore.callbacks.callback import Callback
from kcore.hooks.hookspecs import KERAS_EVENTS, hookimpl

# The list whose event is being dispatched. Every registered adapter sees every
# hook call, so an adapter only acts for calls made by its own list (a
# callback that runs model.evaluate() must not feed its events to fit's list).
active = contextvars.ContextVar("kcore_active_callback_list", default=None)

_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class _CallbackAdapter:
    """The pluggy plugin through which one ``CallbackList`` calls its callbacks.

    It carries a ``kcore_on_*`` implementation only for the events that at
    least one callback overrides; they are instance attributes set by
    ``make_adapter``.
    """

    def __init__(self, owner):
        self.owner = owner

    def __repr__(self):
        names = ", ".join(type(cb).__name__ for cb in self.owner.callbacks)
        return f"<Keras callbacks [{names}]>"


def make_adapter(owner):
    """Build the adapter plugin for ``owner`` (a ``CallbackList``), to register per session.

    Which callbacks override which event is decided here, once: an event no
    callback overrides gets no implementation, so its hook stays gated off.
    """
    adapter = _CallbackAdapter(owner)
    for event in KERAS_EVENTS:
        targets = [(cb, getattr(cb, event)) for cb in owner.callbacks if _overrides(cb, event)]
        if targets:
            setattr(adapter, "kcore_" + event, _adapter_impl(owner, event, targets))
    return adapter


def _adapter_impl(owner, event, targets):
    # Per-batch hot path: each variant inlines its loop (pluggy passes arguments by name,
    # so the variants differ only in the name of the index parameter).
    def note(callback, exc):
        exc.add_note(f"in callback {type(callback).__name__}.{event}")

    if "_batch_" in event:
        def impl(batch, logs):
            if active.get() is owner:
                for callback, method in targets:
                    try:
                        method(batch, logs)
                    except Exception as exc:
                        note(callback, exc)
                        raise
    elif "epoch" in event:
        def impl(epoch, logs):
            if active.get() is owner:
                for callback, method in targets:
                    try:
                        method(epoch, logs)
                    except Exception as exc:
                        note(callback, exc)
                        raise
    else:
        def impl(logs):
            if active.get() is owner:
                for callback, method in targets:
                    try:
                        method(logs)
                    except Exception as exc:
                        note(callback, exc)
                        raise
    impl.__name__ = "kcore_" + event
    return hookimpl(tryfirst=True)(impl)


def call_directly(callbacks, event, index_args, logs):
    """Call ``event`` on each callback in order, without pluggy (outside a session)."""
    args = index_args + (logs,)
    for callback in callbacks:
        if not _overrides(callback, event):
            continue
        try:
            getattr(callback, event)(*args)
        except Exception as exc:
            exc.add_note(f"in callback {type(callback).__name__}.{event}")
            raise


def _overrides(callback, event):
    """Whether ``callback`` does something on ``event`` (Callback's no-ops do not count)."""
    if event in getattr(callback, "__dict__", ()):
        return True
    if not isinstance(callback, Callback):
        return callable(getattr(callback, event, None))
    if getattr(type(callback), event) is not getattr(Callback, event):
        return True
    alias = _ALIASES.get(event)
    return alias is not None and _overrides(callback, alias)
