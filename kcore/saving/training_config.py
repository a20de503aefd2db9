"""``training_config``: the compile arguments stored in a legacy ``.h5`` model file.

Written in Keras 3's form::

    {"loss": ..., "loss_weights": ..., "metrics": ..., "weighted_metrics": ...,
     "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false,
     "optimizer_config": {"class_name": "Adam", "config": {...}}}

and read back from it or from tf.keras 2's form, whose metrics are nested per output
(``[[{"class_name": "MeanMetricWrapper", "config": {"name": "acc", "fn": ...}}], [null]]``)
and whose optimizer is ``"Custom>Adam"``.
"""

from kcore.backend.serialization import get_registered_name, serialize_keras_object


def serialize_nested(value):
    if isinstance(value, dict):
        return {k: serialize_nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialize_nested(v) for v in value]
    if callable(value) or hasattr(value, "get_config"):
        return serialize_keras_object(value)
    return value


def training_config(model):
    """The ``training_config`` of a compiled model, or ``None`` if it is not compiled."""
    compile_config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if not compile_config or model.optimizer is None:
        return None
    config = dict(compile_config)
    config.pop("optimizer", None)
    if config.get("jit_compile") == "auto":
        config["jit_compile"] = False  # kcore never JIT-compiles; Keras stores the resolved flag.
    config = serialize_nested(config)
    optimizer = model.optimizer
    config["optimizer_config"] = {"class_name": get_registered_name(type(optimizer)),
                                  "config": optimizer.get_config()}
    return config


def _is_object_config(value):
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _deserialize_nested(value, deserialize):
    """Object configs become objects; dicts keyed by output name and lists are walked."""
    if _is_object_config(value):
        return deserialize(value)
    if isinstance(value, dict):
        return {k: _deserialize_nested(v, deserialize) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_nested(v, deserialize) for v in value]
    return value


def _tf2_metric(item, output_name):
    """A tf.keras ``MeanMetricWrapper`` config as the name the user originally wrote."""
    from kcore import metrics

    config = item.get("config") or {}
    name = config.get("name", "")
    if output_name and name.startswith(output_name + "_"):
        name = name[len(output_name) + 1:]
    if name in ("accuracy", "acc"):
        return name  # compile picks binary/categorical/sparse accuracy from the shapes
    for candidate in (name, config.get("fn")):
        if isinstance(candidate, str):
            try:
                metrics.get(candidate)
                return candidate
            except ValueError:
                continue
    return metrics.deserialize(item)


def _metrics(config, output_names):
    from kcore import metrics

    def one(item, output_name):
        if item is None or isinstance(item, str):
            return item
        if isinstance(item, dict) and item.get("class_name") == "MeanMetricWrapper" and \
                "fn" in (item.get("config") or {}):
            return _tf2_metric(item, output_name)
        return _deserialize_nested(item, metrics.deserialize)

    if config is None:
        return None
    if isinstance(config, dict) and not _is_object_config(config):
        return {k: [one(m, k) for m in v] if isinstance(v, list) else one(v, k)
                for k, v in config.items()}
    if isinstance(config, list) and config and all(isinstance(m, list) for m in config):
        # tf.keras: one list per output.
        per_output = [[one(m, name) for m in ms if m is not None]
                      for ms, name in zip(config, output_names)]
        if len(per_output) == 1:
            return per_output[0]
        return {name: ms for name, ms in zip(output_names, per_output) if ms}
    if isinstance(config, list):
        return [one(m, None) for m in config]
    return one(config, None)


def compile_args(config, output_names, custom_objects=None):
    """``compile()`` keyword arguments from a stored ``training_config``."""
    from kcore import losses, optimizers

    optimizer = optimizers.deserialize(config["optimizer_config"], custom_objects=custom_objects)
    loss = _deserialize_nested(config.get("loss"), losses.deserialize)
    args = {"optimizer": optimizer, "loss": loss,
            "metrics": _metrics(config.get("metrics"), output_names),
            "weighted_metrics": _metrics(config.get("weighted_metrics"), output_names),
            "loss_weights": config.get("loss_weights")}
    for key in ("run_eagerly", "steps_per_execution", "jit_compile"):
        if key in config:
            args[key] = config[key]
    return args
