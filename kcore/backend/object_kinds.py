"""What a config may name at each place: kinds of objects and kcore's built-ins per module.

Each place a config is read expects one kind of object (``ObjectKind``): a layer config
may only name a ``Layer`` subclass, an initializer config an ``Initializer`` subclass or a
function, and so on. Modules register their kind and their built-ins (under the Keras
module path configs use, e.g. ``"keras.initializers"``) where the objects are defined;
``check_kind`` refuses anything else before it is called.
"""

import difflib
import inspect
import threading
import types

_LOCK = threading.Lock()


class ObjectKind:
    """What one place in a config may name: subclasses of ``bases``, and functions if allowed."""

    def __init__(self, name, bases=(), functions=False):
        self.name = name
        self.bases = tuple(bases)
        self.functions = functions

    def describe(self):
        parts = [f"a subclass of {', '.join(_qualname(b) for b in self.bases)}"] if self.bases else []
        if self.functions:
            parts.append("a function")
        return " or ".join(parts) or "nothing"

    def accepts_class(self, cls):
        return any(issubclass(cls, b) for b in self.bases)

    def accepts_instance(self, obj):
        return any(isinstance(obj, b) for b in self.bases) or (self.functions and is_function(obj))


_KINDS = {}
_MODULE_OBJECTS = {}  # "keras.layers" -> {"Dense": Dense, ...}
_PUBLIC_NAMES = {}  # built-in class/function -> ("keras.layers", "Dense")
_MODULE_KINDS = {}  # "keras.layers" -> "layer"
_RESOLVERS = {}  # "keras.metrics" -> name -> object (plugin-provided built-ins)


def kind(name):
    """The ``ObjectKind`` called ``name`` (created empty on first use)."""
    with _LOCK:
        if name not in _KINDS:
            _KINDS[name] = ObjectKind(name)
        return _KINDS[name]


def register_kind(name, bases=(), functions=None):
    """Declares (or widens) what a ``name`` config may resolve to."""
    k = kind(name)
    with _LOCK:
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
    with _LOCK:
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


def find_builtin_function(name):
    """A built-in function named ``name`` (Keras's ``module: "builtins"`` function configs)."""
    for module in ("keras.activations", "keras.losses", "keras.metrics", "keras.initializers",
                   "keras.regularizers", "keras.constraints"):
        obj = _MODULE_OBJECTS.get(module, {}).get(name)
        if is_function(obj):
            return obj
    return None


def is_function(obj):
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))


def _qualname(cls):
    module = getattr(cls, "_keras_module", None) or cls.__module__
    return f"{module.replace('keras.', 'kcore.', 1) if module.startswith('keras') else module}." \
           f"{cls.__name__}"


def _describe(obj):
    if inspect.isclass(obj):
        return f"class {obj.__module__}.{obj.__qualname__}"
    if is_function(obj):
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
        ok = expected is None or expected.accepts_instance(obj)
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
        "the config.")


def unknown_name_error(kind, name, known, hint=""):
    """A ``ValueError`` listing the known names and the closest match."""
    known = sorted(set(k for k in known if isinstance(k, str)))
    close = difflib.get_close_matches(str(name), known, n=1)
    msg = f"Unknown {kind}: {name!r}."
    if close:
        msg += f" Did you mean {close[0]!r}?"
    if hint:
        msg += " " + hint
    if known:
        msg += f" Known {kind}s: {', '.join(known)}."
    msg += (" For a custom object, pass it in `custom_objects={...}` or decorate it with "
            "@kcore.saving.register_keras_serializable().")
    return ValueError(msg)
