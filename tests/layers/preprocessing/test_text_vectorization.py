"""TextVectorization against real-Keras fixtures; in a model, saved and reloaded."""

import numpy as np
import pytest

import kcore
from kcore import layers

from pp_fixtures import as_input, fixture, layer_kwargs, output_of

KEYS = sorted(fixture("text_vectorization"))


@pytest.mark.parametrize("key", KEYS)
def test_text_vectorization_matches_keras(key):
    entry = fixture("text_vectorization")[key]
    kwargs = layer_kwargs(entry["config"])
    kwargs.pop("vocabulary_size")
    if "adapt" in entry:
        kwargs.pop("vocabulary"), kwargs.pop("idf_weights")
    layer = layers.TextVectorization(**kwargs)
    if "adapt" in entry:
        layer.adapt(np.array(entry["adapt"]))
    assert layer.get_vocabulary() == entry["vocabulary"]
    assert layer.vocabulary_size() == entry["vocabulary_size"]
    x = as_input(entry)
    out = output_of(layer(x))
    want = np.asarray(entry["output"])
    assert out.shape == want.shape
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    clone = layers.TextVectorization.from_config(layer.get_config())
    np.testing.assert_allclose(output_of(clone(x)), out, rtol=1e-6)


def test_config_keys_match_keras():
    entry = fixture("text_vectorization")["default"]
    got = layers.TextVectorization().get_config()
    assert sorted(got) == sorted(entry["config"])


def test_callable_standardize_and_split():
    layer = layers.TextVectorization(standardize=lambda x: np.char.upper(x),
                                     split=lambda x: [s.split("-") for s in x])
    layer.adapt(["a-b-a", "c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "A", "C", "B"]
    np.testing.assert_array_equal(output_of(layer(np.array(["b-a", "c-d-a"]))),
                                  [[4, 2, 0], [3, 1, 2]])


def test_text_model_trains_predicts_and_reloads(tmp_path):
    texts = np.array(["great film, loved it", "terrible plot", "loved the acting",
                      "awful, boring film", "great great fun", "boring and terrible"] * 3)
    y = np.array([1, 0, 1, 0, 1, 0] * 3, dtype="float32")
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorize.adapt(texts)
    inputs = kcore.Input(shape=(1,), dtype="string")
    x = vectorize(inputs)
    x = layers.Embedding(20, 4)(x)
    x = layers.GlobalAveragePooling1D()(x)
    model = kcore.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(texts[:, None], y, epochs=2, batch_size=6, verbose=0)
    before = model.predict(texts[:, None], verbose=0)
    model.save(tmp_path / "text.h5")
    loaded = kcore.models.load_model(tmp_path / "text.h5")
    np.testing.assert_allclose(loaded.predict(texts[:, None], verbose=0), before, rtol=1e-6)
    tv = [l for l in loaded.layers if isinstance(l, layers.TextVectorization)][0]
    assert tv.get_vocabulary() == vectorize.get_vocabulary()
    bag = layers.TextVectorization(output_mode="tf_idf")
    bag.adapt(texts)
    np.testing.assert_allclose(
        output_of(layers.TextVectorization.from_config(bag.get_config())(texts)),
        output_of(bag(texts)), rtol=1e-6)


def test_text_vectorization_bad_input():
    with pytest.raises(ValueError, match="unknown `standardize` 'upper'"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="unknown `split`"):
        layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="`ngrams` must be None"):
        layers.TextVectorization(ngrams=0)
    with pytest.raises(ValueError, match="only applies to output_mode='int'"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match=r"\(batch,\) or \(batch, 1\)"):
        layers.TextVectorization()(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="expects strings"):
        layers.TextVectorization()(np.array([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        layers.TextVectorization().adapt([])
    with pytest.raises(ValueError, match="cannot also be adapted"):
        layers.TextVectorization(vocabulary=["a"]).adapt(["a b"])
