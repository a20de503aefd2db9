"""Integer encodings: ``CategoryEncoding`` and ``Discretization``, and the one/multi-hot,
count and TF-IDF encoder the lookup layers share.

Their outputs are not differentiable (indices and counts), so they compute in numpy.
"""

import numpy as np

from kcore.backend.tensor import Tensor
from kcore.layers.layer import Layer
from kcore.layers.preprocessing.adapt_data import batches

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def raw(x):
    """The numpy value of a Tensor, array or nested list."""
    return x.value if isinstance(x, Tensor) else np.asarray(x)


def encode(indices, output_mode, depth, dtype, count_weights=None, idf_weights=None):
    """Encodes integer ``indices`` in ``[0, depth)`` as Keras's ``output_mode`` does.

    ``one_hot`` adds a ``depth`` axis (replacing a trailing axis of size 1);
    ``multi_hot``/``count``/``tf_idf`` reduce axis 1 (axis 0 of a 1-D input) into it.
    """
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        out = np.zeros(indices.shape + (depth,), dtype=dtype)
        np.put_along_axis(out, indices[..., None], 1, axis=-1)
        return out
    axis = 1 if indices.ndim > 1 else 0
    moved = np.moveaxis(indices, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    rows = np.repeat(np.arange(flat.shape[0]), flat.shape[1])
    counts = np.zeros((flat.shape[0], depth), dtype="float64")
    weights = None
    if count_weights is not None:
        weights = np.moveaxis(np.broadcast_to(raw(count_weights), indices.shape), axis, -1)
        weights = weights.reshape(-1).astype("float64")
    np.add.at(counts, (rows, flat.reshape(-1)), 1.0 if weights is None else weights)
    if output_mode == "multi_hot":
        counts = (counts > 0).astype("float64")
    elif output_mode == "tf_idf":
        counts = counts * idf_weights
    return counts.reshape(moved.shape[:-1] + (depth,)).astype(dtype)


def check_range(layer, indices, depth, what="value"):
    if indices.size and (indices.min() < 0 or indices.max() >= depth):
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: every input {what} must be in "
                         f"[0, {depth}); received values in [{indices.min()}, "
                         f"{indices.max()}].")


def check_choice(layer_name, arg, value, choices):
    if value not in choices:
        raise ValueError(f"{layer_name}: unknown `{arg}` {value!r}; expected one of "
                         f"{list(choices)}.")
    return value


def salt_pair(layer_name, salt):
    """Keras's ``salt`` argument as a ``[key0, key1]`` SipHash key (``None`` stays)."""
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in salt):
        return [int(s) for s in salt]
    if isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
        return [int(salt), int(salt)]
    raise ValueError(f"{layer_name}: `salt` must be an int or a pair of ints; received "
                     f"{salt!r}.")


def _as_integers(layer, inputs):
    x = raw(inputs)
    if x.dtype.kind == "f" and np.any(x != np.floor(x)):
        raise TypeError(f"{type(layer).__name__} {layer.name!r} expects integer inputs; "
                        f"received {x.dtype} values with fractions.")
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{type(layer).__name__} {layer.name!r} expects integer inputs; "
                        f"received dtype {x.dtype}.")
    return x.astype("int64")


class CategoryEncoding(Layer):
    """Encodes integer categories as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories; inputs must be in ``[0, num_tokens)``.
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is accepted as an alias),
            ``"one_hot"`` or ``"count"``.
        sparse: accepted for Keras compatibility; only ``False`` is supported.

    Call arguments:
        inputs: integer array; ``(batch,)``, ``(batch, n)`` or higher.
        count_weights: same shape as ``inputs``, weights summed in ``"count"`` mode.

    Output shape: ``one_hot`` appends ``num_tokens`` (replacing a trailing 1);
    ``multi_hot``/``count`` turn ``(batch, n)`` into ``(batch, num_tokens)``.

    Example:
        >>> kcore.layers.CategoryEncoding(4)(np.array([[0, 1], [3, 3]]))
        Tensor([[1., 1., 0., 0.], [0., 0., 0., 1.]])
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        check_choice("CategoryEncoding", "output_mode", output_mode,
                     ("one_hot", "multi_hot", "count"))
        if num_tokens is None or isinstance(num_tokens, bool) or not isinstance(
                num_tokens, (int, np.integer)) or num_tokens < 1:
            raise ValueError("CategoryEncoding: `num_tokens` must be an int >= 1 (use "
                             f"IntegerLookup when it is unknown); received {num_tokens!r}.")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported by kcore (numpy "
                             "arrays are dense).")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"CategoryEncoding {self.name!r}: `count_weights` is only used "
                             f"with output_mode='count', not {self.output_mode!r}.")
        indices = _as_integers(self, inputs)
        check_range(self, indices, self.num_tokens)
        return Tensor(encode(indices, self.output_mode, self.num_tokens, self.compute_dtype,
                             count_weights=count_weights))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                    "sparse": self.sparse})
        return cfg


class Discretization(Layer):
    """Buckets continuous values by ``bin_boundaries`` (learned by ``adapt`` as quantiles).

    ``bin_boundaries=[0., 1., 2.]`` maps ``x < 0`` to 0, ``0 <= x < 1`` to 1, ``1 <= x < 2``
    to 2 and ``x >= 2`` to 3.

    Args:
        bin_boundaries: sorted boundaries, or ``None`` to ``adapt()``.
        num_bins: the number of bins ``adapt()`` computes (with ``bin_boundaries=None``).
        epsilon: the error tolerance of the streaming quantile summary (default 0.01).
        output_mode: ``"int"`` (bin indices, int32), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"``.
        sparse: only ``False`` is supported.

    Input shape: any. Output shape: the input's for ``"int"``, encoded otherwise.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        check_choice("Discretization", "output_mode", output_mode, OUTPUT_MODES)
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported by kcore.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Discretization: set `num_bins` (and adapt) or `bin_boundaries`, "
                             f"not both; received num_bins={num_bins}, "
                             f"bin_boundaries={bin_boundaries}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: set either `num_bins` (then call adapt()) or "
                             "`bin_boundaries`.")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: `num_bins` must be >= 0; received {num_bins}.")
        if bin_boundaries is not None and np.any(np.diff(bin_boundaries) < 0):
            raise ValueError("Discretization: `bin_boundaries` must be sorted; received "
                             f"{bin_boundaries}.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def adapt(self, data, steps=None):
        """Learns ``num_bins - 1`` quantile boundaries of ``data`` (array or batches)."""
        if self.num_bins is None:
            raise ValueError(f"Discretization {self.name!r} was built with `bin_boundaries`; "
                             "construct it with `num_bins` to adapt it.")
        summary = np.zeros((2, 0), dtype="float32")
        for i, batch in enumerate(batches(self, data)):
            if steps is not None and i >= steps:
                break
            new = _summarize(batch.astype("float32"), self.epsilon)
            summary = _merge(new, summary, self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r} has no bin boundaries yet: pass "
                             "`bin_boundaries` or call adapt(data) first.")
        x = raw(inputs)
        if x.dtype.kind not in "iuf":
            raise TypeError(f"Discretization {self.name!r} expects numeric inputs; received "
                            f"dtype {x.dtype}.")
        indices = np.digitize(x, np.asarray(self.bin_boundaries, dtype="float64"))
        dtype = "int32" if self.output_mode == "int" else self.compute_dtype
        return Tensor(encode(indices, self.output_mode, len(self.bin_boundaries) + 1, dtype))

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("trainable", None)
        cfg.update({"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                    "epsilon": self.epsilon, "output_mode": self.output_mode,
                    "sparse": self.sparse})
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)


# Streaming quantiles, as Keras's Discretization computes them: a summary is a 2 x k array
# of (value, weight) pairs; batches are summarised at ~1/epsilon evenly spaced order
# statistics, merged by value and re-compressed by interpolating cumulative weights.
def _summarize(values, epsilon):
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.full(picked.shape, step, dtype=picked.dtype)])


def _merge(new, previous, epsilon):
    merged = np.concatenate((new, previous), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    values = np.interp(percents, cum / cum[-1], summary[0])
    cum = np.interp(percents, cum / cum[-1], cum)
    return np.stack((values, np.diff(cum, prepend=0.0))).astype("float32")
