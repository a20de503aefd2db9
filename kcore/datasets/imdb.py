"""IMDB movie-review sentiment (same data and API as ``keras.datasets.imdb``)."""

from __future__ import annotations

import numpy as np

from kcore.datasets import _sequences as seq
from kcore.datasets._cache import fetch
from kcore.datasets._npz import load_npz

__all__ = ["load_data", "get_word_index"]


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads the IMDB dataset: 25,000 training and 25,000 test reviews.

    Each review is a list of word indices; a word's index is its frequency rank
    in the data (1 = most frequent), so the common "top N words" filters are
    simple comparisons.  0 never stands for a word (it is the padding value).

    Args:
        path: cache location, relative to ``$KCORE_HOME/datasets`` (or absolute).
        num_words: keep only word ids below this (after ``index_from`` is
            added); other words become ``oov_char``.  ``None`` keeps all words
            -- except, as in Keras, the single largest id, which is then the
            exclusive limit.
        skip_top: ids below this (after the shift) also become ``oov_char``.
        maxlen: drop every review whose length, ``start_char`` included, is
            ``>= maxlen``.  ``None`` keeps all.
        seed: seed for the shuffle of the training and then the test set.
        start_char: id placed at the start of every sequence (``None``: none).
        oov_char: id replacing removed words; ``None`` deletes them instead.
        index_from: offset added to every word id.
        **kwargs: accepted and ignored, as in Keras 3.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are 1-D ``object``
        arrays of Python lists of ints, ``y_*`` integer arrays of 0/1 labels.
        Processing is identical to Keras 3 (shuffle, offsets, ``maxlen``
        filtering, vocabulary limits), so the same arguments give the same data.

    The archive is read without unrestricted unpickling (see
    ``kcore.datasets._npz``).
    """
    del kwargs  # Keras 3 accepts and ignores extra keyword arguments.
    arrays = load_npz(fetch("imdb.npz", path))
    rng = np.random.RandomState(seed)
    x_train, y_train = seq.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = seq.shuffled(rng, arrays["x_test"], arrays["y_test"])

    x_train = seq.offset_words(x_train, start_char, index_from)
    x_test = seq.offset_words(x_test, start_char, index_from)

    if maxlen:
        x_train, y_train = seq.drop_long(maxlen, x_train, y_train)
        x_test, y_test = seq.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, "
                "no sequence was kept. Increase maxlen."
            )

    n_train = len(x_train)
    xs = seq.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    return (
        (seq.object_array(xs[:n_train]), labels[:n_train]),
        (seq.object_array(xs[n_train:]), labels[n_train:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """Returns the IMDB word index: a dict mapping each word to its rank (from 1).

    To decode ``load_data`` sequences, add ``index_from`` (default 3) to these
    values; ids 0, 1 and 2 are padding, start and out-of-vocabulary.
    """
    return seq.read_word_index(fetch("imdb_word_index.json", path))
