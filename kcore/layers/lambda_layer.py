"""``Lambda``: wraps an arbitrary function of tensors as a layer.

Configs store a named function by name (Keras 3's ``{"class_name": "function", ...}``) and
a Python ``lambda`` as its marshalled bytecode (``{"class_name": "__lambda__", "config":
{"code", "defaults", "closure"}}``). Loading bytecode runs code from the file, so
``from_config`` refuses it unless safe mode is off: ``load_model(..., safe_mode=False)``,
``SafeModeScope(False)`` or ``kcore.config.enable_unsafe_deserialization()``.
"""

import inspect
import types

from kcore import activations, ops
from kcore.backend import serialization
from kcore.backend.bytecode import func_dump, func_load  # noqa: F401 -- kept importable here
from kcore.layers.layer import Layer

_UNSAFE_MESSAGE = (
    "Requested the deserialization of a Lambda layer whose {what} is a Python lambda stored "
    "as bytecode. Loading it would execute arbitrary code from the file, so it is disallowed "
    "by default. If you trust the source of the file, pass `safe_mode=False` to the loading "
    "function (`kcore.models.load_model(..., safe_mode=False)`) or call "
    "`kcore.config.enable_unsafe_deserialization()`."
)


def _is_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _serialize_fn(fn):
    if _is_lambda(fn):
        code, defaults, closure = func_dump(fn)
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure}}
    if callable(fn):
        name = serialization.get_registered_name(fn)
        return {"module": getattr(fn, "__module__", None), "class_name": "function",
                "config": getattr(fn, "__name__", name), "registered_name": name}
    raise ValueError(f"Lambda cannot serialize {fn!r}: expected a callable.")


def _load_lambda(config, safe_mode, what):
    if safe_mode:
        raise ValueError(_UNSAFE_MESSAGE.format(what=what))
    return func_load(config["code"], config.get("defaults"), config.get("closure"))


def _lookup_function(name, module, custom_objects):
    if not isinstance(name, str) or name.startswith("_"):
        raise ValueError(f"Lambda layer: {name!r} is not a function name kcore will resolve.")
    found = serialization._find(name, {}, custom_objects)
    # Keras's and kcore's own functions (ops, activations) are found by name.
    builtin = module is None or module.split(".")[0] in ("keras", "kcore", "builtins")
    if found is None and builtin:
        in_ops, in_activations = getattr(ops, name, None), activations.ALL_OBJECTS_DICT.get(name)
        # Same names exist in both (tanh, relu...): the recorded module decides.
        found = (in_ops or in_activations) if module and "ops" in module.split(".") \
            else (in_activations or in_ops)
    if found is None:
        raise ValueError(
            f"Lambda layer: unknown function {name!r} (module {module!r}). Pass it in "
            "`custom_objects={...}` or decorate it with @kcore.saving.register_keras_serializable()."
        )
    return found


def _deserialize_fn(value, custom_objects, safe_mode, what):
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        return _load_lambda(value["config"], safe_mode, what)
    if isinstance(value, dict) and value.get("class_name") == "function":
        registered = value.get("registered_name")  # Keras 3.7+ writes "function" here
        name = registered if registered not in (None, "function") else value["config"]
        return _lookup_function(name, value.get("module"), custom_objects)
    if isinstance(value, str):
        return _lookup_function(value, None, custom_objects)
    return value


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    Prefer a ``Layer`` subclass for anything with state or weights; a Lambda's config
    stores Python bytecode, which is tied to the Python version and refused by default
    when loading.

    Args:
        function: ``function(inputs, **arguments)``; it may also take ``mask`` and
            ``training`` keyword arguments.
        output_shape: the output shape (without batch axis) or a function of the input
            shape; inferred by running the function when ``None``.
        mask: a fixed output mask, or ``mask(inputs, previous_mask)`` computing it.
        arguments: extra keyword arguments passed to ``function``.

    Input shape: any. Output shape: as ``function`` returns.

    Example:
        >>> square = kcore.layers.Lambda(lambda x: x ** 2)
        >>> square(np.array([[3.0]])).numpy()
        array([[9.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda `function` must be callable, got {function!r}.")
        self.arguments = dict(arguments or {})
        self.function = function
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_training = "training" in params
        self._fn_expects_mask = "mask" in params
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, previous_mask=None):
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError  # the base class infers it by running the function
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0],) + tuple(self._output_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["function"] = _serialize_fn(self.function)
        if self._output_shape is not None:
            cfg["output_shape"] = (_serialize_fn(self._output_shape)
                                   if callable(self._output_shape) else list(self._output_shape))
        if self.mask is not None:
            cfg["mask"] = _serialize_fn(self.mask) if callable(self.mask) else self.mask
        cfg["arguments"] = serialization.serialize_keras_object(self.arguments)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuilds a Lambda; refuses stored bytecode unless safe mode is off.

        Also reads tf.keras 2 configs (``"function": [code, defaults, closure]`` with
        ``"function_type": "lambda"``).

        Raises:
            ValueError: for bytecode in safe mode, naming how to opt in.
        """
        config = dict(config)
        safe = serialization.in_safe_mode() if safe_mode is None else safe_mode
        safe = safe is not False
        for key in ("function", "output_shape", "mask"):
            kind = config.pop(f"{key}_type", None)
            config.pop(f"{key}_module", None)
            value = config.get(key)
            if kind == "lambda":
                value = _load_lambda({"code": value}, safe, key)
            elif kind == "function" and isinstance(value, str):
                value = _lookup_function(value, None, custom_objects)
            elif key == "output_shape" and kind == "raw" and value is not None:
                value = tuple(value)
            else:
                value = _deserialize_fn(value, custom_objects, safe, key)
            if key in config:
                config[key] = value
        config.pop("module", None)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)
