"""Every bad input gets an error that says what was expected, what was received and the fix,
raised before any training step: the model's weights and optimizer are unchanged."""

import h5py
import numpy as np
import pytest

import kcore
from kcore import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 4)).astype("float32")
Y3 = RNG.integers(0, 3, size=(32,))
YR = RNG.normal(size=(32, 1)).astype("float32")


def _classifier():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((4,)), layers.Dense(3)])
    m.compile("adam", kcore.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["sparse_categorical_accuracy"])
    return m


def _regressor():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((4,)), layers.Dense(1)])
    m.compile("adam", "mse")
    return m


def _embedder():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((3,), dtype="int32"), layers.Embedding(10, 2),
                          layers.Flatten(), layers.Dense(1)])
    m.compile("adam", "mse")
    return m


def _two_inputs():
    kcore.utils.set_random_seed(0)
    a, b = kcore.Input((4,), name="a"), kcore.Input((2,), name="b")
    m = kcore.Model({"a": a, "b": b}, layers.Dense(1)(layers.Concatenate()([a, b])))
    m.compile("adam", "mse")
    return m


def _ids(bad):
    ids = np.tile(np.array([[1, 2, 3]]), (32, 1))
    ids[20, 1] = bad  # deep in the data: a late batch would have trained the early ones
    return ids


def _labels(bad):
    y = Y3.copy()
    y[-3] = bad
    return y


# (id, model factory, call, words the message must contain)
CASES = [
    ("sparse label too large, fit", _classifier,
     lambda m: m.fit(X, _labels(3), batch_size=4, verbose=0), ["[0, 3)", "received label 3"]),
    ("sparse label -1, fit", _classifier,
     lambda m: m.fit(X, _labels(-1), batch_size=4, verbose=0), ["[0, 3)", "-1", "ignore_class"]),
    ("sparse label too large, evaluate", _classifier,
     lambda m: m.evaluate(X, _labels(7), verbose=0), ["[0, 3)", "received label 7"]),
    ("sparse label -1, evaluate", _classifier,
     lambda m: m.evaluate(X, _labels(-1), verbose=0), ["[0, 3)", "-1"]),
    ("sparse label, generator batch", _classifier,
     lambda m: m.fit(iter([(X[-4:], _labels(5)[-4:])]), verbose=0), ["[0, 3)", "5"]),
    ("embedding id too large, fit", _embedder,
     lambda m: m.fit(_ids(10), YR, batch_size=4, verbose=0), ["'embedding", "[0, 10)", "10"]),
    ("embedding id -1, fit", _embedder,
     lambda m: m.fit(_ids(-1), YR, batch_size=4, verbose=0), ["[0, 10)", "-1"]),
    ("embedding id too large, predict", _embedder,
     lambda m: m.predict(_ids(12), verbose=0), ["[0, 10)", "12"]),
    ("string x, fit", _regressor,
     lambda m: m.fit(np.full((8, 4), "a"), YR[:8], verbose=0), ["strings", "Encode"]),
    ("string x, predict", _regressor,
     lambda m: m.predict(np.full((8, 4), "a"), verbose=0), ["strings", "Encode"]),
    ("string y, fit", _regressor,
     lambda m: m.fit(X, np.array(["a"] * 32), verbose=0), ["strings", "class indices"]),
    ("object x, fit", _regressor,
     lambda m: m.fit(np.array([[object()] * 4] * 8, dtype=object), YR[:8], verbose=0),
     ["object array", "pad_sequences"]),
    ("complex x, fit", _regressor,
     lambda m: m.fit(X.astype(complex), YR, verbose=0), ["complex", "real"]),
    ("complex y, fit", _regressor,
     lambda m: m.fit(X, YR.astype(complex), verbose=0), ["complex", "real"]),
    ("ragged x, fit", _regressor,
     lambda m: m.fit([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]], [[1.0], [2.0]], verbose=0),
     ["ragged", "pad_sequences"]),
    ("ragged x, predict", _regressor,
     lambda m: m.predict([[1.0, 2.0, 3.0, 4.0], [1.0]], verbose=0), ["ragged", "pad"]),
    ("epochs -1", _regressor, lambda m: m.fit(X, YR, epochs=-1, verbose=0), ["epochs", "-1"]),
    ("epochs 1.5", _regressor, lambda m: m.fit(X, YR, epochs=1.5, verbose=0), ["epochs", "1.5"]),
    ("epochs '2'", _regressor, lambda m: m.fit(X, YR, epochs="2", verbose=0), ["epochs", "'2'"]),
    ("batch_size 0", _regressor, lambda m: m.fit(X, YR, batch_size=0, verbose=0),
     ["batch_size", ">= 1", "received 0"]),
    ("batch_size -1", _regressor, lambda m: m.fit(X, YR, batch_size=-1, verbose=0),
     ["batch_size", "received -1"]),
    ("batch_size 8.5", _regressor, lambda m: m.fit(X, YR, batch_size=8.5, verbose=0),
     ["batch_size", "8.5"]),
    ("batch_size '8'", _regressor, lambda m: m.fit(X, YR, batch_size="8", verbose=0),
     ["batch_size", "'8'"]),
    ("batch_size 0, evaluate", _regressor, lambda m: m.evaluate(X, YR, batch_size=0, verbose=0),
     ["batch_size", "received 0"]),
    ("batch_size 0, predict", _regressor, lambda m: m.predict(X, batch_size=0, verbose=0),
     ["batch_size", "received 0"]),
    ("steps_per_epoch 0", _regressor, lambda m: m.fit(X, YR, steps_per_epoch=0, verbose=0),
     ["steps_per_epoch", "received 0"]),
    ("validation_split 1.5", _regressor,
     lambda m: m.fit(X, YR, validation_split=1.5, verbose=0), ["[0, 1)", "1.5"]),
    ("validation_split -0.2", _regressor,
     lambda m: m.fit(X, YR, validation_split=-0.2, verbose=0), ["[0, 1)", "-0.2"]),
    ("class_weight string key", _classifier,
     lambda m: m.fit(X, Y3, class_weight={"cat": 1.0}, verbose=0), ["class indices", "'cat'"]),
    ("class_weight 0.5 key", _classifier,
     lambda m: m.fit(X, Y3, class_weight={0.5: 2.0}, verbose=0), ["class indices", "0.5"]),
    ("class_weight -1 key", _classifier,
     lambda m: m.fit(X, Y3, class_weight={-1: 2.0}, verbose=0), ["class indices", "-1"]),
    ("dict input unknown key", _two_inputs,
     lambda m: m.fit({"a": X, "b": X[:, :2], "bb": X}, YR, verbose=0), ["'bb'", "['a', 'b']"]),
    ("dict input missing key", _two_inputs,
     lambda m: m.fit({"a": X}, YR, verbose=0), ["lacks ['b']"]),
    ("validation_data wrong shape", _regressor,
     lambda m: m.fit(X, YR, epochs=2, validation_data=(X[:, :3], YR), verbose=0),
     ["validation_data", "(32, 3)", "(None, 4)"]),
]


def _state(model):
    return [w.copy() for w in model.get_weights()], [
        v.numpy().copy() for v in model.optimizer.variables]


@pytest.mark.parametrize("name, make, call, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_anything_changes(name, make, call, words):
    model = make()
    model.train_on_batch(*_one_good_batch(make))  # optimizer state exists and must not move
    weights, slots = _state(model)
    with pytest.raises((ValueError, TypeError)) as info:
        call(model)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert type(info.value).__module__ == "builtins"
    after_weights, after_slots = _state(model)
    for a, b in zip(weights + slots, after_weights + after_slots):
        np.testing.assert_array_equal(a, b)


def _one_good_batch(make):
    if make is _embedder:
        return _ids(1)[:4], YR[:4]
    if make is _two_inputs:
        return {"a": X[:4], "b": X[:4, :2]}, YR[:4]
    return X[:4], (Y3[:4] if make is _classifier else YR[:4])


def test_what_keras_accepts_is_still_accepted():
    model = _classifier()
    model.fit(X, Y3, batch_size=np.int64(8), epochs=np.int32(1), verbose=0)
    model.fit(X, Y3, batch_size=1000, epochs=0, verbose=0)       # batch larger than data
    model.fit(X, Y3, class_weight={0: 1.0, 1: 2.0, 7: 3.0}, verbose=0)  # unused class key
    model.fit(X, Y3, class_weight={0.0: 1.0, 1.0: 2.0}, verbose=0)      # integral floats
    model.fit(X, Y3, validation_split=0.0, verbose=0)
    ignoring = kcore.Sequential([kcore.Input((4,)), layers.Dense(3)])
    ignoring.compile("adam", kcore.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=255), metrics=["accuracy"])
    ignoring.fit(X, _labels(255), batch_size=4, verbose=0)


def test_sparse_metrics_refuse_labels_out_of_range():
    for metric in (kcore.metrics.SparseCategoricalAccuracy(),
                   kcore.metrics.SparseCategoricalCrossentropy()):
        with pytest.raises(ValueError, match=r"\[0, 3\)"):
            metric.update_state(np.array([0, 7]), np.full((2, 3), 1 / 3, "float32"))


def test_reshape_to_an_impossible_shape_names_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        kcore.Sequential([kcore.Input((6,)), layers.Reshape((4,), name="to_four")])
    message = str(info.value)
    assert "'to_four'" in message and "(6,)" in message and "(4,)" in message
    with pytest.raises(ValueError, match="'to_four'.*\\(6,\\).*\\(4,\\)"):
        layers.Reshape((4,), name="to_four")(np.ones((2, 6), "float32"))


@pytest.mark.parametrize("config, words", [
    ("{not json", ["not valid JSON", "'model_config'"]),
    ("[1, 2]", ["'model_config'", "class_name"]),
    ('{"class_name": "Sequential", "config": {"layers": [5]}}', ["'model_config'",
                                                                "wrong structure"]),
])
def test_load_model_with_a_broken_model_config_names_file_and_attribute(tmp_path, config, words):
    path = str(tmp_path / "m.h5")
    _regressor().save(path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = config
    with pytest.raises(ValueError) as info:
        kcore.models.load_model(path)
    message = str(info.value)
    assert path in message
    for word in words:
        assert word in message, message
