"""``Embedding``: integer ids → dense vectors, with an optional padding mask."""

import numpy as np

from kcore import constraints, initializers, ops, regularizers
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.layer import Layer


class Embedding(Layer):
    """Maps integer ids in ``[0, input_dim)`` to vectors of size ``output_dim``.

    The lookup is one gather (``kcore.ops.take``) whose gradient scatter-adds into the
    rows that were used, so repeated ids accumulate.

    Args:
        input_dim: vocabulary size (largest id + 1).
        output_dim: embedding size.
        embeddings_initializer: initializer of the table (default ``"uniform"``,
            i.e. ``RandomUniform(-0.05, 0.05)``).
        embeddings_regularizer, embeddings_constraint: optional penalty and constraint.
        mask_zero: whether id 0 is padding: the output then carries the mask ``ids != 0``
            for downstream layers (so id 0 cannot be a real token).
        weights: optional initial table, as ``[array(input_dim, output_dim)]``.

    Input shape: ``(batch, ...)`` integer ids. Output shape: ``(batch, ..., output_dim)``.
    Weights: ``embeddings (input_dim, output_dim)``.

    Example:
        >>> emb = kcore.layers.Embedding(1000, 64, mask_zero=True)
        >>> emb(np.array([[4, 7, 0]])).shape
        (1, 3, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding `{arg}` must be a positive integer, got {value!r}.")
        if lora_rank is not None or quantization_config is not None:
            raise ValueError("kcore's Embedding does not support LoRA or quantization.")
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          name="embeddings")
        self.built = True

    def call(self, inputs):
        ids = np.asarray(getattr(inputs, "value", inputs))
        if ids.dtype.kind not in "iu":
            ids = ids.astype(np.int32)
        self.check_ids(ids)
        return ops.take(self.embeddings, ids, axis=0)

    def check_ids(self, ids, where=None):
        """Raises a clear ``ValueError`` unless every id is in ``[0, input_dim)``.

        (numpy would raise an ``IndexError`` for a large id and silently take the last
        row for -1.)
        """
        if ids.size == 0:
            return
        low, high = ids.min(), ids.max()
        if low >= 0 and high < self.input_dim:
            return
        bad = low if low < 0 else high
        prefix = f"{where}: " if where else ""
        raise ValueError(
            f"{prefix}Embedding layer {self.name!r} expects ids in [0, {self.input_dim}) "
            f"(input_dim={self.input_dim}); received id {bad:g} (ids range from {low:g} to "
            f"{high:g}). Map unknown tokens to a reserved id (e.g. 1 for out-of-vocabulary) "
            f"or raise input_dim to at least {int(max(high, 0)) + 1}.")

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return np.asarray(getattr(inputs, "value", inputs)) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize_keras_object(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return cfg
