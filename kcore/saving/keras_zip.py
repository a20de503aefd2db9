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

Reading never trusts the archive: every entry name is checked (no absolute paths, no
``..``), every entry's declared size is checked against what it stores (zip bombs), the
three required entries are read into memory, and assets are extracted only into a private
temporary directory that is always removed.
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
from kcore.saving.training_config import serialize_nested

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
ASSETS = "assets"
REQUIRED = (METADATA, CONFIG, WEIGHTS)
# An entry is a bomb when it expands to more than this many times what it stores
# (DEFLATE's best ratio is ~1032:1, but Keras stores entries uncompressed, ~1:1) ...
MAX_EXPANSION = 100
# ... and is larger than this (small, highly compressible files are harmless).
BOMB_FLOOR_BYTES = 64 << 20
# The JSON entries are read whole into memory; a real one is a few megabytes at most.
MAX_JSON_BYTES = 256 << 20


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


def _write_assets(model, zf):
    """Calls every ``save_assets`` into a private directory, then stores what it wrote."""
    savers = [(path, obj) for path, obj in weights_h5.walk(model) if hasattr(obj, "save_assets")]
    if not savers:
        return
    with tempfile.TemporaryDirectory(prefix="kcore-assets-") as tmp:
        root = os.path.join(tmp, ASSETS)
        for path, obj in savers:
            directory = os.path.join(root, *path.split("/")) if path else root
            os.makedirs(directory, exist_ok=True)
            obj.save_assets(directory)
        for folder, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                full = os.path.join(folder, name)
                zf.write(full, os.path.relpath(full, tmp).replace(os.sep, "/"))


def write(model, filepath):
    """Writes ``model`` to ``filepath`` (already checked, written atomically by the caller)."""
    config = json.dumps(model_config(model), default=h5io.json_default)
    metadata = json.dumps(_metadata(model))
    weights = _weights_bytes(model)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA, metadata)
        zf.writestr(CONFIG, config)
        zf.writestr(WEIGHTS, weights)
        _write_assets(model, zf)


# -- reading --------------------------------------------------------------------------------
class Archive:
    """A ``.keras`` file opened for reading, its entries checked (see module docstring).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a zip archive, an unsafe entry name, a zip bomb, or a required
            entry missing; each message names the file and the entry.
    """

    def __init__(self, filepath):
        self.path = os.fspath(filepath)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"No file or directory found at {self.path!r}.")
        if os.path.isdir(self.path):
            raise ValueError(f"{self.path!r} is a directory; expected a .keras zip archive.")
        try:
            self.zf = zipfile.ZipFile(self.path, "r")
        except (zipfile.BadZipFile, OSError) as e:
            raise ValueError(
                f"Cannot load {self.path!r}: it is not a valid .keras file ({e}). A .keras file "
                "is a zip archive written by model.save('name.keras'); was it copied or "
                "downloaded completely?") from None
        try:
            self.infos = {}
            for info in self.zf.infolist():
                self._check_entry(info)
                self.infos[info.filename] = info
            missing = [name for name in REQUIRED if name not in self.infos]
            if missing:
                raise ValueError(
                    f"{self.path}: the archive has no {', '.join(missing)} (it holds "
                    f"{sorted(self.infos)[:10]}). A Keras .keras file holds {', '.join(REQUIRED)}"
                    "; the file is damaged or was not written by Keras/kcore.")
        except BaseException:
            self.zf.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.zf.close()
        return False

    def _check_entry(self, info):
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise ValueError(
                f"{self.path}: unsafe entry {name!r} in the archive (an absolute path or a "
                "'..' component that would escape the extraction directory). Refusing to "
                "load it: Keras never writes such entries, so the file was tampered with.")
        if name in self.infos:
            raise ValueError(f"{self.path}: the archive has two entries named {name!r}; "
                             "refusing to guess which one is meant.")
        if info.file_size > BOMB_FLOOR_BYTES and \
                info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
            raise ValueError(
                f"{self.path}: entry {name!r} declares {info.file_size} bytes uncompressed but "
                f"stores only {info.compress_size} (more than {MAX_EXPANSION}x): refusing to "
                "load a potential zip bomb.")
        if name in (CONFIG, METADATA) and info.file_size > MAX_JSON_BYTES:
            raise ValueError(
                f"{self.path}: entry {name!r} declares {info.file_size} bytes, more than "
                f"{MAX_JSON_BYTES} for a JSON file: refusing to read it (zip bomb?).")

    def read(self, name):
        """The bytes of entry ``name``; never more than it declares."""
        info = self.infos[name]
        try:
            with self.zf.open(info) as f:
                data = f.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise ValueError(f"{self.path}: entry {name!r} is corrupted ({e}).") from None
        if len(data) != info.file_size:
            raise ValueError(f"{self.path}: entry {name!r} holds {len(data)} bytes, not the "
                             f"{info.file_size} it declares; the file is corrupted.")
        return data

    def read_json(self, name):
        """Entry ``name`` parsed as a JSON object."""
        try:
            value = json.loads(self.read(name).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ValueError(f"{self.path}: {name} is not valid JSON ({e}); the file is "
                             "damaged or was not written by Keras/kcore.") from None
        if not isinstance(value, dict):
            raise ValueError(f"{self.path}: {name} must hold a JSON object, got "
                             f"{type(value).__name__} {json.dumps(value)[:100]}.")
        return value

    def open_weights(self):
        """``model.weights.h5`` as an open, read-only h5py file (in memory)."""
        data = self.read(WEIGHTS)
        try:
            return h5io.h5py().File(io.BytesIO(data), "r")
        except OSError as e:
            raise ValueError(f"{self.path}: {WEIGHTS} is not a valid HDF5 file ({e}); the "
                             "archive is damaged.") from None

    def asset_names(self):
        return [n for n in self.infos if n.startswith(ASSETS + "/") and not n.endswith("/")]

    def extract_assets(self, directory):
        """Writes the ``assets/`` entries under ``directory`` (names checked on opening)."""
        for name in self.asset_names():
            target = os.path.join(directory, *name.split("/"))
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(self.read(name))
            except OSError as e:
                # e.g. "assets/a" both a file and a folder: no real archive has that.
                raise ValueError(f"{self.path}: cannot unpack entry {name!r} ({e}); the "
                                 "archive is damaged.") from None


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


def _load_assets(archive, model):
    loaders = [(p, o) for p, o in weights_h5.walk(model) if hasattr(o, "load_assets")]
    if not loaders or not archive.asset_names():
        return
    with tempfile.TemporaryDirectory(prefix="kcore-assets-") as tmp:
        archive.extract_assets(tmp)
        root = os.path.join(tmp, ASSETS)
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
    """Loads a model from a ``.keras`` file (see ``saving_api.load_model``)."""
    from kcore.saving.saving_api import model_from_config

    with Archive(filepath) as archive:
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
