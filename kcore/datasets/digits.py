"""UCI handwritten digits, bundled with kcore (works offline).

1,797 8x8 grayscale images of the digits 0-9 whose pixels are counts 0..16
(each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap).

Data: "Optical Recognition of Handwritten Digits" by E. Alpaydin and
C. Kaynak, UCI Machine Learning Repository (1998),
https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits,
licensed under CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/).  The bundled
``data/digits.csv.gz`` is the copy of the UCI test set shipped by scikit-learn
(``sklearn/datasets/data/digits.csv.gz``); it is unmodified.  See
``kcore/datasets/data/README.md``.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

__all__ = ["load_data"]

_FILE = Path(__file__).with_name("data") / "digits.csv.gz"
# SHA-256 of the bundled file (computed when it was added to kcore).
_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
_N_SAMPLES = 1797


def _read_all():
    raw = _FILE.read_bytes()
    if hashlib.sha256(raw).hexdigest() != _SHA256:
        raise OSError(f"The bundled digits file {_FILE} is corrupt; reinstall kcore.")
    text = gzip.decompress(raw).decode("ascii")
    table = np.array(
        [line.split(",") for line in text.splitlines() if line.strip()], dtype=np.int64
    )
    if table.shape != (_N_SAMPLES, 65):
        raise OSError(f"{_FILE}: unexpected table shape {table.shape}.")
    x = table[:, :64].astype(np.uint8).reshape(-1, 8, 8)
    y = table[:, 64].astype(np.uint8)
    return x, y


def load_data(test_split=0.2, seed=113):
    """Loads the bundled UCI digits, split like ``boston_housing.load_data``.

    Args:
        test_split: fraction of samples reserved for the test set, in [0, 1).
        seed: seed of the ``np.random.RandomState`` shuffle done before the
            split (same procedure as Keras's boston_housing).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` ``uint8`` arrays of
        shape ``(n, 8, 8)`` with values 0..16, ``y_*`` ``uint8`` labels 0..9 of
        shape ``(n,)``.  With the default split: 1,437 training and 360 test
        samples.  No network access is needed.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1); got {test_split!r}.")
    x, y = _read_all()
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
