"""Merging layers: shape errors, mask merging, functional forms, and graph scenarios."""

import numpy as np
import pytest

import kcore
from kcore.layers.core import Dense, Masking
from kcore.layers.embedding import Embedding
from kcore.layers.merging import (Add, Concatenate, Dot, Maximum, Multiply, Subtract, add,
                                  average, concatenate, dot, maximum, minimum, multiply,
                                  subtract)


def _masked(x, mask):
    t = kcore.ops.convert_to_tensor(np.asarray(x, "float32"))
    t._keras_mask = np.asarray(mask)
    return t


def test_add_mismatched_shapes_names_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        Add(name="res_add")([np.zeros((2, 3)), np.zeros((2, 4))])
    assert "res_add" in str(info.value) and "(2, 3)" in str(info.value) and "(2, 4)" in str(info.value)
    with pytest.raises(ValueError, match="res_add2"):
        Add(name="res_add2")([kcore.Input((3,)), kcore.Input((4,))])


def test_merge_layers_need_a_list():
    with pytest.raises(ValueError, match="list of tensors"):
        Add()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([np.zeros((2, 3))] * 3)
    with pytest.raises(ValueError, match="batch sizes"):
        Add()([np.zeros((2, 3)), np.zeros((3, 3))])


def test_concatenate_and_dot_shape_errors():
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        Concatenate(axis=1, name="cat")([np.zeros((2, 3, 2)), np.zeros((2, 3, 4))])
    with pytest.raises(ValueError, match="incompatible input shapes"):
        Dot(axes=1)([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="batch axis"):
        Dot(axes=(0, 1))([np.zeros((2, 3)), np.zeros((2, 3))])


def test_functional_forms_match_layers():
    a, b = np.random.default_rng(0).normal(size=(2, 2, 3)).astype("float32")
    np.testing.assert_allclose(add([a, b]).numpy(), a + b, rtol=1e-6)
    np.testing.assert_allclose(subtract([a, b]).numpy(), a - b, rtol=1e-6)
    np.testing.assert_allclose(multiply([a, b]).numpy(), a * b, rtol=1e-6)
    np.testing.assert_allclose(average([a, b]).numpy(), (a + b) / 2, rtol=1e-6)
    np.testing.assert_allclose(maximum([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(minimum([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(concatenate([a, b], axis=0).numpy(), np.concatenate([a, b]))
    np.testing.assert_allclose(dot([a, b], axes=1).numpy(), (a * b).sum(1, keepdims=True),
                               rtol=1e-5)
    x = kcore.Input((3,))
    assert concatenate([x, x]).shape == (None, 6)


def test_elementwise_merge_ors_masks():
    x1 = _masked(np.ones((2, 3, 1)), [[True, False, False], [True, True, False]])
    x2 = _masked(np.ones((2, 3, 1)), [[False, True, False], [True, False, False]])
    out = Add()([x1, x2])
    np.testing.assert_array_equal(out._keras_mask, [[True, True, False], [True, True, False]])
    assert Add()([x1, kcore.ops.convert_to_tensor(np.ones((2, 3, 1), "float32"))])._keras_mask is None


def test_maximum_and_multiply_ignore_masked_entries():
    x1 = _masked([[[5.0], [1.0]]], [[False, True]])
    x2 = _masked([[[2.0], [3.0]]], [[True, True]])
    np.testing.assert_allclose(Maximum()([x1, x2]).numpy(), [[[2.0], [3.0]]])
    y1 = _masked([[[5.0], [2.0]]], [[False, True]])
    y2 = _masked([[[4.0], [3.0]]], [[False, True]])
    np.testing.assert_allclose(Multiply()([y1, y2]).numpy(), [[[0.0], [6.0]]])


def test_concatenate_merges_partial_masks():
    x1 = _masked(np.ones((1, 3, 2)), [[True, False, True]])
    x2 = kcore.ops.convert_to_tensor(np.ones((1, 3, 2), "float32"))
    out = Concatenate(axis=1)([x1, x2])
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True, True, True, True]])
    out = Concatenate()([x1, x2])
    np.testing.assert_array_equal(out._keras_mask, [[True, True, True]])


def test_masks_flow_from_embedding_through_merge():
    ids = np.array([[3, 0, 2]])
    e1, e2 = Embedding(5, 2, mask_zero=True), Embedding(5, 2, mask_zero=True)
    out = Add()([e1(ids), e2(ids)])
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True]])
    out = Masking()(np.array([[[1.0], [0.0]]], "float32"))
    np.testing.assert_array_equal(Add()([out, out])._keras_mask, [[True, False]])


def test_residual_block_with_add():
    inputs = kcore.Input((8,))
    h = Dense(8, activation="relu")(inputs)
    h = Dense(8)(h)
    outputs = Add()([inputs, h])
    model = kcore.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    y = model.predict(x, verbose=0)
    assert y.shape == (4, 8)
    d1, d2 = [layer for layer in model.layers if isinstance(layer, Dense)]
    hidden = np.maximum(x @ d1.kernel.numpy() + d1.bias.numpy(), 0)
    np.testing.assert_allclose(y, x + hidden @ d2.kernel.numpy() + d2.bias.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_inception_module_with_concatenate():
    from kcore.layers.reshaping import Flatten

    inputs = kcore.Input((6, 6, 3))
    flat = Flatten()(inputs)
    branches = [Dense(4, activation="relu")(flat), Dense(2)(flat), Dense(5, activation="tanh")(flat)]
    merged = Concatenate(name="mixed")(branches)
    outputs = Dense(3, activation="softmax")(merged)
    model = kcore.Model(inputs, outputs)
    assert merged.shape == (None, 11)
    assert model.predict(np.zeros((2, 6, 6, 3), "float32"), verbose=0).shape == (2, 3)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(np.ones((4, 6, 6, 3), "float32"), np.eye(3)[[0, 1, 2, 0]].astype("float32"),
              epochs=1, verbose=0)


def test_siamese_shared_layer_has_one_weight_set():
    left, right = kcore.Input((5,), name="left"), kcore.Input((5,), name="right")
    shared = Dense(4, activation="tanh", name="shared")
    distance = Dot(axes=1, normalize=True)([shared(left), shared(right)])
    model = kcore.Model([left, right], distance)
    assert distance.shape == (None, 1)
    assert len(shared.weights) == 2
    assert len(shared._inbound_nodes) == 2
    assert len([w for w in model.weights if w.path.startswith("shared")]) == 2
    assert len(model.trainable_weights) == 2
    x = np.random.default_rng(1).normal(size=(3, 5)).astype("float32")
    np.testing.assert_allclose(model.predict([x, x], verbose=0), np.ones((3, 1)), rtol=1e-5)
