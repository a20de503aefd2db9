"""Keras callbacks: the ``Callback`` base, ``History``, ``ProgbarLogger``, ``CallbackList``.

Every other callback (``EarlyStopping``, ``ModelCheckpoint``, ...) comes from a
plugin distribution through the ``kcore.callbacks`` entry-point group and is
imported only when first used: ``kcore.callbacks.EarlyStopping``,
``kcore.callbacks.get("EarlyStopping")`` and ``fit(callbacks=["EarlyStopping"])``
all resolve it. When nothing installed provides a name, the error says which
package to install.
"""

from kcore.callbacks.callback import Callback
from kcore.callbacks.callback_list import CallbackList
from kcore.callbacks.history import History
from kcore.callbacks.lookup import BUILTIN_CALLBACKS, get
from kcore.callbacks.monitor import BatchFrequency, MonitorCallback
from kcore.callbacks.progbar_logger import ProgbarLogger
from kcore.hooks import registry

__all__ = ["BatchFrequency", "Callback", "CallbackList", "History", "MonitorCallback", "ProgbarLogger",
           "get"]


def __getattr__(name):
    # Dunder and private probes (copy, pickle, pytest, inspect) must not scan entry points.
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = registry.resolve(registry.CALLBACKS_GROUP, name, builtin_names=BUILTIN_CALLBACKS)
    except ValueError as exc:
        raise AttributeError(str(exc)) from None
    globals()[name] = value
    return value


def __dir__():
    names = {info.name for info in registry.installed(registry.CALLBACKS_GROUP)}
    return sorted(set(globals()) | names)
