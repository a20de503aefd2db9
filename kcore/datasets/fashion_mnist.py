"""Fashion-MNIST (same data and API as ``keras.datasets.fashion_mnist``)."""

from __future__ import annotations

import gzip
import struct

import numpy as np

from kcore.datasets._cache import fetch

__all__ = ["load_data"]

_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _read_idx(path, ndim: int) -> np.ndarray:
    """Decode a gzipped IDX file of unsigned bytes with ``ndim`` dimensions.

    IDX layout: two zero bytes, a type byte (0x08 = uint8), a byte giving the
    number of dimensions, one big-endian uint32 per dimension, then the data.
    """
    with gzip.open(path, "rb") as f:
        raw = f.read()
    head = 4 + 4 * ndim
    if len(raw) < head or raw[:2] != b"\0\0" or raw[2] != 0x08 or raw[3] != ndim:
        raise ValueError(f"{path} is not a {ndim}-D uint8 IDX file.")
    dims = struct.unpack(f">{ndim}I", raw[4:head])
    if len(raw) - head != int(np.prod(dims)):
        raise ValueError(f"{path}: IDX data length does not match dimensions {dims}.")
    # bytearray -> writable array without a further copy.
    return np.frombuffer(bytearray(raw[head:]), dtype=np.uint8).reshape(dims)


def load_data():
    """Loads Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images.

    Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
    6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are ``uint8`` arrays of
        shape ``(60000, 28, 28)`` / ``(10000, 28, 28)``, ``y_*`` ``uint8`` labels
        of shape ``(60000,)`` / ``(10000,)``.

    The four gzipped IDX files come from the Keras dataset bucket and are cached
    in ``$KCORE_HOME/datasets/fashion-mnist/``, each verified by SHA-256.
    License: copyright Zalando SE, MIT license.
    """
    paths = [fetch("fashion-mnist/" + name) for name in _FILES]
    y_train = _read_idx(paths[0], 1)
    x_train = _read_idx(paths[1], 3)
    y_test = _read_idx(paths[2], 1)
    x_test = _read_idx(paths[3], 3)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError("Fashion-MNIST image and label counts do not match.")
    return (x_train, y_train), (x_test, y_test)
