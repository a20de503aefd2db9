"""LambdaCallback through the installed entry point and real fit/evaluate/predict."""

import importlib.metadata

import numpy as np
import pytest

import kcore


@pytest.fixture
def model():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((16, 3), dtype=np.float32), rng.random((16, 1), dtype=np.float32)


def test_found_through_entry_point():
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.callbacks")}
    assert eps["LambdaCallback"].dist.metadata["Name"] == "kcore-lambda"
    assert kcore.callbacks.LambdaCallback is eps["LambdaCallback"].load()
    assert type(kcore.callbacks.get("LambdaCallback")) is kcore.callbacks.LambdaCallback


def test_every_hook_called_as_keras_calls_it(model, data):
    calls = []

    def record(name):
        def with_index(index, logs):
            calls.append((name, index, sorted(logs)))

        def without_index(logs):
            calls.append((name, None, sorted(logs)))
        return with_index if ("epoch_" in name or "_batch_" in name) else without_index

    names = ["on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
             "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
             "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
             "on_predict_batch_begin", "on_predict_batch_end"]
    callback = kcore.callbacks.LambdaCallback(**{name: record(name) for name in names})
    x, y = data
    model.fit(x, y, batch_size=6, epochs=1, verbose=0, validation_split=0.25,
              callbacks=[callback])
    assert calls == [
        ("on_train_begin", None, []), ("on_epoch_begin", 0, []),
        ("on_train_batch_begin", 0, []), ("on_train_batch_end", 0, ["loss"]),
        ("on_train_batch_begin", 1, []), ("on_train_batch_end", 1, ["loss"]),
        ("on_test_begin", None, []), ("on_test_batch_begin", 0, []),
        ("on_test_batch_end", 0, ["loss"]), ("on_test_end", None, ["loss"]),
        ("on_epoch_end", 0, ["loss", "val_loss"]), ("on_train_end", None, ["loss", "val_loss"]),
    ]
    calls.clear()
    model.predict(x[:4], batch_size=4, verbose=0, callbacks=[callback])
    assert calls == [("on_predict_begin", None, []), ("on_predict_batch_begin", 0, []),
                     ("on_predict_batch_end", 0, ["outputs"]), ("on_predict_end", None, [])]


def test_batch_aliases_and_logs_are_shared(model, data):
    seen = []
    x, y = data

    def add_key(epoch, logs):
        logs["custom"] = 2.0 * epoch

    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[
        kcore.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch),
                                       on_epoch_end=add_key)])
    assert seen == [0, 1, 0, 1]
    assert history.history["custom"] == [0.0, 2.0]


def test_can_stop_training(model, data):
    x, y = data

    def stop(batch, logs):
        if batch == 0:
            model.stop_training = True

    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                        callbacks=[kcore.callbacks.LambdaCallback(on_train_batch_end=stop)])
    assert history.epoch == [0]


def test_unknown_event_name_is_an_error():
    with pytest.raises(TypeError, match="Did you mean 'on_epoch_end'"):
        kcore.callbacks.LambdaCallback(on_epoch_ned=lambda epoch, logs: None)
    with pytest.raises(TypeError, match="must be a function"):
        kcore.callbacks.LambdaCallback(on_test_end=3)
