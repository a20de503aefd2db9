"""ModelCheckpoint through the installed entry point and real fits (keras_semantics 1.5)."""

import importlib.metadata
import json
import os

import numpy as np
import pytest

import kcore


def fit(model, data, callbacks, epochs=3, **kwargs):
    x, y = data
    return model.fit(x, y, batch_size=4, epochs=epochs, verbose=0, callbacks=callbacks, **kwargs)


class Inject(kcore.callbacks.Callback):
    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])


class Snapshot(kcore.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def assert_weights_equal(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_found_through_entry_point(model, data, tmp_path):
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.callbacks")}
    assert eps["ModelCheckpoint"].dist.metadata["Name"] == "kcore-checkpoint"
    assert kcore.callbacks.ModelCheckpoint is eps["ModelCheckpoint"].load()
    config = {"class_name": "ModelCheckpoint", "config": {"filepath": str(tmp_path / "m.h5")}}
    fit(model, data, [config], epochs=1, validation_split=0.25)
    assert (tmp_path / "m.h5").exists()


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_epoch_and_logs_placeholders_and_reload(model, data, tmp_path, suffix):
    snap = Snapshot()
    path = str(tmp_path / ("m-{epoch:02d}-{val_loss:.2f}" + suffix))
    history = fit(model, data, [kcore.callbacks.ModelCheckpoint(path), snap],
                  validation_split=0.25)
    names = sorted(os.listdir(tmp_path))
    assert names == [f"m-{e + 1:02d}-{v:.2f}{suffix}" for e, v in
                     enumerate(history.history["val_loss"])]
    reloaded = kcore.models.load_model(tmp_path / names[1])
    assert_weights_equal(reloaded.get_weights(), snap.weights[1])


def test_batch_frequency_counter_carries_across_epochs(model, data, tmp_path):
    path = str(tmp_path / "w-{epoch:02d}-b{batch:03d}.weights.h5")
    fit(model, data, [kcore.callbacks.ModelCheckpoint(path, save_weights_only=True,
                                                      save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == [
        "w-01-b003.weights.h5", "w-02-b002.weights.h5", "w-03-b001.weights.h5",
        "w-03-b004.weights.h5"]
    fresh = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    fresh.load_weights(tmp_path / "w-03-b004.weights.h5")
    assert_weights_equal(fresh.get_weights(), model.get_weights())


@pytest.mark.parametrize("path, kwargs", [
    ("x.h5", {"save_weights_only": True}), ("x.ckpt", {}), ("x", {}), ("x.hdf5", {}),
    ("x.keras", {"save_weights_only": True}), ("x.weights.h5", {"save_freq": "batch"}),
    ("x.h5", {"max_to_keep": 0}),
])
def test_construction_errors(path, kwargs):
    with pytest.raises(ValueError) as info:
        kcore.callbacks.ModelCheckpoint(path, **kwargs)
    if not kwargs:
        assert "must end in `.keras`" in str(info.value)


def test_missing_placeholder_key_error(model, data, tmp_path):
    checkpoint = kcore.callbacks.ModelCheckpoint(str(tmp_path / "{val_loss}.h5"), save_freq=2)
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        fit(model, data, [checkpoint], validation_split=0.25)


def test_save_best_only_saves_improvements_only(model, data, tmp_path, capsys):
    snap = Snapshot()
    path = str(tmp_path / "best.keras")
    checkpoint = kcore.callbacks.ModelCheckpoint(path, monitor="score", mode="min",
                                                 save_best_only=True, verbose=1)
    fit(model, data, [Inject("score", [3.0, 1.0, 2.0, 1.0]), checkpoint, snap], epochs=4)
    assert_weights_equal(kcore.models.load_model(path).get_weights(), snap.weights[1])
    out = capsys.readouterr().out
    assert f"Epoch 1: score improved from None to 3.00000, saving model to {path}" in out
    assert "Epoch 3: score did not improve from 1.00000" in out
    assert "Epoch 4: score did not improve from 1.00000" in out  # strict comparison
    # best is kept across fits, as in Keras: a worse value does not overwrite
    fit(model, data, [Inject("score", [1.5]), checkpoint], epochs=1)
    assert_weights_equal(kcore.models.load_model(path).get_weights(), snap.weights[1])


def test_initial_value_threshold_and_auto_mode(model, data, tmp_path):
    path = tmp_path / "best.h5"
    checkpoint = kcore.callbacks.ModelCheckpoint(path, save_best_only=True,
                                                 initial_value_threshold=0.0)
    fit(model, data, [checkpoint], validation_split=0.25)  # val_loss never below 0
    assert not path.exists()


def test_missing_monitor_warns_and_saves(model, data, tmp_path):
    path = tmp_path / "m.h5"
    checkpoint = kcore.callbacks.ModelCheckpoint(path, save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        fit(model, data, [checkpoint], epochs=1)
    assert path.exists()


def test_best_only_at_batch_frequency_monitors_training_loss(model, data, tmp_path):
    path = str(tmp_path / "b-{epoch}-{batch}.h5")
    with pytest.warns(UserWarning, match="monitoring 'loss' instead of 'val_loss'"):
        checkpoint = kcore.callbacks.ModelCheckpoint(path, save_best_only=True, save_freq=1)
    losses = []
    record = kcore.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    fit(model, data, [record, checkpoint], epochs=2, validation_split=0.25)
    best, expected = None, []
    for i, loss in enumerate(losses):
        if best is None or loss < best:
            best = loss
            expected.append(f"b-{i // 3 + 1}-{i % 3 + 1}.h5")
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    assert checkpoint.best == min(losses)


def test_max_to_keep(model, data, tmp_path):
    checkpoint = kcore.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.h5"), max_to_keep=2)
    fit(model, data, [checkpoint], epochs=5)
    assert sorted(os.listdir(tmp_path)) == ["m-4.h5", "m-5.h5"]


def test_state_dict_round_trip(model, data, tmp_path):
    path = str(tmp_path / "m-{epoch}.h5")
    checkpoint = kcore.callbacks.ModelCheckpoint(path, monitor="score", mode="max",
                                                 save_best_only=True, max_to_keep=1)
    fit(model, data, [Inject("score", [1.0, 2.0]), checkpoint], epochs=2)
    state = json.loads(json.dumps(checkpoint.state_dict()))
    assert state["best"] == 2.0 and state["files"] == [str(tmp_path / "m-2.h5")]
    other = kcore.callbacks.ModelCheckpoint(path, monitor="score", mode="max",
                                            save_best_only=True, max_to_keep=1)
    other.load_state_dict(state)
    fit(model, data, [Inject("score", [0.5, 3.0]), other], epochs=2)
    assert sorted(os.listdir(tmp_path)) == ["m-2.h5"]  # 0.5 did not beat the restored best
    fit(model, data, [Inject("score", [0.5, 3.0]), other], epochs=2, initial_epoch=1)
    assert sorted(os.listdir(tmp_path)) == ["m-2.h5"]  # overwritten with epoch 2's 3.0
    assert other.best == 3.0 and other.state_key == f"ModelCheckpoint[{path}]"


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_training_resumed_from_a_checkpoint_is_exact(data, tmp_path, suffix):
    """fit 2 epochs with ModelCheckpoint; load epoch 2's file; fit 1 more == fit 3 epochs."""
    x, y = data

    def build():
        kcore.utils.set_random_seed(4)
        m = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(5, activation="relu"),
                              kcore.layers.Dropout(0.25), kcore.layers.Dense(1)])
        m.compile(optimizer=kcore.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
        return m

    straight = build()
    straight.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False)
    model = build()
    path = str(tmp_path / ("ckpt-{epoch}" + suffix))
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False,
              callbacks=[kcore.callbacks.ModelCheckpoint(path)])
    del model
    resumed = kcore.models.load_model(tmp_path / f"ckpt-2{suffix}")
    resumed.fit(x, y, batch_size=4, epochs=3, initial_epoch=2, verbose=0, shuffle=False)
    assert int(resumed.optimizer.iterations.numpy()) == int(straight.optimizer.iterations.numpy())
    assert_weights_equal(resumed.get_weights(), straight.get_weights())
    for a, b in zip(resumed.optimizer.variables, straight.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
