"""The constructors' arguments and checks behave as Keras's (messages follow Keras's)."""

import numpy as np
import pytest

import kcore
from kcore import applications


def test_input_smaller_than_the_minimum_is_refused():
    with pytest.raises(ValueError, match="at least 71x71"):
        applications.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.VGG16(weights=None, include_top=False, input_shape=(16, 40, 3))


def test_input_shape_must_have_three_entries():
    with pytest.raises(ValueError, match="tuple of three integers"):
        applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32))


def test_imagenet_weights_need_1000_classes_with_the_top():
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        applications.MobileNetV2(weights="imagenet", classes=10)


def test_imagenet_weights_need_published_alpha_and_3_channels():
    with pytest.raises(ValueError, match="alpha can be one of"):
        applications.MobileNet(weights="imagenet", alpha=0.3, include_top=False)
    with pytest.raises(ValueError, match="3 channels"):
        applications.DenseNet121(weights="imagenet", include_top=False, input_shape=(32, 32, 1))


def test_pretrained_weights_allow_only_softmax_or_linear_classifier(tmp_path):
    model = applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), classes=3)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        applications.MobileNet(weights=str(path), alpha=0.25, input_shape=(32, 32, 3),
                               classes=3, classifier_activation="relu")
    linear = applications.MobileNet(weights=str(path), alpha=0.25, input_shape=(32, 32, 3),
                                    classes=3, classifier_activation=None)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    probs = model.predict(x, verbose=0)
    logits = linear.predict(x, verbose=0)
    np.testing.assert_allclose(probs, np.exp(logits) / np.exp(logits).sum(-1, keepdims=True),
                               atol=1e-6)


def test_default_input_shapes_and_pooling():
    notop = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False)
    assert notop.input_shape == (None, None, None, 3)
    assert notop.output_shape == (None, None, None, 1280)
    top = applications.MobileNet(weights=None, alpha=0.25, classes=2)
    assert top.input_shape == (None, 224, 224, 3) and top.name == "mobilenet_0.25_224"
    pooled = applications.EfficientNetB0(weights=None, include_top=False, pooling="max")
    assert pooled.output_shape == (None, 1280) and pooled.layers[-1].name == "max_pool"


def test_input_tensor_becomes_the_model_input():
    inputs = kcore.Input((40, 40, 3), name="pixels")
    model = applications.DenseNet121(weights=None, include_top=False, input_tensor=inputs)
    assert model.inputs[0] is inputs and model.layers[0].name == "pixels"
    with pytest.raises(ValueError, match="symbolic tensor"):
        applications.VGG19(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))


def test_input_tensor_after_other_layers_keeps_them_in_the_model():
    inputs = kcore.Input((32, 32, 3))
    scaled = kcore.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    model = applications.MobileNet(weights=None, alpha=0.25, include_top=False,
                                   input_tensor=scaled)
    assert model.inputs[0] is inputs
    assert model.layers[1].name.startswith("rescaling")


def test_top_level_names_are_the_module_constructors():
    assert applications.ResNet50 is applications.resnet50.ResNet50 is applications.resnet.ResNet50
    assert applications.EfficientNetB7.__name__ == "EfficientNetB7"
    assert applications.efficientnet.preprocess_input is not None
    x = np.ones((1, 2, 2, 3), dtype="float32")
    assert applications.efficientnet.preprocess_input(x) is x
