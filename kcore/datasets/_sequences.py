"""Word-index sequence processing shared by the IMDB and Reuters loaders.

These helpers reproduce the ``keras.datasets.imdb/reuters.load_data``
semantics step by step (documented on each function), including Keras's
quirks, so kcore returns exactly the same sequences for the same arguments.
"""

from __future__ import annotations

import json
import os

import numpy as np


def shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> list[np.ndarray]:
    """Apply one shuffled index permutation (drawn from ``rng``) to all arrays.

    The permutation is ``arange(n)`` shuffled in place by ``rng.shuffle`` --
    the same random stream consumption as Keras, so the same ``seed`` gives the
    same order.
    """
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def offset_words(seqs, start_char, index_from) -> list[list]:
    """Shift word ids by ``index_from`` and prepend ``start_char``.

    When ``start_char`` is None nothing is prepended; when in addition
    ``index_from`` is falsy the ids are only copied into fresh lists.
    """
    out = []
    for seq in seqs:
        if start_char is not None:
            new = [start_char]
            new.extend(w + index_from for w in seq)
        elif index_from:
            new = [w + index_from for w in seq]
        else:
            new = list(seq)
        out.append(new)
    return out


def drop_long(maxlen, seqs: list[list], labels: np.ndarray):
    """Keep only the samples whose length (start char included) is ``< maxlen``.

    A falsy ``maxlen`` (None or 0) keeps everything, as in Keras.  Note the
    strict inequality: Keras drops sequences of length exactly ``maxlen``.
    """
    if not maxlen:
        return seqs, labels
    keep = [len(s) < maxlen for s in seqs]
    kept = [s for s, k in zip(seqs, keep, strict=True) if k]
    return kept, np.asarray(labels)[np.asarray(keep, dtype=bool)]


def limit_vocabulary(seqs: list[list], num_words, skip_top, oov_char) -> list[list]:
    """Keep word ids ``w`` with ``skip_top <= w < num_words``.

    Other ids become ``oov_char``, or are removed when ``oov_char`` is None.
    A falsy ``num_words`` means "the largest id present" -- and, as in Keras,
    that largest id itself then falls outside ``[skip_top, num_words)``.  The
    range applies to every id, including ``start_char``.
    """
    if not num_words:
        num_words = max(max(s) for s in seqs if len(s))
    lo, hi = skip_top, num_words
    if oov_char is not None:
        return [[w if lo <= w < hi else oov_char for w in s] for s in seqs]
    return [[w for w in s if lo <= w < hi] for s in seqs]


def object_array(seqs: list[list]) -> np.ndarray:
    """A 1-D ``dtype=object`` array whose items are the given lists.

    (Built element-wise so that equal-length sequences never collapse into a
    2-D array.)
    """
    arr = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        arr[i] = s
    return arr


def read_word_index(path: os.PathLike | str) -> dict[str, int]:
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    if not isinstance(index, dict):
        raise ValueError(f"{path} does not contain a JSON object (word -> index).")
    return index
