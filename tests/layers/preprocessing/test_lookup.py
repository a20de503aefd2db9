"""StringLookup and IntegerLookup against real-Keras fixtures; saving with vocabularies."""

import numpy as np
import pytest

import kcore
from kcore import layers

from pp_fixtures import as_input, fixture, layer_kwargs, output_of


def _adapt_data(entry, cls):
    data = entry["adapt"]
    return np.array(data, dtype=object if cls is layers.StringLookup else "int64")


def _check(cls, entry):
    kwargs = layer_kwargs(entry["config"])
    kwargs.pop("vocabulary_size", None)
    adapted = "adapt" in entry
    if adapted:
        kwargs.pop("vocabulary"), kwargs.pop("idf_weights")
    layer = cls(**kwargs)
    if adapted:
        layer.adapt(_adapt_data(entry, cls))
    x = as_input(entry)
    out = output_of(layer(x))
    want = np.asarray(entry["output"])
    assert out.shape == want.shape
    if want.dtype.kind in "USO":
        assert out.tolist() == want.tolist()
    else:
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert layer.get_vocabulary() == entry["vocabulary"]
    assert layer.get_vocabulary(include_special_tokens=False) == entry["vocabulary_no_special"]
    assert layer.vocabulary_size() == entry["vocabulary_size"]
    clone = cls.from_config(layer.get_config())
    np.testing.assert_array_equal(output_of(clone(x)), out)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    return layer


@pytest.mark.parametrize("key", sorted(fixture("string_lookup")))
def test_string_lookup_matches_keras(key):
    _check(layers.StringLookup, fixture("string_lookup")[key])


@pytest.mark.parametrize("key", sorted(fixture("integer_lookup")))
def test_integer_lookup_matches_keras(key):
    _check(layers.IntegerLookup, fixture("integer_lookup")[key])


def test_config_matches_keras_for_a_given_vocabulary():
    entry = fixture("string_lookup")["int"]
    got = layers.StringLookup(**layer_kwargs(entry["config"])).get_config()
    assert {k: v for k, v in got.items() if k != "name"} == {
        k: v for k, v in entry["config"].items() if k != "name"}


def test_set_vocabulary_accepts_special_tokens_and_files(tmp_path):
    layer = layers.StringLookup(mask_token="")
    layer.set_vocabulary(["", "[UNK]", "x", "y"])
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y"]
    path = tmp_path / "vocab.txt"
    path.write_text("p\nq\n\n")
    layer.set_vocabulary(str(path))
    assert layer.get_vocabulary(include_special_tokens=False) == ["p", "q"]
    np.testing.assert_array_equal(output_of(layer(np.array(["q", "", "?"]))), [3, 0, 1])


def test_lookup_bad_input():
    with pytest.raises(ValueError, match="repeated tokens"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="mask token"):
        layers.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="more than max_tokens"):
        layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="vocabulary is empty"):
        layers.StringLookup(vocabulary=[])
    with pytest.raises(ValueError, match="invert=True needs output_mode='int'"):
        layers.StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="needs `idf_weights`"):
        layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="not in the vocabulary and num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(TypeError, match="expects string inputs"):
        layers.StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(TypeError, match="expects integer inputs"):
        layers.IntegerLookup(vocabulary=[1])(np.array(["a"]))
    with pytest.raises(ValueError, match="cannot also be adapted"):
        layers.IntegerLookup(vocabulary=[1]).adapt(np.array([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        layers.StringLookup().adapt(np.array([], dtype=object))
    with pytest.raises(ValueError, match="`salt` is only used with oov_method='farmhash'"):
        layers.IntegerLookup(salt=3)


def _text_model(lookup):
    inputs = kcore.Input(shape=(3,), dtype="string")
    x = lookup(inputs)
    x = layers.Embedding(lookup.vocabulary_size(), 4)(x)
    x = layers.GlobalAveragePooling1D()(x)
    return kcore.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


def test_string_inputs_train_predict_and_reload_with_the_adapted_vocabulary(tmp_path):
    words = np.array([["good", "fine", "ok"], ["bad", "awful", "ok"], ["good", "good", "meh"],
                      ["awful", "bad", "bad"]] * 4)
    y = np.array([1, 0, 1, 0] * 4, dtype="float32")
    lookup = layers.StringLookup()
    lookup.adapt(words)
    model = _text_model(lookup)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(words, y, epochs=2, batch_size=4, verbose=0)
    before = model.predict(words, verbose=0)
    model.save(tmp_path / "text.h5")
    loaded = kcore.models.load_model(tmp_path / "text.h5")
    np.testing.assert_allclose(loaded.predict(words, verbose=0), before, rtol=1e-6)
    reloaded_lookup = [l for l in loaded.layers if isinstance(l, layers.StringLookup)][0]
    assert reloaded_lookup.get_vocabulary() == lookup.get_vocabulary()
    model.evaluate(words, y, verbose=0)


def test_lookup_assets_round_trip(tmp_path):
    layer = layers.IntegerLookup(mask_token=0)
    layer.adapt(np.array([[5, 5, 7], [9, 0, 7]]))
    layer.save_assets(str(tmp_path))
    other = layers.IntegerLookup(mask_token=0)
    other.load_assets(str(tmp_path))
    assert other.get_vocabulary() == layer.get_vocabulary() == [0, -1, 7, 5, 9]
