"""Download, verify and cache the remote dataset files used by ``kcore.datasets``.

Every remote file kcore knows about is listed in :data:`REGISTRY` together with
the URL it is fetched from and a pinned digest (``"sha256:<hex>"`` or
``"md5:<hex>"``).  :func:`fetch` returns the local path of a file, and
guarantees that the bytes at that path match the pinned digest:

* Files live in ``$KCORE_HOME/datasets`` (``KCORE_HOME`` defaults to
  ``~/.kcore``).  A ``path``/``fname`` given by the caller is relative to that
  directory, or used as-is when absolute (the same rule as Keras's ``path``
  arguments, which are relative to ``~/.keras/datasets``).
* A file that is already present *and* has the right digest is returned
  straight away: no network access, and ``pooch`` is not even imported.
* A missing file, or one whose digest is wrong (partial download, disk
  corruption, tampering), is (re)downloaded with `pooch`_.  pooch streams the
  download into a temporary file in the destination directory, checks the
  digest, and only then moves it over the destination, so a destination file
  is never left half-written.
* When the download fails (no network, server error) a
  :class:`DatasetDownloadError` says which URL was tried and exactly where to
  put the file by hand.  When the downloaded bytes do not match the pinned
  digest a :class:`DatasetIntegrityError` is raised and nothing is written.

.. _pooch: https://www.fatiando.org/pooch/
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path

__all__ = [
    "REGISTRY",
    "RemoteFile",
    "DatasetError",
    "DatasetDownloadError",
    "DatasetIntegrityError",
    "kcore_home",
    "datasets_dir",
    "fetch",
    "file_digest",
]


class DatasetError(OSError):
    """Base class for dataset fetching problems."""


class DatasetDownloadError(DatasetError):
    """A dataset file is not available locally and could not be downloaded."""


class DatasetIntegrityError(DatasetError):
    """A dataset file does not match its pinned digest (or none is pinned)."""


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """A remote file and the digest its bytes must have.

    ``known_hash`` is ``"<algorithm>:<hex digest>"`` with algorithm ``sha256``
    (preferred) or ``md5`` (only where upstream publishes nothing stronger).
    ``source`` records where the digest was taken from, so a reviewer can
    re-check it.
    """

    url: str
    known_hash: str | None
    source: str
    default_fname: str


_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_TORONTO = "https://www.cs.toronto.edu/~kriz/"
_KERAS_SRC = "Keras 3 source, keras/src/datasets/{}.py (get_file file_hash)"
_FASHION_SRC = (
    "Keras main-branch keras/src/datasets/fashion_mnist.py FILE_HASHES (newer "
    "than the 3.15.1 release, which pins nothing); equal to the SHA-256 of "
    "Zalando's originals in TensorFlow Datasets url_checksums/fashion_mnist.txt"
)
_TFDS_SRC = "TensorFlow Datasets, tensorflow_datasets/url_checksums/{}.txt (size {} bytes)"

#: Every remote file kcore.datasets can fetch, keyed by a stable name.
#: Digests were NOT recomputed here (the build machine has no internet); each
#: ``source`` says where the value comes from.  If one of them turns out to be
#: wrong, downloading raises DatasetIntegrityError showing both digests.
REGISTRY: dict[str, RemoteFile] = {
    "mnist.npz": RemoteFile(
        url=_KERAS + "mnist.npz",
        known_hash="sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        source=_KERAS_SRC.format("mnist"),
        default_fname="mnist.npz",
    ),
    "fashion-mnist/train-labels-idx1-ubyte.gz": RemoteFile(
        url=_KERAS + "train-labels-idx1-ubyte.gz",
        known_hash="sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        source=_FASHION_SRC,
        default_fname="fashion-mnist/train-labels-idx1-ubyte.gz",
    ),
    "fashion-mnist/train-images-idx3-ubyte.gz": RemoteFile(
        url=_KERAS + "train-images-idx3-ubyte.gz",
        known_hash="sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        source=_FASHION_SRC,
        default_fname="fashion-mnist/train-images-idx3-ubyte.gz",
    ),
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": RemoteFile(
        url=_KERAS + "t10k-labels-idx1-ubyte.gz",
        known_hash="sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        source=_FASHION_SRC,
        default_fname="fashion-mnist/t10k-labels-idx1-ubyte.gz",
    ),
    "fashion-mnist/t10k-images-idx3-ubyte.gz": RemoteFile(
        url=_KERAS + "t10k-images-idx3-ubyte.gz",
        known_hash="sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        source=_FASHION_SRC,
        default_fname="fashion-mnist/t10k-images-idx3-ubyte.gz",
    ),
    # CIFAR: kcore reads the fixed-record *binary* distribution (never the
    # pickled "python" one that Keras uses), from the official Toronto site.
    "cifar-10-binary.tar.gz": RemoteFile(
        url=_TORONTO + "cifar-10-binary.tar.gz",
        known_hash="sha256:c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
        source=_TFDS_SRC.format("cifar10", 170052171),
        default_fname="cifar-10-binary.tar.gz",
    ),
    "cifar-100-binary.tar.gz": RemoteFile(
        url=_TORONTO + "cifar-100-binary.tar.gz",
        known_hash="sha256:58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
        source=_TFDS_SRC.format("cifar100", 168513733),
        default_fname="cifar-100-binary.tar.gz",
    ),
    "imdb.npz": RemoteFile(
        url=_KERAS + "imdb.npz",
        known_hash="sha256:69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
        source=_KERAS_SRC.format("imdb"),
        default_fname="imdb.npz",
    ),
    # Keras pins only an MD5 for the two word-index files; no SHA-256 is
    # published anywhere we could check, so MD5 is what we can verify against.
    "imdb_word_index.json": RemoteFile(
        url=_KERAS + "imdb_word_index.json",
        known_hash="md5:bfafd718b763782e994055a2d397834f",
        source=_KERAS_SRC.format("imdb") + " (MD5 only upstream)",
        default_fname="imdb_word_index.json",
    ),
    "reuters.npz": RemoteFile(
        url=_KERAS + "reuters.npz",
        known_hash="sha256:d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
        source=_KERAS_SRC.format("reuters"),
        default_fname="reuters.npz",
    ),
    "reuters_word_index.json": RemoteFile(
        url=_KERAS + "reuters_word_index.json",
        known_hash="md5:4d44cc38712099c9e383dc6e5f11a921",
        source=_KERAS_SRC.format("reuters") + " (MD5 only upstream)",
        default_fname="reuters_word_index.json",
    ),
    "boston_housing.npz": RemoteFile(
        url=_KERAS + "boston_housing.npz",
        known_hash="sha256:f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
        source=_KERAS_SRC.format("boston_housing"),
        default_fname="boston_housing.npz",
    ),
}

_HEX_LENGTHS = {"sha256": 64, "md5": 32}
_HASH_RE = re.compile(r"^(sha256|md5):([0-9a-f]+)$")


def kcore_home() -> Path:
    """``$KCORE_HOME`` (default ``~/.kcore``), with ``~`` expanded."""
    return Path(os.environ.get("KCORE_HOME") or "~/.kcore").expanduser()


def datasets_dir() -> Path:
    """The dataset cache directory, ``$KCORE_HOME/datasets``."""
    return kcore_home() / "datasets"


def _parse_hash(key: str, entry: RemoteFile) -> tuple[str, str]:
    """Return ``(algorithm, hexdigest)`` or raise a clear error."""
    known = (entry.known_hash or "").strip().lower()
    match = _HASH_RE.match(known)
    if not match or len(match.group(2)) != _HEX_LENGTHS[match.group(1)]:
        raise DatasetIntegrityError(
            f"kcore has no valid pinned digest for dataset file {key!r} "
            f"(got {entry.known_hash!r}; expected 'sha256:<64 hex>' or "
            f"'md5:<32 hex>').  Refusing to use an unverified file.  The digest "
            f"table is kcore.datasets._cache.REGISTRY."
        )
    return match.group(1), match.group(2)


def file_digest(path: os.PathLike | str, algorithm: str = "sha256") -> str:
    """Hex digest of the file at ``path``."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _resolve_target(entry: RemoteFile, fname: os.PathLike | str | None) -> Path:
    rel = Path(os.fspath(fname)).expanduser() if fname else Path(entry.default_fname)
    # An absolute path replaces the cache directory (pathlib join semantics).
    return (datasets_dir() / rel).absolute()


def _manual_hint(entry: RemoteFile, target: Path, algorithm: str, digest: str) -> str:
    return (
        f"To install it by hand, download\n    {entry.url}\n"
        f"and save it as\n    {target}\n"
        f"(its {algorithm} must be {digest}).  The cache directory is "
        f"$KCORE_HOME/datasets, with KCORE_HOME defaulting to ~/.kcore."
    )


def fetch(key: str, fname: os.PathLike | str | None = None) -> Path:
    """Return the local path of remote file ``key``, downloading if needed.

    Args:
        key: a key of :data:`REGISTRY`.
        fname: where to keep the file, relative to :func:`datasets_dir` (or
            absolute).  Defaults to the entry's ``default_fname``.

    Raises:
        DatasetDownloadError: the file is missing/corrupt locally and could not
            be downloaded.
        DatasetIntegrityError: no usable digest is pinned, or the downloaded
            bytes do not match it.
    """
    try:
        entry = REGISTRY[key]
    except KeyError:
        raise KeyError(f"Unknown kcore dataset file {key!r}.") from None
    algorithm, digest = _parse_hash(key, entry)
    target = _resolve_target(entry, fname)

    if target.is_file():
        actual = file_digest(target, algorithm)
        if actual == digest:
            return target  # Cached and intact: no network, no pooch.
        problem = (
            f"the cached file {target} is corrupt or incomplete "
            f"({algorithm} {actual}, expected {digest})"
        )
    elif target.exists():
        raise DatasetDownloadError(
            f"{target} exists but is not a regular file; remove it so kcore "
            f"can download {entry.url} there."
        )
    else:
        problem = f"{target} is not cached yet"

    try:
        import pooch  # Lazy: only needed when something must be downloaded.
    except ImportError as exc:
        raise DatasetDownloadError(
            f"Cannot fetch {entry.url}: {problem}, and the 'pooch' package "
            f"(used for downloads) is not installed (`pip install pooch`).\n"
            + _manual_hint(entry, target, algorithm, digest)
        ) from exc

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pooch.retrieve(
            url=entry.url,
            known_hash=f"{algorithm}:{digest}",
            fname=target.name,
            path=target.parent,
            progressbar=False,
        )
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise DatasetDownloadError(
                f"Cannot fetch {entry.url}: {problem}, and downloading it "
                f"failed ({exc}).\n" + _manual_hint(entry, target, algorithm, digest)
            ) from exc
        raise DatasetIntegrityError(
            f"The file downloaded from {entry.url} does not match kcore's pinned "
            f"{algorithm} digest {digest} (digest source: {entry.source}).  It "
            f"was discarded and {target} was not modified.  Either the "
            f"download was damaged/tampered with, or the upstream file "
            f"changed.\npooch said: {exc}"
        ) from exc
    except Exception as exc:  # requests/OS errors: offline, DNS, HTTP 404, ...
        raise DatasetDownloadError(
            f"Cannot fetch {entry.url}: {problem}, and downloading it failed "
            f"({type(exc).__name__}: {exc}).\n" + _manual_hint(entry, target, algorithm, digest)
        ) from exc

    # Defence in depth: never hand back bytes we have not verified ourselves.
    actual = file_digest(target, algorithm)
    if actual != digest:
        raise DatasetIntegrityError(
            f"{target} has {algorithm} {actual} after download, expected {digest}."
        )
    return target
