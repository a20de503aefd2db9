"""``save_model``/``load_model``/``save_weights``/``load_weights``: dispatch by file type.

- ``.keras``: Keras 3's zip format (``keras_zip``), the default for new code; Keras 3 reads
  kcore's files and kcore reads Keras 3's.
- ``.h5``/``.hdf5`` models: the legacy Keras HDF5 layout (``legacy_h5``), readable by
  Keras 3 and, for weights, by tf.keras; kcore also reads tf.keras 2 files.
- ``.weights.h5``: Keras 3's weights layout (``weights_h5``).

Every file is written to a temporary name and renamed (``atomic``). Loading never runs
code from the file: deserialization happens inside ``SafeModeScope(safe_mode)``, so a
``Lambda`` layer holding bytecode is refused unless ``safe_mode=False``.
"""

import json
import os
import warnings

from kcore.backend import random as krandom
from kcore.backend.serialization import CustomObjectScope, SafeModeScope, get_registered_name
from kcore.saving import h5io, keras_zip, legacy_h5, training_config, weights_h5
from kcore.saving.atomic import atomic_write, may_write


def _path(filepath):
    path = os.fspath(filepath)
    if not isinstance(path, str):
        raise TypeError(f"filepath must be a str or os.PathLike, got {type(filepath).__name__}.")
    return path


# -- model config -------------------------------------------------------------------------
def _legacy_layer_entries(config):
    """Layer entries as Keras's legacy writer stores them: ``class_name`` (the registered
    name for custom classes) and ``config`` (+ ``name``/``inbound_nodes`` in graphs)."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        return config
    out = dict(config)
    layers = []
    for entry in config["layers"]:
        if not (isinstance(entry, dict) and "class_name" in entry):
            layers.append(entry)
            continue
        new = {"class_name": entry.get("registered_name") or entry["class_name"],
               "config": _legacy_layer_entries(entry.get("config"))}
        for key in ("name", "inbound_nodes"):
            if key in entry:
                new[key] = entry[key]
        if str(entry.get("module", "")).startswith("keras.src.ops."):
            # An op node (Keras's legacy writer drops the module, and then neither Keras
            # nor kcore can tell op "Add" from layer "Add"): kept, so that kcore reads it.
            new["module"] = entry["module"]
        layers.append(new)
    out["layers"] = layers
    return out


def _unwrap_single(spec, struct):
    # A model built on one tensor (not a list of one) stores a bare [name, node, index].
    from kcore.layers.input_layer import KerasTensor

    if isinstance(struct, KerasTensor) and isinstance(spec, list) and len(spec) == 1 \
            and isinstance(spec[0], list):
        return spec[0]
    return spec


def model_config(model):
    """``{"class_name", "config"}`` of ``model`` as written into ``.h5`` files.

    Raises:
        NotImplementedError: a subclassed model without ``get_config()``.
    """
    from kcore.models.functional import Functional
    from kcore.models.sequential import Sequential

    try:
        config = model.get_config()
    except NotImplementedError as e:
        raise NotImplementedError(
            f"Cannot save model {model.name!r} to an .h5 file: the file must hold the "
            f"architecture, and {e} To keep just the weights, use "
            "model.save_weights('name.weights.h5')."
        ) from None
    config = _legacy_layer_entries(config)
    if isinstance(model, Functional):
        config["input_layers"] = _unwrap_single(config.get("input_layers"), model._inputs_struct)
        config["output_layers"] = _unwrap_single(config.get("output_layers"), model._outputs_struct)
    out = {"class_name": get_registered_name(type(model)), "config": config}
    if not isinstance(model, (Sequential, Functional)):
        # Keras stores no build information in .h5 files; without it a subclassed model
        # could not be rebuilt to receive its weights.
        build = model.get_build_config()
        if build:
            out["build_config"] = build
    return out


def _normalize_config(config):
    """tf.keras names a Functional model ``"Model"``; kcore's class for it is Functional."""
    if isinstance(config, dict):
        config = {k: _normalize_config(v) for k, v in config.items()}
        inner = config.get("config")
        if config.get("class_name") == "Model" and isinstance(inner, dict) \
                and "input_layers" in inner:
            config["class_name"] = "Functional"
        return config
    if isinstance(config, list):
        return [_normalize_config(v) for v in config]
    return config


def model_from_config(config, custom_objects=None, safe_mode=None, source="the config"):
    """Rebuilds a model from ``{"class_name", "config"}`` without running code from it.

    The global random stream is left as it was, so loading a model mid-run does not change
    the data shuffling or noise of the rest of the run.
    """
    from kcore.layers.layer import Layer
    from kcore.models.serialization import deserialize_layer

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{source}: expected a model config {{'class_name': ..., 'config': "
                         f"...}}, got {str(config)[:200]!r}.")
    state = krandom.get_state()
    try:
        with SafeModeScope(safe_mode), CustomObjectScope(custom_objects or {}):
            model = deserialize_layer(_normalize_config(config), custom_objects)
    except (ValueError, TypeError) as e:
        raise type(e)(f"Cannot rebuild the model from {source}: {e}") from e
    except (AttributeError, KeyError, IndexError) as e:
        # A config of the wrong structure (e.g. a number where a layer dict belongs).
        raise ValueError(f"Cannot rebuild the model from {source}: its model config has the "
                         f"wrong structure ({type(e).__name__}: {e}); the file is damaged or "
                         f"not a Keras model file.") from e
    finally:
        krandom.set_state(state)
    if not isinstance(model, Layer):
        raise ValueError(f"{source} does not describe a model (got {type(model).__name__}).")
    return model


def model_to_json(model, **kwargs):
    """``model.to_json()``: Keras 3's form, the same as a ``.keras`` file's ``config.json``
    (``module``, ``class_name``, ``config``, ``registered_name``, ``build_config``,
    ``compile_config``); ``kwargs`` go to ``json.dumps``."""
    return json.dumps(keras_zip.model_config(model), default=h5io.json_default, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model from ``model.to_json()`` output (Keras or kcore), with no weights.

    As in Keras, a model compiled when it was serialized comes back compiled (with a fresh
    optimizer).

    Example:
        >>> clone = kcore.models.model_from_json(model.to_json())
    """
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as e:
        raise ValueError(f"model_from_json: not valid JSON ({e}).") from None
    compile_config = config.pop("compile_config", None) if isinstance(config, dict) else None
    model = model_from_config(config, custom_objects, source="the JSON string")
    if compile_config:
        keras_zip.compile_from_config(model, compile_config, custom_objects, "model_from_json",
                                      source="the JSON string")
    return model


# -- models ---------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves architecture, weights, compile arguments and optimizer state.

    ``.keras`` writes Keras 3's zip format (the default for new code); ``.h5``/``.hdf5``
    the legacy HDF5 layout. Both are read by Keras 3 and continue training bit for bit
    when loaded back into kcore.

    Args:
        model: the model (Sequential, Functional, or subclassed with ``get_config``).
        filepath: ending in ``.keras``, ``.h5`` or ``.hdf5``; with ``zipped=False``, a
            folder.
        overwrite: replace an existing file (otherwise ask, or raise when non-interactive).
        zipped: ``False`` writes the ``.keras`` entries into the folder ``filepath``
            (which must not end in ``.keras``) instead of a zip archive, as Keras does. The
            entries replace those of an existing folder only once all are written; other
            files in it are left alone.
        include_optimizer: (``.h5`` only) also save ``training_config`` and the optimizer
            state; ``.keras`` files always hold them, as in Keras.

    Raises:
        ValueError: an unsupported suffix or argument.
        NotImplementedError: a subclassed model without ``get_config()``.

    Example:
        >>> model.save("model.keras")
        >>> model = kcore.models.load_model("model.keras")
    """
    path = _path(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"save_model: unknown argument(s) {sorted(kwargs)}.")
    if save_format not in (None, "h5", "keras"):
        raise ValueError(f"save_format={save_format!r} is not supported; use a .keras or .h5 "
                         "filepath.")
    if path.endswith(".keras") or zipped is False:
        if zipped is False and path.endswith(".keras"):
            raise ValueError(
                "When using `zipped=False`, the `filepath` argument should not end in "
                f"`.keras` (it names the folder to write). Received: filepath={path}")
        if not include_optimizer:
            raise ValueError("include_optimizer=False is only supported for .h5 files; a "
                             ".keras file always holds the optimizer state, as in Keras.")
        if not may_write(path, overwrite):
            return
        if zipped is False:
            keras_zip.write_folder(model, path)
            return
        with atomic_write(path) as tmp:
            keras_zip.write(model, tmp)
        return
    if not path.endswith((".h5", ".hdf5")):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension "
            "for the native Keras format (recommended) or a `.h5` extension (legacy HDF5). "
            f"Received: filepath={path}"
        )
    if not may_write(path, overwrite):
        return
    config = model_config(model)
    train_config = training_config.training_config(model) if include_optimizer else None
    with atomic_write(path) as tmp:
        with h5io.h5py().File(tmp, "w") as f:
            f.attrs["keras_version"] = h5io.KERAS_VERSION
            f.attrs["backend"] = h5io.BACKEND
            h5io.write_json_attr(f, "model_config", config)
            if train_config is not None:
                h5io.write_json_attr(f, "training_config", train_config)
            legacy_h5.save_weights_to_group(f.create_group("model_weights"), model)
            if include_optimizer and getattr(model, "optimizer", None) is not None:
                legacy_h5.save_optimizer_weights(f, model.optimizer)
            # kcore-only (Keras ignores it): where each layer's random stream is, so that a
            # reloaded model with Dropout continues exactly as if it had never been saved.
            generators = model._seed_generators() if hasattr(model, "_seed_generators") else []
            if generators:
                h5io.write_json_attr(f, "kcore_rng_states", [g.get_state() for g in generators])


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by kcore, Keras 3 (``.keras``, ``.h5``) or tf.keras 2 (``.h5``).

    With ``compile=True`` the model is compiled as saved and its optimizer state restored,
    so training continues exactly where it stopped.

    Args:
        filepath: a ``.keras`` or ``.h5``/``.hdf5`` file, or a folder written with
            ``save(..., zipped=False)``.
        custom_objects: ``{name: class or function}`` for custom layers, losses, ...
        compile: compile the model as it was compiled when saved.
        safe_mode: refuse to deserialize code (``Lambda`` bytecode). Only pass ``False``
            for files you trust.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a model file, truncated or tampered with, an unknown class (with
            how to pass ``custom_objects``), or weights that do not fit the architecture;
            the message names the file and the part at fault.

    Example:
        >>> model = kcore.models.load_model("model.keras")
    """
    path = _path(filepath)
    if path.endswith(".keras") or os.path.isdir(path):  # a zip archive or a model folder
        return keras_zip.read(path, custom_objects, compile=compile, safe_mode=safe_mode)
    if not path.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"File format not supported: filepath={path}. kcore loads Keras model files "
            "(.keras, .h5, .hdf5)."
        )
    with h5io.open_for_read(path) as f:
        config = h5io.read_json_attr(f, "model_config")
        if config is None:
            raise ValueError(
                f"No model config found in the file at {path!r}: it holds weights only. Build "
                "the model in code and call model.load_weights() instead."
            )
        if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) or \
                not isinstance(config.get("config", {}), dict):
            raise ValueError(
                f"{path}: the attribute 'model_config' must be a JSON object with a "
                f"'class_name' string and a 'config' object; received "
                f"{json.dumps(config)[:120]}. The file is damaged or not a Keras model file.")
        model = model_from_config(config, custom_objects, safe_mode,
                                  source=f"the 'model_config' attribute of {path!r}")
        if "model_weights" not in f:
            raise ValueError(f"{path}: the file has a model config but no 'model_weights' group.")
        if not model.built:
            raise ValueError(
                f"{path}: model {model.name!r} ({type(model).__name__}) was rebuilt from its "
                "config but could not be built, so it cannot receive its weights: the file "
                "records no input shape. Call the model on data before saving it."
            )
        legacy_h5.load_weights_from_group(f["model_weights"], model, filepath=path)
        rng_states = h5io.read_json_attr(f, "kcore_rng_states")
        generators = model._seed_generators() if hasattr(model, "_seed_generators") else []
        if rng_states and len(rng_states) == len(generators):
            for gen, state in zip(generators, rng_states):
                gen.set_state(state)
        train_config = h5io.read_json_attr(f, "training_config")
        if compile and train_config is None:
            warnings.warn("No training configuration found in the save file, so the model "
                          "was *not* compiled. Compile it manually.", stacklevel=2)
        elif compile:
            compile_from_training_config(model, train_config, custom_objects, path)
            legacy_h5.load_optimizer_weights(f, model.optimizer, model.trainable_weights, path)
    return model


# -- weights --------------------------------------------------------------------------------
def _check_built(model, what):
    if not model.built:
        raise ValueError(
            f"You are {what} a model that has not yet been built. Build it first by calling "
            "it on some data or with model.build(input_shape)."
        )


def compile_from_training_config(model, train_config, custom_objects, path,
                                 where="the attribute 'training_config'"):
    """Compiles ``model`` from a stored ``training_config`` (``where`` names it in errors)."""
    try:
        if not isinstance(train_config, dict):
            raise TypeError(f"expected a JSON object, got {type(train_config).__name__}")
        with CustomObjectScope(custom_objects or {}):
            model.compile(**training_config.compile_args(
                train_config, model._output_names_for_compile(), custom_objects))
    except (TypeError, KeyError, AttributeError, IndexError) as e:
        raise ValueError(
            f"{path}: {where} has the wrong structure ({e}); the file "
            f"is damaged. Load it with compile=False and compile the model in code.") from e
    except ValueError as e:
        raise ValueError(f"{path}: cannot compile the model from {where}: {e} (Or load it "
                         "with compile=False and compile the model in code.)") from e


def save_weights(model, filepath, overwrite=True, **kwargs):
    """Saves the weights (and optimizer state) to ``.weights.h5`` (Keras 3 layout) or to a
    legacy ``.h5`` (tf.keras ``save_weights`` layout)."""
    path = _path(filepath)
    if kwargs.get("max_shard_size") is not None:
        raise ValueError("Sharded weights (max_shard_size) are not supported by kcore.")
    _check_built(model, "saving")
    if path.endswith(".weights.h5"):
        write = lambda f: weights_h5.save_weights(model, f)  # noqa: E731
    elif path.endswith((".h5", ".hdf5")):
        write = lambda f: legacy_h5.save_weights_to_group(f, model)  # noqa: E731
    else:
        raise ValueError(
            f"The filename must end in `.weights.h5` (or `.h5` for the legacy layout). "
            f"Received: filepath={path}"
        )
    if not may_write(path, overwrite):
        return
    with atomic_write(path) as tmp:
        with h5io.h5py().File(tmp, "w") as f:
            write(f)


def _is_legacy(f):
    return "model_weights" in f or any(k.startswith("layer_names") for k in f.attrs)


def load_weights(model, filepath, skip_mismatch=False, by_name=False, **kwargs):
    """Loads weights from a ``.weights.h5`` or legacy ``.h5`` file (the layout is read from
    the file). Legacy files load topologically, or by layer name with ``by_name=True``."""
    path = _path(filepath)
    if kwargs:
        raise ValueError(f"load_weights: unknown argument(s) {sorted(kwargs)}.")
    _check_built(model, "loading weights into")
    if path.endswith(".keras"):
        if by_name:
            raise ValueError("by_name=True is only supported for legacy .h5 weight files.")
        keras_zip.load_weights(model, path, skip_mismatch=skip_mismatch)
        return
    with h5io.open_for_read(path) as f:
        if _is_legacy(f):
            load = legacy_h5.load_weights_by_name if by_name else legacy_h5.load_weights_from_group
            load(f, model, skip_mismatch=skip_mismatch, filepath=path)
        elif "layers" in f or "vars" in f or "_layer_checkpoint_dependencies" in f:
            if by_name:
                raise ValueError("by_name=True is only supported for legacy .h5 weight files.")
            weights_h5.load_weights(model, f, skip_mismatch=skip_mismatch, filepath=path)
        else:
            raise ValueError(
                f"{path}: not a Keras weights file (no 'layers'/'vars' groups and no "
                "@layer_names attribute)."
            )
