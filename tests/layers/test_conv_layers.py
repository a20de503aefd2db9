"""Convolution and pooling layers beyond the shared harness: Keras signatures, errors a
user can act on, masks, output-shape inference, dtypes, and a small CNN trained with fit."""

import importlib.util
import inspect
import pathlib

import numpy as np
import pytest

import kcore
from kcore import ops
from kcore.backend.autodiff import GradientTape
from kcore.layers import conv_depthwise, convolutional, pooling
from kcore.layers.convolutional import Conv1D, Conv2D, Conv2DTranspose
from kcore.layers.embedding import Embedding
from kcore.layers.pooling import AveragePooling2D, GlobalAveragePooling1D, MaxPooling2D

from harness import call_layer, make_inputs  # noqa: E402

_HERE = pathlib.Path(__file__).parent


def _cases(stem):
    spec = importlib.util.spec_from_file_location(f"conv_tests_{stem}", _HERE / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


CASES = _cases("cases_conv") + _cases("cases_pooling")

# Keras 3.15.1 signatures (inspect.signature), from keras_semantics.md Appendix A.
KERAS_SIGNATURES = {
    "Conv2D": "(filters, kernel_size, strides=(1, 1), padding='valid', data_format=None, "
              "dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, "
              "kernel_initializer='glorot_uniform', bias_initializer='zeros', "
              "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
              "kernel_constraint=None, bias_constraint=None, **kwargs)",
    "Conv2DTranspose": "(filters, kernel_size, strides=(1, 1), padding='valid', "
                       "output_padding=None, data_format=None, dilation_rate=(1, 1), "
                       "activation=None, use_bias=True, kernel_initializer='glorot_uniform', "
                       "bias_initializer='zeros', kernel_regularizer=None, "
                       "bias_regularizer=None, activity_regularizer=None, "
                       "kernel_constraint=None, bias_constraint=None, **kwargs)",
    "SeparableConv2D": "(filters, kernel_size, strides=(1, 1), padding='valid', "
                       "data_format=None, dilation_rate=(1, 1), depth_multiplier=1, "
                       "activation=None, use_bias=True, depthwise_initializer='glorot_uniform', "
                       "pointwise_initializer='glorot_uniform', bias_initializer='zeros', "
                       "depthwise_regularizer=None, pointwise_regularizer=None, "
                       "bias_regularizer=None, activity_regularizer=None, "
                       "depthwise_constraint=None, pointwise_constraint=None, "
                       "bias_constraint=None, **kwargs)",
    "DepthwiseConv2D": "(kernel_size, strides=(1, 1), padding='valid', depth_multiplier=1, "
                       "data_format=None, dilation_rate=(1, 1), activation=None, "
                       "use_bias=True, depthwise_initializer='glorot_uniform', "
                       "bias_initializer='zeros', depthwise_regularizer=None, "
                       "bias_regularizer=None, activity_regularizer=None, "
                       "depthwise_constraint=None, bias_constraint=None, **kwargs)",
    "MaxPooling1D": "(pool_size=2, strides=None, padding='valid', data_format=None, name=None, "
                    "**kwargs)",
    "MaxPooling2D": "(pool_size=(2, 2), strides=None, padding='valid', data_format=None, "
                    "name=None, **kwargs)",
    "MaxPooling3D": "(pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None, "
                    "name=None, **kwargs)",
    "AveragePooling2D": "(pool_size, strides=None, padding='valid', data_format=None, "
                        "name=None, **kwargs)",
    "GlobalAveragePooling1D": "(data_format=None, keepdims=False, **kwargs)",
    "GlobalMaxPooling3D": "(data_format=None, keepdims=False, **kwargs)",
}
_MODULES = (convolutional, conv_depthwise, pooling)


def _cls(name):
    return next(getattr(m, name) for m in _MODULES if hasattr(m, name))


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_is_keras(name):
    assert str(inspect.signature(_cls(name))) == KERAS_SIGNATURES[name]


@pytest.mark.parametrize("alias, name", [
    ("Convolution1D", "Conv1D"), ("Convolution2D", "Conv2D"), ("Convolution3D", "Conv3D"),
    ("Convolution1DTranspose", "Conv1DTranspose"), ("Convolution2DTranspose", "Conv2DTranspose"),
    ("Convolution3DTranspose", "Conv3DTranspose"), ("SeparableConvolution1D", "SeparableConv1D"),
    ("SeparableConvolution2D", "SeparableConv2D"), ("MaxPool2D", "MaxPooling2D"),
    ("AvgPool1D", "AveragePooling1D"), ("AvgPool3D", "AveragePooling3D"),
    ("GlobalMaxPool1D", "GlobalMaxPooling1D"), ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
])
def test_keras_aliases(alias, name):
    assert _cls(alias) is _cls(name)


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_compute_output_shape_matches_the_call(case):
    layer = case.cls(**case.kwargs)
    out = call_layer(layer, case, make_inputs(case))
    assert layer.compute_output_shape(case.input_shape) == out.shape
    batchless = layer.compute_output_shape((None,) + tuple(case.input_shape[1:]))
    assert batchless == (None,) + out.shape[1:]


def test_conv2d_on_a_2d_input_says_what_to_do():
    layer = Conv2D(4, 3, name="conv_a")
    with pytest.raises(ValueError) as e:
        layer(np.zeros((32, 784), "float32"))
    msg = str(e.value)
    for part in ("'conv_a'", "ndim=4", "(batch, height, width, channels)", "(32, 784)",
                 "Reshape"):
        assert part in msg


def test_conv2d_without_channels_axis_suggests_the_reshape():
    with pytest.raises(ValueError, match=r"Reshape\(\(28, 28, 1\)\).*expand_dims"):
        Conv2D(4, 3)(np.zeros((8, 28, 28), "float32"))


def test_wrong_rank_after_build_and_wrong_channels():
    layer = Conv1D(2, 3, name="c1")
    layer(np.zeros((2, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r"'c1'.*ndim=3.*\(batch, steps, channels\)"):
        layer(np.zeros((2, 8, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"'c1' expects 3 channels.*\(2, 8, 5\)"):
        layer(np.zeros((2, 8, 5), "float32"))
    with pytest.raises(ValueError, match=r"ndim=4, \(batch, channels, height, width\)"):
        MaxPooling2D(data_format="channels_first")(np.zeros((2, 4, 4), "float32"))


@pytest.mark.parametrize("make, match", [
    (lambda: Conv2D(4, 3, padding="causal"), "padding"),
    (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: Conv2D(6, 3, groups=4), "groups"),
    (lambda: Conv2D(0, 3), "filters"),
    (lambda: Conv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: Conv2D(4, 3, data_format="nhwc"), "data_format"),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: MaxPooling2D(padding="causal"), "padding"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match="divisible by groups=2"):
        Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))


def test_average_pooling_requires_pool_size():
    with pytest.raises(TypeError):
        AveragePooling2D()


def test_layer_is_the_op_plus_bias_plus_activation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 7, 3)).astype("float32")
    layer = Conv2D(4, 3, strides=2, padding="same", activation="relu",
                   bias_initializer="random_normal")
    y = layer(x)
    want = np.maximum(ops.conv(x, layer.kernel, 2, "same").numpy() + layer.bias.numpy(), 0)
    np.testing.assert_array_equal(y.numpy(), want)


def test_channels_first_is_the_transpose_of_channels_last():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 5, 3)).astype("float32")
    last = Conv2D(4, 3, padding="same", bias_initializer="random_normal")
    first = Conv2D(4, 3, padding="same", data_format="channels_first")
    y_last = last(x)
    first(np.moveaxis(x, -1, 1))
    first.set_weights(last.get_weights())
    y_first = first(np.moveaxis(x, -1, 1))
    np.testing.assert_allclose(np.moveaxis(y_first.numpy(), 1, -1), y_last.numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["Conv2D", "SeparableConv2D", "Conv2DTranspose",
                                  "DepthwiseConv2D"])
def test_float32_stays_float32(name):
    kwargs = {} if name == "DepthwiseConv2D" else {"filters": 2}
    layer = _cls(name)(kernel_size=3, **kwargs)
    x = ops.convert_to_tensor(np.ones((1, 5, 5, 2), "float32"))
    with GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = ops.sum(y)
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    assert y.dtype == "float32"
    assert all(g.dtype == "float32" for g in grads)


def test_global_average_pooling_1d_averages_unmasked_steps():
    rng = np.random.default_rng(2)
    x = ops.convert_to_tensor(rng.normal(size=(2, 5, 3)).astype("float32"))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)
    layer = GlobalAveragePooling1D()
    with GradientTape() as tape:
        tape.watch(x)
        y = layer(x, mask=mask)
        loss = ops.sum(y)
    want = np.stack([x.numpy()[0, :2].mean(0), x.numpy()[1, :4].mean(0)])
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    grad = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(grad, np.broadcast_to(mask / mask.sum(1, keepdims=True),
                                                     (3, 2, 5)).transpose(1, 2, 0), rtol=1e-6)
    assert layer.compute_mask(x, mask) is None


def test_global_average_pooling_1d_takes_the_mask_of_an_embedding():
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    emb = Embedding(10, 3, mask_zero=True)
    pooled = GlobalAveragePooling1D()(emb(ids))
    vectors = emb.embeddings.numpy()
    np.testing.assert_allclose(pooled.numpy(), [(vectors[3] + vectors[4]) / 2, vectors[5]],
                               rtol=1e-6)
    assert getattr(pooled, "_keras_mask", None) is None


def test_w2_cnn_trains_with_fit():
    kcore.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 256)
    # Learnable: each class brightens its own band of rows.
    x = rng.normal(size=(256, 28, 28, 1)).astype("float32") * 0.5
    for c in range(10):
        x[y == c, 2 * c:2 * c + 4] += 1.5
    model = kcore.Sequential([
        kcore.Input((28, 28, 1)),
        Conv2D(32, 3, activation="relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"),
        MaxPooling2D(2),
        kcore.layers.Flatten(),
        kcore.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < 0.7 * losses[0], losses


@pytest.mark.parametrize("layer", [Conv2D(2, 3), AveragePooling2D(2),
                                   pooling.GlobalAveragePooling2D()], ids=str)
def test_integer_images_give_float32_not_float64(layer):
    x = np.arange(2 * 6 * 6).reshape(2, 6, 6, 1)  # int64, e.g. raw pixel values
    out = layer(x)
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), layer(x.astype("float32")).numpy(), rtol=1e-6)
