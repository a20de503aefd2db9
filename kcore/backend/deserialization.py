"""``deserialize_keras_object``: configs back to objects, calling only what may be called.

- a name resolves by exact key only (``object_registration``), never through a module
  named in the file (nothing is imported: ``"os.system"`` is just an unknown name);
- what a name resolves to must be of the kind expected there (``object_kinds``): a
  function is never constructed with arguments from the file;
- code stored in a config (``__lambda__`` bytecode) is refused in safe mode.
"""

import inspect

import numpy as np

from kcore.backend import object_kinds as kinds
from kcore.backend import object_registration as reg
from kcore.backend.bytecode import func_load
from kcore.backend.object_kinds import check_kind, unknown_name_error
from kcore.backend.object_registration import CustomObjectScope, SafeModeScope, in_safe_mode

PLAIN_TYPES = (str, int, float, bool)

LAMBDA_REFUSED = (
    "Requested the deserialization of a Python lambda stored as bytecode in the config. "
    "Loading it would execute arbitrary code from the file, so it is disallowed by default "
    "(safe mode). If you trust the source of the file, pass `safe_mode=False` to the loading "
    "function (e.g. `kcore.models.load_model(path, safe_mode=False)`) or call "
    "`kcore.config.enable_unsafe_deserialization()`."
)


class _Context:
    def __init__(self, module_objects, custom_objects, printable, kind, hint=""):
        self.hint = hint
        self.module_objects = module_objects
        self.custom_objects = custom_objects or {}
        self.printable = printable if printable != "object" or kind is None else kind.name
        self.kind = kind
        # A module's own deserialize() (module_objects/kind given) only accepts object names.
        self.strict = module_objects is not None or kind is not None

    def generic(self):
        return _Context(None, self.custom_objects, "object", None)


def deserialize_keras_object(config, custom_objects=None, safe_mode=None, module_objects=None,
                             printable_module_name="object", kind=None, **kwargs):
    """Rebuilds an object from its Keras config (Keras 3 or tf.keras 2 form) or name.

    The first three arguments are Keras's, in Keras's order.

    Args:
        config: ``None``, a name, a config dict, or a (nested) list/dict of those.
        custom_objects: extra ``name -> class/function`` for this call.
        safe_mode: refuse code stored in the config; ``None`` keeps the enclosing setting
            (default: safe). Ignored after ``enable_unsafe_deserialization()``.
        module_objects: built-in names of the calling module (e.g. ``ALL_OBJECTS_DICT``).
        printable_module_name: what ``config`` is, for messages (``"initializer"``).
        kind: the ``ObjectKind`` (or its name, e.g. ``"layer"``) ``config`` must resolve to.

    Raises:
        ValueError: an unknown name (listing the known ones), or bytecode in safe mode.
        TypeError: a name that resolves to the wrong kind of object (nothing is called).

    Example:
        >>> cfg = kcore.saving.serialize_keras_object(kcore.initializers.GlorotNormal(seed=1))
        >>> kcore.saving.deserialize_keras_object(cfg)
        <kcore.initializers.GlorotNormal object at ...>
    """
    expected = kinds.kind(kind) if isinstance(kind, str) else kind
    setting = reg.safe_mode_setting()
    safe = setting if setting is not None else (safe_mode is not False)
    ctx = _Context(module_objects, custom_objects, printable_module_name, expected)
    with SafeModeScope(safe):
        return _deserialize(config, ctx)


def _deserialize(config, ctx):
    if config is None:
        return None
    if isinstance(config, str):
        return _from_name(config, ctx)
    if isinstance(config, PLAIN_TYPES):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(x, ctx) for x in config]
    if isinstance(config, dict):
        if "class_name" not in config:
            if ctx.strict:
                raise ValueError(
                    f"Cannot deserialize {ctx.printable} from {str(config)[:200]}: expected "
                    "a name or a dict with 'class_name' and 'config' keys.")
            return {k: _deserialize(v, ctx.generic()) for k, v in config.items()}
        if "config" not in config and not ctx.strict:
            return {k: _deserialize(v, ctx.generic()) for k, v in config.items()}
        return _from_dict(config, ctx)
    if callable(config):
        return config  # already an object (e.g. a function passed by the caller)
    raise ValueError(f"Could not interpret {ctx.printable} identifier: {config!r}.")


def _from_name(name, ctx):
    found = reg.lookup_custom(name, ctx.custom_objects)
    if found is None and ctx.module_objects and name in ctx.module_objects:
        found = ctx.module_objects[name], f"the built-in {ctx.printable} {name!r}"
    if found is None:
        if ctx.strict:
            raise unknown_name_error(ctx.printable, name, ctx.module_objects or {})
        return name  # a plain string value
    obj = check_kind(found[0], ctx.kind, name, found[1], as_class=False)
    if inspect.isclass(obj) and ctx.strict:
        return obj()  # a module's class name ("GlorotUniform"): its default instance
    return obj


def _from_dict(config, ctx):
    class_name = config["class_name"]
    inner = config.get("config")
    if class_name in _SPECIAL:
        return _SPECIAL[class_name](inner if inner is not None else {}, ctx)
    if class_name == "function":
        return _function(config, ctx)
    if not isinstance(class_name, str):
        raise TypeError(f"Cannot deserialize {ctx.printable}: 'class_name' must be a str, "
                        f"got {class_name!r}.")
    inner = {} if inner is None else inner
    if not isinstance(inner, dict):
        raise TypeError(f"Cannot deserialize {ctx.printable} {class_name!r}: its 'config' must "
                        f"be a dict, got {type(inner).__name__}.")
    cls, source, name = _resolve_class(config, ctx)
    expected = ctx.kind or kinds.module_kind(_module_of(config))
    check_kind(cls, expected, name, source, as_class=True)
    with CustomObjectScope(ctx.custom_objects):
        instance = _call_from_config(cls, inner, ctx.custom_objects)
        build = config.get("build_config")
        if build and not getattr(instance, "built", True) and hasattr(instance, "build_from_config"):
            instance.build_from_config(build)
        compiled = config.get("compile_config")
        if compiled and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compiled)
    return instance


def _module_of(config):
    module = config.get("module")
    if isinstance(module, str) and module.startswith("kcore"):
        module = "keras" + module[len("kcore"):]
    return module if isinstance(module, str) else None


def _resolve_class(config, ctx):
    """``(class, where it was found, the name used)``: registered name first, exactly."""
    class_name, registered = config["class_name"], config.get("registered_name")
    if isinstance(registered, str) and registered not in (class_name, "function"):
        found = reg.lookup_custom(registered, ctx.custom_objects)
        if found is None:
            raise ValueError(
                f"Unknown {ctx.printable}: the config names {class_name!r} registered as "
                f"{registered!r}, and nothing is registered under exactly that name (no "
                "fallback to other packages or bare names). Fix: decorate the class with "
                f"@kcore.saving.register_keras_serializable(package={registered.split('>')[0]!r})"
                f" or pass custom_objects={{{registered!r}: {class_name}}}.")
        return found[0], found[1], registered
    found = reg.lookup_custom(class_name, ctx.custom_objects)
    if found is not None:
        return found[0], found[1], class_name
    table, module = _builtin_table(config, ctx)
    obj = table.get(class_name)
    if obj is None and module is not None:
        obj = kinds.resolve_builtin(module, class_name)
    if obj is not None:
        return obj, f"the built-in {ctx.printable} {class_name!r}", class_name
    where = f" (module {module!r})" if module else ""
    raise unknown_name_error(ctx.printable, f"{class_name}{where}" if where else class_name,
                             table, hint=ctx.hint or "kcore never imports modules named in a "
                                                     "config.")


def resolve_class(config, custom_objects=None, module_objects=None, kind=None,
                  printable_module_name="object", hint=""):
    """The class a ``{"class_name", "config"}`` dict names, checked to be of ``kind``.

    Nothing is called: the caller constructs it (e.g. with ``from_config``).

    Raises:
        ValueError: an unknown name. TypeError: a name bound to the wrong kind of object.
    """
    expected = kinds.kind(kind) if isinstance(kind, str) else kind
    ctx = _Context(module_objects, custom_objects, printable_module_name, expected, hint)
    cls, source, name = _resolve_class(config, ctx)
    return check_kind(cls, expected or kinds.module_kind(_module_of(config)), name, source,
                      as_class=True)


def _builtin_table(config, ctx):
    if ctx.module_objects is not None:
        return ctx.module_objects, None
    module = _module_of(config)
    if module is not None:
        return kinds.module_table(module) or {}, module
    if ctx.kind is not None:
        return kinds.kind_builtins(ctx.kind.name), None
    return {}, None


def _call_from_config(cls, inner, custom_objects):
    try:
        takes_custom = "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        takes_custom = False
    if takes_custom and custom_objects:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def _function(config, ctx):
    name = config.get("config")
    if not isinstance(name, str):
        raise TypeError(f"Cannot deserialize {ctx.printable}: a function config needs its "
                        f"name as 'config', got {name!r}.")
    found = reg.lookup_custom(name, ctx.custom_objects)
    if found is None:
        obj = (ctx.module_objects or {}).get(name)
        module = _module_of(config)
        if obj is None and module and module != "builtins":
            obj = (kinds.module_table(module) or {}).get(name)
        if obj is None:
            obj = kinds.find_builtin_function(name)
        if obj is not None:
            found = obj, f"the built-in function {name!r}"
    if found is None and ">" not in name:
        found = reg.unique_suffix_match(name, ctx.custom_objects)  # Keras <= 3.6 files
    if found is None:
        raise unknown_name_error(f"{ctx.printable} function", name, ctx.module_objects or {})
    obj = found[0]
    if inspect.isclass(obj):
        raise TypeError(f"Refusing to deserialize function {name!r}: {found[1]} is a class "
                        f"({obj.__qualname__}), not a function. Fix the config or custom_objects.")
    return check_kind(obj, ctx.kind, name, found[1], as_class=False)


def _lambda(inner, ctx):
    if in_safe_mode():
        raise ValueError(LAMBDA_REFUSED)
    if "value" in inner:
        return func_load(inner["value"])
    return func_load(inner["code"], inner.get("defaults"), inner.get("closure"))


def _slice(inner, ctx):
    g = ctx.generic()
    return slice(_deserialize(inner.get("start"), g), _deserialize(inner.get("stop"), g),
                 _deserialize(inner.get("step"), g))


_SPECIAL = {
    "__lambda__": _lambda,
    "__numpy__": lambda c, ctx: np.array(c["value"], dtype=c["dtype"]),
    "__tensor__": lambda c, ctx: np.array(c["value"], dtype=c["dtype"]),
    "__bytes__": lambda c, ctx: c["value"].encode("utf-8"),
    "__ellipsis__": lambda c, ctx: Ellipsis,
    "__slice__": _slice,
    "__tuple__": lambda c, ctx: tuple(_deserialize(v, ctx.generic()) for v in c["value"]),
}
