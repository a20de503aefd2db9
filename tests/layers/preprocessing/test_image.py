"""Resizing, CenterCrop and the random image layers against real-Keras fixtures.

The random layers are checked exactly with factors that fix the transform (a 90° rotation,
a fixed zoom/shift/contrast/brightness); their random draws are checked for range and
per-image independence.
"""

import numpy as np
import pytest

import kcore
from kcore import layers

from pp_fixtures import as_input, fixture, layer_kwargs, output_of

RESIZE_KEYS = sorted(fixture("resizing"))


def _check(cls, entry, rtol=1e-4, atol=1e-3, **call_kwargs):
    layer = cls(**layer_kwargs(entry["config"]))
    out = output_of(layer(as_input(entry), **call_kwargs))
    want = np.asarray(entry["output"], dtype="float32")
    assert out.shape == want.shape
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, want, rtol=rtol, atol=atol)
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    return layer


@pytest.mark.parametrize("key", RESIZE_KEYS)
def test_resizing_matches_keras(key):
    _check(layers.Resizing, fixture("resizing")[key])


@pytest.mark.parametrize("key", sorted(fixture("center_crop")))
def test_center_crop_matches_keras(key):
    _check(layers.CenterCrop, fixture("center_crop")[key])


FIXED = sorted(k for k in fixture("random_layers")
               if k.startswith(("rotation", "zoom", "translation")))
CLASSES = {"rotation": layers.RandomRotation, "zoom": layers.RandomZoom,
           "translation": layers.RandomTranslation}


@pytest.mark.parametrize("key", FIXED)
def test_fixed_affine_transforms_match_keras(key):
    _check(CLASSES[key.split("_")[0]], fixture("random_layers")[key], training=True)


@pytest.mark.parametrize("key,cls", [("contrast_fixed", layers.RandomContrast),
                                     ("brightness_fixed", layers.RandomBrightness),
                                     ("brightness_range", layers.RandomBrightness),
                                     ("crop_training_small", layers.RandomCrop)])
def test_fixed_pointwise_transforms_match_keras(key, cls):
    _check(cls, fixture("random_layers")[key], training=True)


@pytest.mark.parametrize("name", ["flip", "rotation", "zoom", "translation", "contrast",
                                  "brightness", "crop"])
def test_random_layer_configs_match_keras(name):
    want = fixture("random_layers")[f"config_{name}"]
    cls = {"flip": layers.RandomFlip, "contrast": layers.RandomContrast,
           "brightness": layers.RandomBrightness, "crop": layers.RandomCrop, **CLASSES}[name]
    got = cls(**layer_kwargs(want)).get_config()
    drop = {"name", "seed"}
    assert {k: v for k, v in got.items() if k not in drop} == {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in want.items() if k not in drop}


def test_random_crop_inference_is_an_aspect_crop_and_resize():
    x = np.asarray(fixture("random_layers")["crop_inference"]["input"], dtype="float32")
    out = output_of(layers.RandomCrop(2, 3, seed=1)(x, training=False))
    want = output_of(layers.Resizing(2, 3, crop_to_aspect_ratio=True)(x))
    np.testing.assert_array_equal(out, want)


def _images(n=64, h=6, w=7):
    return np.random.default_rng(0).uniform(0, 255, size=(n, h, w, 1)).astype("float32")


def test_random_flip_flips_about_half_the_images_each_whole():
    x = _images()
    out = output_of(layers.RandomFlip("horizontal", seed=3)(x))
    flipped = [np.array_equal(o, xi[:, ::-1]) for o, xi in zip(out, x)]
    kept = [np.array_equal(o, xi) for o, xi in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 16 < sum(flipped) < 48
    both = output_of(layers.RandomFlip(seed=3)(x))
    assert all(np.array_equal(o, xi) or np.array_equal(o, xi[::-1, ::-1])
               for o, xi in zip(both, x))


def test_random_layers_differ_per_image_and_per_call_and_follow_seeds():
    x = np.repeat(_images(1), 8, axis=0)
    layer = layers.RandomRotation(0.2, seed=5)
    a, b = output_of(layer(x)), output_of(layer(x))
    assert not np.allclose(a[0], a[1]) and not np.allclose(a, b)
    np.testing.assert_array_equal(a, output_of(layers.RandomRotation(0.2, seed=5)(x)))


def test_random_brightness_and_contrast_draw_within_their_factor():
    x = np.full((200, 2, 2, 1), 100.0, dtype="float32")
    x[:, 0, 0] = 50.0
    out = output_of(layers.RandomBrightness(0.1, seed=0)(x))
    delta = out[:, 1, 1, 0] - 100.0
    assert delta.min() >= -25.5 - 1e-4 and delta.max() <= 25.5 + 1e-4
    assert delta.min() < -20 and delta.max() > 20
    out = output_of(layers.RandomContrast(0.5, seed=0)(x))
    mean = x[0].mean()
    c = (out[:, 1, 1, 0] - mean) / (100.0 - mean)
    assert c.min() >= 1.0 - 1e-5 and c.max() <= 1.5 + 1e-5 and c.max() > 1.4


def test_random_layers_pass_through_at_inference_and_in_predict():
    x = _images(4)
    for layer in (layers.RandomFlip(), layers.RandomRotation(0.3), layers.RandomZoom(0.3),
                  layers.RandomTranslation(0.2, 0.2), layers.RandomContrast(0.4),
                  layers.RandomBrightness(0.4)):
        np.testing.assert_array_equal(output_of(layer(x, training=False)), x)
        model = kcore.Sequential([kcore.Input((6, 7, 1)), layer])
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_augmentation_in_a_model_trains_and_reloads(tmp_path):
    x = _images(16, 8, 8)
    y = np.random.default_rng(1).integers(0, 2, size=(16,))
    model = kcore.Sequential([
        kcore.Input((8, 8, 1)), layers.Rescaling(1 / 255.0), layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1), layers.RandomZoom(0.1), layers.RandomCrop(6, 6),
        layers.Resizing(4, 4), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "aug.h5"
    model.save(path)
    loaded = kcore.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_image_layers_reject_bad_input():
    with pytest.raises(ValueError, match=r"Resizing 'r' expects images of rank 3.*\(2, 3\)"):
        layers.Resizing(2, 2, name="r")(np.ones((2, 3)))
    with pytest.raises(ValueError, match="unknown `interpolation` 'area'"):
        layers.Resizing(2, 2, interpolation="area")
    with pytest.raises(ValueError, match="`height` must be a positive int"):
        layers.CenterCrop(0, 2)
    with pytest.raises(ValueError, match=r"RandomRotation: `factor` must be"):
        layers.RandomRotation(2.0)
    with pytest.raises(ValueError, match="unknown `fill_mode`"):
        layers.RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"RandomZoom: `height_factor` must be"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomBrightness(0.1, value_range=5)
    with pytest.raises(ValueError, match="unknown `mode`"):
        layers.RandomFlip("diagonal")
