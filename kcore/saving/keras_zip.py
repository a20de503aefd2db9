"""The Keras 3 ``.keras`` format: a zip archive that Keras 3 and kcore both read and write.

Entries, in the order Keras writes them (all stored uncompressed)::

    metadata.json      {"keras_version": "3.15.1", "date_saved": "2026-01-31@12:00:00"}
    config.json        {"module", "class_name", "config", "registered_name",
                        "build_config", "compile_config"}: the serialized model
    model.weights.h5   every layer's and the optimizer's variables, in Keras 3's path
                       layout (``weights_h5``: ``layers/dense/vars/0``, ``optimizer/vars/0``)
    assets/<path>/...  files written by ``save_assets(dir_path)`` of the object at <path>

kcore adds one key Keras ignores to ``metadata.json``: ``kcore_rng_states``, where each
Dropout-like layer's random stream is, so that a reloaded model continues training exactly
as if it had never been saved.

``model.save(path, zipped=False)`` writes the same entries into a folder instead, as
Keras does; ``load_model`` reads both. Reading never trusts the file (``keras_archive``).
"""

import datetime
import io
import json
import os
import tempfile
import warnings
import zipfile

from kcore.backend.serialization import serialize_keras_object
from kcore.saving import h5io, weights_h5
from kcore.saving.atomic import atomic_folder
from kcore.saving.keras_archive import ASSETS, CONFIG, METADATA, WEIGHTS, Archive, Folder
from kcore.saving.training_config import serialize_nested


# -- writing --------------------------------------------------------------------------------
def _serialize_compile_config(model):
    config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if not config:
        return {}
    config = dict(config)
    optimizer = config.get("optimizer")
    config["optimizer"] = serialize_keras_object(
        model.optimizer if model.optimizer is not None else optimizer)
    if config.get("jit_compile") == "auto":
        config["jit_compile"] = False  # kcore never JIT-compiles; Keras stores a bool.
    return serialize_nested(config)


def model_config(model):
    """The ``config.json`` content for ``model``: Keras 3's ``serialize_keras_object`` form."""
    from kcore.models.functional import Functional

    try:
        config = dict(serialize_keras_object(model))
    except NotImplementedError as e:
        raise NotImplementedError(
            f"Cannot save model {model.name!r} to a .keras file: the file must hold the "
            f"architecture, and {e} To keep just the weights, use "
            "model.save_weights('name.weights.h5').") from None
    if type(model) is Functional:
        # Keras names its Functional class by its source module and registers it by name.
        config["module"] = "keras.src.models.functional"
        config["registered_name"] = "Functional"
    elif not type(model).__module__.startswith("kcore."):
        # A user's class: Keras records where it is defined ("__main__" as None) and its
        # registered name, or its class name when it is not registered.
        module = type(model).__module__
        config["module"] = None if module == "__main__" else module
        config["registered_name"] = config.get("registered_name") or type(model).__name__
    build = model.get_build_config()
    config["build_config"] = build if build else {"input_shape": None}
    config["compile_config"] = _serialize_compile_config(model)
    return config


def _metadata(model):
    metadata = {"keras_version": h5io.KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    generators = model._seed_generators() if hasattr(model, "_seed_generators") else []
    if generators:
        metadata["kcore_rng_states"] = [g.get_state() for g in generators]
    return metadata


def _weights_bytes(model):
    buffer = io.BytesIO()
    with h5io.h5py().File(buffer, "w") as f:
        weights_h5.save_weights(model, f)
    return buffer.getvalue()


def _write_assets_into(model, root):
    """Calls every ``save_assets`` with its own folder ``root/<path>``."""
    for path, obj in weights_h5.walk(model):
        if hasattr(obj, "save_assets"):
            directory = os.path.join(root, *path.split("/")) if path else root
            os.makedirs(directory, exist_ok=True)
            obj.save_assets(directory)


def _write_assets(model, zf):
    """Writes the assets into a private folder, then stores the files it holds."""
    with tempfile.TemporaryDirectory(prefix="kcore-assets-") as tmp:
        _write_assets_into(model, os.path.join(tmp, ASSETS))
        for folder, _, files in sorted(os.walk(tmp)):
            for name in sorted(files):
                full = os.path.join(folder, name)
                zf.write(full, os.path.relpath(full, tmp).replace(os.sep, "/"))


def _entries(model):
    return {METADATA: json.dumps(_metadata(model)).encode(),
            CONFIG: json.dumps(model_config(model), default=h5io.json_default).encode(),
            WEIGHTS: _weights_bytes(model)}


def write(model, filepath):
    """Writes ``model`` to ``filepath`` (already checked, written atomically by the caller)."""
    entries = _entries(model)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
        _write_assets(model, zf)


def write_folder(model, dirpath):
    """Writes the unzipped form (``zipped=False``): ``metadata.json``, ``config.json``,
    ``model.weights.h5`` and ``assets/`` into the folder ``dirpath``, all at once and only
    once every entry is complete (``atomic_folder``); other files in it are left alone."""
    if os.path.exists(dirpath) and not os.path.isdir(dirpath):
        raise ValueError(f"Cannot save an unzipped model (zipped=False) to {dirpath!r}: it "
                         "exists and is not a folder. Pass a folder path, or a path ending "
                         "in .keras without zipped=False for a zip archive.")
    entries = _entries(model)
    with atomic_folder(dirpath) as tmp:
        for name, content in entries.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(content)
        _write_assets_into(model, os.path.join(tmp, ASSETS))


# -- reading --------------------------------------------------------------------------------
def _check_metadata(archive):
    metadata = archive.read_json(METADATA)
    version = metadata.get("keras_version")
    if not isinstance(version, str):
        raise ValueError(f"{archive.path}: {METADATA} has no 'keras_version' string (got "
                         f"{json.dumps(metadata)[:200]}); the file is damaged.")
    return metadata


def _check_config(archive):
    config = archive.read_json(CONFIG)
    if not isinstance(config.get("class_name"), str) or \
            not isinstance(config.get("config", {}), dict):
        raise ValueError(
            f"{archive.path}: {CONFIG} must be a serialized model with a 'class_name' string "
            f"and a 'config' object; received {json.dumps(config)[:200]}. The file is damaged "
            "or was not written by Keras/kcore.")
    return config


def _load_assets(source, model):
    loaders = [(p, o) for p, o in weights_h5.walk(model) if hasattr(o, "load_assets")]
    if not loaders:
        return
    with source.assets() as folder:
        if folder is None:
            return
        root = os.path.join(folder, ASSETS)
        for path, obj in loaders:
            directory = os.path.join(root, *path.split("/")) if path else root
            if os.path.isdir(directory):
                obj.load_assets(directory)


def _restore_rng(model, metadata):
    states = metadata.get("kcore_rng_states")
    generators = model._seed_generators() if hasattr(model, "_seed_generators") else []
    if isinstance(states, list) and len(states) == len(generators):
        for generator, state in zip(generators, states):
            generator.set_state(state)


def read(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model from a ``.keras`` file or an unzipped model folder
    (see ``saving_api.load_model``)."""
    from kcore.saving.saving_api import model_from_config

    with (Folder if os.path.isdir(filepath) else Archive)(filepath) as archive:
        metadata = _check_metadata(archive)
        config = _check_config(archive)
        compile_config = config.get("compile_config")
        config = {k: v for k, v in config.items() if k != "compile_config"}
        model = model_from_config(config, custom_objects, safe_mode,
                                  source=f"{CONFIG} of {archive.path!r}")
        if compile and compile_config:
            compile_from_config(model, compile_config, custom_objects, archive.path)
        if not model.built:
            raise ValueError(
                f"{archive.path}: model {model.name!r} ({type(model).__name__}) was rebuilt "
                f"from {CONFIG} but could not be built, so it cannot receive its weights: "
                "its build_config records no input shape. Call the model on data before "
                "saving it, or give it get_build_config()/build_from_config().")
        with archive.open_weights() as f:
            weights_h5.load_weights(model, f, filepath=f"{archive.path} ({WEIGHTS})")
        _load_assets(archive, model)
        _restore_rng(model, metadata)
    return model


def compile_from_config(model, compile_config, custom_objects, path, source=CONFIG):
    """Compiles ``model`` from the ``compile_config`` of ``source`` (``config.json``).

    A ``compile_config`` without an optimizer (Keras 3 on TensorFlow writes such files)
    compiles with ``compile()``'s default optimizer, as Keras does, with a warning.
    """
    from kcore.saving.saving_api import compile_from_training_config

    if not isinstance(compile_config, dict):
        raise ValueError(f"{path}: the 'compile_config' of {source} must be a JSON object, got "
                         f"{json.dumps(compile_config)[:200]}; the file is damaged. Load it "
                         "with compile=False and compile the model in code.")
    train_config = {k: v for k, v in compile_config.items() if k != "optimizer"}
    optimizer = compile_config.get("optimizer")
    if optimizer is None:
        warnings.warn(
            f"{path}: the 'compile_config' of {source} names no optimizer; the model is "
            "compiled with the default optimizer ('rmsprop'), as Keras does, and the saved "
            "optimizer state cannot be restored into it.", stacklevel=3)
        optimizer = "rmsprop"
    train_config["optimizer_config"] = optimizer if isinstance(optimizer, dict) else \
        {"class_name": optimizer, "config": {}}
    compile_from_training_config(model, train_config, custom_objects, path,
                                 where=f"the 'compile_config' of {source}")


def load_weights(model, filepath, skip_mismatch=False):
    """Loads the weights (and optimizer state) of a ``.keras`` file into ``model``."""
    with Archive(filepath) as archive:
        with archive.open_weights() as f:
            weights_h5.load_weights(model, f, skip_mismatch=skip_mismatch,
                                    filepath=f"{archive.path} ({WEIGHTS})")
