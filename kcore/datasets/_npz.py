"""Read ``.npz`` archives without ever running arbitrary pickles.

Most dataset archives (mnist, boston_housing) hold plain numeric arrays and are
read with ``allow_pickle=False``.  The IMDB and Reuters archives, however, hold
*ragged* sequences as ``dtype=object`` arrays, and numpy can only store those as
a pickle stream inside the ``.npy`` member.  kcore's rule is "no unrestricted
unpickling anywhere", so such members are read with :class:`_ArrayOnlyUnpickler`.

Why a restricted unpickler rather than a hand-written pickle parser: the payload
*is* a pickle, so a "manual" parser would be a re-implementation of the pickle
VM -- more code and more bugs for the same result.  The standard unpickler is
safe when ``find_class`` is locked down, because the only way a pickle can call
code is through globals it looks up (REDUCE/NEWOBJ/BUILD need a callable or a
class, and those come only from ``find_class``).  We allow exactly:

* ``numpy.ndarray`` and ``numpy.dtype`` -- constructing an empty array/dtype
  and restoring its state from plain data (shape tuple, dtype, list of items);
* ``multiarray._reconstruct`` (spelled ``numpy.core.multiarray`` by numpy < 2
  and ``numpy._core.multiarray`` by numpy >= 2), which only calls
  ``ndarray.__new__``;
* ``_codecs.encode``, replaced by a wrapper that only turns a ``str`` into
  ``bytes`` with latin1 (how Python 3 writes ``bytes`` at pickle protocol 2).

Lists, tuples, ints, strings and bytes are built by pickle opcodes that need no
globals.  ``persistent_load`` is disabled too.  After loading, the result must
be an object ndarray of the shape announced in the ``.npy`` header, or it is
rejected.  Anything else (``os.system``, ``builtins.eval``, ...) raises
:class:`UnsafeDatasetFileError` before it can be called.
"""

from __future__ import annotations

import ast
import io
import os
import pickle
import struct
import zipfile

import numpy as np

__all__ = ["load_npz", "UnsafeDatasetFileError"]


class UnsafeDatasetFileError(pickle.UnpicklingError, ValueError):
    """An npz member tried to unpickle something other than a numpy array."""


def _multiarray():
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    return multiarray


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` restricted to what pickle protocol 2 needs.

    Python 3 pickles ``bytes`` at protocol 2 as ``_codecs.encode(str, "latin1")``
    (numpy's ``_reconstruct(ndarray, (0,), b"b")`` contains such a value).
    """
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise UnsafeDatasetFileError("Only latin1 str->bytes encoding is allowed.")
    return text.encode("latin1")


_ALLOWED_GLOBALS = {
    ("_codecs", "encode"): lambda: _latin1_encode,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): lambda: _multiarray()._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): lambda: _multiarray()._reconstruct,
}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays of plain Python data, nothing else."""

    def find_class(self, module, name):
        factory = _ALLOWED_GLOBALS.get((module, name))
        if factory is None:
            raise UnsafeDatasetFileError(
                f"Refusing to unpickle global {module}.{name} from a dataset "
                f"file: only numpy array reconstruction is allowed.  The file "
                f"is corrupt or malicious."
            )
        return factory()

    def persistent_load(self, pid):
        raise UnsafeDatasetFileError("Persistent ids are not allowed in dataset files.")


# Largest .npy member we are willing to inflate in memory.  The real dataset
# members are at most a few hundred MB; this only stops decompression bombs.
_MAX_MEMBER_BYTES = 4 << 30


def _read_header(fp) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Parse a .npy header (format versions 1, 2 and 3) ourselves."""
    magic = fp.read(8)
    if len(magic) != 8 or magic[:6] != b"\x93NUMPY":
        raise ValueError("Not a .npy member (bad magic string).")
    major = magic[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", fp.read(2))
    elif major in (2, 3):
        (hlen,) = struct.unpack("<I", fp.read(4))
    else:
        raise ValueError(f"Unsupported .npy format version {major}.{magic[7]}.")
    text = fp.read(hlen).decode("utf8" if major == 3 else "latin1")
    header = ast.literal_eval(text)  # literals only: never evaluates code
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError(f"Malformed .npy header: {text!r}")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError(f"Malformed .npy shape: {shape!r}")
    return shape, bool(header["fortran_order"]), np.lib.format.descr_to_dtype(header["descr"])


def _load_member(raw: bytes) -> np.ndarray:
    fp = io.BytesIO(raw)
    shape, _, dtype = _read_header(fp)
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    if dtype != np.dtype(object):
        raise UnsafeDatasetFileError(f"Unsupported structured object dtype {dtype}.")
    arr = _ArrayOnlyUnpickler(fp, encoding="ASCII").load()
    if not (isinstance(arr, np.ndarray) and arr.dtype == object and arr.shape == shape):
        raise UnsafeDatasetFileError(
            "Object member did not unpickle to the object array its header announced."
        )
    return arr


def load_npz(path: os.PathLike | str) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file into a dict, safely (see module doc)."""
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > _MAX_MEMBER_BYTES:
                raise ValueError(
                    f"{path}: member {info.filename} declares {info.file_size} "
                    f"bytes; refusing to inflate it."
                )
            with zf.open(info) as member:
                raw = member.read(_MAX_MEMBER_BYTES + 1)
            if len(raw) > _MAX_MEMBER_BYTES:
                raise ValueError(f"{path}: member {info.filename} is too large.")
            out[info.filename[: -len(".npy")]] = _load_member(raw)
    return out
