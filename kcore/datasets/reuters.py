"""Reuters newswire topics (same data and API as ``keras.datasets.reuters``)."""

from __future__ import annotations

import numpy as np

from kcore.datasets import _sequences as seq
from kcore.datasets._cache import fetch
from kcore.datasets._npz import load_npz

__all__ = ["load_data", "get_word_index", "get_label_names"]

_LABEL_NAMES = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Loads the Reuters dataset: 11,228 newswires labelled over 46 topics.

    Arguments have the meaning they have in ``kcore.datasets.imdb.load_data``
    (``num_words``, ``skip_top``, ``maxlen``, ``seed``, ``start_char``,
    ``oov_char``, ``index_from``), plus:

    Args:
        test_split: fraction of the (shuffled, ``maxlen``-filtered) samples
            used as the test set; the first ``int(n * (1 - test_split))`` are
            the training set.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are 1-D ``object``
        arrays of Python lists of ints, ``y_*`` integer topic ids (0-45, see
        :func:`get_label_names`).  Processing is identical to Keras 3.
    """
    arrays = load_npz(fetch("reuters.npz", path))
    rng = np.random.RandomState(seed)
    xs, labels = seq.shuffled(rng, arrays["x"], arrays["y"])

    xs = seq.offset_words(xs, start_char, index_from)
    xs, labels = seq.drop_long(maxlen, xs, labels)
    if not xs:
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, "
            "no sequence was kept. Increase maxlen."
        )
    xs = seq.limit_vocabulary(xs, num_words, skip_top, oov_char)

    cut = int(len(xs) * (1 - test_split))
    labels = np.asarray(labels)
    return (
        (seq.object_array(xs[:cut]), np.array(labels[:cut])),
        (seq.object_array(xs[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """Returns the Reuters word index: a dict mapping each word to its rank.

    Ranks start at 1; add ``index_from`` (default 3) to match ``load_data``.
    """
    return seq.read_word_index(fetch("reuters_word_index.json", path))


def get_label_names():
    """Returns the 46 topic names as a tuple; position ``i`` names label ``i``."""
    return _LABEL_NAMES
