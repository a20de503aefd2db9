"""MNIST handwritten digits (same data and API as ``keras.datasets.mnist``)."""

from __future__ import annotations

from kcore.datasets._cache import fetch
from kcore.datasets._npz import load_npz

__all__ = ["load_data"]


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset: 60,000 training and 10,000 test 28x28 images.

    Args:
        path: where to cache the file, relative to ``$KCORE_HOME/datasets``
            (``KCORE_HOME`` defaults to ``~/.kcore``), or an absolute path.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are ``uint8`` arrays of
        shape ``(60000, 28, 28)`` / ``(10000, 28, 28)`` with pixel values 0-255,
        ``y_*`` are ``uint8`` digit labels (0-9) of shape ``(60000,)`` /
        ``(10000,)``.

    The file is ``mnist.npz`` from the Keras dataset bucket, verified by
    SHA-256.  License: Yann LeCun and Corinna Cortes hold the copyright of
    MNIST, a derivative of NIST data, available under CC BY-SA 3.0.
    """
    arrays = load_npz(fetch("mnist.npz", path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
