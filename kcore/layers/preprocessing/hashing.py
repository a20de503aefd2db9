"""``Hashing``: hashes strings or integers into a fixed number of bins."""

import numpy as np

from kcore.backend.tensor import Tensor
from kcore.layers.layer import Layer
from kcore.layers.preprocessing import string_hash
from kcore.layers.preprocessing.encoding import check_choice, encode, raw, salt_pair


class Hashing(Layer):
    """Maps each string or integer to a bin in ``[0, num_bins)`` by hashing it.

    The hash is FarmHash ``Fingerprint64`` of the value's UTF-8 bytes (integers hash their
    decimal string), or salted SipHash-2-4 when ``salt`` is given — the functions Keras uses,
    so bins agree with Keras's.

    Args:
        num_bins: the number of bins (mask bin included).
        mask_value: a value that goes to bin 0; the others then use bins ``1..num_bins-1``.
        salt: an int (used twice) or a pair of ints: the SipHash key.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False`` is supported.

    Input shape: any, strings or integers (floats are truncated to integers first).
    Output shape: the input's (``"int"``, dtype int64) or encoded with ``num_bins`` wide.

    Example:
        >>> kcore.layers.Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]]))
        Tensor([[1], [0], [1]])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins <= 0:
            raise ValueError(f"Hashing: `num_bins` must be a positive int; received "
                             f"{num_bins!r}.")
        check_choice("Hashing", "output_mode", output_mode,
                     ("int", "one_hot", "multi_hot", "count"))
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError("Hashing: output_mode='int' needs an integer dtype ('int32' or "
                             f"'int64'); received dtype={self.dtype!r}.")
        if sparse:
            raise ValueError("Hashing: sparse=True is not supported by kcore.")
        salt = salt_pair("Hashing", salt)
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def _hash(self, data, bins):
        if self.salt is not None:
            return string_hash.siphash64(self.salt[0], self.salt[1], data) % bins
        return string_hash.fingerprint64(data) % bins

    def _bins(self, x):
        if x.dtype.kind == "f":
            x = x.astype("int64")
        if x.dtype.kind not in "iuUSO":
            raise TypeError(f"Hashing {self.name!r} expects string or integer inputs; "
                            f"received dtype {x.dtype}.")
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = _equal(x, self.mask_value)
        values, inverse = np.unique(_as_keys(x, self.name), return_inverse=True)
        hashed = np.array([self._hash(v, bins) for v in values], dtype="int64")
        out = hashed[inverse.reshape(-1)].reshape(x.shape)
        if masked is not None:
            out = np.where(masked, 0, out + 1)
        return out

    def call(self, inputs):
        x = raw(inputs)
        if self.output_mode == "one_hot" and x.ndim and x.shape[-1] == 1:
            x = x[..., 0]
        dtype = self.dtype if self.output_mode == "int" else self.compute_dtype
        return Tensor(encode(self._bins(x), self.output_mode, self.num_bins, dtype))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                    "output_mode": self.output_mode, "sparse": self.sparse})
        return cfg


def _as_keys(x, name):
    """UTF-8 bytes of each element (integers as their decimal string)."""
    flat = x.reshape(-1)
    if x.dtype.kind in "iu":
        return np.array([str(int(v)).encode() for v in flat], dtype=object)
    out = np.empty(flat.shape, dtype=object)
    for i, v in enumerate(flat):
        if isinstance(v, bytes):
            out[i] = v
        elif isinstance(v, str):
            out[i] = v.encode("utf-8")
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out[i] = str(int(v)).encode()
        else:
            raise TypeError(f"Hashing {name!r} expects string or integer inputs; received a "
                            f"{type(v).__name__} ({v!r}).")
    return out


def _equal(x, value):
    if x.dtype.kind in "USO":
        value = value.decode("utf-8") if isinstance(value, bytes) else value
        return np.vectorize(lambda v: (v.decode("utf-8") if isinstance(v, bytes) else v) == value,
                            otypes=[bool])(x) if x.size else np.zeros(x.shape, bool)
    return x == value
