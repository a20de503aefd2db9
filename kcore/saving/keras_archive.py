"""Reading a ``.keras`` model without trusting it: the zip archive, or the unzipped folder
Keras writes with ``model.save(path, zipped=False)``.

Both readers give ``keras_zip`` the same interface: ``read``/``read_json`` an entry,
``open_weights`` (``model.weights.h5`` as an open h5py file) and ``assets()`` (a context
manager yielding the folder that holds ``assets/``, or ``None``).

The archive's entry names are all checked on opening (no absolute paths, no ``..``), every
entry's declared size is checked against what it stores (zip bombs), the three required
entries are read into memory, and ``assets/`` is unpacked only into a private temporary
directory that is always removed.
"""

import contextlib
import io
import json
import os
import tempfile
import zipfile

from kcore.saving import h5io

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"
ASSETS = "assets"
REQUIRED = (METADATA, CONFIG, WEIGHTS)
# An entry is a bomb when it expands to more than this many times what it stores
# (DEFLATE's best ratio is ~1032:1, but Keras stores entries uncompressed, ~1:1) ...
MAX_EXPANSION = 100
# ... and is larger than this (small, highly compressible files are harmless).
BOMB_FLOOR_BYTES = 64 << 20
# The JSON entries are read whole into memory; a real one is a few megabytes at most.
MAX_JSON_BYTES = 256 << 20


class _Source:
    """What both readers share: JSON entries and the weights file."""

    path = ""

    def read(self, name):
        raise NotImplementedError

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

    def _open_h5(self, source):
        try:
            return h5io.h5py().File(source, "r")
        except OSError as e:
            raise ValueError(f"{self.path}: {WEIGHTS} is not a valid HDF5 file ({e}); the "
                             "model file is damaged.") from None

    def open_weights(self):
        """``model.weights.h5`` as an open, read-only h5py file (in memory)."""
        return self._open_h5(io.BytesIO(self.read(WEIGHTS)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Folder(_Source):
    """An unzipped ``.keras`` model: a folder holding the same entries as the archive.

    Raises:
        ValueError: a required file is missing or a JSON file is absurdly large.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        missing = [name for name in REQUIRED if not os.path.isfile(os.path.join(self.path, name))]
        if missing:
            hint = ""
            if WEIGHTS in missing and os.path.isfile(os.path.join(self.path, WEIGHTS_NPZ)):
                hint = (f" It holds {WEIGHTS_NPZ} (Keras's weights_format='npz'), which kcore "
                        "does not read; save it again from Keras with the default format.")
            elif os.path.isfile(os.path.join(self.path, "saved_model.pb")):
                hint = " It looks like a TensorFlow SavedModel, which kcore cannot load."
            raise ValueError(
                f"Cannot load the folder {self.path!r} as a model: it has no "
                f"{', '.join(missing)}. A model folder, as written by "
                f"model.save(path, zipped=False), holds {', '.join(REQUIRED)} (and assets/); "
                f"otherwise pass a .keras, .h5 or .hdf5 file.{hint}")

    def read(self, name):
        path = os.path.join(self.path, name)
        if name in (CONFIG, METADATA) and os.path.getsize(path) > MAX_JSON_BYTES:
            raise ValueError(f"{self.path}: {name} is larger than {MAX_JSON_BYTES} bytes: "
                             "refusing to read it.")
        with open(path, "rb") as f:
            return f.read()

    def open_weights(self):
        return self._open_h5(os.path.join(self.path, WEIGHTS))

    @contextlib.contextmanager
    def assets(self):
        yield self.path if os.path.isdir(os.path.join(self.path, ASSETS)) else None


class Archive(_Source):
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

    def asset_names(self):
        return [n for n in self.infos if n.startswith(ASSETS + "/") and not n.endswith("/")]

    @contextlib.contextmanager
    def assets(self):
        """The folder holding the unpacked ``assets/`` entries (``None`` if there are
        none); it is private and removed on leaving the ``with`` block, whatever happens."""
        if not self.asset_names():
            yield None
            return
        with tempfile.TemporaryDirectory(prefix="kcore-assets-") as tmp:
            self.extract_assets(tmp)
            yield tmp

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
