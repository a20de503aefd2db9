"""CSVLogger through the installed entry point and real fits (keras_semantics 1.12)."""

import csv
import importlib.metadata
import json

import numpy as np
import pytest

import kcore


@pytest.fixture
def model():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((16, 3), dtype=np.float32), rng.random((16, 1), dtype=np.float32)


def read(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def fit(model, data, callbacks, epochs=3, **kwargs):
    x, y = data
    return model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks, **kwargs)


def test_found_through_entry_point():
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.callbacks")}
    assert eps["CSVLogger"].dist.metadata["Name"] == "kcore-csvlogger"
    assert kcore.callbacks.CSVLogger is eps["CSVLogger"].load()
    assert kcore.callbacks.get({"class_name": "CSVLogger", "config": {"filename": "x.csv"}}
                               ).filename == "x.csv"


def test_rows_match_history_with_validation(model, data, tmp_path):
    path = tmp_path / "log.csv"
    history = fit(model, data, [kcore.callbacks.CSVLogger(path)], validation_split=0.25)
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for i, key in enumerate(rows[0][1:], start=1):
        assert [float(r[i]) for r in rows[1:]] == history.history[key]


def test_no_phantom_val_columns_without_validation(model, data, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, data, [kcore.callbacks.CSVLogger(path)])
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae"]
    assert len(rows) == 4


def test_validation_freq_gives_stable_columns_with_na(model, data, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, data, [kcore.callbacks.CSVLogger(path)], epochs=4, validation_split=0.25,
        validation_freq=2)
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[3:] for r in rows[1:]][0::2] == [["NA", "NA"], ["NA", "NA"]]
    assert all(r[3] != "NA" for r in rows[2::2])


def test_flushed_every_epoch(model, data, tmp_path):
    path = tmp_path / "log.csv"
    seen = []

    class ReadBack(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(len(read(path)))

    fit(model, data, [kcore.callbacks.CSVLogger(path), ReadBack()])
    assert seen == [2, 3, 4]


def test_append_reuses_header(model, data, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, data, [kcore.callbacks.CSVLogger(path)], epochs=2)
    fit(model, data, [kcore.callbacks.CSVLogger(path, append=True)], epochs=4, initial_epoch=2)
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    # without append the file starts over
    fit(model, data, [kcore.callbacks.CSVLogger(path)], epochs=1)
    assert [r[0] for r in read(path)] == ["epoch", "0"]


def test_append_to_foreign_header_keeps_its_order(model, data, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,mae,loss\n0,0.5,0.25\n")
    fit(model, data, [kcore.callbacks.CSVLogger(path, append=True)], epochs=2, initial_epoch=1,
        validation_split=0.25)
    rows = read(path)
    assert rows[0] == ["epoch", "mae", "loss", "val_loss", "val_mae"]
    assert rows[1] == ["0", "0.5", "0.25", "NA", "NA"]
    assert rows[2][0] == "1" and "NA" not in rows[2]


def test_separator(model, data, tmp_path):
    path = tmp_path / "log.tsv"
    fit(model, data, [kcore.callbacks.CSVLogger(path, separator="\t")], epochs=1)
    assert read(path, "\t")[0] == ["epoch", "loss", "mae"]
    with pytest.raises(ValueError, match="single character"):
        kcore.callbacks.CSVLogger(path, separator=", ")


def test_state_dict_resumes_without_duplicate_rows(model, data, tmp_path):
    path = tmp_path / "log.csv"
    logger = kcore.callbacks.CSVLogger(path)
    fit(model, data, [logger], epochs=2)
    state = json.loads(json.dumps(logger.state_dict()))
    assert state["keys"] == ["loss", "mae"] and len(state["rows"]) == 2
    state["rows"] = state["rows"][:1]  # a checkpoint taken after epoch 0

    class Restore(kcore.callbacks.Callback):
        def on_train_begin(self, logs=None):
            resumed.load_state_dict(state)

    resumed = kcore.callbacks.CSVLogger(path)
    fit(model, data, [resumed, Restore()], epochs=3, initial_epoch=1)
    assert [r[0] for r in read(path)] == ["epoch", "0", "1", "2"]
    assert resumed.state_key == f"CSVLogger[{path}]"
