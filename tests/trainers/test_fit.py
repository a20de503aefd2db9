"""compile/fit/evaluate/predict behaviour, checked against Keras 3's documented semantics."""

import json
import pathlib

import numpy as np
import pytest

import kcore
from kcore import layers

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "keras"


def _binary_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")[:, None]
    return x, y


def _mlp(units=16):
    return kcore.Sequential([kcore.Input((4,)), layers.Dense(units, activation="relu"),
                             layers.Dense(1, activation="sigmoid")])


def test_tiny_model_learns_a_separable_problem():
    kcore.utils.set_random_seed(0)
    x, y = _binary_data(400)
    model = _mlp()
    model.compile(optimizer=kcore.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_history_and_logs_keys_match_keras():
    spec = json.loads((FIXTURES / "hook_order.json").read_text())
    kcore.utils.set_random_seed(0)
    x, y = _binary_data(10)
    model = kcore.Sequential([kcore.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=0)
    assert sorted(history.history) == sorted(spec["history_keys"])
    assert history.params == spec["history_params"]
    assert history.epoch == spec["history_epoch"]
    assert model.history is history
    # kcore lists the real names (Keras 3 says ['loss', 'compile_metrics']).
    assert model.metrics_names == ["loss", "accuracy"]


def test_hook_sequence_matches_keras_fixture():
    spec = json.loads((FIXTURES / "hook_order.json").read_text())
    calls = []

    class Recorder(kcore.callbacks.Callback):
        pass

    def make(name, has_arg):
        def method(self, *args):
            arg = args[0] if has_arg else None
            logs = args[-1] if args else None
            calls.append({"hook": name, "arg": arg,
                          "logs_keys": None if logs is None else sorted(logs)})
        return method

    for name in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                 "on_predict_begin", "on_predict_end"):
        setattr(Recorder, name, make(name, False))
    for name in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end"):
        setattr(Recorder, name, make(name, True))
    x, y = _binary_data(10)
    model = kcore.Sequential([kcore.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    rec = Recorder()
    model.fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=0, callbacks=[rec])
    fit_calls, calls[:] = list(calls), []
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[rec])
    eval_calls, calls[:] = list(calls), []
    model.predict(x, batch_size=4, verbose=0, callbacks=[rec])
    predict_calls = list(calls)

    def norm(seq):
        return [(c["hook"], c["arg"], c["logs_keys"]) for c in seq]

    assert norm(fit_calls) == norm(spec["fit"])
    assert norm(eval_calls) == norm(spec["evaluate"])
    assert norm(predict_calls) == norm(spec["predict"])


def test_evaluate_and_train_on_batch_return_forms():
    x, y = _binary_data(20)
    model = _mlp()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(as_dict) == {"loss", "accuracy"}
    np.testing.assert_allclose(result[0], as_dict["loss"], rtol=1e-6)
    out = model.train_on_batch(x, y, return_dict=True)
    assert set(out) == {"loss", "accuracy"}
    model2 = _mlp()
    model2.compile(optimizer="sgd", loss="binary_crossentropy")
    assert isinstance(model2.evaluate(x, y, verbose=0), float)
    assert model.predict_on_batch(x).shape == (20, 1)


def test_validation_split_takes_the_tail_before_shuffling():
    seen = []

    class Spy(kcore.callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            seen.append(batch)

    x = np.arange(10, dtype="float32").reshape(10, 1).repeat(4, axis=1)
    y = np.zeros((10, 1), "float32")
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    captured = {}
    original = model.test_step

    def test_step(data):
        captured.setdefault("x", []).append(np.asarray(data[0])[:, 0].copy())
        return original(data)

    model.test_step = test_step
    model.fit(x, y, epochs=1, batch_size=10, validation_split=0.3, verbose=0, callbacks=[Spy()])
    np.testing.assert_array_equal(np.concatenate(captured["x"]), [7, 8, 9])


def test_validation_freq_and_initial_epoch():
    x, y = _binary_data(32)
    model = _mlp()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=4, batch_size=16, validation_data=(x, y),
                        validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    history = model.fit(x, y, initial_epoch=2, epochs=4, batch_size=16, verbose=0)
    assert history.epoch == [2, 3]
    assert history.params["steps"] == 2


def test_class_weight_and_sample_weight_weight_the_loss():
    x, y = _binary_data(16)
    model = _mlp()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    base = model.evaluate(x, y, verbose=0)
    w = np.where(y[:, 0] > 0, 2.0, 0.0).astype("float32")
    weighted = model.evaluate(x, y, sample_weight=w, verbose=0)
    manual = model.compute_loss(y=y, y_pred=model(x), sample_weight=w).numpy()
    np.testing.assert_allclose(weighted, manual, rtol=1e-5)
    assert not np.isclose(weighted, base)
    with pytest.raises(ValueError, match="class_weight.*sample_weight|sample_weight.*class_weight"):
        model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, sample_weight=w, verbose=0)
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)


def test_multi_input_multi_output_with_dicts_and_lists():
    kcore.utils.set_random_seed(0)
    a = kcore.Input((3,), name="a")
    b = kcore.Input((2,), name="b")
    shared = layers.Dense(4, activation="relu", name="shared")
    h = layers.Concatenate()([shared(a), layers.Dense(4, name="side")(b)]) \
        if hasattr(layers, "Concatenate") else shared(a)
    out_a = layers.Dense(1, name="out_a")(h)
    out_b = layers.Dense(3, activation="softmax", name="out_b")(h)
    model = kcore.Model({"a": a, "b": b}, {"out_a": out_a, "out_b": out_b})
    model.compile(optimizer="adam", loss={"out_a": "mse", "out_b": "sparse_categorical_crossentropy"},
                  loss_weights={"out_a": 1.0, "out_b": 0.5},
                  metrics={"out_a": ["mae"], "out_b": ["accuracy"]})
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(24, 3)).astype("float32"), rng.normal(size=(24, 2)).astype("float32")
    ya, yb = rng.normal(size=(24, 1)).astype("float32"), rng.integers(0, 3, 24)
    history = model.fit({"a": xa, "b": xb}, {"out_a": ya, "out_b": yb}, epochs=2, batch_size=8,
                        validation_split=0.25, verbose=0)
    keys = set(history.history)
    assert {"loss", "out_a_loss", "out_b_loss", "out_a_mae", "out_b_accuracy",
            "val_loss", "val_out_a_mae"} <= keys
    logs = model.evaluate({"a": xa, "b": xb}, {"out_a": ya, "out_b": yb}, verbose=0, return_dict=True)
    # As Keras 3: per-output losses are logged before their loss weights.
    np.testing.assert_allclose(logs["loss"], logs["out_a_loss"] + 0.5 * logs["out_b_loss"],
                               rtol=1e-5)
    preds = model.predict({"a": xa, "b": xb}, verbose=0)
    assert preds["out_a"].shape == (24, 1) and preds["out_b"].shape == (24, 3)
    # Lists by position work too.
    model2 = kcore.Model([a, b], [out_a, out_b])
    model2.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"])
    model2.fit([xa, xb], [ya, yb], epochs=1, batch_size=8, verbose=0)
    assert isinstance(model2.predict([xa, xb], verbose=0), list)


def test_custom_train_step_as_in_the_keras_guide():
    class CustomModel(kcore.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.steps_run = 0

        def call(self, inputs, training=None):
            return self.dense(inputs)

        def train_step(self, data):
            x, y = data
            with kcore.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.steps_run += 1
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _binary_data(40)
    model = CustomModel()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert model.steps_run == 8
    assert {"loss", "mae"} <= set(history.history)


def test_generators_and_pydataset():
    x, y = _binary_data(40)

    def gen():
        while True:
            for i in range(0, 40, 10):
                yield x[i:i + 10], y[i:i + 10]

    class Batches(kcore.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]

    model = _mlp()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    h1 = model.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0)
    assert h1.params["steps"] == 4 and len(h1.history["loss"]) == 2
    h2 = model.fit(Batches(), epochs=2, verbose=0, validation_data=Batches())
    assert "val_loss" in h2.history
    assert model.predict(Batches(), verbose=0).shape == (40, 1)
    assert np.isfinite(model.evaluate(Batches(), verbose=0))


def test_stop_training_is_honoured_after_a_batch():
    class StopAt(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    counted = []

    class Count(kcore.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            counted.append(batch)

    x, y = _binary_data(64)
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[StopAt(), Count()])
    assert counted == [0, 1] and history.epoch == [0]


def test_model_is_usable_after_fit_raises():
    class Boom(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    x, y = _binary_data(16)
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Boom()])
    model.fit(x, y, epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (16, 1)


def test_bad_arguments_raise_clear_errors():
    x, y = _binary_data(16)
    model = _mlp()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError, match="expects 1 input|expects shape"):
        model.fit([x, x], y, verbose=0)
    with pytest.raises(ValueError, match="Unknown loss.*Did you mean"):
        model.compile(optimizer="sgd", loss="binary_crossentropyy")
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="metric"):
        model.compile(optimizer="sgd", loss="mse", metrics=["not_a_metric_name"])
        model.fit(x, y, verbose=0)
    clf = kcore.Sequential([kcore.Input((4,)), layers.Dense(3, activation="softmax")])
    clf.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        clf.fit(x, np.zeros(16, "int64"), verbose=0)
    with pytest.raises(ValueError, match="list, tuple, or dict"):
        clf.compile(optimizer="sgd", loss="mse", metrics="accuracy")


def test_accuracy_resolves_by_shapes():
    from kcore.metrics import BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy
    from kcore.trainers.compile_utils import resolve_metric

    assert isinstance(resolve_metric("accuracy", np.zeros((4, 1)), np.zeros((4, 1))), BinaryAccuracy)
    assert isinstance(resolve_metric("acc", np.zeros((4,)), np.zeros((4, 3))), SparseCategoricalAccuracy)
    assert isinstance(resolve_metric("accuracy", np.zeros((4, 3)), np.zeros((4, 3))), CategoricalAccuracy)
    assert resolve_metric("acc", np.zeros((4, 1)), np.zeros((4, 1))).name == "acc"


def test_functional_subclass_from_the_customizing_fit_guide():
    class CustomModel(kcore.Model):
        def train_step(self, data):
            x, y = data
            with kcore.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(gradients, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = kcore.Input(shape=(32,))
    outputs = kcore.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and isinstance(model, kcore.models.Functional)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = np.random.random((100, 32)), np.random.random((100, 1))
    history = model.fit(x, y, epochs=2, verbose=0)
    assert {"loss", "mae"} <= set(history.history)
    clone = CustomModel.from_config(model.get_config())
    assert isinstance(clone, CustomModel)


def test_stop_training_is_sticky_within_fit():
    class Stop(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    class Undo(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = False

    x, y = _binary_data(16)
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[Stop(), Undo()])
    assert history.epoch == [0]
    assert len(model.fit(x, y, epochs=2, verbose=0).epoch) == 2  # reset by the next fit


def test_exhausted_generator_records_no_empty_epoch():
    x, y = _binary_data(16)
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    finite = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 16, 8))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(finite, epochs=3, verbose=0)
    assert history.epoch == [0]


def test_steps_per_epoch_continues_through_the_data_as_keras():
    seen = []
    x = np.arange(10, dtype="float32").reshape(10, 1)
    y = np.zeros((10, 1), "float32")
    model = kcore.Sequential([kcore.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    original = model.train_step

    def train_step(data):
        seen.append(np.asarray(data[0])[:, 0].tolist())
        return original(data)

    model.train_step = train_step
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(x, y, batch_size=2, steps_per_epoch=2, epochs=4, shuffle=False,
                            verbose=0)
    # 5 batches: epochs 0-1 use batches 0-3, epoch 2 gets the last one and ends early,
    # epoch 3 starts a new pass.
    assert seen == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [0, 1], [2, 3]]
    assert history.epoch == [0, 1, 2, 3]


def test_single_output_loss_dict_keyed_by_output_name():
    # Keras 3.15.1 (jax): this fit logs loss 8.0 = 2 * (3 - 1)**2; a key that names no
    # output raises at fit (Keras: "Expected keys ['out'] in loss dict").
    inputs = kcore.Input((3,), name="x")
    outputs = kcore.layers.Dense(1, name="out", kernel_initializer="ones")(inputs)
    model = kcore.Model(inputs, outputs)
    model.compile(loss={"out": "mse"}, optimizer="sgd", loss_weights={"out": 2.0})
    history = model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0, shuffle=False)
    assert history.history["loss"] == [pytest.approx(8.0)]
    model.compile(loss={"bad": "mse"}, optimizer="sgd")
    with pytest.raises(ValueError, match=r"Unknown output name\(s\) \['bad'\].*\['out'\]"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    model.compile(loss={"class_name": "MeanSquaredError", "config": {}}, optimizer="sgd")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)  # a serialized loss still works


def test_metrics_set_on_layers_are_model_metrics_and_logged():
    # As Keras 3: a Metric attribute of a layer is one of model.metrics and logs its result.
    class Tracked(kcore.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.act_mean = kcore.metrics.Mean(name="act_mean")

        def call(self, x):
            self.act_mean.update_state(x)
            return x

    inputs = kcore.Input((2,))
    tracked = Tracked()
    model = kcore.Model(inputs, kcore.layers.Dense(1)(tracked(inputs)))
    model.compile("sgd", "mse")
    assert [m.name for m in model.metrics] == ["loss", "act_mean"]
    x = np.arange(8, dtype="float32").reshape(4, 2)
    history = model.fit(x, np.ones((4, 1)), batch_size=4, verbose=0)
    assert history.history["act_mean"] == [pytest.approx(3.5)]
    # model.metrics is cached per structure version: setting or deleting a Metric
    # attribute (kcore allows it after build, Keras does not) must show at once.
    tracked.extra = kcore.metrics.Sum(name="extra")
    assert [m.name for m in model.metrics] == ["loss", "act_mean", "extra"]
    del tracked.extra
    assert [m.name for m in model.metrics] == ["loss", "act_mean"]
