"""CIFAR-100 small images (same data and API as ``keras.datasets.cifar100``)."""

from __future__ import annotations

import numpy as np

from kcore.datasets import _cifar
from kcore.datasets._cache import fetch

__all__ = ["load_data"]

_TRAIN = "cifar-100-binary/train.bin"
_TEST = "cifar-100-binary/test.bin"


def load_data(label_mode="fine"):
    """Loads CIFAR-100: 50,000 training and 10,000 test 32x32 colour images.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` exactly as Keras returns them:
        ``x_*`` ``uint8`` of shape ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)``
        (``(n, 3, 32, 32)`` if kcore's image data format is channels_first) and
        ``y_*`` of shape ``(50000, 1)`` / ``(10000, 1)``.  The labels are
        ``int64``: Keras's docstring says uint8, but Keras builds them from the
        Python lists in the pickles, which gives int64, and kcore matches what
        Keras actually returns.

    Source: ``cifar-100-binary.tar.gz`` from https://www.cs.toronto.edu/~kriz/
    (fixed-record binary distribution, never unpickled), verified by SHA-256.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    column = 1 if label_mode == "fine" else 0  # record = <coarse><fine><pixels>
    members = _cifar.read_members(fetch("cifar-100-binary.tar.gz"), [_TRAIN, _TEST])
    out = []
    for name in (_TRAIN, _TEST):
        images, labels = _cifar.decode_records(members[name], 2, name)
        y = labels[:, column : column + 1].astype(np.int64)
        out.append((_cifar.arrange(images), y))
    return tuple(out)
