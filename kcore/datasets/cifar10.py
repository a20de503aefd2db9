"""CIFAR-10 small images (same data and API as ``keras.datasets.cifar10``)."""

from __future__ import annotations

import numpy as np

from kcore.datasets import _cifar
from kcore.datasets._cache import fetch

__all__ = ["load_data"]

_DIR = "cifar-10-batches-bin/"
_TRAIN = [f"{_DIR}data_batch_{i}.bin" for i in range(1, 6)]
_TEST = f"{_DIR}test_batch.bin"


def load_data():
    """Loads CIFAR-10: 50,000 training and 10,000 test 32x32 colour images.

    Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
    7 horse, 8 ship, 9 truck.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` exactly as Keras returns them:
        ``x_*`` ``uint8`` of shape ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)``
        (``(n, 3, 32, 32)`` if kcore's image data format is channels_first),
        ``y_*`` ``uint8`` labels of shape ``(50000, 1)`` / ``(10000, 1)``.
        Training images are batches 1..5 in order, as in Keras.

    Source: ``cifar-10-binary.tar.gz`` from https://www.cs.toronto.edu/~kriz/
    (the fixed-record binary distribution -- kcore never unpickles the Python
    version Keras uses), verified by SHA-256 and read straight from the
    archive.  Reference: Alex Krizhevsky, *Learning Multiple Layers of
    Features from Tiny Images*, 2009.
    """
    members = _cifar.read_members(fetch("cifar-10-binary.tar.gz"), _TRAIN + [_TEST])
    parts = [_cifar.decode_records(members[name], 1, name) for name in _TRAIN]
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    x_test, y_test = _cifar.decode_records(members[_TEST], 1, _TEST)
    return (_cifar.arrange(x_train), y_train), (_cifar.arrange(x_test), y_test)
