"""``StringLookup`` and ``IntegerLookup``: the two concrete vocabulary lookups."""

import numpy as np

from kcore.layers.preprocessing import string_hash
from kcore.layers.preprocessing.lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (or back, with ``invert``).

    Args:
        max_tokens: the largest vocabulary size (mask and OOV included); ``None``: no limit.
        num_oov_indices: how many indices unknown tokens share (default 1; hashed when > 1;
            0 makes an unknown token an error).
        mask_token: a token that maps to index 0 (and to nothing in the non-int modes).
        oov_token: the token standing for unknown indices (default ``"[UNK]"``).
        vocabulary: a list/array of tokens or a path to a file with one token a line.
        idf_weights: with ``output_mode="tf_idf"``, one weight per vocabulary token.
        invert: map indices back to tokens.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        pad_to_max_tokens: pad encoded outputs to ``max_tokens`` wide.
        sparse: only ``False`` is supported.
        encoding: the text encoding of ``bytes`` inputs (default ``"utf-8"``).
        salt: an int or pair of ints: hash unknown tokens with salted SipHash.

    Inputs are numpy ``str``/``object`` arrays (``bytes`` are decoded). ``int`` outputs are
    int64 indices of the input's shape; ``invert`` returns ``str`` arrays (Keras returns
    ``bytes``).

    Example:
        >>> layer = kcore.layers.StringLookup(vocabulary=["a", "b", "c"])
        >>> layer(np.array([["a", "c"], ["d", "b"]]))
        Tensor([[1, 3], [0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _token(self, value):
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        if isinstance(value, str):
            return value
        if isinstance(value, np.str_):
            return str(value)
        raise TypeError(f"StringLookup {self.name!r} expects string inputs (numpy str or "
                        f"object arrays); received a {type(value).__name__} ({value!r}). Use "
                        "IntegerLookup for integer tokens.")

    def _sort_key(self, token):
        return token.encode(self.encoding)

    def _from_text(self, text):
        return text

    def _oov_bucket(self, token):
        data = token.encode(self.encoding)
        if self.salt is not None:
            return string_hash.siphash64(self.salt[0], self.salt[1], data) % self.num_oov_indices
        return string_hash.fingerprint64(data) % self.num_oov_indices

    def _invert_array(self, out):
        return out.astype(str)

    def get_config(self):
        cfg = super().get_config()
        del cfg["vocabulary_dtype"]
        cfg["encoding"] = self.encoding
        return cfg


class IntegerLookup(IndexLookup):
    """Maps integer tokens (e.g. raw ids) to contiguous indices through a vocabulary.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode,
        pad_to_max_tokens, sparse, salt: as ``StringLookup``.
        mask_token: an int that maps to index 0 (e.g. ``0`` for padding), or ``None``.
        oov_token: the value ``invert`` gives unknown indices (default ``-1``).
        vocabulary_dtype: ``"int64"`` (the only one Keras supports).
        oov_method: ``"floormod"`` (default: unknown ``x`` goes to OOV bucket
            ``x mod num_oov_indices``) or ``"farmhash"`` (hash of its decimal string).

    Example:
        >>> layer = kcore.layers.IntegerLookup(vocabulary=[12, 36, 1138])
        >>> layer(np.array([[12, 1138], [42, 36]]))
        Tensor([[1, 3], [0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup: only vocabulary_dtype='int64' is supported; "
                             f"received {vocabulary_dtype!r}.")
        if salt is not None and oov_method != "farmhash":
            raise ValueError("IntegerLookup: `salt` is only used with oov_method='farmhash'.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method,
                         salt=salt, name=name, **kwargs)

    def _token(self, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, np.integer, float, np.floating)):
            raise TypeError(f"IntegerLookup {self.name!r} expects integer inputs; received a "
                            f"{type(value).__name__} ({value!r}). Use StringLookup for "
                            "strings.")
        if isinstance(value, (float, np.floating)) and value != int(value):
            raise TypeError(f"IntegerLookup {self.name!r} expects integer inputs; received "
                            f"{value!r}.")
        return int(value)

    def _sort_key(self, token):
        return token

    def _from_text(self, text):
        return int(text)

    def _oov_bucket(self, token):
        if self.oov_method == "floormod":
            return token % self.num_oov_indices
        data = str(token).encode("utf-8")
        if self.salt is not None:
            return string_hash.siphash64(self.salt[0], self.salt[1], data) % self.num_oov_indices
        return string_hash.fingerprint64(data) % self.num_oov_indices

    def _invert_array(self, out):
        return out.astype("int64")
