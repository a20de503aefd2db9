"""``TextVectorization``: raw strings to token indices or bag-of-words vectors.

Each string is standardised (ASCII lower-casing and/or punctuation stripping, as
TensorFlow's ``strings.lower``/``regex_replace`` do in Keras), split (on whitespace or into
characters), optionally expanded into n-grams (all 1-grams, then 2-grams, ... joined by a
space), then looked up in a ``StringLookup`` vocabulary with ``""`` as the padding/mask
token and ``"[UNK]"`` for unknown tokens.
"""

import re

import numpy as np

from kcore.backend.serialization import deserialize_keras_object, serialize_keras_object
from kcore.backend.tensor import Tensor
from kcore.layers.layer import Layer
from kcore.layers.preprocessing.adapt_data import batches
from kcore.layers.preprocessing.encoding import check_choice, raw
from kcore.layers.preprocessing.lookups import StringLookup

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = (None, "whitespace", "character")


class TextVectorization(Layer):
    """Turns strings into sequences of token indices, or multi-hot/count/TF-IDF vectors.

    Args:
        max_tokens: the largest vocabulary (padding and OOV included) ``adapt`` keeps.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, ``None``, or a callable taking and returning a numpy
            array of strings.
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (each string is one
            token), or a callable mapping a numpy array of strings to token lists.
        ngrams: ``None``, an int ``n`` (all 1..n-grams) or a tuple of n-gram widths.
        output_mode: ``"int"`` (default), ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: with ``"int"``, pad or truncate every sequence to this
            length (otherwise to the longest in the batch).
        pad_to_max_tokens: pad encoded outputs to ``max_tokens`` wide.
        vocabulary: a list of tokens or a path to a file with one token a line.
        idf_weights: with ``"tf_idf"`` and ``vocabulary``, one weight per token.
        sparse, ragged: only ``False`` is supported.
        encoding: the encoding of ``bytes`` inputs (default ``"utf-8"``).

    Input shape: ``(batch,)`` or ``(batch, 1)`` strings. Output shape: ``(batch,
    sequence_length)`` int64 for ``"int"``, ``(batch, vocabulary_size)`` float otherwise.

    Example:
        >>> layer = kcore.layers.TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer(np.array(["The cat!"]))
        Tensor([[2, 4, 0, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        standardize = _deserialize(standardize)
        split = _deserialize(split)
        if not callable(standardize):
            check_choice("TextVectorization", "standardize", standardize, _STANDARDIZE)
        if not callable(split):
            check_choice("TextVectorization", "split", split, _SPLIT)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (isinstance(ngrams, int) and ngrams >= 1) or (
                isinstance(ngrams, tuple) and all(isinstance(n, int) and n >= 1
                                                  for n in ngrams))):
            raise ValueError("TextVectorization: `ngrams` must be None, a positive int or a "
                             f"tuple of positive ints; received {ngrams!r}.")
        check_choice("TextVectorization", "output_mode", output_mode,
                     ("int", "multi_hot", "count", "tf_idf"))
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("TextVectorization: `output_sequence_length` only applies to "
                             f"output_mode='int', not {output_mode!r}.")
        if output_sequence_length is not None and (
                not isinstance(output_sequence_length, int) or output_sequence_length < 1):
            raise ValueError("TextVectorization: `output_sequence_length` must be None or a "
                             f"positive int; received {output_sequence_length!r}.")
        if sparse or ragged:
            raise ValueError("TextVectorization: sparse=True and ragged=True are not "
                             "supported by kcore (outputs are dense, zero-padded).")
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self._widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            encoding=encoding, vocabulary_size=vocabulary_size)
        self.built = True

    # -- vocabulary ----------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary (``""`` and ``"[UNK]"`` first in ``"int"`` mode)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and TF-IDF weights) directly; see ``StringLookup``."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and document frequencies) from strings: a list or array of
        documents, or an iterable of such batches."""
        docs = []
        for i, batch in enumerate(batches(self, data)):
            if steps is not None and i >= steps:
                break
            docs.extend(self._tokenize(batch))
        if self._has_input_vocabulary:
            raise ValueError(f"TextVectorization {self.name!r} was given a `vocabulary`; it "
                             "cannot also be adapted.")
        self._lookup_layer.adapt_documents(docs)

    # -- preprocessing -------------------------------------------------------------------
    def _strings(self, inputs):
        x = raw(inputs)
        if x.ndim == 2 and x.shape[-1] == 1 and self.split is not None:
            x = x[:, 0]
        elif x.ndim > 1 and self.split is not None:
            raise ValueError(f"TextVectorization {self.name!r} tokenizes strings of shape "
                             f"(batch,) or (batch, 1); received shape {x.shape}.")
        flat = x.reshape(-1)
        texts = np.empty(flat.shape, dtype=object)
        for i, v in enumerate(flat):
            if isinstance(v, bytes):
                v = v.decode(self.encoding)
            if not isinstance(v, str):
                raise TypeError(f"TextVectorization {self.name!r} expects strings; received "
                                f"a {type(v).__name__} ({v!r}).")
            texts[i] = v
        return texts.reshape(x.shape)

    def _standardized(self, texts):
        if callable(self.standardize):
            return np.asarray(self.standardize(texts.astype(str)), dtype=object)
        out = texts.copy()
        for i, t in enumerate(out.reshape(-1)):
            if self.standardize in ("lower", "lower_and_strip_punctuation"):
                t = t.translate(_ASCII_LOWER)
            if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                t = _PUNCTUATION.sub("", t)
            out.reshape(-1)[i] = t
        return out

    def _tokenize(self, inputs):
        """One token list per input string."""
        texts = self._standardized(self._strings(inputs))
        if self.split is None:
            token_lists = [[t] for t in texts.reshape(-1)]
        elif callable(self.split):
            token_lists = [list(t) for t in self.split(texts.astype(str))]
        elif self.split == "whitespace":
            token_lists = [t.split() for t in texts]
        else:
            token_lists = [list(t) for t in texts]
        if self._widths:
            token_lists = [_ngrams(tokens, self._widths) for tokens in token_lists]
        return token_lists

    def call(self, inputs):
        lookup = self._lookup_layer
        if self.split is None and self.output_mode == "int" and not self._widths:
            # Unsplit strings are single tokens: indices keep the input's shape.
            out = raw(lookup(self._standardized(self._strings(inputs))))
            if self.output_sequence_length and out.ndim > 1:
                out = _fit_length(out, self.output_sequence_length)
            return Tensor(out)
        token_lists = self._tokenize(inputs)
        if self.output_mode != "int":
            rows = np.empty((len(token_lists), max(1, max(map(len, token_lists), default=0))),
                            dtype=object)
            rows[:] = ""  # the mask token: counted nowhere
            for i, tokens in enumerate(token_lists):
                rows[i, :len(tokens)] = tokens
            return lookup(rows)
        length = self.output_sequence_length or max(map(len, token_lists), default=0)
        out = np.zeros((len(token_lists), length), dtype="int64")
        for i, tokens in enumerate(token_lists):
            tokens = tokens[:length]
            if tokens:
                out[i, :len(tokens)] = raw(lookup(np.array(tokens, dtype=object)))
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup.vocabulary_size()
        return (input_shape[0], depth)

    # -- saving --------------------------------------------------------------------------
    def get_config(self):
        cfg = super().get_config()
        lookup = self._lookup_layer
        cfg.update({"max_tokens": lookup.max_tokens,
                    "standardize": _serialize(self.standardize),
                    "split": _serialize(self.split), "ngrams": self.ngrams,
                    "output_mode": self.output_mode,
                    "output_sequence_length": self.output_sequence_length,
                    "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False,
                    "ragged": False, "vocabulary": lookup._config_vocabulary(),
                    "idf_weights": lookup._config_idf(), "encoding": self.encoding,
                    "vocabulary_size": self.vocabulary_size()})
        return cfg

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)


def _fit_length(x, length):
    """Truncates or zero-pads the last axis to ``length``."""
    x = x[..., :length]
    pad = [(0, 0)] * (x.ndim - 1) + [(0, length - x.shape[-1])]
    return np.pad(x, pad)


def _ngrams(tokens, widths):
    out = []
    for n in widths:
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def _serialize(value):
    return serialize_keras_object(value) if callable(value) else value


def _deserialize(value):
    return deserialize_keras_object(value) if isinstance(value, dict) else value
