"""Vocabulary lookups: ``StringLookup`` and ``IntegerLookup`` (and their shared base).

The vocabulary is laid out as Keras lays it out: ``[mask_token] + [oov_token] *
num_oov_indices + tokens`` (the mask slot only in ``output_mode="int"``). ``adapt`` orders
tokens by descending frequency, ties by descending token, as Keras does. Out-of-vocabulary
tokens go to index 1 (0 without a mask), or with several OOV indices to a bucket chosen by
FarmHash (strings) or ``token mod num_oov_indices`` (integers).

Saving: ``get_config`` carries the vocabulary (and TF-IDF weights) whether it was given to
the constructor or learned by ``adapt``/``set_vocabulary``. Keras keeps a learned vocabulary
only in the ``.keras`` assets (``vocabulary.txt``); kcore also puts it in the config so the
legacy ``.h5`` format, which has no assets, keeps it too. ``save_assets``/``load_assets``
read and write ``vocabulary.txt`` as Keras does, so Keras-written files load.
"""

import collections
import os

import numpy as np

from kcore.backend import config
from kcore.backend.tensor import Tensor
from kcore.layers.layer import Layer
from kcore.layers.preprocessing.adapt_data import batches
from kcore.layers.preprocessing.encoding import check_choice, encode, raw, salt_pair

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """Maps tokens to indices (or back, with ``invert=True``); see ``StringLookup``."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", salt=None,
                 name=None, **kwargs):
        frozen_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        _check_arguments(type(self).__name__, max_tokens, num_oov_indices, invert, output_mode,
                         sparse, pad_to_max_tokens, oov_method, idf_weights)
        salt = salt_pair(type(self).__name__, salt)
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._frozen_vocab_size = frozen_size
        self._tokens = []
        self._index = {}
        self.idf_weights = None
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif output_mode == "tf_idf" and idf_weights is not None:
            self.idf_weights = np.asarray(idf_weights, dtype=config.floatx())

    # -- vocabulary ----------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices, mask and OOV included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary; with special tokens, position ``i`` is what index ``i`` means."""
        specials = ([self.mask_token] * self._oov_start_index()
                    + [self.oov_token] * self.num_oov_indices)
        return (specials if include_special_tokens else []) + list(self._tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list/array, or a text file with one token a line).

        A vocabulary that starts with the special tokens (as ``get_vocabulary()`` returns)
        is accepted with them. ``idf_weights`` (same length) are required for ``tf_idf``.
        """
        name = f"{type(self).__name__} {self.name!r}"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{name}: output_mode='tf_idf' needs `idf_weights` with the "
                             "vocabulary.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{name}: `idf_weights` is only used with output_mode='tf_idf'.")
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_vocabulary_file(vocabulary)
        vocab = [self._token(t) for t in list(raw(vocabulary).reshape(-1))]
        if not vocab:
            raise ValueError(f"{name}: the vocabulary is empty; pass at least one token.")
        start = self._token_start_index()
        specials = self.get_vocabulary()[:start]
        has_specials = vocab[:start] == specials
        tokens = vocab[start:] if has_specials else vocab
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{name}: the vocabulary has repeated tokens {repeated[:10]}.")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{name}: the mask token {self.mask_token!r} is in the vocabulary "
                             "at a position other than 0; remove it.")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(f"{name}: the OOV token {self.oov_token!r} is in the vocabulary; "
                             "remove it (invert=True maps unknown indices to it).")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{name}: the vocabulary has {start + len(tokens)} entries "
                             f"(special tokens included), more than max_tokens="
                             f"{self.max_tokens}.")
        self._set_tokens(tokens)
        if idf_weights is not None:
            weights = np.asarray(raw(idf_weights), dtype="float64").reshape(-1)
            if weights.size != len(vocab):
                raise ValueError(f"{name}: `idf_weights` has {weights.size} entries but the "
                                 f"vocabulary {len(vocab)}.")
            front = (0, 0.0) if has_specials else (start, float(np.average(weights)))
            self._set_idf(np.concatenate([np.full(front[0], front[1]), weights]))

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: i + start for i, t in enumerate(self._tokens)}
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            if self._frozen_vocab_size is not None and \
                    self._frozen_vocab_size != self.vocabulary_size() and self._frozen_locked:
                raise RuntimeError(f"{type(self).__name__} {self.name!r}: the vocabulary size "
                                   f"cannot change from {self._frozen_vocab_size} to "
                                   f"{self.vocabulary_size()} once the layer has been called "
                                   f"in output_mode={self.output_mode!r}.")
        self._frozen_vocab_size = self.vocabulary_size()

    _frozen_locked = False

    def _set_idf(self, weights):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - weights.size))
        self.idf_weights = weights.astype(config.floatx())

    @classmethod
    def from_config(cls, config):
        from kcore.backend import serialization

        if isinstance(config.get("vocabulary"), str) and serialization.in_safe_mode():
            raise ValueError(f"{cls.__name__}: a config that names a vocabulary file "
                             f"({config['vocabulary']!r}) is refused in safe mode; load with "
                             "safe_mode=False if you trust it.")
        return super().from_config(config)

    def _read_vocabulary_file(self, path):
        if not os.path.exists(path):
            raise ValueError(f"{type(self).__name__}: vocabulary file {str(path)!r} not found.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    # -- adapt ---------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Builds the vocabulary from ``data`` (array, list of tokens, or batches), most
        frequent first, keeping at most ``max_tokens`` entries in all."""
        if self.input_vocabulary is not None:
            raise ValueError(f"{type(self).__name__} {self.name!r} was given a `vocabulary`; "
                             "it cannot also be adapted.")
        docs = []
        for i, batch in enumerate(batches(self, data)):
            if steps is not None and i >= steps:
                break
            docs.extend(self._documents(batch))
        self.adapt_documents(docs)

    def adapt_documents(self, docs):
        """Builds the vocabulary from documents given as lists of tokens."""
        counts, doc_counts = collections.Counter(), collections.Counter()
        for doc in docs:
            tokens = [self._token(t) for t in doc]
            counts.update(tokens)
            if self.output_mode == "tf_idf":
                doc_counts.update(set(tokens))
        num_docs = len(docs)
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        if not counts:
            return
        ordered = sorted(counts, key=lambda t: (counts[t], self._sort_key(t)), reverse=True)
        if self.max_tokens:
            ordered = ordered[:self.max_tokens - self._token_start_index()]
        self._set_tokens(ordered)
        if self.output_mode == "tf_idf":
            idf = np.log1p(num_docs / (1.0 + np.array([doc_counts[t] for t in ordered],
                                                      dtype="float64")))
            idf = idf.astype(config.floatx())
            self._set_idf(np.concatenate([np.full(self._token_start_index(), idf.mean()), idf]))

    def _documents(self, batch):
        """Rows of tokens: each row of a 2-D batch is a document; a 1-D batch is one column
        of single-token documents (adapt on an array) — Keras's convention."""
        arr = np.asarray(batch, dtype=object)
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        elif arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        return [list(row.reshape(-1)) for row in arr.reshape(arr.shape[0], -1)]

    # -- call ----------------------------------------------------------------------------
    def call(self, inputs):
        x = raw(inputs)
        if self.invert:
            return Tensor(self._invert(x))
        indices = self._lookup(x)
        if self.output_mode == "int":
            return Tensor(indices)
        object.__setattr__(self, "_frozen_locked", True)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        valid = indices >= 0
        idf = None
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: output_mode='tf_idf' "
                                 "needs idf weights: adapt() or set_vocabulary(..., "
                                 "idf_weights=...).")
            idf = self.idf_weights.astype("float64")
        # Mask tokens (index -1 here) contribute nothing, as in Keras.
        weights = valid.astype("float64")
        return Tensor(encode(np.where(valid, indices, 0), self.output_mode, depth,
                             config.floatx(), count_weights=weights, idf_weights=idf)
                      if self.output_mode != "one_hot" else
                      encode(np.where(valid, indices, 0), "one_hot", depth, config.floatx())
                      * _one_hot_mask(valid, indices))

    def _lookup(self, x):
        flat = x.reshape(-1)
        out = np.empty(flat.shape, dtype="int64")
        default = self._oov_start_index()
        cache = {}
        for i, value in enumerate(flat):
            token = self._token(value)
            idx = cache.get(token)
            if idx is None:
                idx = self._index.get(token)
                if idx is None:
                    if self.mask_token is not None and token == self.mask_token:
                        idx = 0 if self.output_mode == "int" else -1
                    else:
                        idx = self._oov_index(token, default)
                cache[token] = idx
            out[i] = idx
        return out.reshape(x.shape)

    def _oov_index(self, token, default):
        if self.num_oov_indices == 0:
            raise ValueError(f"{type(self).__name__} {self.name!r}: token {token!r} is not in "
                             "the vocabulary and num_oov_indices=0; add it or allow OOV "
                             "indices.")
        if self.num_oov_indices == 1:
            return default
        return default + self._oov_bucket(token)

    def _invert(self, x):
        ints = x.astype("int64")
        vocab = self.get_vocabulary()
        out = np.empty(ints.shape, dtype=object)
        flat = out.reshape(-1)
        for i, idx in enumerate(ints.reshape(-1)):
            flat[i] = vocab[idx] if 0 <= idx < len(vocab) and (
                idx == 0 and self.mask_token is not None or idx >= self._token_start_index()
            ) else self.oov_token
        return self._invert_array(out)

    # -- saving --------------------------------------------------------------------------
    def get_config(self):
        cfg = super().get_config()
        cfg.update({"invert": self.invert, "max_tokens": self.max_tokens,
                    "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                    "mask_token": self.mask_token, "output_mode": self.output_mode,
                    "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                    "vocabulary_dtype": self.vocabulary_dtype,
                    "idf_weights": self._config_idf(),
                    "vocabulary": self._config_vocabulary(),
                    "vocabulary_size": self._frozen_vocab_size,
                    "oov_method": self.oov_method, "salt": self.salt})
        return cfg

    def _config_vocabulary(self):
        if self.input_vocabulary is not None:
            return _listify(self.input_vocabulary)
        return [_plain(t) for t in self._tokens] if self._tokens else None

    def _config_idf(self):
        if self.input_idf_weights is not None:
            return _listify(self.input_idf_weights)
        if self.idf_weights is None or not self._tokens:
            return None
        start = self._token_start_index()
        return [float(w) for w in self.idf_weights[start:start + len(self._tokens)]]

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"], dtype=config.floatx())

    def _set_tokens_from_saved(self, words):
        start = self._token_start_index()
        self._set_tokens([self._from_text(w) for w in words[start:]])

    def save_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary()))

    def load_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        self._set_tokens_from_saved(lines)


def _check_arguments(cls, max_tokens, num_oov_indices, invert, output_mode, sparse,
                     pad_to_max_tokens, oov_method, idf_weights):
    check_choice(cls, "output_mode", output_mode, _MODES)
    check_choice(cls, "oov_method", oov_method, ("floormod", "farmhash"))
    if max_tokens is not None and max_tokens <= 1:
        raise ValueError(f"{cls}: `max_tokens` must be > 1 (or None); received {max_tokens}.")
    if pad_to_max_tokens and max_tokens is None:
        raise ValueError(f"{cls}: pad_to_max_tokens=True needs `max_tokens`.")
    if num_oov_indices < 0:
        raise ValueError(f"{cls}: `num_oov_indices` must be >= 0; received {num_oov_indices}.")
    if invert and output_mode != "int":
        raise ValueError(f"{cls}: invert=True needs output_mode='int'; received "
                         f"{output_mode!r}.")
    if sparse:
        raise ValueError(f"{cls}: sparse=True is not supported by kcore.")
    if idf_weights is not None and output_mode != "tf_idf":
        raise ValueError(f"{cls}: `idf_weights` is only used with output_mode='tf_idf'.")


def _one_hot_mask(valid, indices):
    mask = valid
    if indices.ndim > 1 and indices.shape[-1] == 1:
        mask = mask[..., 0]
    return mask[..., None].astype(config.floatx())


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _listify(value):
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return str(value)
    return [v.item() if isinstance(v, np.generic) else v for v in raw(value).reshape(-1).tolist()]
