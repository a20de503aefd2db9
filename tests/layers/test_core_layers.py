"""Behaviour of core, reshaping, regularization and activation layers beyond the harness."""

import numpy as np
import pytest

import kcore
from kcore.backend.autodiff import GradientTape
from kcore.layers.activations import LeakyReLU, PReLU, Softmax
from kcore.layers.core import Dense, Masking
from kcore.layers.einsum_dense import EinsumDense
from kcore.layers.embedding import Embedding
from kcore.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout,
                                         GaussianDropout, SpatialDropout1D)
from kcore.layers.reshaping import Cropping1D, Reshape, UpSampling2D, ZeroPadding2D


def test_embedding_gradient_scatter_adds_repeated_ids():
    emb = Embedding(4, 2)
    ids = np.array([[1, 1, 3]])
    with GradientTape() as tape:
        out = emb(ids)
        loss = kcore.ops.sum(out)
    g = tape.gradient(loss, emb.embeddings).numpy()
    np.testing.assert_allclose(g, [[0, 0], [2, 2], [0, 0], [1, 1]])
    assert out.dtype == "float32" and ids.dtype.kind == "i"


def test_embedding_mask_and_initial_weights():
    table = np.arange(8, dtype="float32").reshape(4, 2)
    emb = Embedding(4, 2, mask_zero=True, weights=[table])
    out = emb(np.array([[2, 0]]))
    np.testing.assert_allclose(out.numpy(), [[[4, 5], [0, 1]]])
    np.testing.assert_array_equal(out._keras_mask, [[True, False]])
    assert emb.weights[0].path == f"{emb.name}/embeddings"
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 3)


def test_masking_zeroes_masked_steps_and_blocks_their_gradient():
    x = kcore.ops.convert_to_tensor(np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]], "float32"))
    with GradientTape() as tape:
        tape.watch(x)
        out = Masking()(x)
        loss = kcore.ops.sum(kcore.ops.multiply(out, np.arange(6.0).reshape(1, 3, 2)))
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True]])
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[[0, 1], [0, 0], [4, 5]]])


def test_softmax_mask_gives_zero_probability():
    x = np.zeros((1, 4), "float32")
    out = Softmax()(x, mask=np.array([[True, False, True, True]])).numpy()
    np.testing.assert_allclose(out, [[1 / 3, 0, 1 / 3, 1 / 3]], rtol=1e-6)
    with pytest.raises(ValueError, match="broadcastable"):
        Softmax()(np.zeros((2, 4)), mask=np.ones((2, 3), bool))


def test_softmax_receives_incoming_mask():
    logits = kcore.ops.convert_to_tensor(np.zeros((1, 3), "float32"))
    logits._keras_mask = np.array([[True, True, False]])
    out = Softmax()(logits)
    np.testing.assert_allclose(out.numpy(), [[0.5, 0.5, 0.0]], rtol=1e-6)
    np.testing.assert_array_equal(out._keras_mask, [[True, True, False]])


def test_prelu_weight_shape_and_leaky_alias():
    layer = PReLU(shared_axes=[1, 2])
    layer(np.zeros((2, 3, 3, 4)))
    assert layer.alpha.shape == (1, 1, 4)
    assert LeakyReLU(alpha=0.1).negative_slope == 0.1


def test_activity_regularization_adds_the_penalty():
    layer = ActivityRegularization(l1=0.5, l2=0.25)
    x = np.array([[1.0, -2.0]], "float32")
    layer(x)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 3 + 0.25 * 5, rtol=1e-6)
    assert "activity_regularizer" not in ActivityRegularization.from_config(layer.get_config()).get_config()


def test_dropout_family_is_seeded_and_identity_at_inference():
    x = np.ones((4, 5, 6), "float32")
    a = Dropout(0.5, seed=7)(x, training=True).numpy()
    b = Dropout(0.5, seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}
    np.testing.assert_array_equal(Dropout(0.5)(x).numpy(), x)
    spatial = SpatialDropout1D(0.5, seed=1)(x, training=True).numpy()
    assert (spatial == spatial[:, :1, :]).all(), "one mask per channel for all timesteps"
    big = np.random.default_rng(0).normal(size=(200, 200)).astype("float32")
    out = AlphaDropout(0.2, seed=0)(big, training=True).numpy()
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05
    out = GaussianDropout(0.2, seed=0)(np.ones((200, 200), "float32"), training=True).numpy()
    assert abs(out.mean() - 1.0) < 0.02 and abs(out.std() - 0.5) < 0.02


def test_reshaping_shapes_and_errors():
    inputs = kcore.Input((6, 2))
    assert Reshape((-1,))(inputs).shape == (None, 12)
    assert Reshape((3, -1))(inputs).shape == (None, 3, 4)
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match="removes all"):
        Cropping1D((3, 3))(np.zeros((1, 6, 2)))
    assert ZeroPadding2D(2)(np.zeros((1, 2, 3, 1))).shape == (1, 6, 7, 1)
    # Unknown lengths are not inferred from small dummy inputs that a crop would empty.
    assert Cropping1D((2, 2))(kcore.Input((None, 3))).shape == (None, None, 3)


def test_bilinear_upsampling_uses_half_pixel_centres():
    x = np.array([0.0, 4.0], "float32").reshape(1, 1, 2, 1)
    out = UpSampling2D(size=(1, 2), interpolation="bilinear")(x).numpy().reshape(-1)
    np.testing.assert_allclose(out, [0.0, 1.0, 3.0, 4.0])


def test_einsum_dense_weight_shapes_as_keras():
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
    layer(np.zeros((2, 5, 16), "float32"))
    assert [w.shape for w in layer.weights] == [(16, 4, 8), (4, 8)]
    layer = EinsumDense("abc,cd->abd", output_shape=(None, 3), bias_axes="b")
    layer(np.zeros((2, 5, 16), "float32"))
    assert layer.bias.shape == (5, 1)
    with pytest.raises(ValueError, match="Invalid EinsumDense equation"):
        EinsumDense("ab->b", output_shape=2)(np.zeros((2, 3)))


def test_layers_accept_keras_dtype_policy_configs():
    cfg = Dense(2).get_config()
    cfg["dtype"] = {"module": "keras", "class_name": "DTypePolicy",
                    "config": {"name": "float64"}, "registered_name": None}
    assert Dense.from_config(cfg).dtype == "float64"


def _dense_composed(x, kernel, bias, activation):
    """Dense as three ops (matmul, add, activation): what the fused op must reproduce."""
    y = kcore.ops.matmul(x, kernel)
    if bias is not None:
        y = kcore.ops.add(y, bias)
    return kcore.ops.relu(y) if activation == "relu" else y


@pytest.mark.parametrize("activation", ["relu", None])
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5)])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_dense_fused_op_gives_the_composed_numbers(activation, shape, use_bias, dtype):
    """Dense runs matmul + bias + relu as one op: outputs and every gradient equal bit for bit."""
    rng = np.random.default_rng(3)
    layer = Dense(4, activation=activation, use_bias=use_bias, dtype=dtype,
                  bias_initializer="random_normal")
    x = kcore.Variable(rng.standard_normal(shape).astype(dtype), dtype=dtype)
    x.value.reshape(-1)[::7] = 0  # rows whose pre-activations hit relu's kink at 0
    layer.build(shape)
    cot = rng.standard_normal(shape[:-1] + (4,)).astype(dtype)
    results = []
    for fn in (layer, lambda v: _dense_composed(v, layer.kernel, layer.bias, activation)):
        with GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            loss = kcore.ops.sum(y * cot)
        grads = tape.gradient(loss, [x] + layer.trainable_weights)
        results.append([np.asarray(y.value)] + [g.numpy() for g in grads])
    for fused, composed in zip(*results):
        np.testing.assert_array_equal(fused, composed, strict=True)
