"""EarlyStopping and TerminateOnNaN through the installed entry points and real fits."""

import importlib.metadata
import json

import numpy as np
import pytest

import kcore


def fit(model, data, callbacks, epochs, **kwargs):
    x, y = data
    return model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks, **kwargs)


# --- discovery ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["EarlyStopping", "TerminateOnNaN"])
def test_found_through_entry_point(name):
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.callbacks")}
    assert eps[name].dist.metadata["Name"] == "kcore-earlystopping"
    cls = eps[name].load()
    assert kcore.callbacks.get(name).__class__ is cls
    assert getattr(kcore.callbacks, name) is cls


def test_string_name_in_fit(model, data):
    history = fit(model, data, ["EarlyStopping", "TerminateOnNaN"], epochs=2,
                  validation_split=0.25)
    assert history.epoch == [0, 1]


# --- recorded traces (keras_semantics 1.6) -----------------------------------------------

# (kwargs, monitored sequence, expected epochs run, expected stopped_epoch)
TRACES = [
    ({"patience": 0}, [1.0, 2.0, 3.0], [0, 1], 1),                  # never stops at epoch 0
    ({"patience": 2}, [1.0, 0.9, 0.95, 0.92, 0.5, 0.4], [0, 1, 2, 3], 3),
    ({"patience": 2}, [1.0, 0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3, 4], 0),
    # min_delta is absolute and strict: 0.9 -> 0.85 is not an improvement of more than 0.05
    ({"patience": 1, "min_delta": 0.05}, [1.0, 0.9, 0.85, 0.84], [0, 1, 2], 2),
    ({"patience": 1, "min_delta": -0.05}, [1.0, 0.94, 0.9], [0, 1, 2], 2),
    # baseline: improvements that do not beat it do not reset the patience (no stop check
    # on an improving epoch, so the first non-improving one stops at once)
    ({"patience": 2, "baseline": 0.5}, [1.0, 0.9, 0.8, 0.85, 0.84], [0, 1, 2, 3], 3),
    ({"patience": 2}, [1.0, 0.9, 0.8, 0.85, 0.84], [0, 1, 2, 3, 4], 4),
    ({"patience": 2, "baseline": 0.85}, [1.0, 0.9, 0.8, 0.79, 0.795, 0.81], [0, 1, 2, 3, 4, 5], 5),
    # warm-up epochs are ignored entirely, even worse values
    ({"patience": 1, "start_from_epoch": 2}, [5.0, 9.0, 1.0, 1.0, 1.0], [0, 1, 2, 3], 3),
    ({"patience": 0, "mode": "max"}, [0.1, 0.2, 0.3, 0.3], [0, 1, 2, 3], 3),
]


@pytest.mark.parametrize("kwargs, values, epochs_run, stopped", TRACES)
def test_monitored_traces(model, data, inject, kwargs, values, epochs_run, stopped):
    kwargs = {"monitor": "score", "mode": "min", **kwargs}
    stop = kcore.callbacks.EarlyStopping(**kwargs)
    history = fit(model, data, [inject("score", values), stop], epochs=len(values))
    assert history.epoch == epochs_run
    assert stop.stopped_epoch == stopped


def test_restores_best_weights_even_without_stopping(model, data, inject):
    snapshots = []

    class Snapshot(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(model.get_weights())

    stop = kcore.callbacks.EarlyStopping(monitor="score", mode="min", patience=100,
                                         restore_best_weights=True)
    fit(model, data, [inject("score", [3.0, 1.0, 2.0, 4.0]), Snapshot(), stop], epochs=4)
    assert stop.stopped_epoch == 0 and stop.best_epoch == 1
    for got, want in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(snapshots[1][0], snapshots[3][0])


def test_restores_best_weights_after_stop_with_baseline_never_beaten(model, data, inject):
    snapshots = []

    class Snapshot(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(model.get_weights())

    stop = kcore.callbacks.EarlyStopping(monitor="score", mode="min", patience=2,
                                         baseline=0.1, restore_best_weights=True)
    history = fit(model, data, [inject("score", [3.0, 2.0, 2.5, 2.6, 2.7]), Snapshot(), stop],
                  epochs=5)
    # epochs 0 and 1 improve without beating 0.1, so wait is 3 at the first worse epoch
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 2
    for got, want in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(got, want)


def test_reusable_across_fits(model, data, inject):
    stop = kcore.callbacks.EarlyStopping(monitor="score", mode="min", patience=1)
    assert fit(model, data, [inject("score", [1.0, 2.0, 3.0]), stop], epochs=3).epoch == [0, 1]
    # a stale best of 1.0 would stop this run at epoch 1 again
    history = fit(model, data, [inject("score", [5.0, 4.0, 3.0]), stop], epochs=3)
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 0


def test_auto_mode_uses_metric_direction(model, data, inject):
    # accuracy goes up: a rising value is an improvement, so no stop
    stop = kcore.callbacks.EarlyStopping(monitor="val_accuracy", patience=0)
    history = fit(model, data, [inject("val_accuracy", [0.1, 0.2, 0.3]), stop], epochs=3,
                  validation_split=0.25)
    assert history.epoch == [0, 1, 2]
    assert stop.monitor_op == "max"
    stop = kcore.callbacks.EarlyStopping(monitor="val_mae", patience=0)
    history = fit(model, data, [inject("val_mae", [0.1, 0.2, 0.3]), stop], epochs=3,
                  validation_split=0.25)
    assert history.epoch == [0, 1]


def test_auto_mode_unknown_direction_raises(model, data, inject):
    stop = kcore.callbacks.EarlyStopping(monitor="my_score")
    with pytest.raises(ValueError, match="mode='max'"):
        fit(model, data, [inject("my_score", [1.0]), stop], epochs=1)


def test_missing_monitor_warns_and_continues(model, data):
    stop = kcore.callbacks.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss`"):
        history = fit(model, data, [stop], epochs=3)
    assert history.epoch == [0, 1, 2]


def test_real_training_stops_on_val_loss(model, data):
    # a learning rate this large diverges, so val_loss rises and training stops
    model.compile(optimizer=kcore.optimizers.SGD(5.0), loss="mse")
    stop = kcore.callbacks.EarlyStopping(patience=1, restore_best_weights=True)
    history = fit(model, data, [stop], epochs=20, validation_split=0.25)
    assert len(history.epoch) < 20
    losses = history.history["val_loss"]
    assert stop.best == min(losses) and stop.best_epoch == int(np.argmin(losses))
    x, y = data
    restored = model.evaluate(x[12:], y[12:], verbose=0)
    assert restored == pytest.approx(min(losses), rel=1e-5)


def test_state_dict_round_trip_is_json(model, data, inject):
    stop = kcore.callbacks.EarlyStopping(monitor="score", mode="min", patience=5,
                                         restore_best_weights=True)
    fit(model, data, [inject("score", [3.0, 1.0, 2.0]), stop], epochs=3)
    state = json.loads(json.dumps(stop.state_dict()))
    other = kcore.callbacks.EarlyStopping(monitor="score", mode="min", patience=5,
                                          restore_best_weights=True)
    other.load_state_dict(state)
    assert (other.wait, other.best, other.best_epoch) == (1, 1.0, 1)
    for a, b in zip(other.best_weights, stop.best_weights):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert stop.state_key == "EarlyStopping[score]"


# --- TerminateOnNaN ----------------------------------------------------------------------

def nan_data(data):
    x, y = data
    y = y.copy()
    y[10] = np.nan  # the second batch of 8 has a NaN target
    return x, y


def test_terminate_on_nan_stops_at_the_batch(model, data, capsys):
    batches = []

    class Count(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    history = fit(model, nan_data(data), [kcore.callbacks.TerminateOnNaN(), Count()],
                  epochs=3, shuffle=False)
    assert batches == [0, 1] and history.epoch == [0]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_raise_error(model, data):
    ended = []

    class End(kcore.callbacks.Callback):
        def on_train_end(self, logs=None):
            ended.append(True)

    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        fit(model, nan_data(data), [kcore.callbacks.TerminateOnNaN(raise_error=True), End()],
            epochs=2, shuffle=False)
    assert ended == []
