"""Turning callback names and configs into ``Callback`` instances."""

from kcore.callbacks.callback import Callback
from kcore.callbacks.history import History
from kcore.callbacks.progbar_logger import ProgbarLogger
from kcore.hooks import registry

#: Callbacks kcore itself provides; every other name comes from a plugin.
BUILTIN_CALLBACKS = {"Callback": Callback, "History": History, "ProgbarLogger": ProgbarLogger}


def callback_class(name):
    """The ``Callback`` subclass called ``name``: built in, or from the ``kcore.callbacks`` group.

    Raises:
        ValueError: no installed plugin provides ``name``; the message says
            which kcore plugin distribution to install, or the closest name.
    """
    if name in BUILTIN_CALLBACKS:
        return BUILTIN_CALLBACKS[name]
    return registry.resolve(registry.CALLBACKS_GROUP, name, builtin_names=BUILTIN_CALLBACKS)


def get(identifier):
    """Return a callback instance for a name, a config dict or an instance.

    Args:
        identifier: a ``Callback`` instance (returned as is), a class name such
            as ``"EarlyStopping"`` (instantiated with no arguments), or a dict
            ``{"class_name": "EarlyStopping", "config": {"patience": 2}}``.

    Returns:
        A ``Callback`` instance.

    Raises:
        ValueError: unknown name (see ``callback_class``) or malformed dict.
        TypeError: an unsupported identifier, e.g. a class instead of an instance.

    Example:
        >>> kcore.callbacks.get({"class_name": "EarlyStopping", "config": {"patience": 2}})
    """
    if isinstance(identifier, type):
        raise TypeError(
            f"Expected a callback instance, name or config dict, got the class "
            f"{identifier.__qualname__}; pass an instance: {identifier.__qualname__}().")
    if isinstance(identifier, str):
        cls = callback_class(identifier)
        try:
            return cls()
        except TypeError as exc:
            exc.add_note(
                f"{identifier!r} needs arguments; pass an instance or "
                f"{{'class_name': {identifier!r}, 'config': {{...}}}}.")
            raise
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(
                f"A callback config dict needs a 'class_name' key (and optionally 'config'), "
                f"got keys {sorted(identifier)}.")
        cls = callback_class(identifier["class_name"])
        config = identifier.get("config") or {}
        from_config = getattr(cls, "from_config", None)
        return from_config(config) if from_config is not None else cls(**config)
    if identifier is None or not hasattr(identifier, "on_epoch_end"):
        raise TypeError(
            f"Expected a Callback instance, a callback name or a config dict, got {identifier!r}.")
    return identifier
