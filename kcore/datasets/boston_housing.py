"""Boston Housing prices (same data and API as ``keras.datasets.boston_housing``)."""

from __future__ import annotations

import numpy as np

from kcore.datasets._cache import fetch
from kcore.datasets._npz import load_npz

__all__ = ["load_data"]


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing dataset (506 samples, 13 features).

    **WARNING:** this dataset has an ethical problem: its authors included a
    variable, "B", that may appear to assume that racial self-segregation
    influences house prices.  Its use is discouraged except to illustrate
    ethical issues in data science.

    Args:
        path: cache location, relative to ``$KCORE_HOME/datasets`` (or absolute).
        test_split: fraction of the data reserved for the test set, in [0, 1).
        seed: seed for the shuffle done before splitting.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` have shape
        ``(num_samples, 13)``, ``y_*`` ``(num_samples,)`` (median home value in
        k$).  Same shuffle and split as Keras: ``np.random.RandomState(seed)``
        shuffles the indices, and the first ``int(n * (1 - test_split))``
        samples are the training set.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1); got {test_split!r}.")
    arrays = load_npz(fetch("boston_housing.npz", path))
    x, y = arrays["x"], arrays["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
