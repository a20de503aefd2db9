"""Which names a config may use, and what each may resolve to.

Three sources of names, looked up by exact key only (a package-qualified name such as
``"evil>audit_log"`` never reaches ``"app>audit_log"`` nor a bare ``"audit_log"``):

1. ``custom_objects`` passed to the loading call, then the innermost
   ``custom_object_scope`` of this thread / async task (a context variable);
2. objects registered process-wide with ``register_keras_serializable``;
3. kcore's built-ins, registered per Keras module (``"keras.layers"``, ...) by the module
   that defines them (``register_builtins``).

Each place a config is read expects one *kind* of object (``ObjectKind``): a layer config
may only name a ``Layer`` subclass, an initializer config an ``Initializer`` subclass or a
function, and so on. ``check_kind`` refuses anything else before it is called.

Safe mode (refusing ``Lambda`` bytecode) is a context variable too, so
``load_model(trusted, safe_mode=False)`` in one thread never lowers it in another;
``enable_unsafe_deserialization()`` is the one explicit process-wide opt-out.
"""

import contextvars
import inspect
import threading
import types

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


# -- kinds and built-ins ------------------------------------------------------------------
class ObjectKind:
    """What one place in a config may name: subclasses of ``bases``, and functions if allowed."""

    def __init__(self, name, bases=(), functions=False, fix=""):
        self.name = name
        self.bases = tuple(bases)
        self.functions = functions
        self.fix = fix

    def describe(self):
        parts = [f"a subclass of {', '.join(_qualname(b) for b in self.bases)}"] if self.bases else []
        if self.functions:
            parts.append("a function")
        return " or ".join(parts) or "nothing"

    def accepts_class(self, cls):
        return any(issubclass(cls, b) for b in self.bases)

    def accepts_instance(self, obj):
        return any(isinstance(obj, b) for b in self.bases) or (self.functions and _is_function(obj))


_KINDS = {}
_MODULE_OBJECTS = {}  # "keras.layers" -> {"Dense": Dense, ...}
_PUBLIC_NAMES = {}  # built-in class/function -> ("keras.layers", "Dense")
_MODULE_KINDS = {}  # "keras.layers" -> "layer"
_RESOLVERS = {}  # "keras.metrics" -> name -> object (plugin-provided built-ins)


def kind(name):
    """The ``ObjectKind`` called ``name`` (created empty on first use)."""
    with _REGISTRY_LOCK:
        if name not in _KINDS:
            _KINDS[name] = ObjectKind(name)
        return _KINDS[name]


def register_kind(name, bases=(), functions=None):
    """Declares (or widens) what a ``name`` config may resolve to."""
    k = kind(name)
    with _REGISTRY_LOCK:
        k.bases = k.bases + tuple(b for b in bases if b not in k.bases)
        if functions is not None:
            k.functions = k.functions or functions
    return k


def register_builtins(module, objects, kind=None, resolver=None):
    """Records kcore's built-ins for Keras module ``module`` (e.g. ``"keras.initializers"``).

    ``kind`` (a kind name) is what a config naming this module must resolve to;
    ``resolver(name)`` finds names the table lacks (plugin-provided metrics).

    The first name under which a class or function appears with its own ``__name__`` is its
    public name in configs; other keys are aliases that are read but never written.
    """
    with _REGISTRY_LOCK:
        table = _MODULE_OBJECTS.setdefault(module, {})
        table.update(objects)
        if kind is not None:
            _MODULE_KINDS[module] = kind
        if resolver is not None:
            _RESOLVERS[module] = resolver
        for key, obj in objects.items():
            if getattr(obj, "__name__", None) == key and obj not in _PUBLIC_NAMES:
                _PUBLIC_NAMES[obj] = (module, key)


def public_name(obj):
    """``(keras module, name)`` of a kcore built-in, or ``None``."""
    try:
        return _PUBLIC_NAMES.get(obj)
    except TypeError:
        return None


def module_table(module):
    return _MODULE_OBJECTS.get(module)


def resolve_builtin(module, name):
    """``module``'s built-in ``name`` (its resolver asked last), or ``None``."""
    obj = _MODULE_OBJECTS.get(module, {}).get(name)
    if obj is None and module in _RESOLVERS:
        try:
            obj = _RESOLVERS[module](name)
        except (ValueError, LookupError):
            obj = None
    return obj


def module_kind(module):
    """The ``ObjectKind`` a config naming Keras module ``module`` must resolve to, or None."""
    name = _MODULE_KINDS.get(module)
    return None if name is None else kind(name)


def kind_builtins(kind_name):
    """Every built-in registered for a module of kind ``kind_name`` (legacy configs)."""
    table = {}
    for module, name in list(_MODULE_KINDS.items()):
        if name == kind_name:
            table.update(_MODULE_OBJECTS.get(module, {}))
    return table


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


def find_builtin_function(name):
    """A built-in function named ``name`` (Keras's ``module: "builtins"`` function configs)."""
    for module in ("keras.activations", "keras.losses", "keras.metrics", "keras.initializers",
                   "keras.regularizers", "keras.constraints"):
        obj = _MODULE_OBJECTS.get(module, {}).get(name)
        if _is_function(obj):
            return obj
    return None


def _is_function(obj):
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))


def _qualname(cls):
    module = getattr(cls, "_keras_module", None) or cls.__module__
    return f"{module.replace('keras.', 'kcore.', 1) if module.startswith('keras') else module}." \
           f"{cls.__name__}"


def _describe(obj):
    if inspect.isclass(obj):
        return f"class {obj.__module__}.{obj.__qualname__}"
    if _is_function(obj):
        return f"function {getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"
    return f"{type(obj).__name__} instance {obj!r:.80}"


def check_kind(obj, expected, name, source, as_class):
    """Returns ``obj`` if it may stand where a ``expected`` config is read, else raises.

    Args:
        obj: what ``name`` resolved to.
        expected: an ``ObjectKind`` or ``None`` (any class with ``from_config``).
        name: the name the config used.
        source: where ``obj`` was found (for the message).
        as_class: the config describes a class instance (``class_name`` + ``config``), so
            ``obj`` is about to be constructed from the file's arguments.

    Raises:
        TypeError: naming what was expected, what was found and how to fix it.
    """
    if as_class:
        ok = inspect.isclass(obj) and hasattr(obj, "from_config") and (
            expected is None or expected.accepts_class(obj))
    elif inspect.isclass(obj):
        ok = expected is None or expected.accepts_class(obj)
    else:
        ok = expected is None or expected.accepts_instance(obj) or (
            expected.functions and _is_function(obj))
    if ok:
        return obj
    what = expected.name if expected is not None else "object"
    want = expected.describe() if expected is not None else "a class with from_config()"
    if as_class:
        want += " (the config holds constructor arguments)"
    raise TypeError(
        f"Refusing to deserialize {what} {name!r}: expected {want}, but {source} is "
        f"{_describe(obj)}. Nothing was called. Fix: map {name!r} to the right {what} "
        "class in `custom_objects` / @kcore.saving.register_keras_serializable(), or correct "
        "the config." + (f" {expected.fix}" if expected is not None and expected.fix else "")
    )
