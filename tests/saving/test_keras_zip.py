"""The ``.keras`` zip: round trips, exact continued training, Keras's layout, bad archives."""

import json
import os
import struct
import tempfile
import zipfile

import numpy as np
import pytest

import kcore
from kcore.saving import keras_zip, saving_api

from saving_helpers import FIXTURES, data, multi_io, multi_io_data, nested, sequential, subclassed


def _compile(model, multi=False, optimizer=None):
    optimizer = optimizer or kcore.optimizers.Adam(1e-2)
    if multi:
        model.compile(optimizer=optimizer,
                      loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                      loss_weights={"cls": 1.0, "reg": 0.3},
                      metrics={"cls": ["accuracy"], "reg": ["mae"]})
    else:
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def dropout_model():
    return kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(8, activation="relu"),
                             kcore.layers.Dropout(0.3), kcore.layers.Dense(3, activation="softmax")])


BUILDERS = {
    "sequential": (sequential, data, False),
    "functional_multi_io_shared": (multi_io, multi_io_data, True),
    "functional_nested": (nested, data, False),
    "subclassed": (subclassed, data, False),
    "dropout": (dropout_model, data, False),
}


def _predict(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def _assert_same(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_round_trip_predictions_and_compile_state(name, tmp_path):
    build, make_data, multi = BUILDERS[name]
    kcore.utils.set_random_seed(1)
    model = _compile(build(), multi)
    x, y = make_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = kcore.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    _assert_same(_predict(loaded, x), _predict(model, x))
    assert loaded.compiled and type(loaded.optimizer) is type(model.optimizer)
    assert loaded.get_compile_config()["loss"] == model.get_compile_config()["loss"]
    assert loaded.get_compile_config()["loss_weights"] == model.get_compile_config()["loss_weights"]
    _assert_same([v.numpy() for v in loaded.optimizer.variables],
                 [v.numpy() for v in model.optimizer.variables])
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) > 0
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)


def _train(name, tmp_path=None, reload=False, optimizer=None):
    """fit 2 epochs; (save, delete, load;) fit 1 more epoch. Shuffled, so the random
    stream must also be where it was."""
    build, make_data, multi = BUILDERS[name]
    kcore.utils.set_random_seed(7)
    model = _compile(build(), multi, optimizer() if optimizer else None)
    x, y = make_data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    if reload:
        saving_api.save_model(model, tmp_path / "mid.keras")
        del model
        model = saving_api.load_model(tmp_path / "mid.keras")
    model.fit(x, y, epochs=3, initial_epoch=2, batch_size=8, verbose=0)
    return model


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_continued_training_is_exact(name, tmp_path):
    """Training continues after save/load exactly as without (weights, optimizer, Dropout)."""
    straight = _train(name)
    resumed = _train(name, tmp_path, reload=True)
    assert int(resumed.optimizer.iterations.numpy()) == int(straight.optimizer.iterations.numpy())
    _assert_same(resumed.get_weights(), straight.get_weights())
    _assert_same([v.numpy() for v in resumed.optimizer.variables],
                 [v.numpy() for v in straight.optimizer.variables])


def _scheduled_rmsprop():
    schedule = kcore.optimizers.schedules.PiecewiseConstantDecay([3, 6], [0.02, 0.01, 0.005])
    optimizer = kcore.optimizers.RMSprop(schedule, momentum=0.5)
    optimizer.learning_rate_scale = 0.5  # as ReduceLROnPlateau leaves it
    return optimizer


def test_continued_training_with_schedule_and_scale_is_exact(tmp_path):
    straight = _train("functional_multi_io_shared", optimizer=_scheduled_rmsprop)
    resumed = _train("functional_multi_io_shared", tmp_path, reload=True,
                     optimizer=_scheduled_rmsprop)
    assert resumed.optimizer.learning_rate_scale == 0.5
    assert isinstance(resumed.optimizer._learning_rate,
                      kcore.optimizers.schedules.PiecewiseConstantDecay)
    _assert_same(resumed.get_weights(), straight.get_weights())


def test_load_without_compile_and_uncompiled_models(tmp_path):
    model = _compile(sequential())
    model.save(tmp_path / "m.keras")
    assert not kcore.models.load_model(tmp_path / "m.keras", compile=False).compiled
    sequential().save(tmp_path / "u.keras")
    assert not kcore.models.load_model(tmp_path / "u.keras").compiled


def test_save_model_function_and_load_weights_from_keras_file(tmp_path):
    model = sequential()
    kcore.saving.save_model(model, tmp_path / "m.keras")
    other = sequential()
    other.load_weights(tmp_path / "m.keras")
    _assert_same(other.get_weights(), model.get_weights())


# -- Keras's layout -----------------------------------------------------------------------
def test_archive_layout_matches_keras(tmp_path):
    """Same entries, metadata and config keys as the Keras-written fixture of this model."""
    model = _compile(sequential())
    model.fit(*data(), epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as ours, \
            zipfile.ZipFile(FIXTURES / "k3_mlp.keras") as theirs:
        assert ours.namelist() == theirs.namelist() == ["metadata.json", "config.json",
                                                        "model.weights.h5"]
        assert {i.compress_type for i in ours.infolist()} == {zipfile.ZIP_STORED}
        metadata = json.loads(ours.read("metadata.json"))
        assert set(metadata) == set(json.loads(theirs.read("metadata.json")))
        assert metadata["keras_version"] == "3.15.1"
        config = json.loads(ours.read("config.json"))
        keras_config = json.loads(theirs.read("config.json"))
        assert list(config) == list(keras_config)
        assert (config["module"], config["class_name"], config["registered_name"]) == \
            ("keras", "Sequential", None)
        assert config["build_config"] == {"input_shape": [None, 6]}
        assert set(config["compile_config"]) == set(keras_config["compile_config"]) | {"optimizer"}
        assert config["compile_config"]["optimizer"]["class_name"] == "Adam"


def test_weights_entry_equals_save_weights_file(tmp_path):
    """``model.weights.h5`` inside the zip is exactly Keras 3's ``.weights.h5`` layout."""
    from saving_helpers import dump_layout

    model = _compile(multi_io(), multi=True)
    model.fit(*multi_io_data(), epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        (tmp_path / "inner.weights.h5").write_bytes(zf.read("model.weights.h5"))
    assert dump_layout(tmp_path / "inner.weights.h5") == dump_layout(tmp_path / "w.weights.h5")


def test_functional_config_names_keras_class(tmp_path):
    multi_io().save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))
    assert (config["module"], config["class_name"], config["registered_name"]) == \
        ("keras.src.models.functional", "Functional", "Functional")
    assert config["compile_config"] == {}


# -- assets -------------------------------------------------------------------------------
@kcore.saving.register_keras_serializable(package="kcore_tests")
class Table(kcore.layers.Layer):
    """Adds a lookup table kept in assets (not in variables)."""

    fail_loading = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.table = None

    def build(self, input_shape):
        self.table = np.arange(input_shape[-1], dtype="float32")

    def call(self, x):
        return x + self.table

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "table.json"), "w") as f:
            json.dump(self.table.tolist(), f)

    def load_assets(self, dir_path):
        if self.fail_loading:
            raise RuntimeError("simulated failure in load_assets")
        with open(os.path.join(dir_path, "table.json")) as f:
            self.table = np.asarray(json.load(f), dtype="float32")


def _table_model():
    return kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(4, name="d"),
                             Table(name="table")])


def _private_dirs():
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("kcore-assets-")}


def test_assets_round_trip_and_private_directory_removed(tmp_path):
    model = _table_model()
    model.get_layer("table").table = np.array([5, 6, 7, 8], "float32")
    before = _private_dirs()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert "assets/layers/table/table.json" in zf.namelist()
    loaded = kcore.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.get_layer("table").table, [5, 6, 7, 8])
    assert _private_dirs() == before
    Table.fail_loading = True
    try:
        with pytest.raises(RuntimeError, match="simulated failure"):
            kcore.models.load_model(tmp_path / "m.keras")
    finally:
        Table.fail_loading = False
    assert _private_dirs() == before


@kcore.saving.register_keras_serializable(package="kcore_tests")
class Counter(kcore.layers.Layer):
    """Keeps a call count outside its variables, saved through save/load_own_variables."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w

    def save_own_variables(self, store):
        store["w"] = self.w.numpy()
        store["calls"] = np.array(self.calls)

    def load_own_variables(self, store):
        self.w.assign(store["w"])
        self.calls = int(store["calls"])


def test_save_and_load_own_variables_are_used(tmp_path):
    model = kcore.Sequential([kcore.Input((3,)), Counter(name="counter")])
    layer = model.get_layer("counter")
    layer.w.assign(np.array([1.0, 2.0, 3.0], "float32"))
    layer.calls = 7
    model.save(tmp_path / "m.keras")
    loaded = kcore.models.load_model(tmp_path / "m.keras").get_layer("counter")
    assert loaded.calls == 7
    np.testing.assert_array_equal(loaded.w.numpy(), [1.0, 2.0, 3.0])


# -- bad archives -------------------------------------------------------------------------
def _rewrite(src, dst, drop=(), replace=None, add=None):
    """Copies the zip ``src`` to ``dst``, dropping/replacing/adding entries."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, content in add.items():
            zout.writestr(name, content)
    return dst


@pytest.fixture
def saved(tmp_path):
    model = _compile(sequential())
    model.save(tmp_path / "good.keras")
    return tmp_path / "good.keras"


@pytest.mark.parametrize("entry", ["/etc/evil.txt", "assets/../../evil.txt", "../x",
                                   "C:/evil.txt", "assets\\..\\..\\evil.txt"])
def test_unsafe_entry_names_are_refused(saved, tmp_path, entry):
    bad = _rewrite(saved, tmp_path / "bad.keras", add={entry: b"x"})
    with pytest.raises(ValueError, match=r"bad\.keras: unsafe entry .*evil|bad\.keras: unsafe"):
        kcore.models.load_model(bad)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_conflicting_asset_entries_are_refused(tmp_path):
    model = _table_model()
    model.save(tmp_path / "m.keras")
    bad = _rewrite(tmp_path / "m.keras", tmp_path / "bad.keras",
                   add={"assets/layers": b"a file where a folder belongs"})
    before = _private_dirs()
    with pytest.raises(ValueError, match=r"bad\.keras: cannot unpack entry 'assets/layers"):
        kcore.models.load_model(bad)
    assert _private_dirs() == before


def _forge_size(path, entry, size):
    """Rewrites the uncompressed size an entry declares (central directory and local
    header), as a zip bomb does."""
    blob = bytearray(path.read_bytes())
    name = entry.encode()
    start = 0
    while True:
        i = blob.find(b"PK\x01\x02", start)
        if i < 0:
            break
        n = struct.unpack("<H", blob[i + 28:i + 30])[0]
        if bytes(blob[i + 46:i + 46 + n]) == name:
            blob[i + 24:i + 28] = struct.pack("<I", size)
            offset = struct.unpack("<I", blob[i + 42:i + 46])[0]
            blob[offset + 22:offset + 26] = struct.pack("<I", size)
        start = i + 4
    path.write_bytes(bytes(blob))


@pytest.mark.parametrize("entry", ["model.weights.h5", "config.json", "assets/big.bin"])
def test_zip_bomb_is_refused(saved, tmp_path, entry):
    bad = _rewrite(saved, tmp_path / "bomb.keras", add={"assets/big.bin": b"0" * 100})
    with zipfile.ZipFile(bad) as zf:
        assert zf.getinfo(entry).compress_type == zipfile.ZIP_STORED
    _forge_size(bad, entry, 4_000_000_000)
    with pytest.raises(ValueError, match=rf"bomb\.keras: entry '{entry}' declares "
                                         r"4000000000 bytes.*zip bomb"):
        kcore.models.load_model(bad)


@pytest.mark.parametrize("entry", ["config.json", "metadata.json", "model.weights.h5"])
def test_missing_entry_is_named(saved, tmp_path, entry):
    bad = _rewrite(saved, tmp_path / "bad.keras", drop=[entry])
    with pytest.raises(ValueError, match=rf"bad\.keras: the archive has no {entry}"):
        kcore.models.load_model(bad)


@pytest.mark.parametrize("entry, content, match", [
    ("config.json", b"{not json", r"config\.json is not valid JSON"),
    ("config.json", b"[1, 2]", r"config\.json must hold a JSON object, got list"),
    ("config.json", b'{"config": {}}', r"config\.json must be a serialized model"),
    ("config.json", b'{"class_name": "Sequential", "config": {"layers": 3}}',
     r"(wrong structure|not iterable)"),
    ("metadata.json", b"\xff\xfe", r"metadata\.json is not valid JSON"),
    ("metadata.json", b'{"date_saved": "x"}', r"metadata\.json has no 'keras_version'"),
    ("model.weights.h5", b"not hdf5 at all", r"model\.weights\.h5 is not a valid HDF5 file"),
])
def test_malformed_entry_is_named(saved, tmp_path, entry, content, match):
    bad = _rewrite(saved, tmp_path / "bad.keras", replace={entry: content})
    with pytest.raises((ValueError, TypeError), match=rf"bad\.keras.*{match}"):
        kcore.models.load_model(bad)


def test_malformed_compile_config(saved, tmp_path):
    with zipfile.ZipFile(saved) as zf:
        config = json.loads(zf.read("config.json"))
    config["compile_config"]["loss"] = {"class_name": "NoSuchLoss", "config": {}}
    bad = _rewrite(saved, tmp_path / "bad.keras", replace={"config.json": json.dumps(config)})
    with pytest.raises(ValueError, match=r"bad\.keras: cannot compile the model from the "
                                         r"'compile_config' of config\.json: Unknown loss"):
        kcore.models.load_model(bad)
    assert not kcore.models.load_model(bad, compile=False).compiled


def test_weight_shape_mismatch_names_file_layer_and_shapes(saved, tmp_path):
    with zipfile.ZipFile(saved) as zf:
        config = json.loads(zf.read("config.json"))
    config["config"]["layers"][1]["config"]["units"] = 9  # d1: Dense(8) -> Dense(9)
    config["config"]["layers"][2]["build_config"] = {"input_shape": [None, 9]}
    bad = _rewrite(saved, tmp_path / "bad.keras", replace={"config.json": json.dumps(config)})
    with pytest.raises(ValueError, match=r"bad\.keras \(model\.weights\.h5\): shape mismatch "
                                         r"for weight 'd1/kernel' of Dense 'd1'.*expects \(6, 9\), the "
                                         r"file has \(6, 8\)"):
        kcore.models.load_model(bad)


def test_not_a_zip_truncated_and_missing(saved, tmp_path):
    (tmp_path / "text.keras").write_text("hello")
    with pytest.raises(ValueError, match=r"text\.keras.*not a valid \.keras file"):
        kcore.models.load_model(tmp_path / "text.keras")
    blob = saved.read_bytes()
    (tmp_path / "cut.keras").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"cut\.keras"):
        kcore.models.load_model(tmp_path / "cut.keras")
    with pytest.raises(FileNotFoundError, match=r"nope\.keras"):
        kcore.models.load_model(tmp_path / "nope.keras")


def test_zipped_false_and_include_optimizer_false_are_refused(tmp_path):
    with pytest.raises(ValueError, match="zipped=False"):
        sequential().save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(ValueError, match="include_optimizer=False.*only.*\\.h5"):
        sequential().save(tmp_path / "m.keras", include_optimizer=False)


def test_bomb_limits_are_documented():
    from kcore.saving import keras_archive

    assert keras_archive.MAX_EXPANSION == 100 and keras_archive.BOMB_FLOOR_BYTES <= 1 << 28


def test_to_json_is_config_json_and_model_from_json_compiles(tmp_path):
    """As in Keras 3: ``to_json()`` is the ``.keras`` file's ``config.json``, and
    ``model_from_json`` returns a compiled model (fresh optimizer) when it was compiled."""
    model = _compile(multi_io(), multi=True)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert json.loads(model.to_json()) == json.loads(zf.read("config.json"))
    clone = kcore.models.model_from_json(model.to_json())
    assert clone.compiled and isinstance(clone.optimizer, kcore.optimizers.Adam)
    assert clone.get_compile_config()["loss_weights"] == {"cls": 1.0, "reg": 0.3}
    assert not kcore.models.model_from_json(multi_io().to_json()).compiled


def test_hdf5_bomb_in_weights_is_refused_before_reading(saved, tmp_path):
    """A dataset that declares gigabytes of fill values but stores nothing is refused."""
    import h5py

    with zipfile.ZipFile(saved) as zf:
        (tmp_path / "w.h5").write_bytes(zf.read("model.weights.h5"))
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", shape=(60000, 60000), dtype="float32",
                                              chunks=(1000, 1000), compression="gzip")
    bad = _rewrite(saved, tmp_path / "bad.keras",
                   replace={"model.weights.h5": (tmp_path / "w.h5").read_bytes()})
    with pytest.raises(ValueError, match=r"shape mismatch.*\(60000, 60000\)"):
        kcore.models.load_model(bad)
    from kcore.saving import h5io

    with h5py.File(tmp_path / "w.h5", "r") as f:
        with pytest.raises(ValueError, match=r"declares shape \(60000, 60000\).*bomb"):
            h5io.check_dataset_size(f["layers/dense/vars/0"])

