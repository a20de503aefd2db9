"""HDF5 plumbing shared by every kcore file format: opening with clear errors, Keras's
chunked string-list attributes, and the version stamps written into files.

h5py is imported here, lazily, so that ``import kcore`` never imports it.
"""

import contextlib
import json
import os

import numpy as np

# The Keras API version whose file layouts kcore writes (see DESIGN §1).
KERAS_VERSION = "3.15.1"
# Keras 3 records its backend; kcore computes with numpy, one of Keras 3's backends.
BACKEND = "numpy"
# Attributes larger than this are split into `name0`, `name1`, ... (Keras's limit).
HDF5_OBJECT_HEADER_LIMIT = 64512


def h5py():
    """The ``h5py`` module, imported on first use."""
    import h5py as _h5py

    return _h5py


def check_readable(filepath):
    """Raises a clear error unless ``filepath`` is an existing HDF5 file."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path!r}.")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory; expected an HDF5 file (.h5, .weights.h5).")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not h5py().is_hdf5(path):
        kind = "a zip archive (a Keras 3 .keras file?)" if head[:2] == b"PK" else \
            "empty" if not head else f"not HDF5 (it starts with {head!r})"
        raise ValueError(
            f"Cannot load {path!r}: the file is {kind}. kcore reads Keras HDF5 files "
            "(.h5/.hdf5 models, .weights.h5 weights)."
        )


@contextlib.contextmanager
def open_for_read(filepath):
    """Opens an HDF5 file read-only; h5py errors become ``ValueError`` naming the file.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: it is not HDF5, or it is truncated or corrupted.
    """
    check_readable(filepath)
    path = os.fspath(filepath)
    try:
        f = h5py().File(path, "r")
    except OSError as e:
        raise ValueError(
            f"Cannot read {path!r}: it is truncated or corrupted ({e}). Was it copied or "
            "downloaded completely?"
        ) from None
    try:
        yield f
    except (OSError, RuntimeError, KeyError) as e:
        raise ValueError(
            f"Cannot read {path!r}: it is truncated or corrupted ({type(e).__name__}: {e})."
        ) from e
    finally:
        f.close()


# A dataset is refused when it would expand to more than this many times the bytes it
# occupies in the file, and to more than ``BOMB_FLOOR_BYTES`` (an HDF5 "bomb": a huge
# chunked dataset of fill values stores almost nothing but allocates all of it on reading).
MAX_EXPANSION = 100
BOMB_FLOOR_BYTES = 64 << 20


def check_dataset_size(dataset):
    """Raises ``ValueError`` before reading a dataset that declares an absurd size."""
    nbytes = int(np.prod(dataset.shape, dtype=np.float64) * dataset.dtype.itemsize)
    if nbytes <= BOMB_FLOOR_BYTES:
        return
    stored = dataset.id.get_storage_size()
    if nbytes > MAX_EXPANSION * max(stored, 1):
        raise ValueError(
            f"{dataset.file.filename}: dataset {dataset.name!r} declares shape "
            f"{tuple(dataset.shape)} ({nbytes} bytes) but stores only {stored} bytes: "
            "refusing to read a potential decompression bomb.")


def save_attributes(group, name, data):
    """Stores a list of strings as Keras does, chunked past ``HDF5_OBJECT_HEADER_LIMIT``.

    Keras writes the list as given (h5py stores bytes as variable-length strings, an empty
    list as an empty float64 array) and, when it is too large for one object header, as
    fixed-length chunks ``name0``, ``name1``, ...
    """
    data = [s.encode("utf8") if isinstance(s, str) else s for s in data]
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(
            f"The following attributes cannot be saved to HDF5 because they are larger than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long[:3]}"
        )
    data_npy = np.asarray(data)
    num_chunks = 1
    chunks = np.array_split(data_npy, num_chunks)
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in chunks):
        num_chunks += 1
        chunks = np.array_split(data_npy, num_chunks)
    if num_chunks > 1:
        for i, chunk in enumerate(chunks):
            group.attrs[f"{name}{i}"] = chunk
    else:
        group.attrs[name] = data


def load_attributes(group, name):
    """Reads a list of strings written by ``save_attributes`` (chunked or not)."""
    def decode(values):
        return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]

    if name in group.attrs:
        return decode(group.attrs[name])
    data, i = [], 0
    while f"{name}{i}" in group.attrs:
        data.extend(decode(group.attrs[f"{name}{i}"]))
        i += 1
    return data


def read_json_attr(group, name):
    """A JSON attribute (str or bytes) as Python data, or ``None`` when absent."""
    value = group.attrs.get(name)
    if value is None:
        return None
    try:
        if hasattr(value, "decode"):
            value = value.decode("utf8")
        return json.loads(value)
    except (UnicodeDecodeError, TypeError, ValueError) as e:
        raise ValueError(
            f"{group.file.filename}: the attribute {name!r} of {group.name!r} is not valid "
            f"JSON ({e}); the file is damaged or was not written by Keras/kcore. Re-save the "
            f"model from code.") from None


def json_default(obj):
    """``json.dumps`` fallback for numpy values, tuples and Keras-serializable objects."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.dtype):
        return obj.name
    if hasattr(obj, "get_config"):
        from kcore.backend.serialization import serialize_keras_object

        return serialize_keras_object(obj)
    raise TypeError(f"Not JSON serializable: {obj!r}")


def write_json_attr(group, name, value):
    """Stores JSON as Keras does: UTF-8 bytes (an HDF5 variable-length string)."""
    group.attrs[name] = json.dumps(value, default=json_default).encode("utf8")


def write_dataset(group, name, value):
    """Creates dataset ``name`` (``/`` makes sub-groups) holding ``value``, as Keras writes it."""
    value = np.asarray(value)
    dset = group.create_dataset(name, value.shape, dtype=value.dtype)
    if value.shape:
        dset[:] = value
    else:
        dset[()] = value
    return dset
