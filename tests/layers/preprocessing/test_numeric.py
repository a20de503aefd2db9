"""Rescaling and Normalization against real-Keras fixtures, plus their bad-input errors."""

import numpy as np
import pytest

import kcore
from kcore import layers

from pp_fixtures import as_input, fixture, layer_kwargs, output_of


@pytest.mark.parametrize("key", ["scalar", "per_channel"])
def test_rescaling_matches_keras(key):
    entry = fixture("rescaling")[key]
    layer = layers.Rescaling(**layer_kwargs(entry["config"]))
    out = output_of(layer(as_input(entry)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, entry["output"], rtol=1e-6, atol=1e-6)
    assert layer.get_config() | {"name": entry["config"]["name"]} == entry["config"] | {
        "name": entry["config"]["name"]}


def test_rescaling_rejects_non_numbers():
    with pytest.raises(TypeError, match="Rescaling: `scale`"):
        layers.Rescaling("half")


@pytest.mark.parametrize("key", ["adapt_last", "axis_none", "axis_1", "axis_12", "adapt_invert"])
def test_normalization_adapt_matches_keras(key):
    entry = fixture("normalization")[key]
    layer = layers.Normalization(**layer_kwargs(entry["config"]))
    data = np.array(entry.get("adapt", fixture("normalization")["adapt_last"]["adapt"]),
                    dtype="float32")
    layer.adapt(data)
    if "mean" in entry:
        np.testing.assert_allclose(layer.adapt_mean.numpy(), entry["mean"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), entry["variance"], rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(output_of(layer(as_input(entry))), entry["output"], rtol=1e-5,
                               atol=1e-5)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.count.numpy().dtype == np.int64


def test_normalization_adapt_in_batches_pools_exactly():
    entry = fixture("normalization")
    data = np.array(entry["adapt_last"]["adapt"], dtype="float32")
    layer = layers.Normalization()
    layer.adapt([data[:7], data[7:12], data[12:]])
    np.testing.assert_allclose(layer.adapt_mean.numpy(), entry["adapt_batches"]["mean"][0]
                               if np.ndim(entry["adapt_batches"]["mean"]) > 1
                               else entry["adapt_batches"]["mean"], rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(),
                               np.reshape(entry["adapt_batches"]["variance"], (4,)), rtol=1e-5)


@pytest.mark.parametrize("key", ["given", "given_invert"])
def test_normalization_given_stats_match_keras(key):
    entry = fixture("normalization")[key]
    layer = layers.Normalization(**layer_kwargs(entry["config"]))
    np.testing.assert_allclose(output_of(layer(as_input(entry))), entry["output"], rtol=1e-5,
                               atol=1e-5)
    assert layer.weights == []
    clone = layers.Normalization.from_config(layer.get_config())
    np.testing.assert_allclose(output_of(clone(as_input(entry))), entry["output"], rtol=1e-5)


def test_normalization_bad_input():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="one shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    layer = layers.Normalization()
    with pytest.raises(ValueError, match="empty data"):
        layer.adapt(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="empty iterable"):
        layer.adapt(iter([]))
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(4, 3\)"):
        layer.adapt(np.ones((4, 5)))
    with pytest.raises(ValueError, match="out of range"):
        layers.Normalization(axis=3)(np.ones((2, 3)))


def test_normalization_in_a_model_saves_and_reloads_h5(tmp_path):
    data = np.random.default_rng(0).normal(5.0, 3.0, size=(32, 3)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(data)
    inputs = kcore.Input((3,))
    model = kcore.Model(inputs, layers.Dense(2)(norm(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, np.zeros((32, 2)), epochs=1, verbose=0)
    np.testing.assert_allclose(norm.adapt_mean.numpy(), data.mean(0), rtol=1e-5)
    path = tmp_path / "m.h5"
    model.save(path)
    loaded = kcore.models.load_model(path)
    np.testing.assert_allclose(output_of(loaded.predict(data, verbose=0)),
                               output_of(model.predict(data, verbose=0)), rtol=1e-6)
