"""Reader for the CIFAR-10/100 *binary* distributions (no pickle involved).

Keras downloads the "python version" archives, whose batches are Python
pickles; kcore never unpickles those.  The official binary version
(https://www.cs.toronto.edu/~kriz/cifar.html, "binary version suitable for C
programs") stores the same images as fixed-size records:

* CIFAR-10: ``<1 x label><3072 x pixel>``; files ``data_batch_1.bin`` ..
  ``data_batch_5.bin`` (10,000 records each) and ``test_batch.bin``.
* CIFAR-100: ``<1 x coarse label><1 x fine label><3072 x pixel>``; files
  ``train.bin`` (50,000 records) and ``test.bin`` (10,000).

The 3,072 pixel bytes are the red, green and blue 32x32 planes, each row-major
-- the same layout as the rows of the pickled ``data`` arrays, so reshaping to
``(n, 3, 32, 32)`` and transposing to channels-last gives Keras's arrays.
"""

from __future__ import annotations

import tarfile

import numpy as np

from kcore.backend import config

PIXELS = 3 * 32 * 32


def read_members(archive, names) -> dict[str, bytes]:
    """Read the named regular-file members of a ``.tar.gz`` in one pass.

    Nothing is extracted to disk, so member paths are never trusted.
    """
    wanted = set(names)
    found: dict[str, bytes] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            name = member.name[2:] if member.name.startswith("./") else member.name
            if name in wanted and member.isfile():
                found[name] = tar.extractfile(member).read()
    missing = wanted - found.keys()
    if missing:
        raise ValueError(f"{archive} lacks the expected member(s) {sorted(missing)}.")
    return found


def decode_records(raw: bytes, n_labels: int, where: str):
    """Split fixed-size records into ``(images (n,3,32,32) uint8, labels (n, n_labels) uint8)``."""
    size = n_labels + PIXELS
    if len(raw) == 0 or len(raw) % size:
        raise ValueError(f"{where}: {len(raw)} bytes is not a whole number of {size}-byte records.")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, size)
    labels = records[:, :n_labels].copy()
    images = records[:, n_labels:].reshape(-1, 3, 32, 32).copy()  # writable, contiguous
    return images, labels


def image_data_format() -> str:
    """kcore's configured image data format."""
    return config.image_data_format()


def arrange(images: np.ndarray) -> np.ndarray:
    """``(n, 3, 32, 32)`` images in kcore's image data format.

    For channels_last this is a transposed *view* (no copy), exactly like the
    arrays Keras returns; copying ~150 MB into C order would more than double
    the load time, and any ``astype``/scaling makes a fresh array anyway.
    """
    if image_data_format() == "channels_last":
        return images.transpose(0, 2, 3, 1)
    return images
