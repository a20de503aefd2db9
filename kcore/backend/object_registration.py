"""Custom objects by name, and safe mode: the per-thread state of deserialization.

Names a config may use, looked up by exact key only (a package-qualified name such as
``"evil>audit_log"`` never reaches ``"app>audit_log"`` nor a bare ``"audit_log"``):

1. ``custom_objects`` passed to the loading call, then the innermost
   ``custom_object_scope`` of this thread / async task (a context variable);
2. objects registered process-wide with ``register_keras_serializable``;
3. kcore's built-ins (``object_kinds``).

Safe mode (refusing ``Lambda`` bytecode) is a context variable too, so
``load_model(trusted, safe_mode=False)`` in one thread never lowers it in another;
``enable_unsafe_deserialization()`` is the one explicit process-wide opt-out.
"""

import contextvars
import inspect
import threading

_REGISTRY_LOCK = threading.Lock()
_GLOBAL_CUSTOM_OBJECTS = {}  # "package>name" -> class or function
_GLOBAL_CUSTOM_NAMES = {}  # class or function -> "package>name"

_custom_scopes = contextvars.ContextVar("kcore_custom_object_scopes", default=())
_safe_mode = contextvars.ContextVar("kcore_safe_mode", default=None)
_UNSAFE_PROCESS = {"enabled": False}


# -- registration -------------------------------------------------------------------------
def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"<package>><name>"``.

    Registered objects are found by ``load_model``, ``deserialize_keras_object`` and every
    ``get()`` without ``custom_objects``; configs record the registered name.

    Example:
        >>> @kcore.saving.register_keras_serializable(package="my_pkg")
        ... class Scale(kcore.layers.Layer):
        ...     pass
        >>> kcore.saving.get_registered_name(Scale)
        'my_pkg>Scale'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: `package` must be a str without '>', "
                         f"got {package!r}.")

    def decorator(obj):
        if not (inspect.isclass(obj) or callable(obj)):
            raise TypeError(f"register_keras_serializable expects a class or function, got {obj!r}.")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a registered class must implement "
                             "get_config() (and from_config() if its constructor needs more).")
        key = f"{package}>{name or obj.__name__}"
        with _REGISTRY_LOCK:
            if key in _GLOBAL_CUSTOM_OBJECTS and _GLOBAL_CUSTOM_OBJECTS[key] is not obj:
                raise ValueError(f"{key!r} is already registered to {_GLOBAL_CUSTOM_OBJECTS[key]!r}.")
            _GLOBAL_CUSTOM_OBJECTS[key] = obj
            _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is registered under (``"package>Name"``), else its ``__name__``.

    A subclass of a registered class is *not* registered by inheritance.
    """
    try:
        name = _GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # unhashable
        name = None
    return name or getattr(obj, "__name__", type(obj).__name__)


def is_registered(obj):
    try:
        return obj in _GLOBAL_CUSTOM_NAMES
    except TypeError:
        return False


def get_custom_objects():
    """The global dict of registered custom objects (mutable, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Context manager making extra names visible to deserialization in this thread/task.

    Example:
        >>> with kcore.saving.CustomObjectScope({"MyLayer": MyLayer}):
        ...     model = kcore.models.load_model("m.h5")
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for d in custom_objects:
            if d is not None and not isinstance(d, dict):
                raise TypeError(f"CustomObjectScope expects dicts of name -> object, got {d!r}.")
            self.custom_objects.update(d or {})

    def __enter__(self):
        _custom_scopes.set(_custom_scopes.get() + (self.custom_objects,))
        return self

    def __exit__(self, *exc):
        scopes = _custom_scopes.get()
        _custom_scopes.set(scopes[:-1])
        return False


custom_object_scope = CustomObjectScope


def scoped_objects():
    """Names made visible by the enclosing ``custom_object_scope``s (innermost wins)."""
    merged = {}
    for d in _custom_scopes.get():
        merged.update(d)
    return merged


def lookup_custom(name, custom_objects=None):
    """``custom_objects`` → scopes → registered; exact key only. ``(obj, source)`` or None."""
    if not isinstance(name, str):
        return None
    if custom_objects and name in custom_objects:
        return custom_objects[name], f"custom_objects[{name!r}]"
    scoped = scoped_objects()
    if name in scoped:
        return scoped[name], f"the custom_object_scope entry {name!r}"
    obj = _GLOBAL_CUSTOM_OBJECTS.get(name)
    if obj is not None:
        return obj, f"the object registered as {name!r}"
    return None


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object passed in ``custom_objects``, scoped or registered as ``name``, else ``None``."""
    found = lookup_custom(name, custom_objects)
    if found is not None:
        return found[0]
    return (module_objects or {}).get(name)


# -- safe mode ----------------------------------------------------------------------------
def enable_unsafe_deserialization():
    """Allows loading ``Lambda`` bytecode in every thread of this process (trusted files only).

    Prefer ``load_model(path, safe_mode=False)``, which lowers safe mode only for that call.
    """
    _UNSAFE_PROCESS["enabled"] = True


def in_safe_mode():
    """Whether code stored in configs is refused here (this thread / async task)."""
    if _UNSAFE_PROCESS["enabled"]:
        return False
    value = _safe_mode.get()
    return True if value is None else bool(value)


def safe_mode_setting():
    """The innermost ``SafeModeScope`` value (``None`` if none) — the process opt-out aside."""
    return False if _UNSAFE_PROCESS["enabled"] else _safe_mode.get()


class SafeModeScope:
    """Sets safe mode for this thread / async task only (``load_model(safe_mode=...)``).

    ``SafeModeScope(None)`` keeps the enclosing setting.
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode
        self._saved = []

    def __enter__(self):
        self._saved.append(_safe_mode.get())
        if self.safe_mode is not None:
            _safe_mode.set(bool(self.safe_mode))
        return self

    def __exit__(self, *exc):
        _safe_mode.set(self._saved.pop())
        return False


def unique_suffix_match(name, custom_objects=None):
    """``(obj, source)`` for the one custom/registered key ``"<pkg>><name>"``, else None.

    Keras <= 3.6 wrote registered functions by bare name; only an unambiguous match counts.
    """
    keys = {}
    for source in (_GLOBAL_CUSTOM_OBJECTS, scoped_objects(), custom_objects or {}):
        keys.update({k: v for k, v in dict(source).items() if k.endswith(">" + name)})
    if len(keys) != 1:
        return None
    key, obj = next(iter(keys.items()))
    return obj, f"the object registered as {key!r}"
