"""Harness cases: attention layers."""

from kcore.layers import attention

from harness import LayerCase


class MultiHeadAttention(attention.MultiHeadAttention):
    """Harness adapter: the harness passes several inputs as one list ``[query, value(, key)]``;
    MultiHeadAttention takes them as separate arguments (Keras's call signature)."""

    def build(self, input_shape):
        super().build(*input_shape)

    def call(self, inputs, training=None, **kwargs):
        return super().call(*inputs, training=training, **kwargs)


Attention = attention.Attention
AdditiveAttention = attention.AdditiveAttention

CASES = [
    LayerCase(Attention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), id="Attention"),
    LayerCase(Attention, {"use_scale": True, "score_mode": "concat"},
              [(2, 3, 4), (2, 5, 4), (2, 5, 4)], (2, 3, 4), id="Attention-concat-scale-qvk"),
    LayerCase(Attention, {"use_scale": True}, [(2, 4, 3), (2, 4, 3)], [(2, 4, 3), (2, 4, 4)],
              call_kwargs={"use_causal_mask": True, "return_attention_scores": True},
              id="Attention-causal-scores"),
    LayerCase(Attention, {"dropout": 0.5, "seed": 1}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4),
              training_differs=True, random_in_training=True, id="Attention-dropout"),
    LayerCase(AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), id="AdditiveAttention"),
    LayerCase(AdditiveAttention, {"use_scale": False}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)],
              (2, 3, 4), id="AdditiveAttention-noscale-qvk"),
    LayerCase(MultiHeadAttention, {"num_heads": 2, "key_dim": 3}, [(2, 3, 4), (2, 5, 4)],
              (2, 3, 4), id="MultiHeadAttention"),
    LayerCase(MultiHeadAttention, {"num_heads": 2, "key_dim": 3, "value_dim": 2,
                                   "output_shape": 5, "use_bias": False},
              [(2, 3, 4), (2, 5, 6), (2, 5, 5)], (2, 3, 5), id="MultiHeadAttention-qvk-outshape"),
    LayerCase(MultiHeadAttention, {"num_heads": 2, "key_dim": 2}, [(2, 4, 3), (2, 4, 3)],
              [(2, 4, 3), (2, 2, 4, 4)],
              call_kwargs={"use_causal_mask": True, "return_attention_scores": True},
              id="MultiHeadAttention-causal-scores"),
    LayerCase(MultiHeadAttention, {"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)},
              [(2, 3, 2, 4), (2, 3, 2, 4)], (2, 3, 2, 4), id="MultiHeadAttention-2d-axes"),
    LayerCase(MultiHeadAttention, {"num_heads": 2, "key_dim": 3, "dropout": 0.5, "seed": 3},
              [(2, 3, 4), (2, 5, 4)], (2, 3, 4), training_differs=True, random_in_training=True,
              id="MultiHeadAttention-dropout"),
]
