"""Unzipped ``.keras`` models (``model.save(path, zipped=False)``): round trip, an existing
folder updated only once every entry is written, bad folders named with the fix."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kcore
from kcore.saving import atomic

from saving_helpers import data, sequential

ENTRIES = ["config.json", "metadata.json", "model.weights.h5"]


@kcore.saving.register_keras_serializable(package="kcore_tests")
class Notes(kcore.layers.Layer):
    """Identity layer that keeps a list in ``assets/`` (and can fail while saving it)."""

    fail_saving = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.notes = ["a"]

    def call(self, x):
        return x

    def save_assets(self, dir_path):
        if self.fail_saving:
            raise RuntimeError("simulated failure in save_assets")
        with open(os.path.join(dir_path, "notes.json"), "w") as f:
            json.dump(self.notes, f)

    def load_assets(self, dir_path):
        with open(os.path.join(dir_path, "notes.json")) as f:
            self.notes = json.load(f)


def _model(notes):
    model = kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(3, name="d"),
                              Notes(name="notes")])
    model.get_layer("notes").notes = notes
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(*data(), epochs=1, verbose=0)
    return model


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_round_trip_continues_training_and_leaves_no_temporary(tmp_path):
    model = _model(["x", "y"])
    folder = tmp_path / "saved_model"
    model.save(folder, zipped=False)
    assert _files(folder) == ["assets/layers/notes/notes.json"] + ENTRIES
    assert os.listdir(tmp_path) == ["saved_model"]
    assert oct(folder.stat().st_mode & 0o777) == oct(0o777 & ~atomic._umask())
    loaded = kcore.models.load_model(folder)
    assert loaded.get_layer("notes").notes == ["x", "y"]
    x, y = data()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    for m in (loaded, model):  # the same shuffle for both
        kcore.utils.set_random_seed(3)
        m.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(loaded.get_layer("d").kernel.numpy(),
                                  model.get_layer("d").kernel.numpy())


def test_existing_folder_gets_the_new_entries_and_keeps_other_files(tmp_path):
    folder = tmp_path / "out"
    _model(["old"]).save(folder, zipped=False)
    (folder / "README.txt").write_text("mine")
    new = _model(["new"])
    new.save(folder, zipped=False)  # overwrite=True by default, as in Keras
    assert _files(folder) == ["README.txt", "assets/layers/notes/notes.json"] + ENTRIES
    assert (folder / "README.txt").read_text() == "mine"
    assert kcore.models.load_model(folder).get_layer("notes").notes == ["new"]
    assert os.listdir(tmp_path) == ["out"]
    with pytest.raises(FileExistsError, match="overwrite=False"):
        new.save(folder, zipped=False, overwrite=False)


def test_failed_save_leaves_the_previous_folder_and_no_temporary(tmp_path):
    folder = tmp_path / "out"
    _model(["old"]).save(folder, zipped=False)
    before = {p: (folder / p).read_bytes() for p in _files(folder)}
    model = _model(["new"])
    Notes.fail_saving = True
    try:
        with pytest.raises(RuntimeError, match="simulated failure in save_assets"):
            model.save(folder, zipped=False)
        with pytest.raises(RuntimeError, match="simulated failure in save_assets"):
            model.save(tmp_path / "fresh", zipped=False)
    finally:
        Notes.fail_saving = False
    assert {p: (folder / p).read_bytes() for p in _files(folder)} == before
    assert os.listdir(tmp_path) == ["out"]


def test_killed_writers_folder_is_removed_by_the_next_save(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = tmp_path / f"out{atomic.TMP_MARKER}{atomic._host()}-{proc.stdout.strip()}-0a1b"
    (stale / "assets").mkdir(parents=True)
    (stale / "config.json").write_text("{")
    sequential().save(tmp_path / "out", zipped=False)
    assert os.listdir(tmp_path) == ["out"]


def test_saving_over_a_file_is_refused_before_anything_changes(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(ValueError, match=r"zipped=False.*'.*out'.*not a folder"):
        sequential().save(tmp_path / "out", zipped=False)
    assert (tmp_path / "out").read_text() == "a file"
    assert os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("missing", ENTRIES)
def test_folder_missing_an_entry_names_it_and_the_fix(tmp_path, missing):
    folder = tmp_path / "out"
    sequential().save(folder, zipped=False)
    (folder / missing).unlink()
    with pytest.raises(ValueError, match=rf"folder '.*out' as a model: it has no {missing}\. "
                                         r"A model folder.*zipped=False.*\.keras, \.h5"):
        kcore.models.load_model(folder)


def test_other_folders_are_refused_with_a_hint(tmp_path):
    with pytest.raises(ValueError, match=r"it has no metadata\.json, config\.json, "
                                         r"model\.weights\.h5"):
        kcore.models.load_model(tmp_path)
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ValueError, match="TensorFlow SavedModel"):
        kcore.models.load_model(tmp_path)
    folder = tmp_path / "npz"
    sequential().save(folder, zipped=False)
    os.replace(folder / "model.weights.h5", folder / "model.weights.npz")
    with pytest.raises(ValueError, match=r"model\.weights\.npz.*weights_format='npz'"):
        kcore.models.load_model(folder)


def test_damaged_entries_name_the_folder_and_the_entry(tmp_path):
    folder = tmp_path / "out"
    sequential().save(folder, zipped=False)
    (folder / "config.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"out: config\.json must hold a JSON object"):
        kcore.models.load_model(folder)
    sequential().save(folder, zipped=False)
    (folder / "model.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=r"out: model\.weights\.h5 is not a valid HDF5 file"):
        kcore.models.load_model(folder)


def test_zipped_false_with_a_keras_suffix_is_refused_as_in_keras(tmp_path):
    with pytest.raises(ValueError, match=r"zipped=False.*should not end in `\.keras`"):
        sequential().save(tmp_path / "m.keras", zipped=False)
    assert os.listdir(tmp_path) == []


def test_a_folder_named_like_a_keras_file_loads_as_a_folder(tmp_path):
    sequential().save(tmp_path / "m", zipped=False)
    os.replace(tmp_path / "m", tmp_path / "m.keras")  # Keras also reads it as a folder
    assert kcore.models.load_model(tmp_path / "m.keras").name == "seq"
