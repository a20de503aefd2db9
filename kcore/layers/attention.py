"""Attention layers: ``Attention`` (Luong), ``AdditiveAttention`` (Bahdanau) and
``MultiHeadAttention`` (Vaswani et al.), with Keras 3's arguments, masks and weights.

Masked positions get a large negative score before the softmax, as in Keras (``-1e9``), so
they receive zero weight; a fully masked row attends to nothing (MultiHeadAttention) or
uniformly (Attention), as in Keras.
"""

import math
import string

import numpy as np

from kcore import constraints, initializers, ops, regularizers
from kcore import random as krandom
from kcore.backend.serialization import serialize_keras_object
from kcore.backend.tensor import Tensor
from kcore.layers.einsum_dense import EinsumDense
from kcore.layers.layer import Layer, _NameScope
from kcore.layers.regularization import Dropout

_LARGE_NEGATIVE = -1e9


def _array(mask):
    return None if mask is None else np.asarray(mask.value if isinstance(mask, Tensor) else mask)


def _causal_mask(q_len, v_len):
    """``(1, q_len, v_len)`` booleans: position ``i`` sees positions ``j <= i``."""
    return np.tril(np.ones((q_len, v_len), dtype=bool))[None]


# -- Attention / AdditiveAttention ---------------------------------------------------------
class Attention(Layer):
    """Dot-product (Luong-style) attention.

    ``scores = query @ key^T`` (times a learned ``scale`` if ``use_scale``), or with
    ``score_mode="concat"``: ``concat_score_weight * sum(tanh(scale * (q + k)), -1)``;
    ``output = softmax(scores) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` for the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: dropout rate on the attention weights (training only).
        seed: int seed of the dropout.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``; query ``(batch, Tq, dim)``,
            value ``(batch, Tv, dim)``, key ``(batch, Tv, dim)`` (default: ``value``).
        mask: ``[query_mask, value_mask]``, booleans ``(batch, Tq)`` and ``(batch, Tv)``.
        training: whether dropout applies.
        return_attention_scores: also return the weights ``(batch, Tq, Tv)``.
        use_causal_mask: query position ``i`` attends only to value positions ``<= i``.

    Output shape: ``(batch, Tq, dim)``. Weights: ``scale ()`` if ``use_scale``, then
    ``concat_score_weight ()`` for ``score_mode="concat"``.

    Example:
        >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
        >>> kcore.layers.Attention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention `score_mode` must be 'dot' or 'concat', got "
                             f"{score_mode!r}.")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self.seed_generator = krandom.SeedGenerator(seed) if dropout > 0 else None
        self.supports_masking = True
        self.scale = None
        self.concat_score_weight = None

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), name="scale", initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), name="concat_score_weight",
                                                       initializer="ones")
        self.built = True

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} {self.name!r} must be called on a list [query, value] or "
                             f"[query, value, key]; received {type(inputs).__name__}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} {self.name!r}: `mask` must be a list [query_mask, "
                             f"value_mask]; received {mask!r}.")

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        q = ops.expand_dims(query, -2)
        k = ops.expand_dims(key, -3)
        summed = ops.add(q, k)
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(summed), axis=-1))

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = _array(mask[0]) if mask else None
        v_mask = _array(mask[1]) if mask else None
        scores = self._calculate_scores(query, key)
        allowed = None if v_mask is None else v_mask.astype(bool)[:, None, :]
        if use_causal_mask:
            causal = _causal_mask(scores.shape[-2], scores.shape[-1])
            allowed = causal if allowed is None else allowed & causal
        if allowed is not None:
            penalty = np.where(allowed, 0.0, _LARGE_NEGATIVE).astype(scores.dtype)
            scores = ops.add(scores, penalty)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = krandom.dropout(weights, self.dropout, seed=self.seed_generator)
        out = ops.matmul(weights, value)
        if q_mask is not None:
            out = ops.multiply(out, q_mask.astype(out.dtype)[..., None])
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return _array(mask[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                    "dropout": self.dropout, "seed": self.seed})
        return cfg


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: ``scores = sum(scale * tanh(q + k), -1)``.

    Args:
        use_scale: learn a per-feature ``scale`` (shape ``(dim,)``); otherwise 1.
        dropout: dropout rate on the attention weights (training only).
        seed: int seed of the dropout.

    Call arguments and shapes: as ``Attention``. Weights: ``scale (dim,)`` if ``use_scale``.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(input_shape[0][-1],), name="scale",
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        t = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            t = ops.multiply(self.scale, t)
        return ops.sum(t, axis=-1)

    def get_config(self):
        cfg = super().get_config()
        del cfg["score_mode"]
        return cfg


# -- MultiHeadAttention --------------------------------------------------------------------
def _proj_equation(free_dims, bound_dims, output_dims):
    """Einsum equation and bias axes of a projection, e.g. ``"abc,cde->abde"``, ``"de"``."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out


def _attention_equations(rank, attn_axes):
    """Score and combine equations for projected tensors of ``rank`` (Keras's layout).

    Projected tensors are ``(batch, <non-attention axes>, <attention axes>, heads, dim)``;
    scores are ``(batch, <non-attention axes>, heads, <query axes>, <key axes>)``.
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = ("".join(target[i] for i in batch_dims) + "".join(target[i] for i in attn_axes)
               + "".join(source[i] for i in attn_axes))
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), with Keras's weight layout.

    Projects ``query``, ``key`` and ``value`` to ``num_heads`` heads, computes
    ``softmax(q k^T / sqrt(key_dim))`` per head over ``attention_axes``, combines the values
    and projects back to ``output_shape`` (default: the query's last dimension).

    Args:
        num_heads: number of heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention weights (training only).
        use_bias: whether the projections have biases.
        output_shape: output size(s) after the batch and sequence axes (int or tuple).
        attention_axes: axes attention runs over (default: all but batch, heads, features).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        seed: int seed of the dropout.

    Call arguments:
        query: ``(batch, T, dim)``; value: ``(batch, S, dim_v)``; key: ``(batch, S, dim_k)``
            (default ``value``).
        query_mask, value_mask, key_mask: boolean ``(batch, T)`` / ``(batch, S)`` masks (the
            inputs' Keras masks are used when present).
        attention_mask: boolean ``(batch, T, S)``; ``True`` = may attend.
        return_attention_scores: also return the weights ``(batch, heads, T, S)``.
        training: whether dropout applies.
        use_causal_mask: position ``i`` attends only to positions ``<= i``.

    Output shape: ``(batch, T, dim)`` (or ``output_shape``).
    Weights, in order: ``query/kernel (dim, heads, key_dim)``, ``query/bias (heads,
    key_dim)``, the same for ``key`` and ``value``, ``attention_output/kernel (heads,
    value_dim, dim)``, ``attention_output/bias (dim,)``.

    Example:
        >>> mha = kcore.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.random.rand(2, 5, 8).astype("float32")
        >>> mha(x, x).shape
        (2, 5, 8)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        use_gate = kwargs.pop("use_gate", False)
        sliding_window = kwargs.pop("sliding_window", None)
        super().__init__(**kwargs)
        if use_gate or sliding_window is not None:
            raise ValueError(f"MultiHeadAttention {self.name!r}: use_gate and sliding_window "
                             "are not supported by kcore (use the defaults False / None).")
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        if output_shape:
            output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self._output_shape = output_shape or None
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"MultiHeadAttention `attention_axes` must be an int, list or tuple, "
                             f"got {attention_axes!r}.")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    def _sublayer_kwargs(self):
        return dict(kernel_initializer=self._kernel_initializer.clone(),
                    bias_initializer=self._bias_initializer.clone(),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype)

    def _projection(self, name, free_dims, bound_dims, out_shape):
        equation, bias_axes = _proj_equation(free_dims, bound_dims, len(out_shape))
        return EinsumDense(equation, output_shape=[None] * (free_dims - 1) + list(out_shape),
                           bias_axes=bias_axes if self._use_bias else None, name=name,
                           **self._sublayer_kwargs())

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: all dimensions of `value` and `key` except "
                f"the last must be equal. Received value_shape={tuple(value_shape)} and "
                f"key_shape={tuple(key_shape)}."
            )
        heads, free = self._num_heads, len(query_shape) - 1
        with _NameScope(self):
            self._query_dense = self._projection("query", free, 1, (heads, self._key_dim))
            self._query_dense._build_with_shapes(tuple(query_shape))
            self._key_dense = self._projection("key", len(key_shape) - 1, 1, (heads, self._key_dim))
            self._key_dense._build_with_shapes(tuple(key_shape))
            self._value_dense = self._projection("value", len(value_shape) - 1, 1,
                                                 (heads, self._value_dim))
            self._value_dense._build_with_shapes(tuple(value_shape))
            self._build_attention(len(value_shape) + 1)
            out_shape = self._output_shape or (query_shape[-1],)
            self._output_dense = self._projection("attention_output", free, 2, out_shape)
            self._output_dense._build_with_shapes(
                tuple(query_shape[:-1]) + (heads, self._value_dim))
        self.built = True

    def _build_attention(self, rank):
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a
                                         for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._attention_axes)
        n = len(self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - n, scores_rank))
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if key is None:
            key = value
        # The inputs' own Keras masks win, as in Keras.
        query_mask = _keras_mask(query, query_mask)
        value_mask = _keras_mask(value, value_mask)
        key_mask = None if key is value else _keras_mask(key, key_mask)
        mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                            attention_mask, use_causal_mask)
        # The masks are handled here, at the layer's level: the projections get the inputs
        # without them (as in Keras), which are restored afterwards.
        held = list({id(t): (t, t._keras_mask) for t in (query, key, value)
                     if isinstance(t, Tensor)}.values())
        for t, _ in held:
            t._keras_mask = None
        try:
            q = self._query_dense(query)
            k = self._key_dense(key)
            v = self._value_dense(value)
        finally:
            for t, m in held:
                t._keras_mask = m
        out, scores = self._compute_attention(q, k, v, mask, training)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        query = ops.multiply(query, np.asarray(self._inverse_sqrt_key_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        weights = self._dropout_layer(scores, training=training) if self._dropout else scores
        return ops.einsum(self._combine_equation, weights, value), scores

    def _masked_softmax(self, scores, mask=None):
        if mask is None:
            return ops.softmax(scores, axis=self._norm_axes)
        axis = -len(self._attention_axes) * 2 - 1
        for _ in range(scores.ndim - mask.ndim):
            mask = np.expand_dims(mask, axis)
        scores = ops.where(mask, scores, np.asarray(_LARGE_NEGATIVE, scores.dtype))
        # A fully masked row would be uniform after the softmax; Keras zeroes it.
        return ops.multiply(ops.softmax(scores, axis=self._norm_axes), mask.astype(scores.dtype))

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None,
                                key_mask=None, attention_mask=None, use_causal_mask=False):
        auto = None
        if query_mask is not None:
            auto = query_mask.astype(bool)[..., None]
        for m in (value_mask, key_mask):
            if m is not None:
                m = m.astype(bool)[..., None, :]
                auto = m if auto is None else auto & m
        if use_causal_mask:
            m = _causal_mask(query.shape[1], value.shape[1])
            auto = m if auto is None else auto & m
        if attention_mask is not None:
            attention_mask = _array(attention_mask).astype(bool)
        if auto is not None:
            attention_mask = auto if attention_mask is None else attention_mask & auto
        return attention_mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self._attention_axes is None else list(self._attention_axes),
            "kernel_initializer": serialize_keras_object(self._kernel_initializer),
            "bias_initializer": serialize_keras_object(self._bias_initializer),
            "kernel_regularizer": serialize_keras_object(self._kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self._bias_regularizer),
            "activity_regularizer": serialize_keras_object(self._activity_regularizer),
            "kernel_constraint": serialize_keras_object(self._kernel_constraint),
            "bias_constraint": serialize_keras_object(self._bias_constraint),
            "seed": self.seed,
        })
        return cfg


def _keras_mask(x, explicit):
    mask = getattr(x, "_keras_mask", None)
    return _array(mask if mask is not None else explicit)
