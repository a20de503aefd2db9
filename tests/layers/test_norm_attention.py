"""Behaviour of the normalization and attention layers beyond the generic harness:
BatchNormalization's moving statistics (training, inference, frozen, symbolic build, masks),
attention masks, and a small transformer block trained with ``fit``."""

import numpy as np
import pytest

import kcore
from kcore.backend.tensor import Tensor
from kcore.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kcore.layers.embedding import Embedding
from kcore.layers.merging import Add
from kcore.layers.normalization import (BatchNormalization, GroupNormalization,
                                        LayerNormalization)

_rng = np.random.default_rng(0)


def _x(*shape):
    return _rng.normal(size=shape).astype("float32")


def _np(t):
    return np.asarray(t.value if isinstance(t, Tensor) else t)


# -- BatchNormalization --------------------------------------------------------------------
def test_bn_training_uses_batch_stats_and_updates_moving_stats():
    x = _x(16, 3) * 2.0 + 1.0
    bn = BatchNormalization(momentum=0.9)
    y = _np(bn(x, training=True))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.9 * 0.1 * mean + 0.1 * mean, rtol=1e-5,
                               atol=1e-6)


def test_bn_inference_uses_moving_stats_and_changes_nothing():
    x = _x(8, 3)
    bn = BatchNormalization()
    bn(x)
    bn.set_weights([np.full(3, 2.0), np.full(3, 0.5), np.full(3, 1.0), np.full(3, 4.0)])
    before = bn.get_weights()
    for training in (False, None):
        y = _np(bn(x, training=training))
        np.testing.assert_allclose(y, (x - 1.0) / np.sqrt(4.0 + 1e-3) * 2.0 + 0.5, rtol=1e-6)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_frozen_bn_runs_in_inference_mode():
    x = _x(8, 3)
    bn = BatchNormalization()
    inference = _np(bn(x, training=False))
    bn.trainable = False
    np.testing.assert_allclose(_np(bn(x, training=True)), inference)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_symbolic_build_does_not_touch_moving_stats():
    inputs = kcore.Input(shape=(4,))
    bn = BatchNormalization()
    outputs = bn(inputs, training=True)
    assert outputs.shape == (None, 4)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(4))


def test_bn_training_flag_reaches_nested_layer():
    x = _x(16, 3) + 3.0
    inputs = kcore.Input(shape=(3,))
    model = kcore.Model(inputs, BatchNormalization(name="bn")(inputs))
    model(x, training=False)
    np.testing.assert_array_equal(model.get_layer("bn").moving_mean.numpy(), np.zeros(3))
    model(x, training=True)
    np.testing.assert_allclose(model.get_layer("bn").moving_mean.numpy(), 0.01 * x.mean(0),
                               rtol=1e-5)


def test_bn_mask_excludes_masked_steps_from_statistics():
    x = _x(2, 5, 3)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
    x_masked = x.copy()
    x_masked[~mask] = 100.0  # must not matter
    bn = BatchNormalization(momentum=0.0)
    y = _np(bn(x_masked, training=True, mask=mask))
    valid = x[mask]
    mean, var = valid.mean(0), valid.var(0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y[mask], (valid - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)


def test_bn_mask_from_previous_layer_is_used():
    tokens = np.array([[3, 4, 0, 0], [5, 1, 2, 0]])
    emb = Embedding(8, 3, mask_zero=True)
    bn = BatchNormalization(momentum=0.0)
    e = emb(tokens)
    bn(e, training=True)
    valid = _np(e)[tokens != 0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), valid.mean(0), rtol=1e-5, atol=1e-6)


def test_bn_rejects_renorm_and_bad_mask():
    with pytest.raises(ValueError, match="renorm"):
        BatchNormalization(renorm=True)
    with pytest.raises(ValueError, match="one dimension less"):
        BatchNormalization()(_x(2, 3, 4), training=True, mask=np.ones((2,), bool))


def test_group_normalization_rejects_bad_groups():
    with pytest.raises(ValueError, match="multiple of `groups`"):
        GroupNormalization(groups=3)(_x(2, 4))


def test_layer_normalization_matches_formula():
    x = _x(2, 3, 4)
    ln = LayerNormalization(epsilon=1e-5)
    ln(x)
    gamma, beta = _x(4), _x(4)
    ln.set_weights([gamma, beta])
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(_np(ln(x)), (x - mean) / np.sqrt(var + 1e-5) * gamma + beta,
                               rtol=1e-5, atol=1e-5)


# -- attention masks -----------------------------------------------------------------------
def test_attention_masks_drop_keys_and_zero_queries():
    q, v = _x(2, 3, 4), _x(2, 5, 4)
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    layer = Attention()
    out = layer([q, v], mask=[q_mask, v_mask])
    v2 = v.copy()
    v2[~v_mask] = 50.0
    out2 = layer([q, v2], mask=[q_mask, v_mask])
    np.testing.assert_allclose(_np(out), _np(out2), rtol=1e-6)
    np.testing.assert_array_equal(_np(out)[~q_mask], 0.0)
    np.testing.assert_array_equal(layer.compute_mask([q, v], [q_mask, v_mask]), q_mask)


def test_attention_scores_are_causal_and_normalised():
    x = _x(2, 4, 3)
    out, scores = AdditiveAttention()([x, x], use_causal_mask=True, return_attention_scores=True)
    s = _np(scores)
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-6)
    assert np.all(s[:, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] < 1e-6)


def test_attention_requires_a_list():
    with pytest.raises(ValueError, match=r"\[query, value\]"):
        Attention()(_x(2, 3, 4))


def test_mha_keras_masks_equal_explicit_attention_mask():
    x = _x(2, 4, 6)
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    mha = MultiHeadAttention(num_heads=2, key_dim=3)
    explicit = mha(x, x, attention_mask=mask[:, :, None] & mask[:, None, :])
    t = kcore.ops.convert_to_tensor(x)
    t._keras_mask = mask
    implicit = mha(t, t)
    np.testing.assert_allclose(_np(implicit), _np(explicit), rtol=1e-6)
    np.testing.assert_array_equal(implicit._keras_mask, mask)
    x2 = x.copy()
    x2[~mask] = 9.0
    t2 = kcore.ops.convert_to_tensor(x2)
    t2._keras_mask = mask
    np.testing.assert_allclose(_np(mha(t2, t2))[mask], _np(implicit)[mask], rtol=1e-5, atol=1e-6)


def test_mha_weight_paths_and_scores_shape():
    mha = MultiHeadAttention(num_heads=3, key_dim=2, name="mha")
    out, scores = mha(_x(2, 4, 5), _x(2, 6, 7), return_attention_scores=True)
    assert out.shape == (2, 4, 5) and scores.shape == (2, 3, 4, 6)
    assert [v.path for v in mha.weights] == [
        "mha/query/kernel", "mha/query/bias", "mha/key/kernel", "mha/key/bias",
        "mha/value/kernel", "mha/value/bias", "mha/attention_output/kernel",
        "mha/attention_output/bias"]
    assert [v.shape for v in mha.weights][:2] == [(5, 3, 2), (3, 2)]
    assert mha.get_config()["attention_axes"] == [1]


def test_mha_symbolic_call_with_scores():
    q = kcore.Input(shape=(4, 5))
    v = kcore.Input(shape=(6, 5))
    out, scores = MultiHeadAttention(num_heads=2, key_dim=3)(q, v, return_attention_scores=True)
    assert out.shape == (None, 4, 5) and scores.shape == (None, 2, 4, 6)


def test_mha_rejects_unsupported_options():
    with pytest.raises(ValueError, match="use_gate"):
        MultiHeadAttention(num_heads=2, key_dim=2, use_gate=True)


# -- a transformer block trained with fit ---------------------------------------------------
def _transformer_classifier(seq_len=6, dim=8, classes=3):
    inputs = kcore.Input(shape=(seq_len, dim))
    attn = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, name="mha")(inputs, inputs)
    x = LayerNormalization(epsilon=1e-6)(Add()([inputs, attn]))
    ff = kcore.layers.Dense(16, activation="relu")(x)
    ff = kcore.layers.Dense(dim)(ff)
    x = LayerNormalization(epsilon=1e-6)(Add()([x, ff]))
    x = BatchNormalization(name="bn")(x)
    x = kcore.layers.Flatten()(x)
    outputs = kcore.layers.Dense(classes, activation="softmax")(x)
    return kcore.Model(inputs, outputs)


def test_transformer_block_trains_with_fit():
    kcore.utils.set_random_seed(0)
    x = _x(64, 6, 8)
    y = (x[:, :, 0].sum(1) > 0).astype("int32") + (x[:, 0, 1] > 1).astype("int32")
    model = _transformer_classifier()
    model.compile(optimizer=kcore.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    bn = model.get_layer("bn")
    moving = bn.moving_mean.numpy()
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    assert not np.allclose(bn.moving_mean.numpy(), moving)
    moving = bn.moving_mean.numpy()
    pred = model.predict(x, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving)
    np.testing.assert_allclose(pred, _np(model(x, training=False)), rtol=1e-5, atol=1e-6)


def test_transformer_block_h5_round_trip(tmp_path):
    kcore.utils.set_random_seed(1)
    x = _x(16, 6, 8)
    y = (x[:, 0, 0] > 0).astype("int32")
    model = _transformer_classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "block.h5"
    model.save(path)
    custom = {cls.__name__: cls for cls in (Add, BatchNormalization, LayerNormalization,
                                            MultiHeadAttention)}
    loaded = kcore.models.load_model(path, custom_objects=custom)
    assert [v.path for v in loaded.weights] == [v.path for v in model.weights]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
