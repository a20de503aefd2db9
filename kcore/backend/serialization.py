"""Name lookup and Keras-style (de)serialization of objects: one place for every ``get()``.

Keras 3 configs name nested objects as
``{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {...},
"registered_name": None}``; built-in functions (activations, losses) as their plain name.
This module turns identifiers (``None``, a string, such a dict, a class, a callable) into
objects, with errors that list the known names and the closest match.
"""

import difflib
import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS = {}
_local = threading.local()
_SAFE_MODE = {"enabled": True}


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function as ``"<package>><name>"``.

    Registered objects are found by ``load_model`` and every ``get()`` without
    ``custom_objects``.
    """

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _GLOBAL_CUSTOM_OBJECTS and _GLOBAL_CUSTOM_OBJECTS[key] is not obj:
            raise ValueError(f"{key!r} is already registered to {_GLOBAL_CUSTOM_OBJECTS[key]!r}.")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        obj._kcore_registered_name = key
        return obj

    return decorator


def get_registered_name(obj):
    """The registered name of ``obj`` (``"package>Name"``), or its plain name."""
    return getattr(obj, "_kcore_registered_name", None) or getattr(obj, "__name__", type(obj).__name__)


def get_custom_objects():
    """The global dict of registered custom objects (mutable, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Context manager making extra names visible to deserialization.

    Example:
        >>> with kcore.saving.CustomObjectScope({"MyLayer": MyLayer}):
        ...     model = kcore.models.load_model("m.h5")
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for d in custom_objects:
            self.custom_objects.update(d or {})

    def __enter__(self):
        stack = getattr(_local, "scopes", None)
        if stack is None:
            stack = _local.scopes = []
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _local.scopes.pop()
        return False


custom_object_scope = CustomObjectScope


def _scoped_objects():
    merged = {}
    for d in getattr(_local, "scopes", None) or []:
        merged.update(d)
    return merged


def enable_unsafe_deserialization():
    """Allows loading Lambda layers whose code is stored as bytecode (trusted files only)."""
    _SAFE_MODE["enabled"] = False


def in_safe_mode():
    return _SAFE_MODE["enabled"]


class SafeModeScope:
    """Temporarily sets safe mode (``load_model(safe_mode=...)``)."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._saved = _SAFE_MODE["enabled"]
        if self.safe_mode is not None:
            _SAFE_MODE["enabled"] = bool(self.safe_mode)
        return self

    def __exit__(self, *exc):
        _SAFE_MODE["enabled"] = self._saved
        return False


def _find(name, module_objects, custom_objects):
    for source in (custom_objects or {}, _scoped_objects(), _GLOBAL_CUSTOM_OBJECTS):
        if name in source:
            return source[name]
    if name in module_objects:
        return module_objects[name]
    # "package>Name" registered elsewhere, looked up by bare name or vice versa.
    bare = name.split(">")[-1]
    for source in (custom_objects or {}, _scoped_objects(), _GLOBAL_CUSTOM_OBJECTS):
        for key, obj in source.items():
            if key.split(">")[-1] == bare:
                return obj
    return module_objects.get(bare)


def unknown_name_error(kind, name, known, hint=""):
    """A ``ValueError`` listing the known names and the closest match."""
    known = sorted(set(known))
    close = difflib.get_close_matches(str(name), known, n=1)
    msg = f"Unknown {kind}: {name!r}."
    if close:
        msg += f" Did you mean {close[0]!r}?"
    if hint:
        msg += " " + hint
    msg += f" Known {kind}s: {', '.join(known)}."
    msg += (" For a custom object, pass it in `custom_objects={...}` or decorate it with "
            "@kcore.saving.register_keras_serializable().")
    return ValueError(msg)


def serialize_keras_object(obj):
    """Serializes ``obj`` in Keras 3's config format (see module docstring)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return get_registered_name(obj)
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = getattr(cls, "_kcore_registered_name", None)
        return {
            "module": getattr(cls, "_keras_module", cls.__module__),
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": registered,
        }
    if inspect.isclass(obj):
        return get_registered_name(obj)
    raise TypeError(f"Cannot serialize {obj!r}: it has no get_config().")


def deserialize_keras_object(config, module_objects=None, custom_objects=None,
                             printable_module_name="object", **kwargs):
    """Rebuilds an object from a name or a Keras config dict (Keras 3 or tf.keras 2 form)."""
    module_objects = module_objects or {}
    if config is None:
        return None
    if isinstance(config, str):
        obj = _find(config, module_objects, custom_objects)
        if obj is None:
            raise unknown_name_error(printable_module_name, config, module_objects)
        if inspect.isclass(obj):
            return obj()
        return obj
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(
                f"Cannot deserialize {printable_module_name} from {config!r}: expected a dict with "
                "'class_name' and 'config' keys."
            )
        name = config.get("registered_name") or config["class_name"]
        cls = _find(name, module_objects, custom_objects) or _find(
            config["class_name"], module_objects, custom_objects)
        if cls is None:
            raise unknown_name_error(printable_module_name, config["class_name"], module_objects)
        inner = config.get("config") or {}
        if inspect.isclass(cls):
            if hasattr(cls, "from_config"):
                if custom_objects and _accepts(cls.from_config, "custom_objects"):
                    return cls.from_config(inner, custom_objects=custom_objects)
                return cls.from_config(inner)
            return cls(**inner)
        return cls
    if callable(config):
        return config
    raise ValueError(f"Could not interpret {printable_module_name} identifier: {config!r}.")


def _accepts(fn, arg):
    try:
        return arg in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def module_objects_from(namespace, base=None):
    """Builds a name → object table from a module namespace (classes and snake_case names)."""
    table = {}
    for name, obj in namespace.items():
        if name.startswith("_"):
            continue
        if inspect.isclass(obj) and (base is None or issubclass(obj, base)):
            table[name] = obj
        elif inspect.isfunction(obj) and base is None:
            table[name] = obj
    return table


def get_object(identifier, deserialize, kind, expected):
    """The shared ``get()``: ``None``, a name or config dict, a class, or a callable.

    Args:
        identifier: what the user passed.
        deserialize: the module's ``deserialize(config)``.
        kind: e.g. ``"regularizer"`` (for the error message).
        expected: what would have been accepted, e.g. ``"a name such as 'l2', ..."``.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected {expected}.")
